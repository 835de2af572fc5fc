// Snapshots leave the prod account only towards the failsafe account, and never publicly
// (`all` in the restore attribute, RDS USER_ShareSnapshot).
import * as aws from "@pulumi/aws";
import {
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { actionMatches, parsePolicyDocument } from "./iam-document";
import { asArray, configWithDefaults } from "./util";

export interface SnapshotSharingConfig {
  /** The only account snapshots may be shared with. Required for the sharing check. */
  failsafeAccountId?: string;
}

export const snapshotSharingConfigSchema = {
  properties: {
    failsafeAccountId: {
      type: "string" as const,
      pattern: "^[0-9]{12}$",
      description: "The failsafe AWS account id: the only account a snapshot may be shared with.",
    },
  },
};

function checkSharedAccounts(
  sharedAccounts: readonly string[] | undefined,
  args: ResourceValidationArgs,
  reportViolation: ReportViolation,
): void {
  const accounts = asArray(sharedAccounts);
  if (accounts.length === 0) return;
  const { failsafeAccountId } = configWithDefaults<SnapshotSharingConfig>(args, {});
  for (const account of accounts) {
    if (account.toLowerCase() === "all") {
      reportViolation('Snapshot must not be public (sharedAccounts must not contain "all")');
    } else if (failsafeAccountId === undefined || failsafeAccountId === "") {
      reportViolation(
        "Policy config failsafeAccountId must be set for rds-snapshot-sharing to check sharedAccounts",
      );
      return;
    } else if (account !== failsafeAccountId) {
      reportViolation(
        `Snapshot must be shared only with the failsafe account ${failsafeAccountId} (not ${account})`,
      );
    }
  }
}

export const rdsSnapshotSharing: ResourceValidationPolicy = {
  name: "rds-snapshot-sharing",
  description:
    "Checks whether RDS snapshots created by the program are public or shared with an account other than the failsafe account.",
  enforcementLevel: "mandatory",
  configSchema: snapshotSharingConfigSchema,
  validateResource: [
    validateResourceOfType(aws.rds.Snapshot, (s, args, report) =>
      checkSharedAccounts(s.sharedAccounts, args, report),
    ),
    validateResourceOfType(aws.rds.ClusterSnapshot, (s, args, report) =>
      checkSharedAccounts(s.sharedAccounts, args, report),
    ),
    validateResourceOfType(aws.rds.SnapshotCopy, (s, args, report) =>
      checkSharedAccounts(s.sharedAccounts, args, report),
    ),
    validateResourceOfType(aws.rds.ClusterSnapshotCopy, (s, args, report) =>
      checkSharedAccounts(s.sharedAccounts, args, report),
    ),
  ],
};

export interface SnapshotAttributeConfig {
  managedSnapshotPrefix: string;
}

export const SNAPSHOT_ATTRIBUTE_DEFAULTS: SnapshotAttributeConfig = {
  // handlers/naming.ts: every intermediate and failsafe copy is `failsafe-<source snapshot>`.
  managedSnapshotPrefix: "failsafe-",
};

const SHARING_ACTIONS = ["rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute"];

/** `arn:<partition>:rds:<region>:<account>:snapshot:<prefix>…` or `…:cluster-snapshot:<prefix>…`. */
export function isManagedSnapshotArn(resource: string, prefix: string): boolean {
  const match = /^arn:[^:]+:rds:[^:]*:[^:]*:(snapshot|cluster-snapshot):(.*)$/.exec(resource);
  return match !== null && match[2]!.startsWith(prefix) && match[2]!.length > prefix.length;
}

function checkSharingStatements(
  documents: unknown[],
  prefix: string,
  reportViolation: ReportViolation,
): void {
  for (const document of documents) {
    if (document === undefined || document === null || document === "") continue;
    for (const statement of parsePolicyDocument(document) ?? []) {
      if (statement.effect !== "Allow") continue;
      const grants = SHARING_ACTIONS.filter(
        (action) =>
          statement.actions.some((pattern) => actionMatches(pattern, action)) ||
          (statement.notActions.length > 0 &&
            !statement.notActions.some((pattern) => actionMatches(pattern, action))),
      );
      if (grants.length === 0) continue;
      const unscoped =
        statement.notResources.length > 0 ||
        statement.resources.length === 0 ||
        statement.resources.some((r) => !isManagedSnapshotArn(r, prefix));
      if (unscoped) {
        reportViolation(
          `${statement.label} allows ${grants.join(", ")} and must be scoped to snapshot ARNs named "${prefix}*"`,
        );
      }
    }
  }
}

export const rdsSnapshotAttributeScoped: ResourceValidationPolicy = {
  name: "rds-snapshot-attribute-scoped",
  description:
    "Checks whether IAM statements that let a principal share RDS snapshots (Modify*SnapshotAttribute) are scoped to the program's managed snapshots.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      managedSnapshotPrefix: {
        type: "string",
        minLength: 1,
        default: SNAPSHOT_ATTRIBUTE_DEFAULTS.managedSnapshotPrefix,
        description: "Name prefix of the snapshots the program manages.",
      },
    },
  },
  validateResource: [
    validateResourceOfType(aws.iam.Policy, (p, args, report) =>
      checkSharingStatements(
        [p.policy],
        configWithDefaults(args, SNAPSHOT_ATTRIBUTE_DEFAULTS).managedSnapshotPrefix,
        report,
      ),
    ),
    validateResourceOfType(aws.iam.RolePolicy, (p, args, report) =>
      checkSharingStatements(
        [p.policy],
        configWithDefaults(args, SNAPSHOT_ATTRIBUTE_DEFAULTS).managedSnapshotPrefix,
        report,
      ),
    ),
    validateResourceOfType(aws.iam.Role, (role, args, report) =>
      checkSharingStatements(
        asArray(role.inlinePolicies).map((p) => p.policy),
        configWithDefaults(args, SNAPSHOT_ATTRIBUTE_DEFAULTS).managedSnapshotPrefix,
        report,
      ),
    ),
  ],
};
