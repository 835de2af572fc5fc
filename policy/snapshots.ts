// Snapshots leave the prod account only towards the failsafe account, and never publicly
// (`all` in the restore attribute, RDS USER_ShareSnapshot).
import * as aws from "@pulumi/aws";
import {
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { statementsOf } from "./documents";
import { grantedActions, pins, type Statement, STRING_PINNING_OPERATORS } from "./iam-document";
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
  statements: readonly Statement[],
  prefix: string,
  reportViolation: ReportViolation,
): void {
  for (const statement of statements) {
    const grants = grantedActions(statement, SHARING_ACTIONS);
    if (grants.length === 0) continue;
    if (!scopedToManaged(statement, prefix)) {
      reportViolation(
        `${statement.label} allows ${grants.join(", ")} and must be scoped to snapshot ARNs named "${prefix}*"`,
      );
    }
  }
}

/** Every resource of the statement is a `failsafe-…` DB or cluster snapshot ARN. */
function scopedToManaged(statement: Statement, prefix: string): boolean {
  return (
    statement.notResources.length === 0 &&
    statement.resources.length > 0 &&
    statement.resources.every((r) => isManagedSnapshotArn(r, prefix))
  );
}

/** Statements of the known identity documents a resource carries (policy/documents.ts). */
function identityStatements(args: ResourceValidationArgs): Statement[] {
  return statementsOf(args.type, args.props, ["identity"]).flatMap((d) => d.statements);
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
  validateResource: (args, report) =>
    checkSharingStatements(
      identityStatements(args),
      configWithDefaults(args, SNAPSHOT_ATTRIBUTE_DEFAULTS).managedSnapshotPrefix,
      report,
    ),
};

export interface SnapshotWritesConfig {
  managedSnapshotPrefix: string;
  managedTagKey: string;
  managedTagValue: string;
}

export const SNAPSHOT_WRITES_DEFAULTS: SnapshotWritesConfig = {
  managedSnapshotPrefix: SNAPSHOT_ATTRIBUTE_DEFAULTS.managedSnapshotPrefix,
  // handlers/tags.ts TAG.managed: every copy the program makes carries failsafe:managed=true.
  managedTagKey: "failsafe:managed",
  managedTagValue: "true",
};

/**
 * The actions that destroy, change or share a snapshot, with the resource-tag condition key that applies
 * to each ("Actions, resources, and condition keys for Amazon RDS": rds:snapshot-tag/${TagKey}
 * for DB snapshots, rds:cluster-snapshot-tag/${TagKey} for cluster snapshots).
 */
export const SNAPSHOT_WRITE_ACTIONS: readonly { action: string; tagKeyPrefix: string }[] = [
  { action: "rds:DeleteDBSnapshot", tagKeyPrefix: "rds:snapshot-tag/" },
  { action: "rds:ModifyDBSnapshotAttribute", tagKeyPrefix: "rds:snapshot-tag/" },
  // Upgrades a snapshot's engine or changes its option group: a copy no longer as it was taken.
  { action: "rds:ModifyDBSnapshot", tagKeyPrefix: "rds:snapshot-tag/" },
  { action: "rds:DeleteDBClusterSnapshot", tagKeyPrefix: "rds:cluster-snapshot-tag/" },
  { action: "rds:ModifyDBClusterSnapshotAttribute", tagKeyPrefix: "rds:cluster-snapshot-tag/" },
];

export const rdsSnapshotWritesManaged: ResourceValidationPolicy = {
  name: "rds-snapshot-writes-managed",
  description:
    "Checks whether every IAM statement that lets a principal delete, modify or share RDS snapshots is scoped to the program's managed snapshot names and requires the managed tag (rds:snapshot-tag / rds:cluster-snapshot-tag condition), so a function can never delete or share a snapshot it did not make.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      managedSnapshotPrefix: {
        type: "string",
        minLength: 1,
        default: SNAPSHOT_WRITES_DEFAULTS.managedSnapshotPrefix,
        description: "Name prefix of the snapshots the program manages.",
      },
      managedTagKey: {
        type: "string",
        minLength: 1,
        default: SNAPSHOT_WRITES_DEFAULTS.managedTagKey,
        description: "Tag key every managed snapshot carries.",
      },
      managedTagValue: {
        type: "string",
        minLength: 1,
        default: SNAPSHOT_WRITES_DEFAULTS.managedTagValue,
        description: "Value of that tag.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const config = configWithDefaults(args, SNAPSHOT_WRITES_DEFAULTS);
    for (const statement of identityStatements(args)) {
      const granted = SNAPSHOT_WRITE_ACTIONS.filter(
        ({ action }) => grantedActions(statement, [action]).length > 0,
      );
      if (granted.length === 0) continue;
      const names = granted.map((g) => g.action).join(", ");
      if (!scopedToManaged(statement, config.managedSnapshotPrefix)) {
        reportViolation(
          `${statement.label} allows ${names} and must be scoped to snapshot ARNs named "${config.managedSnapshotPrefix}*" (not ${[...statement.resources, ...statement.notResources.map((r) => `NotResource ${r}`)].join(", ") || "no Resource"})`,
        );
      }
      const untagged = granted.filter(
        ({ tagKeyPrefix }) =>
          !pins(
            statement,
            `${tagKeyPrefix}${config.managedTagKey}`,
            STRING_PINNING_OPERATORS,
            (v) => v === config.managedTagValue,
          ),
      );
      for (const key of [...new Set(untagged.map((g) => g.tagKeyPrefix))]) {
        const actions = untagged.filter((g) => g.tagKeyPrefix === key).map((g) => g.action);
        reportViolation(
          `${statement.label} allows ${actions.join(", ")} and must require the managed tag (StringEquals ${key}${config.managedTagKey}: "${config.managedTagValue}")`,
        );
      }
    }
  },
};
