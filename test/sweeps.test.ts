import { strict as assert } from "node:assert";
import { CopyDBSnapshotCommand } from "@aws-sdk/client-rds";
import { PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { TAG, toTagList } from "../handlers/tags";
import { PROD_ACCOUNT } from "./harness";
import { createWorld, type World } from "./support/world";

/**
 * The sweeps are level-triggered: they must finish the job when RDS events, hand-offs or a
 * Lambda in the middle were lost.
 */
describe("sweeps (emulator)", function () {
  this.timeout(60_000);
  let world: World;

  const dropHandoffs = () =>
    world.failsafe.sqs.send(new PurgeQueueCommand({ QueueUrl: world.saveQueueUrl }));
  const count = async (kind: "instance" | "cluster") => ({
    prod: (await world.manualSnapshots(world.prod, kind)).length,
    failsafe: (await world.manualSnapshots(world.failsafe, kind)).length,
  });

  beforeEach(async () => {
    world = await createWorld();
  });

  it("recover a pipeline whose events were all dropped", async () => {
    await world.createInstance("orders", { tagged: true, encryption: "default" });
    await world.createInstance("billing", { tagged: true });
    await world.createInstance("scratch");
    await world.createCluster("ledger", { tagged: true, encryption: "cmk" });
    // No RDS event reaches the copy or share queue, and every hand-off is lost.
    const first = await world.prodSide.sweep();
    assert.equal(first.copied, 3, "copies the newest automated snapshot of each tagged source");
    const second = await world.prodSide.sweep();
    assert.equal(second.shared, 3, "shares the intermediates the lost share events did not");
    await dropHandoffs();
    const saved = await world.failsafeSide.sweep();
    assert.equal(saved.saved, 3);
    assert.deepEqual(await count("instance"), { prod: 2, failsafe: 2 });
    assert.deepEqual(await count("cluster"), { prod: 1, failsafe: 1 });
    for (const s of [
      ...(await world.manualSnapshots(world.failsafe, "instance")),
      ...(await world.manualSnapshots(world.failsafe, "cluster")),
    ]) {
      assert.equal(s.kmsKeyId, world.vaultKeyArn, `${s.id} encrypted with the vault key`);
    }
    // Steady state: nothing more to do, nothing duplicated.
    const again = await world.prodSide.sweep();
    const againFailsafe = await world.failsafeSide.sweep();
    assert.deepEqual(
      { copied: again.copied, shared: again.shared, saved: againFailsafe.saved },
      { copied: 0, shared: 0, saved: 0 },
    );
    assert.deepEqual(againFailsafe.sources.map((s) => [s.source, s.breach]).sort(), [
      [`${PROD_ACCOUNT}/cluster/ledger`, false],
      [`${PROD_ACCOUNT}/instance/billing`, false],
      [`${PROD_ACCOUNT}/instance/orders`, false],
    ]);
  });

  it("finish the job after a crash between copy and share", async () => {
    const automated = await world.createInstance("orders", { tagged: true });
    await world.deliverAutomatedSnapshotCreated(automated); // the share Lambda never runs
    assert.equal((await world.prodSide.sweep()).shared, 1);
    await world.deliverHandoffs();
    assert.deepEqual(await count("instance"), { prod: 1, failsafe: 1 });
  });

  it("finish the job after a crash between share and save", async () => {
    const automated = await world.createCluster("ledger", { tagged: true });
    await world.deliverAutomatedSnapshotCreated(automated);
    await world.deliverIntermediateEvents("cluster");
    await dropHandoffs(); // the save Lambda never sees it
    assert.equal((await world.prodSide.sweep()).shared, 0, "prod sees it shared: nothing to redo");
    assert.equal((await world.failsafeSide.sweep()).saved, 1);
    assert.deepEqual(await count("cluster"), { prod: 1, failsafe: 1 });
  });

  it("bound the work of one run and defer the rest", async () => {
    world = await createWorld({ maxActionsPerRun: 2 });
    for (const id of ["a1", "a2", "a3", "a4", "a5"]) {
      await world.createInstance(id, { tagged: true });
    }
    const first = await world.prodSide.sweep();
    assert.deepEqual([first.copied, first.deferred], [2, 3]);
    const second = await world.prodSide.sweep();
    assert.equal(second.copied, 2);
    const third = await world.prodSide.sweep();
    assert.equal(third.copied, 1);
    assert.equal((await count("instance")).prod, 5);
  });

  it("delete old intermediates except the newest per source, and never unmanaged ones", async () => {
    const automated = await world.createInstance("orders", { tagged: true });
    const tags = (i: number) =>
      toTagList({
        [TAG.managed]: "true",
        [TAG.sourceAccount]: PROD_ACCOUNT,
        [TAG.sourceKind]: "instance",
        [TAG.sourceId]: "orders",
        [TAG.sourceSnapshot]: `rds:orders-old-${i}`,
      });
    for (const i of [1, 2, 3]) {
      await world.prod.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: automated.id,
          TargetDBSnapshotIdentifier: `failsafe-orders-old-${i}`,
          Tags: tags(i),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1100)); // distinct SnapshotCreateTime
    }
    await world.prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: automated.id,
        TargetDBSnapshotIdentifier: "before-upgrade",
      }),
    );
    await world.advanceHours(24 * 10);
    const report = await world.prodSide.sweep();
    const left = (await world.manualSnapshots(world.prod, "instance")).map((s) => s.id).sort();
    // old-3 stays: it was the newest intermediate of the source when the sweep listed them (the
    // copy of the newest automated snapshot this sweep made is only seen by the next run).
    assert.equal(report.deleted, 2);
    assert.deepEqual(
      left,
      ["before-upgrade", "failsafe-orders-old-3", `failsafe-${automated.id.slice(4)}`].sort(),
    );
  });

  it("report an RPO breach when the newest failsafe copy is too old", async () => {
    const automated = await world.createInstance("orders", { tagged: true });
    await world.runPipeline(automated);
    assert.equal((await world.failsafeSide.sweep()).sources[0]?.breach, false);
    await world.advanceHours(27);
    const report = await world.failsafeSide.sweep();
    assert.deepEqual(
      report.sources.map((s) => [s.source, s.breach, Math.round(s.newestCopyAgeHours)]),
      [[`${PROD_ACCOUNT}/instance/orders`, true, 27]],
    );
    const last = (name: string) =>
      world.metrics.points
        .filter((p) => p.name === name)
        .map((p) => p.value)
        .pop();
    assert.equal(last("RpoBreaches"), 1);
    assert.equal(Math.round(last("NewestCopyAgeHours") ?? 0), 27);
    assert.equal(last("ProtectedSources"), 1);
    assert.deepEqual(
      world.metrics.points.filter((p) => p.name === "NewestCopyAgeHours").pop()?.dimensions,
      { Source: `${PROD_ACCOUNT}/instance/orders` },
    );
  });
});
