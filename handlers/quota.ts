import { DescribeAccountAttributesCommand, type RDSClient } from "@aws-sdk/client-rds";
import { errorMessage } from "./errors";
import { logOutcome, type Log } from "./log";
import type { MetricsSink } from "./metrics";
import type { SnapshotKind } from "./naming";
import { percentOf, QUOTA_NAMES } from "./quota-math";

// The arithmetic (no AWS SDK: the program imports it at deploy time, when only the production
// dependencies are installed, and @aws-sdk/* is not one of them).
export * from "./quota-math";

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
