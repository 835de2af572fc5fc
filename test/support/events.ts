import type { SQSEvent } from "aws-lambda";
import { randomUUID } from "node:crypto";
import type { SnapshotKind } from "../../handlers/naming";
import { partitionOf } from "../../handlers/partition";

/**
 * The EventBridge RDS event AWS emits, shaped like the samples in the Amazon RDS User Guide
 * ("Monitoring Amazon RDS events" → RDS DB snapshot/cluster snapshot event samples). Note the
 * sample's "rds:" in front of SourceIdentifier.
 */
export function rdsSnapshotEvent(args: {
  eventId: string;
  kind: SnapshotKind;
  snapshotArn: string;
  account: string;
  region: string;
}): Record<string, unknown> {
  const id = args.snapshotArn.split(":").slice(6).join(":");
  return {
    version: "0",
    id: randomUUID(),
    "detail-type":
      args.kind === "instance" ? "RDS DB Snapshot Event" : "RDS DB Cluster Snapshot Event",
    source: "aws.rds",
    account: args.account,
    time: new Date().toISOString(),
    region: args.region,
    resources: [args.snapshotArn],
    detail: {
      EventCategories: ["creation"],
      SourceType: args.kind === "instance" ? "SNAPSHOT" : "CLUSTER_SNAPSHOT",
      SourceArn: args.snapshotArn,
      Date: new Date().toISOString(),
      SourceIdentifier: id.startsWith("rds:") ? id : `rds:${id}`,
      Message: "Snapshot event",
      EventID: args.eventId,
    },
  };
}

/** An SQS batch as Lambda's event source mapping delivers it (queue ARN in `region`'s partition). */
export function sqsEvent(
  bodies: readonly (string | Record<string, unknown>)[],
  region = "eu-west-1",
): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `msg-${i}-${randomUUID()}`,
      receiptHandle: `rh-${i}`,
      body: typeof body === "string" ? body : JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: `arn:${partitionOf(region)}:sqs:${region}:111111111111:queue`,
      awsRegion: region,
    })),
  };
}

/** An SNS notification envelope, as SNS delivers to SQS without raw message delivery. */
export function snsEnvelope(topicArn: string, message: string | Record<string, unknown>): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: typeof message === "string" ? message : JSON.stringify(message),
    Timestamp: new Date().toISOString(),
  });
}

/**
 * What a sweep function receives: its schedule rule's "Scheduled Event" (the sample in the
 * EventBridge user guide, "Creating a rule that runs on a schedule"), sent to the sweep's FIFO
 * queue and delivered by the event source mapping as an SQS batch (components/function.ts).
 */
export function scheduledSweepEvent(
  functionName: string,
  account: string,
  region: string,
): SQSEvent {
  const event = {
    version: "0",
    id: randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:events:${region}:${account}:rule/${functionName}-schedule`],
    detail: {},
  };
  const batch = sqsEvent([event]);
  return {
    Records: batch.Records.map((r) => ({
      ...r,
      attributes: { ...r.attributes, MessageGroupId: "sweep", MessageDeduplicationId: event.id },
      eventSourceARN: `arn:aws:sqs:${region}:${account}:${functionName}.fifo`,
      awsRegion: region,
    })),
  };
}
