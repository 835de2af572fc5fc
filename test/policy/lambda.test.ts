import { strict as assert } from "node:assert";
import {
  lambdaBoundedConcurrency,
  lambdaExplicitRole,
  lambdaLogRetention,
  lambdaSupportedRuntime,
  lambdaTimeout,
} from "../../policy/lambda";
import type { MockResource } from "../../policy/run";
import { isNotApplicable, resource, urn, validateResource, validateStack } from "./helpers";

const FUNCTION = "aws:lambda/function:Function";
const ESM = "aws:lambda/eventSourceMapping:EventSourceMapping";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";
const ROLE_ARN = "arn:aws:iam::111111111111:role/copy";
const FN_ARN = "arn:aws:lambda:eu-west-1:111111111111:function:copy-1a2b";

const good = { role: ROLE_ARN, runtime: "nodejs22.x", timeout: 60 };

const resourceCases = [
  { policy: lambdaExplicitRole, name: "compliant", props: good, expected: [] },
  {
    policy: lambdaExplicitRole,
    name: "no role",
    props: { runtime: "nodejs22.x" },
    expected: ["Lambda function must set role to its own least-privilege execution role"],
  },
  {
    policy: lambdaSupportedRuntime,
    name: "compliant: nodejs24.x",
    props: { runtime: "nodejs24.x" },
    expected: [],
  },
  {
    policy: lambdaSupportedRuntime,
    name: "nodejs20.x (end of life April 2026)",
    props: { runtime: "nodejs20.x" },
    expected: [
      "Lambda function must use one of the runtimes nodejs22.x, nodejs24.x (is nodejs20.x)",
    ],
  },
  {
    policy: lambdaSupportedRuntime,
    name: "no runtime",
    props: {},
    expected: ["Lambda function must use one of the runtimes nodejs22.x, nodejs24.x (is unset)"],
  },
  {
    policy: lambdaSupportedRuntime,
    name: "configured allow-list",
    props: { runtime: "nodejs22.x" },
    config: { allowedRuntimes: ["nodejs24.x"] },
    expected: ["Lambda function must use one of the runtimes nodejs24.x (is nodejs22.x)"],
  },
  { policy: lambdaTimeout, name: "compliant: 60", props: { timeout: 60 }, expected: [] },
  { policy: lambdaTimeout, name: "compliant: unset (Lambda's 3 s)", props: {}, expected: [] },
  {
    policy: lambdaTimeout,
    name: "CallbackFunction's default 180",
    props: { timeout: 180 },
    expected: ["Lambda function must have a timeout of at most 60 seconds (is 180)"],
  },
];

const fn = (props: Record<string, unknown> = {}) =>
  resource(FUNCTION, "copy", { name: "copy-1a2b", arn: FN_ARN, ...good, ...props });
const mapping = (props: Record<string, unknown>) =>
  resource(ESM, "copy", {
    eventSourceArn: "arn:aws:sqs:eu-west-1:111111111111:copy",
    functionName: FN_ARN,
    ...props,
  });
const logGroup = (props: Record<string, unknown>) =>
  resource(LOG_GROUP, "copy-logs", { name: "/aws/lambda/copy-1a2b", ...props });

const unbounded = {
  message:
    'Lambda function "copy" must bound its concurrency (only event source mappings with scalingConfig.maximumConcurrency)',
  urn: urn(FUNCTION, "copy"),
};
const reservedOnly = {
  message:
    'Lambda function "copy" must bound its concurrency with event source mappings that set scalingConfig.maximumConcurrency, not reservedConcurrentExecutions (a new account\'s concurrency quota of 10 cannot grant a reservation: Lambda keeps 100 unreserved)',
  urn: urn(FUNCTION, "copy"),
};

