// The documents the program will emit after the hostile-prod rework, written out from the lead's
// DOCS-TARGET.md (issue 9), and a miniature program carrying them. The Compliance cases of the
// new policies and the mutation suite run on these today; the same mutations run on the real
// program (test/policy/mutations.test.ts) once its components build these shapes.
import type { MockResource } from "../../policy/run";
import { COPY_SIDE_TYPE, SAVE_SIDE_TYPE } from "../../policy/stack";
import { FAILSAFE, PROD, resource } from "./helpers";

/** A second prod account: the save side accepts many (config prodAccountIds). */
export const PROD_2 = "333333333333";
export const PRODS = [PROD, PROD_2];
export const REGION = "eu-west-1";
export const BREAK_GLASS = `arn:aws:iam::${FAILSAFE}:role/break-glass`;
export const MESSAGING_TYPE = "rds-failsafe:messaging:Messaging";

const RDS = `rds.${REGION}.amazonaws.com`;
const SNS = `sns.${REGION}.amazonaws.com`;
const root = (account: string) => `arn:aws:iam::${account}:root`;
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
export const publishers = (accounts: readonly string[] = PRODS) =>
  accounts.flatMap((a) => [role(a, "rds-failsafe-share"), role(a, "rds-failsafe-prod-sweep")]);
export const HANDOFF_TOPIC = `arn:aws:sns:${REGION}:${FAILSAFE}:rds-failsafe-handoff`;

export type Stmt = Record<string, unknown>;
export const document = (statements: Stmt[]): string =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

const ADMIN = [
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
];
const USE = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];
const DESTRUCTIVE = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"];
const viaRds = (account: string) => ({
  StringEquals: { "kms:ViaService": RDS, "kms:CallerAccount": account },
});

/** Vault key policy, statements 1–6 of DOCS-TARGET.md. */
export function vaultPolicy(breakGlass = BREAK_GLASS): Stmt[] {
  return [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: root(FAILSAFE) },
      Action: ADMIN,
      Resource: "*",
    },
    {
      Sid: "AccountUsesKeyOnlyThroughRds",
      Effect: "Allow",
      Principal: { AWS: root(FAILSAFE) },
      Action: USE,
      Resource: "*",
      Condition: viaRds(FAILSAFE),
    },
    {
      Sid: "AccountGrantsOnlyToRds",
      Effect: "Allow",
      Principal: { AWS: root(FAILSAFE) },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { ...viaRds(FAILSAFE), Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "BreakGlassMayDeleteDisableOrChangePolicy",
      Effect: "Allow",
      Principal: { AWS: breakGlass },
      Action: DESTRUCTIVE,
      Resource: "*",
    },
    {
      Sid: "DenyDestructiveActionsExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: DESTRUCTIVE,
      Resource: "*",
      Condition: { ArnNotEquals: { "aws:PrincipalArn": breakGlass } },
    },
    {
      Sid: "DenyGrantsNotForAwsResourcesExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: {
        Bool: { "kms:GrantIsForAWSResource": "false" },
        ArnNotEquals: { "aws:PrincipalArn": breakGlass },
      },
    },
  ];
}

const ownAccountStatement = (account: string): Stmt => ({
  Sid: "AccountAdministersAndUsesKeyThroughIam",
  Effect: "Allow",
  Principal: { AWS: root(account) },
  Action: [
    ...ADMIN,
    ...DESTRUCTIVE,
    ...USE.filter((a) => a !== "kms:DescribeKey"),
    "kms:CreateGrant",
    "kms:RetireGrant",
  ],
  Resource: "*",
});

