import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { BOOTSTRAP_ROLE_NAMES, parseStackConfig } from "../components/config";

const ROOT = path.resolve(__dirname, "..");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  environment?: string;
  env?: Record<string, string>;
  permissions?: Record<string, string>;
  strategy: { matrix: { stack: string[] }; "max-parallel"?: number };
  steps: Step[];
}

function workflow(): { permissions: Record<string, string>; jobs: Record<string, Job> } {
  // PyYAML comes with the emulator's virtualenv (moto depends on it).
  const run = spawnSync(
    path.join(ROOT, ".venv-emulator", "bin", "python"),
    [
      "-c",
      "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
      path.join(ROOT, ".github/workflows/infra.yml"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ReturnType<typeof workflow>;
}

/**
 * The users' CI workflow cannot run here (no Pulumi CLI, no network); it must at least stay valid
 * YAML that previews both stacks with the policy pack on pull requests under the read-only roles,
 * and deploys failsafe before prod from the `<stack>-deploy` environments only, which is what the
 * bootstrap's CI roles trust (components/deploy-roles.ts).
 */
describe(".github/workflows/infra.yml", () => {
  const { permissions, jobs } = workflow();
  const credentials = (job: Job) =>
    job.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
  const pulumi = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));

  it("grants id-token only to the jobs that assume a role", () => {
    assert.deepEqual(permissions, { contents: "read" });
    assert.equal(jobs.test?.permissions, undefined);
    assert.equal(jobs.preview?.permissions?.["id-token"], "write");
    assert.equal(jobs.deploy?.permissions?.["id-token"], "write");
    assert.equal(jobs.deploy?.permissions?.["pull-requests"], undefined);
  });

  it("previews both stacks on pull requests with the policy pack, without an environment, under the preview roles", () => {
    const preview = jobs.preview as Job;
    assert.equal(preview.if, "github.event_name == 'pull_request'");
    assert.deepEqual(preview.strategy.matrix.stack, ["failsafe", "prod"]);
    // A job with an environment gets `environment:<name>` as its OIDC subject, not
    // `pull_request`: the preview CI role trusts only the latter.
    assert.equal(preview.environment, undefined);
    assert.equal(preview.env?.RDS_FAILSAFE_PREVIEW_ONLY, "true");
    assert.match(
      String(credentials(preview)?.with?.["role-to-assume"]),
      new RegExp(`:role/${BOOTSTRAP_ROLE_NAMES.githubPreview}$`),
    );
    assert.deepEqual(
      pulumi(preview).map((s) => [s.with?.command, s.with?.policyPacks]),
      [["preview", "policy"]],
    );
    // preflight, read-only, as the preview role (its policy holds preflight's reads), first
    const preflight = preview.steps.findIndex((s) =>
      s.run?.startsWith("npx rds-failsafe preflight"),
    );
    assert.ok(
      preflight >= 0 &&
        preflight < preview.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@")),
    );
    assert.match(String(preview.steps[preflight]?.run), /--only \$\{\{ matrix\.stack \}\}/);
    assert.match(String(preview.steps[preflight]?.run), /:role\/rds-failsafe-preview /);
  });

  it("deploys on main only, failsafe then prod, from the <stack>-deploy environment the bootstrap trusts", () => {
    const deploy = jobs.deploy as Job;
    assert.equal(deploy.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
    assert.deepEqual(deploy.strategy.matrix.stack, ["failsafe", "prod"]);
    assert.equal(deploy.strategy["max-parallel"], 1);
    assert.equal(deploy.environment, "${{ matrix.stack }}-deploy");
    assert.equal(deploy.env?.RDS_FAILSAFE_PREVIEW_ONLY, undefined);
    assert.match(
      String(credentials(deploy)?.with?.["role-to-assume"]),
      new RegExp(`:role/${BOOTSTRAP_ROLE_NAMES.githubDeploy}$`),
    );
    assert.deepEqual(
      pulumi(deploy).map((s) => [s.with?.command, s.with?.policyPacks]),
      [["up", "policy"]],
    );
    // The environment each matrix stack deploys from is the one its bootstrap stack trusts by
    // default (deployEnvironment).
    for (const stack of deploy.strategy.matrix.stack) {
      const side = stack === "prod" ? "bootstrap-prod" : "bootstrap-failsafe";
      const config = parseStackConfig({
        sides: side,
        region: "eu-west-1",
        prodAccountId: "111111111111",
        failsafeAccountId: "222222222222",
        githubRepository: "acme/rds-failsafe",
      });
      assert.equal(
        deploy.environment.replace("${{ matrix.stack }}", stack),
        config.deployEnvironment,
      );
    }
  });

  it("runs the tests before either", () => {
    assert.equal(jobs.preview?.needs, "test");
    assert.equal(jobs.deploy?.needs, "test");
    assert.ok(jobs.test?.steps.some((s) => s.run === "npm test"));
  });
});
