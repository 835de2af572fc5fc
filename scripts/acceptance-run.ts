/**
 * The acceptance run (npm run acceptance): in a sandbox account pair where both stacks are
 * deployed, create three tiny databases (a DB instance unencrypted, a DB instance with the
 * default aws/rds key, an Aurora Serverless v2 cluster with an application CMK), tag them, run
 * the deployed sweep functions until each has an available failsafe copy (or time runs out),
 * print the table and clean up. The same steps run against the emulator in the tests, with the
 * deployed code run as test/support/deployed.ts runs it (moto's Lambda Invoke needs docker).
 *
 * Waiting and polling are fine here: this is an operator's script, not a Lambda.
 */
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  type RDSClient,
} from "@aws-sdk/client-rds";
import type { KMSClient } from "@aws-sdk/client-kms";
import { CreateKeyCommand, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { randomBytes } from "node:crypto";
import { keyPolicyFix } from "../cli/commands/preflight";
import { NAMES, regionArns } from "../components/names";
import { RdsSnapshots, type SnapshotInfo } from "../handlers/rds";
import { lineageOf } from "../handlers/lineage";
import { isManagedTagged } from "../handlers/tags";
import type { SnapshotKind } from "../handlers/naming";

export interface AcceptanceAccount {
  readonly account: string;
  readonly rds: RDSClient;
  readonly kms: KMSClient;
}

/** Where the run happens: AWS (Lambda Invoke) or the emulator (the deployed code in processes). */
export interface AcceptanceEnvironment {
  readonly region: string;
  readonly prod: AcceptanceAccount;
  readonly failsafe: AcceptanceAccount;
  /** Runs one deployed sweep, as its schedule would. */
  invokeSweep(which: "prod-sweep" | "failsafe-sweep"): Promise<void>;
  /** Waits between rounds (AWS: a minute; the emulator: not at all). */
  pause(): Promise<void>;
  /** Extra DB arguments (subnet group, instance class…). */
  readonly instanceClass: string;
  readonly dbSubnetGroup?: string;
  /** Whether CreateDBCluster also needs its one Serverless v2 instance (AWS: yes). */
  readonly clusterInstance: boolean;
}

export interface AcceptanceOptions {
  /** Names of the databases start with this (letters, digits, hyphens). */
  readonly prefix: string;
  /** Rounds of sweeps before giving up. */
  readonly rounds: number;
  /** Leave everything in place. */
  readonly keep?: boolean;
  /** Called with the table before the clean-up. */
  readonly report?: (rows: readonly AcceptanceRow[]) => void;
}

export interface AcceptanceRow {
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly encryption: "none" | "aws/rds" | "app CMK";
  readonly intermediate?: string;
  readonly copy?: string;
  readonly copyEncrypted?: boolean;
  readonly status: "protected" | "UNPROTECTED";
}

export interface AcceptanceResult {
  readonly rows: readonly AcceptanceRow[];
  readonly rounds: number;
  /** What the cleanup left, and why (e.g. failsafe copies under the org guard). */
  readonly leftovers: readonly string[];
}

export async function runAcceptance(
  env: AcceptanceEnvironment,
  options: AcceptanceOptions,
  say: (line: string) => void,
): Promise<AcceptanceResult> {
  const databases: { kind: SnapshotKind; id: string; encryption: AcceptanceRow["encryption"] }[] = [
    { kind: "instance", id: `${options.prefix}-plain`, encryption: "none" },
    { kind: "instance", id: `${options.prefix}-awsrds`, encryption: "aws/rds" },
    { kind: "cluster", id: `${options.prefix}-cmk`, encryption: "app CMK" },
  ];
  const arns = regionArns(env.region);
  const roles = [NAMES.fn.copy, NAMES.fn.prodSweep].map((n) => arns.role(env.prod.account, n));
  say(
    `creating an application CMK in prod whose policy lets ${roles.join(" and ")} have RDS use it`,
  );
  const key = await env.prod.kms.send(
    new CreateKeyCommand({
      Description: `rds-failsafe acceptance (${options.prefix}): an application's own CMK`,
      Policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "AccountAdministersAndUsesKeyThroughIam",
            Effect: "Allow",
            Principal: { AWS: arns.root(env.prod.account) },
            Action: "kms:*",
            Resource: "*",
          },
          ...(JSON.parse(keyPolicyFix(arns.viaService("rds"), roles)) as object[]),
        ],
      }),
      Tags: [{ TagKey: "rds-failsafe-acceptance", TagValue: options.prefix }],
    }),
  );
  const keyArn = key.KeyMetadata?.Arn ?? "";
  const leftovers: string[] = [];
  let rounds = 0;
  let rows: AcceptanceRow[] = [];
  try {
    for (const db of databases) {
      say(`creating ${db.kind} ${db.id} (${db.encryption}), tagged Failsafe=True`);
      await createDatabase(env, db, keyArn);
    }
    await waitAvailable(env, databases, options.rounds, say);

    const intermediates = new RdsSnapshots(env.prod.rds);
    const copies = new RdsSnapshots(env.failsafe.rds);
    for (; rounds < options.rounds; rounds += 1) {
      await env.invokeSweep("prod-sweep");
      await env.invokeSweep("failsafe-sweep");
      rows = await table(databases, intermediates, copies, env.prod.account);
      const done = rows.filter((r) => r.status === "protected").length;
      say(`round ${rounds + 1}: ${done}/${rows.length} databases have an available failsafe copy`);
      if (done === rows.length) {
        rounds += 1;
        break;
      }
      await env.pause();
    }
    options.report?.(rows);
    return { rows, rounds, leftovers };
  } finally {
    if (options.keep) {
      say("--keep: the databases, their copies and the key stay");
    } else {
      await cleanUp(env, databases, keyArn, leftovers, say);
    }
  }
}

