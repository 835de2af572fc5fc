import { strict as assert } from "node:assert";
import * as path from "node:path";
import { useDeployedCode } from "../support/deployed";
import type { LambdaProcess } from "../support/lambda-runtime";
import { LAMBDA_NODE_MAJOR } from "../support/node22";
import { createWorld, type World } from "../support/world";
import { baseConfig, evaluateProgram, type Evaluation } from "./support";

/**
 * The code that would be deployed: each CallbackFunction's archive (its generated __index.js and
 * the handler bundle), extracted from the program under mocks, run in its own process with only
 * the AWS SDK available (as in the Lambda runtime), against the two-account emulator.
 */
describe("deployed Lambda code (serialized archives) on the emulator", function () {
  this.timeout(120_000);
  let program: Evaluation;
  let world: World;
  let functions: Record<string, LambdaProcess>;

  before(() => {
    program = evaluateProgram(baseConfig("both"));
  });

  beforeEach(async () => {
    world = await createWorld();
    functions = await useDeployedCode(world);
  });

  afterEach(() => {
    Object.values(functions).forEach((f) => f.stop());
  });

  const failures = () =>
    Object.values(functions).flatMap((f) =>
      f
        .decisions()
        .filter((d) => ["failed", "retry", "rejected"].includes(String(d.decision)))
        .map((d) => `${f.name}: ${d.decision} ${d.reason}`),
    );

  it("each archive holds only __index.js and its side's bundle", async () => {
    const fs = await import("node:fs");
    for (const name of Object.keys(functions)) {
      const dir = path.join(program.archivesDir, name);
      const files = fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
        .sort();
      const side = /copy|share|prod-sweep/.test(name) ? "prod" : "failsafe";
      assert.deepEqual(files, ["__index.js", `bin/lambda/${side}.js`], name);
    }
  });

  it("protects a tagged DB instance and a tagged Aurora cluster end to end, every event 3 times", async () => {
    const instance = await world.createInstance("orders", { tagged: true, encryption: "default" });
    const cluster = await world.createCluster("ledger", { tagged: true, encryption: "cmk" });
    await world.createInstance("scratch");
    await world.runPipeline(instance, 3);
    await world.runPipeline(cluster, 3);

    for (const kind of ["instance", "cluster"] as const) {
      const saved = await world.manualSnapshots(world.failsafe, kind);
      assert.equal(saved.length, 1, `one failsafe ${kind} copy`);
      assert.equal(saved[0]?.kmsKeyId, world.vaultKeyArn);
      assert.equal(saved[0]?.tags["failsafe:managed"], "true");
      assert.equal(
        (await world.manualSnapshots(world.prod, kind)).length,
        1,
        `one ${kind} intermediate`,
      );
    }
    assert.deepEqual(failures(), []);
    // On the Lambda runtime's Node major (nodejs22.x), not the Node that runs the tests.
    const versions = Object.values(functions).flatMap((f) => f.nodeVersion ?? []);
    assert.ok(versions.length > 0);
    assert.deepEqual(
      versions.filter((v) => !v.startsWith(`v${LAMBDA_NODE_MAJOR}.`)),
      [],
      "Node 22 missing? bash test/node22/setup.sh",
    );
    // The deployed code logs structured decisions (Powertools, JSON) with the Lambda's name.
    const copy = functions["rds-failsafe-copy"]?.decisions() ?? [];
    assert.equal(copy.filter((d) => d.decision === "copied").length, 2);
    assert.equal(copy[0]?.service, "rds-failsafe-prod");
  });

  it("recovers through the deployed sweeps when every event was dropped, and emits the RPO metric", async () => {
    await world.createInstance("orders", { tagged: true });
    await world.createCluster("ledger", { tagged: true, encryption: "default" });
    await world.prodSide.sweep();
    await world.prodSide.sweep();
    await world.failsafeSide.sweep();
    assert.equal((await world.manualSnapshots(world.failsafe, "instance")).length, 1);
    assert.equal((await world.manualSnapshots(world.failsafe, "cluster")).length, 1);
    assert.deepEqual(failures(), []);
    await world.failsafeSide.sweep();
    // Powertools Metrics writes CloudWatch embedded-metric-format lines the alarm reads.
    const emf = functions["rds-failsafe-failsafe-sweep"]?.logs.filter((l) => "_aws" in l) ?? [];
    const summary = emf.find((l) => "RpoBreaches" in l);
    assert.ok(summary, "RpoBreaches is published");
    assert.equal(summary.service, "rds-failsafe-failsafe");
    assert.equal(Number(summary.RpoBreaches), 0);
    assert.equal(Number(summary.SweepCompleted), 1, "the heartbeat the sweep-stopped alarm reads");
    const ages = emf.filter((l) => "NewestCopyAgeHours" in l);
    assert.equal(ages.length, 2, "one age per protected database");
    assert.ok(ages.every((l) => Number(l.NewestCopyAgeHours) < 1));
  });
});