const concurrencyCases: {
  name: string;
  resources: MockResource[];
  config?: Record<string, unknown>;
  expected: unknown[];
}[] = [
  {
    name: "reserved concurrency only (a new account cannot deploy it)",
    resources: [fn({ reservedConcurrentExecutions: 5 })],
    expected: [reservedOnly],
  },
  {
    name: "compliant: reserved concurrency with reservedConcurrencyAllowed",
    resources: [fn({ reservedConcurrentExecutions: 5 })],
    config: { reservedConcurrencyAllowed: true },
    expected: [],
  },
  {
    name: "compliant: reserved concurrency and a bounded mapping",
    resources: [
      fn({ reservedConcurrentExecutions: 1 }),
      mapping({ scalingConfig: { maximumConcurrency: 2 } }),
    ],
    expected: [],
  },
  {
    name: "compliant: a schedule through a FIFO queue and a mapping (the sweeps)",
    resources: [
      fn(),
      mapping({
        eventSourceArn: "arn:aws:sqs:eu-west-1:111111111111:rds-failsafe-prod-sweep.fifo",
        scalingConfig: { maximumConcurrency: 2 },
      }),
      resource("aws:cloudwatch/eventTarget:EventTarget", "schedule", {
        rule: "rds-failsafe-prod-sweep-schedule",
        arn: "arn:aws:sqs:eu-west-1:111111111111:rds-failsafe-prod-sweep.fifo",
        sqsTarget: { messageGroupId: "sweep" },
      }),
    ],
    expected: [],
  },
  {
    name: "a schedule invoking the function directly (Permission), no reservation",
    resources: [
      fn(),
      resource("aws:lambda/permission:Permission", "schedule", {
        function: "copy-1a2b",
        principal: "events.amazonaws.com",
      }),
    ],
    expected: [unbounded],
  },
  {
    name: "compliant: SQS mapping with maximumConcurrency",
    resources: [fn(), mapping({ scalingConfig: { maximumConcurrency: 5 } })],
    expected: [],
  },
  { name: "nothing bounds it", resources: [fn()], expected: [unbounded] },
  {
    name: "reserved -1 (unreserved)",
    resources: [fn({ reservedConcurrentExecutions: -1 })],
    config: { reservedConcurrencyAllowed: true },
    expected: [
      {
        ...unbounded,
        message: unbounded.message.replace(")", ", or reservedConcurrentExecutions ≥ 1)"),
      },
    ],
  },
  {
    name: "mapping without maximumConcurrency",
    resources: [fn(), mapping({})],
    expected: [unbounded],
  },
  {
    name: "mapping bounded but a Permission lets EventBridge invoke it directly",
    resources: [
      fn(),
      mapping({ scalingConfig: { maximumConcurrency: 5 } }),
      resource("aws:lambda/permission:Permission", "schedule", {
        function: "copy-1a2b",
        principal: "events.amazonaws.com",
      }),
    ],
    expected: [unbounded],
  },
];

const retentionCases: { name: string; resources: MockResource[]; expected: unknown[] }[] = [
  {
    name: "compliant: /aws/lambda/<name>",
    resources: [fn(), logGroup({ retentionInDays: 30 })],
    expected: [],
  },
  {
    name: "compliant: loggingConfig.logGroup",
    resources: [
      fn({ loggingConfig: { logFormat: "JSON", logGroup: "/rds-failsafe/copy" } }),
      logGroup({ name: "/rds-failsafe/copy", retentionInDays: 30 }),
    ],
    expected: [],
  },
  {
    name: "compliant: name built from the function's output (property dependency)",
    resources: [
      fn(),
      resource(
        LOG_GROUP,
        "copy-logs",
        { retentionInDays: 14 },
        {
          propertyDependencies: { name: [urn(FUNCTION, "copy")] },
        },
      ),
    ],
    expected: [],
  },
  {
    name: "no log group",
    resources: [fn()],
    expected: [
      {
        message:
          'Lambda function "copy" must have a log group in this stack (/aws/lambda/<function name> or loggingConfig.logGroup) with retentionInDays set',
        urn: urn(FUNCTION, "copy"),
      },
    ],
  },
  {
    name: "log group without retention",
    resources: [fn(), logGroup({ retentionInDays: 0 })],
    expected: [
      {
        message: 'Log group "copy-logs" of Lambda function "copy" must set retentionInDays',
        urn: urn(LOG_GROUP, "copy-logs"),
      },
    ],
  },
];

describe("policy/lambda", () => {
  for (const c of resourceCases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(c.policy, resource(FUNCTION, "copy", c.props), c.config),
        c.expected,
      );
    });
  }
  it("lambda-supported-runtime: not applicable to container images", async () => {
    assert.equal(
      await isNotApplicable(
        lambdaSupportedRuntime,
        resource(FUNCTION, "f", { packageType: "Image" }),
      ),
      true,
    );
  });
  for (const c of concurrencyCases) {
    it(`${lambdaBoundedConcurrency.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateStack(lambdaBoundedConcurrency, c.resources, c.config),
        c.expected,
      );
    });
  }
  for (const c of retentionCases) {
    it(`${lambdaLogRetention.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateStack(lambdaLogRetention, c.resources), c.expected);
    });
  }
});
