import { strict as assert } from "node:assert";
import {
  formatViolations,
  hasMandatoryViolation,
  type MockResource,
  runPolicies,
} from "../../policy/run";
import { COPY_SIDE_TYPE } from "../../policy/stack";
import { doc, PROD, resource, urn } from "./helpers";

const COPY = [COPY_SIDE_TYPE];
const TAGS = { Application: "rds-failsafe", ManagedBy: "pulumi", Stack: "prod" };
const provider = {
  type: "pulumi:providers:aws",
  name: "prod",
  props: {
    allowedAccountIds: JSON.stringify([PROD]),
    assumeRoles: JSON.stringify([{ roleArn: `arn:aws:iam::${PROD}:role/deploy` }]),
    defaultTags: JSON.stringify({ tags: TAGS }),
  },
};
const QUEUE_ARN = `arn:aws:sqs:eu-west-1:${PROD}:copy`;
const DLQ_ARN = `arn:aws:sqs:eu-west-1:${PROD}:copy-dlq`;
const ROLE_ARN = `arn:aws:iam::${PROD}:role/copy`;
const FN_ARN = `arn:aws:lambda:eu-west-1:${PROD}:function:copy`;
const on = { parents: COPY, provider };

/** A compliant copy side in miniature: queue + DLQ → handler with its role and log group. */
function copySide(overrides: { fn?: Record<string, unknown> } = {}): MockResource[] {
  return [
    resource(COPY_SIDE_TYPE, "copy", {}),
    resource("aws:kms/key:Key", "transit", { enableKeyRotation: true, arn: "k" }, on),
    resource("aws:sqs/queue:Queue", "copy-dlq", { arn: DLQ_ARN, sqsManagedSseEnabled: true }, on),
    resource(
      "aws:sqs/queue:Queue",
      "copy",
      {
        arn: QUEUE_ARN,
        sqsManagedSseEnabled: true,
        redrivePolicy: JSON.stringify({ deadLetterTargetArn: DLQ_ARN, maxReceiveCount: 5 }),
      },
      on,
    ),
    resource(
      "aws:iam/role:Role",
      "copy",
      {
        arn: ROLE_ARN,
        assumeRolePolicy: doc({
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        }),
      },
      on,
    ),
    resource(
      "aws:iam/rolePolicy:RolePolicy",
      "copy",
      {
        role: "copy",
        policy: doc(
          {
            Effect: "Allow",
            Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
            Resource: [
              `arn:aws:rds:eu-west-1:${PROD}:snapshot:*`,
              `arn:aws:rds:eu-west-1:${PROD}:cluster-snapshot:*`,
            ],
          },
          { Effect: "Allow", Action: "rds:DescribeAccountAttributes", Resource: "*" },
        ),
      },
      on,
    ),
    resource(
      "aws:lambda/function:Function",
      "copy",
      {
        name: "copy",
        arn: FN_ARN,
        role: ROLE_ARN,
        runtime: "nodejs22.x",
        timeout: 60,
        ...overrides.fn,
      },
      on,
    ),
    resource(
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "copy",
      { eventSourceArn: QUEUE_ARN, functionName: FN_ARN, scalingConfig: { maximumConcurrency: 5 } },
      on,
    ),
    resource(
      "aws:cloudwatch/logGroup:LogGroup",
      "copy",
      { name: "/aws/lambda/copy", retentionInDays: 30 },
      on,
    ),
  ];
}

const config = {
  "stack-resources-in-their-account": { prodAccountId: PROD, failsafeAccountId: "222222222222" },
  "rds-snapshot-sharing": { failsafeAccountId: "222222222222" },
};

describe("policy/run: runPolicies", () => {
  it("a compliant copy side has no violations", async () => {
    const violations = await runPolicies(copySide(), config);
    assert.deepEqual(violations, []);
    assert.equal(formatViolations(violations), "Policies: no violations");
  });

  it("reports resource, policy, level and message, resource policies first", async () => {
    const violations = await runPolicies(
      copySide({ fn: { timeout: 180, runtime: "nodejs20.x" } }),
      {
        ...config,
        "lambda-supported-runtime": "advisory",
      },
    );
    const fnUrn = urn("aws:lambda/function:Function", "copy", COPY);
    assert.deepEqual(violations, [
      {
        resource: fnUrn,
        policy: "lambda-supported-runtime",
        level: "advisory",
        message:
          "Lambda function must use one of the runtimes nodejs22.x, nodejs24.x (is nodejs20.x)",
      },
      {
        resource: fnUrn,
        policy: "lambda-timeout",
        level: "mandatory",
        message: "Lambda function must have a timeout of at most 60 seconds (is 180)",
      },
    ]);
    assert.equal(hasMandatoryViolation(violations), true);
    assert.equal(
      formatViolations(violations.slice(1)),
      `[mandatory] lambda-timeout  ${fnUrn}\n    Lambda function must have a timeout of at most 60 seconds (is 180)`,
    );
  });

  it("passes policy config (over the schema defaults) and skips disabled policies", async () => {
    const resources = copySide({ fn: { timeout: 90 } });
    const allowed = await runPolicies(resources, {
      ...config,
      "lambda-timeout": { maximumTimeoutSeconds: 120 },
    });
    assert.deepEqual(allowed, []);
    const disabled = await runPolicies(resources, { ...config, "lambda-timeout": "disabled" });
    assert.deepEqual(disabled, []);
  });

  it("reports stack policies with their resource, or the stack", async () => {
    const violations = await runPolicies(copySide());
    assert.deepEqual(violations, [
      {
        resource: "",
        policy: "stack-resources-in-their-account",
        level: "mandatory",
        message: "Policy config prodAccountIds must be set to check the copy side's account",
      },
    ]);
  });
});
