import type { Command } from "commander";
import * as fs from "node:fs";
import { lineageOf } from "../../handlers/lineage";
import type { SnapshotInfo } from "../../handlers/rds";
import { planRetention, toRetentionCopy, type RetentionRules } from "../../handlers/retention";
import { accountClients, UsageError, type AccountOptions } from "../accounts";
import { failsafeCopies } from "../copies-of";
import { table, type Out } from "../output";
import { readStackFile } from "../stack-files";

/** The handlers' default deletes per run (handlers/settings.ts maxActionsPerRun). */
const MAX_ACTIONS_PER_RUN = 20;

export interface RetentionPlanOptions {
  readonly retentionDays: string;
  readonly minCopies?: string;
  readonly freezeAfterHours?: string;
  readonly keepWeekly?: string;
  readonly keepMonthly?: string;
  readonly source?: string;
  readonly stackFile?: string;
  readonly json?: boolean;
}

/**
 * `retention-plan`: what a retention change would delete, before it is deployed. Reads the
 * failsafe copies and runs the retention plan the handlers run (handlers/retention.ts
 * planRetention), with the rules deployed now (the failsafe stack file) and with the new ones.
 * Never deletes anything.
 */
export function registerRetentionPlan(
  program: Command,
  out: Out,
  globals: () => AccountOptions,
): void {
  program
    .command("retention-plan")
    .description(
      "what a retention change would delete (per database, and how many runs the deletes take); read-only",
    )
    .requiredOption("--retention-days <n>", "the retentionDays to be deployed")
    .option("--min-copies <n>", "the minCopies to be deployed (default: the stack file's)")
    .option(
      "--freeze-after-hours <n>",
      "the freezeAfterHours to be deployed (default: the stack file's)",
    )
    .option("--keep-weekly <n>", "the keepWeekly to be deployed (default: the stack file's)")
    .option("--keep-monthly <n>", "the keepMonthly to be deployed (default: the stack file's)")
    .option("--source <db>", "one database: orders, instance/orders or <account>/instance/orders")
    .option(
      "--stack-file <file>",
      "the failsafe stack file with today's rules (default: Pulumi.failsafe.yaml here, else the defaults)",
    )
    .option("--json", "print the plan as JSON")
    .action(async (options: RetentionPlanOptions) => {
      await retentionPlan(globals(), options, out);
    });
}

export interface LineagePlan {
  readonly source: string;
  readonly lineage: string;
  readonly copies: number;
  /** Deleted by today's rules anyway (the next runs). */
  readonly deletedNow: number;
  /** Deleted with the new rules. */
  readonly deletedNew: number;
  /** The copies the change adds to the deletes. */
  readonly snapshotIds: readonly string[];
  /** The oldest copy's data time that stays, with the new rules. */
  readonly oldestKept?: string;
}

