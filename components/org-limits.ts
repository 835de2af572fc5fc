import { drSweepStatements } from "./dr-permissions";
import { policyDocument, type Statement } from "./iam";
import { messagingKeyPolicy } from "./keys";
import { handoffPublishers, logGroupName, NAMES, regionArns } from "./names";
import { failsafeSweepStatements } from "./permissions";

/**
 * AWS's size limits on the documents that grow with the number of prod accounts, checked when the
 * stack config is read, so that a failsafe account serving too many prod accounts fails at
 * `pulumi preview` with the key to change, not halfway through `pulumi up`.
 * - IAM: a role's inline policies, 10,240 characters in total, whitespace not counted ("IAM and
 *   AWS STS quotas", role policy size). The failsafe sweep's is the largest (it saves, applies
 *   retention and, with a DR region, copies there).
 * - KMS: a key policy, 32 KB ("AWS KMS quotas", key policy document size).
 * - Lambda: all environment variables of a function, 4 KB ("Lambda quotas"); the settings list
 *   the prod accounts.
 */
export const ROLE_INLINE_POLICY_MAX = 10_240;
export const KEY_POLICY_MAX = 32_768;
export const LAMBDA_ENVIRONMENT_MAX = 4_096;

export interface OrgScale {
  readonly region: string;
  readonly failsafeAccountId: string;
  readonly prodAccountIds: readonly string[];
  readonly drRegion?: string;
}

/** What the failsafe sweep's role policy holds: its statements and its own log group's. */
function sweepRolePolicy(s: OrgScale): string {
  const arns = regionArns(s.region);
  const logs: Statement = {
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: `${arns.logGroup(s.failsafeAccountId, logGroupName(NAMES.fn.failsafeSweep))}:*`,
  };
  const accounts = { region: s.region, prod: s.prodAccountIds, failsafe: s.failsafeAccountId };
  return policyDocument([
    logs,
    ...failsafeSweepStatements(accounts),
    ...(s.drRegion ? drSweepStatements({ ...accounts, drRegion: s.drRegion }) : []),
  ]);
}

/** The largest settings a save-side function gets (every ARN at its full length). */
function settingsSize(s: OrgScale): number {
  const arns = regionArns(s.region);
  const key = (region: string) =>
    `arn:${arns.partition}:kms:${region}:${s.failsafeAccountId}:key/00000000-0000-0000-0000-000000000000`;
  return JSON.stringify({
    RDS_FAILSAFE_SETTINGS: JSON.stringify({
      ...(s.drRegion ? { drRegion: s.drRegion, drVaultKmsKeyArn: key(s.drRegion) } : {}),
      region: s.region,
      prodAccountIds: s.prodAccountIds,
      failsafeAccountId: s.failsafeAccountId,
      vaultKmsKeyArn: key(s.region),
      handoffTopicArn: arns.topic(s.failsafeAccountId, NAMES.handoffTopic),
      retentionDays: 3653,
      minCopies: 1000,
      freezeAfterHours: 100000,
      rpoHours: 100000,
      opsTopicArn: arns.topic(s.failsafeAccountId, NAMES.opsTopic.save),
      notifyOn: "failures",
    }),
  }).length;
}

/** Each limit the save side's documents would exceed with these prod accounts. */
export function orgScaleProblems(s: OrgScale): string[] {
  const problems: string[] = [];
  const n = s.prodAccountIds.length;
  const role = sweepRolePolicy(s).replace(/\s/g, "").length;
  if (role > ROLE_INLINE_POLICY_MAX) {
    problems.push(
      `make the failsafe sweep's role policy ${role} characters, over IAM's ${ROLE_INLINE_POLICY_MAX} for a role's inline policies (${n} prod accounts${s.drRegion ? " and a DR region" : ""})`,
    );
  }
  const key = policyDocument(
    messagingKeyPolicy(
      s.region,
      s.failsafeAccountId,
      handoffPublishers(s.region, s.prodAccountIds),
    ),
  ).length;
  if (key > KEY_POLICY_MAX) {
    problems.push(
      `make the messaging key's policy ${key} bytes, over KMS's ${KEY_POLICY_MAX} (${n} prod accounts)`,
    );
  }
  const env = settingsSize(s);
  if (env > LAMBDA_ENVIRONMENT_MAX) {
    problems.push(
      `make the save-side functions' environment ${env} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_MAX} (${n} prod accounts)`,
    );
  }
  return problems;
}
