/**
 * `npm run policy [-- --allow-unevaluated]`: the policy pack over the whole program, evaluated
 * under mocks in each stack mode (save, copy, both) and in two views:
 *
 * - deployed (`pulumi up`): every value known, as the mocks answer them (ARNs built as AWS would);
 * - preview (`pulumi preview` of a new stack, what a pull request sees): values providers compute
 *   are unknown, and so is every document built from them.
 *
 * Prints per mode the number of resources, the violations (resource, policy, level, message), the
 * documents the pack could not evaluate during preview (`policy-documents-known-at-preview`) and
 * the policies that could not run during preview. Exits non-zero on a mandatory violation in
 * either view, and on any unevaluated document or can't-run unless `--allow-unevaluated`.
 *
 * Limits: the policies see the program's inputs and the mocks' answers, not values a provider
 * computes on a real preview (e.g. tagsAll).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { policyDocumentsKnownAtPreview } from "../policy/documents";
import {
  formatViolations,
  type MockResource,
  runPolicies,
  type RunConfig,
  type Violation,
} from "../policy/run";
import {
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  policyResources,
  PROD,
} from "../test/program/support";

export const POLICY_CONFIG: RunConfig = {
  ...(JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "policy", "config.example.json"), "utf8"),
  ) as RunConfig),
  "rds-snapshot-sharing": { failsafeAccountId: FAILSAFE },
  "stack-resources-in-their-account": { prodAccountIds: [PROD], failsafeAccountId: FAILSAFE },
};

export const MODES = ["save", "copy", "both"] as const;
export type Mode = (typeof MODES)[number];

export interface ModeReport {
  readonly mode: Mode;
  readonly resources: number;
  /** Deployed view, can't-run advisories aside. */
  readonly violations: Violation[];
  /** Preview view: violations the deployed view does not have (unevaluated documents aside). */
  readonly previewOnly: Violation[];
  /** Preview view: one per document not known during preview. */
  readonly unevaluated: Violation[];
  /** Either view: a policy that threw on an unknown value and checked nothing. */
  readonly cantRun: Violation[];
}

const key = (v: Violation) => `${v.policy}\u0000${v.resource}\u0000${v.message}`;

/** The pack over one mode's resources in both views. */
export async function reportMode(
  mode: Mode,
  deployed: readonly MockResource[],
  preview: readonly MockResource[],
  config: RunConfig = POLICY_CONFIG,
): Promise<ModeReport> {
  const up = await runPolicies(deployed, config);
  const pre = await runPolicies(preview, config);
  const seen = new Set(up.map(key));
  const unevaluated = pre.filter((v) => v.policy === policyDocumentsKnownAtPreview.name);
  return {
    mode,
    resources: deployed.length,
    violations: up.filter((v) => !v.cantRun),
    previewOnly: pre.filter(
      (v) => !v.cantRun && v.policy !== policyDocumentsKnownAtPreview.name && !seen.has(key(v)),
    ),
    unevaluated,
    cantRun: [...up, ...pre].filter((v) => v.cantRun),
  };
}

export function exitCode(
  reports: readonly ModeReport[],
  options: { allowUnevaluated?: boolean } = {},
): number {
  const mandatory = reports.some((r) =>
    [...r.violations, ...r.previewOnly].some((v) => v.level === "mandatory"),
  );
  const unevaluated = reports.some((r) => r.unevaluated.length > 0 || r.cantRun.length > 0);
  return mandatory || (unevaluated && !options.allowUnevaluated) ? 1 : 0;
}

export function formatReport(report: ModeReport): string {
  const mandatory = report.violations.filter((v) => v.level === "mandatory").length;
  const lines = [
    `=== stack mode "${report.mode}": ${report.resources} resources, ${report.violations.length} violations (${mandatory} mandatory), ${report.unevaluated.length} documents not evaluated during preview, ${report.cantRun.length} policies that could not run during preview`,
    formatViolations(report.violations),
  ];
  if (report.previewOnly.length > 0) {
    lines.push("--- only in the preview view:", formatViolations(report.previewOnly));
  }
  if (report.unevaluated.length > 0) {
    lines.push("--- documents not evaluated during preview:", formatViolations(report.unevaluated));
  }
  if (report.cantRun.length > 0) {
    lines.push("--- could not run during preview:", formatViolations(report.cantRun));
  }
  return lines.join("\n");
}

/** Evaluates the program in `mode` (deployed and preview) and runs the pack over it. */
export function reportProgram(mode: Mode, config: RunConfig = POLICY_CONFIG): Promise<ModeReport> {
  return reportMode(
    mode,
    policyResources(evaluateProgram(baseConfig(mode))),
    policyResources(evaluateProgram(baseConfig(mode), {}, { preview: true })),
    config,
  );
}

async function main(): Promise<void> {
  const allowUnevaluated = process.argv.includes("--allow-unevaluated");
  const reports: ModeReport[] = [];
  for (const mode of MODES) {
    const report = await reportProgram(mode);
    reports.push(report);
    console.log(`\n${formatReport(report)}`);
  }
  const code = exitCode(reports, { allowUnevaluated });
  const unevaluated = reports.reduce((n, r) => n + r.unevaluated.length, 0);
  if (unevaluated > 0 && allowUnevaluated) {
    console.log(
      `\n${unevaluated} documents not evaluated during preview (allowed by --allow-unevaluated)`,
    );
  }
  process.exit(code);
}

if (require.main === module) {
  void main();
}
