// The vault and transit keys decide whether the failsafe copies stay readable (DESIGN.md).
import * as aws from "@pulumi/aws";
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import {
  ACCOUNTS_CONFIG_PROPERTIES,
  type AccountsConfig,
  type ProgramAccounts,
  programAccounts,
} from "./accounts";
import { documentsOf, isUnknown, statementsOf } from "./documents";
import {
  ARN_PINNING_OPERATORS,
  type ConditionClause,
  coversAction,
  grantedActions,
  hasWildcard,
  isEveryone,
  isServiceEndpoint,
  parsePolicyDocument,
  pins,
  principalAccount,
  type Statement,
  STRING_PINNING_OPERATORS,
} from "./iam-document";
import { SAVE_SIDE_TYPE, sideOf } from "./stack";
import {
  asArray,
  configWithDefaults,
  decodeJson,
  knownString,
  readKnown,
  referencedResources,
  typeChain,
  UNKNOWN,
} from "./util";

/** AWS's default and maximum pending window for ScheduleKeyDeletion (KMS API, PendingWindowInDays). */
export const AWS_DEFAULT_DELETION_WINDOW_DAYS = 30;

export interface KmsDeletionWindowConfig {
  minimumDeletionWindowInDays: number;
}

export const KMS_DELETION_WINDOW_DEFAULTS: KmsDeletionWindowConfig = {
  minimumDeletionWindowInDays: 30,
};

export const kmsKeyRotationEnabled: ResourceValidationPolicy = {
  name: "kms-key-rotation-enabled",
  description: "Checks whether every symmetric KMS key has automatic key rotation enabled.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    // Automatic rotation exists only for symmetric encryption keys (KMS "Rotating keys").
    const spec = key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (spec !== "SYMMETRIC_DEFAULT") {
      args.notApplicable(`Key spec ${spec} does not support automatic rotation`);
    }
    if (key.enableKeyRotation !== true) {
      reportViolation("KMS key must have enableKeyRotation set to true");
    }
  }),
};

export const kmsKeyDeletionWindow: ResourceValidationPolicy = {
  name: "kms-key-deletion-window",
  description:
    "Checks whether every KMS key's deletion window is at least the configured minimum (default 30 days).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimumDeletionWindowInDays: {
        type: "integer",
        minimum: 7,
        maximum: 30,
        default: KMS_DELETION_WINDOW_DEFAULTS.minimumDeletionWindowInDays,
        description: "Smallest deletionWindowInDays accepted (KMS allows 7 to 30).",
      },
    },
  },
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    const { minimumDeletionWindowInDays: minimum } = configWithDefaults(
      args,
      KMS_DELETION_WINDOW_DEFAULTS,
    );
    const window = key.deletionWindowInDays ?? AWS_DEFAULT_DELETION_WINDOW_DAYS;
    if (window < minimum) {
      reportViolation(
        `KMS key must have deletionWindowInDays of at least ${minimum} (is ${window}${key.deletionWindowInDays === undefined ? ", the AWS default" : ""})`,
      );
    }
  }),
};

// ---------------------------------------------------------------------------------------------
// Key policies. A key policy is the only thing that decides who may use or destroy a key: IAM
// policies count only through it (KMS "Key policies in AWS KMS"). The threat model (DESIGN.md)
// is an admin of a prod account: nothing running in prod may make the failsafe copies
// unreadable, and nothing outside RDS may use the keys across accounts.

const KEY = "aws:kms/key:Key";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";
const ALIAS = "aws:kms/alias:Alias";
const MESSAGING_TYPE = "rds-failsafe:messaging:Messaging";

/** Actions that would make the vault's copies unreadable or hand the key to someone else. */
export const VAULT_DESTRUCTIVE_ACTIONS = [
  "kms:ScheduleKeyDeletion",
  "kms:DisableKey",
  "kms:PutKeyPolicy",
];

