import { ORG_POLICY_MAX_CHARACTERS, orgGuardScp, policyContent } from "./org-policies";

/**
 * The stack configuration: every key, its default and its check. index.ts reads the raw strings
 * (it is the only place that touches pulumi.Config) and passes them here; everything below is
 * plain code, tested without Pulumi. An error names the key, the bad value and the fix.
 */
import { partitionOf } from "../handlers/partition";
import { drRegionProblem } from "../handlers/settings";
import { orgScaleProblems } from "./limits";
import { checkSchedule } from "./schedule";

export const PROJECT = "rds-failsafe";

export type Sides = "copy" | "save" | "both";

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
  /** Optional DR region of the save side: every failsafe copy is copied there too. */
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

/** Validates every key and reports all problems at once, each with the command that fixes it. */
export function parseStackConfig(raw: RawConfig): StackConfig {
  const problems: string[] = [];
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
  if (!["copy", "save", "both"].includes(sides)) {
    bad("sides", 'must be "copy" (prod stack), "save" (failsafe stack) or "both"', "copy");
  }
  const copy = sides === "copy" || sides === "both";
  const save = sides === "save" || sides === "both";
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

  // --- DR region (docs/organization.md): another region of the same partition, save side ---
  const drRegion = value("drRegion");
  if (drRegion !== undefined) {
    if (!save) {
      bad(
        "drRegion",
        `is a save-side setting (the failsafe account's DR copies), not for sides=${sides}`,
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
  // AWS's limits on the documents that list the prod accounts (components/limits.ts).
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
    drRegion,
    snapshotQuota,
    expectedSources,
  };
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
