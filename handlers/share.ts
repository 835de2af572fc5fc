import { PublishCommand } from "@aws-sdk/client-sns";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { snapshots, kmsKeyId, type ProdDeps } from "./context";
import { EVENT_IDS, HANDOFF_VERSION, parseRdsSnapshotEvent, type Handoff } from "./events";
import type { Outcome } from "./log";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { NotReadyYet, processQueue } from "./sqs";
import { isManagedTagged } from "./tags";

const SHARE_EVENTS = [
  EVENT_IDS.manualInstanceSnapshotCreated,
  EVENT_IDS.manualClusterSnapshotCreated,
  EVENT_IDS.snapshotCopyFinished,
];

/**
 * share (prod): an intermediate copy became available → add the failsafe account to its `restore`
 * attribute and publish a hand-off. Manual snapshots rds-failsafe did not make are ignored.
 */
export function shareHandler(deps: ProdDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(event, "share", deps.log, async (body) => {
      const { snapshot } = parseRdsSnapshotEvent(body, {
        eventIds: SHARE_EVENTS,
        account: deps.settings.prodAccountId,
        region: deps.settings.region,
      });
      return shareBySnapshotId(deps, snapshot.kind, snapshot.id);
    });
}

export async function shareBySnapshotId(
  deps: ProdDeps,
  kind: SnapshotKind,
  snapshotId: string,
): Promise<Outcome> {
  if (!isManagedSnapshotId(kind, snapshotId)) {
    return {
      decision: "skipped",
      reason: `${kind} snapshot ${snapshotId} is not managed by rds-failsafe`,
      snapshotId,
    };
  }
  const snapshot = await snapshots(deps).describeSnapshot(kind, snapshotId);
  if (!snapshot) {
    return {
      decision: "skipped",
      reason: `${kind} snapshot ${snapshotId} no longer exists`,
      snapshotId,
    };
  }
  return shareIntermediate(deps, snapshot);
}

/** Shares one intermediate copy with the failsafe account and announces it on the hand-off topic. */
export async function shareIntermediate(deps: ProdDeps, snapshot: SnapshotInfo): Promise<Outcome> {
  const { settings } = deps;
  const ids = { kind: snapshot.kind, sourceId: snapshot.sourceId, snapshotId: snapshot.id };
  if (!isManagedTagged(snapshot.tags) || !isManagedSnapshotId(snapshot.kind, snapshot.id)) {
    return {
      decision: "skipped",
      reason: `${snapshot.kind} snapshot ${snapshot.id} is not managed by rds-failsafe (no failsafe:managed=true tag)`,
      ...ids,
    };
  }
  if (snapshot.status !== "available") {
    throw new NotReadyYet(`${snapshot.kind} snapshot ${snapshot.id} is ${snapshot.status}`);
  }
  if (snapshot.encrypted && kmsKeyId(snapshot.kmsKeyId) !== kmsKeyId(settings.transitKmsKeyArn)) {
    // Sharing would succeed but the failsafe account could not decrypt it; say so instead.
    return {
      decision: "failed",
      reason: `${snapshot.kind} snapshot ${snapshot.id} is encrypted with ${snapshot.kmsKeyId}, not the transit key ${settings.transitKmsKeyArn}`,
      ...ids,
    };
  }
  await snapshots(deps).shareWith(snapshot.kind, snapshot.id, settings.failsafeAccountId);
  const handoff: Handoff = {
    version: HANDOFF_VERSION,
    kind: snapshot.kind,
    snapshotArn: snapshot.arn,
    sourceId: snapshot.sourceId,
    sourceAccount: settings.prodAccountId,
    region: settings.region,
    sharedAt: deps.clock().toISOString(),
  };
  await deps.sns.send(
    new PublishCommand({ TopicArn: settings.handoffTopicArn, Message: JSON.stringify(handoff) }),
  );
  return {
    decision: "shared",
    reason: `shared with ${settings.failsafeAccountId} and handed off`,
    ...ids,
    snapshotArn: snapshot.arn,
  };
}