/** Cryptographic use of a key (KMS "Permissions reference": the cryptographic operations). */
export const KMS_USE_ACTIONS = [
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DeriveSharedSecret",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyPair",
  "kms:GenerateDataKeyPairWithoutPlaintext",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:GenerateMac",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:Sign",
  "kms:Verify",
  "kms:VerifyMac",
];

/**
 * What another account may do with a key through RDS: copying an encrypted snapshot shared from
 * another account needs Decrypt, DescribeKey, ReEncrypt* and CreateGrant for RDS
 * (RDS "Sharing encrypted snapshots", "Allowing access to an AWS KMS key").
 */
export const CROSS_ACCOUNT_RDS_ACTIONS = [
  "kms:CreateGrant",
  "kms:Decrypt",
  "kms:DescribeKey",
  "kms:Encrypt",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
];

/** What a publisher in another account needs of an encrypted topic's key (SNS "Key management"). */
export const CROSS_ACCOUNT_SNS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"];

/** The prod roles that publish hand-offs (components/names.ts handoffPublishers). */
export const HANDOFF_PUBLISHER_ROLE_NAMES = ["rds-failsafe-share", "rds-failsafe-prod-sweep"];

function isKeyDocumentCarrier(type: string): boolean {
  return type === KEY || type === KEY_POLICY;
}

/** The single account a provider pins (allowedAccountIds), if known. */
export function providerAccount(provider: { props: Record<string, unknown> } | undefined) {
  if (provider === undefined) return undefined;
  const raw = readKnown(() => provider.props["allowedAccountIds"]);
  if (raw === UNKNOWN) return undefined;
  const allowed = asArray(decodeJson(raw) as string[] | undefined);
  return allowed.length === 1 && typeof allowed[0] === "string" ? allowed[0] : undefined;
}

/**
 * The account a key lives in: its provider's only allowed account, else the side's account from
 * the policy config (the save side's failsafe account; the copy side's prod account when one).
 */
function keyAccount(
  urn: string,
  provider: { props: Record<string, unknown> } | undefined,
  accounts: ProgramAccounts,
): string | undefined {
  const pinned = providerAccount(provider);
  if (pinned !== undefined) return pinned;
  const side = sideOf(urn);
  if (side === "save") return accounts.failsafe;
  if (side === "copy" && accounts.prod.length === 1) return accounts.prod[0];
  return undefined;
}

/** "account 222222222222", "accounts 1…, 2…" or "every account". */
function describeAccounts(accounts: readonly string[]): string {
  if (accounts.includes("*")) return "every account";
  return `${accounts.length === 1 ? "account" : "accounts"} ${accounts.join(", ")}`;
}

export const kmsKeyPolicyNoWildcards: ResourceValidationPolicy = {
  name: "kms-key-policy-no-wildcards",
  description:
    "Checks whether a KMS key policy allows a wildcard action (`kms:*`, `kms:Create*`) or uses NotAction in an Allow, to any principal, so that every right a key policy gives is listed.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (!isKeyDocumentCarrier(args.type)) return;
    for (const { document } of documentsOf(args.type, args.props)) {
      if (isUnknown(document)) continue; // policy-documents-known-at-preview reports it
      const statements = parsePolicyDocument(document);
      if (statements === undefined) {
        reportViolation("Key policy must be a JSON policy document with a Statement");
        continue;
      }
      for (const statement of statements) {
        if (statement.effect !== "Allow") continue;
        for (const action of statement.actions.filter(hasWildcard)) {
          reportViolation(
            `${statement.label} of the key policy must not allow the wildcard action "${action}" (list the actions one by one)`,
          );
        }
        if (statement.notActions.length > 0) {
          reportViolation(
            `${statement.label} of the key policy must not use NotAction in an Allow`,
          );
        }
      }
    }
  },
};

export interface CrossAccountKeyConfig extends AccountsConfig {
  handoffPublisherRoleNames: string[];
}

