import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { UsageError, type AccountOptions } from "../accounts";
import type { CopyRow, DatabaseRow } from "../assess";
import type { Out } from "../output";
import type { SettingsInForce } from "../settings";
import { databaseLabel, gatherAssessment, settingsOption, type Gathered } from "./status";

export type ReportFormat = "md" | "csv" | "json";

export interface ReportOptions {
  readonly format: string;
  readonly out?: string;
  readonly set?: readonly string[];
}

export function registerReport(program: Command, out: Out, globals: () => AccountOptions): void {
  settingsOption(
    program
      .command("report")
      .description(
        "audit export: every database in prod with its protection state and why, every failsafe copy, the settings in force, when and as whom (read-only)",
      )
      .option("--format <md|csv|json>", "md (default), csv or json", "md")
      .option(
        "--out <path>",
        "write to this file (md, json) or directory (csv: meta.csv, settings.csv, databases.csv, copies.csv) instead of stdout",
      ),
  ).action(async (options: ReportOptions) => {
    const format = options.format as ReportFormat;
    if (!["md", "csv", "json"].includes(format)) {
      throw new UsageError(`--format ${options.format}: must be md, csv or json`);
    }
    const gathered = await gatherAssessment(globals(), options.set ?? []);
    const report = buildReport(gathered);
    const written = writeReport(report, format, options.out, out);
    if (written) {
      out.error(`rds-failsafe: report written to ${written}`);
    }
  });
}

