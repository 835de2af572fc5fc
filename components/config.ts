import { ORG_POLICY_MAX_CHARACTERS, orgGuardScp, policyContent } from "./org-policies";

/**
 * The stack configuration: every key, its default and its check. index.ts reads the raw strings
 * (it is the only place that touches pulumi.Config) and passes them here; everything below is
 * plain code, tested without Pulumi. An error names the key, the bad value and the fix.
 */
import { partitionOf } from "../handlers/partition";
import { NAMES } from "./names";
import { drRegionProblem } from "../handlers/settings";
import { orgScaleProblems } from "./org-limits";
import { checkSchedule, MAX_HEARTBEAT_HOURS } from "./schedule";

export const PROJECT = "rds-failsafe";

/**
 * What a stack builds: the program's sides (`copy`, `save`, `both`), or the roles a deploy of
 * one account needs (`bootstrap-prod`, `bootstrap-failsafe`: components/bootstrap.ts, run once
 * per account by an administrator, before the first deploy).
 */
export type Sides = "copy" | "save" | "both" | "bootstrap-prod" | "bootstrap-failsafe";

export const BOOTSTRAP_SIDES = ["bootstrap-prod", "bootstrap-failsafe"] as const;

export interface StackConfig {
  readonly sides: Sides;
  readonly region: string;
  /** The prod account of this stack's copy side (copy/both); on a save stack, the first of prodAccountIds. */
  readonly prodAccountId: string;
  /** Every prod account the save side accepts (prodAccountId and prodAccountIds together). */
  readonly prodAccountIds: readonly string[];
  readonly failsafeAccountId: string;
  /** Role the prod provider assumes (copy side). */
  readonly prodRoleArn?: string;
  /** Role the failsafe provider assumes (save side). */
  readonly failsafeRoleArn?: string;
  readonly breakGlassPrincipalArn?: string;
  readonly selectionTagKey: string;
  readonly selectionTagValue: string;
  readonly retentionDays: number;
  readonly minCopies: number;
  readonly freezeAfterHours: number;
  readonly rpoHours: number;
  readonly intermediateKeepHours: number;
  readonly prodSweepSchedule: string;
  readonly failsafeSweepSchedule: string;
  readonly logRetentionDays: number;
  readonly notificationEmail?: string;
  readonly notifyOn: "failures" | "all";
  /** Stack reference (org/project/stack) of the failsafe stack, for the copy side. */
  readonly failsafeStack?: string;
  /** Attach the org guard's SCP and RCP to the failsafe account (docs/org-guard.md). */
  readonly orgGuard: boolean;
  /** The organization's management (or delegated administrator) account, for the org guard. */
  readonly managementAccountId?: string;
  /** Role the management-account provider assumes (org guard). */
  readonly managementRoleArn?: string;
  // --- recovery (issue 12): tiered retention and restore drills ---
  /** Weekly tier: the newest copy of each of this many ISO weeks is kept. */
  readonly keepWeekly: number;
  /** Monthly tier: the newest copy of each of this many calendar months is kept. */
  readonly keepMonthly: number;
  /** Run scheduled restore drills (save side). */
  readonly drills: boolean;
  /** EventBridge schedule expression of the drill run. */
  readonly drillSchedule: string;
  /** Drill databases at once at most. */
  readonly drillsPerRun: number;
  /** A lineage without a successful drill for this many days is overdue (alarm). */
  readonly drillMaxAgeDays: number;
  /** Largest DB instance class a drill may use, per engine. */
  readonly drillMaxInstanceClass: Readonly<Record<string, string>>;
  /** DB subnet group of the drill databases (none: the default VPC). */
  readonly drillSubnetGroup?: string;
  /** VPC security groups of the drill databases (none: the VPC's default). */
  readonly drillSecurityGroupIds: readonly string[];
  // --- end recovery ---
  // --- first deploy on a new account pair (issue 15) ---
  /** `email` (notificationEmail is subscribed) or `none` (explicitly: nobody is subscribed). */
  readonly notifications: "email" | "none";
  /** Manual-snapshot quota (per kind) to request through Service Quotas; undefined: none. */
  readonly requestSnapshotQuota?: number;
  /**
   * Name (with optional path) of the managed policy every role the program creates carries as
   * its permissions boundary, in each account; undefined for `permissionsBoundary: none`.
   */
  readonly permissionsBoundary?: string;
  /** Bootstrap: GitHub repository (owner/name) whose workflows may assume the CI roles. */
  readonly githubRepository?: string;
  /** Bootstrap: an existing GitHub OIDC provider of the account (else the bootstrap creates it). */
  readonly githubOidcProviderArn?: string;
  /** Bootstrap: the GitHub environment whose jobs may deploy (default `<prod|failsafe>-deploy`). */
  readonly deployEnvironment: string;
  /** Bootstrap: principals of the account (e.g. an SSO admin role) that may assume both roles. */
  readonly trustedPrincipalArns: readonly string[];
  /**
   * Optional DR region of the save side: every failsafe copy is copied there too. Set it on the
   * failsafe account's bootstrap stack as well (its boundary and deploy role cover that region).
   */
  readonly drRegion?: string;
  // --- operations (components/quota-check.ts) ---
  /** The accounts' manual-snapshot quota per kind and region (RDS default 100), for the check. */
  readonly snapshotQuota: number;
  /** How many databases the stack is expected to protect (0: not checked against the quota). */
  readonly expectedSources: number;
}

