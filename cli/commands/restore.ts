import { createHash } from "node:crypto";
import type { Command } from "commander";
import { kmsKeyId } from "../../handlers/context";
import { RdsDatabases, restoreCall, type RestoreRequest } from "../../handlers/drill-rds";
import { isValidSnapshotId } from "../../handlers/naming";
import { RdsSnapshots } from "../../handlers/rds";
import { accountClients, UsageError, type AccountClients, type AccountOptions } from "../accounts";
import { call } from "../aws-errors";
import { colour, type Out } from "../output";
import {
  describeKey,
  ensureRecoveryKey,
  recoveryKeyAlias,
  recoveryKeyPolicy,
  vaultKeyId,
} from "../recovery-key";
import {
  copyRows,
  rulesInForce,
  stamp,
  withRulesOptions,
  type CopyRow,
  type RulesOptions,
} from "./copies";

export interface RestoreOptions extends RulesOptions {
  readonly source: string;
  readonly as: string;
  readonly at?: string;
  readonly lineage?: string;
  readonly apply?: boolean;
  readonly instanceClass?: string;
  readonly subnetGroup?: string;
  readonly securityGroupIds?: string;
  readonly toAccount?: string;
  readonly kmsKey?: string;
  readonly pollSeconds?: string;
  readonly waitMinutes?: string;
}

const ORG_GUARD_HINT =
  "With the org guard (docs/org-guard.md), copying a managed copy and sharing snapshots are for the break-glass principal only: run this with its credentials";

export function registerRestore(program: Command, out: Out, globals: () => AccountOptions): void {
  withRulesOptions(
    program
      .command("restore")
      .description(
        "restore the newest failsafe copy of a database at or before --at into a new database (dry run unless --apply); --to-account shares it with a recovery account instead",
      )
      .requiredOption(
        "--source <db>",
        "database: orders, instance/orders or <account>/instance/orders",
      )
      .requiredOption("--as <new-id>", "identifier of the new DB instance or DB cluster")
      .option("--at <time>", "ISO 8601 time: the newest copy at or before it (default: now)")
      .option(
        "--lineage <resource-id>",
        "only copies of this lineage (DbiResourceId / DbClusterResourceId)",
      )
      .option(
        "--instance-class <class>",
        "DB instance class (default for instances: the source's; required for clusters)",
      )
      .option("--subnet-group <name>", "DB subnet group (default: the default VPC)")
      .option("--security-group-ids <ids>", "VPC security group ids, comma-separated")
      .option(
        "--to-account <id>",
        "share a copy with this recovery account instead of restoring it here",
      )
      .option(
        "--kms-key <key>",
        `with --to-account: a key the recovery account may use (default: ${recoveryKeyAlias("<account>")}, created if missing)`,
      )
      .option("--poll-seconds <n>", "how often --apply checks progress", "30")
      .option(
        "--wait-minutes <n>",
        "how long --apply shows progress before it leaves the rest to RDS",
        "120",
      )
      .option("--apply", "make the change (default: print exactly what would be done)"),
  ).action(async (options: RestoreOptions) => {
    await restore(globals(), options, out);
  });
}

/** RDS DB instance / cluster identifiers: 1-63 letters, digits or hyphens, a letter first, no "--", no trailing "-". */
const DB_ID = /^[a-zA-Z](?:-?[a-zA-Z0-9])*$/;