type Cell = string | number | boolean | undefined;
interface Table {
  readonly name: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface Report {
  readonly title: string;
  readonly meta: Table;
  readonly settings: Table;
  readonly databases: Table;
  readonly copies: Table;
  /** The same content as structured data (--format json). */
  readonly json: unknown;
}

const iso = (d: Date | undefined) => d?.toISOString();

function settingRows(settings: SettingsInForce): Cell[][] {
  const rows: Cell[][] = [];
  for (const side of ["prod", "failsafe"] as const) {
    const s = settings[side];
    for (const [key, value] of Object.entries(s.values as Record<string, unknown>)) {
      const origin = s.origin[key] ?? "default";
      // The placeholders defaults use for ARNs the program sets are not facts.
      const unknown =
        origin === "default" && typeof value === "string" && value.includes("not-deployed");
      rows.push([
        side,
        key,
        unknown
          ? "(unknown: not deployed)"
          : Array.isArray(value)
            ? value.join(" ")
            : String(value),
        origin,
        s.source,
      ]);
    }
  }
  return rows;
}

function databaseRows(rows: readonly DatabaseRow[], prodAccount: string): Cell[][] {
  return rows.map((r) => [
    databaseLabel(r, prodAccount),
    r.account,
    r.kind,
    r.id,
    r.inProd,
    r.tagged,
    r.protection,
    r.reason,
    r.resourceId,
    r.lineage,
    r.lineageStatus,
    r.frozen,
    r.copies,
    Object.entries(r.tiers)
      .map(([k, v]) => `${k}:${v}`)
      .join(" "),
    r.newestCopy?.id,
    iso(r.newestCopy?.time),
    r.newestCopy ? Math.round(r.newestCopy.ageHours * 10) / 10 : undefined,
    r.lastDrill?.result,
    iso(r.lastDrill?.time),
    r.lastDrill?.rtoSeconds,
  ]);
}

function copyRows(copies: readonly CopyRow[]): Cell[][] {
  return copies.map((c) => [
    c.id,
    c.kind,
    c.account,
    c.sourceId,
    c.lineage,
    iso(c.dataTime),
    iso(c.created),
    c.status,
    c.encrypted,
    c.kmsKeyId,
    c.vaultKey,
    c.tier,
    c.lineageStatus,
    c.drillResult,
  ]);
}

export function buildReport(g: Gathered): Report {
  const { inventory: inv, assessment: a } = g;
  const prodAccount = inv.prod.identity.account;
  const meta: Table = {
    name: "meta",
    headers: ["item", "value"],
    rows: [
      ["generated", a.generatedAt.toISOString()],
      ["region", inv.region],
      ["prod identity", inv.prod.identity.arn],
      ["failsafe identity", inv.failsafe.identity.arn],
      ["verdict", a.verdict.line],
      ["databases in prod", inv.databases.filter((d) => !d.clusterId).length],
      ["failsafe copies", a.copies.length],
      ...a.accounts.flatMap((acc) =>
        acc.quotas.map((q): Cell[] => [
          `${acc.name} ${q.name}`,
          `${q.used}/${q.max} (${q.percent} %); ${q.note}`,
        ]),
      ),
      ...a.warnings.map((w): Cell[] => ["warning", w]),
    ],
  };
  const settings: Table = {
    name: "settings",
    headers: ["side", "setting", "value", "origin", "source"],
    rows: settingRows(inv.settings),
  };
  const databases: Table = {
    name: "databases",
    headers: [
      "database",
      "account",
      "kind",
      "id",
      "in prod",
      "tagged",
      "protection",
      "reason",
      "resource id",
      "lineage",
      "lineage status",
      "frozen",
      "copies",
      "tiers",
      "newest copy",
      "newest copy data time",
      "newest copy age h",
      "last drill",
      "last drill time",
      "drill RTO s",
    ],
    rows: databaseRows(a.rows, prodAccount),
  };
  const copies: Table = {
    name: "copies",
    headers: [
      "copy",
      "kind",
      "source account",
      "source",
      "lineage",
      "data time",
      "created",
      "status",
      "encrypted",
      "kms key",
      "vault key",
      "tier",
      "lineage status",
      "drill result",
    ],
    rows: copyRows(a.copies),
  };
  return {
    title: `rds-failsafe audit report, ${a.generatedAt.toISOString()}`,
    meta,
    settings,
    databases,
    copies,
    json: {
      generatedAt: a.generatedAt.toISOString(),
      region: inv.region,
      identities: { prod: inv.prod.identity, failsafe: inv.failsafe.identity },
      verdict: a.verdict,
      settings: inv.settings,
      databases: a.rows,
      copies: a.copies,
      accounts: a.accounts.map((acc) => ({
        name: acc.name,
        identity: acc.identity,
        quotas: acc.quotas,
        dlqs: acc.dlqs,
        alarms: acc.alarms,
        unreadable: acc.unreadable,
      })),
      warnings: a.warnings,
    },
  };
}

/** RFC 4180: quote a field holding a comma, quote or line break; double the quotes. */
export function csvField(cell: Cell): string {
  const text = cell === undefined ? "" : String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(t: Table): string {
  return [t.headers, ...t.rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

const mdCell = (cell: Cell) =>
  (cell === undefined ? "" : String(cell)).replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function mdTable(t: Table): string {
  return [
    `| ${t.headers.map(mdCell).join(" | ")} |`,
    `| ${t.headers.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${t.headers.map((_, i) => mdCell(r[i])).join(" | ")} |`),
  ].join("\n");
}

export function markdown(r: Report): string {
  const section = (title: string, t: Table) => `## ${title}\n\n${mdTable(t)}\n`;
  return [
    `# ${r.title}\n`,
    section("Summary", r.meta),
    section("Settings in force", r.settings),
    section(`Databases (${r.databases.rows.length})`, r.databases),
    section(`Failsafe copies (${r.copies.rows.length})`, r.copies),
  ].join("\n");
}

/** Writes the report; returns the path written, or undefined for stdout. */
export function writeReport(
  r: Report,
  format: ReportFormat,
  target: string | undefined,
  out: Out,
): string | undefined {
  const tables = [r.meta, r.settings, r.databases, r.copies];
  if (format === "csv") {
    if (!target) {
      // One stream: each table after a `# name` line (pandas: comment="#" per section).
      out.line(
        tables
          .map((t) => `# ${t.name}\r\n${csv(t)}`)
          .join("\r\n")
          .trimEnd(),
      );
      return undefined;
    }
    fs.mkdirSync(target, { recursive: true });
    for (const t of tables) {
      fs.writeFileSync(path.join(target, `${t.name}.csv`), csv(t));
    }
    return target;
  }
  const text = format === "json" ? JSON.stringify(r.json, null, 2) : markdown(r);
  if (!target) {
    out.line(text);
    return undefined;
  }
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  fs.writeFileSync(target, `${text}\n`);
  return target;
}
