/**
 * A brand-new account pair on the emulator, as a user has it before the first `pulumi up`: the
 * roles the bootstrap stacks create (names and trust as components/deploy-roles.ts builds them;
 * moto enforces no IAM, so their policies matter only to the IAM-engine tests), a break-glass
 * role, a new account's Lambda concurrency quota, and the repository's stack files with the
 * notification target set. Used by the preflight and acceptance tests and the demo.
 */
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  TagRoleCommand,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { CreateDBClusterCommand, CreateDBInstanceCommand } from "@aws-sdk/client-rds";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { main } from "../../cli/index";
import { BOOTSTRAP_ROLE_NAMES, DEFAULT_PERMISSIONS_BOUNDARY } from "../../components/config";
import { deployDocuments } from "../../components/deploy-permissions";
import { sameAccountTrustPolicy } from "../../components/deploy-roles";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
} from "../harness";

const ROOT = path.resolve(__dirname, "..", "..");
export const BREAK_GLASS = `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/rds-failsafe-break-glass`;
export const deployRoleArn = (account: string) =>
  `arn:aws:iam::${account}:role/${BOOTSTRAP_ROLE_NAMES.deploy}`;

/** IAM of one emulated account (the harness's clients have no IAM). */
export async function iamOf(account: string): Promise<IAMClient> {
  const clients = await accountClients(account);
  return new IAMClient({
    region: REGION,
    endpoint: emulatorEndpoint(),
    credentials: clients.credentials,
    maxAttempts: 2,
  });
}

export interface PairOptions {
  /** Create the bootstrap's roles and boundary (default true). */
  readonly bootstrap?: boolean;
  /** Create the break-glass role (default true). */
  readonly breakGlass?: boolean;
  /** The failsafe bootstrap's drRegion (its boundary holds the DR statements); default none. */
  readonly drRegion?: string;
  /** Each account's Lambda concurrency quota (emulator extension 15; default 10, a new account's). */
  readonly lambdaConcurrency?: number;
}

/** The bootstrap's outcome in both accounts, and a new account's quotas. */
export async function prepareAccountPair(options: PairOptions = {}): Promise<void> {
  const quota = options.lambdaConcurrency ?? 10;
  await emulatorConfig({
    rds_failsafe_accounts: {
      lambdaConcurrency: { [PROD_ACCOUNT]: quota, [FAILSAFE_ACCOUNT]: quota },
    },
  });
  for (const [account, kind] of [
    [PROD_ACCOUNT, "prod"],
    [FAILSAFE_ACCOUNT, "failsafe"],
  ] as const) {
    const iam = await iamOf(account);
    try {
      if (options.bootstrap !== false) {
        const documents = deployDocuments({
          region: REGION,
          account,
          kind,
          failsafeAccountId: FAILSAFE_ACCOUNT,
          ...(kind === "failsafe" && options.drRegion ? { drRegion: options.drRegion } : {}),
        });
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: DEFAULT_PERMISSIONS_BOUNDARY,
            PolicyDocument: documents.boundary,
          }),
        );
        for (const name of Object.values(BOOTSTRAP_ROLE_NAMES)) {
          await iam.send(
            new CreateRoleCommand({
              RoleName: name,
              AssumeRolePolicyDocument: sameAccountTrustPolicy(REGION, account, [
                `arn:aws:iam::${account}:role/admin`,
              ]),
              Tags: [
                { Key: "Application", Value: "rds-failsafe" },
                { Key: "Stack", Value: `bootstrap-${kind}` },
              ],
            }),
          );
        }
      }
      if (kind === "failsafe" && options.breakGlass !== false) {
        await iam.send(
          new CreateRoleCommand({
            RoleName: BREAK_GLASS.split("/").pop(),
            AssumeRolePolicyDocument: sameAccountTrustPolicy(REGION, account, [
              `arn:aws:iam::${account}:role/security-officer`,
            ]),
          }),
        );
      }
    } finally {
      iam.destroy();
    }
  }
}