export const kmsKeyCrossAccountThroughRds: ResourceValidationPolicy = {
  name: "kms-key-cross-account-through-rds",
  description:
    "Checks whether every key policy statement that lets another account (or every account) use a key limits it to use through RDS (kms:ViaService) by the account it names (kms:CallerAccount), grants only for AWS resources, and otherwise only SNS publishing by the prod hand-off roles (kms:ViaService sns, aws:PrincipalArn).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ...ACCOUNTS_CONFIG_PROPERTIES,
      handoffPublisherRoleNames: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: HANDOFF_PUBLISHER_ROLE_NAMES,
        description:
          "Role names, in each prod account, that may use the failsafe messaging key through SNS.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!isKeyDocumentCarrier(args.type)) return;
    const accounts = programAccounts(args);
    const { handoffPublisherRoleNames } = configWithDefaults<CrossAccountKeyConfig>(args, {
      handoffPublisherRoleNames: HANDOFF_PUBLISHER_ROLE_NAMES,
    });
    const own = keyAccount(args.urn, args.provider, accounts);
    const known = [
      ...(accounts.failsafe === undefined ? [] : [accounts.failsafe]),
      ...accounts.prod,
    ];
    for (const { statements } of statementsOf(args.type, args.props, ["key"])) {
      for (const statement of statements) {
        if (statement.effect !== "Allow") continue;
        const subject = `${statement.label} of the key policy`;
        if (statement.notPrincipals.length > 0) {
          reportViolation(
            `${subject} must not use NotPrincipal in an Allow (it names every other account)`,
          );
          continue;
        }
        const named = [
          ...new Set(
            statement.principals.map(principalAccount).filter((a): a is string => a !== undefined),
          ),
        ];
        if (named.length === 0) continue; // service principals: not an account
        if (own === undefined) {
          reportViolation(
            `${subject} names ${describeAccounts(named)}, but the key's own account is unknown: give its aws.Provider allowedAccountIds`,
          );
          continue;
        }
        const foreign = named.filter((a) => a !== own);
        if (foreign.length === 0) continue;
        const strangers = foreign.filter(
          (a) => a !== "*" && known.length > 0 && !known.includes(a),
        );
        if (strangers.length > 0) {
          reportViolation(
            `${subject} names ${describeAccounts(strangers)}, which is neither the failsafe account nor a prod account of the policy config`,
          );
        }
        const who = describeAccounts(foreign);
        const throughSns = pins(statement, "kms:ViaService", STRING_PINNING_OPERATORS, (v) =>
          isServiceEndpoint("sns", v),
        );
        if (throughSns) {
          const allowedRoles = (arn: string): boolean => {
            const match = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(arn);
            if (match === null || hasWildcard(arn)) return false;
            const [, account, name] = match;
            const accountOk = foreign.includes("*")
              ? accounts.prod.includes(account!)
              : foreign.includes(account!) &&
                (accounts.prod.length === 0 || accounts.prod.includes(account!));
            return accountOk && handoffPublisherRoleNames.includes(name!);
          };
          if (!pins(statement, "aws:PrincipalArn", ARN_PINNING_OPERATORS, allowedRoles)) {
            reportViolation(
              `${subject} lets ${who} use the key through SNS and must pin aws:PrincipalArn (ArnEquals) to the prod hand-off publisher roles (${handoffPublisherRoleNames.join(", ")})`,
            );
          }
          const extra = extraActions(statement, CROSS_ACCOUNT_SNS_ACTIONS);
          if (extra.length > 0) {
            reportViolation(
              `${subject} lets ${who} use the key through SNS and must allow only ${CROSS_ACCOUNT_SNS_ACTIONS.join(", ")} (not ${extra.join(", ")})`,
            );
          }
          continue;
        }
        if (
          !pins(statement, "kms:ViaService", STRING_PINNING_OPERATORS, (v) =>
            isServiceEndpoint("rds", v),
          )
        ) {
          reportViolation(
            `${subject} lets ${who} use the key and must limit it to use through RDS (StringEquals kms:ViaService rds.<region>.amazonaws.com)`,
          );
        }
        const callers = foreign.includes("*") ? known.filter((a) => a !== own) : foreign;
        if (
          !pins(statement, "kms:CallerAccount", STRING_PINNING_OPERATORS, (v) =>
            callers.includes(v),
          )
        ) {
          reportViolation(
            `${subject} lets ${who} use the key and must pin kms:CallerAccount (StringEquals) to ${callers.length > 0 ? callers.join(", ") : "the account it names"}`,
          );
        }
        const extra = extraActions(statement, CROSS_ACCOUNT_RDS_ACTIONS);
        if (extra.length > 0) {
          reportViolation(
            `${subject} lets ${who} use the key and must allow only ${CROSS_ACCOUNT_RDS_ACTIONS.join(", ")} (not ${extra.join(", ")})`,
          );
        }
        if (coversAction(statement, "kms:CreateGrant") && !grantsOnlyForAwsResources(statement)) {
          reportViolation(
            `${subject} lets ${who} create grants and must require Bool kms:GrantIsForAWSResource "true"`,
          );
        }
      }
    }
  },
};

