import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { withRunbook } from "./runbook";

/** What every alarm of the program names: the metric, and the ops topic it tells. */
interface MetricAlarmBase {
  readonly name: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Notified on ALARM and on OK (heartbeats: on INSUFFICIENT_DATA too). */
  readonly topicArn: pulumi.Input<string>;
}

export interface AnyAboveZeroArgs extends MetricAlarmBase {
  readonly statistic: "Sum" | "Maximum";
  /** Seconds per datapoint: 300 (default) for events, 3600 for a figure an hourly sweep emits. */
  readonly periodSeconds?: number;
}

/**
 * An alarm on "anything at all in one period" (errors, messages in a DLQ, a database in RPO
 * breach): for this product any occurrence needs a look, and no data means nothing happened.
 */
export function anyAboveZeroAlarm(
  resourceName: string,
  args: AnyAboveZeroArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    resourceName,
    {
      name: args.name,
      alarmDescription: withRunbook(args.name, args.description),
      namespace: args.namespace,
      metricName: args.metricName,
      dimensions: args.dimensions,
      statistic: args.statistic,
      period: args.periodSeconds ?? 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [args.topicArn],
      okActions: [args.topicArn],
    },
    opts,
  );
}

export interface HeartbeatArgs extends MetricAlarmBase {
  /** How long without a beat before it tells: periods of one hour. */
  readonly hours: number;
}

/**
 * "Has this stopped?" for a function that emits a count on every successful run. Missing data is
 * treated as missing, not as breaching: right after a deploy, before the first run, the alarm is
 * INSUFFICIENT_DATA (grey), not red. When the beats stop for `hours`, every datapoint of the window
 * is missing and CloudWatch moves the alarm to INSUFFICIENT_DATA ("Configuring how CloudWatch
 * alarms treat missing data": with `missing`, when all datapoints of the evaluation range are
 * missing the alarm goes to INSUFFICIENT_DATA), whose action tells ops. Back to OK at the next beat.
 */
export function heartbeatAlarm(
  resourceName: string,
  args: HeartbeatArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    resourceName,
    {
      name: args.name,
      alarmDescription: withRunbook(args.name, args.description),
      namespace: args.namespace,
      metricName: args.metricName,
      dimensions: args.dimensions,
      statistic: "Sum",
      period: 3600,
      evaluationPeriods: args.hours,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "missing",
      alarmActions: [args.topicArn],
      insufficientDataActions: [args.topicArn],
      okActions: [args.topicArn],
    },
    opts,
  );
}
