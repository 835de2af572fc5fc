import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import type { Command } from "commander";
import { NAMES } from "../../components/names";
import { ageHours, kmsKeyId } from "../../handlers/context";
import { drillHistory, drillRecord } from "../../handlers/drill-plan";
import { copyTime, lineageStates, type LineageState } from "../../handlers/lineage";
import type { SnapshotInfo } from "../../handlers/rds";
import { planRetention, toRetentionCopy, type RetentionRules } from "../../handlers/retention";
import { SETTINGS_ENV } from "../../handlers/settings";
import { accountClients, UsageError, type AccountClients, type AccountOptions } from "../accounts";
import { failsafeCopies } from "../copies-of";
import { colour, hours, table, type Out } from "../output";
import { vaultKeyId } from "../recovery-key";

/** The rules the tier column is computed with: the product defaults unless the options say. */
export interface RulesOptions {
  readonly retentionDays?: string;
  readonly minCopies?: string;
  readonly keepWeekly?: string;
  readonly keepMonthly?: string;
  readonly freezeAfterHours?: string;
  readonly rpoHours?: string;
}

export interface CopiesOptions extends RulesOptions {
  readonly source: string;
  readonly json?: boolean;
}

/** One restorable copy, as `copies` shows it and `restore` chooses from. */
export interface CopyRow {
  readonly copy: SnapshotInfo;
  readonly lineage: LineageState;
  readonly dataTime: Date | undefined;
  /** vault | other key id | none */
  readonly key: string;
  readonly tier: string;
  readonly lastDrill: string;
}

export function withRulesOptions(command: Command): Command {
  return command
    .option("--retention-days <n>", "retentionDays for the tier column (default: as deployed)")
    .option("--min-copies <n>", "minCopies (default: as deployed)")
    .option("--keep-weekly <n>", "keepWeekly (default: as deployed)")
    .option("--keep-monthly <n>", "keepMonthly (default: as deployed)")
    .option("--freeze-after-hours <n>", "freezeAfterHours (default: as deployed)")
    .option("--rpo-hours <n>", "rpoHours, for the lineage status (default: as deployed)");
}

export type CopyRules = RetentionRules & { rpoHours: number };

/**
 * The rules the tiers and lineage states are computed with: the options, else what the deployed
 * failsafe sweep was given (its RDS_FAILSAFE_SETTINGS, read with lambda:GetFunctionConfiguration),
 * else the handlers' defaults. Says which.
 */
export async function rulesInForce(
  failsafe: AccountClients,
  options: RulesOptions,
): Promise<{ rules: CopyRules; source: string }> {
  let deployed: Partial<CopyRules> = {};
  let source: string;
  try {
    const fn = await failsafe.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: NAMES.fn.failsafeSweep }),
    );
    const raw = JSON.parse(fn.Environment?.Variables?.[SETTINGS_ENV] ?? "{}") as Record<
      string,
      unknown
    >;
    deployed = Object.fromEntries(
      RULE_KEYS.filter((k) => typeof raw[k] === "number").map((k) => [k, raw[k]]),
    );
    source = `as deployed (${NAMES.fn.failsafeSweep})`;
  } catch (err) {
    source = `the defaults (${NAMES.fn.failsafeSweep} not readable: ${err instanceof Error ? err.name : String(err)})`;
  }
  const given = rulesFrom({}, deployed);
  const rules = rulesFrom(options, given);
  const overridden = Object.entries(options).some(
    ([k, v]) => v !== undefined && RULE_KEYS.includes(k as (typeof RULE_KEYS)[number]),
  );
  return { rules, source: overridden ? `${source}, with the options given` : source };
}

const RULE_KEYS = [
  "retentionDays",
  "minCopies",
  "keepWeekly",
  "keepMonthly",
  "freezeAfterHours",
  "rpoHours",
] as const;

export function registerCopies(program: Command, out: Out, globals: () => AccountOptions): void {
  withRulesOptions(
    program
      .command("copies")
      .description(
        "list the restorable failsafe copies of a database: time, lineage, key, size, tier, last drill",
      )
      .requiredOption(
        "--source <db>",
        "database: orders, instance/orders or <account>/instance/orders",
      )
      .option("--json", "print JSON instead of a table"),
  ).action(async (options: CopiesOptions) => {
    await copies(globals(), options, out);
  });
}