export const CONFIG_KEYS = [
  "sides",
  "region",
  "prodAccountId",
  "prodAccountIds",
  "failsafeAccountId",
  "prodRoleArn",
  "failsafeRoleArn",
  "breakGlassPrincipalArn",
  "selectionTagKey",
  "selectionTagValue",
  "retentionDays",
  "minCopies",
  "freezeAfterHours",
  "rpoHours",
  "intermediateKeepHours",
  "prodSweepSchedule",
  "failsafeSweepSchedule",
  "logRetentionDays",
  "notificationEmail",
  "notifyOn",
  "failsafeStack",
  "orgGuard",
  "managementAccountId",
  "managementRoleArn",
  // recovery (issue 12)
  "keepWeekly",
  "keepMonthly",
  "drills",
  "drillSchedule",
  "drillsPerRun",
  "drillMaxAgeDays",
  "drillMaxInstanceClass",
  "drillSubnetGroup",
  "drillSecurityGroupIds",
  // first deploy on a new account pair (issue 15)
  "notifications",
  "requestSnapshotQuota",
  "permissionsBoundary",
  "githubRepository",
  "githubOidcProviderArn",
  "deployEnvironment",
  "trustedPrincipalArns",
  "drRegion",
  "snapshotQuota",
  "expectedSources",
] as const satisfies readonly (keyof StackConfig)[];

export type RawConfig = Partial<Record<(typeof CONFIG_KEYS)[number], string | undefined>>;

/** CloudWatch Logs accepts only these retention periods (PutRetentionPolicy). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid ${PROJECT} configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Validates every key and reports all problems at once, each with the command that fixes it.
 * `present` lists every `rds-failsafe:` key the stack's config holds (without the namespace; what
 * index.ts reads from the engine's config): a key the program does not know is an error naming
 * the closest valid key (a typo such as `retentiondays` would otherwise deploy the default).
 */
