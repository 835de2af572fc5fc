import { z } from "zod";

/**
 * What each handler is told at deployment (captured into the Lambda by the Pulumi program, which
 * validated the stack config already). Parsed again at cold start so a hand-built or stale setting
 * fails at once with the key's name, never halfway through a copy.
 */
const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");
const region = z
  .string()
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1");
const kmsKeyArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
    "must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias",
  );
const topicArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN");
const positiveInt = z.number().int().min(1);

const common = {
  region,
  prodAccountId: accountId,
  failsafeAccountId: accountId,
  /** Copies started by one sweep invocation at most (bounded work per invocation). */
  maxActionsPerRun: positiveInt.default(20),
  /** RDS allows about 20 snapshot copies in flight per account and region. */
  copyConcurrencyLimit: positiveInt.default(20),
};

export const prodSettingsSchema = z
  .object({
    ...common,
    selectionTagKey: z.string().min(1).default("Failsafe"),
    selectionTagValue: z.string().min(1).default("True"),
    /** The prod CMK shared with the failsafe account; encrypted intermediates use it. */
    transitKmsKeyArn: kmsKeyArn,
    /** The failsafe account's hand-off topic. */
    handoffTopicArn: topicArn,
    /** Intermediate copies older than this are deleted, except the newest per source. */
    intermediateKeepHours: positiveInt.default(72),
  })
  .superRefine((s, ctx) => {
    checkAccounts(s, ctx);
    expectAccount(ctx, "transitKmsKeyArn", s.transitKmsKeyArn, s.prodAccountId, "prod");
    expectAccount(ctx, "handoffTopicArn", s.handoffTopicArn, s.failsafeAccountId, "failsafe");
  });

export const failsafeSettingsSchema = z
  .object({
    ...common,
    /** The failsafe CMK every saved copy is encrypted with. */
    vaultKmsKeyArn: kmsKeyArn,
    /** When set, hand-offs in an SNS envelope from any other topic are rejected. */
    handoffTopicArn: topicArn.optional(),
    retentionDays: positiveInt.default(31),
    minCopies: positiveInt.default(7),
    /**
     * A source whose newest copy is older than this is frozen: retention deletes nothing of it,
     * because copies stopped arriving (its database may have been deleted on purpose).
     */
    freezeAfterHours: positiveInt.default(48),
    /** The newest copy of a protected source older than this is an RPO breach. */
    rpoHours: positiveInt.default(26),
  })
  .superRefine((s, ctx) => {
    checkAccounts(s, ctx);
    expectAccount(ctx, "vaultKmsKeyArn", s.vaultKmsKeyArn, s.failsafeAccountId, "failsafe");
    if (s.handoffTopicArn) {
      expectAccount(ctx, "handoffTopicArn", s.handoffTopicArn, s.failsafeAccountId, "failsafe");
    }
  });

export type ProdSettings = z.output<typeof prodSettingsSchema>;
export type ProdSettingsInput = z.input<typeof prodSettingsSchema>;
export type FailsafeSettings = z.output<typeof failsafeSettingsSchema>;
export type FailsafeSettingsInput = z.input<typeof failsafeSettingsSchema>;

export function parseProdSettings(input: unknown): ProdSettings {
  return parseSettings(prodSettingsSchema, input, "prod");
}

export function parseFailsafeSettings(input: unknown): FailsafeSettings {
  return parseSettings(failsafeSettingsSchema, input, "failsafe");
}

function parseSettings<T extends z.ZodType>(schema: T, input: unknown, side: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`)
      .join("; ");
    throw new Error(`invalid ${side} handler settings: ${issues}`);
  }
  return parsed.data;
}

function checkAccounts(
  s: { prodAccountId: string; failsafeAccountId: string },
  ctx: z.RefinementCtx,
): void {
  if (s.prodAccountId === s.failsafeAccountId) {
    ctx.addIssue({
      code: "custom",
      path: ["failsafeAccountId"],
      message: `must differ from prodAccountId (${s.prodAccountId}): a copy in the same account protects nothing`,
    });
  }
}

function expectAccount(
  ctx: z.RefinementCtx,
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
