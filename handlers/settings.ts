import * as z from "zod/mini";
import { partitionOf } from "./partition";
import { describeIssues } from "./schema";

/**
 * What each handler is told at deployment (captured into the Lambda by the Pulumi program, which
 * validated the stack config already). Parsed again at cold start so a hand-built or stale setting
 * fails at once with the key's name, never halfway through a copy.
 */
const accountId = z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id"));
const region = z
  .string()
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1"));
const kmsKeyArn = z
  .string()
  .check(
    z.regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      "must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias",
    ),
  );
const topicArn = z
  .string()
  .check(
    z.regex(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      "must be an SNS topic ARN",
    ),
  );
const positiveInt = z.int().check(z.minimum(1, "must be at least 1"));
const countInt = z.int().check(z.minimum(0, "must be at least 0"));
const nonEmpty = z.string().check(z.minLength(1, "must not be empty"));

const common = {
  region,
  failsafeAccountId: accountId,
  /** Copies started by one sweep invocation at most (bounded work per invocation). */
  maxActionsPerRun: z._default(positiveInt, 20),
  /** RDS allows about 20 snapshot copies in flight per account and region. */
  copyConcurrencyLimit: z._default(positiveInt, 20),
};

/** Restore drills (issue 12): what the drill functions restore, where, and how many at once. */
const drillSettingsSchema = z.object({
  /** Drill databases at once at most (and restores started by one run). */
  drillsPerRun: z._default(positiveInt, 2),
  /** A lineage with no successful drill for this long counts as overdue (alarm). */
  drillMaxAgeDays: z._default(positiveInt, 30),
  /**
   * A drill database not available this long after its restore started is given up (recorded as
   * failed, deleted) by the next drill run.
   */
  drillTimeoutHours: z._default(positiveInt, 12),
  /** Largest DB instance class a drill may use, per engine (e.g. postgres → db.t4g.micro). */
  maxInstanceClass: z._default(z.record(z.string(), nonEmpty), {}),
  /** DB subnet group for drill databases; absent: the default VPC. */
  subnetGroup: z.optional(nonEmpty),
  /** VPC security groups for drill databases; empty: the VPC's default security group. */
  securityGroupIds: z._default(z.array(nonEmpty), []),
});

export type DrillSettings = z.output<typeof drillSettingsSchema>;

/** The drill settings of a function, the defaults when the stack gave none. */
export function drillSettingsOf(settings: { readonly drills?: DrillSettings }): DrillSettings {
  return settings.drills ?? drillSettingsSchema.parse({});
}

export const prodSettingsSchema = z
  .object({
    ...common,
    prodAccountId: accountId,
    selectionTagKey: z._default(nonEmpty, "Failsafe"),
    selectionTagValue: z._default(nonEmpty, "True"),
    /** The prod CMK shared with the failsafe account; encrypted intermediates use it. */
    transitKmsKeyArn: kmsKeyArn,
    /** The failsafe account's hand-off topic. */
    handoffTopicArn: topicArn,
    /** Intermediate copies older than this are deleted, except the newest per source. */
    intermediateKeepHours: z._default(positiveInt, 72),
    /**
     * A tagged database older than this with no copy shared with the failsafe account counts as
     * unprotected (metric and alarm in prod); backups switched off count at once.
     */
    unprotectedAfterHours: z._default(positiveInt, 26),
  })
  .check(
    z.superRefine((s, ctx) => {
      checkAccounts([s.prodAccountId], s.failsafeAccountId, ctx);
      expectAccount(ctx, "transitKmsKeyArn", s.transitKmsKeyArn, s.prodAccountId, "prod");
      expectAccount(ctx, "handoffTopicArn", s.handoffTopicArn, s.failsafeAccountId, "failsafe");
      expectPartition(ctx, s.region, { transitKmsKeyArn: s.transitKmsKeyArn });
      expectPartition(ctx, s.region, { handoffTopicArn: s.handoffTopicArn });
    }),
  );

