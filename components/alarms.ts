import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export interface AnyAboveZeroArgs {
  readonly name: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly statistic: "Sum" | "Maximum";
  /** Notified on ALARM and on OK. */
  readonly topicArn: pulumi.Input<string>;
}

/**
 * An alarm on "anything at all in five minutes" (errors, messages in a DLQ): for this product any
 * occurrence needs a look, and no data means nothing happened.
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
      alarmDescription: args.description,
      namespace: args.namespace,
      metricName: args.metricName,
      dimensions: args.dimensions,
      statistic: args.statistic,
      period: 300,
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
