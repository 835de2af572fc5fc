// Key policies: Compliance with the target shapes (DOCS-TARGET.md), then one Noncompliance case
// per way of weakening them, with the exact violation.
import { strict as assert } from "node:assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  kmsKeyCrossAccountThroughRds,
  kmsKeyPolicyNoWildcards,
  kmsVaultKeyProtected,
} from "../../policy/kms";
import type { MockResource } from "../../policy/run";
import { COPY_SIDE_TYPE, SAVE_SIDE_TYPE } from "../../policy/stack";
import { FAILSAFE, PROD, resource, urn, validateResource, validateStack } from "./helpers";
import {
  BREAK_GLASS,
  document,
  messagingPolicy,
  MESSAGING_TYPE,
  PRODS,
  providerFor,
  type Stmt,
  transitPolicy,
  vaultPolicy,
} from "./target";

const KEY = "aws:kms/key:Key";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";
const ALIAS = "aws:kms/alias:Alias";
const RDS = "rds.eu-west-1.amazonaws.com";
const root = (a: string) => `arn:aws:iam::${a}:root`;
const onSave = { parents: [SAVE_SIDE_TYPE], provider: providerFor("failsafe", FAILSAFE) };
const onCopy = { parents: [COPY_SIDE_TYPE], provider: providerFor("prod", PROD) };

/** `statements` with the one whose Sid is `sid` changed by `edit` (fixtures are ours: Sids are stable). */
function withStatement(statements: Stmt[], sid: string, edit: (s: Stmt) => Stmt): Stmt[] {
  assert.ok(
    statements.some((s) => s["Sid"] === sid),
    sid,
  );
  return statements.map((s) => (s["Sid"] === sid ? edit(structuredClone(s)) : s));
}
const without = (statements: Stmt[], sid: string) => statements.filter((s) => s["Sid"] !== sid);

interface Case {
  name: string;
  policy: ResourceValidationPolicy;
  resource: MockResource;
  config?: Record<string, unknown>;
  expected: string[];
}

const transit = (statements: Stmt[], type = KEY) =>
  resource(type, "transit", { policy: document(statements) }, onCopy);
const failsafeMessaging = (statements: Stmt[]) =>
  resource(
    KEY,
    "messaging-key",
    { policy: document(statements) },
    { ...onSave, parents: [SAVE_SIDE_TYPE, MESSAGING_TYPE] },
  );
const accounts = { prodAccountIds: PRODS, failsafeAccountId: FAILSAFE };
const CROSS = "FailsafeAccountCopiesSharedSnapshotsThroughRds";
const GRANTS = "FailsafeAccountGrantsToRdsOnly";
const SNS_STMT = "ProdRolesPublishHandoffsThroughSns";

