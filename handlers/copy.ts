import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { snapshots, type ProdDeps } from "./context";
import { EVENT_IDS, parseRdsSnapshotEvent } from "./events";
import type { Outcome } from "./log";
import { isManagedSnapshotId, managedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo, SourceInfo } from "./rds";
import { NotReadyYet, processQueue } from "./sqs";
import { isSelected, TAG } from "./tags";

const COPY_EVENTS = [
  EVENT_IDS.automatedInstanceSnapshotCreated,
  EVENT_IDS.automatedClusterSnapshotCreated,
];

/**
 * copy (prod): an automated snapshot was created → when its database carries the selection tag,
 * copy it to the deterministic intermediate id, re-encrypted with the transit key.
 */
export function copyHandler(deps: ProdDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(
      event,
      "copy",
      deps.log,
      async (body) => {
        const { snapshot } = parseRdsSnapshotEvent(body, {
          eventIds: COPY_EVENTS,
          account: deps.settings.prodAccountId,
          region: deps.settings.region,
        });
        return copyBySnapshotId(deps, snapshot.kind, snapshot.id);
      },
      undefined,
      { deferAfterCopyLimit: true },
    );
}

/** Looks the automated snapshot and its database up, then copies (see copyAutomatedSnapshot). */
export async function copyBySnapshotId(
  deps: ProdDeps,
  kind: SnapshotKind,
  snapshotId: string,
): Promise<Outcome> {
  const rds = snapshots(deps);
  const snapshot = await rds.describeSnapshot(kind, snapshotId);
  if (!snapshot) {
    return {
      decision: "skipped",
      reason: `${kind} snapshot ${snapshotId} no longer exists`,
      snapshotId,
    };
  }
  const source = snapshot.sourceId ? await rds.describeSource(kind, snapshot.sourceId) : undefined;
  return copyAutomatedSnapshot(deps, snapshot, source);
}

/**
 * Copies one automated snapshot of a selected database to its intermediate copy. `source` is the
 * database, or undefined when it was deleted (then the tags RDS copied onto the snapshot decide).
 */
export async function copyAutomatedSnapshot(
  deps: ProdDeps,
  snapshot: SnapshotInfo,
  source: SourceInfo | undefined,
): Promise<Outcome> {
  const { settings } = deps;
  const ids = { kind: snapshot.kind, sourceId: snapshot.sourceId, snapshotId: snapshot.id };
  if (snapshot.type !== "automated" || isManagedSnapshotId(snapshot.kind, snapshot.id)) {
    // Only automated snapshots are copied: copying our own copies would loop.
    return {
      decision: "rejected",
      reason: `${snapshot.kind} snapshot ${snapshot.id} is ${snapshot.type || "of unknown type"}, not automated`,
      ...ids,
    };
  }
  if (source?.clusterId) {
    return {
      decision: "skipped",
      reason: `instance ${source.id} belongs to cluster ${source.clusterId}; its cluster snapshots are copied`,
      ...ids,
    };
  }
  const tags = source?.tags ?? snapshot.tags;
  if (!isSelected(tags, settings.selectionTagKey, settings.selectionTagValue)) {
    return {
      decision: "skipped",
      reason: `${snapshot.kind} ${snapshot.sourceId} is not tagged ${settings.selectionTagKey}=${settings.selectionTagValue}`,
      ...ids,
    };
  }
  if (snapshot.status !== "available") {
    throw new NotReadyYet(`${snapshot.kind} snapshot ${snapshot.id} is ${snapshot.status}`);
  }
  const target = managedSnapshotId(snapshot.kind, snapshot.id);
  // Any encrypted source, including one under the default aws/rds key (which AWS does not let you
  // share, USER_ShareSnapshot), is re-encrypted with the transit key the failsafe account may use.
  // DB instance intermediates are encrypted even from an unencrypted source (CopyDBSnapshot allows
  // it): AWS refuses to make an encrypted snapshot public, so no bug or misused role can publish
  // one. Aurora cluster snapshots cannot be encrypted on copy (CopyDBClusterSnapshot rejects
  // KmsKeyId for an unencrypted source), so those stay as they are.
  const kmsKeyId =
    snapshot.kind === "instance" || snapshot.encrypted ? settings.transitKmsKeyArn : undefined;
  const result = await snapshots(deps).copy({
    kind: snapshot.kind,
    source: snapshot.id,
    target,
    kmsKeyId,
    tags: {
      [TAG.managed]: "true",
      [TAG.sourceAccount]: settings.prodAccountId,
      [TAG.sourceKind]: snapshot.kind,
      [TAG.sourceId]: snapshot.sourceId,
      [TAG.sourceSnapshot]: snapshot.id,
      [TAG.sourceTime]: (snapshot.originalCreateTime ?? deps.clock()).toISOString(),
      // For people reading prod; the failsafe side takes the lineage from RDS, never from this.
      ...(snapshot.resourceId ? { [TAG.sourceResourceId]: snapshot.resourceId } : {}),
    },
  });
  return {
    decision: result === "created" ? "copied" : "exists",
    reason:
      result === "created"
        ? `copy started${kmsKeyId ? " with the transit key" : " unencrypted (an unencrypted Aurora cluster snapshot cannot be encrypted on copy)"}`
        : "intermediate copy already exists",
    ...ids,
    target,
  };
}
