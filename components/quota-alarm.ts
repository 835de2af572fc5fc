import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { METRICS_NAMESPACE } from "../handlers/metrics";
import { QUOTA_ALARM_PERCENT } from "../handlers/quota";
import { withRunbook } from "./runbook";

/** The quota alarm of each account (names differ so the runbook has a section for each). */
export const QUOTA_ALARM_NAMES = {
  failsafe: "rds-failsafe-snapshot-quota",
  prod: "rds-failsafe-prod-snapshot-quota",
} as const;

export interface SnapshotQuotaAlarmArgs {
  readonly account: "failsafe" | "prod";
  /** Powertools' service dimension of the sweep that publishes SnapshotQuotaUsedPercent. */
  readonly service: string;
  /** Notified on ALARM, OK and INSUFFICIENT_DATA. */
  readonly topicArn: pulumi.Input<string>;
}

/**
 * SnapshotQuotaUsedPercent (handlers/quota.ts, published by the account's hourly sweep) at or
 * above 80 % of the manual-snapshot quota in either kind: request a quota increase before RDS
 * refuses the next copy. One datapoint in two hours is enough to alarm; with no datapoint for two
 * hours (the sweep stopped, or it cannot read the quota) the alarm goes to INSUFFICIENT_DATA and
 * tells ops too, so a missing rds:DescribeAccountAttributes permission cannot hide a full quota.
 * Right after a deploy the alarm is INSUFFICIENT_DATA without telling anyone (no transition).
 */
export function snapshotQuotaAlarm(
  resourceName: string,
  args: SnapshotQuotaAlarmArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  const name = QUOTA_ALARM_NAMES[args.account];
  const where = args.account === "failsafe" ? "failsafe copies" : "intermediate copies";
  return new aws.cloudwatch.MetricAlarm(
    resourceName,
    {
      name,
      alarmDescription: withRunbook(
        name,
        `The ${args.account} account uses ${QUOTA_ALARM_PERCENT} % or more of its manual-snapshot quota (ManualSnapshots or ManualClusterSnapshots, DescribeAccountAttributes): at 100 % RDS refuses new ${where} (SnapshotQuotaExceeded) and the RPO runs out. Request a quota increase, or keep fewer copies. INSUFFICIENT_DATA: the sweep published no quota figure for 2 h.`,
      ),
      namespace: METRICS_NAMESPACE,
      metricName: "SnapshotQuotaUsedPercent",
      dimensions: { service: args.service },
      statistic: "Maximum",
      period: 3600,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      threshold: QUOTA_ALARM_PERCENT,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "missing",
      alarmActions: [args.topicArn],
      okActions: [args.topicArn],
      insufficientDataActions: [args.topicArn],
    },
    opts,
  );
}