/** The statement's actions (or NotAction) beyond `allowed`, for messages. */
function extraActions(statement: Statement, allowed: readonly string[]): string[] {
  const lower = new Set(allowed.map((a) => a.toLowerCase()));
  return [
    ...statement.actions.filter((a) => !lower.has(a.toLowerCase())),
    ...statement.notActions.map((a) => `NotAction ${a}`),
  ];
}

/** `Bool: { "kms:GrantIsForAWSResource": "true" }` (KMS condition keys). */
export function grantsOnlyForAwsResources(statement: Statement): boolean {
  return pins(statement, "kms:GrantIsForAWSResource", ["Bool"], (v) => v.toLowerCase() === "true");
}

export interface VaultKeyConfig {
  /** The only principal that may delete, disable or re-policy the vault key. */
  breakGlassPrincipalArn?: string;
  /** The vault key's alias (components/names.ts NAMES.keyAlias.vault). */
  vaultKeyAlias: string;
  failsafeAccountId?: string;
}

export const VAULT_KEY_DEFAULTS: VaultKeyConfig = { vaultKeyAlias: "alias/rds-failsafe-vault" };

/**
 * The vault keys of a stack: every key an aws.kms.Alias named `alias` points at (matched through
 * Pulumi's property dependencies, known in a preview, or the key id/ARN), and every key of the
 * save side outside its messaging component. Either signal alone makes a key a vault key, so
 * renaming the alias, re-pointing it, or moving the key out of the component does not make the
 * key unchecked.
 */
export function vaultKeys(resources: readonly PolicyResource[], alias: string): PolicyResource[] {
  const keys = resources.filter((r) => r.type === KEY);
  const found = new Set<PolicyResource>();
  for (const a of resources.filter((r) => r.type === ALIAS && knownString(r, "name") === alias)) {
    for (const key of referencedResources(
      a,
      "targetKeyId",
      keys,
      (value, key) => value === knownString(key, "keyId") || value === knownString(key, "arn"),
    )) {
      found.add(key);
    }
  }
  for (const key of keys) {
    if (sideOf(key.urn) === "save" && !typeChain(key.urn).includes(MESSAGING_TYPE)) found.add(key);
  }
  return [...found];
}

/** Why a Deny statement does not deny `action` to all but `breakGlass`, or undefined if it does. */
function denyProblem(
  statement: Statement,
  breakGlass: string,
  allowedExtra: (clause: ConditionClause) => boolean = () => false,
): string | undefined {
  if (statement.notPrincipals.length > 0) return "uses NotPrincipal";
  if (!statement.principals.some(isEveryone)) return 'does not apply to Principal "*"';
  if (statement.notResources.length > 0 || !statement.resources.includes("*")) {
    return 'does not apply to Resource "*"';
  }
  for (const clause of statement.conditions) {
    if (allowedExtra(clause)) continue;
    const exemptsBreakGlass =
      ["ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike"].includes(
        clause.operator,
      ) && clause.key === "aws:principalarn";
    if (!exemptsBreakGlass) {
      return `is narrowed by the condition ${clause.operator} ${clause.key}`;
    }
    if (clause.values.length !== 1 || clause.values[0] !== breakGlass) {
      return `exempts ${clause.values.join(", ")} instead of only ${breakGlass}`;
    }
  }
  return undefined;
}

