import { parseSnapshotArn } from "./arn";
import { ageHours, snapshots, type FailsafeDeps } from "./context";
import { attempt } from "./prod-sweep";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { applyRetention, copyTime, sourceKeyOf } from "./retention";
import { copyShared } from "./save";
import { isManagedTagged } from "./tags";

export interface SourceFreshness {
  readonly source: string;
  /** Age in hours of the newest available failsafe copy. */
  readonly newestCopyAgeHours: number;
  readonly copies: number;
  readonly breach: boolean;
}

export interface FailsafeSweepReport {
  readonly saved: number;
  readonly deleted: number;
  readonly failed: number;
  readonly deferred: number;
  readonly sources: readonly SourceFreshness[];
}

const KINDS: readonly SnapshotKind[] = ["instance", "cluster"];

/**
 * failsafe sweep (scheduled), independent of prod's messages:
 * 1. managed snapshots shared by the prod account and not yet saved → save them;
 * 2. per source, the age of the newest failsafe copy (the RPO metric; breach above rpoHours);
 * 3. retention for every source, from the same listing (covers lost copy-finished events).
 */
export function failsafeSweepHandler(deps: FailsafeDeps): () => Promise<FailsafeSweepReport> {
  return async () => {
    const report = {
      saved: 0,
      deleted: 0,
      failed: 0,
      deferred: 0,
      sources: [] as SourceFreshness[],
    };
    for (const kind of KINDS) {
      await sweepKind(deps, kind, report);
    }
    const breaches = report.sources.filter((s) => s.breach);
    publishFreshness(deps, report.sources, breaches.length);
    deps.log.info("sweep finished", {
      handler: "failsafe-sweep",
      saved: report.saved,
      deleted: report.deleted,
      failed: report.failed,
      deferred: report.deferred,
      sources: report.sources.length,
      rpoBreaches: breaches.map((s) => s.source),
    });
    return report;
  };
}

/**
 * The RPO figures. `MaxNewestCopyAgeHours` carries no dimension so one alarm covers every source
 * (per-source metrics would need an alarm per database); a source with no available copy counts
 * as very old. A sweep that stops running emits nothing, and the alarm treats missing data as a
 * breach.
 */
function publishFreshness(
  deps: FailsafeDeps,
  sources: readonly SourceFreshness[],
  breaches: number,
): void {
  const NO_COPY_HOURS = 1_000_000;
  const ages = sources.map((s) => Math.min(s.newestCopyAgeHours, NO_COPY_HOURS));
  for (const [i, source] of sources.entries()) {
    deps.metrics.gauge("NewestCopyAgeHours", ages[i] ?? NO_COPY_HOURS, { Source: source.source });
  }
  deps.metrics.gauge("MaxNewestCopyAgeHours", Math.max(0, ...ages));
  deps.metrics.gauge("RpoBreaches", breaches);
  deps.metrics.gauge("ProtectedSources", sources.length);
  deps.metrics.flush();
}

async function sweepKind(
  deps: FailsafeDeps,
  kind: SnapshotKind,
  report: {
    saved: number;
    deleted: number;
    failed: number;
    deferred: number;
    sources: SourceFreshness[];
  },
): Promise<void> {
  const { settings } = deps;
  const rds = snapshots(deps);
  const now = deps.clock();

  const copies: SnapshotInfo[] = [];
  for await (const snapshot of rds.listSnapshots(kind, "manual")) {
    if (isManagedTagged(snapshot.tags) && isManagedSnapshotId(kind, snapshot.id)) {
      copies.push(snapshot);
    }
  }
  const saved = new Set(copies.map((s) => s.id));

  // 1. save what prod shared and we do not have yet
  const inFlight = copies.filter((s) => s.status !== "available").length;
  let budget = Math.min(settings.maxActionsPerRun, settings.copyConcurrencyLimit - inFlight);
  for await (const shared of rds.listSnapshots(kind, "shared")) {
    const ref = parseSnapshotArn(shared.arn);
    const fromProd =
      typeof ref !== "string" &&
      ref.account === settings.prodAccountId &&
      ref.region === settings.region;
    if (
      !fromProd ||
      !isManagedSnapshotId(kind, ref.id) ||
      saved.has(ref.id) ||
      shared.status !== "available"
    ) {
      continue;
    }
    if (budget <= 0) {
      report.deferred += 1;
      continue;
    }
    budget -= 1;
    const outcome = await attempt(deps, () => copyShared(deps, shared, ref.id), "failsafe-sweep");
    if (outcome.decision === "saved") {
      report.saved += 1;
    } else if (outcome.decision === "failed") {
      report.failed += 1;
    }
  }

  // 2 and 3, per source
  const bySource = new Map<string, SnapshotInfo[]>();
  for (const copy of copies) {
    const key = sourceKeyOf(copy);
    if (key) {
      bySource.set(key, [...(bySource.get(key) ?? []), copy]);
    }
  }
  for (const [source, group] of bySource) {
    const newest = group
      .filter((s) => s.status === "available")
      .map((s) => copyTime(s)?.getTime() ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    const age = newest > 0 ? ageHours(now, new Date(newest)) : Number.POSITIVE_INFINITY;
    report.sources.push({
      source,
      newestCopyAgeHours: age,
      copies: group.length,
      breach: age > settings.rpoHours,
    });
    const outcome = await attempt(
      deps,
      () => applyRetention(deps, kind, source, group),
      "failsafe-sweep",
    );
    report.deleted += Array.isArray(outcome.deleted) ? outcome.deleted.length : 0;
    if (outcome.decision === "failed") {
      report.failed += 1;
    }
  }
}