export function parseStackConfig(raw: RawConfig, present: readonly string[] = []): StackConfig {
  const problems: string[] = [];
  for (const key of present) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const closest = closestKey(key);
      problems.push(
        `${PROJECT}:${key} is not a configuration key of ${PROJECT}${closest ? `; did you mean ${closest}?` : ""} (the program would ignore it). Fix: pulumi config rm ${PROJECT}:${key}${closest ? ` && pulumi config set ${PROJECT}:${closest} <value>` : ""}`,
      );
    }
  }
  const value = (key: keyof RawConfig) => {
    const v = raw[key]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const bad = (key: keyof RawConfig, why: string, example: string) => {
    const shown = value(key) === undefined ? "(not set)" : JSON.stringify(value(key));
    problems.push(
      `${PROJECT}:${key} = ${shown} ${why}. Fix: pulumi config set ${PROJECT}:${key} ${example}`,
    );
  };
  const text = (key: keyof RawConfig, fallback?: string): string => value(key) ?? fallback ?? "";
  const int = (key: keyof RawConfig, fallback: number, min: number, example: string): number => {
    const v = value(key);
    if (v === undefined) {
      return fallback;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      bad(key, `must be a whole number ≥ ${min}`, example);
      return fallback;
    }
    return n;
  };
  const account = (key: "prodAccountId" | "failsafeAccountId", example: string): string => {
    const v = text(key);
    if (!/^\d{12}$/.test(v)) {
      bad(
        key,
        "must be a 12-digit AWS account id (quote it in YAML to keep leading zeros)",
        example,
      );
    }
    return v;
  };

  const sides = text("sides") as Sides;
  if (!["copy", "save", "both", ...BOOTSTRAP_SIDES].includes(sides)) {
    bad(
      "sides",
      'must be "copy" (prod stack), "save" (failsafe stack) or "both" (or "bootstrap-prod" / "bootstrap-failsafe" for the deploy roles, docs/deploy.md)',
      "copy",
    );
  }
  const copy = sides === "copy" || sides === "both";
  const save = sides === "save" || sides === "both";
  const bootstrap = (BOOTSTRAP_SIDES as readonly string[]).includes(sides);
  const region = text("region");
  const regionOk = /^[a-z]{2}(-[a-z]+)+-\d$/.test(region);
  if (!regionOk) {
    bad("region", "must be an AWS region", "eu-west-1");
  }
  // A save stack may serve many prod accounts (prodAccountIds, a list); a copy stack is one prod
  // account's (prodAccountId). prodAccountId alone keeps working on a save stack.
  const listed = accountList(value("prodAccountIds"));
  if (typeof listed === "string") {
    bad("prodAccountIds", listed, '\'["123456789012","123456789013"]\'');
  }
  const prodAccountIds = [
    ...new Set([
      ...(value("prodAccountId") !== undefined || copy ? [text("prodAccountId")] : []),
      ...(typeof listed === "string" ? [] : listed),
    ]),
  ];
  if (value("prodAccountId") !== undefined || copy || prodAccountIds.length === 0) {
    account("prodAccountId", "123456789012");
  }
  if (copy && typeof listed !== "string" && listed.some((a) => a !== text("prodAccountId"))) {
    bad(
      "prodAccountIds",
      `lists accounts other than prodAccountId, but a sides=${sides} stack copies from prodAccountId only (each prod account runs its own copy stack; list them on the save stack)`,
      text("prodAccountId"),
    );
  }
  const prodAccountId = prodAccountIds[0] ?? "";
  const failsafeAccountId = account("failsafeAccountId", "210987654321");
  if (failsafeAccountId && prodAccountIds.includes(failsafeAccountId)) {
    bad(
      "failsafeAccountId",
      "must differ from every prod account: a copy in the same account protects nothing",
      "<the failsafe account id>",
    );
  }

  const principal = (
    key: "prodRoleArn" | "failsafeRoleArn" | "breakGlassPrincipalArn",
    required: boolean,
    accountId: string,
    kinds: string,
    example: string,
  ): string | undefined => {
    const v = value(key);
    if (v === undefined) {
      if (required) {
        bad(key, `is required for sides=${sides}`, example);
      }
      return undefined;
    }
    const match = new RegExp(`^arn:(aws[a-z-]*):iam::(\\d{12}):(${kinds})/.+$`).exec(v);
    if (!match) {
      bad(key, `must be an IAM ${kinds.replace("|", " or ")} ARN`, example);
    } else if (/^\d{12}$/.test(accountId) && match[2] !== accountId) {
      bad(key, `is in account ${match[2] ?? "?"}, but must be in ${accountId}`, example);
    } else if (regionOk && match[1] !== partitionOf(region)) {
      bad(
        key,
        `is in partition ${match[1] ?? "?"}, but region ${region} is in ${partitionOf(region)}`,
        example,
      );
    }
    return v;
  };
  const prodRoleArn = principal(
    "prodRoleArn",
    copy,
    prodAccountId,
    "role",
    `arn:${partitionOf(region)}:iam::${prodAccountId}:role/rds-failsafe-deploy`,
  );
  const failsafeRoleArn = principal(
    "failsafeRoleArn",
    save,
    failsafeAccountId,
    "role",
    `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/rds-failsafe-deploy`,
  );
  // The break-glass principal lives in the failsafe account: one in prod would hand the key's
  // destruction back to the people the failsafe account protects against.
  const breakGlassPrincipalArn = principal(
    "breakGlassPrincipalArn",
    save,
    failsafeAccountId,
    "role|user",
    `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/break-glass`,
  );
  // Break-glass is the one principal that may destroy the vault key; the deploy role runs every
  // `pulumi up` (and CI): the same principal would make every deploy a break-glass operation.
  if (breakGlassPrincipalArn && breakGlassPrincipalArn === failsafeRoleArn) {
    bad(
      "breakGlassPrincipalArn",
      "must differ from failsafeRoleArn: the deploy role must not be able to delete or disable the vault key",
      `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/break-glass`,
    );
  } else if (breakGlassPrincipalArn && breakGlassPrincipalArn === prodRoleArn) {
    bad(
      "breakGlassPrincipalArn",
      "must differ from prodRoleArn: the prod deploy role must have no right on the vault key",
      `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/break-glass`,
    );
  } else if (breakGlassPrincipalArn) {
    // The roles the bootstrap and the program create are used every day (CI, the functions):
    // none of them may be the one principal that can destroy the vault key.
    const name = /:(?:role|user)\/(?:.*\/)?([^/]+)$/.exec(breakGlassPrincipalArn)?.[1] ?? "";
    if (PROGRAM_ROLE_NAMES.includes(name)) {
      bad(
        "breakGlassPrincipalArn",
        `must not be ${name}, a role the bootstrap or the program creates and uses day to day (deploys, CI, functions)`,
        `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/break-glass`,
      );
    }
  }

  const selectionTagKey = text("selectionTagKey", "Failsafe");
  const selectionTagValue = text("selectionTagValue", "True");
  if (selectionTagKey.length > 128 || selectionTagKey.toLowerCase().startsWith("aws:")) {
    bad(
      "selectionTagKey",
      "must be a tag key of at most 128 characters, not starting with aws:",
      "Failsafe",
    );
  }
  const retentionDays = int("retentionDays", 31, 1, "31");
  const minCopies = int("minCopies", 7, 1, "7");
  const freezeAfterHours = int("freezeAfterHours", 48, 25, "48");
  const rpoHours = int("rpoHours", 26, 1, "26");
  const intermediateKeepHours = int("intermediateKeepHours", 72, 1, "72");
  const logRetentionDays = int("logRetentionDays", 90, 1, "90");
  const snapshotQuota = int("snapshotQuota", 100, 1, "1000");
  const expectedSources = int("expectedSources", 0, 0, "40");
  if (value("logRetentionDays") !== undefined && !LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    bad(
      "logRetentionDays",
      `must be one of CloudWatch's periods (${LOG_RETENTION_DAYS.join(", ")})`,
      "90",
    );
  }
  const schedule = (key: "prodSweepSchedule" | "failsafeSweepSchedule", hourly: boolean) => {
    const v = text(key, "rate(1 hour)");
    const check = checkSchedule(v);
    if (!check.ok) {
      bad(
        key,
        `is not an EventBridge schedule expression: ${check.why}`,
        '"rate(1 hour)" (or e.g. "rate(30 minutes)", "cron(15 * * * ? *)")',
      );
    } else if (hourly && !check.hourly) {
      bad(
        key,
        "must run at least hourly: the RPO alarm and the sweep-stopped alarm expect a run every hour",
        '"rate(1 hour)" (or "rate(30 minutes)")',
      );
    } else if (check.maxGapHours === undefined || check.maxGapHours + 1 > MAX_HEARTBEAT_HOURS) {
      // The sweep-stopped alarm waits the schedule's longest gap and an hour (heartbeatHours):
      // CloudWatch evaluates hourly periods over 7 days at most.
      bad(
        key,
        "must run at least once a week, on days of the week or every day (the sweep-stopped alarm waits for a run at most 7 days)",
        '"rate(1 hour)" (or e.g. "rate(6 hours)", "cron(0 3 * * ? *)")',
      );
    }
    return v;
  };
  const prodSweepSchedule = schedule("prodSweepSchedule", false);
  const failsafeSweepSchedule = schedule("failsafeSweepSchedule", true);
  const notificationEmail = value("notificationEmail");
  if (notificationEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(notificationEmail)) {
    bad("notificationEmail", "must be an e-mail address", "ops@example.com");
  }
  const notifyOn = text("notifyOn", "failures") as StackConfig["notifyOn"];
  if (notifyOn !== "failures" && notifyOn !== "all") {
    bad("notifyOn", 'must be "failures" (default) or "all"', "failures");
  }
  const failsafeStack = value("failsafeStack");
  if (failsafeStack !== undefined && !/^[\w.-]+\/[\w.-]+\/[\w.-]+$/.test(failsafeStack)) {
    bad(
      "failsafeStack",
      "must be a stack reference organization/project/stack",
      "acme/rds-failsafe/failsafe",
    );
  }

  // A notification target is required: without one, no alarm (RPO breach, DLQ, sweep stopped)
  // reaches anyone. `notifications: none` says so on purpose (e.g. the ops topics are
  // subscribed to a pager outside this program).
  const notificationsValue = value("notifications");
  if (
    notificationsValue !== undefined &&
    notificationsValue !== "email" &&
    notificationsValue !== "none"
  ) {
    bad("notifications", 'must be "email" (notificationEmail is subscribed) or "none"', "none");
  }
  const notifications: StackConfig["notifications"] =
    notificationsValue === "none" ? "none" : "email";
  if (
    !bootstrap &&
    (notificationsValue === undefined || notificationsValue === "email") &&
    notificationEmail === undefined
  ) {
    bad(
      "notificationEmail",
      `is required: no alarm reaches anyone without it (or set ${PROJECT}:notifications none to subscribe the ops topic${sides === "both" ? "s" : ""} yourself)`,
      "ops@example.com",
    );
  }
  if (notifications === "none" && notificationEmail !== undefined) {
    bad("notifications", "is none, but notificationEmail is set: remove one of them", "email");
  }
  let requestSnapshotQuota: number | undefined;
  if (value("requestSnapshotQuota") !== undefined) {
    const n = int("requestSnapshotQuota", 0, 0, "500");
    // 0 turns it off; a request at or below RDS's default of 100 would ask for nothing.
    if (n > 0 && n <= DEFAULT_MANUAL_SNAPSHOT_QUOTA) {
      bad(
        "requestSnapshotQuota",
        `must be more than RDS's default of ${DEFAULT_MANUAL_SNAPSHOT_QUOTA} manual snapshots per kind (or 0: request nothing)`,
        "500",
      );
    } else if (n > 0) {
      requestSnapshotQuota = n;
    }
  }
  const boundaryValue = value("permissionsBoundary") ?? DEFAULT_PERMISSIONS_BOUNDARY;
  if (boundaryValue !== "none" && !/^([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/.test(boundaryValue)) {
    bad(
      "permissionsBoundary",
      "must be the name (optionally path/name) of a managed policy in each account, or none",
      DEFAULT_PERMISSIONS_BOUNDARY,
    );
  }
  const permissionsBoundary = boundaryValue === "none" ? undefined : boundaryValue;
  const githubRepository = value("githubRepository");
  if (githubRepository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(githubRepository)) {
    bad("githubRepository", "must be a GitHub repository owner/name", "acme/rds-failsafe");
  }
  const githubOidcProviderArn = value("githubOidcProviderArn");
  if (
    githubOidcProviderArn !== undefined &&
    !/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/.test(
      githubOidcProviderArn,
    )
  ) {
    bad(
      "githubOidcProviderArn",
      "must be the ARN of the account's GitHub OIDC provider (…:oidc-provider/token.actions.githubusercontent.com)",
      `arn:${partitionOf(region)}:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`,
    );
  }
  const bootstrapAccount = sides === "bootstrap-prod" ? prodAccountId : failsafeAccountId;
  const deployEnvironment =
    value("deployEnvironment") ?? (sides === "bootstrap-prod" ? "prod-deploy" : "failsafe-deploy");
  if (!/^[\w.-]{1,255}$/.test(deployEnvironment)) {
    bad("deployEnvironment", "must be a GitHub environment name", "failsafe-deploy");
  }
  const trusted = principalList(value("trustedPrincipalArns"));
  if (typeof trusted === "string") {
    bad("trustedPrincipalArns", trusted, `'["arn:aws:iam::${bootstrapAccount}:role/admin"]'`);
  }
  const trustedPrincipalArns = typeof trusted === "string" ? [] : trusted;
  if (bootstrap) {
    if (githubRepository === undefined && trustedPrincipalArns.length === 0) {
      bad(
        "githubRepository",
        `is required for sides=${sides} unless trustedPrincipalArns is set: nobody could assume the deploy role`,
        "acme/rds-failsafe",
      );
    }
    for (const arn of trustedPrincipalArns) {
      if (arn.split(":")[4] !== bootstrapAccount) {
        bad(
          "trustedPrincipalArns",
          `lists ${arn}, which is not in account ${bootstrapAccount} (the roles trust principals of their own account only)`,
          `'["arn:aws:iam::${bootstrapAccount}:role/admin"]'`,
        );
      }
      if (arn === breakGlassPrincipalArn) {
        bad(
          "trustedPrincipalArns",
          "lists the break-glass principal: it must not also be a deploy principal",
          `'["arn:aws:iam::${bootstrapAccount}:role/admin"]'`,
        );
      }
    }
    if (
      githubOidcProviderArn !== undefined &&
      githubOidcProviderArn.split(":")[4] !== bootstrapAccount
    ) {
      bad(
        "githubOidcProviderArn",
        `is in account ${githubOidcProviderArn.split(":")[4] ?? "?"}, but must be in ${bootstrapAccount}`,
        `arn:${partitionOf(region)}:iam::${bootstrapAccount}:oidc-provider/token.actions.githubusercontent.com`,
      );
    }
  }

  // The org guard: an SCP and an RCP on the failsafe account, attached from the management (or
  // delegated administrator) account, which must be another account: SCPs and RCPs never apply
  // to the management account, and an account that administers its own guard can lift it.
  const orgGuardValue = value("orgGuard") ?? "false";
  if (orgGuardValue !== "true" && orgGuardValue !== "false") {
    bad("orgGuard", "must be true or false", "true");
  }
  const orgGuard = orgGuardValue === "true";
  const managementAccountId = value("managementAccountId");
  const managementRoleArn = value("managementRoleArn");
  if (orgGuard) {
    const mgmt = managementAccountId ?? "123456789012";
    if (!save) {
      bad("orgGuard", `needs sides=save or both (it guards the save side), not ${sides}`, "false");
    }
    if (managementAccountId === undefined || !/^\d{12}$/.test(managementAccountId)) {
      bad(
        "managementAccountId",
        "must be the 12-digit id of the organization's management (or delegated administrator) account when orgGuard is true",
        "123456789012",
      );
    } else if (managementAccountId === failsafeAccountId) {
      bad(
        "managementAccountId",
        "must differ from failsafeAccountId: SCPs and RCPs never apply to the management account",
        "<the management account id>",
      );
    }
    const roleMatch = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/.exec(managementRoleArn ?? "");
    const mgmtRole = `arn:${partitionOf(region)}:iam::${mgmt}:role/rds-failsafe-org-guard`;
    if (managementRoleArn === undefined) {
      bad("managementRoleArn", "is required when orgGuard is true", mgmtRole);
    } else if (!roleMatch) {
      bad("managementRoleArn", "must be an IAM role ARN", mgmtRole);
    } else if (managementAccountId !== undefined && roleMatch[2] !== managementAccountId) {
      bad(
        "managementRoleArn",
        `is in account ${roleMatch[2] ?? "?"}, but must be in ${managementAccountId}`,
        mgmtRole,
      );
    } else if (regionOk && roleMatch[1] !== partitionOf(region)) {
      // The management provider assumes it in the stacks' partition: a role ARN of another
      // partition names nothing there.
      bad(
        "managementRoleArn",
        `is in partition ${roleMatch[1] ?? "?"}, but region ${region} is in ${partitionOf(region)}`,
        mgmtRole,
      );
    }
    if (failsafeRoleArn && breakGlassPrincipalArn) {
      const size = policyContent(
        orgGuardScp({ region, failsafeAccountId, failsafeRoleArn, breakGlassPrincipalArn }),
      ).length;
      if (size > ORG_POLICY_MAX_CHARACTERS) {
        bad(
          "breakGlassPrincipalArn",
          `and failsafeRoleArn make the org guard's SCP ${size} characters, over AWS's ${ORG_POLICY_MAX_CHARACTERS} (each appears in it several times): use roles with shorter paths`,
          `arn:${partitionOf(region)}:iam::${failsafeAccountId}:role/break-glass`,
        );
      }
    }
  }

  const recovery = recoveryConfig({ value, bad, int });
  // --- DR region (docs/organization.md): another region of the same partition, save side ---
  // The failsafe account's bootstrap needs it too: the permissions boundary it creates holds the
  // DR statements (in the DR region), and its deploy role manages the DR vault key there.
  const drRegion = value("drRegion");
  if (drRegion !== undefined) {
    if (!save && sides !== "bootstrap-failsafe") {
      bad(
        "drRegion",
        `is a save-side setting (the failsafe account's DR copies; its bootstrap-failsafe stack sets it too), not for sides=${sides}`,
        '""',
      );
    } else if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(drRegion)) {
      bad(
        "drRegion",
        "must be an AWS region",
        regionOk && partitionOf(region) === "aws-us-gov" ? "us-gov-east-1" : "eu-central-1",
      );
    } else if (regionOk) {
      const problem = drRegionProblem(region, drRegion);
      if (problem) {
        bad("drRegion", problem, '"" (no DR region), or another region of the same partition');
      }
    }
  }
  // --- end DR region ---
  // AWS's limits on the documents that list the prod accounts (components/org-limits.ts).
  if (save && regionOk && typeof listed !== "string" && /^\d{12}$/.test(failsafeAccountId)) {
    for (const problem of orgScaleProblems({
      region,
      failsafeAccountId,
      prodAccountIds,
      drRegion,
    })) {
      bad(
        "prodAccountIds",
        problem,
        "<fewer prod accounts: run a second failsafe stack for the rest>",
      );
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    ...recovery,
    sides,
    region,
    prodAccountId,
    prodAccountIds,
    failsafeAccountId,
    prodRoleArn,
    failsafeRoleArn,
    breakGlassPrincipalArn,
    selectionTagKey,
    selectionTagValue,
    retentionDays,
    minCopies,
    freezeAfterHours,
    rpoHours,
    intermediateKeepHours,
    prodSweepSchedule,
    failsafeSweepSchedule,
    logRetentionDays,
    notificationEmail,
    notifyOn,
    failsafeStack,
    orgGuard,
    managementAccountId,
    managementRoleArn,
    notifications,
    requestSnapshotQuota,
    permissionsBoundary,
    githubRepository,
    githubOidcProviderArn,
    deployEnvironment,
    trustedPrincipalArns,
    drRegion,
    snapshotQuota,
    expectedSources,
  };
}

// --- recovery (issue 12): tiered retention and restore drills ---
type RecoveryConfig = Pick<
  StackConfig,
  | "keepWeekly"
  | "keepMonthly"
  | "drills"
  | "drillSchedule"
  | "drillsPerRun"
  | "drillMaxAgeDays"
  | "drillMaxInstanceClass"
  | "drillSubnetGroup"
  | "drillSecurityGroupIds"
>;

/** The DB instance class grammar (db.<family>.<size>), e.g. db.t4g.micro, db.r6g.2xlarge. */
const INSTANCE_CLASS = /^db\.[a-z0-9-]+\.[a-z0-9]+$/;

function recoveryConfig(c: {
  value: (key: keyof RawConfig) => string | undefined;
  bad: (key: keyof RawConfig, why: string, example: string) => void;
  int: (key: keyof RawConfig, fallback: number, min: number, example: string) => number;
}): RecoveryConfig {
  const most = (key: keyof RawConfig, n: number, max: number, example: string) => {
    if (n > max) {
      c.bad(key, `must be at most ${max}`, example);
    }
    return n;
  };
  const keepWeekly = most("keepWeekly", c.int("keepWeekly", 8, 0, "8"), 520, "8");
  const keepMonthly = most("keepMonthly", c.int("keepMonthly", 12, 0, "12"), 120, "12");
  const drillsValue = c.value("drills") ?? "true";
  if (drillsValue !== "true" && drillsValue !== "false") {
    c.bad("drills", "must be true or false", "true");
  }
  const drillSchedule = c.value("drillSchedule") ?? "rate(7 days)";
  const check = checkSchedule(drillSchedule);
  if (!check.ok) {
    c.bad(
      "drillSchedule",
      `is not an EventBridge schedule expression: ${check.why}`,
      '"rate(7 days)" (or e.g. "cron(0 3 ? * SUN *)")',
    );
  }
  // Each drill is a database running until it is verified: the bound is the cost bound.
  const drillsPerRun = most("drillsPerRun", c.int("drillsPerRun", 2, 1, "2"), 20, "2");
  const drillMaxAgeDays = c.int("drillMaxAgeDays", 30, 1, "30");
  const classes = instanceClasses(c.value("drillMaxInstanceClass"));
  if (typeof classes === "string") {
    c.bad(
      "drillMaxInstanceClass",
      classes,
      '"postgres=db.t4g.micro,aurora-postgresql=db.t4g.medium"',
    );
  }
  // DB subnet group names: up to 255 letters, digits, periods, underscores, spaces or hyphens
  // (CreateDBSubnetGroup, DBSubnetGroupName).
  const drillSubnetGroup = c.value("drillSubnetGroup");
  if (drillSubnetGroup !== undefined && !/^[A-Za-z0-9._ -]{1,255}$/.test(drillSubnetGroup)) {
    c.bad("drillSubnetGroup", "must be the name of a DB subnet group", "failsafe-drills");
  }
  const groups = stringList(c.value("drillSecurityGroupIds"));
  if (groups === undefined || !groups.every((g) => /^sg-[0-9a-f]{8,17}$/.test(g))) {
    c.bad(
      "drillSecurityGroupIds",
      "must be a list of VPC security group ids (sg-…)",
      "'[\"sg-0123456789abcdef0\"]'",
    );
  }
  return {
    keepWeekly,
    keepMonthly,
    drills: drillsValue !== "false",
    drillSchedule,
    drillsPerRun,
    drillMaxAgeDays,
    drillMaxInstanceClass: typeof classes === "string" ? {} : classes,
    drillSubnetGroup,
    drillSecurityGroupIds: groups ?? [],
  };
}

/** engine=class pairs, comma-separated, or a JSON object; an error text when malformed. */
function instanceClasses(raw: string | undefined): Record<string, string> | string {
  if (raw === undefined) {
    return {};
  }
  let pairs: [string, unknown][];
  if (raw.startsWith("{")) {
    try {
      pairs = Object.entries(JSON.parse(raw) as Record<string, unknown>);
    } catch {
      return "must be engine=class pairs (comma-separated) or a JSON object";
    }
  } else {
    pairs = raw.split(",").map((p) => {
      const [engine = "", cls] = p.split("=").map((x) => x.trim());
      return [engine, cls];
    });
  }
  for (const [engine, cls] of pairs) {
    if (!/^[a-z][a-z0-9-]*$/.test(engine) || typeof cls !== "string" || !INSTANCE_CLASS.test(cls)) {
      return `has ${JSON.stringify(`${engine}=${String(cls)}`)}: each entry must be an RDS engine and a DB instance class (db.<family>.<size>)`;
    }
  }
  return Object.fromEntries(pairs) as Record<string, string>;
}

/** A JSON array (Pulumi list config) or a comma-separated list; undefined when malformed. */
function stringList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) {
    return [];
  }
  if (raw.startsWith("[")) {
    try {
      const items = JSON.parse(raw) as unknown;
      return Array.isArray(items) && items.every((i) => typeof i === "string") ? items : undefined;
    } catch {
      return undefined;
    }
  }
  return raw
    .split(",")
    .map((i) => i.trim())
    .filter((i) => i !== "");
}
// --- end recovery ---
/** RDS's default manual-snapshot quota per kind and region ("Quotas in Amazon RDS"). */
export const DEFAULT_MANUAL_SNAPSHOT_QUOTA = 100;