function whole(name: string, value: string | undefined, fallback: number, min: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** The options over `base` (the deployed rules), over the handlers' defaults. */
export function rulesFrom(options: RulesOptions, base: Partial<CopyRules> = {}): CopyRules {
  return {
    retentionDays: whole("retention-days", options.retentionDays, base.retentionDays ?? 31, 1),
    minCopies: whole("min-copies", options.minCopies, base.minCopies ?? 7, 1),
    keepWeekly: whole("keep-weekly", options.keepWeekly, base.keepWeekly ?? 8, 0),
    keepMonthly: whole("keep-monthly", options.keepMonthly, base.keepMonthly ?? 12, 0),
    freezeAfterHours: whole(
      "freeze-after-hours",
      options.freezeAfterHours,
      base.freezeAfterHours ?? 48,
      1,
    ),
    rpoHours: whole("rpo-hours", options.rpoHours, base.rpoHours ?? 26, 1),
  };
}

/**
 * Every managed copy of a database with its lineage, key, tier and last drill, newest first.
 * Throws a UsageError naming the database when the failsafe account holds no copy of it.
 */
export async function copyRows(
  failsafe: AccountClients,
  source: string,
  rules: CopyRules,
  now = new Date(),
): Promise<CopyRow[]> {
  const found = await failsafeCopies(failsafe, source);
  if (found.length === 0) {
    throw new UsageError(
      `no failsafe copies of ${source} in the failsafe account (${(await failsafe.identity()).account}): check the identifier (npx rds-failsafe copies --source <id>), or add the kind and prod account (instance/${source}, <account>/instance/${source})`,
    );
  }
  const vault = await vaultKeyId(failsafe.kms).catch(() => undefined);
  const lineages = lineageStates(found, now, {
    ...rules,
    prodAccountIds: [...new Set(found.map((c) => c.tags["failsafe:source-account"] ?? ""))],
  });
  const rows: CopyRow[] = [];
  for (const lineage of lineages) {
    const plan = new Map(
      planRetention(lineage.copies.map(toRetentionCopy), now, rules).map((d) => [d.id, d]),
    );
    for (const copy of lineage.copies) {
      const record = drillRecord(copy);
      rows.push({
        copy,
        lineage,
        dataTime: copyTime(copy),
        key: !copy.encrypted
          ? "none"
          : vault && kmsKeyId(copy.kmsKeyId) === vault
            ? "vault"
            : kmsKeyId(copy.kmsKeyId),
        tier: plan.get(copy.id)?.tier ?? "-",
        lastDrill: record
          ? `${record.result} ${stamp(record.time)}${record.rtoSeconds !== undefined ? ` (RTO ${record.rtoSeconds} s)` : ""}${record.problem ? `: ${record.problem}` : ""}`
          : "-",
      });
    }
  }
  return rows.sort((a, b) => (b.dataTime?.getTime() ?? 0) - (a.dataTime?.getTime() ?? 0));
}

export const stamp = (time: Date | undefined): string =>
  time ? `${time.toISOString().slice(0, 16).replace("T", " ")}Z` : "-";

export async function copies(
  globals: AccountOptions,
  options: CopiesOptions,
  out: Out,
): Promise<void> {
  const failsafe = accountClients("failsafe", globals);
  const { rules, source } = await rulesInForce(failsafe, options);
  const now = new Date();
  const rows = await copyRows(failsafe, options.source, rules, now);
  if (options.json) {
    out.line(
      JSON.stringify(
        rows.map((r) => ({
          copy: r.copy.id,
          arn: r.copy.arn,
          kind: r.copy.kind,
          status: r.copy.status,
          dataTime: r.dataTime?.toISOString(),
          lineage: r.lineage.key,
          lineageStatus: r.lineage.status,
          key: r.key,
          allocatedStorageGiB: r.copy.allocatedStorage,
          engine: r.copy.engine,
          engineVersion: r.copy.engineVersion,
          tier: r.tier,
          lastDrill: drillRecord(r.copy),
        })),
        null,
        2,
      ),
    );
    return;
  }
  const lineages = [...new Map(rows.map((r) => [r.lineage.key, r.lineage])).values()];
  for (const l of lineages) {
    const history = drillHistory(l.copies);
    out.line(
      `${l.kind} ${l.sourceId} (account ${l.account}), lineage ${l.resourceId}: ${l.status === "ok" ? colour("ok", "good") : colour(l.status, "warn")}, ${l.copies.length} copies, newest ${hours(l.ageHours)} old, last good drill ${history.lastGood ? `${stamp(history.lastGood)} (${hours(ageHours(now, history.lastGood))} ago)` : colour("never", "warn")}`,
    );
  }
  if (lineages.length > 1) {
    out.line(
      colour(
        `${options.source} has ${lineages.length} lineages: the database was re-created (a new resource id). Restore picks by data time; name one with --lineage.`,
        "warn",
      ),
    );
  }
  out.line(
    table(
      ["data time", "age", "lineage", "copy", "status", "key", "GiB", "tier", "last drill"],
      rows.map((r) => [
        stamp(r.dataTime),
        hours(ageHours(now, r.dataTime)),
        r.lineage.resourceId,
        r.copy.id,
        r.copy.status,
        r.key,
        r.copy.allocatedStorage,
        r.tier,
        r.lastDrill.startsWith("fail") ? colour(r.lastDrill, "bad") : r.lastDrill,
      ]),
    ).join("\n"),
  );
  out.line(
    `tiers by retentionDays ${rules.retentionDays}, minCopies ${rules.minCopies}, keepWeekly ${rules.keepWeekly ?? 0}, keepMonthly ${rules.keepMonthly ?? 0}: ${source} ("expiring": the next retention run deletes it). Restore one: npx rds-failsafe restore --source ${options.source} --as <new-id> [--at <time>]`,
  );
}