/** Transit key policy of prod account `prod` (unchanged in shape). */
export function transitPolicy(prod = PROD): Stmt[] {
  return [
    ownAccountStatement(prod),
    {
      Sid: "FailsafeAccountCopiesSharedSnapshotsThroughRds",
      Effect: "Allow",
      Principal: { AWS: root(FAILSAFE) },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"],
      Resource: "*",
      Condition: viaRds(FAILSAFE),
    },
    {
      Sid: "FailsafeAccountGrantsToRdsOnly",
      Effect: "Allow",
      Principal: { AWS: root(FAILSAFE) },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { ...viaRds(FAILSAFE), Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
}

/** A side's messaging key; the failsafe one also lets the prod publishers in, through SNS only. */
export function messagingPolicy(account: string, prods: readonly string[] = []): Stmt[] {
  const statements: Stmt[] = [
    ownAccountStatement(account),
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ];
  if (prods.length > 0) {
    statements.push({
      Sid: "ProdRolesPublishHandoffsThroughSns",
      Effect: "Allow",
      Principal: { AWS: prods.map(root) },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": SNS },
        ArnEquals: { "aws:PrincipalArn": publishers(prods) },
      },
    });
  }
  return statements;
}

export function handoffTopicPolicy(prods: readonly string[] = PRODS): Stmt[] {
  return [
    {
      Sid: "OnlyProdShareRolesPublish",
      Effect: "Allow",
      Principal: { AWS: prods.map(root) },
      Action: "sns:Publish",
      Resource: HANDOFF_TOPIC,
      Condition: { ArnEquals: { "aws:PrincipalArn": publishers(prods) } },
    },
  ];
}

export function queuePolicy(
  account: string,
  queue: string,
  service: "events.amazonaws.com" | "sns.amazonaws.com",
  sourceArn: string,
): Stmt[] {
  return [
    {
      Sid: "OnlyTheFeedingSourceSends",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sqs:SendMessage",
      Resource: `arn:aws:sqs:${REGION}:${account}:${queue}`,
      Condition: { ArnEquals: { "aws:SourceArn": sourceArn } },
    },
  ];
}

const rds = (account: string, what: string) => `arn:aws:rds:${REGION}:${account}:${what}`;
const managed = (account: string) => [
  rds(account, "snapshot:failsafe-*"),
  rds(account, "cluster-snapshot:failsafe-*"),
];
const tagged = (kind: "snapshot" | "cluster-snapshot") => ({
  StringEquals: { [`rds:${kind}-tag/failsafe:managed`]: "true" },
});

/** The statements every function has: its own logs, and its own queue when it has one. */
function base(account: string, fn: string, queue?: string): Stmt[] {
  return [
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `arn:aws:logs:${REGION}:${account}:log-group:/aws/lambda/${fn}:*`,
    },
    ...(queue
      ? [
          {
            Sid: "ConsumeOwnQueue",
            Effect: "Allow",
            Action: [
              "sqs:ReceiveMessage",
              "sqs:DeleteMessage",
              "sqs:GetQueueAttributes",
              "sqs:ChangeMessageVisibility",
            ],
            Resource: `arn:aws:sqs:${REGION}:${account}:${queue}`,
          },
        ]
      : []),
  ];
}

function useKeys(accounts: string[], aliases: string[]): Stmt {
  return {
    Sid: "UseKeysThroughRdsForCopies",
    Effect: "Allow",
    Action: ["kms:CreateGrant", "kms:DescribeKey"],
    Resource: accounts.map((a) => `arn:aws:kms:${REGION}:${a}:key/*`),
    Condition: {
      StringEquals: { "kms:ViaService": RDS },
      Bool: { "kms:GrantIsForAWSResource": "true" },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": aliases },
    },
  };
}

function publish(topicArn: string, keyAccount: string, sid: string): Stmt[] {
  return [
    { Sid: sid, Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
    {
      Sid: `${sid}Encrypted`,
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: `arn:aws:kms:${REGION}:${keyAccount}:key/*`,
      Condition: { StringEquals: { "kms:ViaService": SNS } },
    },
  ];
}

function deletes(account: string): Stmt[] {
  return [
    {
      Sid: "DeleteManagedSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBSnapshot",
      Resource: rds(account, "snapshot:failsafe-*"),
      Condition: tagged("snapshot"),
    },
    {
      Sid: "DeleteManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBClusterSnapshot",
      Resource: rds(account, "cluster-snapshot:failsafe-*"),
      Condition: tagged("cluster-snapshot"),
    },
  ];
}

const shares = (account: string): Stmt[] => [
  {
    Sid: "ShareManagedSnapshots",
    Effect: "Allow",
    Action: "rds:ModifyDBSnapshotAttribute",
    Resource: rds(account, "snapshot:failsafe-*"),
    Condition: tagged("snapshot"),
  },
  {
    Sid: "ShareManagedClusterSnapshots",
    Effect: "Allow",
    Action: "rds:ModifyDBClusterSnapshotAttribute",
    Resource: rds(account, "cluster-snapshot:failsafe-*"),
    Condition: tagged("cluster-snapshot"),
  },
];

const tagWrites = (account: string): Stmt => ({
  Sid: "TagManagedCopies",
  Effect: "Allow",
  Action: "rds:AddTagsToResource",
  Resource: managed(account),
  Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["failsafe:*"] } },
});

const describe = (resources: string[]): Stmt => ({
  Sid: "DescribeSnapshots",
  Effect: "Allow",
  Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
  Resource: resources,
});

const TRANSIT = "alias/rds-failsafe-transit";
const VAULT = "alias/rds-failsafe-vault";

