import { strict as assert } from "node:assert";
import {
  expectDecision,
  IamSimError,
  simulate,
  type Decision,
  type SimulateRequest,
} from "./support/iam-sim";

// The harness itself: in each setup the program's documents use, it must tell Allowed,
// ExplicitlyDenied and ImplicitlyDenied apart, and it must throw rather than deny silently when a
// request or a document is wrong.

const R = "eu-west-1";
const F = "222222222222"; // failsafe
const A = "111111111111"; // prod
const M = "333333333333"; // management account
const role = (account: string, name: string, partition = "aws") =>
  `arn:${partition}:iam::${account}:role/${name}`;
const root = (account: string, partition = "aws") => `arn:${partition}:iam::${account}:root`;
const doc = (...Statement: Record<string, unknown>[]) => ({ Version: "2012-10-17", Statement });
const ADMIN = {
  name: "AdministratorAccess",
  document: doc({ Effect: "Allow", Action: "*", Resource: "*" }),
};
const BREAK_GLASS = role(F, "break-glass");
const snapshot = (name: string, account = F) => `arn:aws:rds:${R}:${account}:snapshot:${name}`;
const key = (account: string, partition = "aws", region = R) =>
  `arn:${partition}:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

async function decisions(cases: [string, SimulateRequest, Decision][]): Promise<void> {
  for (const [name, request, expected] of cases) {
    await expectDecision(request, expected, name);
  }
}

describe("iam-sim: IAM evaluation harness (@cloud-copilot/iam-simulate)", function () {
  this.timeout(60_000);

  describe("identity policies with rds:snapshot-tag/… (same account)", () => {
    const retention = {
      name: "retention",
      document: doc({
        Sid: "DeleteManagedSnapshots",
        Effect: "Allow",
        Action: "rds:DeleteDBSnapshot",
        Resource: `arn:aws:rds:${R}:${F}:snapshot:failsafe-*`,
        Condition: { StringEquals: { "rds:snapshot-tag/failsafe:managed": "true" } },
      }),
    };
    const base = {
      principal: role(F, "rds-failsafe-retention"),
      action: "rds:DeleteDBSnapshot",
      identityPolicies: [retention],
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        [
          "managed snapshot",
          {
            ...base,
            resource: snapshot("failsafe-a"),
            context: { "rds:snapshot-tag/failsafe:managed": "true" },
          },
          "Allowed",
        ],
        [
          "untagged failsafe-* snapshot",
          { ...base, resource: snapshot("failsafe-a") },
          "ImplicitlyDenied",
        ],
        [
          "tag says false",
          {
            ...base,
            resource: snapshot("failsafe-a"),
            context: { "rds:snapshot-tag/failsafe:managed": "false" },
          },
          "ImplicitlyDenied",
        ],
        [
          "someone else's snapshot, even tagged",
          {
            ...base,
            resource: snapshot("orders-1"),
            context: { "rds:snapshot-tag/failsafe:managed": "true" },
          },
          "ImplicitlyDenied",
        ],
        [
          "an identity Deny wins",
          {
            ...base,
            resource: snapshot("failsafe-a"),
            context: { "rds:snapshot-tag/failsafe:managed": "true" },
            identityPolicies: [
              retention,
              doc({ Effect: "Deny", Action: "rds:DeleteDBSnapshot", Resource: "*" }),
            ],
          },
          "ExplicitlyDenied",
        ],
      ]));
  });

  describe("a key policy in account F, a principal of account A (cross account)", () => {
    // DOCS-TARGET.md, failsafe messaging key statement 3.
    const share = role(A, "rds-failsafe-share");
    const messagingKeyPolicy = doc(
      {
        Sid: "AccountAdministersAndUsesKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: root(F) },
        Action: ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
      },
      {
        Sid: "ProdRolesPublishHandoffsThroughSns",
        Effect: "Allow",
        Principal: { AWS: [root(A)] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: {
          StringEquals: { "kms:ViaService": `sns.${R}.amazonaws.com` },
          ArnEquals: { "aws:PrincipalArn": [share] },
        },
      },
      {
        Sid: "DenyKeyPolicyChanges",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:PutKeyPolicy",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS } },
      },
    );
    const publishThroughSns = doc({
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: `arn:aws:kms:${R}:${F}:key/*`,
      Condition: { StringEquals: { "kms:ViaService": `sns.${R}.amazonaws.com` } },
    });
    const viaSns = { "kms:ViaService": `sns.${R}.amazonaws.com` };
    const base = {
      principal: share,
      action: "kms:GenerateDataKey",
      resource: key(F),
      resourcePolicy: messagingKeyPolicy,
      identityPolicies: [publishThroughSns],
      context: viaSns,
    };
    it("both sides must allow; the key policy's aws:PrincipalArn and kms:ViaService count", () =>
      decisions([
        ["the share role through SNS", base, "Allowed"],
        [
          "the share role calling KMS directly (no kms:ViaService)",
          { ...base, context: {} },
          "ImplicitlyDenied",
        ],
        [
          "another role of A, even an admin",
          { ...base, principal: role(A, "admin"), identityPolicies: [ADMIN] },
          "ImplicitlyDenied",
        ],
        [
          "the key policy alone (no identity policy in A)",
          { ...base, identityPolicies: [] },
          "ImplicitlyDenied",
        ],
        [
          "the identity policy alone (key policy without the statement)",
          {
            ...base,
            resourcePolicy: doc(messagingKeyPolicy.Statement[0] as Record<string, unknown>),
          },
          "ImplicitlyDenied",
        ],
        [
          "an admin of A changing the key policy",
          {
            ...base,
            principal: role(A, "admin"),
            identityPolicies: [ADMIN],
            action: "kms:PutKeyPolicy",
            context: {},
          },
          "ExplicitlyDenied",
        ],
      ]));

    it("same account: IAM policies count only because the key policy allows the account root", () =>
      decisions([
        [
          "admin of F, key policy allows root F",
          {
            ...base,
            principal: role(F, "admin"),
            identityPolicies: [ADMIN],
            action: "kms:DescribeKey",
            context: {},
          },
          "Allowed",
        ],
        [
          "admin of F, key policy without root F",
          {
            ...base,
            principal: role(F, "admin"),
            identityPolicies: [ADMIN],
            action: "kms:DescribeKey",
            context: {},
            resourcePolicy: doc(messagingKeyPolicy.Statement[1] as Record<string, unknown>),
          },
          "ImplicitlyDenied",
        ],
      ]));
  });

  describe("kms:CallerAccount (filled in) and kms:GrantIsForAWSResource", () => {
    // DOCS-TARGET.md, vault key statements 3 and 6, and the transit key's statement 3.
    const vaultKeyPolicy = doc(
      {
        Sid: "AccountGrantsOnlyToRds",
        Effect: "Allow",
        Principal: { AWS: root(F) },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: {
          StringEquals: { "kms:ViaService": `rds.${R}.amazonaws.com`, "kms:CallerAccount": F },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      },
      {
        Sid: "DenyGrantsNotForAwsResourcesExceptBreakGlass",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: {
          Bool: { "kms:GrantIsForAWSResource": "false" },
          ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS },
        },
      },
    );
    const useThroughRds = doc({
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:DescribeKey"],
      Resource: `arn:aws:kms:${R}:*:key/*`,
      Condition: { StringEquals: { "kms:ViaService": `rds.${R}.amazonaws.com` } },
    });
    const rdsGrant = {
      "kms:ViaService": `rds.${R}.amazonaws.com`,
      "kms:GrantIsForAWSResource": true,
    };
    const base = {
      principal: role(F, "rds-failsafe-save"),
      action: "kms:CreateGrant",
      resource: key(F),
      resourcePolicy: vaultKeyPolicy,
      identityPolicies: [useThroughRds],
      context: rdsGrant,
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        ["RDS creates a grant for the save role", base, "Allowed"],
        [
          "a grant not for an AWS resource",
          { ...base, context: { ...rdsGrant, "kms:GrantIsForAWSResource": false } },
          "ExplicitlyDenied",
        ],
        [
          "break-glass, grant not for an AWS resource: not denied, but not allowed either",
          {
            ...base,
            principal: BREAK_GLASS,
            identityPolicies: [ADMIN],
            context: { ...rdsGrant, "kms:GrantIsForAWSResource": false },
          },
          "ImplicitlyDenied",
        ],
        [
          "kms:CallerAccount overridden to another account",
          { ...base, context: { ...rdsGrant, "kms:CallerAccount": A } },
          "ImplicitlyDenied",
        ],
      ]));

    it("cross account: the transit key in A lets F's save role grant through RDS only", () => {
      const transitKeyPolicy = doc({
        Sid: "FailsafeAccountGrantsToRdsOnly",
        Effect: "Allow",
        Principal: { AWS: root(F) },
        Action: "kms:CreateGrant",
        Resource: "*",
        Condition: {
          StringEquals: { "kms:ViaService": `rds.${R}.amazonaws.com`, "kms:CallerAccount": F },
          Bool: { "kms:GrantIsForAWSResource": "true" },
        },
      });
      return decisions([
        [
          "F's save role",
          { ...base, resource: key(A), resourcePolicy: transitKeyPolicy },
          "Allowed",
        ],
        [
          "F's save role, not for an AWS resource",
          {
            ...base,
            resource: key(A),
            resourcePolicy: transitKeyPolicy,
            context: { ...rdsGrant, "kms:GrantIsForAWSResource": false },
          },
          "ImplicitlyDenied",
        ],
        [
          "a role of a third account",
          {
            ...base,
            principal: role(M, "rds-failsafe-save"),
            resource: key(A),
            resourcePolicy: transitKeyPolicy,
          },
          "ImplicitlyDenied",
        ],
      ]);
    });
  });

  describe("kms:ResourceAliases with ForAnyValue", () => {
    // DOCS-TARGET.md, UseKeysThroughRdsForCopies (pins the program's keys by alias).
    const pinned = doc({
      Sid: "UseKeysThroughRdsForCopies",
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:DescribeKey"],
      Resource: `arn:aws:kms:${R}:${F}:key/*`,
      Condition: {
        StringEquals: { "kms:ViaService": `rds.${R}.amazonaws.com` },
        Bool: { "kms:GrantIsForAWSResource": "true" },
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/rds-failsafe-vault"] },
      },
    });
    const keyPolicy = doc({
      Effect: "Allow",
      Principal: { AWS: root(F) },
      Action: "kms:*",
      Resource: "*",
    });
    const context = (aliases: string[]) => ({
      "kms:ViaService": `rds.${R}.amazonaws.com`,
      "kms:GrantIsForAWSResource": true,
      "kms:ResourceAliases": aliases,
    });
    const base = {
      principal: role(F, "rds-failsafe-save"),
      action: "kms:CreateGrant",
      resource: key(F),
      resourcePolicy: keyPolicy,
      identityPolicies: [pinned],
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        ["the vault key", { ...base, context: context(["alias/rds-failsafe-vault"]) }, "Allowed"],
        [
          "a key with the vault alias among others",
          { ...base, context: context(["alias/x", "alias/rds-failsafe-vault"]) },
          "Allowed",
        ],
        ["another key", { ...base, context: context(["alias/other"]) }, "ImplicitlyDenied"],
        ["a key without alias", { ...base, context: context([]) }, "ImplicitlyDenied"],
        [
          "an SCP denying changes to keys carrying the alias",
          {
            ...base,
            principal: role(F, "admin"),
            identityPolicies: [ADMIN],
            action: "kms:ScheduleKeyDeletion",
            context: { "kms:ResourceAliases": ["alias/rds-failsafe-vault"] },
            scps: [
              doc({
                Effect: "Deny",
                Action: "kms:ScheduleKeyDeletion",
                Resource: "*",
                Condition: {
                  "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/rds-failsafe-vault" },
                },
              }),
            ],
          },
          "ExplicitlyDenied",
        ],
      ]));
  });

  describe("aws:TagKeys with ForAllValues", () => {
    const tagging = doc({
      Sid: "TagManagedCopies",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: `arn:aws:rds:${R}:${F}:snapshot:failsafe-*`,
      Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["failsafe:*"] } },
    });
    const base = {
      principal: role(F, "rds-failsafe-save"),
      action: "rds:AddTagsToResource",
      resource: snapshot("failsafe-a"),
      identityPolicies: [tagging],
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        [
          "only failsafe:* keys",
          { ...base, context: { "aws:TagKeys": ["failsafe:managed", "failsafe:source"] } },
          "Allowed",
        ],
        [
          "one foreign key",
          { ...base, context: { "aws:TagKeys": ["failsafe:managed", "owner"] } },
          "ImplicitlyDenied",
        ],
        // As in AWS: ForAllValues over an absent key is true ("IAM JSON policy elements:
        // Condition operators", set operators) — pair it with Null when that matters.
        ["no aws:TagKeys at all (AWS semantics: matches)", base, "Allowed"],
        [
          "an SCP denying tag changes by anyone but the save role",
          {
            ...base,
            principal: role(F, "admin"),
            identityPolicies: [ADMIN],
            context: { "aws:TagKeys": ["failsafe:managed"] },
            scps: [
              doc({
                Effect: "Deny",
                Action: "rds:AddTagsToResource",
                Resource: `arn:aws:rds:*:${F}:snapshot:failsafe-*`,
                Condition: { ArnNotLike: { "aws:PrincipalArn": [role(F, "rds-failsafe-save")] } },
              }),
            ],
          },
          "ExplicitlyDenied",
        ],
      ]));
  });

  describe("aws:SourceArn for a service principal (queue policy)", () => {
    const queue = `arn:aws:sqs:${R}:${F}:rds-failsafe-retention`;
    const rule = `arn:aws:events:${R}:${F}:rule/rds-failsafe-failsafe-copy-ready`;
    const queuePolicy = doc(
      {
        Sid: "OnlyTheFeedingSourceSends",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue,
        Condition: { ArnEquals: { "aws:SourceArn": rule } },
      },
      {
        Sid: "DenyOtherTopics",
        Effect: "Deny",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: queue,
        Condition: {
          ArnNotEquals: { "aws:SourceArn": `arn:aws:sns:${R}:${F}:rds-failsafe-handoff` },
        },
      },
    );
    const base = {
      principal: "events.amazonaws.com",
      action: "sqs:SendMessage",
      resource: queue,
      resourcePolicy: queuePolicy,
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        ["the feeding rule", { ...base, context: { "aws:SourceArn": rule } }, "Allowed"],
        [
          "another rule",
          { ...base, context: { "aws:SourceArn": `${rule}-other` } },
          "ImplicitlyDenied",
        ],
        ["no source ARN", base, "ImplicitlyDenied"],
        [
          "another topic",
          {
            ...base,
            principal: "sns.amazonaws.com",
            context: { "aws:SourceArn": `arn:aws:sns:${R}:${F}:evil` },
          },
          "ExplicitlyDenied",
        ],
        [
          "an admin of F (no statement names it; its IAM policy suffices in its account)",
          { ...base, principal: role(F, "admin"), identityPolicies: [ADMIN] },
          "Allowed",
        ],
      ]));

    it("SCPs do not apply to AWS service principals, and the detail says so", async () => {
      const denyAll = doc({ Effect: "Deny", Action: "sqs:SendMessage", Resource: "*" });
      const result = await expectDecision(
        { ...base, context: { "aws:SourceArn": rule }, scps: [denyAll] },
        "Allowed",
      );
      assert.match(result.detail, /skipped SCPs/);
      await expectDecision(
        { ...base, principal: role(F, "admin"), identityPolicies: [ADMIN], scps: [denyAll] },
        "ExplicitlyDenied",
      );
    });
  });

  describe("SCPs and RCPs with aws:PrincipalArn exceptions", () => {
    const scp = {
      name: "guard",
      document: doc({
        Sid: "DenyDeletingManagedCopies",
        Effect: "Deny",
        Action: ["rds:DeleteDBSnapshot"],
        Resource: `arn:aws:rds:*:${F}:snapshot:failsafe-*`,
        Condition: { ArnNotLike: { "aws:PrincipalArn": [role(F, "rds-failsafe-retention")] } },
      }),
    };
    const rcp = {
      name: "vault",
      document: doc({
        Sid: "DenyKeyPolicyChanges",
        Effect: "Deny",
        Principal: "*",
        Action: "kms:PutKeyPolicy",
        Resource: "*",
        Condition: { ArnNotEquals: { "aws:PrincipalArn": BREAK_GLASS } },
      }),
    };
    const keyPolicy = doc({
      Effect: "Allow",
      Principal: { AWS: root(F) },
      Action: "kms:*",
      Resource: "*",
    });
    const deleteBy = (principal: string, name = "failsafe-a"): SimulateRequest => ({
      principal,
      action: "rds:DeleteDBSnapshot",
      resource: snapshot(name),
      identityPolicies: [ADMIN],
      scps: [scp],
    });
    const putKeyPolicyBy = (principal: string): SimulateRequest => ({
      principal,
      action: "kms:PutKeyPolicy",
      resource: key(F),
      identityPolicies: [ADMIN],
      resourcePolicy: keyPolicy,
      rcps: [rcp],
    });
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        ["admin deletes a managed copy", deleteBy(role(F, "admin")), "ExplicitlyDenied"],
        ["admin deletes another snapshot", deleteBy(role(F, "admin"), "orders-1"), "Allowed"],
        ["the retention role", deleteBy(role(F, "rds-failsafe-retention")), "Allowed"],
        [
          "the retention role without an identity policy",
          { ...deleteBy(role(F, "rds-failsafe-retention")), identityPolicies: [] },
          "ImplicitlyDenied",
        ],
        [
          "allow-list SCPs without FullAWSAccess allow nothing else",
          { ...deleteBy(role(F, "admin"), "orders-1"), scpFullAwsAccess: false },
          "ImplicitlyDenied",
        ],
        [
          "admin changes the key policy (RCP)",
          putKeyPolicyBy(role(F, "admin")),
          "ExplicitlyDenied",
        ],
        ["break-glass changes the key policy", putKeyPolicyBy(BREAK_GLASS), "Allowed"],
      ]));

    it("never apply to the management account or to service-linked roles", async () => {
      const everywhere = doc({
        Effect: "Deny",
        Action: "rds:DeleteDBSnapshot",
        Resource: "arn:aws:rds:*:*:snapshot:failsafe-*",
      });
      const fromManagement = await expectDecision(
        {
          ...deleteBy(role(M, "admin")),
          resource: snapshot("failsafe-a", M),
          scps: [everywhere],
          managementAccountId: M,
        },
        "Allowed",
      );
      assert.match(
        fromManagement.detail,
        /skipped SCPs \(the principal is in the management account\)/,
      );
      await expectDecision(
        { ...deleteBy(role(M, "admin")), resource: snapshot("failsafe-a", M), scps: [everywhere] },
        "ExplicitlyDenied",
        "the same request when M is just a member account",
      );
      const onManagementKey = await expectDecision(
        {
          ...putKeyPolicyBy(role(M, "admin")),
          resource: key(M),
          resourcePolicy: doc({
            Effect: "Allow",
            Principal: { AWS: root(M) },
            Action: "kms:*",
            Resource: "*",
          }),
          managementAccountId: M,
        },
        "Allowed",
      );
      assert.match(onManagementKey.detail, /skipped RCPs/);
      const serviceLinked = await expectDecision(
        deleteBy(role(F, "aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS")),
        "Allowed",
      );
      assert.match(serviceLinked.detail, /service-linked roles are exempt/);
    });
  });

  describe("permission boundaries", () => {
    const base = {
      principal: role(F, "admin"),
      action: "rds:DeleteDBSnapshot",
      resource: snapshot("orders-1"),
      identityPolicies: [ADMIN],
    };
    it("Allowed / ImplicitlyDenied / ExplicitlyDenied", () =>
      decisions([
        [
          "boundary allows",
          { ...base, permissionBoundary: doc({ Effect: "Allow", Action: "rds:*", Resource: "*" }) },
          "Allowed",
        ],
        [
          "boundary does not allow",
          {
            ...base,
            permissionBoundary: doc({ Effect: "Allow", Action: "rds:Describe*", Resource: "*" }),
          },
          "ImplicitlyDenied",
        ],
        [
          "boundary denies",
          {
            ...base,
            permissionBoundary: doc(
              { Effect: "Allow", Action: "*", Resource: "*" },
              { Effect: "Deny", Action: "rds:DeleteDBSnapshot", Resource: "*" },
            ),
          },
          "ExplicitlyDenied",
        ],
      ]));
  });

  describe("partitions", () => {
    for (const [partition, region] of [
      ["aws-cn", "cn-north-1"],
      ["aws-us-gov", "us-gov-west-1"],
    ] as const) {
      it(`${partition}: principals, keys and conditions in ${region}`, () => {
        const keyPolicy = doc({
          Effect: "Allow",
          Principal: { AWS: root(F, partition) },
          Action: "kms:DescribeKey",
          Resource: "*",
          Condition: {
            ArnNotEquals: { "aws:PrincipalArn": `arn:${partition}:iam::${F}:role/blocked` },
          },
        });
        const base = {
          principal: role(F, "admin", partition),
          action: "kms:DescribeKey",
          resource: key(F, partition, region),
          resourcePolicy: keyPolicy,
          identityPolicies: [ADMIN],
        };
        return decisions([
          ["root of the account in the partition", base, "Allowed"],
          [
            "the blocked role",
            { ...base, principal: role(F, "blocked", partition) },
            "ImplicitlyDenied",
          ],
          [
            "a Deny in the key policy",
            {
              ...base,
              resourcePolicy: doc(keyPolicy.Statement[0] as Record<string, unknown>, {
                Effect: "Deny",
                Principal: { AWS: "*" },
                Action: "kms:DescribeKey",
                Resource: "*",
              }),
            },
            "ExplicitlyDenied",
          ],
        ]);
      });

      it(`${partition}: a document naming an arn:aws: principal is refused, not judged`, async () => {
        // The engine matches a Principal's account but not its partition; AWS rejects the policy.
        await assert.rejects(
          simulate({
            principal: role(F, "admin", partition),
            action: "kms:DescribeKey",
            resource: key(F, partition, region),
            identityPolicies: [ADMIN],
            resourcePolicy: doc({
              Effect: "Allow",
              Principal: { AWS: root(F) },
              Action: "kms:DescribeKey",
              Resource: "*",
            }),
          }),
          /names ARNs of another partition than the request's \(aws[a-z-]*\): arn:aws:iam::222222222222:root$/,
        );
        await assert.rejects(
          simulate({
            principal: role(F, "admin"),
            action: "kms:DescribeKey",
            resource: key(F, partition, region),
          }),
          /different partitions/,
        );
      });
    }
  });

  describe("fails loudly instead of denying silently", () => {
    const ok: SimulateRequest = {
      principal: role(F, "admin"),
      action: "rds:DeleteDBSnapshot",
      resource: snapshot("orders-1"),
      identityPolicies: [ADMIN],
    };
    const rejects = (name: string, request: SimulateRequest, message: RegExp) =>
      it(name, async () => {
        await simulate(ok); // the baseline itself is fine
        await assert.rejects(simulate(request), (err: unknown) => {
          assert.ok(err instanceof IamSimError, String(err));
          assert.match(err.message, message);
          return true;
        });
      });
    rejects(
      "an unknown action",
      { ...ok, action: "rds:DeleteDBSnapshots" },
      /not in the Service Authorization Reference/,
    );
    rejects("an unknown service", { ...ok, action: "rdss:DeleteDBSnapshot" }, /no service "rdss"/);
    rejects("a wildcard action", { ...ok, action: "rds:Delete*" }, /no wildcard/);
    rejects(
      "a wildcard resource",
      { ...ok, resource: `arn:aws:rds:${R}:${F}:snapshot:*` },
      /has a wildcard/,
    );
    rejects('"*" for an action authorized on a resource', { ...ok, resource: "*" }, /give its ARN/);
    rejects(
      "a resource of the wrong type",
      { ...ok, resource: `arn:aws:rds:${R}:${F}:cluster-snapshot:failsafe-a` },
      /cannot be simulated on .*wrong type/,
    );
    rejects("an invalid principal", { ...ok, principal: "admin" }, /is not an IAM role/);
    rejects(
      "a document that is not JSON",
      { ...ok, identityPolicies: ['{"Statement": ['] },
      /is not JSON/,
    );
    rejects(
      "a document without Statement",
      { ...ok, identityPolicies: [{ Version: "2012-10-17" }] },
      /has no Statement/,
    );
    rejects(
      "an invalid document (Principal in an SCP)",
      {
        ...ok,
        scps: [
          doc({ Effect: "Deny", Principal: "*", Action: "rds:DeleteDBSnapshot", Resource: "*" }),
        ],
      },
      /Principal is not allowed in a service control policy/,
    );
    rejects(
      "an RCP without Principal",
      {
        ...ok,
        action: "kms:DescribeKey",
        resource: key(F),
        rcps: [doc({ Effect: "Deny", Action: "kms:*", Resource: "*" })],
      },
      /engine refused/,
    );
    rejects(
      "a misspelled action in a document (an SCP Deny that would deny nothing)",
      {
        ...ok,
        scps: [
          doc({ Sid: "Guard", Effect: "Deny", Action: ["kms:ScheduleKeyDeleton"], Resource: "*" }),
        ],
      },
      /statement "Guard": "kms:ScheduleKeyDeleton" matches no kms action/,
    );
    rejects(
      "a wildcard action pattern that matches nothing",
      {
        ...ok,
        identityPolicies: [doc({ Effect: "Allow", Action: "rds:Destroy*", Resource: "*" })],
      },
      /matches no rds action/,
    );
    rejects(
      "an unknown condition key in a document",
      {
        ...ok,
        identityPolicies: [
          doc({
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAlias": "x" } },
          }),
        ],
      },
      /"kms:ResourceAlias" is not a condition key AWS knows/,
    );
    rejects(
      "an unknown condition operator",
      {
        ...ok,
        identityPolicies: [
          doc({
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { StringEqual: { "aws:PrincipalArn": "x" } },
          }),
        ],
      },
      /"StringEqual" is not an IAM condition operator/,
    );
    rejects(
      "a multivalued key without a set operator",
      {
        ...ok,
        identityPolicies: [
          doc({
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { StringEquals: { "kms:ResourceAliases": "alias/x" } },
          }),
        ],
      },
      /is multivalued/,
    );
    rejects(
      "a set operator on a single-valued key",
      {
        ...ok,
        identityPolicies: [
          doc({
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { "ForAnyValue:ArnEquals": { "aws:PrincipalArn": "x" } },
          }),
        ],
      },
      /is single-valued/,
    );
    rejects(
      "an unknown context key",
      { ...ok, context: { "rds:snapshot-tagz/x": "true" } },
      /not a condition key AWS knows/,
    );
    rejects(
      "a context key that does not apply to the action",
      { ...ok, context: { "kms:ViaService": `rds.${R}.amazonaws.com` } },
      /do not apply to rds:DeleteDBSnapshot/,
    );

    it("expectDecision names the expected and actual decision and the deciding statement", async () => {
      await assert.rejects(
        expectDecision(
          {
            ...ok,
            identityPolicies: [doc({ Sid: "No", Effect: "Deny", Action: "rds:*", Resource: "*" })],
          },
          "Allowed",
          "admin deletes",
        ),
        /admin deletes: expected Allowed, got .*ExplicitlyDenied\n\s+explicitly denied by identity "identity-1" statement No/,
      );
    });
  });
});
