/**
 * What deploying this program needs, per AWS resource type it registers: the deploy role's
 * policy (create, read, update, tag and delete exactly those types, named as the program names
 * them), the read-only preview role's policy (what `pulumi preview --refresh` reads), and the
 * permissions boundary every role the program creates carries. Plain code (no @pulumi import):
 * the bootstrap stack (components/deploy-roles.ts) turns it into roles, `npm run deploy-policy`
 * prints it for deploy roles made by hand, and test/program/deploy-roles.test.ts checks it
 * against the resource types the program registers in every stack mode and judges it with the
 * IAM policy engine.
 *
 * Why each piece:
 * - Every resource is created with the providers' defaultTags, so every Create call carries tags
 *   and needs that service's tag action too ("tag on create": IAM CreateRole → iam:TagRole, SQS
 *   CreateQueue → sqs:TagQueue, Lambda CreateFunction → lambda:TagResource, …). Creates are
 *   allowed only with the Application tag the program sets (aws:RequestTag).
 * - Roles: only the function roles' names (NAMES.fn), created only with the permissions boundary
 *   (iam:PermissionsBoundary), changed only while they carry it; no managed policy may be
 *   attached (AttachRolePolicy is not granted: no AdministratorAccess); the boundary itself and
 *   the bootstrap's roles are out of reach (explicit Deny). iam:PassRole only of the function
 *   roles, only to Lambda (iam:PassedToService).
 * - KMS: key administration through IAM on the account's keys (a key ARN carries no name to
 *   scope by, and tag or alias conditions take up to five minutes to affect authorization, "ABAC
 *   for AWS KMS", which a create-then-configure deploy cannot wait for). kms:PutKeyPolicy is NOT
 *   granted here: the transit and messaging key policies name the deploy role for it
 *   (components/keys.ts), so the deploy role cannot re-write any other key's policy (an
 *   application CMK's), and the vault key's policy denies it to everyone but break-glass.
 *   Deletion is allowed only for keys tagged Application=rds-failsafe (teardown).
 */
import { partitionOf, servicePrincipal } from "../handlers/partition";
import { BOOTSTRAP_ROLE_NAMES, DEFAULT_PERMISSIONS_BOUNDARY, PROJECT } from "./config";
import { drCopyStatements, drRetentionStatements, drSweepStatements } from "./dr-permissions";
import { policyDocument, type Statement } from "./iam";
import { NAMES, regionArns } from "./names";
import {
  copyStatements,
  drillStatements,
  drillVerifyStatements,
  failsafeSweepStatements,
  prodSweepStatements,
  retentionStatements,
  saveStatements,
  shareStatements,
} from "./permissions";

/** Which account a deploy role is for. `management`: the org guard's provider (orgGuard). */
export type DeployAccount = "prod" | "failsafe" | "management";

export interface DeployContext {
  readonly region: string;
  /** The account this role is in. */
  readonly account: string;
  readonly kind: DeployAccount;
  /** The failsafe account (the prod side publishes to its hand-off topic). */
  readonly failsafeAccountId: string;
  /** Name (path/name) of the permissions boundary policy in this account. */
  readonly boundaryName?: string;
  /** The break-glass principal (failsafe): out of the deploy role's reach. */
  readonly breakGlassPrincipalArn?: string;
  /**
   * The failsafe account's DR region (`drRegion`, components/dr-region.ts), failsafe only: the
   * boundary holds the DR statements of dr-copy, retention and the sweep; the deploy and preview
   * roles manage and read the DR vault key and its alias there (the DR-region provider assumes
   * the same deploy role). Without it, a function role under the boundary is denied every DR call.
   */
  readonly drRegion?: string;
}

/** The tag every create must carry (the providers' defaultTags, index.ts). */
export const APPLICATION_TAG = { key: "Application", value: PROJECT } as const;

/** The manual-snapshot quotas (service `rds`), "Quotas in Amazon RDS" / Service Quotas console. */
export const SNAPSHOT_QUOTA_CODES = {
  instance: "L-272F1212", // Manual DB instance snapshots, default 100 per Region
  cluster: "L-9B510759", // Manual DB cluster snapshots, default 100 per Region
} as const;

/** The boundary policy's ARN in an account. */
export function boundaryArn(region: string, account: string, name = DEFAULT_PERMISSIONS_BOUNDARY) {
  const path = name.includes("/") ? `/${name.slice(0, name.lastIndexOf("/") + 1)}` : "/";
  const base = name.slice(name.lastIndexOf("/") + 1);
  return `arn:${partitionOf(region)}:iam::${account}:policy${path}${base}`;
}

interface Scope {
  readonly arns: ReturnType<typeof regionArns>;
  readonly c: DeployContext;
  readonly account: string;
  /** `rds-failsafe-*` in the given service's resource syntax. */
  readonly named: (build: (name: string) => string) => string;
}

interface TypeRights {
  /** Accounts whose deploy role manages this type. */
  readonly accounts: readonly DeployAccount[];
  /** Everything the AWS provider calls to create, read, update, tag and delete it. */
  readonly deploy: (s: Scope) => Statement[];
  /** What `pulumi preview --refresh` reads. */
  readonly read: (s: Scope) => Statement[];
}

const requestTagged = {
  StringEquals: { [`aws:RequestTag/${APPLICATION_TAG.key}`]: APPLICATION_TAG.value },
};

/** The regions the program deploys to in this account: its region, and the DR region (failsafe). */
const regionsOf = (s: Scope) => [s.c.region, ...(s.c.drRegion ? [s.c.drRegion] : [])];
/** The account's keys in those regions (a key ARN carries no name to scope by: see above). */
const programKeys = (s: Scope) => regionsOf(s).map((region) => regionArns(region).keys(s.account));
const functionRoles = (s: Scope) => Object.values(NAMES.fn).map((n) => s.arns.role(s.account, n));
const functions = (s: Scope) => Object.values(NAMES.fn).map((n) => s.arns.lambda(s.account, n));
const boundary = (s: Scope) => boundaryArn(s.c.region, s.account, s.c.boundaryName);
const withBoundary = (s: Scope) => ({
  StringEquals: { "iam:PermissionsBoundary": boundary(s) },
});
const esm = (s: Scope) =>
  `arn:${s.arns.partition}:lambda:${s.c.region}:${s.account}:event-source-mapping:*`;
