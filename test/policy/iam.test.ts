import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  iamNoBroadManagedPolicies,
  iamNoInlineAdmin,
  iamNoResourceWildcard,
  iamNoWildcardActions,
  isBroadManagedPolicy,
} from "../../policy/iam";
import { doc, resource, validateResource } from "./helpers";

const POLICY = "aws:iam/policy:Policy";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ROLE = "aws:iam/role:Role";
const SNAPSHOT_ARN = "arn:aws:rds:eu-west-1:111111111111:snapshot:failsafe-*";
const TRUST = doc({
  Effect: "Allow",
  Principal: { Service: "lambda.amazonaws.com" },
  Action: "sts:AssumeRole",
});

interface Case {
  name: string;
  policy: ResourceValidationPolicy;
  type: string;
  props: Record<string, unknown>;
  expected: string[];
}

const scoped = { Effect: "Allow", Action: ["rds:CopyDBSnapshot"], Resource: SNAPSHOT_ARN };

const cases: Case[] = [
  // iam-no-wildcard-actions
  {
    name: "compliant: explicit actions, Deny with wildcard",
    policy: iamNoWildcardActions,
    type: POLICY,
    props: { policy: doc(scoped, { Effect: "Deny", Action: "rds:Delete*", Resource: "*" }) },
    expected: [],
  },
  {
    name: "Action *",
    policy: iamNoWildcardActions,
    type: POLICY,
    props: { policy: doc({ Effect: "Allow", Action: "*", Resource: SNAPSHOT_ARN }) },
    expected: ['Statement 1 must not allow the wildcard action "*"'],
  },
  {
    name: "service:* and prefix/suffix wildcards, object document, Statement as object",
    policy: iamNoWildcardActions,
    type: ROLE_POLICY,
    props: {
      policy: {
        Version: "2012-10-17",
        Statement: {
          Sid: "Snapshots",
          Effect: "Allow",
          Action: ["rds:*", "rds:Delete*", "rds:*Snapshot", "rds:CopyDBSnapshot"],
          Resource: SNAPSHOT_ARN,
        },
      },
    },
    expected: [
      'Statement "Snapshots" must not allow the wildcard action "rds:*"',
      'Statement "Snapshots" must not allow the wildcard action "rds:Delete*"',
      'Statement "Snapshots" must not allow the wildcard action "rds:*Snapshot"',
    ],
  },
  {
    name: "NotAction in an Allow",
    policy: iamNoWildcardActions,
    type: POLICY,
    props: { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: SNAPSHOT_ARN }) },
    expected: ["Statement 1 must not use NotAction in an Allow statement"],
  },
  {
    name: "role inline policy (trust policy ignored)",
    policy: iamNoWildcardActions,
    type: ROLE,
    props: {
      assumeRolePolicy: TRUST,
      inlinePolicies: [
        {
          name: "copy",
          policy: doc(scoped, {
            Effect: "Allow",
            Action: "sqs:*",
            Resource: "arn:aws:sqs:eu-west-1:111111111111:copy",
          }),
        },
      ],
    },
    expected: ['Statement 2 of inline policy "copy" must not allow the wildcard action "sqs:*"'],
  },
  {
    name: "document that is not JSON",
    policy: iamNoWildcardActions,
    type: POLICY,
    props: { policy: "{not json" },
    expected: ["Policy document must be a JSON IAM policy with a Statement"],
  },
  // iam-no-resource-wildcard
  {
    name: "compliant: scoped ARNs and allow-listed actions on *",
    policy: iamNoResourceWildcard,
    type: POLICY,
    props: {
      policy: doc(scoped, {
        Effect: "Allow",
        Action: [
          "rds:DescribeAccountAttributes",
          "cloudwatch:PutMetricData",
          "RDS:DescribeDBSnapshots",
          "rds:DescribeDBClusterSnapshots",
        ],
        Resource: "*",
      }),
    },
    expected: [],
  },
  {
    name: "scopable actions on Resource *",
    policy: iamNoResourceWildcard,
    type: POLICY,
    props: {
      policy: doc({
        Effect: "Allow",
        Action: ["rds:DescribeDBInstances", "rds:DescribeAccountAttributes", "kms:CreateGrant"],
        Resource: ["*"],
      }),
    },
    expected: [
      'Statement 1 must not grant rds:DescribeDBInstances, kms:CreateGrant on Resource "*" (scope it to ARNs)',
    ],
  },
  {
    name: "service-wide ARN wildcard and NotResource",
    policy: iamNoResourceWildcard,
    type: ROLE_POLICY,
    props: {
      policy: doc(
        { Effect: "Allow", Action: "logs:PutLogEvents", Resource: "arn:aws:*:*:*:*" },
        { Effect: "Allow", Action: "sqs:SendMessage", NotResource: "arn:aws:sqs:*:*:dlq" },
      ),
    },
    expected: [
      'Statement 1 must not grant logs:PutLogEvents on Resource "*" (scope it to ARNs)',
      "Statement 2 must not use NotResource in an Allow statement",
    ],
  },
  // iam-no-inline-admin
  {
    name: "compliant: scoped statement",
    policy: iamNoInlineAdmin,
    type: ROLE,
    props: { assumeRolePolicy: TRUST, inlinePolicies: [{ name: "copy", policy: doc(scoped) }] },
    expected: [],
  },
  {
    name: "Action * on Resource *",
    policy: iamNoInlineAdmin,
    type: ROLE,
    props: {
      assumeRolePolicy: TRUST,
      inlinePolicies: [
        { name: "admin", policy: doc({ Effect: "Allow", Action: "*", Resource: "*" }) },
      ],
    },
    expected: [
      'Statement 1 of inline policy "admin" must not grant administrator access (every action on every resource)',
    ],
  },
  {
    name: "NotAction on Resource *",
    policy: iamNoInlineAdmin,
    type: POLICY,
    props: { policy: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }) },
    expected: ["Statement 1 must not grant administrator access (every action on every resource)"],
  },
  // iam-no-broad-managed-policies
  {
    name: "compliant: basic execution role policy",
    policy: iamNoBroadManagedPolicies,
    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    props: {
      role: "copy",
      policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    },
    expected: [],
  },
  {
    name: "FullAccess attachment (what CallbackFunction attaches without a role)",
    policy: iamNoBroadManagedPolicies,
    type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    props: { role: "copy", policyArn: "arn:aws:iam::aws:policy/AWSLambda_FullAccess" },
    expected: [
      'Attached policy "arn:aws:iam::aws:policy/AWSLambda_FullAccess" must not be an AWS-managed full-access or administrator policy',
    ],
  },
  {
    name: "role managedPolicyArns with AdministratorAccess",
    policy: iamNoBroadManagedPolicies,
    type: ROLE,
    props: {
      assumeRolePolicy: TRUST,
      managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    },
    expected: [
      'Attached policy "arn:aws:iam::aws:policy/AdministratorAccess" must not be an AWS-managed full-access or administrator policy',
    ],
  },
  {
    name: "PolicyAttachment with PowerUserAccess",
    policy: iamNoBroadManagedPolicies,
    type: "aws:iam/policyAttachment:PolicyAttachment",
    props: { roles: ["copy"], policyArn: "arn:aws:iam::aws:policy/PowerUserAccess" },
    expected: [
      'Attached policy "arn:aws:iam::aws:policy/PowerUserAccess" must not be an AWS-managed full-access or administrator policy',
    ],
  },
];

describe("policy/iam", () => {
  for (const c of cases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateResource(c.policy, resource(c.type, "r", c.props)),
        c.expected,
      );
    });
  }

  it("recognises broad AWS-managed policies only", () => {
    const broad = [
      "arn:aws:iam::aws:policy/AmazonS3FullAccess",
      "arn:aws:iam::aws:policy/CloudWatchFullAccessV2",
      "arn:aws:iam::aws:policy/AmazonCognitoPowerUser",
      "arn:aws:iam::aws:policy/job-function/SystemAdministrator",
      "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
    ];
    const fine = [
      "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
      "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
      "arn:aws:iam::111111111111:policy/MyFullAccess",
    ];
    assert.deepEqual(broad.filter(isBroadManagedPolicy), broad);
    assert.deepEqual(fine.filter(isBroadManagedPolicy), []);
  });
});
