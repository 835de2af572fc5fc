import { ageHours, snapshots, type ProdDeps } from "./context";
import { copyAutomatedSnapshot } from "./copy";
import { errorMessage } from "./errors";
import { logOutcome, type Outcome } from "./log";
import { isManagedSnapshotId, managedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo, SourceInfo } from "./rds";
import { publishSnapshotQuota } from "./quota";
import { shareIntermediate } from "./share";
import { isManagedTagged, isSelected } from "./tags";

/** Snapshot-attribute reads the prod sweep keeps in flight at once. */
export const ATTRIBUTE_READS_AT_ONCE = 8;

/** `fn` over `items`, at most `limit` at once, results in the items' order; the first error throws. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface SweepReport {
  readonly copied: number;
  readonly shared: number;
  readonly deleted: number;
  readonly failed: number;
  /** Work left for the next run because of maxActionsPerRun or the copy concurrency limit. */
  readonly deferred: number;
  /**
   * Tagged databases with no copy shared with the failsafe account: the failsafe side cannot see
   * a database that never reached it, so prod counts them (metric UnprotectedSources, alarmed).
   */
  readonly unprotected: readonly { readonly source: string; readonly reason: string }[];
}

type Counts = Omit<SweepReport, "unprotected">;

const KINDS: readonly SnapshotKind[] = ["instance", "cluster"];

/**
 * prod sweep (scheduled): RDS events are best effort, so reconcile from state.
 * 1. a selected source whose newest automated snapshot has no intermediate copy → copy it;
 * 2. an available intermediate not shared with the failsafe account → share and hand off;
 * 3. intermediates older than intermediateKeepHours are deleted, except the newest per source
 *    (the next cross-account copy stays incremental only while the previous one exists).
 * Each action type is bounded per run; copies also by the copies already in flight.
 */
export function prodSweepHandler(deps: ProdDeps): () => Promise<SweepReport> {
  return async () => {
    const totals = { copied: 0, shared: 0, deleted: 0, failed: 0, deferred: 0 };
    const unprotected: { source: string; reason: string }[] = [];
    for (const kind of KINDS) {
      const report = await sweepKind(deps, kind);
      for (const key of Object.keys(totals) as (keyof Counts)[]) {
        totals[key] += report[key];
      }
      unprotected.push(...report.unprotected);
    }
    deps.metrics.gauge("UnprotectedSources", unprotected.length);
    // Intermediates count against prod's manual-snapshot quota too (handlers/quota.ts).
    await publishSnapshotQuota(deps, "prod-sweep");
    deps.metrics.count("SweepCompleted", 1);
    deps.metrics.flush();
    deps.log.info("sweep finished", { handler: "prod-sweep", ...totals, unprotected });
    return { ...totals, unprotected };
  };
}