const alarms = (s: Scope) =>
  `arn:${s.arns.partition}:cloudwatch:${s.c.region}:${s.account}:alarm:${PROJECT}-*`;
// Dashboards are global (no region in the ARN); the program's are rds-failsafe and rds-failsafe-prod.
const dashboards = (s: Scope) => [
  `arn:${s.arns.partition}:cloudwatch::${s.account}:dashboard/${PROJECT}`,
  `arn:${s.arns.partition}:cloudwatch::${s.account}:dashboard/${PROJECT}-*`,
];
const quotas = (s: Scope) =>
  Object.values(SNAPSHOT_QUOTA_CODES).map(
    (code) => `arn:${s.arns.partition}:servicequotas:${s.c.region}:${s.account}:rds/${code}`,
  );
const orgArn = (s: Scope, resource: string) =>
  `arn:${s.arns.partition}:organizations::${s.account}:${resource}`;

const orgPolicies = (s: Scope) => [
  orgArn(s, "policy/o-*/service_control_policy/p-*"),
  orgArn(s, "policy/o-*/resource_control_policy/p-*"),
];

const PROGRAM = ["prod", "failsafe"] as const;

/**
 * Every resource type the program registers (test/program/deploy-roles.test.ts holds this list
 * equal to what the program registers in every stack mode, with every optional feature), plus
 * the types a deploy must still delete (REMOVED_TYPES).
 */
