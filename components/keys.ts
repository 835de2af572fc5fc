import type { Statement } from "./iam";

/**
 * KMS key policy statements. Actions are listed one by one (no `kms:*`), so every right a key
 * policy gives is visible in review and to the policy pack.
 */
const ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

const USE_ACTIONS = [
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:RetireGrant",
];

/** The two actions that would make a failsafe copy unreadable for good. */
export const DESTRUCTIVE_KEY_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:DisableKey"];

const root = (account: string) => ({ AWS: `arn:aws:iam::${account}:root` });

/**
 * The owning account administers and uses the key through IAM policies (the statement that makes
 * IAM policies count for a KMS key; without it the deploy role could lock itself out).
 */
export function accountStatement(account: string, except: readonly string[] = []): Statement {
  return {
    Sid: "AccountAdministersAndUsesKeyThroughIam",
    Effect: "Allow",
    Principal: root(account),
    Action: [...ADMIN_ACTIONS, ...USE_ACTIONS].filter((a) => !except.includes(a)),
    Resource: "*", // in a key policy "*" means this key
  };
}

/**
 * Transit key (prod): the failsafe account may use it only through RDS in this region, which is
 * what copying a shared encrypted snapshot needs (USER_ShareSnapshot, "Allowing access to an AWS KMS
 * key"); grants only for AWS resources.
 */
export function transitKeyPolicy(region: string, prod: string, failsafe: string): Statement[] {
  const viaRds = { "kms:ViaService": `rds.${region}.amazonaws.com`, "kms:CallerAccount": failsafe };
  return [
    accountStatement(prod),
    {
      Sid: "FailsafeAccountCopiesSharedSnapshotsThroughRds",
      Effect: "Allow",
      Principal: root(failsafe),
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"],
      Resource: "*",
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: "FailsafeAccountGrantsToRdsOnly",
      Effect: "Allow",
      Principal: root(failsafe),
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: viaRds, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
}

/**
 * Vault key (failsafe): nobody but the break-glass principal may schedule its deletion or disable
 * it. The Deny wins over any Allow, including the account statement and admin IAM policies.
 */
export function vaultKeyPolicy(failsafe: string, breakGlassPrincipalArn: string): Statement[] {
  return [
    accountStatement(failsafe, DESTRUCTIVE_KEY_ACTIONS),
    {
      Sid: "OnlyBreakGlassMayDeleteOrDisable",
      Effect: "Allow",
      Principal: { AWS: breakGlassPrincipalArn },
      Action: DESTRUCTIVE_KEY_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "DenyDeleteOrDisableToEveryoneElse",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: DESTRUCTIVE_KEY_ACTIONS,
      Resource: "*",
      Condition: { ArnNotEquals: { "aws:PrincipalArn": breakGlassPrincipalArn } },
    },
  ];
}

/**
 * Messaging key for SNS topics: CloudWatch alarms may publish to an encrypted topic
 * (sns-key-management, "Enable compatibility between event sources from AWS services and
 * encrypted topics"); on the failsafe side the prod roles that publish hand-offs may too, only
 * through SNS.
 */
export function messagingKeyPolicy(
  region: string,
  account: string,
  crossAccountPublishers: readonly string[] = [],
): Statement[] {
  const statements: Statement[] = [
    accountStatement(account),
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ];
  const [first] = crossAccountPublishers;
  if (first) {
    const publisherAccount = first.split(":")[4] ?? "";
    statements.push({
      Sid: "ProdRolesPublishHandoffsThroughSns",
      Effect: "Allow",
      Principal: root(publisherAccount),
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": `sns.${region}.amazonaws.com` },
        ArnEquals: { "aws:PrincipalArn": [...crossAccountPublishers] },
      },
    });
  }
  return statements;
}
