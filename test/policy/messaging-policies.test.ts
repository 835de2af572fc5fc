// Topic and queue policies: Compliance with the target shapes (DOCS-TARGET.md), then one
// Noncompliance case per weakening, with the exact violation.
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  snsHandoffTopicPublishers,
  snsSqsPolicyActionsLimited,
  snsSqsPolicyPrincipalsNarrowed,
} from "../../policy/messaging";
import type { MockResource } from "../../policy/run";
import { SAVE_SIDE_TYPE } from "../../policy/stack";
import { FAILSAFE, PROD, resource, urn, validateResource, validateStack } from "./helpers";
import {
  document,
  HANDOFF_TOPIC,
  handoffTopicPolicy,
  PRODS,
  publishers,
  queuePolicy,
  type Stmt,
} from "./target";

const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const QUEUE = "aws:sqs/queue:Queue";
const QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
const RULE = `arn:aws:events:eu-west-1:${FAILSAFE}:rule/rds-failsafe-failsafe-copy-ready`;
const retention = () =>
  queuePolicy(FAILSAFE, "rds-failsafe-retention", "events.amazonaws.com", RULE);
const edit = (statements: Stmt[], change: (s: Stmt) => Stmt): Stmt[] =>
  statements.map((s) => change(structuredClone(s)));
const queue = (statements: Stmt[]) =>
  resource(QUEUE_POLICY, "retention", {
    queueUrl: "https://sqs/retention",
    policy: document(statements),
  });
const topic = (statements: Stmt[]) =>
  resource(TOPIC_POLICY, "handoff", { arn: HANDOFF_TOPIC, policy: document(statements) });
const S = 'Statement "OnlyTheFeedingSourceSends"';
const H = 'Statement "OnlyProdShareRolesPublish"';