export const RESOURCE_TYPE_RIGHTS: Readonly<Record<string, TypeRights>> = {
  "aws:iam/role:Role": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateFunctionRolesOnlyWithTheBoundary",
        Effect: "Allow",
        Action: ["iam:CreateRole"],
        Resource: functionRoles(s),
        Condition: {
          StringEquals: {
            ...withBoundary(s).StringEquals,
            ...requestTagged.StringEquals,
          },
        },
      },
      {
        Sid: "ChangeFunctionRolesThatCarryTheBoundary",
        Effect: "Allow",
        Action: [
          "iam:DeleteRole",
          "iam:PutRolePermissionsBoundary",
          "iam:UpdateAssumeRolePolicy",
          // a role created before the boundary existed gets it on its next deploy
        ],
        Resource: functionRoles(s),
        Condition: withBoundary(s),
      },
      {
        Sid: "ReadAndTagFunctionRoles",
        Effect: "Allow",
        Action: [
          "iam:GetRole",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
          "iam:ListRolePolicies",
          "iam:ListRoleTags",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
        ],
        Resource: functionRoles(s),
      },
      {
        Sid: "PassFunctionRolesToLambdaOnly",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: functionRoles(s),
        Condition: {
          StringEquals: { "iam:PassedToService": servicePrincipal("lambda", s.c.region) },
        },
      },
    ],
    read: (s) => [
      {
        Sid: "ReadFunctionRoles",
        Effect: "Allow",
        Action: [
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:ListAttachedRolePolicies",
          "iam:ListRolePolicies",
          "iam:ListRoleTags",
        ],
        Resource: functionRoles(s),
      },
    ],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "WriteInlinePoliciesOfBoundedRoles",
        Effect: "Allow",
        Action: ["iam:DeleteRolePolicy", "iam:PutRolePolicy"],
        Resource: functionRoles(s),
        Condition: withBoundary(s),
      },
      {
        Sid: "ReadInlinePolicies",
        Effect: "Allow",
        Action: ["iam:GetRolePolicy"],
        Resource: functionRoles(s),
      },
    ],
    read: () => [],
  },
  "aws:lambda/function:Function": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedFunctions",
        Effect: "Allow",
        Action: ["lambda:CreateFunction"],
        Resource: functions(s),
        Condition: requestTagged,
      },
      {
        Sid: "ManageFunctions",
        Effect: "Allow",
        Action: [
          "lambda:DeleteFunction",
          // the sweeps reserved 1 before issue 15: the first deploy after it removes that
          "lambda:DeleteFunctionConcurrency",
          "lambda:GetFunction",
          "lambda:GetFunctionCodeSigningConfig",
          "lambda:GetFunctionConcurrency",
          "lambda:GetFunctionConfiguration",
          "lambda:GetFunctionRecursionConfig",
          "lambda:GetRuntimeManagementConfig",
          "lambda:ListTags",
          "lambda:ListVersionsByFunction",
          "lambda:TagResource",
          "lambda:UntagResource",
          "lambda:UpdateFunctionCode",
          "lambda:UpdateFunctionConfiguration",
        ],
        Resource: functions(s),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadFunctions",
        Effect: "Allow",
        Action: [
          "lambda:GetFunction",
          "lambda:GetFunctionCodeSigningConfig",
          "lambda:GetFunctionConcurrency",
          "lambda:GetFunctionConfiguration",
          "lambda:GetFunctionRecursionConfig",
          "lambda:GetPolicy",
          "lambda:GetRuntimeManagementConfig",
          "lambda:ListTags",
          "lambda:ListVersionsByFunction",
        ],
        Resource: functions(s),
      },
    ],
  },
  "aws:lambda/eventSourceMapping:EventSourceMapping": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateMappingsOfTheFunctions",
        Effect: "Allow",
        Action: ["lambda:CreateEventSourceMapping"],
        Resource: "*", // no resource type (Service Authorization Reference); pinned by function
        Condition: { ...requestTagged, ArnEquals: { "lambda:FunctionArn": functions(s) } },
      },
      {
        Sid: "ManageMappingsOfTheFunctions",
        Effect: "Allow",
        Action: [
          "lambda:DeleteEventSourceMapping",
          "lambda:GetEventSourceMapping",
          "lambda:UpdateEventSourceMapping",
        ],
        Resource: esm(s),
        Condition: { ArnEquals: { "lambda:FunctionArn": functions(s) } },
      },
      {
        Sid: "TagMappings",
        Effect: "Allow",
        Action: ["lambda:ListTags", "lambda:TagResource", "lambda:UntagResource"],
        Resource: esm(s),
      },
      {
        Sid: "ListMappings",
        Effect: "Allow",
        Action: ["lambda:ListEventSourceMappings"],
        Resource: "*", // no resource type
      },
    ],
    read: (s) => [
      {
        Sid: "ReadMappings",
        Effect: "Allow",
        Action: ["lambda:GetEventSourceMapping", "lambda:ListTags"],
        Resource: esm(s),
      },
      {
        Sid: "ListMappings",
        Effect: "Allow",
        Action: ["lambda:ListEventSourceMappings"],
        Resource: "*",
      },
    ],
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedLogGroups",
        Effect: "Allow",
        Action: ["logs:CreateLogGroup"],
        Resource: s.named((n) => s.arns.logGroup(s.account, `/aws/lambda/${n}`)),
        Condition: requestTagged,
      },
      {
        Sid: "ManageLogGroups",
        Effect: "Allow",
        Action: [
          "logs:DeleteLogGroup",
          "logs:DeleteRetentionPolicy",
          "logs:ListTagsForResource",
          "logs:PutRetentionPolicy",
          "logs:TagLogGroup",
          "logs:TagResource",
          "logs:UntagResource",
        ],
        Resource: s.named((n) => s.arns.logGroup(s.account, `/aws/lambda/${n}`)),
      },
      {
        Sid: "DescribeLogGroups",
        Effect: "Allow",
        Action: ["logs:DescribeLogGroups"],
        Resource: "*", // no resource type
      },
    ],
    read: (s) => [
      {
        Sid: "ReadLogGroups",
        Effect: "Allow",
        Action: ["logs:ListTagsForResource"],
        Resource: s.named((n) => s.arns.logGroup(s.account, `/aws/lambda/${n}`)),
      },
      {
        Sid: "DescribeLogGroups",
        Effect: "Allow",
        Action: ["logs:DescribeLogGroups"],
        Resource: "*",
      },
    ],
  },
  "aws:kms/key:Key": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedKeys",
        Effect: "Allow",
        Action: ["kms:CreateKey"],
        Resource: "*", // no resource type
        Condition: requestTagged,
      },
      {
        Sid: "AdministerKeysWithoutRewritingTheirPolicy",
        Effect: "Allow",
        Action: [
          "kms:DescribeKey",
          "kms:EnableKeyRotation",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:ListResourceTags",
          "kms:TagResource",
          "kms:UntagResource",
          "kms:UpdateKeyDescription",
        ],
        Resource: programKeys(s),
      },
      {
        Sid: "ScheduleDeletionOfTheProgramsKeysOnly",
        Effect: "Allow",
        Action: ["kms:ScheduleKeyDeletion"],
        Resource: programKeys(s),
        Condition: {
          StringEquals: { [`aws:ResourceTag/${APPLICATION_TAG.key}`]: APPLICATION_TAG.value },
        },
      },
    ],
    read: (s) => [
      {
        Sid: "ReadKeys",
        Effect: "Allow",
        Action: [
          "kms:DescribeKey",
          "kms:GetKeyPolicy",
          "kms:GetKeyRotationStatus",
          "kms:ListResourceTags",
        ],
        Resource: programKeys(s),
      },
    ],
  },
  "aws:kms/alias:Alias": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "ManageTheProgramsAliases",
        Effect: "Allow",
        Action: ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
        // Aliases are authorized on the alias and on the key (KMS "Controlling access to aliases").
        Resource: [
          ...regionsOf(s).map((region) => aliasArn(s, region, `alias/${PROJECT}-*`)),
          ...programKeys(s),
        ],
      },
      { Sid: "ListAliases", Effect: "Allow", Action: ["kms:ListAliases"], Resource: "*" },
    ],
    read: () => [
      { Sid: "ListAliases", Effect: "Allow", Action: ["kms:ListAliases"], Resource: "*" },
    ],
  },
  "aws:sns/topic:Topic": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedTopics",
        Effect: "Allow",
        Action: ["sns:CreateTopic"],
        Resource: s.named((n) => s.arns.topic(s.account, n)),
        Condition: requestTagged,
      },
      {
        Sid: "ManageTopics",
        Effect: "Allow",
        Action: [
          "sns:DeleteTopic",
          "sns:GetTopicAttributes",
          "sns:ListTagsForResource",
          "sns:SetTopicAttributes",
          "sns:TagResource",
          "sns:UntagResource",
        ],
        Resource: s.named((n) => s.arns.topic(s.account, n)),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadTopics",
        Effect: "Allow",
        Action: [
          "sns:GetSubscriptionAttributes",
          "sns:GetTopicAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:ListTagsForResource",
        ],
        Resource: s.named((n) => s.arns.topic(s.account, n)),
      },
    ],
  },
  "aws:sns/topicPolicy:TopicPolicy": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "ManageTopics",
        Effect: "Allow",
        Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes"],
        Resource: s.named((n) => s.arns.topic(s.account, n)),
      },
    ],
    read: () => [],
  },
  "aws:sns/topicSubscription:TopicSubscription": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "SubscribeQueuesAndMail",
        Effect: "Allow",
        Action: ["sns:Subscribe"],
        Resource: s.named((n) => s.arns.topic(s.account, n)),
        // the hand-off queue, and the optional notificationEmail
        Condition: { StringEquals: { "sns:Protocol": ["sqs", "email"] } },
      },
      {
        Sid: "ManageSubscriptions",
        Effect: "Allow",
        Action: [
          "sns:GetSubscriptionAttributes",
          "sns:ListSubscriptionsByTopic",
          "sns:SetSubscriptionAttributes",
          "sns:Unsubscribe",
        ],
        // subscription ARNs are the topic's ARN plus `:<id>`
        Resource: s.named((n) => s.arns.topic(s.account, n)),
      },
    ],
    read: () => [],
  },
  "aws:sqs/queue:Queue": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedQueues",
        Effect: "Allow",
        Action: ["sqs:CreateQueue"],
        Resource: s.named((n) => s.arns.queue(s.account, n)),
        Condition: requestTagged,
      },
      {
        Sid: "ManageQueues",
        Effect: "Allow",
        Action: [
          "sqs:DeleteQueue",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ListQueueTags",
          "sqs:SetQueueAttributes",
          "sqs:TagQueue",
          "sqs:UntagQueue",
        ],
        Resource: s.named((n) => s.arns.queue(s.account, n)),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadQueues",
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"],
        Resource: s.named((n) => s.arns.queue(s.account, n)),
      },
    ],
  },
  "aws:sqs/queuePolicy:QueuePolicy": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "ManageQueues",
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
        Resource: s.named((n) => s.arns.queue(s.account, n)),
      },
    ],
    read: () => [],
  },
  "aws:cloudwatch/eventRule:EventRule": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedRules",
        Effect: "Allow",
        Action: ["events:PutRule"],
        Resource: s.named((n) => s.arns.rule(s.account, n)),
        Condition: requestTagged,
      },
      {
        Sid: "ManageRules",
        Effect: "Allow",
        Action: [
          "events:DeleteRule",
          "events:DescribeRule",
          "events:DisableRule",
          "events:EnableRule",
          "events:ListTagsForResource",
          "events:ListTargetsByRule",
          "events:TagResource",
          "events:UntagResource",
        ],
        Resource: s.named((n) => s.arns.rule(s.account, n)),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadRules",
        Effect: "Allow",
        Action: ["events:DescribeRule", "events:ListTagsForResource", "events:ListTargetsByRule"],
        Resource: s.named((n) => s.arns.rule(s.account, n)),
      },
    ],
  },
  "aws:cloudwatch/eventTarget:EventTarget": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "TargetTheProgramsQueues",
        Effect: "Allow",
        Action: ["events:PutTargets"],
        Resource: s.named((n) => s.arns.rule(s.account, n)),
        // every target is one of the program's queues (no role to pass, no other target)
        Condition: {
          // multivalued (one PutTargets may carry several): every target must match
          "ForAllValues:ArnLike": {
            "events:TargetArn": s.named((n) => s.arns.queue(s.account, n)),
          },
        },
      },
      {
        Sid: "RemoveTargets",
        Effect: "Allow",
        Action: ["events:ListTargetsByRule", "events:RemoveTargets"],
        Resource: s.named((n) => s.arns.rule(s.account, n)),
      },
    ],
    read: () => [],
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "CreateTaggedAlarms",
        Effect: "Allow",
        Action: ["cloudwatch:PutMetricAlarm"],
        Resource: alarms(s),
        Condition: requestTagged,
      },
      {
        Sid: "ManageAlarms",
        Effect: "Allow",
        Action: [
          "cloudwatch:DeleteAlarms",
          "cloudwatch:DescribeAlarms",
          "cloudwatch:ListTagsForResource",
          "cloudwatch:TagResource",
          "cloudwatch:UntagResource",
        ],
        Resource: alarms(s),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadAlarms",
        Effect: "Allow",
        Action: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
        Resource: alarms(s),
      },
    ],
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "ManageDashboards",
        Effect: "Allow",
        Action: [
          "cloudwatch:DeleteDashboards",
          "cloudwatch:GetDashboard",
          "cloudwatch:PutDashboard",
        ],
        Resource: dashboards(s),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadDashboards",
        Effect: "Allow",
        Action: ["cloudwatch:GetDashboard"],
        Resource: dashboards(s),
      },
    ],
  },
  "aws:servicequotas/serviceQuota:ServiceQuota": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "RequestManualSnapshotQuotas",
        Effect: "Allow",
        Action: [
          "servicequotas:GetServiceQuota",
          "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota",
          "servicequotas:RequestServiceQuotaIncrease",
        ],
        Resource: quotas(s),
      },
      {
        Sid: "ReadQuotaDefaultsAndRequests",
        Effect: "Allow",
        Action: [
          "servicequotas:GetAWSDefaultServiceQuota",
          "servicequotas:GetRequestedServiceQuotaChange",
        ],
        Resource: "*", // no resource type
      },
    ],
    read: (s) => [
      {
        Sid: "ReadManualSnapshotQuotas",
        Effect: "Allow",
        Action: [
          "servicequotas:GetServiceQuota",
          "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota",
        ],
        Resource: quotas(s),
      },
      {
        Sid: "ReadQuotaDefaultsAndRequests",
        Effect: "Allow",
        Action: [
          "servicequotas:GetAWSDefaultServiceQuota",
          "servicequotas:GetRequestedServiceQuotaChange",
        ],
        Resource: "*",
      },
    ],
  },
  "aws:organizations/policy:Policy": {
    accounts: ["management"],
    deploy: (s) => [
      {
        Sid: "CreateTaggedOrgPolicies",
        Effect: "Allow",
        Action: ["organizations:CreatePolicy"],
        Resource: orgArn(s, "policy/o-*/*"),
        Condition: requestTagged,
      },
      {
        Sid: "ChangeOnlyTheProgramsOrgPolicies",
        Effect: "Allow",
        Action: ["organizations:DeletePolicy", "organizations:UpdatePolicy"],
        // another SCP of the organization is out of reach: only policies carrying the tag
        Resource: orgPolicies(s),
        Condition: {
          StringEquals: { [`aws:ResourceTag/${APPLICATION_TAG.key}`]: APPLICATION_TAG.value },
        },
      },
      {
        Sid: "ReadAndTagOrgPolicies",
        Effect: "Allow",
        Action: [
          "organizations:DescribePolicy",
          "organizations:ListTagsForResource",
          "organizations:ListTargetsForPolicy",
          "organizations:TagResource",
          "organizations:UntagResource",
        ],
        Resource: orgPolicies(s),
      },
    ],
    read: (s) => [
      {
        Sid: "ReadOrgGuardPolicies",
        Effect: "Allow",
        Action: [
          "organizations:DescribePolicy",
          "organizations:ListTagsForResource",
          "organizations:ListTargetsForPolicy",
        ],
        Resource: orgPolicies(s),
      },
    ],
  },
  "aws:organizations/policyAttachment:PolicyAttachment": {
    accounts: ["management"],
    deploy: (s) => [
      {
        Sid: "AttachOrgGuardPoliciesToTheFailsafeAccountOnly",
        Effect: "Allow",
        Action: [
          "organizations:AttachPolicy",
          "organizations:DetachPolicy",
          "organizations:ListPoliciesForTarget",
          "organizations:ListTargetsForPolicy",
        ],
        Resource: [...orgPolicies(s), orgArn(s, `account/o-*/${s.c.failsafeAccountId}`)],
      },
    ],
    read: () => [],
  },
};