/** The permissions boundary the bootstrap creates in each account (components/bootstrap.ts). */
export const DEFAULT_PERMISSIONS_BOUNDARY = "rds-failsafe-boundary";

/**
 * Roles the bootstrap (components/deploy-roles.ts) and the program (function roles) create.
 * Kept here as plain names so config checks do not load the components.
 */
export const BOOTSTRAP_ROLE_NAMES = {
  deploy: "rds-failsafe-deploy",
  preview: "rds-failsafe-preview",
  githubDeploy: "rds-failsafe-github-deploy",
  githubPreview: "rds-failsafe-github-preview",
} as const;
/** The preview role of the account a deploy role is in (same partition, fixed name). */
export function previewRoleArnOf(deployRoleArn: string): string {
  const [arn, partition, , , account] = deployRoleArn.split(":");
  return `${arn}:${partition}:iam::${account}:role/${BOOTSTRAP_ROLE_NAMES.preview}`;
}

const PROGRAM_ROLE_NAMES: readonly string[] = [
  ...Object.values(BOOTSTRAP_ROLE_NAMES),
  ...Object.values(NAMES.fn),
];

/** The valid key closest to a mistyped one: same letters ignoring case, else edit distance ≤ 3. */
export function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  const exact = CONFIG_KEYS.find((k) => k.toLowerCase() === lower);
  if (exact) {
    return exact;
  }
  let best: { key: string; distance: number } | undefined;
  for (const candidate of CONFIG_KEYS) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) {
      best = { key: candidate, distance };
    }
  }
  return best && best.distance <= Math.max(3, Math.floor(key.length / 4)) ? best.key : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** A list of IAM principal ARNs: a JSON array (Pulumi list config) or comma-separated. */
