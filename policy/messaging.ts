// The hand-off topic and the handlers' queues carry snapshot ids and account ids: encrypt them.
// A queue that feeds a Lambda needs a DLQ, or a poison message is retried until it expires and is
// lost silently (DESIGN.md: "Queues have DLQs").
import * as aws from "@pulumi/aws";
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { decodeJson, isRecord, isSet, knownString, readKnown, referencedResources } from "./util";

const QUEUE = "aws:sqs/queue:Queue";
const REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy";
const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";

export const snsTopicEncrypted: ResourceValidationPolicy = {
  name: "sns-topic-encrypted",
  description: "Checks whether every SNS topic is encrypted at rest with a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sns.Topic, (_topic, args, reportViolation) => {
    if (!isSet(args.props, "kmsMasterKeyId")) {
      reportViolation("SNS topic must be encrypted (set kmsMasterKeyId)");
    }
  }),
};

export const sqsQueueEncrypted: ResourceValidationPolicy = {
  name: "sqs-queue-encrypted",
  description:
    "Checks whether every SQS queue is encrypted at rest, with a KMS key or SQS-managed keys.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sqs.Queue, (_queue, args, reportViolation) => {
    // The inputs are what we see: AWS's own default (SSE-SQS on new queues) is not visible here,
    // so encryption must be explicit.
    const managed = readKnown(() => args.props["sqsManagedSseEnabled"] as unknown);
    if (!isSet(args.props, "kmsMasterKeyId") && managed !== true && typeof managed !== "symbol") {
      reportViolation(
        "SQS queue must be encrypted (set kmsMasterKeyId or sqsManagedSseEnabled: true)",
      );
    }
  }),
};

function hasDeadLetterTarget(redrivePolicy: unknown): boolean {
  if (typeof redrivePolicy === "symbol") return true; // not known in a preview: trust the update
  const decoded = decodeJson(redrivePolicy);
  return (
    isRecord(decoded) &&
    typeof decoded["deadLetterTargetArn"] === "string" &&
    decoded["deadLetterTargetArn"] !== ""
  );
}

function queueHasDlq(queue: PolicyResource, resources: readonly PolicyResource[]): boolean {
  if ("redrivePolicy" in queue.props) {
    if (hasDeadLetterTarget(readKnown(() => queue.props["redrivePolicy"] as unknown))) return true;
  }
  // A standalone aws.sqs.RedrivePolicy resource for this queue counts too.
  const url = knownString(queue, "url") ?? knownString(queue, "id");
  return resources
    .filter((r) => r.type === REDRIVE_POLICY)
    .some(
      (policy) =>
        referencedResources(policy, "queueUrl", [queue], (value) => value === url).length > 0 &&
        hasDeadLetterTarget(readKnown(() => policy.props["redrivePolicy"] as unknown)),
    );
}

export const sqsLambdaSourceHasDlq: StackValidationPolicy = {
  name: "sqs-lambda-source-has-dlq",
  description:
    "Checks whether every SQS queue that feeds a Lambda through an event source mapping has a redrive policy with a dead-letter queue.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const queues = args.resources.filter((r) => r.type === QUEUE);
    for (const mapping of args.resources.filter((r) => r.type === EVENT_SOURCE_MAPPING)) {
      const sources = referencedResources(
        mapping,
        "eventSourceArn",
        queues,
        (arn, queue) => knownString(queue, "arn") === arn,
      );
      const arn = knownString(mapping, "eventSourceArn");
      if (sources.length === 0 && arn !== undefined && arn.split(":")[2] === "sqs") {
        reportViolation(
          `Event source mapping must read from an SQS queue of this stack so its dead-letter queue can be checked (${arn})`,
          mapping.urn,
        );
      }
      for (const queue of sources) {
        if (!queueHasDlq(queue, args.resources)) {
          reportViolation(
            `SQS queue "${queue.name}" feeds a Lambda and must have a redrivePolicy with a deadLetterTargetArn`,
            queue.urn,
          );
        }
      }
    }
  },
};
