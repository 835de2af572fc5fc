import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/**
 * The users' CI workflow cannot run here (no Pulumi CLI, no network); it must at least stay valid
 * YAML that previews both stacks with the policy pack and deploys failsafe before prod.
 */
describe(".github/workflows/infra.yml", () => {
  it("is valid YAML with a policy-pack preview and a deploy per stack, failsafe first", () => {
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
    const workflow = JSON.parse(run.stdout) as {
      jobs: {
        stack: {
          strategy: { matrix: { stack: string[] }; "max-parallel": number };
          steps: { uses?: string; with?: Record<string, unknown> }[];
        };
      };
    };
    const stack = workflow.jobs.stack;
    assert.deepEqual(stack.strategy.matrix.stack, ["failsafe", "prod"]);
    assert.equal(stack.strategy["max-parallel"], 1);
    const pulumi = stack.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
    assert.deepEqual(
      pulumi.map((s) => s.with?.command),
      ["preview", "up"],
    );
    for (const step of pulumi) {
      assert.equal(step.with?.policyPacks, "policy");
    }
  });
});
