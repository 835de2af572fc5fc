import { DescribeAccountAttributesCommand, type RDSClient } from "@aws-sdk/client-rds";
import { errorMessage } from "./errors";
import { logOutcome, type Log } from "./log";
import type { MetricsSink } from "./metrics";
import type { SnapshotKind } from "./naming";

/**
 * The manual-snapshot quota: every failsafe copy (failsafe account) and every intermediate copy
 * (prod account) is a manual snapshot, and RDS refuses to create one more than the quota
 * (SnapshotQuotaExceeded): the copy is retried until it lands in the DLQ, and the database's RPO
 * runs out. The default is 100 per kind and region (RDS user guide, "Quotas in Amazon RDS"), which
 * 31 daily copies of four databases fill in about 25 days.
 *
 * DescribeAccountAttributes reports each quota by name (API_AccountQuota): `ManualSnapshots` (DB
 * instance snapshots) and `ManualClusterSnapshots` (DB cluster snapshots), with `Used` and `Max`.
 */
export const QUOTA_NAMES: Readonly<Record<SnapshotKind, string>> = {
  instance: "ManualSnapshots",
  cluster: "ManualClusterSnapshots",
};

/** RDS's default manual-snapshot quota per kind and region. */
export const DEFAULT_MANUAL_SNAPSHOT_QUOTA = 100;

/** The quota alarm's threshold, and the share of the quota `status` and the config check allow. */
export const QUOTA_ALARM_PERCENT = 80;

export interface SnapshotQuota {
  readonly kind: SnapshotKind;
  readonly name: string;
  readonly used: number;
  readonly max: number;
  /** used / max, in percent (one decimal). */
  readonly percent: number;
}

/** Both manual-snapshot quotas of the account and region the client is for. */
export async function snapshotQuotas(rds: RDSClient): Promise<SnapshotQuota[]> {
  // DescribeAccountAttributes takes no parameters and is not paginated.
  const out = await rds.send(new DescribeAccountAttributesCommand({}));
  const quotas = out.AccountQuotas ?? [];
  return (["instance", "cluster"] as const).map((kind) => {
    const name = QUOTA_NAMES[kind];
    const quota = quotas.find((q) => q.AccountQuotaName === name);
    if (!quota || typeof quota.Used !== "number" || typeof quota.Max !== "number") {
      throw new Error(
        `DescribeAccountAttributes returned no ${name} quota (got ${quotas.map((q) => q.AccountQuotaName).join(", ") || "none"})`,
      );
    }
    return {
      kind,
      name,
      used: quota.Used,
      max: quota.Max,
      percent: percentOf(quota.Used, quota.Max),
    };
  });
}

export function percentOf(used: number, max: number): number {
  return max > 0 ? Math.round((used / max) * 1000) / 10 : 100;
}

/**
 * The sweeps' quota figures: ManualSnapshotsUsed and ManualSnapshotsQuota per Kind (the dashboard
 * and the forecast of `npx rds-failsafe status`), and SnapshotQuotaUsedPercent, the fuller of the
 * two kinds, with no dimension but the service (the alarm). Five metrics per account, whatever
 * the number of databases. A failed read is logged and leaves the figures out: the quota alarm
 * treats missing data as missing and tells ops (INSUFFICIENT_DATA) when the figures stop.
 */
export async function publishSnapshotQuota(
  deps: { readonly rds: RDSClient; readonly metrics: MetricsSink; readonly log: Log },
  handler: string,
): Promise<SnapshotQuota[] | undefined> {
  let quotas: SnapshotQuota[];
  try {
    quotas = await snapshotQuotas(deps.rds);
  } catch (err) {
    logOutcome(deps.log, handler, {
      decision: "failed",
      reason: `could not read the manual-snapshot quota (rds:DescribeAccountAttributes): ${errorMessage(err)}`,
    });
    return undefined;
  }
  for (const q of quotas) {
    deps.metrics.gauge("ManualSnapshotsUsed", q.used, { Kind: q.kind });
    deps.metrics.gauge("ManualSnapshotsQuota", q.max, { Kind: q.kind });
  }
  deps.metrics.gauge("SnapshotQuotaUsedPercent", Math.max(...quotas.map((q) => q.percent)));
  deps.log.info("snapshot quota", {
    handler,
    quotas: quotas.map((q) => `${q.name} ${q.used}/${q.max} (${q.percent} %)`),
  });
  return quotas;
}

