import { strict as assert } from "node:assert";
import { NAMES } from "../../components/names";
import {
  expectDecision,
  type Decision,
  type NamedPolicy,
  type SimulateRequest,
} from "../support/iam-sim";
import { MANAGEMENT, orgGuardConfig, orgPolicy } from "./org-guard-support";
import { evaluateProgram, FAILSAFE, ofType, PROD, type Evaluation } from "./support";

/**
 * The org guard judged by a real policy engine: the SCP and RCP the program builds, evaluated
 * together with the program's own role policies and vault key policy (read from the program under
 * mocks), with the vault key policy of DOCS-TARGET.md (the lead's target shape), and with a
 * permissive key policy (the guard alone). An administrator of the failsafe account is denied each
 * guarded action; the functions still do their job; break-glass and the deploy role keep exactly
 * their exceptions.
 */

const R = "eu-west-1";
const F = FAILSAFE;
const role = (name: string) => `arn:aws:iam::${F}:role/${name}`;
const ADMIN = role("admin"); // an administrator of the failsafe account
const BREAK_GLASS = role("break-glass");
const DEPLOY = role("rds-failsafe-deploy");
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });
/** AdministratorAccess: what a failsafe-account admin, break-glass or a deploy role usually has. */
const ADMINISTRATOR_ACCESS: NamedPolicy = {
  name: "AdministratorAccess",
  document: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
};

const arn = {
  snapshot: (id: string, region = R) => `arn:aws:rds:${region}:${F}:snapshot:${id}`,
  clusterSnapshot: (id: string) => `arn:aws:rds:${R}:${F}:cluster-snapshot:${id}`,
  fn: (name: string) => `arn:aws:lambda:${R}:${F}:function:${name}`,
  rule: (name: string) => `arn:aws:events:${R}:${F}:rule/${name}`,
  queue: (name: string) => `arn:aws:sqs:${R}:${F}:${name}`,
  topic: (name: string) => `arn:aws:sns:${R}:${F}:${name}`,
  alarm: (name: string) => `arn:aws:cloudwatch:${R}:${F}:alarm:${name}`,
  logGroup: (fn: string) => `arn:aws:logs:${R}:${F}:log-group:/aws/lambda/${fn}`,
  alias: (name: string) => `arn:aws:kms:${R}:${F}:${name}`,
};
const MANAGED = { "rds:snapshot-tag/failsafe:managed": "true" };
const MANAGED_CLUSTER = { "rds:cluster-snapshot-tag/failsafe:managed": "true" };
const VAULT = { "kms:ResourceAliases": [NAMES.keyAlias.vault] };
const MESSAGING = { "kms:ResourceAliases": [NAMES.keyAlias.messaging] };
const RDS_GRANT = {
  "kms:ViaService": `rds.${R}.amazonaws.com`,
  "kms:GrantIsForAWSResource": true,
  ...VAULT,
};

/** DOCS-TARGET.md, "Vault key policy" (what components/keys.ts is being rewritten to). */
function targetVaultKeyPolicy(failsafe: string, breakGlass: string) {
  const root = { AWS: `arn:aws:iam::${failsafe}:root` };
  const viaRds = { "kms:ViaService": `rds.${R}.amazonaws.com`, "kms:CallerAccount": failsafe };
  const destructive = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"];
  return doc(
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: root,
      Resource: "*",
      Action: [
        "kms:CancelKeyDeletion",
        "kms:CreateAlias",
        "kms:DeleteAlias",
        "kms:DescribeKey",
        "kms:EnableKey",
        "kms:EnableKeyRotation",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListGrants",
        "kms:ListKeyRotations",
        "kms:ListResourceTags",
        "kms:RevokeGrant",
        "kms:RotateKeyOnDemand",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:UpdateAlias",
        "kms:UpdateKeyDescription",
      ],
    },
    {
      Sid: "AccountUsesKeyOnlyThroughRds",
      Effect: "Allow",
      Principal: root,
      Resource: "*",
      Action: [
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ],
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: "AccountGrantsOnlyToRds",
      Effect: "Allow",
      Principal: root,
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: viaRds, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "BreakGlassMayDeleteDisableOrChangePolicy",
      Effect: "Allow",
      Principal: { AWS: breakGlass },
      Resource: "*",
      Action: destructive,
    },
    {
      Sid: "DenyDestructiveActionsExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Resource: "*",
      Action: destructive,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": breakGlass } },
    },
    {
      Sid: "DenyGrantsNotForAwsResourcesExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Resource: "*",
      Action: ["kms:CreateGrant"],
      Condition: {
        Bool: { "kms:GrantIsForAWSResource": "false" },
        ArnNotEquals: { "aws:PrincipalArn": breakGlass },
      },
    },
  );
}