export const failsafeSettingsSchema = z
  .object({
    ...common,
    /**
     * The prod accounts whose shared snapshots are saved: anything shared by another account is
     * rejected. A removed account's copies stay (its lineages stop receiving copies and freeze).
     */
    prodAccountIds: z.array(accountId).check(z.minLength(1, "must name at least one account")),
    /** The failsafe CMK every saved copy is encrypted with. */
    vaultKmsKeyArn: kmsKeyArn,
    /** When set, hand-offs in an SNS envelope from any other topic are rejected. */
    handoffTopicArn: z.optional(topicArn),
    retentionDays: z._default(positiveInt, 31),
    minCopies: z._default(positiveInt, 7),
    /**
     * A source whose newest copy is older than this is frozen: retention deletes nothing of it,
     * because copies stopped arriving (its database may have been deleted on purpose).
     */
    freezeAfterHours: z._default(positiveInt, 48),
    /** The newest copy of a protected source older than this is an RPO breach. */
    rpoHours: z._default(positiveInt, 26),
    // --- recovery (issue 12): tiered retention and restore drills ---
    /** Weekly tier: the newest copy of each of this many ISO weeks is kept (handlers/retention.ts). */
    keepWeekly: z._default(countInt, 8),
    /** Monthly tier: the newest copy of each of this many calendar months is kept. */
    keepMonthly: z._default(countInt, 12),
    /**
     * Restore drills (handlers/drill.ts), when the stack runs them; the failsafe sweep counts the
     * lineages whose last good drill is older than drillMaxAgeDays (the drill-overdue alarm).
     */
    drills: z.optional(drillSettingsSchema),
    // --- end recovery ---
    /** Where the save side reports saved copies and failures. */
    opsTopicArn: z.optional(topicArn),
    /**
     * `failures` (default): only rejected or failed saves are announced; `all`: every save too.
     * The seed design found a message per snapshot too chatty to keep by default.
     */
    notifyOn: z._default(z.enum(["failures", "all"]), "failures"),
    // --- DR region (handlers/dr.ts, docs/organization.md) ---
    /** Optional: every failsafe copy is also copied to this region of the failsafe account. */
    drRegion: z.optional(region),
    /** The DR region's vault key (same lock-down as the vault key); required with drRegion. */
    drVaultKmsKeyArn: z.optional(kmsKeyArn),
    // --- end DR region ---
  })
  .check(
    z.superRefine((s, ctx) => {
      checkAccounts(s.prodAccountIds, s.failsafeAccountId, ctx);
      checkDrRegion(s, ctx);
      expectAccount(ctx, "vaultKmsKeyArn", s.vaultKmsKeyArn, s.failsafeAccountId, "failsafe");
      expectPartition(ctx, s.region, { vaultKmsKeyArn: s.vaultKmsKeyArn });
      if (s.handoffTopicArn) {
        expectAccount(ctx, "handoffTopicArn", s.handoffTopicArn, s.failsafeAccountId, "failsafe");
        expectPartition(ctx, s.region, { handoffTopicArn: s.handoffTopicArn });
      }
      if (s.opsTopicArn) {
        expectPartition(ctx, s.region, { opsTopicArn: s.opsTopicArn });
      }
    }),
  );

export type ProdSettings = z.output<typeof prodSettingsSchema>;
export type ProdSettingsInput = z.input<typeof prodSettingsSchema>;
export type FailsafeSettings = z.output<typeof failsafeSettingsSchema>;
export type FailsafeSettingsInput = z.input<typeof failsafeSettingsSchema>;

/**
 * The Lambda environment variable that carries a function's settings as JSON. Environment, not
 * captured closure values: the settings stay visible in the console and to policy checks, and the
 * same bundle serves every stack.
 */
export const SETTINGS_ENV = "RDS_FAILSAFE_SETTINGS";

