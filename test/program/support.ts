import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { MockResource } from "../../policy/run";

export interface ResourceRecord {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly parent?: string;
  readonly parentType?: string;
  readonly provider?: string;
  readonly inputs: Record<string, unknown>;
  /** Resource options the program set (test/program/evaluate.ts records them). */
  readonly protect?: boolean;
  readonly retainOnDelete?: boolean;
  readonly aliases?: unknown[];
  /** What the mocks answered: the inputs plus ARNs, URLs and ids as AWS would. */
  readonly state: Record<string, unknown>;
  /** URNs of the resources it depends on, and per input property those its value came from. */
  readonly dependencies?: string[];
  readonly propertyDependencies?: Record<string, string[]>;
}

export interface Evaluation {
  readonly resources: ResourceRecord[];
  readonly outputs: Record<string, unknown>;
  readonly archivesDir: string;
  readonly evaluationMs: number;
}

export const PROD = "111111111111";
export const FAILSAFE = "222222222222";

/** A valid configuration for each stack mode (the placeholders of Pulumi.<stack>.yaml). */
export function baseConfig(sides: "copy" | "save" | "both"): Record<string, string> {
  return {
    sides,
    region: "eu-west-1",
    prodAccountId: PROD,
    failsafeAccountId: FAILSAFE,
    // A notification target is required; "none" keeps the inventory free of e-mail subscriptions.
    notifications: "none",
    ...(sides !== "save" ? { prodRoleArn: `arn:aws:iam::${PROD}:role/rds-failsafe-deploy` } : {}),
    ...(sides !== "copy"
      ? {
          failsafeRoleArn: `arn:aws:iam::${FAILSAFE}:role/rds-failsafe-deploy`,
          breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/break-glass`,
        }
      : {}),
  };
}

const ROOT = path.resolve(__dirname, "..", "..");
const cache = new Map<string, Evaluation>();

export interface EvaluateOptions {
  /**
   * Run as `pulumi preview` of a new stack: values providers compute (ids, ARNs, URLs) and every
   * input built from them are unknown (Pulumi's unknown sentinel in the record).
   */
  readonly preview?: boolean;
  /** Environment variables of the program's process (e.g. RDS_FAILSAFE_PREVIEW_ONLY). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs the program under mocks in a child process (test/program/evaluate.ts) and reads back what it
 * registered. Throws with the program's stderr when it fails (e.g. a config error).
 */
export function evaluateProgram(
  config: Record<string, string>,
  stackOutputs: Record<string, unknown> = {},
  options: EvaluateOptions = {},
): Evaluation {
  const preview = options.preview === true;
  const key = JSON.stringify([config, stackOutputs, preview, options.env ?? {}]);
  const cached = cache.get(key);
  if (cached) {
    return cached;
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "rds-failsafe-eval-"));
  const run = spawnSync(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      path.join(ROOT, "test", "program", "evaluate.ts"),
      JSON.stringify(config),
      outDir,
      "test",
      preview ? "preview" : "update",
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        ...options.env,
        MOCK_STACK_OUTPUTS: JSON.stringify(stackOutputs),
      },
      timeout: 120_000,
    },
  );
  if (run.status !== 0) {
    throw new Error(`program failed under mocks:\n${run.stderr}${run.stdout}`);
  }
  const evaluation = readEvaluation(outDir);
  cache.set(key, evaluation);
  return evaluation;
}

function readEvaluation(outDir: string): Evaluation {
  const read = (file: string) =>
    JSON.parse(fs.readFileSync(path.join(outDir, file), "utf8")) as unknown;
  return {
    resources: read("resources.json") as ResourceRecord[],
    outputs: read("outputs.json") as Record<string, unknown>,
    archivesDir: path.join(outDir, "archives"),
    evaluationMs: (read("timing.json") as { evaluationMs: number }).evaluationMs,
  };
}

/**
 * evaluateProgram without blocking: several stacks (one copy stack per prod account) are
 * evaluated side by side, each in its own process.
 */
export function evaluateProgramAsync(config: Record<string, string>): Promise<Evaluation> {
  const key = JSON.stringify([config, {}]);
  const cached = cache.get(key);
  if (cached) {
    return Promise.resolve(cached);
  }
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "rds-failsafe-eval-"));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(ROOT, "test", "program", "evaluate.ts"),
        JSON.stringify(config),
        outDir,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, MOCK_STACK_OUTPUTS: "{}" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) {
        reject(new Error(`program failed under mocks:\n${output}`));
        return;
      }
      const evaluation = readEvaluation(outDir);
      cache.set(key, evaluation);
      resolve(evaluation);
    });
  });
}

export const ofType = (e: Evaluation, type: string) => e.resources.filter((r) => r.type === type);

/** Parses a policy-document input (JSON string) into its statements. */
export function statementsOf(policy: unknown): Record<string, unknown>[] {
  const doc = (typeof policy === "string" ? JSON.parse(policy) : policy) as {
    Statement: Record<string, unknown> | Record<string, unknown>[];
  };
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

export const asArray = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/**
 * The recorded resources as the policy pack sees them in `pulumi preview`: props are the mocked
 * outputs (inputs plus ARNs; in a preview evaluation, unknown sentinels for what is not known),
 * each with its provider's inputs, its parent's URN and its recorded dependencies. Component
 * resources are included (stack policies read the parent chain), providers are not resources here.
 */
export function policyResources(e: Evaluation): MockResource[] {
  const providers = new Map(ofType(e, "pulumi:providers:aws").map((p) => [p.name, p]));
  return e.resources
    .filter((r) => !r.type.startsWith("pulumi:"))
    .map((r) => {
      const provider = r.provider ? providers.get(r.provider) : undefined;
      return {
        type: r.type,
        name: r.name,
        urn: r.urn,
        props: r.state,
        ...(r.parent ? { parent: r.parent } : {}),
        ...(r.dependencies ? { dependencies: r.dependencies } : {}),
        ...(r.propertyDependencies ? { propertyDependencies: r.propertyDependencies } : {}),
        ...(provider
          ? {
              provider: {
                type: provider.type,
                name: provider.name,
                urn: provider.urn,
                props: provider.inputs,
              },
            }
          : {}),
      };
    });
}
