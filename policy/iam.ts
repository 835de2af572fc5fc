// Least privilege for every IAM document the program creates (issue 4: no wildcard actions, no
// Resource "*" outside an explicit allow-list, no AWS-managed full-access/admin policy, no inline
// admin statement). Trust policies (`assumeRolePolicy`) are not permission grants and are skipped.
import * as aws from "@pulumi/aws";
import {
  type ReportViolation,
  type ResourceValidation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { type CarriedDocument, documentsOf, isUnknown } from "./documents";
import {
  coversAction,
  grantedActions,
  hasWildcard,
  isAllResources,
  isServiceEndpoint,
  parsePolicyDocument,
  pins,
  type Statement,
  STRING_PINNING_OPERATORS,
} from "./iam-document";
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

/** The identity documents a resource carries, known ones only (see policy/documents.ts). */
function knownIdentityDocuments(args: ResourceValidationArgs): CarriedDocument[] {
  return documentsOf(args.type, args.props).filter(
    (d) => d.kind === "identity" && !isUnknown(d.document),
  );
}

/**
 * A validation of every statement of every identity document (aws.iam.Policy, RolePolicy,
 * Role.inlinePolicies) a resource carries. Documents not known yet are skipped here and counted
 * by policy-documents-known-at-preview; unparsable ones are reported once, by
 * iam-no-wildcard-actions.
 */
export function validateIdentityStatements(
  check: (
    statement: Statement,
    subject: string,
    report: (message: string) => void,
    args: ResourceValidationArgs,
  ) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    for (const { where, document } of knownIdentityDocuments(args)) {
      for (const statement of parsePolicyDocument(document) ?? []) {
        check(statement, `${statement.label}${where}`, (message) => reportViolation(message), args);
      }
    }
  };
}

export const iamNoWildcardActions: ResourceValidationPolicy = {
  name: "iam-no-wildcard-actions",
  description:
    "Checks whether IAM permission documents allow wildcard actions (`*`, `service:*`, `rds:Delete*`) or use NotAction in an Allow.",
  enforcementLevel: "mandatory",
  validateResource: [
    validateIdentityStatements((statement, subject, report) => {
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
    (args, report) => {
      for (const { where, document } of knownIdentityDocuments(args)) {
        if (parsePolicyDocument(document) === undefined) {
          report(`Policy document${where} must be a JSON IAM policy with a Statement`);
        }
      }
    },
  ],
};

export const iamNoResourceWildcard: ResourceValidationPolicy = {
  name: "iam-no-resource-wildcard",
  description:
    'Checks whether IAM permission documents grant actions on Resource "*" (or NotResource) other than the actions AWS does not scope by resource.',
  enforcementLevel: "mandatory",
  validateResource: validateIdentityStatements((statement, subject, report) => {
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
  validateResource: validateIdentityStatements((statement, subject, report) => {
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

// ---------------------------------------------------------------------------------------------
// KMS in the functions' roles. A function's role gets only what the handlers call; key
// administration belongs to key policies and break-glass, never to code running in a Lambda
// (issue 10: a prod admin who can change a function's code must not reach the keys through it).

/**
 * KMS actions that change a key, its policy, aliases, grants or lifecycle (KMS "Permissions
 * reference"; the Service Authorization Reference's "Permissions management" and "Write" rows
 * that are not cryptographic operations).
 */
export const KMS_ADMINISTRATION_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:ConnectCustomKeyStore",
  "kms:CreateAlias",
  "kms:CreateCustomKeyStore",
  "kms:CreateKey",
  "kms:DeleteAlias",
  "kms:DeleteCustomKeyStore",
  "kms:DeleteImportedKeyMaterial",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:DisconnectCustomKeyStore",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:ImportKeyMaterial",
  "kms:PutKeyPolicy",
  "kms:ReplicateKey",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:SynchronizeMultiRegionKey",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateCustomKeyStore",
  "kms:UpdateKeyDescription",
  "kms:UpdatePrimaryRegion",
];

export const iamNoKmsAdministration: ResourceValidationPolicy = {
  name: "iam-no-kms-administration",
  description:
    "Checks whether an IAM permission document (the functions' roles) allows a KMS administration action: key policy, deletion, disabling, enabling, aliases, grants revocation, tags, rotation.",
  enforcementLevel: "mandatory",
  validateResource: validateIdentityStatements((statement, subject, report) => {
    const granted = grantedActions(statement, KMS_ADMINISTRATION_ACTIONS);
    if (granted.length > 0) {
      report(
        `${subject} must not allow KMS administration (${granted.join(", ")}): key policies and the break-glass principal administer keys`,
      );
    }
  }),
};

/** KMS actions with no resource to scope and no key to use (Service Authorization Reference). */
const KMS_LISTING_ACTIONS = ["kms:ListAliases", "kms:ListKeys"];

/** Every KMS action an Allow reaches, wildcards and NotAction included, listing ones aside. */
function kmsActionsGranted(statement: Statement): string[] {
  if (statement.effect !== "Allow") return [];
  const listed = statement.actions.filter(
    (a) =>
      (/^kms:/i.test(a) || a === "*" || a === "*:*") &&
      !KMS_LISTING_ACTIONS.some((l) => l.toLowerCase() === a.toLowerCase()),
  );
  const throughNotAction =
    statement.notActions.length > 0 && coversAction(statement, "kms:Decrypt")
      ? ["NotAction (every KMS action)"]
      : [];
  return [...listed, ...throughNotAction];
}

export const iamKmsUseThroughServices: ResourceValidationPolicy = {
  name: "iam-kms-use-through-services",
  description:
    "Checks whether every IAM permission statement that allows a KMS action limits it to use through RDS or SNS (StringEquals kms:ViaService), so a function cannot decrypt or grant with a key directly.",
  enforcementLevel: "mandatory",
  validateResource: validateIdentityStatements((statement, subject, report) => {
    const granted = kmsActionsGranted(statement);
    if (granted.length === 0) return;
    const throughServices = pins(
      statement,
      "kms:ViaService",
      STRING_PINNING_OPERATORS,
      (v) => isServiceEndpoint("rds", v) || isServiceEndpoint("sns", v),
    );
    if (!throughServices) {
      report(
        `${subject} allows ${granted.join(", ")} and must limit it to use through RDS or SNS (StringEquals kms:ViaService rds.<region>.amazonaws.com or sns.<region>.amazonaws.com)`,
      );
    }
  }),
};

export const iamKmsGrantsForAwsResources: ResourceValidationPolicy = {
  name: "iam-kms-grants-for-aws-resources",
  description:
    'Checks whether every IAM permission statement that allows kms:CreateGrant requires Bool kms:GrantIsForAWSResource "true": grants only for an AWS service (RDS copying a snapshot), never to a principal of the caller\'s choosing.',
  enforcementLevel: "mandatory",
  validateResource: validateIdentityStatements((statement, subject, report) => {
    if (statement.effect !== "Allow" || !coversAction(statement, "kms:CreateGrant")) return;
    if (
      !pins(statement, "kms:GrantIsForAWSResource", ["Bool"], (v) => v.toLowerCase() === "true")
    ) {
      report(
        `${subject} allows kms:CreateGrant and must require Bool kms:GrantIsForAWSResource "true"`,
      );
    }
  }),
};
