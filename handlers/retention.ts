import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ageHours, snapshots, type FailsafeDeps } from "./context";
import { Rejection } from "./errors";
import { EVENT_IDS, parseRdsSnapshotEvent } from "./events";
import type { Outcome } from "./log";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { processQueue } from "./sqs";
import { isManagedTagged, sourceKey, TAG } from "./tags";

export interface RetentionRules {
  readonly retentionDays: number;
  readonly minCopies: number;
  readonly freezeAfterHours: number;
}

export interface RetentionCopy {
  readonly id: string;
  /** When the data was captured. */
  readonly time: Date | undefined;
  readonly available: boolean;
  readonly managed: boolean;
}

export interface RetentionDecision {
  readonly id: string;
  readonly action: "keep" | "delete";
  readonly reason: string;
}

/**
 * Which copies of ONE source to delete. Pure, so every rule is tested without AWS.
 * - a snapshot rds-failsafe did not create is never deleted;
 * - a copy not yet available does not count and is not deleted;
 * - when the newest available copy is older than freezeAfterHours, nothing is deleted: copies have
 *   stopped arriving (the prod database or the prod side may be gone), and the copies left are the
 *   last good backups;
 * - the newest minCopies available copies are always kept;
 * - of the rest, copies older than retentionDays are deleted.
 */
export function planRetention(
  copies: readonly RetentionCopy[],
  now: Date,
  rules: RetentionRules,
): RetentionDecision[] {
  const decisions: RetentionDecision[] = [];
  const candidates: RetentionCopy[] = [];
  for (const copy of copies) {
    if (!copy.managed) {
      decisions.push({ id: copy.id, action: "keep", reason: "not created by rds-failsafe" });
    } else if (!copy.available || !copy.time) {
      decisions.push({ id: copy.id, action: "keep", reason: "not available yet" });
    } else {
      candidates.push(copy);
    }
  }
  candidates.sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
  const newestAge = ageHours(now, candidates[0]?.time);
  const frozen = candidates.length > 0 && newestAge > rules.freezeAfterHours;
  candidates.forEach((copy, index) => {
    const ageDays = ageHours(now, copy.time) / 24;
    if (frozen) {
      decisions.push({
        id: copy.id,
        action: "keep",
        reason: `frozen: the newest copy is ${Math.floor(newestAge)} h old (> freezeAfterHours ${rules.freezeAfterHours}), copies stopped arriving`,
      });
    } else if (index < rules.minCopies) {
      decisions.push({
        id: copy.id,
        action: "keep",
        reason: `one of the newest ${rules.minCopies} (minCopies)`,
      });
    } else if (ageDays > rules.retentionDays) {
      decisions.push({
        id: copy.id,
        action: "delete",
        reason: `${Math.floor(ageDays)} days old, older than retentionDays ${rules.retentionDays}`,
      });
    } else {
      decisions.push({
        id: copy.id,
        action: "keep",
        reason: `within retentionDays ${rules.retentionDays}`,
      });
    }
  });
  return decisions;
}

/** The managed copy's data time: the source-time tag, else what RDS reports. */
export function copyTime(snapshot: SnapshotInfo): Date | undefined {
  const tagged = snapshot.tags[TAG.sourceTime];
  const parsed = tagged ? new Date(tagged) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : snapshot.originalCreateTime;
}

export function toRetentionCopy(snapshot: SnapshotInfo): RetentionCopy {
  return {
    id: snapshot.id,
    time: copyTime(snapshot),
    available: snapshot.status === "available",
    managed: isManagedTagged(snapshot.tags) && isManagedSnapshotId(snapshot.kind, snapshot.id),
  };
}

/** The source a managed failsafe copy protects, from its tags. */
export function sourceKeyOf(snapshot: SnapshotInfo): string | undefined {
  const account = snapshot.tags[TAG.sourceAccount];
  const id = snapshot.tags[TAG.sourceId];
  return account && id ? sourceKey(snapshot.kind, account, id) : undefined;
}

const RETENTION_EVENTS = [
  EVENT_IDS.snapshotCopyFinished,
  EVENT_IDS.manualInstanceSnapshotCreated,
  EVENT_IDS.manualClusterSnapshotCreated,
];

/**
 * retention (failsafe): a managed copy finished → apply retention to that copy's source. Events
 * for snapshots rds-failsafe did not make are skipped.
 */
export function retentionHandler(
  deps: FailsafeDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(event, "retention", deps.log, async (body) => {
      const { snapshot } = parseRdsSnapshotEvent(body, {
        eventIds: RETENTION_EVENTS,
        account: deps.settings.failsafeAccountId,
        region: deps.settings.region,
      });
      if (!isManagedSnapshotId(snapshot.kind, snapshot.id)) {
        return {
          decision: "skipped",
          reason: `${snapshot.kind} snapshot ${snapshot.id} is not managed by rds-failsafe`,
          snapshotId: snapshot.id,
        };
      }
      const info = await snapshots(deps).describeSnapshot(snapshot.kind, snapshot.id);
      const key = info && isManagedTagged(info.tags) ? sourceKeyOf(info) : undefined;
      if (!info || !key) {
        throw new Rejection(
          `${snapshot.kind} snapshot ${snapshot.id} is gone or has no failsafe source tags`,
        );
      }
      const copies: SnapshotInfo[] = [];
      // A copy keeps its database's identifier: listing by it reads one source's snapshots, not
      // the whole account's (AWS pages by 100), and the tags then decide which are this source's.
      const listing = snapshots(deps).listSnapshots(
        snapshot.kind,
        "manual",
        info.sourceId || undefined,
      );
      for await (const copy of listing) {
        if (sourceKeyOf(copy) === key) {
          copies.push(copy);
        }
      }
      return applyRetention(deps, snapshot.kind, key, copies);
    });
}

/** Plans retention for one source's copies and deletes what the plan says, logging each deletion. */
export async function applyRetention(
  deps: FailsafeDeps,
  kind: SnapshotKind,
  key: string,
  copies: readonly SnapshotInfo[],
): Promise<Outcome> {
  const plan = planRetention(copies.map(toRetentionCopy), deps.clock(), deps.settings);
  const deleted: string[] = [];
  for (const decision of plan) {
    if (decision.action === "delete") {
      await snapshots(deps).delete(kind, decision.id);
      deleted.push(decision.id);
      deps.log.info("deleted", {
        handler: "retention",
        source: key,
        snapshotId: decision.id,
        reason: decision.reason,
      });
    }
  }
  const kept = plan.length - deleted.length;
  return {
    decision: deleted.length > 0 ? "deleted" : "kept",
    reason: `${deleted.length} deleted, ${kept} kept${plan.some((d) => d.reason.startsWith("frozen")) ? " (frozen)" : ""}`,
    source: key,
    deleted,
  };
}