/** A database in the prod account, as the user has it (automated backups 7 days). */
export async function createDatabase(
  kind: "instance" | "cluster",
  id: string,
  opts: { tagged?: boolean; kmsKeyId?: string } = {},
): Promise<void> {
  const { rds } = await accountClients(PROD_ACCOUNT);
  const common = {
    MasterUsername: "app",
    MasterUserPassword: "not-a-secret-1",
    BackupRetentionPeriod: 7,
    ...(opts.kmsKeyId ? { StorageEncrypted: true, KmsKeyId: opts.kmsKeyId } : {}),
    Tags: opts.tagged ? [{ Key: "Failsafe", Value: "True" }] : [{ Key: "team", Value: "data" }],
  };
  if (kind === "instance") {
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        ...common,
      }),
    );
  } else {
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: id,
        Engine: "aurora-postgresql",
        ...common,
      }),
    );
  }
}

/**
 * An application's own CMK in prod: the default key policy (the account administers and uses it
 * through IAM), plus `statements`.
 */
export async function createAppKey(statements: readonly object[] = []): Promise<string> {
  const { kms } = await accountClients(PROD_ACCOUNT);
  const key = await kms.send(
    new CreateKeyCommand({
      Description: "an application's own CMK",
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Enable IAM User Permissions",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${PROD_ACCOUNT}:root` },
            Action: "kms:*",
            Resource: "*",
          },
          ...statements,
        ],
      }),
    }),
  );
  return key.KeyMetadata?.Arn ?? "";
}

/** A role named like a function role, made by someone else (a name collision). */
export async function createForeignRole(account: string, name: string): Promise<void> {
  const iam = await iamOf(account);
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: sameAccountTrustPolicy(REGION, account, [
          `arn:aws:iam::${account}:role/admin`,
        ]),
      }),
    );
    await iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: "team", Value: "data" }] }));
  } finally {
    iam.destroy();
  }
}

export async function emulatorConfig(config: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${emulatorEndpoint()}/moto-api/config`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(config),
  });
  if (!response.ok) {
    throw new Error(`moto config failed: HTTP ${response.status} ${await response.text()}`);
  }
}

/**
 * The repository's stack files (placeholder ids = the emulator's accounts), with a notification
 * target and the break-glass role above, plus `extra` keys per stack; in a temporary directory.
 */
export function writeStackFiles(
  extra: { failsafe?: Record<string, unknown>; prod?: Record<string, unknown> } = {},
): { dir: string; failsafe: string; prod: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rds-failsafe-stacks-"));
  const write = (stack: "failsafe" | "prod", keys: Record<string, unknown>) => {
    const source = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
      config: Record<string, unknown>;
    };
    const config: Record<string, unknown> = { ...source.config };
    for (const [k, v] of Object.entries(keys)) {
      if (v === undefined) delete config[`rds-failsafe:${k}`];
      else config[`rds-failsafe:${k}`] = v;
    }
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, stringify({ config }));
    return file;
  };
  return {
    dir,
    failsafe: write("failsafe", {
      breakGlassPrincipalArn: BREAK_GLASS,
      ...extra.failsafe,
    }),
    prod: write("prod", { ...extra.prod }),
  };
}

/** The CLI in-process, as an operator runs it, against the emulator; returns status and output. */
export async function runCli(
  args: readonly string[],
  roles: { prod?: string; failsafe?: string } = {
    prod: deployRoleArn(PROD_ACCOUNT),
    failsafe: deployRoleArn(FAILSAFE_ACCOUNT),
  },
): Promise<{ status: number; output: string }> {
  const lines: string[] = [];
  const out = { line: (t = "") => lines.push(t), error: (t: string) => lines.push(t) };
  // The default credential chain, as an operator's shell has it (moto checks no signature; the
  // role ARN picks the account).
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = "AKIAEMULATOR0000TEST";
  process.env.AWS_SECRET_ACCESS_KEY = "emulator";
  try {
    const status = await main(
      [
        "--region",
        REGION,
        "--endpoint",
        emulatorEndpoint(),
        ...(roles.prod ? ["--prod-role-arn", roles.prod] : []),
        ...(roles.failsafe ? ["--failsafe-role-arn", roles.failsafe] : []),
        ...args,
      ],
      out,
    );
    return { status, output: lines.join("\n") };
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  }
}