const resourceCases: Case[] = [
  // kms-key-policy-no-wildcards
  {
    name: "Compliance: the transit key",
    policy: kmsKeyPolicyNoWildcards,
    resource: transit(transitPolicy()),
    expected: [],
  },
  {
    name: "Compliance: the vault key (its Deny statements may use wildcards)",
    policy: kmsKeyPolicyNoWildcards,
    resource: transit([
      ...vaultPolicy(),
      { Effect: "Deny", Principal: "*", Action: "kms:*", Resource: "*" },
    ]),
    expected: [],
  },
  {
    name: "Noncompliance 1: kms:* to the key's own account root",
    policy: kmsKeyPolicyNoWildcards,
    resource: transit([
      {
        Sid: "Default",
        Effect: "Allow",
        Principal: { AWS: root(PROD) },
        Action: "kms:*",
        Resource: "*",
      },
    ]),
    expected: [
      'Statement "Default" of the key policy must not allow the wildcard action "kms:*" (list the actions one by one)',
    ],
  },
  {
    name: "Noncompliance 2: a prefix wildcard and NotAction, on an aws.kms.KeyPolicy",
    policy: kmsKeyPolicyNoWildcards,
    resource: transit(
      [
        {
          Effect: "Allow",
          Principal: { AWS: root(FAILSAFE) },
          Action: ["kms:Create*"],
          Resource: "*",
        },
        {
          Effect: "Allow",
          Principal: { AWS: root(PROD) },
          NotAction: "kms:Decrypt",
          Resource: "*",
        },
      ],
      KEY_POLICY,
    ),
    expected: [
      'Statement 1 of the key policy must not allow the wildcard action "kms:Create*" (list the actions one by one)',
      "Statement 2 of the key policy must not use NotAction in an Allow",
    ],
  },
  {
    name: "Noncompliance 3: not a policy document",
    policy: kmsKeyPolicyNoWildcards,
    resource: resource(KEY, "broken", { policy: "{not json" }, onCopy),
    expected: ["Key policy must be a JSON policy document with a Statement"],
  },
  // kms-key-cross-account-through-rds
  {
    name: "Compliance: the transit key (failsafe account through RDS, caller pinned, grants for AWS resources)",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(transitPolicy()),
    config: accounts,
    expected: [],
  },
  {
    name: "Compliance: the failsafe messaging key (prod publishers through SNS, pinned by aws:PrincipalArn)",
    policy: kmsKeyCrossAccountThroughRds,
    resource: failsafeMessaging(messagingPolicy(FAILSAFE, PRODS)),
    config: accounts,
    expected: [],
  },
  {
    name: "Compliance: the vault key names only its own account",
    policy: kmsKeyCrossAccountThroughRds,
    resource: resource(KEY, "vault", { policy: document(vaultPolicy()) }, onSave),
    config: accounts,
    expected: [],
  },
  {
    name: "Compliance: the key's account from the side when its provider pins none",
    policy: kmsKeyCrossAccountThroughRds,
    resource: resource(
      KEY,
      "vault",
      { policy: document(vaultPolicy()) },
      { parents: [SAVE_SIDE_TYPE] },
    ),
    config: accounts,
    expected: [],
  },
  {
    name: "Noncompliance 1: the failsafe account given kms:* with no condition (the audit's first weakening)",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => {
        delete s["Condition"];
        return { ...s, Action: "kms:*" };
      }),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must limit it to use through RDS (StringEquals kms:ViaService rds.<region>.amazonaws.com)`,
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must pin kms:CallerAccount (StringEquals) to ${FAILSAFE}`,
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must allow only kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo (not kms:*)`,
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} create grants and must require Bool kms:GrantIsForAWSResource "true"`,
    ],
  },
  {
    name: "Noncompliance 2: kms:ViaService only if it exists (a direct call has none)",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => ({
        ...s,
        Condition: {
          StringEqualsIfExists: { "kms:ViaService": RDS },
          StringEquals: { "kms:CallerAccount": FAILSAFE },
        },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must limit it to use through RDS (StringEquals kms:ViaService rds.<region>.amazonaws.com)`,
    ],
  },
  {
    name: "Noncompliance 3: kms:ViaService RDS or EC2",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => ({
        ...s,
        Condition: {
          StringEquals: {
            "kms:ViaService": [RDS, "ec2.eu-west-1.amazonaws.com"],
            "kms:CallerAccount": FAILSAFE,
          },
        },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must limit it to use through RDS (StringEquals kms:ViaService rds.<region>.amazonaws.com)`,
    ],
  },
  {
    name: "Noncompliance 4: kms:CallerAccount of another account",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => ({
        ...s,
        Condition: { StringEquals: { "kms:ViaService": RDS, "kms:CallerAccount": "999999999999" } },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must pin kms:CallerAccount (StringEquals) to ${FAILSAFE}`,
    ],
  },
  {
    name: "Noncompliance 5: administration actions for the other account",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => ({
        ...s,
        Action: ["kms:Decrypt", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy lets account ${FAILSAFE} use the key and must allow only kms:CreateGrant, kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo (not kms:PutKeyPolicy, kms:ScheduleKeyDeletion)`,
    ],
  },
  {
    name: "Noncompliance 6: grants for anyone (no kms:GrantIsForAWSResource)",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), GRANTS, (s) => ({
        ...s,
        Condition: { StringEquals: { "kms:ViaService": RDS, "kms:CallerAccount": FAILSAFE } },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${GRANTS}" of the key policy lets account ${FAILSAFE} create grants and must require Bool kms:GrantIsForAWSResource "true"`,
    ],
  },
  {
    name: "Noncompliance 7: an account that is not the program's",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit(
      withStatement(transitPolicy(), CROSS, (s) => ({
        ...s,
        Principal: { AWS: "999999999999" },
        Condition: { StringEquals: { "kms:ViaService": RDS, "kms:CallerAccount": "999999999999" } },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${CROSS}" of the key policy names account 999999999999, which is neither the failsafe account nor a prod account of the policy config`,
    ],
  },
  {
    name: 'Noncompliance 8: Principal "*" with no condition',
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit([
      { Sid: "Open", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
    ]),
    config: accounts,
    expected: [
      'Statement "Open" of the key policy lets every account use the key and must limit it to use through RDS (StringEquals kms:ViaService rds.<region>.amazonaws.com)',
      `Statement "Open" of the key policy lets every account use the key and must pin kms:CallerAccount (StringEquals) to ${FAILSAFE}, ${PRODS[1]}`,
    ],
  },
  {
    name: "Noncompliance 9: NotPrincipal in an Allow",
    policy: kmsKeyCrossAccountThroughRds,
    resource: transit([
      {
        Sid: "AllBut",
        Effect: "Allow",
        NotPrincipal: { AWS: root(PROD) },
        Action: "kms:Decrypt",
        Resource: "*",
      },
    ]),
    config: accounts,
    expected: [
      'Statement "AllBut" of the key policy must not use NotPrincipal in an Allow (it names every other account)',
    ],
  },
  {
    name: "Noncompliance 10: the SNS statement pinned to every role of the prod accounts",
    policy: kmsKeyCrossAccountThroughRds,
    resource: failsafeMessaging(
      withStatement(messagingPolicy(FAILSAFE, PRODS), SNS_STMT, (s) => ({
        ...s,
        Condition: {
          StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" },
          ArnLike: { "aws:PrincipalArn": PRODS.map((a) => `arn:aws:iam::${a}:role/*`) },
        },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${SNS_STMT}" of the key policy lets accounts ${PRODS.join(", ")} use the key through SNS and must pin aws:PrincipalArn (ArnEquals) to the prod hand-off publisher roles (rds-failsafe-share, rds-failsafe-prod-sweep)`,
    ],
  },
  {
    name: "Noncompliance 11: the SNS statement naming another role and allowing encryption",
    policy: kmsKeyCrossAccountThroughRds,
    resource: failsafeMessaging(
      withStatement(messagingPolicy(FAILSAFE, [PROD]), SNS_STMT, (s) => ({
        ...s,
        Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"],
        Condition: {
          StringEquals: { "kms:ViaService": "sns.eu-west-1.amazonaws.com" },
          ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${PROD}:role/admin` },
        },
      })),
    ),
    config: accounts,
    expected: [
      `Statement "${SNS_STMT}" of the key policy lets account ${PROD} use the key through SNS and must pin aws:PrincipalArn (ArnEquals) to the prod hand-off publisher roles (rds-failsafe-share, rds-failsafe-prod-sweep)`,
      `Statement "${SNS_STMT}" of the key policy lets account ${PROD} use the key through SNS and must allow only kms:Decrypt, kms:GenerateDataKey (not kms:Encrypt)`,
    ],
  },
  {
    name: "Noncompliance 12: a key whose account cannot be told",
    policy: kmsKeyCrossAccountThroughRds,
    resource: resource(KEY, "loose", { policy: document(transitPolicy()) }),
    config: accounts,
    expected: [
      `Statement "AccountAdministersAndUsesKeyThroughIam" of the key policy names account ${PROD}, but the key's own account is unknown: give its aws.Provider allowedAccountIds`,
      `Statement "${CROSS}" of the key policy names account ${FAILSAFE}, but the key's own account is unknown: give its aws.Provider allowedAccountIds`,
      `Statement "${GRANTS}" of the key policy names account ${FAILSAFE}, but the key's own account is unknown: give its aws.Provider allowedAccountIds`,
    ],
  },
];

describe("policy/kms key policies", () => {
  for (const c of resourceCases) {
    it(`${c.policy.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateResource(c.policy, c.resource, c.config), c.expected);
    });
  }
});

// kms-vault-key-protected (a stack policy: it finds the vault key through its alias).
const vaultKeyResource = (statements: Stmt[] | undefined, extra: Partial<MockResource> = {}) =>
  resource(
    KEY,
    "vault",
    {
      keyId: "vault-id",
      arn: `arn:aws:kms:eu-west-1:${FAILSAFE}:key/vault-id`,
      ...(statements ? { policy: document(statements) } : {}),
    },
    { ...onSave, ...extra },
  );
const vaultAlias = (target: MockResource, name = "alias/rds-failsafe-vault") =>
  resource(
    ALIAS,
    "vault",
    { name, targetKeyId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" },
    {
      ...onSave,
      propertyDependencies: { targetKeyId: [target.urn] },
    },
  );
const vaultStack = (statements: Stmt[] | undefined): MockResource[] => {
  const key = vaultKeyResource(statements);
  return [resource(SAVE_SIDE_TYPE, "save", {}), key, vaultAlias(key)];
};
const vaultConfig = { breakGlassPrincipalArn: BREAK_GLASS, failsafeAccountId: FAILSAFE };
const VAULT_URN = urn(KEY, "vault", [SAVE_SIDE_TYPE]);
const DENY = "DenyDestructiveActionsExceptBreakGlass";
const GRANT_DENY = "DenyGrantsNotForAwsResourcesExceptBreakGlass";
const mustDeny = (action: string, why: string) =>
  `Vault key policy must deny ${action} to every principal but the break-glass principal ${BREAK_GLASS} (Deny, Principal "*", Resource "*", only ArnNotEquals aws:PrincipalArn ${BREAK_GLASS}): ${why}`;
const mustDenyGrants = (why: string) =>
  `Vault key policy must deny kms:CreateGrant of grants not for AWS resources (Bool kms:GrantIsForAWSResource "false") to every principal but the break-glass principal ${BREAK_GLASS}: ${why}`;
const DESTRUCTIVE = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"];

const stackCases: {
  name: string;
  resources: MockResource[];
  config?: Record<string, unknown>;
  expected: { message: string; urn?: string }[];
}[] = [
  {
    name: "Compliance: the target vault key policy",
    resources: vaultStack(vaultPolicy()),
    config: vaultConfig,
    expected: [],
  },
  {
    name: "Compliance: the messaging key of the save side is not a vault key",
    resources: [
      ...vaultStack(vaultPolicy()),
      resource(
        KEY,
        "messaging-key",
        { policy: document(messagingPolicy(FAILSAFE, PRODS)) },
        {
          ...onSave,
          parents: [SAVE_SIDE_TYPE, MESSAGING_TYPE],
        },
      ),
    ],
    config: vaultConfig,
    expected: [],
  },
  {
    name: "Noncompliance 1: the destructive-action Deny removed (and the account statement allowing them)",
    resources: vaultStack(
      withStatement(without(vaultPolicy(), DENY), "AccountAdministersKeyThroughIam", (s) => ({
        ...s,
        Action: [...(s["Action"] as string[]), ...DESTRUCTIVE],
      })),
    ),
    config: vaultConfig,
    expected: [
      ...DESTRUCTIVE.map((a) => ({ message: mustDeny(a, "no Deny lists it"), urn: VAULT_URN })),
      {
        message: `Vault key policy Statement "AccountAdministersKeyThroughIam" allows kms:ScheduleKeyDeletion, kms:DisableKey, kms:PutKeyPolicy to arn:aws:iam::${FAILSAFE}:root: only the break-glass principal ${BREAK_GLASS} may have them`,
        urn: VAULT_URN,
      },
    ],
  },
  {
    name: "Noncompliance 2: the Deny without kms:PutKeyPolicy",
    resources: vaultStack(
      withStatement(vaultPolicy(), DENY, (s) => ({
        ...s,
        Action: ["kms:DisableKey", "kms:ScheduleKeyDeletion"],
      })),
    ),
    config: vaultConfig,
    expected: [{ message: mustDeny("kms:PutKeyPolicy", "no Deny lists it"), urn: VAULT_URN }],
  },
  {
    name: "Noncompliance 3: the Deny exempting a second principal",
    resources: vaultStack(
      withStatement(vaultPolicy(), DENY, (s) => ({
        ...s,
        Condition: {
          ArnNotEquals: { "aws:PrincipalArn": [BREAK_GLASS, `arn:aws:iam::${FAILSAFE}:role/ops`] },
        },
      })),
    ),
    config: vaultConfig,
    expected: DESTRUCTIVE.map((a) => ({
      message: mustDeny(
        a,
        `Statement "${DENY}" exempts ${BREAK_GLASS}, arn:aws:iam::${FAILSAFE}:role/ops instead of only ${BREAK_GLASS}`,
      ),
      urn: VAULT_URN,
    })),
  },
  {
    name: "Noncompliance 4: the Deny exempting every role of the account (ArnNotLike with a wildcard)",
    resources: vaultStack(
      withStatement(vaultPolicy(), DENY, (s) => ({
        ...s,
        Condition: { ArnNotLike: { "aws:PrincipalArn": `arn:aws:iam::${FAILSAFE}:role/*` } },
      })),
    ),
    config: vaultConfig,
    expected: DESTRUCTIVE.map((a) => ({
      message: mustDeny(
        a,
        `Statement "${DENY}" exempts arn:aws:iam::${FAILSAFE}:role/* instead of only ${BREAK_GLASS}`,
      ),
      urn: VAULT_URN,
    })),
  },
  {
    name: "Noncompliance 5: the Deny narrowed by a further condition",
    resources: vaultStack(
      withStatement(vaultPolicy(), DENY, (s) => ({
        ...s,
        Condition: {
          ...(s["Condition"] as object),
          StringEquals: { "aws:RequestedRegion": "us-east-1" },
        },
      })),
    ),
    config: vaultConfig,
    expected: DESTRUCTIVE.map((a) => ({
      message: mustDeny(
        a,
        `Statement "${DENY}" is narrowed by the condition StringEquals aws:requestedregion`,
      ),
      urn: VAULT_URN,
    })),
  },
  {
    name: "Noncompliance 6: the Deny applying to one role only, and to another resource",
    resources: vaultStack([
      ...without(vaultPolicy(), DENY),
      {
        Sid: "RoleOnly",
        Effect: "Deny",
        Principal: { AWS: `arn:aws:iam::${FAILSAFE}:role/ops` },
        Action: DESTRUCTIVE,
        Resource: "*",
      },
      {
        Sid: "OtherKey",
        Effect: "Deny",
        Principal: "*",
        Action: DESTRUCTIVE,
        Resource: "arn:aws:kms:eu-west-1:222222222222:key/other",
      },
    ]),
    config: vaultConfig,
    expected: DESTRUCTIVE.map((a) => ({
      message: mustDeny(
        a,
        'Statement "RoleOnly" does not apply to Principal "*"; Statement "OtherKey" does not apply to Resource "*"',
      ),
      urn: VAULT_URN,
    })),
  },
  {
    name: "Noncompliance 7: the grants Deny removed",
    resources: vaultStack(without(vaultPolicy(), GRANT_DENY)),
    config: vaultConfig,
    expected: [{ message: mustDenyGrants("no Deny lists it"), urn: VAULT_URN }],
  },
  {
    name: "Noncompliance 8: destructive actions allowed to another principal",
    resources: vaultStack(
      withStatement(vaultPolicy(), "BreakGlassMayDeleteDisableOrChangePolicy", (s) => ({
        ...s,
        Principal: { AWS: [BREAK_GLASS, `arn:aws:iam::${FAILSAFE}:role/ops`] },
      })),
    ),
    config: vaultConfig,
    expected: [
      {
        message: `Vault key policy Statement "BreakGlassMayDeleteDisableOrChangePolicy" allows kms:ScheduleKeyDeletion, kms:DisableKey, kms:PutKeyPolicy to ${BREAK_GLASS}, arn:aws:iam::${FAILSAFE}:role/ops: only the break-glass principal ${BREAK_GLASS} may have them`,
        urn: VAULT_URN,
      },
    ],
  },
  {
    name: "Noncompliance 9: the account using the key outside RDS, and granting to anyone",
    resources: vaultStack(
      withStatement(
        withStatement(vaultPolicy(), "AccountUsesKeyOnlyThroughRds", (s) => ({
          ...s,
          Condition: { StringEquals: { "kms:ViaService": RDS } },
        })),
        "AccountGrantsOnlyToRds",
        (s) => ({
          ...s,
          Condition: { StringEquals: { "kms:ViaService": RDS, "kms:CallerAccount": FAILSAFE } },
        }),
      ),
    ),
    config: vaultConfig,
    expected: [
      {
        message: `Vault key policy Statement "AccountUsesKeyOnlyThroughRds" lets arn:aws:iam::${FAILSAFE}:root use the key (kms:Decrypt, kms:Encrypt, kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo) and must limit that to RDS: StringEquals kms:ViaService rds.<region>.amazonaws.com and kms:CallerAccount ${FAILSAFE}`,
        urn: VAULT_URN,
      },
      {
        message: `Vault key policy Statement "AccountGrantsOnlyToRds" lets arn:aws:iam::${FAILSAFE}:root create grants and must require Bool kms:GrantIsForAWSResource "true"`,
        urn: VAULT_URN,
      },
    ],
  },
  {
    name: "Noncompliance 10: no key policy at all (AWS's default lets the account do everything)",
    resources: vaultStack(undefined),
    config: vaultConfig,
    expected: [
      {
        message:
          "Vault key must have a key policy (without one, AWS's default key policy lets the account do everything with it)",
        urn: VAULT_URN,
      },
    ],
  },
  {
    name: "Noncompliance 11: an aws.kms.KeyPolicy replacing the vault key's policy",
    resources: [
      ...vaultStack(vaultPolicy()),
      resource(
        KEY_POLICY,
        "override",
        { keyId: "vault-id", policy: document(without(vaultPolicy(), DENY)) },
        onSave,
      ),
    ],
    config: vaultConfig,
    expected: DESTRUCTIVE.map((a) => ({
      message: mustDeny(a, "no Deny lists it").replace(
        "Vault key policy",
        'Vault key policy (aws.kms.KeyPolicy "override")',
      ),
      urn: urn(KEY_POLICY, "override", [SAVE_SIDE_TYPE]),
    })),
  },
  {
    name: "Noncompliance 12: the alias pointing at a key outside the save side",
    resources: (() => {
      const stray = resource(KEY, "stray", {
        policy: document(without(vaultPolicy(), GRANT_DENY)),
      });
      return [resource(SAVE_SIDE_TYPE, "save", {}), stray, vaultAlias(stray)];
    })(),
    config: vaultConfig,
    expected: [{ message: mustDenyGrants("no Deny lists it"), urn: urn(KEY, "stray") }],
  },
  {
    name: "Noncompliance 13: the vault alias missing (the key is still found in the save side)",
    resources: [
      resource(SAVE_SIDE_TYPE, "save", {}),
      vaultKeyResource(without(vaultPolicy(), GRANT_DENY)),
    ],
    config: vaultConfig,
    expected: [
      {
        message:
          "The save side must give its vault key the alias alias/rds-failsafe-vault (no aws.kms.Alias of that name)",
        urn: urn(SAVE_SIDE_TYPE, "save"),
      },
      { message: mustDenyGrants("no Deny lists it"), urn: VAULT_URN },
    ],
  },
  {
    name: "Noncompliance 14: no break-glass principal configured",
    resources: vaultStack(vaultPolicy()),
    config: { failsafeAccountId: FAILSAFE },
    expected: [
      {
        message:
          "Policy config breakGlassPrincipalArn must be set (an ARN without wildcards) for kms-vault-key-protected to check the vault key",
        urn: VAULT_URN,
      },
    ],
  },
  {
    name: "Noncompliance 15: a different break-glass principal than the one configured",
    resources: vaultStack(vaultPolicy(`arn:aws:iam::${FAILSAFE}:role/someone-else`)),
    config: vaultConfig,
    expected: [
      ...DESTRUCTIVE.map((a) => ({
        message: mustDeny(
          a,
          `Statement "${DENY}" exempts arn:aws:iam::${FAILSAFE}:role/someone-else instead of only ${BREAK_GLASS}`,
        ),
        urn: VAULT_URN,
      })),
      {
        message: mustDenyGrants(
          `Statement "${GRANT_DENY}" exempts arn:aws:iam::${FAILSAFE}:role/someone-else instead of only ${BREAK_GLASS}`,
        ),
        urn: VAULT_URN,
      },
      {
        message: `Vault key policy Statement "BreakGlassMayDeleteDisableOrChangePolicy" allows kms:ScheduleKeyDeletion, kms:DisableKey, kms:PutKeyPolicy to arn:aws:iam::${FAILSAFE}:role/someone-else: only the break-glass principal ${BREAK_GLASS} may have them`,
        urn: VAULT_URN,
      },
    ],
  },
];

describe("policy/kms vault key", () => {
  for (const c of stackCases) {
    it(`${kmsVaultKeyProtected.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateStack(kmsVaultKeyProtected, c.resources, c.config),
        c.expected,
      );
    });
  }

  it(`${kmsVaultKeyProtected.name}: a copy-side key is not a vault key`, async () => {
    const transitKey = resource(KEY, "transit", { policy: document(transitPolicy()) }, onCopy);
    assert.deepEqual(await validateStack(kmsVaultKeyProtected, [transitKey], vaultConfig), []);
  });
});
