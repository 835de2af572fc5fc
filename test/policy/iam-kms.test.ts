// KMS in the functions' roles and the snapshot writes they may make: Compliance with every target
// role policy (DOCS-TARGET.md), then one Noncompliance case per weakening, with the exact violation.
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  iamKmsGrantsForAwsResources,
  iamKmsUseThroughServices,
  iamNoKmsAdministration,
} from "../../policy/iam";
import type { MockResource } from "../../policy/run";
import { rdsSnapshotWritesManaged } from "../../policy/snapshots";
import { FAILSAFE, PROD, resource, validateResource } from "./helpers";
import { copySideRolePolicies, document, saveSideRolePolicies, type Stmt } from "./target";

const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const ROLE = "aws:iam/role:Role";
const KEYS = `arn:aws:kms:eu-west-1:${PROD}:key/*`;
const RDS = "rds.eu-west-1.amazonaws.com";
const SNAP = `arn:aws:rds:eu-west-1:${FAILSAFE}:snapshot:failsafe-*`;
const CLUSTER_SNAP = `arn:aws:rds:eu-west-1:${FAILSAFE}:cluster-snapshot:failsafe-*`;
const rolePolicy = (statements: Stmt[]) =>
  resource(ROLE_POLICY, "r", { role: "rds-failsafe-copy", policy: document(statements) });
const grant = (condition?: Record<string, unknown>): Stmt => ({
  Sid: "Grant",
  Effect: "Allow",
  Action: ["kms:CreateGrant", "kms:DescribeKey"],
  Resource: KEYS,
  ...(condition ? { Condition: condition } : {}),
});
const deleteSnap = (condition: Record<string, unknown> | undefined, res: unknown = SNAP): Stmt => ({
  Sid: "Delete",
  Effect: "Allow",
  Action: "rds:DeleteDBSnapshot",
  Resource: res,
  ...(condition ? { Condition: condition } : {}),
});
const TAGGED = { StringEquals: { "rds:snapshot-tag/failsafe:managed": "true" } };

interface Case {
  name: string;
  policy: ResourceValidationPolicy;
  resource: MockResource;
  config?: Record<string, unknown>;
  expected: string[];
}

const targets = Object.entries({ ...copySideRolePolicies(), ...saveSideRolePolicies() });
const compliance: Case[] = [
  iamNoKmsAdministration,
  iamKmsUseThroughServices,
  iamKmsGrantsForAwsResources,
  rdsSnapshotWritesManaged,
].flatMap((policy) =>
  targets.map(([fn, statements]) => ({
    name: `Compliance: the target role policy of ${fn}`,
    policy,
    resource: rolePolicy(statements),
    expected: [],
  })),
);

