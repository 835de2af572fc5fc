// Mocha root hooks (loaded through .mocharc.json's `require`): one moto server for the whole
// run, on a free loopback port, with test/emulator/extensions.py applied.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { setEmulatorEndpoint } from "./harness";

const ROOT = path.resolve(__dirname, "..");
const VENV_PYTHON = path.join(ROOT, ".venv-emulator", "bin", "python");
const SERVER = path.join(ROOT, "test", "emulator", "server.py");
const READY_TIMEOUT_MS = 60_000;
// Only the tail matters for a startup error; the server may log for the whole run.
const STDERR_KEEP = 16_000;

let server: ChildProcess | undefined;

function ensureVenv(): void {
  if (existsSync(VENV_PYTHON)) return;
  const setup = spawnSync("bash", [path.join(ROOT, "test", "emulator", "setup.sh")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (setup.status !== 0) {
    throw new Error(`test/emulator/setup.sh failed (${setup.status}):\n${setup.stderr}`);
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error(`unexpected address ${String(address)}`)),
      );
    });
  });
}

function startServer(port: number): Promise<{ child: ChildProcess; endpoint: string }> {
  // stdin stays an open pipe: server.py exits when it closes, so even a SIGKILLed mocha
  // leaves no orphan behind.
  const child = spawn(
    VENV_PYTHON,
    [SERVER, "--host", "127.0.0.1", "--port", String(port), "--exit-on-stdin-close"],
    { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });

  return new Promise((resolve, reject) => {
    let stdout = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`moto emulator ${why}\n--- stderr ---\n${stderr}`));
    };
    const timer = setTimeout(
      () => fail(`not ready after ${READY_TIMEOUT_MS} ms`),
      READY_TIMEOUT_MS,
    );
    child.once("error", (err) => fail(`could not start: ${err.message}`));
    child.once("exit", (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      stdout += chunk;
      const ready = /^moto-ready (\d+)$/m.exec(stdout);
      if (!ready) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.stdout?.removeAllListeners("data");
      child.stdout?.resume();
      resolve({ child, endpoint: `http://127.0.0.1:${ready[1]}` });
    });
  });
}

function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// A run that dies between beforeAll and afterAll still takes the server down with it.
process.once("exit", () => {
  server?.kill("SIGKILL");
});

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    const external = process.env["MOTO_ENDPOINT"];
    if (external) {
      setEmulatorEndpoint(external.replace(/\/+$/, ""));
      return;
    }
    // A fresh machine builds the venv here: allow for pip.
    this.timeout(READY_TIMEOUT_MS + 300_000);
    ensureVenv();
    const started = await startServer(await freeLoopbackPort());
    server = started.child;
    setEmulatorEndpoint(started.endpoint);
  },

  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(10_000);
    await stopServer();
  },
};