function parseAt(at: string | undefined): Date {
  if (at === undefined) return new Date();
  const time = /^\d{4}-\d{2}-\d{2}/.test(at) ? new Date(at) : new Date(Number.NaN);
  if (Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--at ${JSON.stringify(at)} must be an ISO 8601 time, e.g. 2026-11-22T05:00:00Z`,
    );
  }
  return time;
}

/** The newest available copy with data time at or before `at`, of one lineage if asked. */
export function pickCopy(
  rows: readonly CopyRow[],
  at: Date,
  source: string,
  lineage?: string,
): CopyRow {
  const mine = lineage ? rows.filter((r) => r.lineage.resourceId === lineage) : rows;
  if (lineage && mine.length === 0) {
    const known = [...new Set(rows.map((r) => r.lineage.resourceId))].join(", ");
    throw new UsageError(`${source} has no lineage ${lineage}; its lineages: ${known}`);
  }
  const available = mine.filter((r) => r.copy.status === "available" && r.dataTime);
  const chosen = available.find((r) => (r.dataTime as Date) <= at);
  if (!chosen) {
    const oldest = available.at(-1);
    throw new UsageError(
      oldest
        ? `no copy of ${source} at or before ${at.toISOString()}: the oldest available copy is ${oldest.copy.id} (${stamp(oldest.dataTime)})`
        : `no available copy of ${source} (copies still being made: npx rds-failsafe copies --source ${source})`,
    );
  }
  return chosen;
}

function number(name: string, value: string | undefined, fallback: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number`);
  return n;
}

export async function restore(
  globals: AccountOptions,
  options: RestoreOptions,
  out: Out,
): Promise<void> {
  const failsafe = accountClients("failsafe", globals);
  if (!DB_ID.test(options.as) || options.as.length > 63) {
    throw new UsageError(
      `--as ${JSON.stringify(options.as)} is not a valid RDS identifier: 1-63 letters, digits or hyphens, starting with a letter, no "--", not ending with "-"`,
    );
  }
  const at = parseAt(options.at);
  const { rules } = await rulesInForce(failsafe, options);
  const rows = await copyRows(failsafe, options.source, rules);
  const chosen = pickCopy(rows, at, options.source, options.lineage);
  const lineages = new Set(rows.map((r) => r.lineage.key));
  const { copy } = chosen;
  out.line(
    `${options.source}: newest copy at or before ${at.toISOString()} is ${copy.kind} copy ${copy.id}`,
  );
  out.line(
    `  data time ${stamp(chosen.dataTime)}, lineage ${chosen.lineage.resourceId} (${chosen.lineage.status}), ${copy.engine ?? "?"} ${copy.engineVersion ?? "?"}, ${copy.allocatedStorage ?? "?"} GiB, key ${chosen.key}, last drill ${chosen.lastDrill}`,
  );
  if (lineages.size > 1 && !options.lineage) {
    out.line(
      colour(
        `  ${options.source} has ${lineages.size} lineages (the database was re-created): this one holds the newest copy at or before --at. Another: --lineage <resource-id> (see npx rds-failsafe copies --source ${options.source}).`,
        "warn",
      ),
    );
  }
  if (options.toAccount !== undefined) {
    await share(failsafe, globals, options, chosen, out);
    return;
  }
  await restoreHere(failsafe, globals, options, chosen, out);
}