const cases: {
  name: string;
  policy: ResourceValidationPolicy;
  resource: MockResource;
  config?: Record<string, unknown>;
  expected: string[];
}[] = [
  // sns-sqs-policy-principals-narrowed
  {
    name: "Compliance: a queue fed by one EventBridge rule",
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: queue(retention()),
    expected: [],
  },
  {
    name: "Compliance: the hand-off topic (accounts pinned by aws:PrincipalArn)",
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: topic(handoffTopicPolicy()),
    expected: [],
  },
  {
    name: 'Compliance: Principal "*" pinned by aws:SourceArn; a named role needs no condition',
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: queue([
      ...edit(retention(), (s) => ({ ...s, Principal: "*" })),
      {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${FAILSAFE}:role/rds-failsafe-save` },
        Action: "sqs:SendMessage",
        Resource: "arn:aws:sqs:eu-west-1:222222222222:rds-failsafe-retention",
      },
    ]),
    expected: [],
  },
  {
    name: "Noncompliance 1: a service principal without aws:SourceArn (any account's rule could send)",
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: queue(
      edit(retention(), (s) => {
        delete s["Condition"];
        return s;
      }),
    ),
    expected: [
      `${S} lets events.amazonaws.com in and must pin aws:SourceArn to exact ARNs (ArnEquals, no wildcard, not …IfExists)`,
    ],
  },
  {
    name: "Noncompliance 2: aws:SourceArn with a wildcard, and only if it exists",
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: queue([
      ...edit(retention(), (s) => ({
        ...s,
        Condition: { ArnLike: { "aws:SourceArn": "arn:aws:events:eu-west-1:*:rule/*" } },
      })),
      ...edit(retention(), (s) => ({
        ...s,
        Sid: "IfExists",
        Condition: { ArnEqualsIfExists: { "aws:SourceArn": RULE } },
      })),
    ]),
    expected: [
      `${S} lets events.amazonaws.com in and must pin aws:SourceArn to exact ARNs (ArnEquals, no wildcard, not …IfExists)`,
      'Statement "IfExists" lets events.amazonaws.com in and must pin aws:SourceArn to exact ARNs (ArnEquals, no wildcard, not …IfExists)',
    ],
  },
  {
    name: 'Noncompliance 3: {AWS: "*"} and a bare account id, unconditioned, on an aws.sns.Topic policy input',
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: resource(TOPIC, "handoff", {
      name: "rds-failsafe-handoff",
      policy: document([
        {
          Effect: "Allow",
          Principal: { AWS: ["*", PROD] },
          Action: "sns:Publish",
          Resource: HANDOFF_TOPIC,
        },
      ]),
    }),
    expected: [
      `Statement 1 lets Principal "*", account ${PROD} in and must pin aws:SourceArn or aws:PrincipalArn to exact ARNs (ArnEquals, no wildcard, not …IfExists)`,
    ],
  },
  {
    name: "Noncompliance 4: a service principal pinned by aws:PrincipalArn only; NotPrincipal",
    policy: snsSqsPolicyPrincipalsNarrowed,
    resource: resource(QUEUE, "retention", {
      policy: document([
        ...edit(retention(), (s) => ({
          ...s,
          Condition: { ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${FAILSAFE}:role/x` } },
        })),
        {
          Sid: "AllBut",
          Effect: "Allow",
          NotPrincipal: { AWS: `arn:aws:iam::${PROD}:root` },
          Action: "sqs:SendMessage",
          Resource: "*",
        },
      ]),
    }),
    expected: [
      `${S} lets events.amazonaws.com in and must pin aws:SourceArn to exact ARNs (ArnEquals, no wildcard, not …IfExists)`,
      'Statement "AllBut" must not use NotPrincipal in an Allow',
    ],
  },
  // sns-sqs-policy-actions-limited
  {
    name: "Compliance: sqs:SendMessage on a queue, sns:Publish on a topic",
    policy: snsSqsPolicyActionsLimited,
    resource: queue(retention()),
    expected: [],
  },
  {
    name: "Compliance: the hand-off topic",
    policy: snsSqsPolicyActionsLimited,
    resource: topic(handoffTopicPolicy()),
    expected: [],
  },
  {
    name: 'Noncompliance 1: sqs:* for Principal "*" (the audit\'s queue weakening)',
    policy: snsSqsPolicyActionsLimited,
    resource: queue(edit(retention(), (s) => ({ ...s, Principal: "*", Action: "sqs:*" }))),
    expected: [`${S} of the queue policy must allow only sqs:SendMessage (not sqs:*)`],
  },
  {
    name: "Noncompliance 2: subscribe and policy changes on the hand-off topic",
    policy: snsSqsPolicyActionsLimited,
    resource: topic(
      edit(handoffTopicPolicy(), (s) => ({
        ...s,
        Action: ["sns:Publish", "sns:Subscribe", "sns:SetTopicAttributes"],
      })),
    ),
    expected: [
      `${H} of the topic policy must allow only sns:Publish (not sns:Subscribe, sns:SetTopicAttributes)`,
    ],
  },
  {
    name: "Noncompliance 3: NotAction on a queue's own policy input",
    policy: snsSqsPolicyActionsLimited,
    resource: resource(QUEUE, "retention", {
      policy: document(
        edit(retention(), (s) => {
          delete s["Action"];
          return { ...s, NotAction: "sqs:DeleteQueue" };
        }),
      ),
    }),
    expected: [
      `${S} of the queue policy must allow only sqs:SendMessage (not NotAction sqs:DeleteQueue)`,
    ],
  },
  {
    name: "Compliance: a further action the config allows",
    policy: snsSqsPolicyActionsLimited,
    resource: queue(
      edit(retention(), (s) => ({ ...s, Action: ["sqs:SendMessage", "sqs:GetQueueUrl"] })),
    ),
    config: { queueActions: ["sqs:SendMessage", "sqs:GetQueueUrl"] },
    expected: [],
  },
];

describe("policy/messaging topic and queue policies", () => {
  for (const c of cases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateResource(c.policy, c.resource, c.config), c.expected);
    });
  }
});

// sns-handoff-topic-publishers (a stack policy: it finds the hand-off topic's policy).
const SAVE = { parents: [SAVE_SIDE_TYPE] };
const handoffTopic = resource(
  TOPIC,
  "handoff",
  { name: "rds-failsafe-handoff", arn: HANDOFF_TOPIC },
  SAVE,
);
const handoffStack = (statements: Stmt[], arn: unknown = HANDOFF_TOPIC): MockResource[] => [
  handoffTopic,
  resource(
    TOPIC_POLICY,
    "handoff",
    { arn, policy: document(statements) },
    {
      ...SAVE,
      propertyDependencies: { arn: [handoffTopic.urn] },
    },
  ),
];
const POLICY_URN = urn(TOPIC_POLICY, "handoff", [SAVE_SIDE_TYPE]);
const allowedRoles = PRODS.flatMap((a) =>
  ["rds-failsafe-share", "rds-failsafe-prod-sweep"].map(
    (n) => `arn:<partition>:iam::${a}:role/${n}`,
  ),
).join(", ");
const mustLetOnly = (why: string) =>
  `${H} of the hand-off topic policy must let only the prod share and sweep roles publish (${allowedRoles}): ${why}`;
