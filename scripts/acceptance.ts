// npm run acceptance: the acceptance run in a sandbox account pair where both stacks are deployed
// (scripts/acceptance-run.ts says what it does). For AWS:
//
//   npm run acceptance -- --region eu-west-1 --prod-profile sandbox-prod --failsafe-profile sandbox-failsafe
//       [--prod-role-arn … / --failsafe-role-arn …] [--db-subnet-group <name>] [--keep]
//
// It creates (and deletes) three small databases and one KMS key, and takes up to --minutes
// (default 90) while RDS makes the first automated snapshots and copies them. On the emulator:
//
//   npm run acceptance -- --emulator        (starts moto like npm run demo)
import { GetFunctionCommand, InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { KMSClient } from "@aws-sdk/client-kms";
import { Command } from "commander";
import { spawnSync } from "node:child_process";
import { accountClients, clientConfig, type AccountOptions } from "../cli/accounts";
import { table } from "../cli/output";
import { NAMES } from "../components/names";
import { setEmulatorEndpoint } from "../test/harness";
import { scheduledSweepEvent } from "../test/support/events";
import { startEmulator, type RunningEmulator } from "../test/support/emulator-process";
import { emulatorEnvironment } from "./acceptance-emulator";
import { runAcceptance, type AcceptanceEnvironment, type AcceptanceResult } from "./acceptance-run";

interface Options extends Partial<AccountOptions> {
  readonly emulator?: boolean;
  readonly dbSubnetGroup?: string;
  readonly minutes: string;
  readonly keep?: boolean;
  readonly prefix?: string;
}

const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

async function awsEnvironment(options: Options): Promise<AcceptanceEnvironment> {
  if (!options.region) throw new Error("--region is required (or set AWS_REGION)");
  const globals = options as AccountOptions;
  const side = async (name: "prod" | "failsafe") => {
    const clients = accountClients(name, globals);
    const config = clientConfig(name, globals);
    const identity = await clients.identity();
    say(`${name}: ${identity.arn}`);
    return {
      account: identity.account,
      rds: clients.rds,
      kms: new KMSClient(config),
      lambda: new LambdaClient(config),
    };
  };
  const prod = await side("prod");
  const failsafe = await side("failsafe");
  const sweeps = {
    "prod-sweep": { name: NAMES.fn.prodSweep, at: prod },
    "failsafe-sweep": { name: NAMES.fn.failsafeSweep, at: failsafe },
  } as const;
  for (const { name, at } of Object.values(sweeps)) {
    try {
      await at.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    } catch (err) {
      throw new Error(
        `${name} is not deployed in ${at.account} (${err instanceof Error ? err.message : String(err)}): deploy both stacks first (docs/deploy.md)`,
      );
    }
  }
  return {
    region: options.region,
    prod,
    failsafe,
    async invokeSweep(which) {
      const { name, at } = sweeps[which];
      const result = await at.lambda.send(
        new InvokeCommand({
          FunctionName: name,
          Payload: Buffer.from(
            JSON.stringify(scheduledSweepEvent(name, at.account, options.region ?? "")),
          ),
        }),
      );
      if (result.FunctionError) {
        throw new Error(`${name} failed: ${Buffer.from(result.Payload ?? []).toString()}`);
      }
    },
    pause: () => new Promise((resolve) => setTimeout(resolve, 60_000)),
    instanceClass: "db.t4g.micro",
    ...(options.dbSubnetGroup ? { dbSubnetGroup: options.dbSubnetGroup } : {}),
    clusterInstance: true,
  };
}

export function printRows(rows: AcceptanceResult["rows"]): void {
  console.log(
    `\n${table(
      ["source", "encryption", "intermediate (prod)", "failsafe copy", "copy encrypted", "status"],
      rows.map((r) => [
        `${r.kind} ${r.id}`,
        r.encryption,
        r.intermediate,
        r.copy,
        r.copy ? (r.copyEncrypted ? "yes (vault key)" : "no (unencrypted cluster)") : undefined,
        r.status,
      ]),
    ).join("\n")}\n`,
  );
}

async function main(): Promise<number> {
  const program = new Command("acceptance")
    .option(
      "--region <region>",
      "AWS region",
      process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
    )
    .option("--prod-profile <name>")
    .option("--prod-role-arn <arn>")
    .option("--failsafe-profile <name>")
    .option("--failsafe-role-arn <arn>")
    .option("--endpoint <url>", "AWS endpoint override")
    .option(
      "--db-subnet-group <name>",
      "DB subnet group of the test databases (default: the default VPC's)",
    )
    .option("--minutes <n>", "give up after this long", "90")
    .option("--prefix <name>", "name prefix of the test databases")
    .option("--keep", "leave the databases, copies and key in place")
    .option("--emulator", "run on a local emulator (moto) instead of AWS")
    .parse(process.argv);
  const options = program.opts<Options>();
  const prefix = options.prefix ?? `rds-failsafe-acc-${Math.random().toString(36).slice(2, 7)}`;
  let emulator: RunningEmulator | undefined;
  try {
    let env: AcceptanceEnvironment;
    let rounds: number;
    if (options.emulator) {
      for (const script of ["test/emulator/setup.sh", "test/node22/setup.sh"]) {
        // the emulator's virtualenv, and the Node.js 22 the Lambda-like processes run on
        const setup = spawnSync("bash", [script], { stdio: "inherit" });
        if (setup.status !== 0) throw new Error(`${script} failed`);
      }
      emulator = await startEmulator();
      setEmulatorEndpoint(emulator.endpoint);
      say(
        `emulator at ${emulator.endpoint}; the sweeps are the deployed code in Lambda-like processes`,
      );
      env = await emulatorEnvironment();
      rounds = 5;
    } else {
      env = await awsEnvironment(options);
      rounds = Math.max(1, Math.ceil(Number(options.minutes) || 90));
    }
    const result = await runAcceptance(
      env,
      { prefix, rounds, keep: options.keep, report: printRows },
      say,
    );
    const missing = result.rows.filter((r) => r.status !== "protected").length;
    say(
      missing === 0
        ? `every database protected after ${result.rounds} round(s) of sweeps`
        : `${missing} database(s) without a failsafe copy after ${result.rounds} round(s): see the functions' logs`,
    );
    return missing === 0 && result.leftovers.length === 0 ? 0 : 1;
  } finally {
    await emulator?.stop();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