async function restoreHere(
  failsafe: AccountClients,
  globals: AccountOptions,
  options: RestoreOptions,
  chosen: CopyRow,
  out: Out,
): Promise<void> {
  const { copy } = chosen;
  const databases = new RdsDatabases(failsafe.rds);
  const cluster = copy.kind === "cluster";
  const memberId = `${options.as}-1`;
  if (cluster && !options.instanceClass) {
    throw new UsageError(
      "a cluster restore needs --instance-class: RestoreDBClusterFromSnapshot restores the cluster, its first DB instance is created with that class (e.g. db.r6g.large)",
    );
  }
  if (cluster && memberId.length > 63) {
    throw new UsageError(
      `--as ${options.as} is too long for a cluster: its instance ${memberId} must fit in 63 characters`,
    );
  }
  if (
    await call(`rds:Describe${cluster ? "DBClusters" : "DBInstances"}`, () =>
      databases.exists(copy.kind, options.as),
    )
  ) {
    throw new UsageError(
      `--as ${options.as} is taken: a DB ${cluster ? "cluster" : "instance"} with that identifier exists in the failsafe account; choose another`,
    );
  }
  if (cluster && (await databases.exists("instance", memberId))) {
    throw new UsageError(
      `--as ${options.as}: its instance identifier ${memberId} is taken by a DB instance`,
    );
  }
  const identity = await failsafe.identity();
  const request: RestoreRequest = {
    kind: copy.kind,
    id: options.as,
    snapshotId: copy.id,
    instanceClass: cluster ? undefined : options.instanceClass,
    engine: copy.engine,
    engineVersion: copy.engineVersion,
    subnetGroup: options.subnetGroup,
    securityGroupIds: options.securityGroupIds
      ?.split(",")
      .map((g) => g.trim())
      .filter(Boolean),
    tags: { "failsafe:restored-from": copy.arn, "failsafe:restored-at": new Date().toISOString() },
  };
  const { operation, input } = restoreCall(request);
  out.line(
    `Will restore it in the failsafe account ${identity.account} (${globals.region}) as ${copy.kind} ${options.as}:`,
  );
  out.line(`  ${operation} ${JSON.stringify(input, null, 2).replace(/\n/g, "\n  ")}`);
  const member = cluster
    ? {
        DBInstanceIdentifier: memberId,
        DBClusterIdentifier: options.as,
        Engine: copy.engine,
        DBInstanceClass: options.instanceClass,
        PubliclyAccessible: false,
      }
    : undefined;
  if (member) {
    out.line(`  then, once the cluster is available: CreateDBInstance ${JSON.stringify(member)}`);
  }
  if (!options.apply) {
    out.line("dry run: nothing changed. Add --apply to restore.");
    return;
  }
  const pollMs = number("poll-seconds", options.pollSeconds, 30) * 1000;
  const deadline = Date.now() + number("wait-minutes", options.waitMinutes, 120) * 60_000;
  const started = Date.now();
  const made = await call(`rds:${operation}`, () => databases.restore(request));
  if (made === "exists") {
    throw new UsageError(`--as ${options.as} was taken meanwhile: nothing restored`);
  }
  out.line(`restore started at ${new Date(started).toISOString()}`);
  const progress = async (kind: "instance" | "cluster", id: string): Promise<boolean> =>
    waitAvailable(out, `${kind} ${id}`, started, pollMs, deadline, async () => {
      return (await databases.describe(kind, id))?.status;
    });
  if (!(await progress(copy.kind, options.as))) return;
  if (member && options.instanceClass && copy.engine) {
    await call("rds:CreateDBInstance", () =>
      databases.createClusterInstance({
        id: memberId,
        clusterId: options.as,
        engine: copy.engine as string,
        instanceClass: options.instanceClass as string,
        tags: request.tags,
      }),
    );
    if (!(await progress("instance", memberId))) return;
  }
  const db = await databases.describeInstance(cluster ? memberId : options.as);
  const endpoint = db?.Endpoint;
  out.line(
    colour(
      `${copy.kind} ${options.as} is available after ${Math.round((Date.now() - started) / 1000)} s${endpoint?.Address ? `: ${endpoint.Address}:${endpoint.Port ?? ""}` : ""}. Its data is as of ${stamp(chosen.dataTime)}.`,
      "good",
    ),
  );
}

