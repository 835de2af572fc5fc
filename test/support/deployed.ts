// The deployed code: each CallbackFunction's archive from the Pulumi program under mocks, run in
// its own Lambda-like process (LambdaProcess) with the settings the program gives it and the
// credentials of its account. Shared by test/program/serialized.test.ts, the fault suite and the
// scripts (demo, bench, faults).
import * as path from "node:path";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { NAMES } from "../../components/names";
import { SETTINGS_ENV } from "../../handlers/settings";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
} from "../harness";
import { baseConfig, evaluateProgram, ofType, type Evaluation } from "../program/support";
import { scheduledSweepEvent } from "./events";
import { LambdaProcess, lambdaRuntimeModules } from "./lambda-runtime";
import type { World } from "./world";

/** The deployed functions, by the names the program gives them. */
export const FUNCTIONS = NAMES.fn;

export type FunctionRole = keyof typeof FUNCTIONS;

/** How the program wires a queue-triggered function (components/*-side.ts, components/queue.ts). */
export interface QueueWiring {
  readonly batchSize: number;
  readonly maximumConcurrency: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
}

export interface DeployedCode {
  readonly program: Evaluation;
  /** Names of the deployed functions. */
  readonly names: readonly string[];
  /** Starts one (cold) instance of a function; `endpoint` defaults to the emulator. */
  spawn(name: string, endpoint?: string, env?: Record<string, string>): LambdaProcess;
  /** The event source mapping and queue settings the program gives a function. */
  wiring(name: string): QueueWiring | undefined;
}

let runtimeModules: string | undefined;

/** The program's archives (evaluated once per config) and a Lambda-like node_modules. */
function programArchives(config: Record<string, string>): {
  program: Evaluation;
  runtime: string;
} {
  runtimeModules ??= lambdaRuntimeModules();
  return { program: evaluateProgram(config), runtime: runtimeModules };
}

/**
 * The deployed functions for `world`: the program's settings, with the emulator's key ARNs (key ids
 * are random); the topic ARNs are the program's own (their names are fixed, so the emulator's are
 * the same). Functions of the save side run with failsafe credentials, the others with prod's.
 */
export async function deployedCode(
  world: Pick<World, "transitKeyArn" | "vaultKeyArn">,
  /** The stack config the program is evaluated with (default: a `both` stack's base config). */
  config: Record<string, string> = baseConfig("both"),
) {
  const { program, runtime } = programArchives(config);
  const prod = await accountClients(PROD_ACCOUNT);
  const failsafe = await accountClients(FAILSAFE_ACCOUNT);
  const functions = ofType(program, "aws:lambda/function:Function");
  const byName = new Map(functions.map((f) => [String(f.inputs.name), f]));
  const code: DeployedCode = {
    program,
    names: [...byName.keys()],
    spawn(name, endpoint = emulatorEndpoint(), extraEnv = {}) {
      const f = byName.get(name);
      if (!f) throw new Error(`the program deploys no function ${name}`);
      const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
      const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as Record<string, unknown>;
      if (settings.transitKmsKeyArn) settings.transitKmsKeyArn = world.transitKeyArn;
      if (settings.vaultKmsKeyArn) settings.vaultKmsKeyArn = world.vaultKeyArn;
      const account = f.urn.includes("SaveSide") ? failsafe : prod;
      return new LambdaProcess(
        name,
        path.join(program.archivesDir, name),
        {
          [SETTINGS_ENV]: JSON.stringify(settings),
          AWS_REGION: REGION,
          AWS_ENDPOINT_URL: endpoint,
          AWS_ACCESS_KEY_ID: account.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: account.credentials.secretAccessKey,
          AWS_SESSION_TOKEN: account.credentials.sessionToken,
          ...extraEnv,
        },
        runtime,
      );
    },
    wiring(name) {
      const mapping = ofType(program, "aws:lambda/eventSourceMapping:EventSourceMapping").find(
        (m) => String(m.inputs.functionName).endsWith(`:function:${name}`),
      );
      if (!mapping) return undefined;
      const queues = ofType(program, "aws:sqs/queue:Queue");
      const source = String(mapping.inputs.eventSourceArn);
      const queue = queues.find((q) => source.endsWith(`:${String(q.inputs.name)}`));
      const policy = queue?.inputs.redrivePolicy;
      const redrive = JSON.parse(typeof policy === "string" ? policy : "{}") as {
        maxReceiveCount?: number;
      };
      return {
        batchSize: Number(mapping.inputs.batchSize),
        maximumConcurrency: Number(
          (mapping.inputs.scalingConfig as { maximumConcurrency?: number } | undefined)
            ?.maximumConcurrency ?? 1,
        ),
        visibilityTimeoutSeconds: Number(queue?.inputs.visibilityTimeoutSeconds ?? 30),
        maxReceiveCount: Number(redrive.maxReceiveCount ?? 5),
      };
    },
  };
  return code;
}

/** One instance of every function, and `world`'s deliver* helpers pointed at them. */
export async function useDeployedCode(world: World): Promise<Record<string, LambdaProcess>> {
  const code = await deployedCode(world);
  const functions = Object.fromEntries(code.names.map((name) => [name, code.spawn(name)]));
  const fn = (name: string) => {
    const p = functions[name];
    if (!p) throw new Error(`the program deploys no function ${name}`);
    return p;
  };
  const sqs = (name: string) => (event: SQSEvent) => fn(name).invoke<SQSBatchResponse>(event);
  world.prodSide = {
    copy: sqs(FUNCTIONS.copy),
    share: sqs(FUNCTIONS.share),
    sweep: () =>
      fn(FUNCTIONS.prodSweep).invoke(
        scheduledSweepEvent(FUNCTIONS.prodSweep, PROD_ACCOUNT, REGION),
      ),
  };
  world.failsafeSide = {
    save: sqs(FUNCTIONS.save),
    retention: sqs(FUNCTIONS.retention),
    sweep: () =>
      fn(FUNCTIONS.failsafeSweep).invoke(
        scheduledSweepEvent(FUNCTIONS.failsafeSweep, FAILSAFE_ACCOUNT, REGION),
      ),
    // restore drills (issue 12): the drill run is scheduled like the sweeps (its own FIFO queue)
    drill: () =>
      fn(FUNCTIONS.drill).invoke(scheduledSweepEvent(FUNCTIONS.drill, FAILSAFE_ACCOUNT, REGION)),
    drillVerify: sqs(FUNCTIONS.drillVerify),
  };
  return functions;
}