/**
 * Types a deploy must still be able to delete, though the program no longer registers them: the
 * sweeps' lambda.Permission (schedule → function) went away with issue 15 (schedule → queue).
 */
export const REMOVED_TYPES: Readonly<Record<string, TypeRights>> = {
  "aws:lambda/permission:Permission": {
    accounts: PROGRAM,
    deploy: (s) => [
      {
        Sid: "RemoveOldSchedulePermissions",
        Effect: "Allow",
        Action: ["lambda:GetPolicy", "lambda:RemovePermission"],
        Resource: functions(s),
      },
    ],
    read: () => [],
  },
};

/** The deploy role's policy for one account. */
export function deployStatements(c: DeployContext): Statement[] {
  const s = scope(c);
  const allow = rightsFor(c.kind).flatMap((r) => r.deploy(s));
  return [...mergeBySid(allow), ...deployDenies(c, s)];
}

/** The preview role's policy: reads only (what a refresh reads, and what preflight checks). */
export function previewStatements(c: DeployContext): Statement[] {
  const s = scope(c);
  const reads = rightsFor(c.kind).flatMap((r) => r.read(s));
  return mergeBySid([...reads, ...(c.kind === "management" ? [] : preflightReads(s))]);
}

/**
 * What `npx rds-failsafe preflight` reads in an account (cli/commands/preflight.ts), so that the
 * pull-request job can run it with the preview role: the databases and snapshots (their tags,
 * backups and keys), the account's RDS and Lambda quotas, the roles and boundary it checks exist,
 * and the names it checks are free. Reads only.
 */
