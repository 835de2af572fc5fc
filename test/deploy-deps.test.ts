import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/**
 * `pulumi up` needs only the production dependencies: scripts/deploy-deps.sh installs the project
 * with `npm ci --omit=dev` (from npm's cache, which the suite's own `npm ci` filled) in a
 * temporary directory and runs the program there as the Pulumi language host does. It caught a
 * deploy-time import of the AWS SDK (handlers/quota.ts, now split into quota-math.ts).
 */
describe("deploy-time dependencies (npm ci --omit=dev)", function () {
  this.timeout(600_000);

  it("runs the program, builds both bundles and serializes every function with production dependencies only", () => {
    const run = spawnSync("bash", [path.join(ROOT, "scripts", "deploy-deps.sh")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 590_000,
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(
      run.stdout,
      /program evaluated with the production dependencies only: \d+ resources/,
    );
    const archives = run.stdout.split("\n").filter((l) => l.startsWith("  rds-failsafe-"));
    // copy, share, prod sweep; save, retention, failsafe sweep, drill, drill-verify
    assert.equal(archives.length, 8, run.stdout);
    for (const line of archives) {
      assert.match(
        line,
        /: \.\/__index\.js \.\/bin\/lambda\/(prod|failsafe)\.js \(\d+ bytes unzipped\)$/,
      );
    }
  });
});