async function createDatabase(
  env: AcceptanceEnvironment,
  db: { kind: SnapshotKind; id: string; encryption: AcceptanceRow["encryption"] },
  keyArn: string,
): Promise<void> {
  const password = randomBytes(18).toString("base64url"); // never stored: the data is throwaway
  const tags = [
    { Key: "Failsafe", Value: "True" },
    { Key: "rds-failsafe-acceptance", Value: "true" },
  ];
  const encryption =
    db.encryption === "none"
      ? { StorageEncrypted: false }
      : db.encryption === "aws/rds"
        ? { StorageEncrypted: true } // RDS uses the account's aws/rds key
        : { StorageEncrypted: true, KmsKeyId: keyArn };
  const subnets = env.dbSubnetGroup ? { DBSubnetGroupName: env.dbSubnetGroup } : {};
  if (db.kind === "instance") {
    await env.prod.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: db.id,
        Engine: "postgres",
        DBInstanceClass: env.instanceClass,
        AllocatedStorage: 20,
        MasterUsername: "acceptance",
        MasterUserPassword: password,
        BackupRetentionPeriod: 1,
        PubliclyAccessible: false,
        ...encryption,
        ...subnets,
        Tags: tags,
      }),
    );
    return;
  }
  await env.prod.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: db.id,
      Engine: "aurora-postgresql",
      MasterUsername: "acceptance",
      MasterUserPassword: password,
      BackupRetentionPeriod: 1,
      ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 1 },
      ...encryption,
      ...subnets,
      Tags: tags,
    }),
  );
  if (env.clusterInstance) {
    await env.prod.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${db.id}-1`,
        DBClusterIdentifier: db.id,
        Engine: "aurora-postgresql",
        DBInstanceClass: "db.serverless",
        Tags: tags,
      }),
    );
  }
}

async function waitAvailable(
  env: AcceptanceEnvironment,
  databases: readonly { kind: SnapshotKind; id: string }[],
  rounds: number,
  say: (line: string) => void,
): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    const states: string[] = [];
    for (const db of databases) {
      states.push(
        db.kind === "instance"
          ? ((
              await env.prod.rds.send(
                new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.id }),
              )
            ).DBInstances?.[0]?.DBInstanceStatus ?? "?")
          : ((
              await env.prod.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: db.id }))
            ).DBClusters?.[0]?.Status ?? "?"),
      );
    }
    if (states.every((s) => s === "available")) {
      say("every database is available");
      return;
    }
    say(
      `waiting for the databases: ${databases.map((d, i) => `${d.id} ${states[i] ?? "?"}`).join(", ")}`,
    );
    await env.pause();
  }
  throw new Error("the databases did not become available in time");
}

async function table(
  databases: readonly { kind: SnapshotKind; id: string; encryption: AcceptanceRow["encryption"] }[],
  prod: RdsSnapshots,
  failsafe: RdsSnapshots,
  prodAccount: string,
): Promise<AcceptanceRow[]> {
  const rows: AcceptanceRow[] = [];
  for (const db of databases) {
    const mine = (s: SnapshotInfo) => isManagedTagged(s.tags) && s.sourceId === db.id;
    const intermediate = (await collect(prod.listSnapshots(db.kind, "manual", db.id))).find(mine);
    const copy = (await collect(failsafe.listSnapshots(db.kind, "manual", db.id))).find(
      (s) =>
        lineageOf(s)?.account === prodAccount &&
        lineageOf(s)?.sourceId === db.id &&
        s.status === "available",
    );
    rows.push({
      kind: db.kind,
      id: db.id,
      encryption: db.encryption,
      ...(intermediate ? { intermediate: intermediate.id } : {}),
      ...(copy ? { copy: copy.id, copyEncrypted: copy.encrypted } : {}),
      status: copy ? "protected" : "UNPROTECTED",
    });
  }
  return rows;
}

async function cleanUp(
  env: AcceptanceEnvironment,
  databases: readonly { kind: SnapshotKind; id: string }[],
  keyArn: string,
  leftovers: string[],
  say: (line: string) => void,
): Promise<void> {
  const attempt = async (what: string, run: () => Promise<unknown>) => {
    try {
      await run();
      say(`  deleted ${what}`);
    } catch (err) {
      leftovers.push(
        `${what}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
    }
  };
  say("cleaning up");
  for (const db of databases) {
    if (db.kind === "instance") {
      await attempt(`DB instance ${db.id}`, () =>
        env.prod.rds.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: db.id,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        ),
      );
    } else {
      if (env.clusterInstance) {
        await attempt(`DB instance ${db.id}-1`, () =>
          env.prod.rds.send(
            new DeleteDBInstanceCommand({
              DBInstanceIdentifier: `${db.id}-1`,
              SkipFinalSnapshot: true,
            }),
          ),
        );
      }
      await attempt(`cluster ${db.id}`, () =>
        env.prod.rds.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: db.id, SkipFinalSnapshot: true }),
        ),
      );
    }
    // The intermediate copies in prod, and the failsafe copies: the program never deletes a
    // copy of a database that is gone (freeze), so the acceptance run removes its own.
    for (const [account, rds] of [
      ["prod", env.prod.rds],
      ["failsafe", env.failsafe.rds],
    ] as const) {
      const snapshots = await collect(
        new RdsSnapshots(rds).listSnapshots(db.kind, "manual", db.id),
      );
      for (const s of snapshots.filter((x) => isManagedTagged(x.tags) && x.sourceId === db.id)) {
        await attempt(`${account} ${db.kind} snapshot ${s.id}`, () =>
          db.kind === "instance"
            ? rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: s.id }))
            : rds.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: s.id })),
        );
      }
    }
  }
  await attempt(`key ${keyArn} (deletion scheduled in 7 days)`, () =>
    env.prod.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyArn.split("/").pop(), PendingWindowInDays: 7 }),
    ),
  );
  for (const left of leftovers) {
    say(`  left: ${left}`);
  }
  if (leftovers.some((l) => l.startsWith("failsafe"))) {
    say(
      "  failsafe copies that could not be deleted (the org guard lets only the retention functions and break-glass delete them): retire them with npx rds-failsafe retire --source <db> --apply, and have break-glass delete them",
    );
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