function preflightReads(s: Scope): Statement[] {
  const rds = (resource: string) => s.arns.rds(s.account, resource);
  const roles = [
    ...Object.values(BOOTSTRAP_ROLE_NAMES).map((n) => s.arns.role(s.account, n)),
    ...functionRoles(s),
    ...(s.c.breakGlassPrincipalArn?.includes(":role/") ? [s.c.breakGlassPrincipalArn] : []),
  ];
  return [
    {
      Sid: "PreflightReadsDatabasesAndSnapshots",
      Effect: "Allow",
      Action: [
        "rds:DescribeDBClusterSnapshots",
        "rds:DescribeDBClusters",
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
      ],
      Resource: [rds("db:*"), rds("cluster:*"), rds("snapshot:*"), rds("cluster-snapshot:*")],
    },
    {
      Sid: "PreflightReadsQuotasAndLists",
      Effect: "Allow",
      Action: [
        "events:ListRules",
        "lambda:GetAccountSettings",
        "rds:DescribeAccountAttributes",
        "sns:ListTopics",
        "sqs:ListQueues",
      ],
      Resource: "*", // none of these has a resource type
    },
    {
      Sid: "PreflightReadsRoles",
      Effect: "Allow",
      Action: ["iam:GetRole"],
      Resource: roles,
    },
    ...(s.c.breakGlassPrincipalArn?.includes(":user/")
      ? [
          {
            Sid: "PreflightReadsBreakGlassUser",
            Effect: "Allow" as const,
            Action: ["iam:GetUser"],
            Resource: s.c.breakGlassPrincipalArn,
          },
        ]
      : []),
    {
      Sid: "PreflightReadsTheBoundary",
      Effect: "Allow",
      // its document too: with drRegion, preflight checks it covers the DR region
      Action: ["iam:GetPolicy", "iam:GetPolicyVersion"],
      Resource: boundary(s),
    },
  ];
}

/** Belt and braces: what no grant above should ever allow, denied outright. */
function deployDenies(c: DeployContext, s: Scope): Statement[] {
  if (c.kind === "management") {
    return [];
  }
  const bootstrapRoles = Object.values(BOOTSTRAP_ROLE_NAMES).map((n) => s.arns.role(s.account, n));
  const protectedPrincipals = [
    ...bootstrapRoles,
    ...(c.breakGlassPrincipalArn ? [c.breakGlassPrincipalArn] : []),
  ];
  return [
    {
      Sid: "NeverLiftTheBoundary",
      Effect: "Deny",
      Action: ["iam:DeleteRolePermissionsBoundary"],
      Resource: "*",
    },
    {
      Sid: "NeverChangeTheBoundaryPolicy",
      Effect: "Deny",
      Action: [
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
      ],
      Resource: boundary(s),
    },
    {
      Sid: "NeverTouchTheDeployRolesOrBreakGlass",
      Effect: "Deny",
      Action: [
        "iam:Attach*",
        "iam:Delete*",
        "iam:Detach*",
        "iam:PassRole",
        "iam:Put*",
        "iam:Tag*",
        "iam:Untag*",
        "iam:Update*",
      ],
      Resource: protectedPrincipals,
    },
  ];
}

