// Starts and stops the moto emulator (test/emulator/server.py, extensions applied) on a free
// loopback port. Used by the mocha root hooks (test/setup.ts) and by the scripts (demo, bench,
// faults), which run outside mocha.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const VENV_PYTHON = path.join(ROOT, ".venv-emulator", "bin", "python");
const SERVER = path.join(ROOT, "test", "emulator", "server.py");
export const READY_TIMEOUT_MS = 60_000;
// Only the tail matters for a startup error; the server may log for the whole run.
const STDERR_KEEP = 16_000;

export interface RunningEmulator {
  readonly endpoint: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Creates .venv-emulator/ with test/emulator/setup.sh when it is missing. */
export function ensureVenv(): void {
  if (existsSync(VENV_PYTHON)) return;
  const setup = spawnSync("bash", [path.join(ROOT, "test", "emulator", "setup.sh")], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (setup.status !== 0) {
    throw new Error(`test/emulator/setup.sh failed (${setup.status}):\n${setup.stderr}`);
  }
}

export function freeLoopbackPort(): Promise<number> {
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
  // stdin stays an open pipe: server.py exits when it closes, so even a SIGKILLed parent
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

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const running = new Set<ChildProcess>();
// A run that dies before stop() still takes its servers down with it.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Builds the venv if needed and starts moto with the extensions on a free loopback port. */
export async function startEmulator(): Promise<RunningEmulator> {
  ensureVenv();
  const { child, endpoint } = await startServer(await freeLoopbackPort());
  running.add(child);
  return {
    endpoint,
    stop: async () => {
      await stopChild(child);
      running.delete(child);
    },
  };
}
