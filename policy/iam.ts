// Least privilege for every IAM document the program creates (issue 4: no wildcard actions, no
// Resource "*" outside an explicit allow-list, no AWS-managed full-access/admin policy, no inline
// admin statement). Trust policies (`assumeRolePolicy`) are not permission grants and are skipped.
import * as aws from "@pulumi/aws";
import {
  type ReportViolation,
  type ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { hasWildcard, isAllResources, parsePolicyDocument, type Statement } from "./iam-document";
import { asArray } from "./util";

/**
 * Actions allowed with `Resource: "*"`. Source: AWS Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/), the "Resource types"
 * column of each service's actions table. Keys are lower case: IAM action names are
 * case-insensitive. Add an action only with the row that justifies it.
 */
export const RESOURCE_WILDCARD_ALLOWED_ACTIONS: ReadonlyMap<string, string> = new Map([
  // No resource type at all: AWS only accepts "*".
  ["rds:describeaccountattributes", "list_amazonrds: no resource type (snapshot quota usage)"],
  [
    "cloudwatch:putmetricdata",
    "list_amazoncloudwatch: no resource type; narrow it with the cloudwatch:namespace condition",
  ],
  ["sts:getcalleridentity", "list_awssecuritytokenservice: no resource type"],
  ["kms:listkeys", "list_awskeymanagementservice: no resource type"],
  ["kms:listaliases", "list_awskeymanagementservice: no resource type"],
  [
    "rds:describeorderabledbinstanceoptions",
    "list_amazonrds: no resource type (restore drills: the smallest instance class of an engine)",
  ],
  // Only optional resource types (db/snapshot, cluster/cluster-snapshot), and the handlers call
  // them without an identifier to list snapshots shared from the other account
  // (SnapshotType=shared): there is no snapshot ARN of this account to scope them to.
  // rds:DescribeDBInstances / rds:DescribeDBClusters are NOT here: they take db / cluster ARNs
  // (arn:aws:rds:<region>:<account>:db:*), so a listing call can be scoped to the account.
  ["rds:describedbsnapshots", "list_amazonrds: resource types db, snapshot (optional)"],
  [
    "rds:describedbclustersnapshots",
    "list_amazonrds: resource types cluster, cluster-snapshot (optional)",
  ],
]);

/** An IAM permission document carried by a resource, with how to name it in a message. */
interface PermissionDocument {
  /** "" for the resource's only document, ` of inline policy "name"` for a role's inline one. */
  readonly where: string;
  readonly document: unknown;
}

function rolePolicyDocuments(role: { inlinePolicies?: { name?: string; policy?: string }[] }) {
  return asArray(role.inlinePolicies).map((inline, index): PermissionDocument => ({
    where: ` of inline policy "${inline.name ?? index + 1}"`,
    document: inline.policy,
  }));
}

/** One validation per resource type that carries permission documents. */
function validateDocuments(
  check: (statement: Statement, subject: string, report: (message: string) => void) => void,
) {
  const run = (documents: PermissionDocument[], reportViolation: ReportViolation): void => {
    for (const { where, document } of documents) {
      if (document === undefined || document === null || document === "") continue;
      const statements = parsePolicyDocument(document);
      if (statements === undefined) continue; // reported once, by iamNoWildcardActions
      for (const statement of statements) {
        check(statement, `${statement.label}${where}`, (message) => reportViolation(message));
      }
    }
  };
  return [
    validateResourceOfType(aws.iam.Policy, (policy, _args, report) =>
      run([{ where: "", document: policy.policy }], report),
    ),
    validateResourceOfType(aws.iam.RolePolicy, (policy, _args, report) =>
      run([{ where: "", document: policy.policy }], report),
    ),
    validateResourceOfType(aws.iam.Role, (role, _args, report) =>
      run(rolePolicyDocuments(role), report),
    ),
  ];
}

export const iamNoWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description:
    "Checks whether IAM permission documents allow wildcard actions (`*`, `service:*`, `rds:Delete*`) or use NotAction in an Allow.",
  enforcementLevel: "mandatory",
  validateResource: [
    ...validateDocuments((statement, subject, report) => {
      if (statement.effect !== "Allow") return;
      for (const action of statement.actions) {
        if (hasWildcard(action)) {
          report(`${subject} must not allow the wildcard action "${action}"`);
        }
      }
      if (statement.notActions.length > 0) {
        report(`${subject} must not use NotAction in an Allow statement`);
      }
    }),
    // A document that does not parse cannot be checked by any IAM policy: say so once, here.
    validateResourceOfType(aws.iam.Policy, (policy, _args, report) =>
      reportUnparsable([{ where: "", document: policy.policy }], report),
    ),
    validateResourceOfType(aws.iam.RolePolicy, (policy, _args, report) =>
      reportUnparsable([{ where: "", document: policy.policy }], report),
    ),
    validateResourceOfType(aws.iam.Role, (role, _args, report) =>
      reportUnparsable(rolePolicyDocuments(role), report),
    ),
  ],
};

