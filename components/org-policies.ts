import { partitionOf } from "../handlers/partition";
import { NAMES, SNAPSHOT_PREFIX } from "./names";

/**
 * The org guard's documents: a service control policy and a resource control policy for the
 * failsafe account. Plain code (no @pulumi import), built from config only, so they are known at
 * preview and tested without Pulumi.
 *
 * An SCP limits what principals of the failsafe account may do, whatever their IAM policies say;
 * an RCP limits what anyone may do to the account's resources (KMS keys here), whatever the key
 * policy says. Neither grants anything. Neither applies to the management account, its root user
 * or service-linked roles ("SCPs don't affect users or roles in the management account", "SCPs
 * don't affect service-linked roles": AWS Organizations User Guide, orgs_manage_policies_scps;
 * "RCPs don't affect resources in the management account": orgs_manage_policies_rcps).
 */
export interface OrgGuardPolicyArgs {
  /** The stacks' region: only its partition is used (ARNs below cover every region, DR too). */
  readonly region: string;
  readonly failsafeAccountId: string;
  /** The failsafe deploy role: the only principal that may change the pipeline. */
  readonly failsafeRoleArn: string;
  /** The only principal that may share copies, or disable, delete or re-policy the vault key. */
  readonly breakGlassPrincipalArn: string;
}

/** An SCP or RCP statement: Deny only (the FullAWSAccess policies do the allowing). */
export interface OrgStatement {
  readonly Sid: string;
  readonly Effect: "Deny";
  /** RCPs require "*"; SCPs must not have one. */
  readonly Principal?: "*";
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: OrgStatement[];
}

/**
 * "Maximum size of a policy document": 5,120 characters for an SCP and for an RCP, every
 * character counted (AWS Organizations User Guide, orgs_reference_limits). The documents are
 * serialized without whitespace (JSON.stringify), which is what the aws.organizations.Policy
 * content holds.
 */
export const ORG_POLICY_MAX_CHARACTERS = 5120;

/** Prefix of every name the program gives (functions, roles, rules, queues, topics, alarms, aliases). */
export const PROGRAM_PREFIX = "rds-failsafe-";

/** The functions that delete managed copies by design (the failsafe sweep applies retention too). */
export const DELETING_FUNCTIONS = [NAMES.fn.retention, NAMES.fn.failsafeSweep] as const;

/** The functions that create and tag managed copies (dr-copy: in the DR region, drRegion). */
export const WRITING_FUNCTIONS = [
  NAMES.fn.save,
  NAMES.fn.failsafeSweep,
  NAMES.fn.drCopy,
  // Restore drills record their result on the copy they restored (issue 12).
  NAMES.fn.drill,
  NAMES.fn.drillVerify,
] as const;

/** What would make every copy unreadable, or hand the key to someone else. */
export const VAULT_KEY_ACTIONS = ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"];

/**
 * Changes to the pipeline's resources. Wildcards are fine in a Deny and keep the SCP within its
 * size; each is scoped by the Resource ARNs below to the program's own names, and none matches a
 * read or what the functions do at run time (sqs:ReceiveMessage/DeleteMessage, sns:Publish,
 * logs:CreateLogStream/PutLogEvents, lambda:InvokeFunction stay allowed). Tagging is left out
 * where tags grant nothing (no policy of the program reads these resources' tags).
 */