/** Principals of an Allow that are exactly the break-glass principal. */
function onlyBreakGlass(statement: Statement, breakGlass: string): boolean {
  return (
    statement.notPrincipals.length === 0 &&
    statement.principals.length > 0 &&
    statement.principals.every((p) => p.kind === "AWS" && p.value === breakGlass)
  );
}

function describePrincipals(statement: Statement): string {
  if (statement.notPrincipals.length > 0) return "every principal but some (NotPrincipal)";
  return statement.principals.map((p) => (isEveryone(p) ? "*" : p.value)).join(", ") || "nobody";
}

export const kmsVaultKeyProtected: StackValidationPolicy = {
  name: "kms-vault-key-protected",
  description:
    "Checks whether the vault key's policy denies deleting, disabling and re-writing it, and grants not for AWS resources, to every principal but the break-glass principal, allows those actions to nobody else, and lets its own account use it only through RDS.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      breakGlassPrincipalArn: {
        type: "string",
        pattern: "^arn:[^:*?]+:iam::[0-9]{12}:[^*?]+$",
        description:
          "The only principal that may schedule deletion of, disable or change the policy of the vault key (no wildcards).",
      },
      vaultKeyAlias: {
        type: "string",
        pattern: "^alias/",
        default: VAULT_KEY_DEFAULTS.vaultKeyAlias,
        description: "The vault key's alias: the key it points at is a vault key.",
      },
      failsafeAccountId: ACCOUNTS_CONFIG_PROPERTIES.failsafeAccountId,
    },
  },
  validateStack: (args, reportViolation) => {
    const config = configWithDefaults(args, VAULT_KEY_DEFAULTS);
    const saveSides = args.resources.filter((r) => r.type === SAVE_SIDE_TYPE);
    const aliased = args.resources.some(
      (r) => r.type === ALIAS && knownString(r, "name") === config.vaultKeyAlias,
    );
    for (const side of saveSides) {
      if (!aliased) {
        reportViolation(
          `The save side must give its vault key the alias ${config.vaultKeyAlias} (no aws.kms.Alias of that name)`,
          side.urn,
        );
      }
    }
    const keyPolicies = args.resources.filter((r) => r.type === KEY_POLICY);
    for (const key of vaultKeys(args.resources, config.vaultKeyAlias)) {
      const breakGlass = config.breakGlassPrincipalArn;
      if (breakGlass === undefined || breakGlass === "" || hasWildcard(breakGlass)) {
        reportViolation(
          "Policy config breakGlassPrincipalArn must be set (an ARN without wildcards) for kms-vault-key-protected to check the vault key",
          key.urn,
        );
        continue;
      }
      const failsafe = config.failsafeAccountId ?? providerAccount(key.provider);
      const replacing = keyPolicies.filter(
        (p) =>
          referencedResources(
            p,
            "keyId",
            [key],
            (value) => value === knownString(key, "keyId") || value === knownString(key, "arn"),
          ).length > 0,
      );
      const documents = [key, ...replacing].flatMap((carrier) =>
        documentsOf(carrier.type, carrier.props).map((d) => ({ carrier, document: d.document })),
      );
      if (documents.length === 0) {
        reportViolation(
          "Vault key must have a key policy (without one, AWS's default key policy lets the account do everything with it)",
          key.urn,
        );
      }
      for (const { carrier, document } of documents) {
        if (isUnknown(document)) continue; // policy-documents-known-at-preview reports it
        const statements = parsePolicyDocument(document);
        const where =
          carrier === key
            ? "Vault key policy"
            : `Vault key policy (aws.kms.KeyPolicy "${carrier.name}")`;
        if (statements === undefined) {
          reportViolation(`${where} must be a JSON policy document with a Statement`, carrier.urn);
          continue;
        }
        for (const message of vaultProblems(statements, breakGlass, failsafe)) {
          reportViolation(`${where} ${message}`, carrier.urn);
        }
      }
    }
  },
};