/** Polls until available; false (with what to do) when the wait ends first. */
async function waitAvailable(
  out: Out,
  what: string,
  started: number,
  pollMs: number,
  deadline: number,
  status: () => Promise<string | undefined>,
): Promise<boolean> {
  let last = "";
  for (;;) {
    const now = await status();
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (now !== last) {
      out.line(
        `  [${String(Math.floor(elapsed / 60)).padStart(2, "0")}:${String(elapsed % 60).padStart(2, "0")}] ${what}: ${now ?? "not found"}`,
      );
      last = now ?? "";
    }
    if (now === "available") return true;
    if (now === undefined || /failed|incompatible|inaccessible|error/.test(now)) {
      throw new Error(`${what} is ${now ?? "gone"}: the restore did not complete`);
    }
    if (Date.now() > deadline) {
      out.line(
        `${what} is still ${now} after the wait: RDS carries on. Check it with aws rds describe-db-${what.startsWith("cluster") ? "clusters" : "instances"}.`,
      );
      process.exitCode = 1;
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The id of the copy made for a recovery account: outside the managed `failsafe-` names. */
export function recoveryCopyId(
  kind: "instance" | "cluster",
  account: string,
  copyId: string,
): string {
  const stem = copyId.replace(/^failsafe-(\d{12}-)?/i, "").toLowerCase();
  const plain = `recovery-${account}-${stem}`;
  if (isValidSnapshotId(kind, plain)) return plain;
  const hash = createHash("sha256").update(copyId).digest("hex").slice(0, 8);
  return `recovery-${account}-${hash}`;
}

async function share(
  failsafe: AccountClients,
  globals: AccountOptions,
  options: RestoreOptions,
  chosen: CopyRow,
  out: Out,
): Promise<void> {
  const { copy } = chosen;
  const account = options.toAccount ?? "";
  const identity = await failsafe.identity();
  if (!/^\d{12}$/.test(account)) {
    throw new UsageError(
      `--to-account ${JSON.stringify(account)} must be a 12-digit AWS account id`,
    );
  }
  if (account === identity.account) {
    throw new UsageError(
      `--to-account ${account} is the failsafe account itself: restore here without --to-account`,
    );
  }
  const rds = new RdsSnapshots(failsafe.rds);
  const vault = await vaultKeyId(failsafe.kms);
  // An unencrypted Aurora copy stays unencrypted: AWS rejects KmsKeyId on such a copy.
  const encrypted = copy.encrypted;
  let keyArn: string | undefined;
  let createKey = false;
  if (encrypted) {
    const wanted = options.kmsKey ?? recoveryKeyAlias(account);
    const key = await describeKey(failsafe.kms, wanted);
    if (!key && options.kmsKey) {
      throw new UsageError(`--kms-key ${options.kmsKey}: no such key in the failsafe account`);
    }
    if (key && key.KeyId === vault) {
      throw new UsageError(
        `--kms-key ${wanted} is the vault key: the vault key is never shared (every failsafe copy depends on it). Leave --kms-key out to use ${recoveryKeyAlias(account)}, a key made for the recovery account`,
      );
    }
    if (key && key.KeyManager === "AWS") {
      throw new UsageError(
        `--kms-key ${wanted} is an AWS managed key: AWS does not let snapshots encrypted with it be shared`,
      );
    }
    keyArn = key?.Arn;
    createKey = !key;
  } else {
    out.line(
      colour(
        "  this copy is an unencrypted Aurora cluster copy: the shared copy is unencrypted too (AWS cannot encrypt it on copy)",
        "warn",
      ),
    );
  }
  const shareId = recoveryCopyId(copy.kind, account, copy.id);
  const existing = await rds.describeSnapshot(copy.kind, shareId);
  if (existing && existing.tags["failsafe:recovery-for"] !== account) {
    throw new UsageError(
      `${shareId} exists and is not a copy for ${account}: delete it or restore to another account`,
    );
  }
  const copyCall = copy.kind === "instance" ? "CopyDBSnapshot" : "CopyDBClusterSnapshot";
  const shareCall =
    copy.kind === "instance" ? "ModifyDBSnapshotAttribute" : "ModifyDBClusterSnapshotAttribute";
  out.line(
    `Will share it with account ${account} from the failsafe account ${identity.account} (${globals.region}):`,
  );
  if (createKey) {
    out.line(`  CreateKey + CreateAlias ${recoveryKeyAlias(account)}, key policy:`);
    out.line(`    ${JSON.stringify(recoveryKeyPolicy(globals.region, identity.account, account))}`);
  }
  out.line(
    `  ${copyCall} ${JSON.stringify({ source: copy.id, target: shareId, KmsKeyId: encrypted ? (keyArn ?? recoveryKeyAlias(account)) : undefined })}${existing ? " (exists already: reused)" : ""}`,
  );
  out.line(
    `  ${shareCall} ${JSON.stringify({ id: shareId, AttributeName: "restore", ValuesToAdd: [account] })}`,
  );
  if (!options.apply) {
    out.line("dry run: nothing changed. Add --apply to share it.");
    printRecoveryCommands(
      out,
      globals.region,
      account,
      copy.kind,
      arnOf(copy.arn, shareId),
      options.as,
      copy.engine,
      encrypted,
    );
    return;
  }
  if (encrypted && createKey) {
    keyArn = (await ensureRecoveryKey(failsafe.kms, globals.region, identity.account, account)).arn;
    out.line(`  created ${recoveryKeyAlias(account)} (${kmsKeyId(keyArn)})`);
  }
  if (!existing) {
    await call(
      `rds:${copyCall}`,
      () =>
        rds.copy({
          kind: copy.kind,
          source: copy.id,
          target: shareId,
          kmsKeyId: encrypted ? keyArn : undefined,
          tags: { "failsafe:recovery-for": account, "failsafe:recovery-copy-of": copy.arn },
        }),
      ORG_GUARD_HINT,
    );
  }
  const started = Date.now();
  const ok = await waitAvailable(
    out,
    `${copy.kind} snapshot ${shareId}`,
    started,
    number("poll-seconds", options.pollSeconds, 30) * 1000,
    started + number("wait-minutes", options.waitMinutes, 120) * 60_000,
    async () => (await rds.describeSnapshot(copy.kind, shareId))?.status,
  );
  if (!ok) return;
  await call(`rds:${shareCall}`, () => rds.shareWith(copy.kind, shareId, account), ORG_GUARD_HINT);
  const shared = await rds.describeSnapshot(copy.kind, shareId);
  out.line(colour(`shared ${shared?.arn ?? shareId} with ${account}.`, "good"));
  printRecoveryCommands(
    out,
    globals.region,
    account,
    copy.kind,
    shared?.arn ?? arnOf(copy.arn, shareId),
    options.as,
    copy.engine,
    encrypted,
  );
}

function arnOf(copyArn: string, id: string): string {
  return copyArn.replace(/:(snapshot|cluster-snapshot):.*$/, (_, type: string) => `:${type}:${id}`);
}

function printRecoveryCommands(
  out: Out,
  region: string,
  account: string,
  kind: "instance" | "cluster",
  sharedArn: string,
  as: string,
  engine: string | undefined,
  encrypted: boolean,
): void {
  const key = encrypted ? " --kms-key-id <a KMS key of account " + account + ">" : "";
  out.line(
    `Then, with credentials of account ${account} (copy it first: the copy is yours, under your key):`,
  );
  if (kind === "instance") {
    out.line(
      `  aws rds copy-db-snapshot --region ${region} --source-db-snapshot-identifier ${sharedArn} --target-db-snapshot-identifier ${as}${key}`,
    );
    out.line(
      `  aws rds wait db-snapshot-available --region ${region} --db-snapshot-identifier ${as}`,
    );
    out.line(
      `  aws rds restore-db-instance-from-db-snapshot --region ${region} --db-instance-identifier ${as} --db-snapshot-identifier ${as} --no-publicly-accessible`,
    );
    out.line(
      `  aws rds wait db-instance-available --region ${region} --db-instance-identifier ${as}`,
    );
    return;
  }
  out.line(
    `  aws rds copy-db-cluster-snapshot --region ${region} --source-db-cluster-snapshot-identifier ${sharedArn} --target-db-cluster-snapshot-identifier ${as}${key}`,
  );
  out.line(
    `  aws rds wait db-cluster-snapshot-available --region ${region} --db-cluster-snapshot-identifier ${as}`,
  );
  out.line(
    `  aws rds restore-db-cluster-from-snapshot --region ${region} --db-cluster-identifier ${as} --snapshot-identifier ${as} --engine ${engine ?? "<engine>"}`,
  );
  out.line(`  aws rds wait db-cluster-available --region ${region} --db-cluster-identifier ${as}`);
  out.line(
    `  aws rds create-db-instance --region ${region} --db-instance-identifier ${as}-1 --db-cluster-identifier ${as} --engine ${engine ?? "<engine>"} --db-instance-class <class> --no-publicly-accessible`,
  );
}