export const PIPELINE_CHANGE_ACTIONS = [
  "lambda:Add*",
  "lambda:Create*",
  "lambda:Delete*",
  "lambda:Publish*",
  "lambda:Put*",
  "lambda:Remove*",
  "lambda:Update*",
  "events:DeleteRule",
  "events:DisableRule",
  "events:PutRule",
  "events:*Targets",
  "sqs:*Permission",
  "sqs:*Queue", // CreateQueue, DeleteQueue, PurgeQueue, TagQueue, UntagQueue
  "sqs:SetQueueAttributes",
  "sns:*Permission",
  "sns:CreateTopic",
  "sns:DeleteTopic",
  "sns:PutDataProtectionPolicy",
  "sns:Set*",
  "sns:Unsubscribe",
  "cloudwatch:DeleteAlarms",
  "cloudwatch:DisableAlarmActions",
  "cloudwatch:PutMetricAlarm",
  "cloudwatch:SetAlarmState",
  "logs:*KmsKey",
  "logs:Delete*",
  "logs:PutRetentionPolicy",
  // Roles (and the break-glass principal): their trust and permissions, and passing a function
  // role to a new function, which would hand that function the role's rights.
  "iam:Attach*",
  "iam:Create*",
  "iam:Deactivate*",
  "iam:Delete*",
  "iam:Detach*",
  "iam:Enable*",
  "iam:PassRole",
  "iam:Put*",
  "iam:Update*",
  "iam:Upload*",
  // Moving an alias would take a key out of the guard (kms:ResourceAliases).
  "kms:*Alias",
];

const iamArn = (partition: string, account: string, resource: string) =>
  `arn:${partition}:iam::${account}:${resource}`;

