import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { lambdaExecPath } from "./node22";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * A node_modules with only what the Lambda Node.js runtime provides: the AWS SDK v3 clients the
 * handlers use and their dependencies (symlinks into the project's node_modules). Deployed code
 * resolves nothing else, so a package missing from a bundle fails here as it would in Lambda.
 */
export function lambdaRuntimeModules(
  packages = ["@aws-sdk/client-rds", "@aws-sdk/client-sns"],
): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-runtime-"));
  const modules = path.join(dir, "node_modules");
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) {
      return;
    }
    seen.add(name);
    const source = path.join(ROOT, "node_modules", name);
    if (!fs.existsSync(source)) {
      return; // an optional dependency not installed here
    }
    const target = path.join(modules, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.symlinkSync(source, target, "dir");
    const manifest = JSON.parse(fs.readFileSync(path.join(source, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    Object.keys(manifest.dependencies ?? {}).forEach(visit);
  };
  packages.forEach(visit);
  return modules;
}

export interface LambdaLogLine {
  readonly level?: string;
  readonly message?: string;
  readonly decision?: string;
  readonly reason?: string;
  readonly handler?: string;
  readonly [key: string]: unknown;
}

/**
 * One deployed function, as the Lambda service would run it: its archive's `__index.js` loaded
 * once in its own process (cold start), with its environment and the account's credentials, then
 * invoked with events. Its stdout (Powertools JSON lines) is kept for assertions.
 */
export class LambdaProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<
    number,
    {
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
      reply?: { result?: unknown; error?: string };
      streams: Set<string>;
    }
  >();
  private next = 0;
  readonly logs: LambdaLogLine[] = [];
  private stderr = "";

  constructor(
    readonly name: string,
    archiveDir: string,
    env: Record<string, string>,
    runtimeModules: string,
  ) {
    // On the Lambda runtime's Node major (nodejs22.x), not the Node that runs the tests.
    this.child = fork(path.join(__dirname, "lambda-worker.js"), [archiveDir], {
      execPath: lambdaExecPath(),
      cwd: archiveDir,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_PATH: runtimeModules,
        AWS_LAMBDA_FUNCTION_NAME: name,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    // Powertools writes info lines to stdout and warn/error lines to stderr (both reach CloudWatch
    // in Lambda): both streams are parsed into `logs`; stderr text is also kept for errors.
    const lineReader = (stream: "stdout" | "stderr") => {
      let buffer = "";
      return (chunk: Buffer) => {
        const text = chunk.toString();
        buffer += text;
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines) {
          let parsed: LambdaLogLine | undefined;
          try {
            parsed = JSON.parse(line) as LambdaLogLine;
          } catch {
            parsed = undefined;
          }
          if (parsed && typeof parsed.__invocationEnd === "number") {
            this.settle(parsed.__invocationEnd, { streamDone: stream });
            continue;
          }
          if (stream === "stderr") {
            this.stderr = (this.stderr + line + "\n").slice(-16_000);
          }
          if (parsed || stream === "stdout") {
            this.logs.push(parsed ?? { message: line });
          }
        }
      };
    };
    this.child.stdout?.on("data", lineReader("stdout"));
    this.child.stderr?.on("data", lineReader("stderr"));
    this.child.on(
      "message",
      (m: {
        id: number;
        result?: unknown;
        error?: string;
        durationMs?: number;
        initMs?: number;
        nodeVersion?: string;
      }) => {
        this.nodeVersion ??= m.nodeVersion;
        if (m.durationMs !== undefined) {
          this.lastDurationMs = m.durationMs;
        }
        this.initMs ??= m.initMs;
        this.settle(m.id, { reply: m });
      },
    );
    this.child.on("exit", (code) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${this.name} exited with ${code}\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  /** An invocation ends when its reply (IPC) and its end-of-logs marker (stdout) are both in,
   * so its decisions are in `logs` when the promise resolves. */
  private settle(
    id: number,
    part: { reply?: { result?: unknown; error?: string }; streamDone?: "stdout" | "stderr" },
  ): void {
    const waiter = this.pending.get(id);
    if (!waiter) return;
    if (part.reply) waiter.reply = part.reply;
    if (part.streamDone) waiter.streams.add(part.streamDone);
    if (!waiter.reply || waiter.streams.size < 2) return;
    this.pending.delete(id);
    if (waiter.reply.error !== undefined) {
      waiter.reject(new Error(`${this.name}: ${waiter.reply.error}\n${this.stderr}`));
    } else {
      waiter.resolve(waiter.reply.result);
    }
  }

  /** The handler's own time in the last invocation (Lambda's "Duration"), without the init phase. */
  lastDurationMs: number | undefined;
  /** The init phase (cold start): loading __index.js and running the callback factory. */
  initMs: number | undefined;
  /** The Node version the function ran on (`process.version` in its process), once invoked. */
  nodeVersion: string | undefined;

  invoke<T>(event: unknown): Promise<T> {
    const id = (this.next += 1);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        streams: new Set(),
      });
      this.child.send({ id, event });
    });
  }

  decisions(): LambdaLogLine[] {
    return this.logs.filter((l) => typeof l.decision === "string");
  }

  stop(): void {
    this.child.kill();
  }
}