/**
 * The permissions boundary of every role the program creates in this account: the union of what
 * the functions of this side need (components/permissions.ts, and with a DR region
 * components/dr-permissions.ts), plus writing their own logs and reading their own queues. The
 * prod accounts a save side serves are a wildcard here (a new prod account must not need the
 * bootstrap re-run; each function's own policy names the accounts). Compacted to fit one managed
 * policy (compactBoundary).
 */
export function boundaryStatements(c: DeployContext): Statement[] {
  if (c.kind === "management") {
    throw new Error("the management account runs no function: it has no boundary");
  }
  scope(c); // drRegion only on the failsafe account
  const arns = regionArns(c.region);
  const accounts =
    c.kind === "prod"
      ? { region: c.region, prod: [c.account], failsafe: c.failsafeAccountId }
      : { region: c.region, prod: ["*"], failsafe: c.account };
  // Restore drills (components/drills.ts): their subnet group is a stack setting the bootstrap
  // does not know, so the boundary allows any (each drill role's own policy names the one).
  const anyPlacement = { subnetGroup: "*" };
  // The DR region (drRegion on the bootstrap-failsafe stack): dr-copy's statements, and the DR
  // statements retention and the failsafe sweep get (components/save-side.ts).
  const dr = c.drRegion ? { region: c.region, drRegion: c.drRegion, failsafe: c.account } : null;
  const builders: ((a: typeof accounts) => Statement[])[] =
    c.kind === "prod"
      ? [copyStatements, shareStatements, prodSweepStatements]
      : [
          saveStatements,
          retentionStatements,
          failsafeSweepStatements,
          (a) => drillStatements(a, anyPlacement),
          (a) => drillVerifyStatements(a, anyPlacement),
          ...(dr
            ? [
                () => drCopyStatements(dr),
                () => drRetentionStatements(dr),
                () => drSweepStatements(dr),
              ]
            : []),
        ];
  const functionNeeds = builders
    .flatMap((build) => build(accounts))
    .map((s) => otherAccountsOnly(s, c.account));
  return compactBoundary(
    [
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${arns.logGroup(c.account, `/aws/lambda/${PROJECT}-*`)}:*`,
      },
      {
        Sid: "ConsumeOwnQueue",
        Effect: "Allow",
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:ReceiveMessage",
        ],
        Resource: arns.queue(c.account, `${PROJECT}-*`),
      },
      ...unionBySid(functionNeeds),
    ],
    [c.region, ...(c.drRegion ? [c.drRegion] : [])],
  );
}

/**
 * The save side's statements on the prod accounts' snapshots and keys name the accounts with
 * `StringEquals aws:ResourceAccount [...]` (components/permissions.ts, inAccounts). In the
 * boundary the accounts are `*`, and StringEquals compares literally: `["*"]` matches no account,
 * so every copy of a shared snapshot was denied under the boundary. Here it becomes "any account
 * but this one" (the ARN's `*` account already says any; this one's own keys stay pinned by
 * alias in their own statements).
 */
function otherAccountsOnly(s: Statement, own: string): Statement {
  const equals = s.Condition?.StringEquals;
  const accounts = equals?.["aws:ResourceAccount"];
  if (!equals || !Array.isArray(accounts) || accounts.join() !== "*") {
    return s;
  }
  const { ["aws:ResourceAccount"]: _any, ...rest } = equals;
  const { StringEquals: _equals, ...otherOperators } = s.Condition ?? {};
  return {
    ...s,
    Condition: {
      ...otherOperators,
      ...(Object.keys(rest).length ? { StringEquals: rest } : {}),
      StringNotEquals: { "aws:ResourceAccount": own },
    },
  };
}

/**
 * The boundary is ONE customer managed policy: 6,144 characters at most, whitespace not counted
 * ("IAM and AWS STS quotas", IAM User Guide; a role has one boundary, it cannot be split). The
 * functions' statements of the failsafe account with drills and a DR region are far over that in
 * the longest partition (aws-us-gov: ~8,000), so the boundary is compacted. Steps 1-4 allow
 * exactly what the statements allowed before:
 * 1. no Sids (a boundary's statements need no ids; ~650 characters);
 * 2. a resource another statement already allows, for at least the same actions under a subset
 *    of the conditions, is dropped (a statement left without resources goes);
 * 3. statements with the same effect, actions and conditions become one (resources unioned);
 * 4. statements with the same effect, resources and conditions become one (actions unioned).
 * Steps 5-7 allow more than the functions' own policies, never anything destructive:
 * 5. reads (rds:Describe*, no condition) are allowed on every RDS resource of the account in the
 *    boundary's regions (the functions' policies name snapshots, clusters and instances one type
 *    at a time): metadata only, nothing written;
 * 6. the vault keys of both regions through RDS (kms:CreateGrant for AWS resources and
 *    kms:DescribeKey, pinned to the vault alias) become one statement: either region's key
 *    through either region's RDS (a cross-region copy uses both keys, each through its region);
 * 7. a restore right on the failsafe copies joins the delete right on the same copies (same tag
 *    condition) and so covers the DR region's copies too: a restore is authorized on the snapshot
 *    AND on the new instance or cluster in the snapshot's region (RDS restores from a snapshot of
 *    its own region), and the boundary allows new ones only as failsafe-drill-* in the primary
 *    region, so no restore in the DR region can succeed;
 * 8. kms:DescribeKey alone (RDS describes the keys of a copy for the caller; the functions pin it
 *    by kms:ViaService and alias) is allowed without conditions on the keys the functions name:
 *    key metadata only, no use of the key.
 * Every destructive action (rds:Delete*, and any other the functions ever get: tag removal,
 * snapshot attribute changes, key deletion) keeps exactly the resources and conditions of the
 * functions' policies. test/program/deploy-roles.test.ts holds the result under 6,144 for
 * aws-us-gov with a DR region, and judges what it allows and denies with the IAM policy engine.
 */
export function compactBoundary(
  statements: readonly Statement[],
  regions: readonly string[],
): Statement[] {
  let out = statements.map(({ Sid: _sid, ...s }) => coarseKeyReads(coarseReads(s, regions)));
  for (let before = Infinity; policyDocument(out).length < before;) {
    before = policyDocument(out).length;
    out = sameScopeMerged(restoresJoined(vaultKeysMerged(sameActionsMerged(withoutCovered(out)))));
  }
  return out;
}

const RDS_READ = /^rds:Describe[A-Za-z]+$/;
const RDS_ARN = /^arn:([\w-]+):rds:[\w-]+:(\d{12}):/;

/** Step 5: rds:Describe* only, no condition: every RDS resource of the account, per region. */
function coarseReads(s: Statement, regions: readonly string[]): Statement {
  const actions = toArray(s.Action);
  const resources = toArray(s.Resource);
  if (
    s.Effect !== "Allow" ||
    s.Condition ||
    !actions.every((a) => RDS_READ.test(a)) ||
    !resources.every((r) => RDS_ARN.test(r))
  ) {
    return s;
  }
  const coarse = resources.flatMap((r) => {
    const [, partition, account] = RDS_ARN.exec(r) ?? [];
    return regions.map((region) => `arn:${partition}:rds:${region}:${account}:*`);
  });
  return { ...s, Resource: [...new Set(coarse)] };
}

/** Step 8: kms:DescribeKey alone, on the keys named: key metadata, without the conditions. */
function coarseKeyReads(s: Statement): Statement {
  const actions = toArray(s.Action);
  if (s.Effect !== "Allow" || actions.length !== 1 || actions[0] !== "kms:DescribeKey") {
    return s;
  }
  const { Condition: _condition, ...rest } = s;
  return rest;
}

const RESTORES = ["rds:RestoreDBClusterFromSnapshot", "rds:RestoreDBInstanceFromDBSnapshot"];
const SNAPSHOT_ARN = /^arn:[\w-]+:rds:[\w-]+:\d{12}:(cluster-)?snapshot:/;

/** Step 7: restores only, on snapshots only → into the statement with its condition and more. */
function restoresJoined(statements: readonly Statement[]): Statement[] {
  const out = [...statements];
  for (let i = 0; i < out.length; i++) {
    const x = out[i] as Statement;
    const restores = toArray(x.Action);
    const resources = toArray(x.Resource);
    if (
      x.Effect !== "Allow" ||
      !restores.every((a) => RESTORES.includes(a)) ||
      !resources.every((r) => SNAPSHOT_ARN.test(r))
    ) {
      continue;
    }
    const j = out.findIndex(
      (y, k) =>
        k !== i &&
        y.Effect === "Allow" &&
        JSON.stringify(y.Condition ?? null) === JSON.stringify(x.Condition ?? null) &&
        resources.every((r) => toArray(y.Resource).includes(r)),
    );
    const into = out[j];
    if (!into) {
      continue;
    }
    out[j] = { ...into, Action: [...new Set([...toArray(into.Action), ...restores])].sort() };
    out.splice(i, 1);
    i -= 1;
  }
  return out;
}

/** Step 2. A resource pattern covers another when its `*`s match the other's text, `*`s included. */
function withoutCovered(statements: readonly Statement[]): Statement[] {
  const out = statements.map((s) => ({ ...s, Resource: toArray(s.Resource) }));
  out.forEach((x, i) => {
    x.Resource = x.Resource.filter(
      (r) =>
        !out.some(
          (y, j) =>
            j !== i &&
            y.Effect === x.Effect &&
            toArray(x.Action).every((a) => toArray(y.Action).includes(a)) &&
            conditionsWeaker(y.Condition, x.Condition) &&
            y.Resource.some((p) => patternCovers(p, r)),
        ),
    );
  });
  return out.filter((s) => s.Resource.length > 0);
}

/** Every condition of `weaker` is one of `stronger` (conditions are ANDed: weaker allows more). */
function conditionsWeaker(weaker: Statement["Condition"], stronger: Statement["Condition"]) {
  return Object.entries(weaker ?? {}).every(([operator, clause]) =>
    Object.entries(clause).every(
      ([key, value]) =>
        JSON.stringify(toArray(value).sort()) ===
        JSON.stringify(toArray(stronger?.[operator]?.[key]).sort()),
    ),
  );
}

function patternCovers(pattern: string, resource: string): boolean {
  const glob = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${glob}$`).test(resource);
}

/** Step 3. */
function sameActionsMerged(statements: readonly Statement[]): Statement[] {
  const byActions = new Map<string, Statement>();
  for (const s of statements) {
    const key = JSON.stringify([s.Effect, [...toArray(s.Action)].sort(), s.Condition ?? null]);
    const existing = byActions.get(key);
    byActions.set(
      key,
      existing
        ? {
            ...existing,
            Resource: [...new Set([...toArray(existing.Resource), ...toArray(s.Resource)])],
          }
        : s,
    );
  }
  return [...byActions.values()];
}

/**
 * Step 6: statements that differ only in their resources and kms:ViaService (the vault key of
 * each region through RDS in that region, dr-permissions.ts vaultKeysThroughRds) become one.
 */
function vaultKeysMerged(statements: readonly Statement[]): Statement[] {
  const VIA = "kms:ViaService";
  const byRest = new Map<string, Statement>();
  for (const s of statements) {
    const via = s.Condition?.StringEquals?.[VIA];
    if (
      via === undefined ||
      !toArray(via).every((v) => typeof v === "string" && v.startsWith("rds.")) ||
      !toArray(s.Action).every((a) => a === "kms:CreateGrant" || a === "kms:DescribeKey")
    ) {
      byRest.set(JSON.stringify(s), s);
      continue;
    }
    const { [VIA]: _via, ...equals } = s.Condition?.StringEquals ?? {};
    const key = JSON.stringify([
      s.Effect,
      [...toArray(s.Action)].sort(),
      { ...s.Condition, StringEquals: equals },
    ]);
    const existing = byRest.get(key);
    if (!existing) {
      byRest.set(key, s);
      continue;
    }
    const vias = [
      ...new Set([...toArray(existing.Condition?.StringEquals?.[VIA]), ...toArray(via)]),
    ];
    byRest.set(key, {
      ...existing,
      Resource: [...new Set([...toArray(existing.Resource), ...toArray(s.Resource)])],
      Condition: {
        ...existing.Condition,
        StringEquals: {
          ...existing.Condition?.StringEquals,
          [VIA]: vias.length === 1 ? vias[0] : vias,
        },
      },
    });
  }
  return [...byRest.values()];
}

/**
 * Step 4. Statements with the same effect, resources and conditions as one (actions unioned):
 * exactly what they allowed apart, in fewer characters (the restore drills' many narrow
 * statements overran the limit first).
 */
function sameScopeMerged(statements: readonly Statement[]): Statement[] {
  const byScope = new Map<string, Statement>();
  for (const s of statements) {
    const resources = [...toArray(s.Resource)].sort();
    const key = JSON.stringify([s.Effect, resources, s.Condition ?? null]);
    const existing = byScope.get(key);
    byScope.set(
      key,
      existing
        ? {
            ...existing,
            Action: [...new Set([...toArray(existing.Action), ...toArray(s.Action)])].sort(),
          }
        : s,
    );
  }
  return [...byScope.values()];
}

/**
 * IAM's size limit of a customer managed policy: 6,144 characters, whitespace not counted ("IAM
 * and AWS STS quotas"); a role takes 10 managed policies by default. The deploy policy is larger
 * than one, so it is packed into as few documents as fit, statements kept whole and in order.
 */
export const MANAGED_POLICY_MAX_CHARACTERS = 6144;
export const MANAGED_POLICIES_PER_ROLE = 10;

export function packStatements(statements: readonly Statement[]): string[] {
  const documents: Statement[][] = [];
  for (const statement of statements) {
    const last = documents[documents.length - 1];
    if (last && policyDocument([...last, statement]).length <= MANAGED_POLICY_MAX_CHARACTERS) {
      last.push(statement);
    } else {
      if (policyDocument([statement]).length > MANAGED_POLICY_MAX_CHARACTERS) {
        throw new Error(`statement ${statement.Sid ?? "?"} alone is over IAM's policy size`);
      }
      documents.push([statement]);
    }
  }
  if (documents.length > MANAGED_POLICIES_PER_ROLE) {
    throw new Error(
      `the deploy policy needs ${documents.length} managed policies, over ${MANAGED_POLICIES_PER_ROLE}`,
    );
  }
  return documents.map((d) => policyDocument(d));
}

/** The documents of one account, as JSON strings: deploy (packed), preview and boundary. */
export function deployDocuments(c: DeployContext): {
  deploy: string[];
  preview: string;
  boundary?: string;
} {
  return {
    deploy: packStatements(deployStatements(c)),
    preview: policyDocument(previewStatements(c)),
    ...(c.kind === "management" ? {} : { boundary: policyDocument(boundaryStatements(c)) }),
  };
}

function rightsFor(kind: DeployAccount): TypeRights[] {
  return [...Object.values(RESOURCE_TYPE_RIGHTS), ...Object.values(REMOVED_TYPES)].filter((r) =>
    r.accounts.includes(kind),
  );
}

function scope(c: DeployContext): Scope {
  if (c.drRegion !== undefined && c.kind !== "failsafe") {
    throw new Error(`drRegion is the failsafe account's, not the ${c.kind} account's`);
  }
  const arns = regionArns(c.region);
  return { arns, c, account: c.account, named: (build) => build(`${PROJECT}-*`) };
}

function aliasArn(s: Scope, region: string, alias: string): string {
  return `arn:${s.arns.partition}:kms:${region}:${s.account}:${alias}`;
}

/** Same Sid → one statement (the type entries share some, e.g. ManageTopics), actions unioned. */
function mergeBySid(statements: readonly Statement[]): Statement[] {
  const bySid = new Map<string, Statement>();
  for (const s of statements) {
    const key = s.Sid ?? JSON.stringify(s);
    const existing = bySid.get(key);
    if (!existing) {
      bySid.set(key, s);
      continue;
    }
    if (
      JSON.stringify(existing.Resource) !== JSON.stringify(s.Resource) ||
      JSON.stringify(existing.Condition) !== JSON.stringify(s.Condition)
    ) {
      throw new Error(`statement ${key} is defined twice with different resources or conditions`);
    }
    const actions = [...new Set([...toArray(existing.Action), ...toArray(s.Action)])].sort();
    bySid.set(key, { ...existing, Action: actions });
  }
  return [...bySid.values()];
}

/** The functions' statements, one per Sid with the resources of all (the boundary only caps). */
function unionBySid(statements: readonly Statement[]): Statement[] {
  const bySid = new Map<string, Statement>();
  for (const s of statements) {
    const key = s.Sid ?? JSON.stringify(s);
    const existing = bySid.get(key);
    if (!existing) {
      bySid.set(key, s);
      continue;
    }
    if (JSON.stringify(existing.Condition) !== JSON.stringify(s.Condition)) {
      throw new Error(`function statement ${key} has different conditions in two functions`);
    }
    bySid.set(key, {
      ...existing,
      Action: [...new Set([...toArray(existing.Action), ...toArray(s.Action)])].sort(),
      Resource: [...new Set([...toArray(existing.Resource), ...toArray(s.Resource)])],
    });
  }
  return [...bySid.values()];
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