function principalList(raw: string | undefined): string[] | string {
  if (raw === undefined) {
    return [];
  }
  let items: unknown;
  if (raw.startsWith("[")) {
    try {
      items = JSON.parse(raw) as unknown;
    } catch {
      return "must be a list of IAM role or user ARNs (a YAML list, or comma-separated)";
    }
  } else {
    items = raw.split(",").map((a) => a.trim());
  }
  if (
    !Array.isArray(items) ||
    !items.every(
      (a) => typeof a === "string" && /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/.test(a),
    )
  ) {
    return "must be a list of IAM role or user ARNs";
  }
  return items as string[];
}

/** A list of account ids: a JSON array (Pulumi list config) or comma-separated. */
function accountList(raw: string | undefined): string[] | string {
  if (raw === undefined) {
    return [];
  }
  let items: unknown;
  if (raw.startsWith("[")) {
    try {
      items = JSON.parse(raw) as unknown;
    } catch {
      return "must be a list of 12-digit account ids (a YAML list, or comma-separated)";
    }
  } else {
    items = raw.split(",").map((a) => a.trim());
  }
  if (!Array.isArray(items) || !items.every((a) => typeof a === "string" && /^\d{12}$/.test(a))) {
    return "must be a list of 12-digit AWS account ids (quote each in YAML to keep leading zeros)";
  }
  return items as string[];
}
