import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { parseSnapshotArn, snapshotArn, type SnapshotArn } from "./arn";
import { snapshots, type FailsafeDeps } from "./context";
import { sharedDataTime } from "./data-time";
import { checkPartition, parseHandoff, type Handoff } from "./events";
import { Rejection } from "./errors";
import { lineageOf } from "./lineage";
import type { Outcome } from "./log";
import { failsafeCopyId, isManagedSnapshotId } from "./naming";
import { notify } from "./notify";
import type { SnapshotInfo } from "./rds";
import { NotReadyYet, processQueue } from "./sqs";
import { lineageKey, TAG } from "./tags";

/**
 * save (failsafe): a hand-off arrived → re-read the shared snapshot from RDS, check it, and copy it
 * into the failsafe account with the vault key. The message only says where to look: its claims
 * are checked against what RDS reports, and nothing in it decides what gets copied or how.
 *
 * Rejected hand-offs (forged, stale, malformed) are counted in the RejectedHandoffs metric, whose
 * alarm tells ops once per episode: a prod admin can publish as the share role, and a thousand
 * forged messages must not become a thousand e-mails.
 */
export function saveHandler(deps: FailsafeDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return async (event) => {
    let rejected = 0;
    const response = await processQueue(
      event,
      "save",
      deps.log,
      async (body) => {
        const handoff = parseHandoff(body, deps.settings.handoffTopicArn);
        const ref = parseSnapshotArn(handoff.snapshotArn);
        if (typeof ref === "string") {
          throw new Rejection(`hand-off snapshotArn ${ref}`);
        }
        checkPartition("hand-off snapshotArn", ref.partition, deps.settings.region);
        if (ref.kind !== handoff.kind) {
          throw new Rejection(
            `hand-off kind ${handoff.kind} does not match its ${ref.kind} snapshot ARN`,
          );
        }
        if (handoff.sourceAccount !== ref.account || handoff.region !== ref.region) {
          throw new Rejection(
            `hand-off sourceAccount/region ${handoff.sourceAccount}/${handoff.region} do not match its snapshot ARN ${handoff.snapshotArn}`,
          );
        }
        return saveShared(deps, ref, handoff);
      },
      async (outcome) => {
        if (outcome.decision === "rejected") {
          rejected += 1;
        } else {
          await notifyOps(deps, outcome);
        }
      },
      // Many prod accounts share the failsafe account's ~20 copies in flight (handlers/sqs.ts).
      { deferAfterCopyLimit: true },
    );
    deps.metrics.count("RejectedHandoffs", rejected);
    deps.metrics.flush();
    return response;
  };
}

/**
 * Tells the ops topic about a save that failed (always) or succeeded (notifyOn=all). Rejections
 * are counted, not notified (see saveHandler).
 */
export async function notifyOps(deps: FailsafeDeps, outcome: Outcome): Promise<void> {
  const failure = outcome.decision === "failed";
  const success = outcome.decision === "saved";
  if (!(failure || (success && deps.settings.notifyOn === "all"))) {
    return;
  }
  const subject = failure
    ? `rds-failsafe: a snapshot was NOT saved (${outcome.decision})`
    : `rds-failsafe: saved ${typeof outcome.target === "string" ? outcome.target : "a snapshot"}`;
  await notify(deps, deps.settings.opsTopicArn, "save", subject, outcome);
}

/**
 * Saves one shared intermediate snapshot, from a hand-off or found by the sweep. Rejects (throws a
 * Rejection) anything not from a configured prod account and this region, not named as a managed
 * snapshot, not shared with this account, or without the resource id that gives it a lineage.
 */
export async function saveShared(
  deps: FailsafeDeps,
  ref: SnapshotArn,
  handoff?: Handoff,
): Promise<Outcome> {
  const { settings } = deps;
  if (!settings.prodAccountIds.includes(ref.account)) {
    throw new Rejection(
      `snapshot account ${ref.account} is not a configured prod account (${settings.prodAccountIds.join(", ")})`,
    );
  }
  if (ref.region !== settings.region) {
    throw new Rejection(`snapshot region ${ref.region} is not this region ${settings.region}`);
  }
  if (!isManagedSnapshotId(ref.kind, ref.id)) {
    throw new Rejection(
      `${ref.kind} snapshot ${ref.id} is not named as a managed intermediate copy`,
    );
  }
  const arn = snapshotArn(ref);
  const shared = await snapshots(deps).describeSnapshot(ref.kind, arn, "shared");
  if (!shared) {
    throw new Rejection(
      `${ref.kind} snapshot ${arn} does not exist or is not shared with account ${settings.failsafeAccountId}`,
    );
  }
  const owner = parseSnapshotArn(shared.arn);
  if (typeof owner === "string" || owner.account !== ref.account || owner.id !== ref.id) {
    throw new Rejection(`RDS returned ${shared.arn} for ${arn}; expected that very snapshot`);
  }
  if (handoff && handoff.sourceId !== shared.sourceId) {
    throw new Rejection(
      `hand-off names source ${handoff.sourceId} but RDS says ${arn} was taken from ${shared.sourceId}`,
    );
  }
  return copyShared(deps, shared);
}

/**
 * Copies a shared snapshot (checked by saveShared, or listed by the sweep as shared with us by a
 * configured prod account) into the failsafe account. `existing` is what the caller already listed
 * of this account's managed copies; otherwise the copies of the same database are listed here.
 * Announces a database re-created under a known identifier the first time its new lineage is
 * saved.
 */
