import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { parseSnapshotArn, snapshotArn, type SnapshotArn } from "./arn";
import { snapshots, type FailsafeDeps } from "./context";
import { parseHandoff, type Handoff } from "./events";
import { PublishCommand } from "@aws-sdk/client-sns";
import { errorMessage, Rejection } from "./errors";
import type { Outcome } from "./log";
import { isManagedSnapshotId } from "./naming";
import type { SnapshotInfo } from "./rds";
import { NotReadyYet, processQueue } from "./sqs";
import { TAG } from "./tags";

/**
 * save (failsafe): a hand-off arrived → re-read the shared snapshot from RDS, check it, and copy it
 * into the failsafe account with the vault key. The message only says where to look: its claims
 * are checked against what RDS reports, and nothing in it decides what gets copied or how.
 */
export function saveHandler(deps: FailsafeDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(
      event,
      "save",
      deps.log,
      async (body) => {
        const handoff = parseHandoff(body, deps.settings.handoffTopicArn);
        const ref = parseSnapshotArn(handoff.snapshotArn);
        if (typeof ref === "string") {
          throw new Rejection(`hand-off snapshotArn ${ref}`);
        }
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
      (outcome) => notifyOps(deps, outcome),
    );
}

/**
 * Tells the ops topic about a save: failures always, successes only with notifyOn=all. A failed
 * notification is logged and does not undo or retry the save.
 */
export async function notifyOps(deps: FailsafeDeps, outcome: Outcome): Promise<void> {
  const { opsTopicArn, notifyOn } = deps.settings;
  const failure = outcome.decision === "rejected" || outcome.decision === "failed";
  const success = outcome.decision === "saved";
  if (!opsTopicArn || !(failure || (success && notifyOn === "all"))) {
    return;
  }
  // SNS subjects are limited to 100 characters.
  const subject = (
    failure
      ? `rds-failsafe: a snapshot was NOT saved (${outcome.decision})`
      : `rds-failsafe: saved ${typeof outcome.target === "string" ? outcome.target : "a snapshot"}`
  ).slice(0, 100);
  try {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: opsTopicArn,
        Subject: subject,
        Message: JSON.stringify(outcome, null, 2),
      }),
    );
  } catch (err) {
    deps.log.error("notification failed", { handler: "save", reason: errorMessage(err), outcome });
  }
}

/**
 * Saves one shared intermediate snapshot, from a hand-off or found by the sweep. Rejects (throws a
 * Rejection) anything not from the prod account and region, not named as a managed snapshot, or
 * not shared with this account.
 */
export async function saveShared(
  deps: FailsafeDeps,
  ref: SnapshotArn,
  handoff?: Handoff,
): Promise<Outcome> {
  const { settings } = deps;
  if (ref.account !== settings.prodAccountId) {
    throw new Rejection(
      `snapshot account ${ref.account} is not the prod account ${settings.prodAccountId}`,
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
  if (
    typeof owner === "string" ||
    owner.account !== settings.prodAccountId ||
    owner.id !== ref.id
  ) {
    throw new Rejection(
      `RDS returned ${shared.arn} for ${arn}; expected the prod account's snapshot`,
    );
  }
  if (handoff && handoff.sourceId !== shared.sourceId) {
    throw new Rejection(
      `hand-off names source ${handoff.sourceId} but RDS says ${arn} was taken from ${shared.sourceId}`,
    );
  }
  return copyShared(deps, shared, ref.id);
}

/** Reads the sweep's listing directly, skipping the lookup saveShared does for a hand-off. */
export async function copyShared(
  deps: FailsafeDeps,
  shared: SnapshotInfo,
  target: string,
): Promise<Outcome> {
  const { settings } = deps;
  const ids = { kind: shared.kind, sourceId: shared.sourceId, snapshotArn: shared.arn, target };
  if (shared.status !== "available") {
    throw new NotReadyYet(`shared ${shared.kind} snapshot ${shared.arn} is ${shared.status}`);
  }
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
      [TAG.sourceAccount]: settings.prodAccountId,
      [TAG.sourceKind]: shared.kind,
      [TAG.sourceId]: shared.sourceId,
      [TAG.sourceTime]: (shared.originalCreateTime ?? deps.clock()).toISOString(),
      [TAG.copiedFrom]: shared.arn,
    },
  });
  if (result === "exists") {
    return { decision: "exists", reason: "failsafe copy already exists", ...ids };
  }
  return {
    decision: "saved",
    reason: encrypt
      ? "copy started with the vault key"
      : "copy started UNENCRYPTED: AWS cannot encrypt an unencrypted cluster snapshot on copy",
    ...ids,
    encrypted: encrypt,
  };
}
