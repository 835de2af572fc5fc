import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ageHours, snapshots, type FailsafeDeps } from "./context";
import { withDrRetention } from "./dr";
import { Rejection } from "./errors";
import { EVENT_IDS, parseRdsSnapshotEvent } from "./events";
import { copyTime, lineageOf } from "./lineage";
import type { Outcome } from "./log";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { processQueue } from "./sqs";
import { isManagedTagged } from "./tags";

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
 * Which copies of ONE lineage to delete. Pure, so every rule is tested without AWS.
 * - a snapshot rds-failsafe did not create is never deleted;
 * - a copy not yet available does not count and is not deleted;
 * - when the newest available copy is older than freezeAfterHours, nothing is deleted: copies have
 *   stopped arriving (the prod database or the prod side may be gone), and the copies left are the
 *   last good backups;
 * - the newest minCopies available copies are always kept;
 * - of the rest, copies more than retentionDays older than the lineage's newest copy are deleted.
 *   Ages count back from the newest copy, not from now, so a lineage whose copies stop arriving
 *   keeps its last retentionDays of backups for good even before the freeze engages.
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
  const newestTime = candidates[0]?.time;
  const newestAge = ageHours(now, newestTime);
  const frozen = candidates.length > 0 && newestAge > rules.freezeAfterHours;
  // A copy "from the future" (a skewed clock) must not push the window forward.
  const anchor = newestTime && newestTime < now ? newestTime : now;
  candidates.forEach((copy, index) => {
    const ageDays = ageHours(anchor, copy.time) / 24;
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
        reason: `${Math.floor(ageDays)} days older than the newest copy, beyond retentionDays ${rules.retentionDays}`,
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

export function toRetentionCopy(snapshot: SnapshotInfo): RetentionCopy {
  return {
    id: snapshot.id,
    time: copyTime(snapshot),
    available: snapshot.status === "available",
    managed: isManagedTagged(snapshot.tags) && isManagedSnapshotId(snapshot.kind, snapshot.id),
  };
}

const RETENTION_EVENTS = [
  EVENT_IDS.snapshotCopyFinished,
  EVENT_IDS.manualInstanceSnapshotCreated,
  EVENT_IDS.manualClusterSnapshotCreated,
];

/**
 * retention (failsafe): a managed copy finished → apply retention to that copy's lineage. Events
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
      const lineage = info ? lineageOf(info) : undefined;
      if (!info || !lineage) {
        throw new Rejection(
          `${snapshot.kind} snapshot ${snapshot.id} is gone or has no failsafe lineage tags`,
        );
      }
      const copies: SnapshotInfo[] = [];
      // A copy keeps its database's identifier: listing by it reads one database's snapshots,
      // not the whole account's (AWS pages by 100); the lineage then decides which are this one's.
      for await (const copy of snapshots(deps).listSnapshots(
        snapshot.kind,
        "manual",
        info.sourceId || undefined,
      )) {
        if (lineageOf(copy)?.key === lineage.key) {
          copies.push(copy);
        }
      }
      const budget = { remaining: deps.settings.maxActionsPerRun };
      const primary = await applyRetention(deps, snapshot.kind, lineage.key, copies, budget);
      // The lineage's DR copies (handlers/dr.ts), when a DR region is configured.
      return withDrRetention(deps, snapshot.kind, lineage.key, info.sourceId, primary, budget);
    });
}

/** Deletes left to a run: a lowered retentionDays must not turn into one unbounded mass delete. */
export interface DeleteBudget {
  remaining: number;
}

/**
 * Plans retention for one lineage's copies and deletes what the plan says, within `budget`,
 * logging the plan's deletions and each one made. What the budget leaves is deleted by a later
 * run (the plan is recomputed from state every time).
 */
export async function applyRetention(
  deps: FailsafeDeps,
  kind: SnapshotKind,
  lineage: string,
  copies: readonly SnapshotInfo[],
  budget: DeleteBudget,
): Promise<Outcome> {
  const plan = planRetention(copies.map(toRetentionCopy), deps.clock(), deps.settings);
  const toDelete = plan.filter((d) => d.action === "delete");
  const deleted: string[] = [];
  for (const decision of toDelete) {
    if (budget.remaining <= 0) {
      break;
    }
    budget.remaining -= 1;
    await snapshots(deps).delete(kind, decision.id);
    deleted.push(decision.id);
    deps.log.info("deleted", {
      handler: "retention",
      lineage,
      snapshotId: decision.id,
      reason: decision.reason,
    });
  }
  const deferred = toDelete.length - deleted.length;
  const kept = plan.length - toDelete.length;
  return {
    decision: deleted.length > 0 ? "deleted" : "kept",
    reason: `${deleted.length} deleted, ${kept} kept${deferred > 0 ? `, ${deferred} deletions deferred (maxActionsPerRun)` : ""}${plan.some((d) => d.reason.startsWith("frozen")) ? " (frozen)" : ""}`,
    lineage,
    deleted,
    deferred,
  };
}