/** Reads and parses SETTINGS_ENV; the error names the variable. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): unknown {
  const raw = env[SETTINGS_ENV];
  if (!raw) {
    throw new Error(`environment variable ${SETTINGS_ENV} is not set`);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new Error(`environment variable ${SETTINGS_ENV} is not JSON: ${(err as Error).message}`);
  }
}

export function parseProdSettings(input: unknown): ProdSettings {
  return parseSettings(prodSettingsSchema, input, "prod");
}

export function parseFailsafeSettings(input: unknown): FailsafeSettings {
  return parseSettings(failsafeSettingsSchema, input, "failsafe");
}

function parseSettings<T extends z.ZodMiniType>(
  schema: T,
  input: unknown,
  side: string,
): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new Error(
      `invalid ${side} handler settings: ${describeIssues(parsed.error, "(settings)")}`,
    );
  }
  return parsed.data;
}

function checkAccounts(
  prodAccountIds: readonly string[],
  failsafeAccountId: string,
  ctx: z.core.$RefinementCtx,
): void {
  if (prodAccountIds.includes(failsafeAccountId)) {
    ctx.addIssue({
      code: "custom",
      path: ["failsafeAccountId"],
      message: `must differ from every prod account (${prodAccountIds.join(", ")}): a copy in the same account protects nothing`,
    });
  }
}

/**
 * drRegion and its vault key come together; the DR region is another region of the same
 * partition (RDS copies snapshots only within a partition, and not at all to or from the China
 * regions: USER_CopySnapshot, "Limitations"), and the key is the failsafe account's, in it.
 */
function checkDrRegion(
  s: {
    region: string;
    failsafeAccountId: string;
    drRegion?: string | undefined;
    drVaultKmsKeyArn?: string | undefined;
  },
  ctx: z.core.$RefinementCtx,
): void {
  if (s.drRegion === undefined && s.drVaultKmsKeyArn === undefined) {
    return;
  }
  if (s.drRegion === undefined || s.drVaultKmsKeyArn === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [s.drRegion === undefined ? "drRegion" : "drVaultKmsKeyArn"],
      message: "drRegion and drVaultKmsKeyArn must be set together",
    });
    return;
  }
  const problem = drRegionProblem(s.region, s.drRegion);
  if (problem) {
    ctx.addIssue({ code: "custom", path: ["drRegion"], message: problem });
  }
  expectAccount(ctx, "drVaultKmsKeyArn", s.drVaultKmsKeyArn, s.failsafeAccountId, "failsafe");
  expectPartition(ctx, s.drRegion, { drVaultKmsKeyArn: s.drVaultKmsKeyArn });
  const keyRegion = s.drVaultKmsKeyArn.split(":")[3];
  if (keyRegion !== s.drRegion) {
    ctx.addIssue({
      code: "custom",
      path: ["drVaultKmsKeyArn"],
      message: `must be a key in the DR region ${s.drRegion} (KMS keys are regional), but ${s.drVaultKmsKeyArn} is in ${keyRegion ?? "no region"}`,
    });
  }
}

/**
 * Why `drRegion` cannot be the DR region of `region`, or undefined. Shared with the stack config
 * check (components/config.ts), so both say the same.
 */
export function drRegionProblem(region: string, drRegion: string): string | undefined {
  if (drRegion === region) {
    return `must differ from region ${region}: a DR copy in the same region survives nothing a regional outage takes`;
  }
  if (partitionOf(drRegion) !== partitionOf(region)) {
    return `must be in the partition of region ${region} (${partitionOf(region)}), but ${drRegion} is in ${partitionOf(drRegion)}: RDS copies snapshots only within a partition`;
  }
  if (partitionOf(region) === "aws-cn") {
    return `is not possible in ${partitionOf(region)}: RDS cannot copy snapshots to or from the China regions (USER_CopySnapshot, "Limitations")`;
  }
  return undefined;
}

function expectPartition(
  ctx: z.core.$RefinementCtx,
  region: string,
  arns: Readonly<Record<string, string>>,
): void {
  for (const [key, arn] of Object.entries(arns)) {
    const partition = arn.split(":")[1];
    if (partition !== partitionOf(region)) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `must be in partition ${partitionOf(region)} (region ${region}), but ${arn} is in ${partition ?? "none"}`,
      });
    }
  }
}

function expectAccount(
  ctx: z.core.$RefinementCtx,
  key: string,
  arn: string,
  account: string,
  side: string,
): void {
  const actual = arn.split(":")[4];
  if (actual !== account) {
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `must be in the ${side} account ${account}, but ${arn} is in ${actual ?? "no account"}`,
    });
  }
}
