/**
 * `npm run policy`: the policy pack over the whole program, evaluated under mocks in each stack
 * mode — what `pulumi preview --policy-pack policy` reports, without the CLI. Prints resource,
 * policy, level and message; exits non-zero on a mandatory violation.
 *
 * Limits: the policies see the program's inputs and the mocks' answers (ARNs built as AWS would),
 * not values a provider computes on a real preview (e.g. tagsAll).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  formatViolations,
  hasMandatoryViolation,
  runPolicies,
  type RunConfig,
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
  "stack-resources-in-their-account": { prodAccountId: PROD, failsafeAccountId: FAILSAFE },
};

async function main(): Promise<void> {
  let failed = false;
  for (const mode of ["save", "copy", "both"] as const) {
    const evaluation = evaluateProgram(baseConfig(mode));
    const resources = policyResources(evaluation);
    const violations = await runPolicies(resources, POLICY_CONFIG);
    const mandatory = violations.filter((v) => v.level === "mandatory").length;
    console.log(
      `\n=== stack mode "${mode}": ${resources.length} resources, ${violations.length} violations (${mandatory} mandatory)`,
    );
    console.log(formatViolations(violations));
    failed ||= hasMandatoryViolation(violations);
  }
  process.exit(failed ? 1 : 0);
}

if (require.main === module) {
  void main();
}