const prods = { prodAccountIds: PRODS };

const stackCases: {
  name: string;
  resources: MockResource[];
  config?: Record<string, unknown>;
  expected: { message: string; urn?: string }[];
}[] = [
  {
    name: "Compliance: both prod accounts, pinned to their share and sweep roles",
    resources: handoffStack(handoffTopicPolicy()),
    config: prods,
    expected: [],
  },
  {
    name: "Compliance: the roles themselves as principals",
    resources: handoffStack(
      edit(handoffTopicPolicy(), (s) => {
        delete s["Condition"];
        return { ...s, Principal: { AWS: publishers() } };
      }),
    ),
    config: prods,
    expected: [],
  },
  {
    name: "Compliance: the legacy single prodAccountId",
    resources: handoffStack(handoffTopicPolicy([PROD])),
    config: { prodAccountId: PROD },
    expected: [],
  },
  {
    name: 'Noncompliance 1: opened to {AWS: "*"} with no condition (the audit\'s topic weakening)',
    resources: handoffStack(
      edit(handoffTopicPolicy(), (s) => {
        delete s["Condition"];
        return { ...s, Principal: { AWS: "*" }, Action: "sns:*" };
      }),
    ),
    config: prods,
    expected: [
      {
        message: mustLetOnly(
          'it names Principal "*"; it does not pin aws:PrincipalArn (ArnEquals) to those roles',
        ),
        urn: POLICY_URN,
      },
    ],
  },
  {
    name: "Noncompliance 2: one more role, and an account that is not a prod account",
    resources: handoffStack(
      edit(handoffTopicPolicy(), (s) => ({
        ...s,
        Principal: {
          AWS: [...PRODS.map((a) => `arn:aws:iam::${a}:root`), "arn:aws:iam::999999999999:root"],
        },
        Condition: {
          ArnEquals: { "aws:PrincipalArn": [...publishers(), `arn:aws:iam::${PROD}:role/admin`] },
        },
      })),
    ),
    config: prods,
    expected: [
      {
        message: mustLetOnly(
          "it names account 999999999999 (arn:aws:iam::999999999999:root); it does not pin aws:PrincipalArn (ArnEquals) to those roles",
        ),
        urn: POLICY_URN,
      },
    ],
  },
  {
    name: "Noncompliance 3: the prod accounts without aws:PrincipalArn (every role of prod could publish)",
    resources: handoffStack(
      edit(handoffTopicPolicy(), (s) => {
        delete s["Condition"];
        return s;
      }),
    ),
    config: prods,
    expected: [
      {
        message: mustLetOnly("it does not pin aws:PrincipalArn (ArnEquals) to those roles"),
        urn: POLICY_URN,
      },
    ],
  },
  {
    name: "Noncompliance 4: found by the topic ARN in its statements when its arn input is unknown",
    resources: handoffStack(
      edit(handoffTopicPolicy(), (s) => ({
        ...s,
        Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${PROD}:role/*` } },
      })),
      "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    ).map((r) => (r.type === TOPIC_POLICY ? { ...r, propertyDependencies: {} } : r)),
    config: prods,
    expected: [
      {
        message: mustLetOnly("it does not pin aws:PrincipalArn (ArnEquals) to those roles"),
        urn: POLICY_URN,
      },
    ],
  },
  {
    name: "Noncompliance 5: no prod accounts configured",
    resources: handoffStack(handoffTopicPolicy()),
    expected: [
      {
        message:
          "Policy config prodAccountIds must be set for sns-handoff-topic-publishers to check the hand-off topic policy",
        urn: POLICY_URN,
      },
    ],
  },
  {
    name: "Compliance: other topics' policies are not the hand-off topic's",
    resources: [
      resource(TOPIC_POLICY, "ops", {
        arn: `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-ops`,
        policy: document([
          {
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-ops`,
          },
        ]),
      }),
    ],
    config: prods,
    expected: [],
  },
];

describe("policy/messaging hand-off topic", () => {
  for (const c of stackCases) {
    it(`${snsHandoffTopicPublishers.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateStack(snsHandoffTopicPublishers, c.resources, c.config),
        c.expected,
      );
    });
  }
});
