import type { Command } from "commander";
import { RdsSnapshots } from "../../handlers/rds";
import { accountClients, type AccountOptions } from "../accounts";
import { assess, formatTiers, type Assessment, type DatabaseRow, type Protection } from "../assess";
import { readInventory, type Inventory } from "../inventory";
import { colour, hours, table, type Out } from "../output";
import { parseOverrides } from "../settings";

export interface StatusOptions {
  readonly json?: boolean;
  readonly wide?: boolean;
  readonly onlyProblems?: boolean;
  readonly set?: readonly string[];
}

/** Options `status` and `report` share: the settings overrides. */
export function settingsOption(command: Command): Command {
  return command.option(
    "--set <key=value>",
    "override a setting in force (repeatable): rpoHours=12, retentionDays=7, selectionTagKey=Backup… (default: what the deployed sweeps were given)",
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

export function registerStatus(program: Command, out: Out, globals: () => AccountOptions): void {
  settingsOption(
    program
      .command("status")
      .description(
        "is every database protected? one row per database in prod, then quotas, DLQs and alarms per account; exit 1 on an RPO breach or an unprotected tagged database (read-only)",
      )
      .option("--json", "machine-readable output")
      .option("--wide", "show snapshot ids, not only their ages")
      .option("--only-problems", "list only databases that are not protected or not selected"),
  ).action(async (options: StatusOptions) => {
    const result = await gatherAssessment(globals(), options.set ?? []);
    process.exitCode = renderStatus(result, options, out);
  });
}

export interface Gathered {
  readonly inventory: Inventory;
  readonly assessment: Assessment;
  /** Wall-clock time of the reads and the assessment, and of the assessment alone. */
  readonly elapsedMs: number;
  readonly assessMs: number;
}

/**
 * Reads both accounts and assesses them; where a reason depends on whether an intermediate is
 * shared, asks RDS for exactly those (one DescribeDB(Cluster)SnapshotAttributes each, for the
 * few databases that are not protected), then assesses again.
 */
export async function gatherAssessment(
  globals: AccountOptions,
  pairs: readonly string[],
  now = new Date(),
): Promise<Gathered> {
  const started = Date.now();
  const overrides = parseOverrides(pairs);
  const prod = accountClients("prod", globals);
  const failsafe = accountClients("failsafe", globals);
  const inventory = await readInventory(prod, failsafe, globals.region, overrides, now);
  let assessStarted = Date.now();
  let assessment = assess(inventory);
  let assessMs = Date.now() - assessStarted;
  if (assessment.shareChecks.length > 0) {
    const rds = new RdsSnapshots(prod.rds);
    const shared = new Map<string, boolean>();
    const failsafeAccount = inventory.failsafe.identity.account;
    const checks = [...assessment.shareChecks];
    // A handful at a time: these are the unprotected databases only.
    while (checks.length > 0) {
      await Promise.all(
        checks.splice(0, 10).map(async ({ kind, id }) => {
          const accounts = await rds.restoreAccounts(kind, id);
          shared.set(`${kind}/${id}`, accounts.includes(failsafeAccount));
        }),
      );
    }
    assessStarted = Date.now();
    assessment = assess(inventory, shared);
    assessMs += Date.now() - assessStarted;
  }
  return { inventory, assessment, elapsedMs: Date.now() - started, assessMs };
}

const TONE: Record<Protection, "good" | "bad" | "warn" | "dim"> = {
  protected: "good",
  breach: "bad",
  unprotected: "bad",
  pending: "warn",
  retired: "dim",
  "not-selected": "dim",
  gone: "warn",
};

function ageOf(time: Date | undefined, now: Date): string {
  return time ? hours((now.getTime() - time.getTime()) / 3_600_000) : "-";
}

function states(row: DatabaseRow): string {
  const flags = [
    row.frozen ? "frozen" : "",
    row.lineageStatus && !["ok", "breach"].includes(row.lineageStatus) ? row.lineageStatus : "",
  ].filter(Boolean);
  return flags.join(", ");
}

function drill(row: DatabaseRow, now: Date): string {
  const d = row.lastDrill;
  if (!d) return "";
  // Under two minutes in seconds (a small drill restores in well under one), else minutes.
  const rto =
    d.rtoSeconds === undefined
      ? ""
      : d.rtoSeconds < 120
        ? `, RTO ${Math.round(d.rtoSeconds)} s`
        : `, RTO ${Math.round(d.rtoSeconds / 60)} min`;
  return `${d.result ?? "?"} ${ageOf(d.time, now)} ago${rto}`;
}

export function databaseLabel(row: DatabaseRow, prodAccount: string): string {
  return `${row.account === prodAccount ? "" : `${row.account}/`}${row.kind}/${row.id}`;
}

/** Prints the status (table or JSON); returns the exit status. */
export function renderStatus(result: Gathered, options: StatusOptions, out: Out): number {
  const { assessment: a, inventory: inv } = result;
  const now = inv.now;
  const prodAccount = inv.prod.identity.account;
  const exit = a.rows.some((r) => r.inBreach) ? 1 : 0;
  const rows = options.onlyProblems
    ? a.rows.filter((r) => r.protection !== "protected" && r.protection !== "not-selected")
    : a.rows;

  if (options.json) {
    out.line(
      JSON.stringify(
        {
          generatedAt: a.generatedAt.toISOString(),
          region: inv.region,
          verdict: a.verdict,
          exitStatus: exit,
          identities: { prod: inv.prod.identity, failsafe: inv.failsafe.identity },
          settings: inv.settings,
          databases: rows,
          accounts: a.accounts,
          warnings: a.warnings,
          awsCalls: inv.calls,
          awsCallMs: inv.callMs,
          elapsedMs: result.elapsedMs,
          assessMs: result.assessMs,
        },
        (_, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
        2,
      ),
    );
    return exit;
  }

  const snapshot = (s: { id: string; time: Date | undefined } | undefined) =>
    s ? (options.wide ? `${s.id} (${ageOf(s.time, now)})` : ageOf(s.time, now)) : "";
  const headers = [
    "database",
    "tagged",
    "protection",
    "automated",
    "intermediate",
    "newest copy",
    "copies",
    "lineage",
    "state",
    "RPO",
    "last drill",
    "why",
  ];
  out.line(
    table(
      headers,
      rows.map((r) => [
        databaseLabel(r, prodAccount),
        r.inProd ? (r.tagged ? "yes" : "no") : "",
        colour(r.protection, TONE[r.protection]),
        snapshot(r.newestAutomated),
        r.newestIntermediate
          ? `${snapshot(r.newestIntermediate)}${r.newestIntermediate.shared === false ? " unshared" : ""}`
          : "",
        r.newestCopy
          ? `${options.wide ? `${r.newestCopy.id} ` : ""}${hours(r.newestCopy.ageHours)}${r.newestCopy.status !== "available" ? ` ${r.newestCopy.status}` : ""}`
          : "",
        formatTiers(r.tiers),
        r.resourceId ?? "",
        states(r),
        r.lineageStatus === "breach"
          ? colour("breach", "bad")
          : r.lineageStatus === "ok"
            ? colour("ok", "good")
            : "",
        drill(r, now),
        r.reason,
      ]),
    ).join("\n"),
  );
  if (options.onlyProblems) {
    out.line(colour(`(${a.rows.length - rows.length} protected or not selected not shown)`, "dim"));
  }

  for (const account of a.accounts) {
    out.line();
    out.line(`${account.name} account ${account.identity.account} (${account.identity.arn})`);
    if (account.quotas.length > 0) {
      out.line(
        table(
          ["quota", "used", "max", "%", "needed at steady state", "forecast"],
          account.quotas.map((q) => [
            q.name,
            q.used,
            q.max,
            colour(
              `${q.percent}`,
              q.level === "bad" ? "bad" : q.level === "warn" ? "warn" : "good",
            ),
            `${q.steadyState.needed}${q.steadyState.fits ? "" : colour(" (does not fit)", "warn")}`,
            q.note,
          ]),
        )
          .map((l) => `  ${l}`)
          .join("\n"),
      );
    }
    const dlqs = account.dlqs.map((d) =>
      d.messages > 0 ? colour(`${d.name} ${d.messages}`, "bad") : `${d.name} 0`,
    );
    out.line(`  DLQs: ${dlqs.length > 0 ? dlqs.join(", ") : "none found (rds-failsafe-*-dlq)"}`);
    const ok = account.alarms.filter((al) => al.state === "OK").length;
    const other = account.alarms
      .filter((al) => al.state !== "OK")
      .map((al) => colour(`${al.name} ${al.state}`, al.state === "ALARM" ? "bad" : "warn"));
    out.line(
      `  alarms: ${account.alarms.length === 0 ? "none found (rds-failsafe-*)" : [`${ok} OK`, ...other].join(", ")}`,
    );
    for (const u of account.unreadable) {
      out.line(colour(`  could not read ${u}`, "warn"));
    }
  }

  const f = inv.settings.failsafe;
  const p = inv.settings.prod;
  out.line();
  out.line(
    `settings: failsafe ${f.deployed ? "from" : "defaults:"} ${f.source} (rpoHours ${f.values.rpoHours}, retentionDays ${f.values.retentionDays}, minCopies ${f.values.minCopies}, freezeAfterHours ${f.values.freezeAfterHours}); prod ${p.deployed ? "from" : "defaults:"} ${p.source} (${p.values.selectionTagKey}=${p.values.selectionTagValue}, unprotectedAfterHours ${p.values.unprotectedAfterHours})`,
  );
  for (const w of a.warnings) {
    out.line(colour(`warning: ${w}`, "warn"));
  }
  const tone = a.verdict.level === "ok" ? "good" : a.verdict.level === "warn" ? "warn" : "bad";
  out.line(colour(a.verdict.line, tone));
  return exit;
}