async function sweepKind(deps: ProdDeps, kind: SnapshotKind): Promise<SweepReport> {
  const { settings } = deps;
  const rds = snapshots(deps);
  const now = deps.clock();
  const report = { copied: 0, shared: 0, deleted: 0, failed: 0, deferred: 0 };
  /** Intermediates known to be shared with the failsafe account (checked or shared this run). */
  const sharedIds = new Set<string>();

  const sources = new Map<string, SourceInfo>();
  for await (const source of rds.listSources(kind)) {
    if (
      !source.clusterId &&
      isSelected(source.tags, settings.selectionTagKey, settings.selectionTagValue)
    ) {
      sources.set(source.id, source);
    }
  }
  const newestAutomated = new Map<string, SnapshotInfo>();
  for await (const snapshot of rds.listSnapshots(kind, "automated")) {
    const current = newestAutomated.get(snapshot.sourceId);
    if (
      snapshot.status === "available" &&
      sources.has(snapshot.sourceId) &&
      newer(snapshot, current)
    ) {
      newestAutomated.set(snapshot.sourceId, snapshot);
    }
  }
  const intermediates: SnapshotInfo[] = [];
  for await (const snapshot of rds.listSnapshots(kind, "manual")) {
    if (isManagedTagged(snapshot.tags) && isManagedSnapshotId(kind, snapshot.id)) {
      intermediates.push(snapshot);
    }
  }
  const existing = new Set(intermediates.map((s) => s.id));

  // 1. copy what is missing, within the run budget and the in-flight copy limit
  const inFlight = intermediates.filter((s) => s.status !== "available").length;
  let copyBudget = Math.min(settings.maxActionsPerRun, settings.copyConcurrencyLimit - inFlight);
  for (const snapshot of newestAutomated.values()) {
    if (existing.has(managedSnapshotId(kind, snapshot.id))) {
      continue;
    }
    if (copyBudget <= 0) {
      report.deferred += 1;
      continue;
    }
    copyBudget -= 1;
    const outcome = await attempt(deps, () =>
      copyAutomatedSnapshot(deps, snapshot, sources.get(snapshot.sourceId)),
    );
    count(report, outcome, "copied");
  }

  // 2. share available intermediates not shared yet (a lost share event, or a crash before it).
  // Whether one is shared takes a DescribeDB(Cluster)SnapshotAttributes call each: ~3 per
  // protected database at steady state, so one after the other they outgrow the function's 60 s
  // at a few thousand databases (npm run bench: 5,154 calls, 89.8 s at 5,000, one at a time).
  // Read a few at once; the SDK's adaptive retry mode slows down if RDS throttles.
  const candidates = intermediates.filter(
    (s) =>
      s.status === "available" && ageHours(now, s.createTime) <= settings.intermediateKeepHours,
  );
  const restoreOf = await mapLimit(candidates, ATTRIBUTE_READS_AT_ONCE, (s) =>
    rds.restoreAccounts(kind, s.id),
  );
  let shareBudget = settings.maxActionsPerRun;
  for (const [i, snapshot] of candidates.entries()) {
    const restore = restoreOf[i] ?? [];
    if (restore.includes(settings.failsafeAccountId)) {
      sharedIds.add(snapshot.id);
      continue;
    }
    if (shareBudget <= 0) {
      report.deferred += 1;
      continue;
    }
    shareBudget -= 1;
    const outcome = await attempt(deps, () => shareIntermediate(deps, snapshot));
    if (outcome.decision === "shared") {
      sharedIds.add(snapshot.id);
    }
    count(report, outcome, "shared");
  }

  // 3. delete intermediates past the keep window, except the newest per source
  const newestPerSource = new Map<string, SnapshotInfo>();
  for (const snapshot of intermediates) {
    if (
      snapshot.status === "available" &&
      newer(snapshot, newestPerSource.get(snapshot.sourceId))
    ) {
      newestPerSource.set(snapshot.sourceId, snapshot);
    }
  }
  let deleteBudget = settings.maxActionsPerRun;
  for (const snapshot of intermediates) {
    const old = ageHours(now, snapshot.createTime) > settings.intermediateKeepHours;
    if (
      !old ||
      snapshot.status !== "available" ||
      newestPerSource.get(snapshot.sourceId) === snapshot
    ) {
      continue;
    }
    if (deleteBudget <= 0) {
      report.deferred += 1;
      continue;
    }
    deleteBudget -= 1;
    const outcome = await attempt(deps, async () => {
      await rds.delete(kind, snapshot.id);
      return {
        decision: "deleted",
        reason: `older than intermediateKeepHours ${settings.intermediateKeepHours}`,
        kind,
        snapshotId: snapshot.id,
      };
    });
    count(report, outcome, "deleted");
  }

  // 4. which tagged databases have no copy shared with the failsafe account
  const unprotected: { source: string; reason: string }[] = [];
  for (const source of sources.values()) {
    const reason = await unprotectedReason(deps, source, intermediates, sharedIds, now);
    if (reason) {
      unprotected.push({ source: `${settings.prodAccountId}/${kind}/${source.id}`, reason });
    }
  }
  return { ...report, unprotected };
}

/**
 * Why a tagged database is not protected, or undefined when it is (or is too new to tell: RDS
 * takes the first automated backup soon after creation, and the next sweep copies it). Protected
 * means: an available intermediate of its current lineage — not of an earlier database with the
 * same identifier — is shared with the failsafe account.
 */
async function unprotectedReason(
  deps: ProdDeps,
  source: SourceInfo,
  intermediates: readonly SnapshotInfo[],
  sharedIds: Set<string>,
  now: Date,
): Promise<string | undefined> {
  if (source.backupRetentionPeriod === 0) {
    return "automated backups are off (BackupRetentionPeriod 0): there is nothing to copy";
  }
  const own = intermediates
    .filter(
      (s) =>
        s.status === "available" &&
        s.sourceId === source.id &&
        (!source.resourceId || !s.resourceId || s.resourceId === source.resourceId),
    )
    .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0));
  if (own.some((s) => sharedIds.has(s.id))) {
    return undefined;
  }
  // Older than the keep window, so step 2 did not look at it: ask once, for the newest only.
  const newest = own[0];
  if (
    newest &&
    (await snapshots(deps).restoreAccounts(source.kind, newest.id)).includes(
      deps.settings.failsafeAccountId,
    )
  ) {
    return undefined;
  }
  if (ageHours(now, source.createTime) <= deps.settings.unprotectedAfterHours) {
    return undefined;
  }
  return newest
    ? `its newest intermediate copy ${newest.id} is not shared with the failsafe account`
    : `no intermediate copy of its automated snapshots exists (${Math.floor(ageHours(now, source.createTime))} h after creation)`;
}

function newer(a: SnapshotInfo, b: SnapshotInfo | undefined): boolean {
  return !b || (a.createTime?.getTime() ?? 0) > (b.createTime?.getTime() ?? 0);
}

/** One sweep action: its failure is logged and counted, and the sweep goes on with the next. */
export async function attempt(
  deps: { readonly log: ProdDeps["log"] },
  action: () => Promise<Outcome>,
  handler = "prod-sweep",
): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await action();
  } catch (err) {
    outcome = { decision: "failed", reason: errorMessage(err) };
  }
  logOutcome(deps.log, handler, outcome);
  return outcome;
}

function count(
  report: { copied: number; shared: number; deleted: number; failed: number },
  outcome: Outcome,
  success: "copied" | "shared" | "deleted",
): void {
  if (outcome.decision === success) {
    report[success] += 1;
  } else if (outcome.decision === "failed") {
    report.failed += 1;
  }
}
