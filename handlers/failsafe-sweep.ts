import { parseSnapshotArn } from "./arn";
import { snapshots, type FailsafeDeps } from "./context";
import { drillOverdue } from "./drill-plan";
import {
  drSummary,
  drTarget,
  emptyDrReport,
  publishDrFreshness,
  sweepDrKind,
  type DrSweepReport,
  type DrTarget,
} from "./dr";
import { lineageStates, type LineageState, type LineageStatus } from "./lineage";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import { notify } from "./notify";
import { publishSnapshotQuota } from "./quota";
import { attempt } from "./prod-sweep";
import type { SnapshotInfo } from "./rds";
import { applyRetention, type DeleteBudget } from "./retention";
import { copyShared } from "./save";
import { isManagedTagged, TAG } from "./tags";

/** One lineage as the sweep reports it (log line, return value, metrics). */
export interface SourceFreshness {
  /** account/kind/identifier: the display name. */
  readonly source: string;
  readonly lineage: string;
  /** Age in hours of the newest copy's data (see LineageState.ageHours). */
  readonly newestCopyAgeHours: number;
  readonly copies: number;
  readonly status: LineageStatus;
  readonly frozen: boolean;
  readonly breach: boolean;
  /** Restore drills (issue 12): no successful drill for drillMaxAgeDays (when drills run). */
  readonly drillOverdue?: boolean;
}

export interface FailsafeSweepReport {
  readonly saved: number;
  readonly deleted: number;
  readonly failed: number;
  readonly deferred: number;
  /** Lineages that entered RPO breach in this run (ops was told about each). */
  readonly newBreaches: readonly string[];
  readonly sources: readonly SourceFreshness[];
  /** The DR region's part (handlers/dr.ts), when a drRegion is configured. */
  readonly dr?: DrSweepReport;
}

const KINDS: readonly SnapshotKind[] = ["instance", "cluster"];

/**
 * failsafe sweep (scheduled), independent of prod's messages:
 * 1. managed snapshots shared by a configured prod account and not yet saved → save them;
 * 2. per lineage, the age of the newest copy; a lineage newly in RPO breach is told to the ops
 *    topic at once (even while others are in breach: each breach is its own message), and the
 *    newest copy is tagged so the next run does not tell it again;
 * 3. retention for every lineage, from the same listing (covers lost copy-finished events),
 *    within the run's delete budget.
 * Then the figures: RpoBreaches (the alarm), per-source ages, and SweepCompleted (a heartbeat
 * whose absence the "sweep stopped" alarm sees).
 */
export function failsafeSweepHandler(deps: FailsafeDeps): () => Promise<FailsafeSweepReport> {
  return async () => {
    const report = {
      saved: 0,
      deleted: 0,
      failed: 0,
      deferred: 0,
      newBreaches: [] as string[],
      sources: [] as SourceFreshness[],
    };
    const budget: DeleteBudget = { remaining: deps.settings.maxActionsPerRun };
    // DR region: reconciled from the same listings, after the primary region, same budget.
    const dr = drTarget(deps);
    const drReport = dr ? emptyDrReport(dr.region) : undefined;
    for (const kind of KINDS) {
      await sweepKind(
        deps,
        kind,
        report,
        budget,
        dr && drReport ? { dr, report: drReport } : undefined,
      );
    }
    const breaches = report.sources.filter((s) => s.breach);
    if (drReport) {
      publishDrFreshness(deps, drReport);
    }
    // The failsafe account's manual-snapshot quota (metric and alarm; handlers/quota.ts).
    await publishSnapshotQuota(deps, "failsafe-sweep");
    publishFreshness(deps, report.sources, breaches.length);
    deps.log.info("sweep finished", {
      handler: "failsafe-sweep",
      saved: report.saved,
      deleted: report.deleted,
      failed: report.failed,
      deferred: report.deferred,
      sources: report.sources.length,
      rpoBreaches: breaches.map((s) => s.source),
      newBreaches: report.newBreaches,
      ...(drReport ? { dr: drSummary(drReport) } : {}),
    });
    return drReport ? { ...report, dr: drReport } : report;
  };
}