const cases: Case[] = [
  ...compliance,
  // iam-no-kms-administration
  {
    name: "Noncompliance 1: kms:PutKeyPolicy and kms:ScheduleKeyDeletion added (the audit's role weakening)",
    policy: iamNoKmsAdministration,
    resource: rolePolicy([
      {
        ...grant({ StringEquals: { "kms:ViaService": RDS } }),
        Action: ["kms:CreateGrant", "kms:Decrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
      },
    ]),
    expected: [
      'Statement "Grant" must not allow KMS administration (kms:PutKeyPolicy, kms:ScheduleKeyDeletion): key policies and the break-glass principal administer keys',
    ],
  },
  {
    name: "Noncompliance 2: a wildcard reaching administration, in a role's inline policy",
    policy: iamNoKmsAdministration,
    resource: resource(ROLE, "r", {
      inlinePolicies: [
        {
          name: "keys",
          policy: document([
            { Effect: "Allow", Action: ["kms:Disable*", "kms:*Alias"], Resource: KEYS },
          ]),
        },
      ],
    }),
    expected: [
      'Statement 1 of inline policy "keys" must not allow KMS administration (kms:CreateAlias, kms:DeleteAlias, kms:DisableKey, kms:DisableKeyRotation, kms:UpdateAlias): key policies and the break-glass principal administer keys',
    ],
  },
  {
    name: "Noncompliance 3: NotAction (everything but something) on an aws.iam.Policy",
    policy: iamNoKmsAdministration,
    resource: resource("aws:iam/policy:Policy", "p", {
      policy: document([
        { Effect: "Allow", NotAction: ["kms:*"], Resource: KEYS },
        { Effect: "Allow", NotAction: "iam:*", Resource: KEYS },
      ]),
    }),
    expected: [
      "Statement 2 must not allow KMS administration (kms:CancelKeyDeletion, kms:ConnectCustomKeyStore, kms:CreateAlias, kms:CreateCustomKeyStore, kms:CreateKey, kms:DeleteAlias, kms:DeleteCustomKeyStore, kms:DeleteImportedKeyMaterial, kms:DisableKey, kms:DisableKeyRotation, kms:DisconnectCustomKeyStore, kms:EnableKey, kms:EnableKeyRotation, kms:ImportKeyMaterial, kms:PutKeyPolicy, kms:ReplicateKey, kms:RetireGrant, kms:RevokeGrant, kms:RotateKeyOnDemand, kms:ScheduleKeyDeletion, kms:SynchronizeMultiRegionKey, kms:TagResource, kms:UntagResource, kms:UpdateAlias, kms:UpdateCustomKeyStore, kms:UpdateKeyDescription, kms:UpdatePrimaryRegion): key policies and the break-glass principal administer keys",
    ],
  },
  {
    name: "Compliance: a Deny of administration",
    policy: iamNoKmsAdministration,
    resource: rolePolicy([{ Effect: "Deny", Action: "kms:*", Resource: "*" }]),
    expected: [],
  },
  // iam-kms-use-through-services
  {
    name: "Noncompliance 1: kms:ViaService dropped (the audit's role weakening)",
    policy: iamKmsUseThroughServices,
    resource: rolePolicy([{ ...grant(), Action: ["kms:CreateGrant", "kms:Decrypt"] }]),
    expected: [
      'Statement "Grant" allows kms:CreateGrant, kms:Decrypt and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)',
    ],
  },
  {
    name: "Noncompliance 2: through EC2, or only if kms:ViaService exists",
    policy: iamKmsUseThroughServices,
    resource: rolePolicy([
      grant({ StringEquals: { "kms:ViaService": "ec2.eu-west-1.amazonaws.com" } }),
      { ...grant({ StringEqualsIfExists: { "kms:ViaService": RDS } }), Sid: "IfExists" },
    ]),
    expected: [
      'Statement "Grant" allows kms:CreateGrant, kms:DescribeKey and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)',
      'Statement "IfExists" allows kms:CreateGrant, kms:DescribeKey and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)',
    ],
  },
  {
    name: "Noncompliance 3: every action (*) and NotAction reach KMS",
    policy: iamKmsUseThroughServices,
    resource: rolePolicy([
      { Sid: "All", Effect: "Allow", Action: "*", Resource: KEYS },
      { Sid: "AllBut", Effect: "Allow", NotAction: "iam:*", Resource: KEYS },
    ]),
    expected: [
      'Statement "All" allows * and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)',
      'Statement "AllBut" allows NotAction (every KMS action) and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)',
    ],
  },
  {
    name: "Compliance: listing keys and aliases needs no service",
    policy: iamKmsUseThroughServices,
    resource: rolePolicy([
      { Effect: "Allow", Action: ["kms:ListAliases", "kms:ListKeys"], Resource: "*" },
    ]),
    expected: [],
  },
  // iam-kms-grants-for-aws-resources
  {
    name: "Noncompliance 1: kms:CreateGrant without the grant condition",
    policy: iamKmsGrantsForAwsResources,
    resource: rolePolicy([grant({ StringEquals: { "kms:ViaService": RDS } })]),
    expected: [
      'Statement "Grant" allows kms:CreateGrant and must require Bool kms:GrantIsForAWSResource "true"',
    ],
  },
  {
    name: 'Noncompliance 2: the condition "false", or only if it exists; a wildcard reaching CreateGrant',
    policy: iamKmsGrantsForAwsResources,
    resource: rolePolicy([
      grant({
        StringEquals: { "kms:ViaService": RDS },
        Bool: { "kms:GrantIsForAWSResource": "false" },
      }),
      { ...grant({ BoolIfExists: { "kms:GrantIsForAWSResource": true } }), Sid: "IfExists" },
      { Sid: "Wild", Effect: "Allow", Action: "kms:Create*", Resource: KEYS },
    ]),
    expected: [
      'Statement "Grant" allows kms:CreateGrant and must require Bool kms:GrantIsForAWSResource "true"',
      'Statement "IfExists" allows kms:CreateGrant and must require Bool kms:GrantIsForAWSResource "true"',
      'Statement "Wild" allows kms:CreateGrant and must require Bool kms:GrantIsForAWSResource "true"',
    ],
  },
  {
    name: "Compliance: a JSON boolean true",
    policy: iamKmsGrantsForAwsResources,
    resource: rolePolicy([
      grant({
        StringEquals: { "kms:ViaService": RDS },
        Bool: { "kms:GrantIsForAWSResource": true },
      }),
    ]),
    expected: [],
  },
  // rds-snapshot-writes-managed
  {
    name: "Noncompliance 1: rds:DeleteDBSnapshot without the managed-tag condition (the audit's snapshot weakening)",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([deleteSnap(undefined)]),
    expected: [
      'Statement "Delete" allows rds:DeleteDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/failsafe:managed: "true")',
    ],
  },
  {
    name: "Noncompliance 2: rds:DeleteDBSnapshot on every snapshot, and on Resource *",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([
      deleteSnap(TAGGED, `arn:aws:rds:eu-west-1:${FAILSAFE}:snapshot:*`),
      { ...deleteSnap(TAGGED, "*"), Sid: "Everything" },
    ]),
    expected: [
      `Statement "Delete" allows rds:DeleteDBSnapshot and must be scoped to snapshot ARNs named "failsafe-*" (not arn:aws:rds:eu-west-1:${FAILSAFE}:snapshot:*)`,
      'Statement "Everything" allows rds:DeleteDBSnapshot and must be scoped to snapshot ARNs named "failsafe-*" (not *)',
    ],
  },
  {
    name: "Noncompliance 3: the tag only if it exists, with a wildcard value, or of the wrong snapshot type",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([
      deleteSnap({ StringEqualsIfExists: { "rds:snapshot-tag/failsafe:managed": "true" } }),
      { ...deleteSnap({ StringLike: { "rds:snapshot-tag/failsafe:managed": "*" } }), Sid: "Any" },
      {
        Sid: "Cluster",
        Effect: "Allow",
        Action: "rds:DeleteDBClusterSnapshot",
        Resource: CLUSTER_SNAP,
        Condition: TAGGED,
      },
    ]),
    expected: [
      'Statement "Delete" allows rds:DeleteDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/failsafe:managed: "true")',
      'Statement "Any" allows rds:DeleteDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/failsafe:managed: "true")',
      'Statement "Cluster" allows rds:DeleteDBClusterSnapshot and must require the managed tag (StringEquals rds:cluster-snapshot-tag/failsafe:managed: "true")',
    ],
  },
  {
    name: "Noncompliance 4: a share statement on snapshot:* through a wildcard action",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([
      {
        Sid: "Share",
        Effect: "Allow",
        Action: "rds:Modify*SnapshotAttribute",
        Resource: [
          `arn:aws:rds:eu-west-1:${PROD}:snapshot:*`,
          `arn:aws:rds:eu-west-1:${PROD}:cluster-snapshot:*`,
        ],
        Condition: {
          StringEquals: {
            "rds:snapshot-tag/failsafe:managed": "true",
            "rds:cluster-snapshot-tag/failsafe:managed": "true",
          },
        },
      },
    ]),
    expected: [
      `Statement "Share" allows rds:ModifyDBSnapshotAttribute, rds:ModifyDBClusterSnapshotAttribute and must be scoped to snapshot ARNs named "failsafe-*" (not arn:aws:rds:eu-west-1:${PROD}:snapshot:*, arn:aws:rds:eu-west-1:${PROD}:cluster-snapshot:*)`,
    ],
  },
  {
    name: "Noncompliance 5: NotAction reaching deletes, with NotResource",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([
      { Sid: "AllBut", Effect: "Allow", NotAction: "rds:Describe*", NotResource: SNAP },
    ]),
    expected: [
      `Statement "AllBut" allows rds:DeleteDBSnapshot, rds:ModifyDBSnapshotAttribute, rds:ModifyDBSnapshot, rds:DeleteDBClusterSnapshot, rds:ModifyDBClusterSnapshotAttribute and must be scoped to snapshot ARNs named "failsafe-*" (not NotResource ${SNAP})`,
      'Statement "AllBut" allows rds:DeleteDBSnapshot, rds:ModifyDBSnapshotAttribute, rds:ModifyDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/failsafe:managed: "true")',
      'Statement "AllBut" allows rds:DeleteDBClusterSnapshot, rds:ModifyDBClusterSnapshotAttribute and must require the managed tag (StringEquals rds:cluster-snapshot-tag/failsafe:managed: "true")',
    ],
  },
  {
    name: "Noncompliance 6: rds:ModifyDBSnapshot (engine upgrade of a copy) without the tag",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([
      { Sid: "Upgrade", Effect: "Allow", Action: "rds:ModifyDBSnapshot", Resource: SNAP },
    ]),
    expected: [
      'Statement "Upgrade" allows rds:ModifyDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/failsafe:managed: "true")',
    ],
  },
  {
    name: "Noncompliance 7: configured prefix and tag",
    policy: rdsSnapshotWritesManaged,
    resource: rolePolicy([deleteSnap(TAGGED)]),
    config: { managedSnapshotPrefix: "vault-", managedTagKey: "vault:managed" },
    expected: [
      `Statement "Delete" allows rds:DeleteDBSnapshot and must be scoped to snapshot ARNs named "vault-*" (not ${SNAP})`,
      'Statement "Delete" allows rds:DeleteDBSnapshot and must require the managed tag (StringEquals rds:snapshot-tag/vault:managed: "true")',
    ],
  },
];

describe("policy/iam KMS rights and policy/snapshots writes of the functions' roles", () => {
  for (const c of cases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateResource(c.policy, c.resource, c.config), c.expected);
    });
  }
});
