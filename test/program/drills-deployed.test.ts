import { strict as assert } from "node:assert";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { NAMES } from "../../components/names";
import { DRILL_TAG } from "../../handlers/drill-plan";
import { PROD_ACCOUNT, setEmulatorLimits } from "../harness";
import { deployedCode, useDeployedCode } from "../support/deployed";
import { DrillHarness } from "../support/drills";
import type { LambdaProcess } from "../support/lambda-runtime";
import { createWorld, type World } from "../support/world";

/**
 * Restore drills end to end through the DEPLOYED code: the drill and drill-verify archives from
 * the program under mocks, each in its own Lambda-like process with the program's settings and
 * the failsafe account's credentials, against the emulator; the harness plays RDS's events.
 * Covers a drill per kind, a drill left behind (its event lost), and a drill that fails
 * verification.
 */
describe("restore drills through the deployed code (emulator)", function () {
  this.timeout(180_000);
  let world: World;
  let functions: Record<string, LambdaProcess>;
  const extra: LambdaProcess[] = [];

  beforeEach(async () => {
    world = await createWorld();
    functions = await useDeployedCode(world);
  });
  afterEach(async () => {
    Object.values(functions).forEach((f) => f.stop());
    extra.splice(0).forEach((f) => f.stop());
    await setEmulatorLimits({});
  });

  const verdicts = (name: string) =>
    (functions[name]?.decisions() ?? []).map((d) => `${String(d.decision)}: ${String(d.reason)}`);

  it("drills a DB instance and an Aurora cluster: restored, verified, RTO recorded, deleted", async () => {
    await world.runPipeline(
      await world.createInstance("orders", { tagged: true, encryption: "default" }),
    );
    await world.runPipeline(
      await world.createCluster("ledger", { tagged: true, encryption: "cmk" }),
    );
    // Restores take a second in the emulator (extension 14.), so the RTO is a real measurement.
    await setEmulatorLimits({ restoreSeconds: 1 });
    const drills = new DrillHarness(world.failsafe, world.failsafeSide);
    const report = await world.failsafeSide.drill();
    assert.equal(report.started.length, 2, JSON.stringify(report));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await drills.settle({ timeoutMs: 20_000 });
    assert.deepEqual(
      await drills.databases(),
      {},
      `drill databases deleted; events ${drills.delivered.join(", ")}; drill-verify: ${verdicts(NAMES.fn.drillVerify).join(" | ")}`,
    );
    for (const kind of ["instance", "cluster"] as const) {
      const [copy] = await world.manualSnapshots(world.failsafe, kind);
      assert.equal(copy?.tags[DRILL_TAG.result], "pass", copy?.tags[DRILL_TAG.problem]);
      assert.ok(Number(copy?.tags[DRILL_TAG.rtoSeconds]) >= 1, `${kind} RTO ≥ the restore time`);
    }
    assert.equal(
      verdicts(NAMES.fn.drillVerify).filter((v) => v.startsWith("verified: restore verified"))
        .length,
      2,
      verdicts(NAMES.fn.drillVerify).join("\n"),
    );
    // The figures as the deployed code emits them (Powertools EMF lines in the function log).
    const emf = (functions[NAMES.fn.drillVerify]?.logs ?? []).filter((l) => "_aws" in l);
    assert.ok(
      emf.some(
        (l) => l.DrillRtoSeconds !== undefined && l.Source === `${PROD_ACCOUNT}/instance/orders`,
      ),
    );
  });

  it("finishes a drill whose 'restored' event was lost at the next deployed drill run", async () => {
    await world.runPipeline(await world.createInstance("orders", { tagged: true }));
    const drills = new DrillHarness(world.failsafe, world.failsafeSide, () => true);
    await drills.run();
    assert.equal(drills.lost.length, 1);
    assert.equal(Object.keys(await drills.databases()).length, 1, "left behind");
    const next = await world.failsafeSide.drill();
    assert.deepEqual(
      next.found.map((f) => f.decision),
      ["verified"],
      JSON.stringify(next.found),
    );
    assert.deepEqual(await drills.databases(), {});
    const [copy] = await world.manualSnapshots(world.failsafe, "instance");
    assert.equal(copy?.tags[DRILL_TAG.result], "pass");
  });

  it("fails a drill whose copy is not under the vault key, tells ops, and deletes the drill", async () => {
    await world.runPipeline(
      await world.createInstance("orders", { tagged: true, encryption: "cmk" }),
    );
    await world.opsNotifications();
    // The failsafe stack re-deployed with a new vault key: the copies made so far are under the
    // old one. The deployed drill functions get the new key ARN in their settings.
    const key = await world.failsafe.kms.send(new CreateKeyCommand({ Description: "new vault" }));
    const code = await deployedCode({
      transitKeyArn: world.transitKeyArn,
      vaultKeyArn: key.KeyMetadata?.Arn ?? "",
    });
    const drill = code.spawn(NAMES.fn.drill);
    const verify = code.spawn(NAMES.fn.drillVerify);
    extra.push(drill, verify);
    const drills = new DrillHarness(world.failsafe, {
      drill: () => drill.invoke(null),
      drillVerify: (event: SQSEvent) => verify.invoke<SQSBatchResponse>(event),
    });
    await drills.run();
    const verdict = verify.decisions().find((d) => d.decision === "failed");
    assert.match(
      String(verdict?.reason),
      /not the vault key .*: this copy does not depend on the vault key alone/,
    );
    assert.deepEqual(await drills.databases(), {}, "the failed drill is deleted");
    const [copy] = await world.manualSnapshots(world.failsafe, "instance");
    assert.equal(copy?.tags[DRILL_TAG.result], "fail");
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: restore drill FAILED for orders",
    ]);
  });
});
