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
  /**
   * Weekly tier: the newest copy of each of this many ISO weeks (Monday to Sunday, UTC), counted
   * back from the week of the lineage's newest copy, is kept. 0 or absent: no weekly tier.
   */
  readonly keepWeekly?: number;
  /** Monthly tier: the newest copy of each of this many calendar months (UTC), likewise. */
  readonly keepMonthly?: number;
}

/** Why a copy is kept (or that it is not): the tier that holds it. */
export type RetentionTier =
  "unmanaged" | "pending" | "frozen" | "min-copies" | "daily" | "weekly" | "monthly" | "expiring";

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
  /** The tier that keeps the copy (the first that applies, in the order of the plan's rules). */
  readonly tier: RetentionTier;
}

/**
 * Which copies of ONE lineage to delete. Pure, so every rule is tested without AWS.
 * - a snapshot rds-failsafe did not create is never deleted;
 * - a copy not yet available does not count and is not deleted;
 * - when the newest available copy is older than freezeAfterHours, nothing is deleted: copies have
 *   stopped arriving (the prod database or the prod side may be gone), and the copies left are the
 *   last good backups;
 * - the newest minCopies available copies are always kept;
 * - daily tier: copies at most retentionDays older than the lineage's newest copy are kept;
 * - weekly tier: the newest copy of each of the keepWeekly ISO weeks counted back from the newest
 *   copy's week (that week included) is kept; monthly tier: the same for keepMonthly calendar
 *   months. So a corruption noticed after retentionDays is still recoverable from a copy of the
 *   week or month before it;
 * - everything else is deleted.
 * Ages and tiers count back from the newest copy, not from now, so a lineage whose copies stop
 * arriving keeps its last backups of every tier for good even before the freeze engages.
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
      decisions.push({
        id: copy.id,
        action: "keep",
        reason: "not created by rds-failsafe",
        tier: "unmanaged",
      });
    } else if (!copy.available || !copy.time) {
      decisions.push({ id: copy.id, action: "keep", reason: "not available yet", tier: "pending" });
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
  const weekly = newestPerPeriod(candidates, anchor, weeksBack, rules.keepWeekly ?? 0);
  const monthly = newestPerPeriod(candidates, anchor, monthsBack, rules.keepMonthly ?? 0);
  candidates.forEach((copy, index) => {
    const ageDays = ageHours(anchor, copy.time) / 24;
    const keep = (tier: RetentionTier, reason: string) =>
      decisions.push({ id: copy.id, action: "keep", reason, tier });
    if (frozen) {
      keep(
        "frozen",
        `frozen: the newest copy is ${Math.floor(newestAge)} h old (> freezeAfterHours ${rules.freezeAfterHours}), copies stopped arriving`,
      );
    } else if (index < rules.minCopies) {
      // The floor keeps it; its tier is the one it is in anyway (daily, weekly…), else min-copies.
      keep(
        ageDays <= rules.retentionDays
          ? "daily"
          : weekly.has(copy)
            ? "weekly"
            : monthly.has(copy)
              ? "monthly"
              : "min-copies",
        `one of the newest ${rules.minCopies} (minCopies)`,
      );
    } else if (ageDays <= rules.retentionDays) {
      keep("daily", `within retentionDays ${rules.retentionDays}`);
    } else if (weekly.has(copy)) {
      keep(
        "weekly",
        `newest copy of its ISO week, ${weeksBack(anchor, copy.time as Date)} week(s) before the newest copy's (keepWeekly ${rules.keepWeekly ?? 0})`,
      );
    } else if (monthly.has(copy)) {
      keep(
        "monthly",
        `newest copy of its month, ${monthsBack(anchor, copy.time as Date)} month(s) before the newest copy's (keepMonthly ${rules.keepMonthly ?? 0})`,
      );
    } else {
      decisions.push({
        id: copy.id,
        action: "delete",
        reason: `${Math.floor(ageDays)} days older than the newest copy, beyond retentionDays ${rules.retentionDays} and not the newest of a kept week or month`,
        tier: "expiring",
      });
    }
  });
  return decisions;
}

const DAY_MS = 86_400_000;

/** Midnight UTC of the Monday of the ISO week `time` is in (ISO weeks start on Monday). */
function isoWeekStart(time: Date): number {
  const midnight = Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate());
  const mondayBased = (time.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return midnight - mondayBased * DAY_MS;
}

/** ISO weeks between the week of `time` and the week of `anchor` (0: the same week). */
export function weeksBack(anchor: Date, time: Date): number {
  return Math.round((isoWeekStart(anchor) - isoWeekStart(time)) / (7 * DAY_MS));
}

/** Calendar months (UTC) between the month of `time` and the month of `anchor` (0: the same). */
export function monthsBack(anchor: Date, time: Date): number {
  return (
    anchor.getUTCFullYear() * 12 +
    anchor.getUTCMonth() -
    (time.getUTCFullYear() * 12 + time.getUTCMonth())
  );
}

/**
 * The newest copy of each of the `count` periods counted back from the anchor's (periods 0 …
 * count-1). `sorted` is newest first, so the first copy seen in a period is its newest.
 */
function newestPerPeriod(
  sorted: readonly RetentionCopy[],
  anchor: Date,
  back: (anchor: Date, time: Date) => number,
  count: number,
): Set<RetentionCopy> {
  const seen = new Set<number>();
  const kept = new Set<RetentionCopy>();
  for (const copy of sorted) {
    const period = back(anchor, copy.time as Date);
    if (period < 0 || period >= count || seen.has(period)) {
      continue;
    }
    seen.add(period);
    kept.add(copy);
  }
  return kept;
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
  return (event) => {
    // One budget per invocation, shared by the batch, records one after the other: ten
    // copy-finished events of one lineage (a burst, or redeliveries) must not turn into ten
    // times maxActionsPerRun deletes, nor into ten parallel deletes of the same oldest copy.
    const budget: DeleteBudget = { remaining: deps.settings.maxActionsPerRun };
    return processQueue(
      event,
      "retention",
      deps.log,
      async (body) => {
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
        const primary = await applyRetention(deps, snapshot.kind, lineage.key, copies, budget);
        // The lineage's DR copies (handlers/dr.ts), when a DR region is configured.
        return withDrRetention(deps, snapshot.kind, lineage.key, info.sourceId, primary, budget);
      },
      undefined,
      { sequential: true },
    );
  };
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
  if (toDelete.length > 0) {
    // The whole plan first, so a lowered retentionDays shows what it will delete over the next
    // runs before the budget spreads the deletes out (npx rds-failsafe retention-plan shows it
    // before a deploy).
    deps.log.info("retention plan", {
      handler: "retention",
      lineage,
      toDelete: toDelete.length,
      deletingNow: Math.min(toDelete.length, Math.max(budget.remaining, 0)),
      kept: plan.length - toDelete.length,
      maxActionsPerRun: deps.settings.maxActionsPerRun,
      snapshotIds: toDelete.map((d) => d.id),
    });
  }
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
