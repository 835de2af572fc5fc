import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { servicePrincipal } from "../handlers/partition";
import { anyAboveZeroAlarm } from "./alarms";
import { policyDocument } from "./iam";
import { dlqName, queueName, regionArns } from "./names";

/**
 * A copy refused because ~20 copies are already in flight (SnapshotQuotaExceeded) is retried
 * every visibility timeout (6 min); 24 receives keep retrying for 2.4 h, long enough for a burst
 * of hundreds of databases to drain, before the message is parked in the DLQ. (The hourly sweeps
 * would still copy anything parked.)
 */
export const COPY_QUEUE_MAX_RECEIVES = 24;

export interface QueueWithDlqArgs {
  /** Provider of the account the queues live in. */
  readonly provider: aws.Provider;
  readonly region: string;
  /** Account of the queues (their ARNs are computed, so the queue policy is known at preview). */
  readonly account: string;
  /** Timeout of the consuming function: the visibility timeout is six times it (AWS guidance). */
  readonly consumerTimeoutSeconds: number;
  /** Deliveries before a message is parked in the DLQ. */
  readonly maxReceiveCount?: number;
  /** The AWS service allowed to send (events or sns)… */
  readonly senderService: "events" | "sns";
  /** …and only from this source ARN (rule or topic), computed from its fixed name. */
  readonly senderArn: string;
  /** Topic the DLQ-depth alarm notifies. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /**
   * A FIFO queue (and FIFO DLQ, as SQS requires), names ending in `.fifo`, with content-based
   * deduplication: EventBridge rule targets can set only a MessageGroupId, and a redelivered
   * event has the same content, so it is dropped within SQS's 5-minute deduplication interval.
   */
  readonly fifo?: boolean;
  /** Hours a message waits before it expires (default 4 days). */
  readonly retentionHours?: number;
}

/**
 * An SQS queue feeding one Lambda, with a dead-letter queue (14 days, alarmed) and a queue policy
 * that admits only the one EventBridge rule or SNS topic that feeds it. Both queues use SSE-SQS:
 * EventBridge and SNS can deliver to it without access to a customer key.
 */
export class QueueWithDlq extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly dlq: aws.sqs.Queue;
  readonly dlqAlarm: aws.cloudwatch.MetricAlarm;
  /** The queue's name and ARN, known before it exists (for IAM documents). */
  readonly queueName: string;
  readonly queueArn: string;

  constructor(name: string, args: QueueWithDlqArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:queue:QueueWithDlq", name, {}, opts);
    const child = { parent: this, provider: args.provider };
    const fifo = args.fifo === true;
    const suffix = fifo ? ".fifo" : "";
    const fifoArgs = fifo ? { fifoQueue: true, contentBasedDeduplication: true } : {};
    this.queueName = `${queueName(name)}${suffix}`;
    this.queueArn = regionArns(args.region).queue(args.account, this.queueName);

    this.dlq = new aws.sqs.Queue(
      `${name}-dlq`,
      {
        name: `${dlqName(name)}${suffix}`,
        sqsManagedSseEnabled: true,
        messageRetentionSeconds: 14 * 86_400,
        ...fifoArgs,
      },
      child,
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        name: this.queueName,
        sqsManagedSseEnabled: true,
        visibilityTimeoutSeconds: 6 * args.consumerTimeoutSeconds,
        messageRetentionSeconds: (args.retentionHours ?? 96) * 3600,
        ...fifoArgs,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.dlq.arn,
          maxReceiveCount: args.maxReceiveCount ?? 5,
        }),
      },
      child,
    );
    new aws.sqs.QueuePolicy(
      name,
      {
        queueUrl: this.queue.url,
        policy: policyDocument([
          {
            Sid: "OnlyTheFeedingSourceSends",
            Effect: "Allow",
            Principal: { Service: servicePrincipal(args.senderService, args.region) },
            Action: "sqs:SendMessage",
            Resource: this.queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": args.senderArn } },
          },
        ]),
      },
      child,
    );
    this.dlqAlarm = anyAboveZeroAlarm(
      `${name}-dlq-depth`,
      {
        name: `rds-failsafe-${name}-dlq-not-empty`,
        description: `Messages for ${name} failed ${args.maxReceiveCount ?? 5} times and wait in the DLQ: fix the cause, then redrive.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: this.dlq.name },
        statistic: "Maximum",
        topicArn: args.alarmTopicArn,
      },
      child,
    );
    this.registerOutputs({ queueUrl: this.queue.url, dlqUrl: this.dlq.url });
  }
}