/** Function role policies of the copy side in prod account `prod`. */
export function copySideRolePolicies(prod = PROD): Record<string, Stmt[]> {
  const copy = [
    {
      Sid: "ReadDatabases",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
      Resource: [rds(prod, "db:*"), rds(prod, "cluster:*")],
    },
    describe([rds(prod, "snapshot:*"), rds(prod, "cluster-snapshot:*")]),
    {
      Sid: "CopyAutomatedToManaged",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [
        rds(prod, "snapshot:rds:*"),
        rds(prod, "cluster-snapshot:rds:*"),
        ...managed(prod),
      ],
    },
    tagWrites(prod),
    useKeys([prod], [TRANSIT]),
  ];
  const share = [
    describe(managed(prod)),
    ...shares(prod),
    ...publish(HANDOFF_TOPIC, FAILSAFE, "PublishHandoff"),
  ];
  return {
    "rds-failsafe-copy": [...base(prod, "rds-failsafe-copy", "rds-failsafe-copy"), ...copy],
    "rds-failsafe-share": [...base(prod, "rds-failsafe-share", "rds-failsafe-share"), ...share],
    "rds-failsafe-prod-sweep": [
      ...base(prod, "rds-failsafe-prod-sweep"),
      ...copy,
      ...share.slice(1),
      {
        Sid: "ReadShareState",
        Effect: "Allow",
        Action: ["rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes"],
        Resource: managed(prod),
      },
      ...deletes(prod),
    ],
  };
}

/** Function role policies of the save side, for prod accounts `prods`. */
export function saveSideRolePolicies(prods: readonly string[] = PRODS): Record<string, Stmt[]> {
  const ops = `arn:aws:sns:${REGION}:${FAILSAFE}:rds-failsafe-ops`;
  const save = [
    describe([
      ...prods.flatMap(managed),
      rds(FAILSAFE, "snapshot:*"),
      rds(FAILSAFE, "cluster-snapshot:*"),
    ]),
    {
      Sid: "CopySharedToVault",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [...prods.flatMap(managed), ...managed(FAILSAFE)],
    },
    tagWrites(FAILSAFE),
    useKeys([...prods, FAILSAFE], [TRANSIT, VAULT]),
    ...publish(ops, FAILSAFE, "NotifyOps"),
  ];
  return {
    "rds-failsafe-save": [...base(FAILSAFE, "rds-failsafe-save", "rds-failsafe-save"), ...save],
    "rds-failsafe-retention": [
      ...base(FAILSAFE, "rds-failsafe-retention", "rds-failsafe-retention"),
      describe([rds(FAILSAFE, "snapshot:*"), rds(FAILSAFE, "cluster-snapshot:*")]),
      ...deletes(FAILSAFE),
    ],
    "rds-failsafe-failsafe-sweep": [
      ...base(FAILSAFE, "rds-failsafe-failsafe-sweep"),
      ...save,
      ...deletes(FAILSAFE),
    ],
  };
}

const TAGS = { Application: "rds-failsafe", ManagedBy: "pulumi", Stack: "target" };
export function providerFor(name: string, account: string) {
  return {
    type: "pulumi:providers:aws",
    name,
    urn: `urn:pulumi:test::rds-failsafe::pulumi:providers:aws::${name}`,
    props: {
      region: REGION,
      allowedAccountIds: JSON.stringify([account]),
      assumeRoles: JSON.stringify([{ roleArn: role(account, "rds-failsafe-deploy") }]),
      defaultTags: JSON.stringify({ tags: TAGS }),
    },
  };
}

/**
 * The document-carrying resources of both sides (save side of FAILSAFE for PRODS, copy side of
 * PROD), parented and provided as the program does, with what the mocks answer for ids and ARNs.
 */