export async function retentionPlan(
  globals: AccountOptions,
  options: RetentionPlanOptions,
  out: Out,
): Promise<LineagePlan[]> {
  const current = currentRules(options.stackFile);
  const wanted: RetentionRules = {
    retentionDays: whole("--retention-days", options.retentionDays, 1),
    minCopies:
      options.minCopies !== undefined
        ? whole("--min-copies", options.minCopies, 1)
        : current.minCopies,
    freezeAfterHours:
      options.freezeAfterHours !== undefined
        ? whole("--freeze-after-hours", options.freezeAfterHours, 25)
        : current.freezeAfterHours,
    // The retention tiers (issue 12) keep weekly and monthly copies beyond retentionDays.
    keepWeekly:
      options.keepWeekly !== undefined
        ? whole("--keep-weekly", options.keepWeekly, 0)
        : current.keepWeekly,
    keepMonthly:
      options.keepMonthly !== undefined
        ? whole("--keep-monthly", options.keepMonthly, 0)
        : current.keepMonthly,
  };
  const failsafe = accountClients("failsafe", globals);
  const copies = await failsafeCopies(failsafe, options.source);
  const byLineage = new Map<string, { source: string; copies: SnapshotInfo[] }>();
  for (const copy of copies) {
    const lineage = lineageOf(copy);
    if (!lineage) continue;
    const entry = byLineage.get(lineage.key) ?? {
      source: `${lineage.account}/${copy.kind}/${lineage.sourceId}`,
      copies: [],
    };
    entry.copies.push(copy);
    byLineage.set(lineage.key, entry);
  }
  const now = new Date();
  const plans: LineagePlan[] = [...byLineage.entries()]
    .map(([lineage, { source, copies: group }]) => {
      const retention = group.map(toRetentionCopy);
      const before = planRetention(retention, now, current);
      const after = planRetention(retention, now, wanted);
      const deletedBefore = new Set(before.filter((d) => d.action === "delete").map((d) => d.id));
      const added = after.filter((d) => d.action === "delete" && !deletedBefore.has(d.id));
      const kept = new Set(after.filter((d) => d.action === "keep").map((d) => d.id));
      const oldest = retention
        .filter((c) => kept.has(c.id) && c.time)
        .sort((a, b) => (a.time?.getTime() ?? 0) - (b.time?.getTime() ?? 0))[0];
      return {
        source,
        lineage,
        copies: group.length,
        deletedNow: deletedBefore.size,
        deletedNew: after.filter((d) => d.action === "delete").length,
        snapshotIds: added.map((d) => d.id),
        ...(oldest?.time ? { oldestKept: oldest.time.toISOString() } : {}),
      };
    })
    .sort((a, b) => a.source.localeCompare(b.source));

  if (options.json) {
    out.line(JSON.stringify({ current, wanted, lineages: plans }, null, 2));
    return plans;
  }
  const rules = (r: RetentionRules) =>
    `retentionDays ${r.retentionDays}, minCopies ${r.minCopies}, freezeAfterHours ${r.freezeAfterHours}, keepWeekly ${r.keepWeekly ?? 0}, keepMonthly ${r.keepMonthly ?? 0}`;
  out.line(`today:   ${rules(current)}`);
  out.line(`planned: ${rules(wanted)}`);
  out.line(
    table(
      [
        "database",
        "lineage",
        "copies",
        "deleted today",
        "deleted planned",
        "more deletes",
        "oldest kept",
      ],
      plans.map((p) => [
        p.source,
        p.lineage.split("/").pop(),
        p.copies,
        p.deletedNow,
        p.deletedNew,
        p.snapshotIds.length,
        p.oldestKept?.slice(0, 10),
      ]),
    ).join("\n"),
  );
  const extra = plans.reduce((n, p) => n + p.snapshotIds.length, 0);
  const total = plans.reduce((n, p) => n + p.deletedNew, 0);
  out.line(
    extra === 0
      ? "the change deletes nothing more than today's rules."
      : `the change deletes ${extra} more cop${extra === 1 ? "y" : "ies"} (${total} in all), at most ${MAX_ACTIONS_PER_RUN} per sweep run (maxActionsPerRun): about ${Math.ceil(total / MAX_ACTIONS_PER_RUN)} hourly run(s). Nothing was deleted.`,
  );
  return plans;
}

function currentRules(stackFile: string | undefined): RetentionRules {
  // The program's defaults (components/config.ts, Pulumi.yaml).
  const defaults = {
    retentionDays: 31,
    minCopies: 7,
    freezeAfterHours: 48,
    keepWeekly: 8,
    keepMonthly: 12,
  };
  const path =
    stackFile ?? (fs.existsSync("Pulumi.failsafe.yaml") ? "Pulumi.failsafe.yaml" : undefined);
  if (!path) return defaults; // no stack file: the program's defaults are what is deployed
  const file = readStackFile(path);
  if (!file.config) {
    throw new UsageError(`${path} is not a valid stack file: ${file.problems.join("; ")}`);
  }
  const { retentionDays, minCopies, freezeAfterHours, keepWeekly, keepMonthly } = file.config;
  return { retentionDays, minCopies, freezeAfterHours, keepWeekly, keepMonthly };
}

function whole(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag} must be a whole number ≥ ${min}, not ${JSON.stringify(value)}`);
  }
  return n;
}
