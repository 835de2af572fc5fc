import { servicePrincipal } from "../handlers/partition";
import type { Statement } from "./iam";
import { regionArns } from "./names";

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

/** Using the key for data: what RDS does with it on our behalf. */
const CRYPTO_ACTIONS = [
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
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

/**
 * What only the vault key's break-glass principal may do: each of these, done by anyone else,
 * would make the failsafe copies unreadable for good (delete, disable) or open the way to it
 * (rewrite the policy that forbids it).
 */
export const DESTRUCTIVE_KEY_ACTIONS = [
  "kms:DisableKey",
  "kms:PutKeyPolicy",
  "kms:ScheduleKeyDeletion",
];

/**
 * The owning account administers and uses the key through IAM policies (the statement that makes
 * IAM policies count for a KMS key; without it the deploy role could lock itself out).
 */
export function accountStatement(region: string, account: string): Statement {
  return {
    Sid: "AccountAdministersAndUsesKeyThroughIam",
    Effect: "Allow",
    Principal: { AWS: regionArns(region).root(account) },
    Action: [...ADMIN_ACTIONS, ...USE_ACTIONS],
    Resource: "*", // in a key policy "*" means this key
  };
}

/**
 * The deploy role may re-write this key's policy because the key policy names it, not because
 * its IAM policy grants kms:PutKeyPolicy (components/deploy-permissions.ts): an IAM grant would
 * reach every key of the account whose policy delegates to IAM (an application's CMK), and a
 * tag or alias condition on it would not hold for a key created a moment ago (tags and aliases
 * take up to five minutes to affect authorization, "ABAC for AWS KMS"). Naming the role also
 * satisfies KMS's lock-out check when the key is created (CreateKey: "the key policy must allow
 * the calling principal to make a subsequent PutKeyPolicy request"). Not on the vault key: there
 * only break-glass may.
 */
function deployRoleStatement(deployRoleArn: string | undefined): Statement[] {
  return deployRoleArn
    ? [
        {
          Sid: "DeployRoleUpdatesThisKeysPolicy",
          Effect: "Allow",
          Principal: { AWS: deployRoleArn },
          Action: ["kms:PutKeyPolicy"],
          Resource: "*",
        },
      ]
    : [];
}

/**
 * Another account may use a key only through RDS in this region (kms:CallerAccount pinned), which
 * is what copying or restoring a shared encrypted snapshot needs (USER_ShareSnapshot, "Allowing
 * access to an AWS KMS key"); grants only for AWS resources. The transit key gives this to the
 * failsafe account, a recovery key (cli/recovery-key.ts) to the recovery account.
 */
export function sharedSnapshotUseThroughRds(
  region: string,
  account: string,
  sids: { readonly use: string; readonly grant: string },
): Statement[] {
  const arns = regionArns(region);
  const viaRds = { "kms:ViaService": arns.viaService("rds"), "kms:CallerAccount": account };
  return [
    {
      Sid: sids.use,
      Effect: "Allow",
      Principal: { AWS: arns.root(account) },
      Action: ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"],
      Resource: "*",
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: sids.grant,
      Effect: "Allow",
      Principal: { AWS: arns.root(account) },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: viaRds, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ];
}

/**
 * Transit key (prod): the failsafe account may use it only through RDS in this region, which is
 * what copying a shared encrypted snapshot needs (USER_ShareSnapshot, "Allowing access to an AWS KMS
 * key"); grants only for AWS resources.
 */
export function transitKeyPolicy(
  region: string,
  prod: string,
  failsafe: string,
  deployRoleArn?: string,
): Statement[] {
  return [
    accountStatement(region, prod),
    ...deployRoleStatement(deployRoleArn),
    ...sharedSnapshotUseThroughRds(region, failsafe, {
      use: "FailsafeAccountCopiesSharedSnapshotsThroughRds",
      grant: "FailsafeAccountGrantsToRdsOnly",
    }),
  ];
}

/**
 * Vault key (failsafe): encrypts every failsafe copy, so it is the one thing whose loss would lose
 * them all. Its policy:
 * - lets the account administer it through IAM, but not delete, disable or re-write its policy,
 *   and not use it at all except through RDS in this region (as the AWS managed aws/rds key
 *   does: kms:ViaService + kms:CallerAccount), with grants only for AWS resources;
 * - leaves deletion, disabling and policy changes to the break-glass principal alone, with an
 *   explicit Deny for everyone else that no IAM policy of the failsafe account can override.
 * Creating a key whose policy denies the creator kms:PutKeyPolicy needs
 * BypassPolicyLockoutSafetyCheck (the lock-out is the point; save-side.ts says so where the key
 * is created), and the break-glass principal must exist first: KMS rejects a policy naming an
 * unknown principal.
 */
export function vaultKeyPolicy(
  region: string,
  failsafe: string,
  breakGlassPrincipalArn: string,
): Statement[] {
  const arns = regionArns(region);
  const viaRds = { "kms:ViaService": arns.viaService("rds"), "kms:CallerAccount": failsafe };
  const notBreakGlass = { ArnNotEquals: { "aws:PrincipalArn": breakGlassPrincipalArn } };
  return [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: arns.root(failsafe) },
      Action: ADMIN_ACTIONS.filter((a) => !DESTRUCTIVE_KEY_ACTIONS.includes(a)),
      Resource: "*",
    },
    {
      Sid: "AccountUsesKeyOnlyThroughRds",
      Effect: "Allow",
      Principal: { AWS: arns.root(failsafe) },
      Action: CRYPTO_ACTIONS,
      Resource: "*",
      Condition: { StringEquals: viaRds },
    },
    {
      Sid: "AccountGrantsOnlyToRds",
      Effect: "Allow",
      Principal: { AWS: arns.root(failsafe) },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { StringEquals: viaRds, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: "BreakGlassMayDeleteDisableOrChangePolicy",
      Effect: "Allow",
      Principal: { AWS: breakGlassPrincipalArn },
      Action: DESTRUCTIVE_KEY_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "DenyDestructiveActionsExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: DESTRUCTIVE_KEY_ACTIONS,
      Resource: "*",
      Condition: notBreakGlass,
    },
    {
      Sid: "DenyGrantsNotForAwsResourcesExceptBreakGlass",
      Effect: "Deny",
      Principal: { AWS: "*" },
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: { Bool: { "kms:GrantIsForAWSResource": "false" }, ...notBreakGlass },
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
  deployRoleArn?: string,
): Statement[] {
  const arns = regionArns(region);
  const statements: Statement[] = [
    accountStatement(region, account),
    ...deployRoleStatement(deployRoleArn),
    {
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("cloudwatch", region) },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ];
  if (crossAccountPublishers.length > 0) {
    const publisherAccounts = [...new Set(crossAccountPublishers.map((a) => a.split(":")[4]))];
    statements.push({
      Sid: "ProdRolesPublishHandoffsThroughSns",
      Effect: "Allow",
      Principal: { AWS: publisherAccounts.map((a) => arns.root(a ?? "")) },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: {
        StringEquals: { "kms:ViaService": arns.viaService("sns") },
        ArnEquals: { "aws:PrincipalArn": [...crossAccountPublishers] },
      },
    });
  }
  return statements;
}
