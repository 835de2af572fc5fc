import {
  copiesKeptPerSource,
  DEFAULT_MANUAL_SNAPSHOT_QUOTA,
  intermediatesPerSource,
  QUOTA_ALARM_PERCENT,
  quotaFit,
  type KeptCopiesRules,
} from "../handlers/quota";
import { PROJECT, type StackConfig } from "./config";

/**
 * The deploy-time quota check (warnings, not errors: the quota can be raised after the deploy,
 * and a stack protecting few databases is fine): would the databases this stack protects, times
 * the manual snapshots each keeps, fit under the quota alarm's 80 %? The sweeps' alarm and
 * `npx rds-failsafe status` check the same against the live quota and the real databases.
 */
export type QuotaCheckConfig = Pick<
  StackConfig,
  | "sides"
  | "retentionDays"
  | "minCopies"
  | "intermediateKeepHours"
  | "snapshotQuota"
  | "expectedSources"
> &
  KeptCopiesRules;

export function quotaWarnings(config: QuotaCheckConfig): string[] {
  const warnings: string[] = [];
  const quota = config.snapshotQuota;
  const quotaName =
    quota === DEFAULT_MANUAL_SNAPSHOT_QUOTA
      ? `RDS's default manual-snapshot quota of ${quota} per kind`
      : `${PROJECT}:snapshotQuota ${quota}`;
  const check = (account: string, perSource: number, why: string) => {
    const sources = config.expectedSources;
    if (sources > 0) {
      const fit = quotaFit(sources, perSource, quota);
      if (!fit.fits) {
        const request = Math.ceil((fit.needed * 100) / QUOTA_ALARM_PERCENT);
        warnings.push(
          `${PROJECT}:expectedSources ${sources} databases × up to ${perSource} manual snapshots each (${why}) = ${fit.needed} in the ${account} account, over ${QUOTA_ALARM_PERCENT} % of ${quotaName}: RDS refuses copies (SnapshotQuotaExceeded) once a kind is full. Request at least ${request} in Service Quotas (Amazon RDS: "Manual DB instance snapshots" / "Manual DB cluster snapshots") and set ${PROJECT}:snapshotQuota, or keep fewer copies.`,
        );
      }
      return;
    }
    const capacity = quotaFit(0, perSource, quota).capacity;
    warnings.push(
      `each protected database keeps up to ${perSource} manual snapshots in the ${account} account (${why}): ${quotaName} holds ${capacity} database(s) of each kind under the ${QUOTA_ALARM_PERCENT} % alarm. Set ${PROJECT}:expectedSources to check your fleet (and ${PROJECT}:snapshotQuota once raised).`,
    );
  };
  if (config.sides === "save" || config.sides === "both") {
    const tiers = [
      config.keepWeekly ? `keepWeekly ${config.keepWeekly}` : "",
      config.keepMonthly ? `keepMonthly ${config.keepMonthly}` : "",
    ].filter(Boolean);
    check(
      "failsafe",
      copiesKeptPerSource(config),
      [`retentionDays ${config.retentionDays} + 1`, `minCopies ${config.minCopies}`, ...tiers].join(
        ", ",
      ),
    );
  }
  if (config.sides === "copy" || config.sides === "both") {
    check(
      "prod",
      intermediatesPerSource(config.intermediateKeepHours),
      `intermediate copies within intermediateKeepHours ${config.intermediateKeepHours}, plus the newest`,
    );
  }
  return warnings;
}