/** The retention rules that decide how many copies one lineage keeps (tiers when configured). */
export interface KeptCopiesRules {
  readonly retentionDays: number;
  readonly minCopies: number;
  /** Tiered retention (weekly / monthly copies kept on top of the daily ones), when configured. */
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
}

/**
 * The most copies one protected database holds at steady state with one copy a day: the daily
 * window (retentionDays back from the newest copy, both ends included, never fewer than
 * minCopies) plus the weekly and monthly tiers (an upper bound: a tier copy may fall inside the
 * daily window).
 */
export function copiesKeptPerSource(rules: KeptCopiesRules): number {
  const daily = Math.max(rules.minCopies, rules.retentionDays + 1);
  return daily + (rules.keepWeekly ?? 0) + (rules.keepMonthly ?? 0);
}

/**
 * Intermediate copies one database holds in prod at steady state: one a day within
 * intermediateKeepHours, plus the newest (kept past the window so the next copy is incremental).
 */
export function intermediatesPerSource(intermediateKeepHours: number): number {
  return Math.ceil(intermediateKeepHours / 24) + 1;
}

export interface QuotaFit {
  /** Snapshots the sources need at steady state. */
  readonly needed: number;
  readonly max: number;
  /** needed ≤ max × QUOTA_ALARM_PERCENT %: fits without setting off the quota alarm. */
  readonly fits: boolean;
  /** How many sources of this copy count fit under the alarm threshold. */
  readonly capacity: number;
}

/** Whether `sources` databases keeping `perSource` copies each (plus `other` snapshots) fit. */
export function quotaFit(sources: number, perSource: number, max: number, other = 0): QuotaFit {
  const needed = sources * perSource + other;
  const allowed = Math.floor((max * QUOTA_ALARM_PERCENT) / 100);
  return {
    needed,
    max,
    fits: needed <= allowed,
    capacity: perSource > 0 ? Math.max(0, Math.floor((allowed - other) / perSource)) : Infinity,
  };
}

export interface QuotaForecast {
  /** Net snapshots added per day (negative: shrinking). */
  readonly perDay: number;
  /** Where the rate comes from: the sweep's ManualSnapshotsUsed history, or creation times. */
  readonly basis: "metric" | "created";
  /** Days until used reaches max at that rate; Infinity when not growing. */
  readonly daysUntilFull: number;
}

/**
 * Days until the quota is full at the current rate. The rate is the net change of the quota's
 * used count over `history` (the sweeps' hourly ManualSnapshotsUsed, at least a day of it), which
 * sees deletions; without such history, the snapshots created in the last `windowDays` days
 * (their creation times), which cannot see deletions and so over-states growth: the forecast is
 * then the earliest the quota can fill.
 */
export function forecastQuota(args: {
  readonly used: number;
  readonly max: number;
  readonly now: Date;
  readonly history?: readonly { readonly time: Date; readonly used: number }[];
  readonly createdTimes?: readonly (Date | undefined)[];
  readonly windowDays?: number;
}): QuotaForecast {
  const history = [...(args.history ?? [])].sort((a, b) => a.time.getTime() - b.time.getTime());
  const first = history[0];
  const last = history.at(-1);
  const spanDays = first && last ? (last.time.getTime() - first.time.getTime()) / 86_400_000 : 0;
  let perDay: number;
  let basis: QuotaForecast["basis"];
  if (first && last && spanDays >= 1) {
    perDay = (last.used - first.used) / spanDays;
    basis = "metric";
  } else {
    const windowDays = args.windowDays ?? 7;
    const since = args.now.getTime() - windowDays * 86_400_000;
    const created = (args.createdTimes ?? []).filter(
      (t) => t !== undefined && t.getTime() > since && t.getTime() <= args.now.getTime(),
    ).length;
    perDay = created / windowDays;
    basis = "created";
  }
  const left = args.max - args.used;
  const daysUntilFull = left <= 0 ? 0 : perDay > 0 ? left / perDay : Number.POSITIVE_INFINITY;
  return { perDay: Math.round(perDay * 100) / 100, basis, daysUntilFull };
}