export async function copyShared(
  deps: FailsafeDeps,
  shared: SnapshotInfo,
  existing?: readonly SnapshotInfo[],
): Promise<Outcome> {
  const { settings } = deps;
  const owner = parseSnapshotArn(shared.arn);
  if (typeof owner === "string") {
    throw new Rejection(`shared snapshot ${owner}`);
  }
  const target = failsafeCopyId(shared.kind, owner.account, shared.id);
  const ids = {
    kind: shared.kind,
    sourceAccount: owner.account,
    sourceId: shared.sourceId,
    snapshotArn: shared.arn,
    target,
  };
  if (!shared.resourceId) {
    // RDS reports DbiResourceId / DbClusterResourceId on every snapshot; without it the copy would
    // belong to no lineage, and lineages are what retention, freeze and RPO are decided on.
    throw new Rejection(`RDS reports no source resource id for ${shared.arn}`);
  }
  if (shared.status !== "available") {
    throw new NotReadyYet(`shared ${shared.kind} snapshot ${shared.arn} is ${shared.status}`);
  }
  // Before anything is copied: a snapshot whose data time cannot be verified is rejected.
  const captured = sharedDataTime(shared, deps.clock());
  const sameDatabase = (
    existing ?? (await listCopiesOf(deps, shared.kind, shared.sourceId))
  ).filter(
    (c) =>
      c.kind === shared.kind &&
      c.tags[TAG.sourceAccount] === owner.account &&
      (c.tags[TAG.sourceId] || c.sourceId) === shared.sourceId,
  );
  if (sameDatabase.some((c) => c.id === target || c.tags[TAG.copiedFrom] === shared.arn)) {
    return { decision: "exists", reason: "failsafe copy already exists", ...ids };
  }
  const lineage = lineageKey(shared.kind, owner.account, shared.resourceId);
  // DB instance copies are always encrypted with the vault key, even from an unencrypted source.
  // AWS rejects KmsKeyId on a copy of an unencrypted *cluster* snapshot (CopyDBClusterSnapshot), so
  // such a copy stays unencrypted, and the outcome says so.
  const encrypt = shared.kind === "instance" || shared.encrypted;
  const result = await snapshots(deps).copy({
    kind: shared.kind,
    source: shared.arn,
    target,
    kmsKeyId: encrypt ? settings.vaultKmsKeyArn : undefined,
    tags: {
      [TAG.managed]: "true",
      [TAG.sourceAccount]: owner.account,
      [TAG.sourceKind]: shared.kind,
      [TAG.sourceId]: shared.sourceId,
      [TAG.sourceResourceId]: shared.resourceId,
      [TAG.sourceTime]: captured.toISOString(),
      [TAG.copiedFrom]: shared.arn,
    },
  });
  if (result === "exists") {
    return { decision: "exists", reason: "failsafe copy already exists", ...ids, lineage };
  }
  const previous = sameDatabase.filter((c) => {
    const other = lineageOf(c);
    return other !== undefined && other.key !== lineage;
  });
  const firstOfLineage = !sameDatabase.some((c) => lineageOf(c)?.key === lineage);
  if (firstOfLineage && previous.length > 0) {
    await announceRecreated(deps, shared, owner.account, lineage, previous);
  }
  return {
    decision: "saved",
    reason: encrypt
      ? "copy started with the vault key"
      : "copy started UNENCRYPTED: AWS cannot encrypt an unencrypted cluster snapshot on copy",
    ...ids,
    lineage,
    encrypted: encrypt,
  };
}

/** The managed copies of one database identifier (any lineage, any account) in this account. */
async function listCopiesOf(
  deps: FailsafeDeps,
  kind: SnapshotInfo["kind"],
  sourceId: string,
): Promise<SnapshotInfo[]> {
  const found: SnapshotInfo[] = [];
  for await (const copy of snapshots(deps).listSnapshots(kind, "manual", sourceId || undefined)) {
    if (lineageOf(copy) !== undefined) {
      found.push(copy);
    }
  }
  return found;
}

/**
 * "orders was re-created": a new resource id under an identifier that has copies of another
 * lineage. Told once (the first copy of the new lineage is saved once: later saves find it), and
 * never a reason to delete anything: the previous lineage's copies stop receiving copies and stay
 * frozen.
 */
async function announceRecreated(
  deps: FailsafeDeps,
  shared: SnapshotInfo,
  account: string,
  lineage: string,
  previous: readonly SnapshotInfo[],
): Promise<void> {
  const previousLineages = [...new Set(previous.map((c) => lineageOf(c)?.resourceId))];
  const source = `${account}/${shared.kind}/${shared.sourceId}`;
  const message = {
    event: "source-recreated",
    source,
    newLineage: lineage,
    newResourceId: shared.resourceId,
    previousResourceIds: previousLineages,
    previousCopiesKeptFrozen: previous.length,
    reason: `${shared.sourceId} was re-created: new resource id ${shared.resourceId ?? "?"}; ${previous.length} copies of the previous one (${previousLineages.join(", ")}) are kept frozen`,
  };
  deps.log.warn("source re-created", { handler: "save", ...message });
  await notify(
    deps,
    deps.settings.opsTopicArn,
    "save",
    `rds-failsafe: ${shared.sourceId} was re-created (new resource id)`,
    message,
  );
}