export function targetProgram(): MockResource[] {
  const save = { parents: [SAVE_SIDE_TYPE], provider: providerFor("failsafe", FAILSAFE) };
  const saveMessaging = { ...save, parents: [SAVE_SIDE_TYPE, MESSAGING_TYPE] };
  const copy = { parents: [COPY_SIDE_TYPE], provider: providerFor("prod", PROD) };
  const copyMessaging = { ...copy, parents: [COPY_SIDE_TYPE, MESSAGING_TYPE] };
  const key = (name: string, id: string, account: string, policy: Stmt[], on: typeof save) =>
    resource(
      "aws:kms/key:Key",
      name,
      {
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        keyId: id,
        arn: `arn:aws:kms:${REGION}:${account}:key/${id}`,
        policy: document(policy),
      },
      on,
    );
  const alias = (name: string, aliasName: string, target: MockResource, on: typeof save) =>
    resource(
      "aws:kms/alias:Alias",
      name,
      { name: aliasName, targetKeyId: target.props["keyId"] },
      {
        ...on,
        propertyDependencies: { targetKeyId: [target.urn] },
      },
    );
  const vault = key("vault", "vault-key-id", FAILSAFE, vaultPolicy(), save);
  const transit = key("transit", "transit-key-id", PROD, transitPolicy(), copy);
  const messaging = key(
    "messaging-key",
    "fs-msg",
    FAILSAFE,
    messagingPolicy(FAILSAFE, PRODS),
    saveMessaging,
  );
  const prodMessaging = key(
    "prod-messaging-key",
    "prod-msg",
    PROD,
    messagingPolicy(PROD),
    copyMessaging,
  );
  const topic = resource(
    "aws:sns/topic:Topic",
    "handoff",
    { name: "rds-failsafe-handoff", arn: HANDOFF_TOPIC, kmsMasterKeyId: messaging.props["arn"] },
    save,
  );
  const rolePolicies = (policies: Record<string, Stmt[]>, on: typeof save) =>
    Object.entries(policies).map(([fn, statements]) =>
      resource(
        "aws:iam/rolePolicy:RolePolicy",
        fn.replace("rds-failsafe-", ""),
        { role: fn, name: "least-privilege", policy: document(statements) },
        on,
      ),
    );
  const rule = (account: string, name: string) =>
    `arn:aws:events:${REGION}:${account}:rule/${name}`;
  const queuePolicyResource = (
    name: string,
    account: string,
    statements: Stmt[],
    on: typeof save,
  ) =>
    resource(
      "aws:sqs/queuePolicy:QueuePolicy",
      name,
      {
        queueUrl: `https://sqs.${REGION}.amazonaws.com/${account}/rds-failsafe-${name}`,
        policy: document(statements),
      },
      { ...on, parents: [...on.parents, "rds-failsafe:queue:QueueWithDlq"] },
    );
  return [
    resource(SAVE_SIDE_TYPE, "save", {}),
    resource(COPY_SIDE_TYPE, "copy", {}),
    vault,
    alias("vault", "alias/rds-failsafe-vault", vault, save),
    messaging,
    alias("messaging-key", "alias/rds-failsafe-messaging", messaging, saveMessaging),
    topic,
    resource(
      "aws:sns/topicPolicy:TopicPolicy",
      "handoff",
      { arn: HANDOFF_TOPIC, policy: document(handoffTopicPolicy()) },
      { ...save, propertyDependencies: { arn: [topic.urn] } },
    ),
    queuePolicyResource(
      "save",
      FAILSAFE,
      queuePolicy(FAILSAFE, "rds-failsafe-save", "sns.amazonaws.com", HANDOFF_TOPIC),
      save,
    ),
    queuePolicyResource(
      "retention",
      FAILSAFE,
      queuePolicy(
        FAILSAFE,
        "rds-failsafe-retention",
        "events.amazonaws.com",
        rule(FAILSAFE, "rds-failsafe-failsafe-copy-ready"),
      ),
      save,
    ),
    ...rolePolicies(saveSideRolePolicies(), save),
    transit,
    alias("transit", "alias/rds-failsafe-transit", transit, copy),
    prodMessaging,
    alias("prod-messaging-key", "alias/rds-failsafe-prod-messaging", prodMessaging, copyMessaging),
    queuePolicyResource(
      "copy",
      PROD,
      queuePolicy(
        PROD,
        "rds-failsafe-copy",
        "events.amazonaws.com",
        rule(PROD, "rds-failsafe-automated-snapshot-created"),
      ),
      copy,
    ),
    queuePolicyResource(
      "share",
      PROD,
      queuePolicy(
        PROD,
        "rds-failsafe-share",
        "events.amazonaws.com",
        rule(PROD, "rds-failsafe-managed-snapshot-ready"),
      ),
      copy,
    ),
    ...rolePolicies(copySideRolePolicies(), copy),
  ];
}

/** Policy config for the target program: both prod accounts, the failsafe account, break-glass. */
export const TARGET_CONFIG = {
  "rds-snapshot-sharing": { failsafeAccountId: FAILSAFE },
  "stack-resources-in-their-account": { prodAccountIds: PRODS, failsafeAccountId: FAILSAFE },
  "kms-key-cross-account-through-rds": { prodAccountIds: PRODS, failsafeAccountId: FAILSAFE },
  "kms-vault-key-protected": { breakGlassPrincipalArn: BREAK_GLASS, failsafeAccountId: FAILSAFE },
  "sns-handoff-topic-publishers": { prodAccountIds: PRODS },
};