/** What a vault key policy lacks or allows too much, as message tails. */
export function vaultProblems(
  statements: readonly Statement[],
  breakGlass: string,
  failsafe: string | undefined,
): string[] {
  const problems: string[] = [];
  const denies = statements.filter((s) => s.effect === "Deny");
  for (const action of VAULT_DESTRUCTIVE_ACTIONS) {
    const covering = denies.filter((s) => coversAction(s, action));
    const reasons = covering.map((s) => ({ s, problem: denyProblem(s, breakGlass) }));
    if (!reasons.some((r) => r.problem === undefined)) {
      const why =
        reasons.length === 0
          ? "no Deny lists it"
          : reasons.map((r) => `${r.s.label} ${r.problem!}`).join("; ");
      problems.push(
        `must deny ${action} to every principal but the break-glass principal ${breakGlass} (Deny, Principal "*", Resource "*", only ArnNotEquals aws:PrincipalArn ${breakGlass}): ${why}`,
      );
    }
  }
  const grantIsNotForAws = (clause: ConditionClause) =>
    ["Bool", "BoolIfExists"].includes(clause.operator) &&
    clause.key === "kms:grantisforawsresource" &&
    clause.values.length === 1 &&
    clause.values[0]!.toLowerCase() === "false";
  const grantDenies = denies
    .filter((s) => coversAction(s, "kms:CreateGrant"))
    .map((s) => ({ s, problem: denyProblem(s, breakGlass, grantIsNotForAws) }));
  if (!grantDenies.some((r) => r.problem === undefined)) {
    const why =
      grantDenies.length === 0
        ? "no Deny lists it"
        : grantDenies.map((r) => `${r.s.label} ${r.problem!}`).join("; ");
    problems.push(
      `must deny kms:CreateGrant of grants not for AWS resources (Bool kms:GrantIsForAWSResource "false") to every principal but the break-glass principal ${breakGlass}: ${why}`,
    );
  }
  for (const statement of statements) {
    if (statement.effect !== "Allow" || onlyBreakGlass(statement, breakGlass)) continue;
    const who = describePrincipals(statement);
    const destructive = grantedActions(statement, VAULT_DESTRUCTIVE_ACTIONS);
    if (destructive.length > 0) {
      problems.push(
        `${statement.label} allows ${destructive.join(", ")} to ${who}: only the break-glass principal ${breakGlass} may have them`,
      );
    }
    const use = grantedActions(statement, KMS_USE_ACTIONS);
    if (use.length === 0) continue;
    const throughRds = pins(statement, "kms:ViaService", STRING_PINNING_OPERATORS, (v) =>
      isServiceEndpoint("rds", v),
    );
    const caller =
      failsafe !== undefined &&
      pins(statement, "kms:CallerAccount", STRING_PINNING_OPERATORS, (v) => v === failsafe);
    if (!throughRds || !caller) {
      problems.push(
        `${statement.label} lets ${who} use the key (${use.join(", ")}) and must limit that to RDS: StringEquals kms:ViaService rds.<region>.amazonaws.com and kms:CallerAccount ${failsafe ?? "<failsafe account>"}`,
      );
    }
    if (use.includes("kms:CreateGrant") && !grantsOnlyForAwsResources(statement)) {
      problems.push(
        `${statement.label} lets ${who} create grants and must require Bool kms:GrantIsForAWSResource "true"`,
      );
    }
  }
  return problems;
}