/** The key policy AWS gives a key by default: IAM decides everything ("the guard alone"). */
const permissiveKeyPolicy = (...accounts: string[]) =>
  doc({
    Sid: "EnableIamPolicies",
    Effect: "Allow",
    Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:root`) },
    Action: "kms:*",
    Resource: "*",
  });

interface Program {
  scp: NamedPolicy;
  rcp: NamedPolicy;
  rolePolicy: (fn: string) => NamedPolicy;
  keyPolicy: (name: "vault" | "messaging-key") => NamedPolicy;
  keyArn: (name: "vault" | "messaging-key") => string;
}

function program(e: Evaluation): Program {
  const policies = ofType(e, "aws:iam/rolePolicy:RolePolicy");
  const keys = ofType(e, "aws:kms/key:Key");
  const key = (name: string) => {
    const k = keys.find((x) => x.name === name);
    assert.ok(k, `key ${name}`);
    return k;
  };
  return {
    scp: { name: "org-guard SCP", document: orgPolicy(e, "SERVICE_CONTROL_POLICY").content },
    rcp: { name: "org-guard RCP", document: orgPolicy(e, "RESOURCE_CONTROL_POLICY").content },
    rolePolicy: (fn) => {
      const p = policies.find((x) => x.inputs.role === fn);
      assert.ok(p, `role policy of ${fn}`);
      return { name: `${fn} least-privilege`, document: String(p.inputs.policy) };
    },
    keyPolicy: (name) => ({
      name: `${name} key policy`,
      document: String(key(name).inputs.policy),
    }),
    keyArn: (name) => String(key(name).state.arn),
  };
}

async function decisions(cases: [string, SimulateRequest, Decision][]): Promise<void> {
  const failures: string[] = [];
  for (const [name, request, expected] of cases) {
    await expectDecision(request, expected, name).catch((err: Error) => failures.push(err.message));
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
}

describe("org guard judged by the IAM policy engine", function () {
  this.timeout(180_000);
  let p: Program;
  before(() => {
    p = program(evaluateProgram(orgGuardConfig("save")));
  });

  /** A request by `principal` with AdministratorAccess, under the org guard. */
  const by = (
    principal: string,
    action: string,
    resource: string,
    extra: Partial<SimulateRequest> = {},
  ): SimulateRequest => ({
    principal,
    action,
    resource,
    identityPolicies: [ADMINISTRATOR_ACCESS],
    scps: [p.scp],
    rcps: [p.rcp],
    ...extra,
  });

  /** Every vault-key policy the guard must hold against. */
  const vaultKeyPolicies = (): [string, NamedPolicy][] => [
    ["the program's vault key policy", p.keyPolicy("vault")],
    [
      "the target vault key policy",
      { name: "target", document: targetVaultKeyPolicy(F, BREAK_GLASS) },
    ],
    [
      "a permissive key policy (the guard alone)",
      { name: "permissive", document: permissiveKeyPolicy(F) },
    ],
  ];

  describe("an administrator of the failsafe account is denied each guarded action", () => {
    it("deleting, changing, re-tagging, forging or sharing managed copies (any region)", () =>
      decisions([
        [
          "DeleteDBSnapshot",
          by(ADMIN, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1"), {
            context: MANAGED,
          }),
          "ExplicitlyDenied",
        ],
        [
          "DeleteDBSnapshot in the DR region",
          by(ADMIN, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1", "eu-central-1"), {
            context: MANAGED,
          }),
          "ExplicitlyDenied",
        ],
        [
          "DeleteDBSnapshot of an untagged failsafe-* copy",
          by(ADMIN, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1")),
          "ExplicitlyDenied",
        ],
        [
          "DeleteDBClusterSnapshot",
          by(ADMIN, "rds:DeleteDBClusterSnapshot", arn.clusterSnapshot("failsafe-aurora-1"), {
            context: MANAGED_CLUSTER,
          }),
          "ExplicitlyDenied",
        ],
        [
          "ModifyDBSnapshot",
          by(ADMIN, "rds:ModifyDBSnapshot", arn.snapshot("failsafe-orders-1")),
          "ExplicitlyDenied",
        ],
        [
          "AddTagsToResource",
          by(ADMIN, "rds:AddTagsToResource", arn.snapshot("failsafe-orders-1"), {
            context: { "aws:TagKeys": ["failsafe:source"] },
          }),
          "ExplicitlyDenied",
        ],
        [
          "RemoveTagsFromResource",
          by(ADMIN, "rds:RemoveTagsFromResource", arn.clusterSnapshot("failsafe-aurora-1"), {
            context: { "aws:TagKeys": ["failsafe:managed"] },
          }),
          "ExplicitlyDenied",
        ],
        [
          "CopyDBSnapshot into a forged failsafe-* copy",
          by(ADMIN, "rds:CopyDBSnapshot", arn.snapshot("failsafe-orders-forged")),
          "ExplicitlyDenied",
        ],
        [
          "CreateDBClusterSnapshot named failsafe-*",
          by(ADMIN, "rds:CreateDBClusterSnapshot", arn.clusterSnapshot("failsafe-aurora-forged")),
          "ExplicitlyDenied",
        ],
        [
          "ModifyDBSnapshotAttribute (share a copy)",
          by(ADMIN, "rds:ModifyDBSnapshotAttribute", arn.snapshot("failsafe-orders-1")),
          "ExplicitlyDenied",
        ],
        [
          "ModifyDBSnapshotAttribute (share a copy of a copy)",
          by(ADMIN, "rds:ModifyDBSnapshotAttribute", arn.snapshot("exfil-1")),
          "ExplicitlyDenied",
        ],
        [
          "ModifyDBClusterSnapshotAttribute",
          by(
            ADMIN,
            "rds:ModifyDBClusterSnapshotAttribute",
            arn.clusterSnapshot("failsafe-aurora-1"),
          ),
          "ExplicitlyDenied",
        ],
      ]));

    it("destroying, disabling, re-policying or granting away the vault key, whatever its key policy", () =>
      decisions(
        vaultKeyPolicies().flatMap(([label, keyPolicy]): [string, SimulateRequest, Decision][] => {
          const onVault = (action: string, context: SimulateRequest["context"] = VAULT) =>
            by(ADMIN, action, p.keyArn("vault"), { resourcePolicy: keyPolicy, context });
          return [
            [
              `${label}: ScheduleKeyDeletion`,
              onVault("kms:ScheduleKeyDeletion"),
              "ExplicitlyDenied",
            ],
            [`${label}: DisableKey`, onVault("kms:DisableKey"), "ExplicitlyDenied"],
            [`${label}: PutKeyPolicy`, onVault("kms:PutKeyPolicy"), "ExplicitlyDenied"],
            [
              `${label}: CreateGrant not for an AWS resource`,
              onVault("kms:CreateGrant", { ...VAULT, "kms:GrantIsForAWSResource": false }),
              "ExplicitlyDenied",
            ],
          ];
        }),
      ));

    it("the same through the RCP alone, for principals of other accounts the SCP does not reach", () =>
      decisions(
        [
          role("admin").replace(F, PROD),
          `arn:aws:iam::${MANAGEMENT}:role/OrganizationAdmin`,
        ].flatMap((principal): [string, SimulateRequest, Decision][] =>
          ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"].map((action) => [
            `${principal} ${action} with a key policy that trusts its account`,
            by(principal, action, p.keyArn("vault"), {
              resourcePolicy: permissiveKeyPolicy(F, PROD, MANAGEMENT),
              context: VAULT,
              managementAccountId: MANAGEMENT,
            }),
            "ExplicitlyDenied",
          ]),
        ),
      ));

    it("moving the vault alias, or disabling the topics' key", () =>
      decisions([
        [
          "UpdateAlias alias/rds-failsafe-vault",
          by(ADMIN, "kms:UpdateAlias", arn.alias(NAMES.keyAlias.vault)),
          "ExplicitlyDenied",
        ],
        [
          "DeleteAlias alias/rds-failsafe-vault",
          by(ADMIN, "kms:DeleteAlias", arn.alias(NAMES.keyAlias.vault)),
          "ExplicitlyDenied",
        ],
        [
          "ScheduleKeyDeletion of the messaging key",
          by(ADMIN, "kms:ScheduleKeyDeletion", p.keyArn("messaging-key"), {
            resourcePolicy: p.keyPolicy("messaging-key"),
            context: MESSAGING,
          }),
          "ExplicitlyDenied",
        ],
        [
          "PutKeyPolicy of the messaging key",
          by(ADMIN, "kms:PutKeyPolicy", p.keyArn("messaging-key"), {
            resourcePolicy: p.keyPolicy("messaging-key"),
            context: MESSAGING,
          }),
          "ExplicitlyDenied",
        ],
      ]));

    it("changing the pipeline's functions, triggers, rules, queues, topics, alarms, logs and roles", () => {
      const fnArnOf = { "lambda:FunctionArn": arn.fn(NAMES.fn.save) };
      const esm = `arn:aws:lambda:${R}:${F}:event-source-mapping:0a1b2c3d-1111-2222-3333-444455556666`;
      return decisions([
        [
          "UpdateFunctionCode",
          by(ADMIN, "lambda:UpdateFunctionCode", arn.fn(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "UpdateFunctionConfiguration",
          by(ADMIN, "lambda:UpdateFunctionConfiguration", arn.fn(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "DeleteFunction",
          by(ADMIN, "lambda:DeleteFunction", arn.fn(NAMES.fn.failsafeSweep)),
          "ExplicitlyDenied",
        ],
        [
          "PutFunctionConcurrency (0 stops it)",
          by(ADMIN, "lambda:PutFunctionConcurrency", arn.fn(NAMES.fn.save)),
          "ExplicitlyDenied",
        ],
        [
          "AddPermission",
          by(ADMIN, "lambda:AddPermission", arn.fn(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "CreateFunction with a program name",
          by(ADMIN, "lambda:CreateFunction", arn.fn("rds-failsafe-drill")),
          "ExplicitlyDenied",
        ],
        [
          "DeleteEventSourceMapping",
          by(ADMIN, "lambda:DeleteEventSourceMapping", esm, { context: fnArnOf }),
          "ExplicitlyDenied",
        ],
        [
          "UpdateEventSourceMapping (disable)",
          by(ADMIN, "lambda:UpdateEventSourceMapping", esm, { context: fnArnOf }),
          "ExplicitlyDenied",
        ],
        [
          "CreateEventSourceMapping",
          by(ADMIN, "lambda:CreateEventSourceMapping", "*", {
            resourceAccount: F,
            context: fnArnOf,
          }),
          "ExplicitlyDenied",
        ],
        [
          "PassRole of a function role (to a new function)",
          by(ADMIN, "iam:PassRole", role(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "PutRolePolicy on a function role",
          by(ADMIN, "iam:PutRolePolicy", role(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "UpdateAssumeRolePolicy of break-glass",
          by(ADMIN, "iam:UpdateAssumeRolePolicy", BREAK_GLASS),
          "ExplicitlyDenied",
        ],
        [
          "DeleteRole break-glass (to re-create it)",
          by(ADMIN, "iam:DeleteRole", BREAK_GLASS),
          "ExplicitlyDenied",
        ],
        [
          "AttachRolePolicy to the deploy role",
          by(ADMIN, "iam:AttachRolePolicy", DEPLOY),
          "ExplicitlyDenied",
        ],
        [
          "UpdateAssumeRolePolicy of the deploy role",
          by(ADMIN, "iam:UpdateAssumeRolePolicy", DEPLOY),
          "ExplicitlyDenied",
        ],
        [
          "DisableRule",
          by(ADMIN, "events:DisableRule", arn.rule("rds-failsafe-failsafe-copy-ready")),
          "ExplicitlyDenied",
        ],
        [
          "RemoveTargets",
          by(ADMIN, "events:RemoveTargets", arn.rule("rds-failsafe-failsafe-sweep-schedule")),
          "ExplicitlyDenied",
        ],
        [
          "PurgeQueue",
          by(ADMIN, "sqs:PurgeQueue", arn.queue("rds-failsafe-save")),
          "ExplicitlyDenied",
        ],
        [
          "SetQueueAttributes",
          by(ADMIN, "sqs:SetQueueAttributes", arn.queue("rds-failsafe-retention")),
          "ExplicitlyDenied",
        ],
        [
          "DeleteQueue (a DLQ)",
          by(ADMIN, "sqs:DeleteQueue", arn.queue("rds-failsafe-save-dlq")),
          "ExplicitlyDenied",
        ],
        [
          "SetTopicAttributes",
          by(ADMIN, "sns:SetTopicAttributes", arn.topic(NAMES.handoffTopic)),
          "ExplicitlyDenied",
        ],
        [
          "DeleteTopic",
          by(ADMIN, "sns:DeleteTopic", arn.topic(NAMES.opsTopic.save)),
          "ExplicitlyDenied",
        ],
        // The SAR authorizes Unsubscribe on the topic; the SCP's pattern covers subscription ARNs too.
        [
          "Unsubscribe from the ops topic",
          by(ADMIN, "sns:Unsubscribe", arn.topic(NAMES.opsTopic.save)),
          "ExplicitlyDenied",
        ],
        [
          "DeleteAlarms",
          by(ADMIN, "cloudwatch:DeleteAlarms", arn.alarm("rds-failsafe-rpo-breach")),
          "ExplicitlyDenied",
        ],
        [
          "DisableAlarmActions",
          by(ADMIN, "cloudwatch:DisableAlarmActions", arn.alarm("rds-failsafe-retention-errors")),
          "ExplicitlyDenied",
        ],
        [
          "DeleteLogGroup",
          by(ADMIN, "logs:DeleteLogGroup", arn.logGroup(NAMES.fn.retention)),
          "ExplicitlyDenied",
        ],
        [
          "PutRetentionPolicy",
          by(ADMIN, "logs:PutRetentionPolicy", arn.logGroup(NAMES.fn.save)),
          "ExplicitlyDenied",
        ],
      ]);
    });

    it("taking the account out of the organization's reach", () =>
      decisions([
        [
          "LeaveOrganization",
          by(ADMIN, "organizations:LeaveOrganization", "*", { resourceAccount: F }),
          "ExplicitlyDenied",
        ],
        [
          "CloseAccount",
          by(ADMIN, "account:CloseAccount", `arn:aws:account::${F}:account`, {
            resourceAccount: F,
          }),
          "ExplicitlyDenied",
        ],
      ]));
  });

  it("does not get in the way of anything else an administrator does", () =>
    decisions([
      [
        "deleting a snapshot that is not a managed copy",
        by(ADMIN, "rds:DeleteDBSnapshot", arn.snapshot("orders-manual-1")),
        "Allowed",
      ],
      [
        "reading the copies",
        by(ADMIN, "rds:DescribeDBSnapshots", arn.snapshot("failsafe-orders-1")),
        "Allowed",
      ],
      [
        "reading the pipeline",
        by(ADMIN, "lambda:GetFunction", arn.fn(NAMES.fn.retention)),
        "Allowed",
      ],
      [
        "redriving nothing but reading a queue",
        by(ADMIN, "sqs:GetQueueAttributes", arn.queue("rds-failsafe-save-dlq")),
        "Allowed",
      ],
      [
        "deleting another key",
        by(ADMIN, "kms:ScheduleKeyDeletion", `arn:aws:kms:${R}:${F}:key/other`, {
          resourcePolicy: permissiveKeyPolicy(F),
          context: { "kms:ResourceAliases": ["alias/team-key"] },
        }),
        "Allowed",
      ],
      [
        "changing another team's function",
        by(ADMIN, "lambda:UpdateFunctionCode", arn.fn("team-function")),
        "Allowed",
      ],
      ["changing another role", by(ADMIN, "iam:PutRolePolicy", role("team-role")), "Allowed"],
    ]));

  it("still lets the functions do their job, with their own policies", () => {
    const retention = p.rolePolicy(NAMES.fn.retention);
    const sweep = p.rolePolicy(NAMES.fn.failsafeSweep);
    const save = p.rolePolicy(NAMES.fn.save);
    const as = (
      fn: string,
      policy: NamedPolicy,
      action: string,
      resource: string,
      extra: Partial<SimulateRequest> = {},
    ) => by(role(fn), action, resource, { identityPolicies: [policy], ...extra });
    return decisions([
      [
        "retention deletes a managed copy",
        as(
          NAMES.fn.retention,
          retention,
          "rds:DeleteDBSnapshot",
          arn.snapshot("failsafe-orders-1"),
          { context: MANAGED },
        ),
        "Allowed",
      ],
      [
        "retention deletes a managed cluster copy",
        as(
          NAMES.fn.retention,
          retention,
          "rds:DeleteDBClusterSnapshot",
          arn.clusterSnapshot("failsafe-aurora-1"),
          { context: MANAGED_CLUSTER },
        ),
        "Allowed",
      ],
      [
        "retention may not delete an unmanaged snapshot",
        as(NAMES.fn.retention, retention, "rds:DeleteDBSnapshot", arn.snapshot("orders-manual-1"), {
          context: MANAGED,
        }),
        "ImplicitlyDenied",
      ],
      [
        "retention may not delete an untagged failsafe-* snapshot",
        as(
          NAMES.fn.retention,
          retention,
          "rds:DeleteDBSnapshot",
          arn.snapshot("failsafe-orders-1"),
        ),
        "ImplicitlyDenied",
      ],
      [
        "retention may not tag (the guard: only save and the sweep)",
        as(
          NAMES.fn.retention,
          { name: "admin", document: ADMINISTRATOR_ACCESS.document },
          "rds:AddTagsToResource",
          arn.snapshot("failsafe-orders-1"),
        ),
        "ExplicitlyDenied",
      ],
      [
        "the failsafe sweep applies retention",
        as(
          NAMES.fn.failsafeSweep,
          sweep,
          "rds:DeleteDBSnapshot",
          arn.snapshot("failsafe-orders-1"),
          { context: MANAGED },
        ),
        "Allowed",
      ],
      [
        "save copies into a managed copy",
        as(NAMES.fn.save, save, "rds:CopyDBSnapshot", arn.snapshot("failsafe-orders-2")),
        "Allowed",
      ],
      [
        "save tags its copy",
        as(NAMES.fn.save, save, "rds:AddTagsToResource", arn.snapshot("failsafe-orders-2"), {
          context: { "aws:TagKeys": ["failsafe:managed"] },
        }),
        "Allowed",
      ],
      [
        "save may not delete",
        as(NAMES.fn.save, save, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-2"), {
          context: MANAGED,
        }),
        "ExplicitlyDenied",
      ],
      ...vaultKeyPolicies().map(([label, keyPolicy]): [string, SimulateRequest, Decision] => [
        `save: RDS creates a grant on the vault key (${label})`,
        as(NAMES.fn.save, save, "kms:CreateGrant", p.keyArn("vault"), {
          resourcePolicy: keyPolicy,
          context: RDS_GRANT,
        }),
        "Allowed",
      ]),
      [
        "save consumes its queue",
        as(NAMES.fn.save, save, "sqs:ReceiveMessage", arn.queue("rds-failsafe-save")),
        "Allowed",
      ],
      [
        "save writes its logs",
        as(NAMES.fn.save, save, "logs:PutLogEvents", `${arn.logGroup(NAMES.fn.save)}:log-stream:x`),
        "Allowed",
      ],
      [
        "save notifies ops",
        as(NAMES.fn.save, save, "sns:Publish", arn.topic(NAMES.opsTopic.save)),
        "Allowed",
      ],
    ]);
  });

  it("leaves break-glass its exceptions, and only those", () =>
    decisions([
      ...vaultKeyPolicies().flatMap(([label, keyPolicy]): [string, SimulateRequest, Decision][] =>
        ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"].map((action) => [
          `${action} (${label})`,
          by(BREAK_GLASS, action, p.keyArn("vault"), { resourcePolicy: keyPolicy, context: VAULT }),
          "Allowed",
        ]),
      ),
      [
        "shares a copy (guided restore --to-account)",
        by(BREAK_GLASS, "rds:ModifyDBSnapshotAttribute", arn.snapshot("failsafe-orders-1")),
        "Allowed",
      ],
      [
        "shares a cluster copy",
        by(
          BREAK_GLASS,
          "rds:ModifyDBClusterSnapshotAttribute",
          arn.clusterSnapshot("failsafe-aurora-1"),
        ),
        "Allowed",
      ],
      [
        "copies a copy (re-encrypting it for another account)",
        by(BREAK_GLASS, "rds:CopyDBSnapshot", arn.snapshot("failsafe-orders-1")),
        "Allowed",
      ],
      [
        "but does not delete copies early",
        by(BREAK_GLASS, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1"), {
          context: MANAGED,
        }),
        "ExplicitlyDenied",
      ],
      [
        "nor change the pipeline",
        by(BREAK_GLASS, "lambda:UpdateFunctionCode", arn.fn(NAMES.fn.retention)),
        "ExplicitlyDenied",
      ],
      [
        "nor its own trust policy",
        by(BREAK_GLASS, "iam:UpdateAssumeRolePolicy", BREAK_GLASS),
        "ExplicitlyDenied",
      ],
    ]));

  it("leaves the deploy role the pipeline, and nothing of the copies or the vault key", () =>
    decisions([
      [
        "updates a function",
        by(DEPLOY, "lambda:UpdateFunctionCode", arn.fn(NAMES.fn.retention)),
        "Allowed",
      ],
      [
        "passes a function its role",
        by(DEPLOY, "iam:PassRole", role(NAMES.fn.retention)),
        "Allowed",
      ],
      ["updates a role's policy", by(DEPLOY, "iam:PutRolePolicy", role(NAMES.fn.save)), "Allowed"],
      [
        "updates a rule",
        by(DEPLOY, "events:PutRule", arn.rule("rds-failsafe-failsafe-copy-ready")),
        "Allowed",
      ],
      [
        "updates a queue",
        by(DEPLOY, "sqs:SetQueueAttributes", arn.queue("rds-failsafe-save")),
        "Allowed",
      ],
      [
        "updates an alarm",
        by(DEPLOY, "cloudwatch:PutMetricAlarm", arn.alarm("rds-failsafe-rpo-breach")),
        "Allowed",
      ],
      [
        "updates the event source mappings",
        by(
          DEPLOY,
          "lambda:UpdateEventSourceMapping",
          `arn:aws:lambda:${R}:${F}:event-source-mapping:0a1b2c3d-1111-2222-3333-444455556666`,
          { context: { "lambda:FunctionArn": arn.fn(NAMES.fn.save) } },
        ),
        "Allowed",
      ],
      [
        "updates the messaging key policy (new prod account)",
        by(DEPLOY, "kms:PutKeyPolicy", p.keyArn("messaging-key"), {
          resourcePolicy: p.keyPolicy("messaging-key"),
          context: MESSAGING,
        }),
        "Allowed",
      ],
      [
        "but does not delete copies",
        by(DEPLOY, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1"), { context: MANAGED }),
        "ExplicitlyDenied",
      ],
      [
        "nor share them",
        by(DEPLOY, "rds:ModifyDBSnapshotAttribute", arn.snapshot("failsafe-orders-1")),
        "ExplicitlyDenied",
      ],
      [
        "nor delete the vault key",
        by(DEPLOY, "kms:ScheduleKeyDeletion", p.keyArn("vault"), {
          resourcePolicy: permissiveKeyPolicy(F),
          context: VAULT,
        }),
        "ExplicitlyDenied",
      ],
    ]));

  it("binds the failsafe account's root user too, but not service-linked roles", async () => {
    // A member account's root user is subject to SCPs; service-linked roles are not (nor is the
    // management account, which can detach the policies: docs/org-guard.md).
    await expectDecision(
      by(`arn:aws:iam::${F}:root`, "rds:DeleteDBSnapshot", arn.snapshot("failsafe-orders-1"), {
        context: MANAGED,
      }),
      "ExplicitlyDenied",
    );
    const slr = await expectDecision(
      by(
        role("aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"),
        "rds:DeleteDBSnapshot",
        arn.snapshot("failsafe-orders-1"),
        { context: MANAGED },
      ),
      "Allowed",
    );
    assert.match(slr.detail, /skipped SCPs \(service-linked roles are exempt\)/);
  });
});