function publishFreshness(
  deps: FailsafeDeps,
  sources: readonly SourceFreshness[],
  breaches: number,
): void {
  for (const source of sources) {
    if (source.status === "ok" || source.status === "breach") {
      // Finite by construction: every lineage has at least one copy with a data time.
      deps.metrics.gauge("NewestCopyAgeHours", Math.round(source.newestCopyAgeHours * 10) / 10, {
        Source: source.source,
      });
    }
  }
  deps.metrics.gauge("RpoBreaches", breaches);
  // restore drills (issue 12): protected lineages without a good drill for drillMaxAgeDays.
  if (deps.settings.drills) {
    deps.metrics.gauge("DrillOverdueSources", sources.filter((s) => s.drillOverdue).length);
  }
  deps.metrics.gauge(
    "ProtectedSources",
    sources.filter((s) => s.status === "ok" || s.status === "breach").length,
  );
  deps.metrics.count("SweepCompleted", 1);
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
    newBreaches: string[];
    sources: SourceFreshness[];
  },
  budget: DeleteBudget,
  dr?: { readonly dr: DrTarget; readonly report: DrSweepReport },
): Promise<void> {
  const { settings } = deps;
  const rds = snapshots(deps);

  const copies: SnapshotInfo[] = [];
  for await (const snapshot of rds.listSnapshots(kind, "manual")) {
    if (isManagedTagged(snapshot.tags) && isManagedSnapshotId(kind, snapshot.id)) {
      copies.push(snapshot);
    }
  }
  const copiedFrom = new Set(copies.map((s) => s.tags[TAG.copiedFrom]));

  // 1. save what prod shared and we do not have yet
  const inFlight = copies.filter((s) => s.status !== "available").length;
  let copyBudget = Math.min(settings.maxActionsPerRun, settings.copyConcurrencyLimit - inFlight);
  for await (const shared of rds.listSnapshots(kind, "shared")) {
    const ref = parseSnapshotArn(shared.arn);
    const fromProd =
      typeof ref !== "string" &&
      settings.prodAccountIds.includes(ref.account) &&
      ref.region === settings.region;
    if (
      !fromProd ||
      !isManagedSnapshotId(kind, ref.id) ||
      copiedFrom.has(shared.arn) ||
      shared.status !== "available"
    ) {
      continue;
    }
    if (copyBudget <= 0) {
      report.deferred += 1;
      continue;
    }
    copyBudget -= 1;
    const outcome = await attempt(deps, () => copyShared(deps, shared, copies), "failsafe-sweep");
    if (outcome.decision === "saved") {
      report.saved += 1;
    } else if (outcome.decision === "failed") {
      report.failed += 1;
    }
  }

  // 2 and 3, per lineage
  const now = deps.clock();
  const lineages = lineageStates(copies, now, settings);
  for (const lineage of lineages) {
    const breach = lineage.status === "breach";
    report.sources.push({
      source: `${lineage.account}/${lineage.kind}/${lineage.sourceId}`,
      lineage: lineage.key,
      newestCopyAgeHours: lineage.ageHours,
      copies: lineage.copies.length,
      status: lineage.status,
      frozen: lineage.frozen,
      breach,
      ...(settings.drills
        ? { drillOverdue: drillOverdue(lineage, now, settings.drills.drillMaxAgeDays) }
        : {}),
    });
    if (breach && !lineage.breachNotifiedAt) {
      const told = await attempt(deps, () => announceBreach(deps, lineage), "failsafe-sweep");
      if (told.decision === "failed") {
        report.failed += 1;
      } else {
        report.newBreaches.push(lineage.key);
      }
    }
    const outcome = await attempt(
      deps,
      () => applyRetention(deps, kind, lineage.key, lineage.copies, budget),
      "failsafe-sweep",
    );
    report.deleted += Array.isArray(outcome.deleted) ? outcome.deleted.length : 0;
    report.deferred += typeof outcome.deferred === "number" ? outcome.deferred : 0;
    if (outcome.decision === "failed") {
      report.failed += 1;
    }
  }
  if (dr) {
    await sweepDrKind(deps, dr.dr, kind, lineages, dr.report, budget);
  }
}

/**
 * Tells ops that one lineage has no copy newer than rpoHours, then marks its newest copy so the
 * next sweep does not tell it again (a newer copy carries no mark, so a later breach is told
 * anew). The mark is written only after the message went out: a failed publish is retried by the
 * next run, never lost.
 */
async function announceBreach(
  deps: FailsafeDeps,
  lineage: LineageState,
): Promise<{ decision: "notified" | "failed"; reason: string }> {
  const source = `${lineage.account}/${lineage.kind}/${lineage.sourceId}`;
  const hours = Math.floor(lineage.ageHours);
  const sent = await notify(
    deps,
    deps.settings.opsTopicArn,
    "failsafe-sweep",
    `rds-failsafe: RPO breach: ${lineage.sourceId} has no copy newer than ${deps.settings.rpoHours} h`,
    {
      event: "rpo-breach",
      source,
      lineage: lineage.key,
      newestCopy: lineage.newestCopy?.id,
      newestCopyDataTime: lineage.newest?.toISOString(),
      newestCopyAgeHours: hours,
      rpoHours: deps.settings.rpoHours,
      copies: lineage.copies.length,
      frozen: lineage.frozen,
      whatToDo:
        "Check the prod side (is the database still there, tagged, with automated backups on? are the copy-side functions and rules still deployed?). To stop counting a decommissioned database: npx rds-failsafe retire --source <id> --apply",
    },
  );
  if (!sent) {
    return { decision: "failed", reason: `could not notify the RPO breach of ${source}` };
  }
  if (lineage.newestCopy) {
    await snapshots(deps).addTags(lineage.newestCopy.arn, {
      [TAG.breachNotified]: deps.clock().toISOString(),
    });
  }
  return { decision: "notified", reason: `RPO breach of ${source} (${hours} h) told to ops` };
}
