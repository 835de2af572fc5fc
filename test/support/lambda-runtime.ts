import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
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
    this.child = fork(path.join(__dirname, "lambda-worker.js"), [archiveDir], {
      cwd: archiveDir,
      env: {
        PATH: process.env.PATH ?? "",
        NODE_PATH: runtimeModules,
        AWS_LAMBDA_FUNCTION_NAME: name,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let buffer = "";
    this.child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        try {
          this.logs.push(JSON.parse(line) as LambdaLogLine);
        } catch {
          this.logs.push({ message: line });
        }
      }
    });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on("message", (m: { id: number; result?: unknown; error?: string }) => {
      const waiter = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) {
        waiter?.reject(new Error(`${this.name}: ${m.error}\n${this.stderr}`));
      } else {
        waiter?.resolve(m.result);
      }
    });
    this.child.on("exit", (code) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`${this.name} exited with ${code}\n${this.stderr}`));
      }
      this.pending.clear();
    });
  }

  invoke<T>(event: unknown): Promise<T> {
    const id = (this.next += 1);
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
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