function reportUnparsable(documents: PermissionDocument[], report: ReportViolation): void {
  for (const { where, document } of documents) {
    if (document === undefined || document === null || document === "") continue;
    if (parsePolicyDocument(document) === undefined) {
      report(`Policy document${where} must be a JSON IAM policy with a Statement`);
    }
  }
}

export const iamNoResourceWildcard: ResourceValidationPolicy = {
  name: "iam-no-resource-wildcard",
  description:
    'Checks whether IAM permission documents grant actions on Resource "*" (or NotResource) other than the actions AWS does not scope by resource.',
  enforcementLevel: "mandatory",
  validateResource: validateDocuments((statement, subject, report) => {
    if (statement.effect !== "Allow") return;
    if (statement.notResources.length > 0) {
      report(`${subject} must not use NotResource in an Allow statement`);
    }
    if (!statement.resources.some(isAllResources)) return;
    const scopable = [
      ...statement.actions,
      ...statement.notActions.map((a) => `NotAction ${a}`),
    ].filter((action) => !RESOURCE_WILDCARD_ALLOWED_ACTIONS.has(action.toLowerCase()));
    if (scopable.length > 0) {
      report(`${subject} must not grant ${scopable.join(", ")} on Resource "*" (scope it to ARNs)`);
    }
  }),
};

export const iamNoInlineAdmin: ResourceValidationPolicy = {
  name: "iam-no-inline-admin",
  description:
    'Checks whether IAM permission documents contain an administrator statement (Allow Action "*" on Resource "*").',
  enforcementLevel: "mandatory",
  validateResource: validateDocuments((statement, subject, report) => {
    if (statement.effect !== "Allow") return;
    const everyAction =
      statement.actions.some((a) => a === "*" || a === "*:*") || statement.notActions.length > 0;
    const everyResource =
      statement.resources.some(isAllResources) || statement.notResources.length > 0;
    if (everyAction && everyResource) {
      report(`${subject} must not grant administrator access (every action on every resource)`);
    }
  }),
};

/**
 * AWS-managed policies that grant a whole service or the account: `*FullAccess*`,
 * `AdministratorAccess*`, `PowerUserAccess`, the job-function administrator policies, and
 * `*PowerUser` (e.g. AmazonCognitoPowerUser, which CallbackFunction attaches without a role).
 */
export function isBroadManagedPolicy(arn: string): boolean {
  const match = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!match) return false;
  const name = match[1]!;
  return (
    /FullAccess/i.test(name) ||
    /^AdministratorAccess/i.test(name) ||
    /PowerUser/i.test(name) ||
    /Administrator$/i.test(name)
  );
}

function checkManagedArns(arns: unknown[], report: ReportViolation): void {
  for (const arn of arns) {
    if (typeof arn === "string" && isBroadManagedPolicy(arn)) {
      report(
        `Attached policy "${arn}" must not be an AWS-managed full-access or administrator policy`,
      );
    }
  }
}

export const iamNoBroadManagedPolicies: ResourceValidationPolicy = {
  name: "iam-no-broad-managed-policies",
  description:
    "Checks whether an AWS-managed *FullAccess, AdministratorAccess, PowerUser or administrator job-function policy is attached to a role.",
  enforcementLevel: "mandatory",
  validateResource: [
    validateResourceOfType(aws.iam.RolePolicyAttachment, (a, _args, report) =>
      checkManagedArns([a.policyArn], report),
    ),
    validateResourceOfType(aws.iam.PolicyAttachment, (a, _args, report) =>
      checkManagedArns([a.policyArn], report),
    ),
    validateResourceOfType(aws.iam.RolePolicyAttachmentsExclusive, (a, _args, report) =>
      checkManagedArns(asArray(a.policyArns), report),
    ),
    validateResourceOfType(aws.iam.Role, (role, _args, report) =>
      checkManagedArns(asArray(role.managedPolicyArns), report),
    ),
  ],
};