/** The SCP attached to the failsafe account. */
export function orgGuardScp(args: OrgGuardPolicyArgs): PolicyDocument {
  const p = partitionOf(args.region);
  const f = args.failsafeAccountId;
  const role = (name: string) => iamArn(p, f, `role/${name}`);
  const snapshots = (name: string) => [
    `arn:${p}:rds:*:${f}:snapshot:${name}`,
    `arn:${p}:rds:*:${f}:cluster-snapshot:${name}`,
  ];
  const managed = snapshots(`${SNAPSHOT_PREFIX}*`);
  const keys = `arn:${p}:kms:*:${f}:key/*`;
  const except = (...principals: string[]) => ({
    ArnNotEquals: { "aws:PrincipalArn": principals },
  });
  const aliased = (alias: string) => ({
    "ForAnyValue:StringEquals": { "kms:ResourceAliases": alias },
  });
  const breakGlass = args.breakGlassPrincipalArn;
  const deploy = args.failsafeRoleArn;
  const fnArn = `arn:${p}:lambda:*:${f}:function:${PROGRAM_PREFIX}*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyDeletingManagedCopies",
        Effect: "Deny",
        Action: ["rds:DeleteDBSnapshot", "rds:DeleteDBClusterSnapshot"],
        Resource: managed,
        Condition: except(...DELETING_FUNCTIONS.map(role)),
      },
      {
        // Tags are what makes a copy managed and say which source it protects: re-tagging a copy,
        // or forging a newer tagged one, would let retention delete real copies early. Copies
        // *from* a managed copy are for break-glass (guided restore into another account).
        Sid: "DenyWritingManagedCopies",
        Effect: "Deny",
        Action: [
          "rds:AddTagsToResource",
          "rds:RemoveTagsFromResource",
          "rds:ModifyDBSnapshot",
          "rds:CopyDBSnapshot",
          "rds:CopyDBClusterSnapshot",
          "rds:CreateDBSnapshot",
          "rds:CreateDBClusterSnapshot",
        ],
        Resource: managed,
        Condition: except(...WRITING_FUNCTIONS.map(role), breakGlass),
      },
      {
        // Any snapshot of the account, not only managed ones: a copy of a copy shared elsewhere
        // leaks the same data (unencrypted Aurora copies stay unencrypted).
        Sid: "DenySharingSnapshots",
        Effect: "Deny",
        Action: ["rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"],
        Resource: snapshots("*"),
        Condition: except(breakGlass),
      },
      {
        // kms:ResourceAliases identifies the program's keys without their ids, which are not
        // known before they exist ("Use aliases to control access to KMS keys", kms:ResourceAliases
        // in "AWS KMS condition keys"); alias changes are denied below, so the alias stays put.
        Sid: "DenyDestroyingTheVaultKey",
        Effect: "Deny",
        Action: VAULT_KEY_ACTIONS,
        Resource: keys,
        Condition: { ...aliased(NAMES.keyAlias.vault), ...except(breakGlass) },
      },
      {
        // The topics' key is the pipeline's: its policy lists the prod accounts, the deploy role
        // updates it; nobody else may disable it (alarms would go nowhere).
        Sid: "DenyDestroyingTheMessagingKey",
        Effect: "Deny",
        Action: VAULT_KEY_ACTIONS,
        Resource: keys,
        Condition: { ...aliased(NAMES.keyAlias.messaging), ...except(deploy) },
      },
      {
        // A grant is a key-policy change by another name; RDS's own grants (for the copies it
        // makes) are for an AWS resource and stay allowed.
        Sid: "DenyVaultGrantsNotForAwsResources",
        Effect: "Deny",
        Action: ["kms:CreateGrant"],
        Resource: keys,
        Condition: {
          ...aliased(NAMES.keyAlias.vault),
          Bool: { "kms:GrantIsForAWSResource": "false" },
          ...except(breakGlass),
        },
      },
      {
        // Outside the organization no SCP or RCP applies; a closed account's resources are
        // deleted after 90 days; a disabled opt-in region's resources become unreachable.
        Sid: "DenyLeavingTheOrganization",
        Effect: "Deny",
        Action: [
          "organizations:LeaveOrganization",
          "account:CloseAccount",
          "account:DisableRegion",
        ],
        Resource: "*",
      },
      {
        Sid: "DenyPipelineChanges",
        Effect: "Deny",
        Action: PIPELINE_CHANGE_ACTIONS,
        Resource: [
          fnArn,
          `arn:${p}:events:*:${f}:rule/${PROGRAM_PREFIX}*`,
          `arn:${p}:sqs:*:${f}:${PROGRAM_PREFIX}*`,
          `arn:${p}:sns:*:${f}:${PROGRAM_PREFIX}*`,
          `arn:${p}:cloudwatch:*:${f}:alarm:${PROGRAM_PREFIX}*`,
          `arn:${p}:logs:*:${f}:log-group:/aws/lambda/${PROGRAM_PREFIX}*`,
          role(`${PROGRAM_PREFIX}*`),
          ...new Set([deploy, breakGlass]),
          `arn:${p}:kms:*:${f}:alias/${PROGRAM_PREFIX}*`,
        ],
        Condition: except(deploy),
      },
      {
        // Event source mappings have ids of their own; lambda:FunctionArn says whose they are.
        Sid: "DenyPipelineTriggerChanges",
        Effect: "Deny",
        Action: [
          "lambda:CreateEventSourceMapping",
          "lambda:DeleteEventSourceMapping",
          "lambda:UpdateEventSourceMapping",
        ],
        Resource: "*",
        Condition: { ArnLike: { "lambda:FunctionArn": fnArn }, ...except(deploy) },
      },
    ],
  };
}

/**
 * The RCP attached to the failsafe account: the vault key cannot be deleted, disabled, re-policied
 * or granted away by any principal of any account but break-glass, even if its key policy were
 * loosened. AWS services acting as themselves are left alone, as in AWS's RCP examples
 * (aws:PrincipalIsAWSService, "Resource control policies in AWS KMS").
 */
export function orgGuardRcp(args: OrgGuardPolicyArgs): PolicyDocument {
  const condition = {
    "ForAnyValue:StringEquals": { "kms:ResourceAliases": [NAMES.keyAlias.vault] },
    ArnNotEquals: { "aws:PrincipalArn": args.breakGlassPrincipalArn },
    BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
  };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyDestroyingTheVaultKey",
        Effect: "Deny",
        Principal: "*",
        Action: VAULT_KEY_ACTIONS,
        Resource: "*",
        Condition: condition,
      },
      {
        Sid: "DenyVaultGrantsNotForAwsResources",
        Effect: "Deny",
        Principal: "*",
        Action: ["kms:CreateGrant"],
        Resource: "*",
        Condition: { ...condition, Bool: { "kms:GrantIsForAWSResource": "false" } },
      },
    ],
  };
}

/** The document as the organizations Policy content holds it (no whitespace). */
export const policyContent = (document: PolicyDocument): string => JSON.stringify(document);
