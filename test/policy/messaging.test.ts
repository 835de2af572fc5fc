import { strict as assert } from "node:assert";
import {
  snsTopicEncrypted,
  sqsLambdaSourceHasDlq,
  sqsQueueEncrypted,
} from "../../policy/messaging";
import type { MockResource } from "../../policy/run";
import { resource, urn, validateResource, validateStack } from "./helpers";

const QUEUE = "aws:sqs/queue:Queue";
const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
const COPY_ARN = "arn:aws:sqs:eu-west-1:111111111111:copy";
const DLQ_ARN = "arn:aws:sqs:eu-west-1:111111111111:copy-dlq";
const redrive = JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 });

const resourceCases = [
  {
    policy: snsTopicEncrypted,
    type: "aws:sns/topic:Topic",
    name: "compliant",
    props: { kmsMasterKeyId: "arn:aws:kms:eu-west-1:222222222222:key/k" },
    expected: [],
  },
  {
    policy: snsTopicEncrypted,
    type: "aws:sns/topic:Topic",
    name: "no key",
    props: {},
    expected: ["SNS topic must be encrypted (set kmsMasterKeyId)"],
  },
  {
    policy: sqsQueueEncrypted,
    type: QUEUE,
    name: "compliant: KMS",
    props: { kmsMasterKeyId: "alias/k" },
    expected: [],
  },
  {
    policy: sqsQueueEncrypted,
    type: QUEUE,
    name: "compliant: SSE-SQS",
    props: { sqsManagedSseEnabled: true },
    expected: [],
  },
  {
    policy: sqsQueueEncrypted,
    type: QUEUE,
    name: "not encrypted",
    props: { sqsManagedSseEnabled: false },
    expected: ["SQS queue must be encrypted (set kmsMasterKeyId or sqsManagedSseEnabled: true)"],
  },
];

function stack(queueProps: Record<string, unknown>, extra: MockResource[] = []): MockResource[] {
  const queue = resource(QUEUE, "copy", { arn: COPY_ARN, url: "https://sqs/copy", ...queueProps });
  return [
    queue,
    resource(QUEUE, "copy-dlq", { arn: DLQ_ARN, sqsManagedSseEnabled: true }),
    resource(ESM, "copy", { eventSourceArn: COPY_ARN, functionName: "copy" }),
    ...extra,
  ];
}

const stackCases: {
  name: string;
  resources: MockResource[];
  expected: { message: string; urn?: string }[];
}[] = [
  {
    name: "compliant: redrivePolicy on the queue",
    resources: stack({ redrivePolicy: redrive }),
    expected: [],
  },
  {
    name: "compliant: a separate aws.sqs.RedrivePolicy",
    resources: stack({}, [
      resource("aws:sqs/redrivePolicy:RedrivePolicy", "copy", {
        queueUrl: "https://sqs/copy",
        redrivePolicy: redrive,
      }),
    ]),
    expected: [],
  },
  {
    name: "compliant: matched by property dependency when the ARN is not known",
    resources: [
      resource(QUEUE, "copy", { redrivePolicy: redrive }),
      resource(ESM, "copy", {}, { propertyDependencies: { eventSourceArn: [urn(QUEUE, "copy")] } }),
    ],
    expected: [],
  },
  {
    name: "queue without DLQ",
    resources: stack({}),
    expected: [
      {
        message:
          'SQS queue "copy" feeds a Lambda and must have a redrivePolicy with a deadLetterTargetArn',
        urn: urn(QUEUE, "copy"),
      },
    ],
  },
  {
    name: "redrivePolicy without a target",
    resources: stack({ redrivePolicy: JSON.stringify({ maxReceiveCount: 5 }) }),
    expected: [
      {
        message:
          'SQS queue "copy" feeds a Lambda and must have a redrivePolicy with a deadLetterTargetArn',
        urn: urn(QUEUE, "copy"),
      },
    ],
  },
  {
    name: "queue outside the stack",
    resources: [resource(ESM, "copy", { eventSourceArn: COPY_ARN })],
    expected: [
      {
        message: `Event source mapping must read from an SQS queue of this stack so its dead-letter queue can be checked (${COPY_ARN})`,
        urn: urn(ESM, "copy"),
      },
    ],
  },
];

describe("policy/messaging", () => {
  for (const c of resourceCases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(c.policy, resource(c.type, "r", c.props)),
        c.expected,
      );
    });
  }
  for (const c of stackCases) {
    it(`${sqsLambdaSourceHasDlq.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateStack(sqsLambdaSourceHasDlq, c.resources), c.expected);
    });
  }
});
