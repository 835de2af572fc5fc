import { strict as assert } from "node:assert";
import { failsafeCopyId } from "../handlers/naming";
import { RdsSnapshots } from "../handlers/rds";
import { TAG } from "../handlers/tags";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT } from "./harness";
import { sqsEvent } from "./support/events";
import { createWorld, type World } from "./support/world";

/**
 * The event-driven path end to end on the two-account emulator: automated snapshot → copy (prod)
 * → share + hand-off (prod → failsafe topic → save queue) → save (failsafe) → retention.
 */
describe("pipeline (two accounts, emulator)", function () {
  this.timeout(60_000);
  let world: World;

  beforeEach(async () => {
    world = await createWorld();
  });

  function noFailures() {
    const bad = [...world.prodLog.decisions(), ...world.failsafeLog.decisions()].filter((d) =>
      ["failed", "retry", "rejected"].includes(d.decision),
    );
    assert.deepEqual(bad, [], "no handler failed, retried or rejected anything");
  }

  it("saves a tagged DB instance into the failsafe account, encrypted with the vault key", async () => {
    const automated = await world.createInstance("orders", { tagged: true });
    await world.runPipeline(automated);

    const [intermediate, ...otherProd] = await world.manualSnapshots(world.prod, "instance");
    assert.equal(otherProd.length, 0);
    assert.ok(intermediate);
    assert.equal(intermediate.id, `failsafe-${automated.id.replace(/^rds:/, "")}`);
    assert.equal(intermediate.tags[TAG.managed], "true");
    assert.equal(intermediate.tags[TAG.sourceId], "orders");
    assert.equal(intermediate.tags[TAG.sourceSnapshot], automated.id);
    assert.equal(intermediate.encrypted, true, "instance intermediates are always encrypted");
    assert.equal(intermediate.kmsKeyId, world.transitKeyArn);
    const restore = await new RdsSnapshots(world.prod.rds).restoreAccounts(
      "instance",
      intermediate.id,
    );
    assert.deepEqual(restore, [FAILSAFE_ACCOUNT]);

    const [saved, ...otherSaved] = await world.manualSnapshots(world.failsafe, "instance");
    assert.equal(otherSaved.length, 0);
    assert.ok(saved);
    assert.equal(saved.id, failsafeCopyId("instance", PROD_ACCOUNT, intermediate.id));
    assert.equal(saved.id, `failsafe-${PROD_ACCOUNT}-${automated.id.replace(/^rds:/, "")}`);
    assert.equal(saved.encrypted, true, "an unencrypted source is encrypted on the failsafe copy");
    assert.equal(saved.kmsKeyId, world.vaultKeyArn);
    assert.equal(saved.tags[TAG.managed], "true");
    assert.equal(saved.tags[TAG.sourceAccount], PROD_ACCOUNT);
    assert.equal(saved.tags[TAG.sourceKind], "instance");
    assert.equal(saved.tags[TAG.sourceId], "orders");
    assert.equal(saved.tags[TAG.copiedFrom], intermediate.arn);
    // The lineage comes from what RDS reports for the shared snapshot: the instance's resource id.
    const source = await new RdsSnapshots(world.prod.rds).describeSource("instance", "orders");
    assert.ok(source?.resourceId?.startsWith("db-"));
    assert.equal(saved.tags[TAG.sourceResourceId], source?.resourceId);
    noFailures();
  });

  it("saves a tagged, CMK-encrypted Aurora cluster via the transit key", async () => {
    const automated = await world.createCluster("ledger", { tagged: true, encryption: "cmk" });
    assert.equal(automated.encrypted, true);
    await world.runPipeline(automated);

    const [intermediate] = await world.manualSnapshots(world.prod, "cluster");
    assert.ok(intermediate);
    assert.equal(intermediate.kmsKeyId, world.transitKeyArn);
    const [saved, ...rest] = await world.manualSnapshots(world.failsafe, "cluster");
    assert.equal(rest.length, 0);
    assert.ok(saved);
    assert.equal(saved.encrypted, true);
    assert.equal(saved.kmsKeyId, world.vaultKeyArn);
    assert.equal(saved.tags[TAG.sourceId], "ledger");
    assert.equal(saved.tags[TAG.sourceKind], "cluster");
    noFailures();
  });

  it("copies a default-key (aws/rds) encrypted instance by re-encrypting with the transit key", async () => {
    const automated = await world.createInstance("billing", {
      tagged: true,
      encryption: "default",
    });
    assert.equal(automated.encrypted, true);
    assert.notEqual(automated.kmsKeyId, world.transitKeyArn);
    await world.runPipeline(automated);

    const [intermediate] = await world.manualSnapshots(world.prod, "instance");
    assert.equal(intermediate?.kmsKeyId, world.transitKeyArn);
    const [saved] = await world.manualSnapshots(world.failsafe, "instance");
    assert.equal(saved?.kmsKeyId, world.vaultKeyArn);
    noFailures();
  });

  it("keeps an unencrypted Aurora cluster copy unencrypted (AWS cannot encrypt it on copy) and says so", async () => {
    const automated = await world.createCluster("events", { tagged: true });
    await world.runPipeline(automated);
    const [saved] = await world.manualSnapshots(world.failsafe, "cluster");
    assert.ok(saved);
    assert.equal(saved.encrypted, false);
    const line = world.failsafeLog.decisions().find((d) => d.decision === "saved");
    assert.match(line?.reason ?? "", /UNENCRYPTED/);
    noFailures();
  });

  for (const [value, selected] of [
    ["True", true],
    ["true", true],
    [" TRUE ", true],
    ["False", false],
    ["yes", false],
  ] as const) {
    it(`tag value "${value}" ${selected ? "selects" : "does not select"} the database`, async () => {
      const automated = await world.createInstance("tagcase", { tagged: value });
      await world.runPipeline(automated);
      assert.equal(
        (await world.manualSnapshots(world.failsafe, "instance")).length,
        selected ? 1 : 0,
      );
    });
  }

  it("leaves untagged databases alone, saying why", async () => {
    const instance = await world.createInstance("scratch");
    const cluster = await world.createCluster("scratch-cluster");
    await world.runPipeline(instance);
    await world.runPipeline(cluster);
    assert.deepEqual(await world.manualSnapshots(world.prod, "instance"), []);
    assert.deepEqual(await world.manualSnapshots(world.prod, "cluster"), []);
    assert.deepEqual(await world.manualSnapshots(world.failsafe, "instance"), []);
    assert.deepEqual(await world.manualSnapshots(world.failsafe, "cluster"), []);
    const reasons = world.prodLog
      .decisions()
      .filter((d) => d.handler === "copy")
      .map((d) => d.reason);
    assert.deepEqual(reasons, [
      "instance scratch is not tagged Failsafe=True",
      "cluster scratch-cluster is not tagged Failsafe=True",
    ]);
  });

  it("makes exactly one copy per stage when every event is delivered 3 times", async () => {
    const instance = await world.createInstance("orders", { tagged: true, encryption: "cmk" });
    const cluster = await world.createCluster("ledger", { tagged: true, encryption: "default" });
    const before = world.prodLog.lines.length;
    await world.runPipeline(instance, 3);
    await world.runPipeline(cluster, 3);
    assert.ok(world.prodLog.lines.length > before);

    for (const kind of ["instance", "cluster"] as const) {
      assert.equal(
        (await world.manualSnapshots(world.prod, kind)).length,
        1,
        `one ${kind} intermediate`,
      );
      assert.equal(
        (await world.manualSnapshots(world.failsafe, kind)).length,
        1,
        `one ${kind} failsafe copy`,
      );
    }
    const decisions = [...world.prodLog.decisions(), ...world.failsafeLog.decisions()];
    const count = (handler: string, decision: string) =>
      decisions.filter((d) => d.handler === handler && d.decision === decision).length;
    assert.equal(count("copy", "copied"), 2);
    assert.equal(count("copy", "exists"), 4);
    assert.equal(count("save", "saved"), 2);
    assert.ok(count("save", "exists") >= 4, "repeated hand-offs find the copy already there");
    noFailures();
  });

  it("counts rejected hand-offs in a metric instead of an e-mail each, by default", async () => {
    const automated = await world.createInstance("orders", { tagged: true });
    await world.runPipeline(automated);
    await world.failsafeSide.save(sqsEvent(["{not json", "{}", "also not json"]));
    assert.deepEqual(await world.opsNotifications(), []);
    assert.equal(world.metrics.last("RejectedHandoffs"), 3);
  });

  it("tells the ops topic about every save with notifyOn=all", async () => {
    world = await createWorld({ notifyOn: "all" });
    const automated = await world.createInstance("orders", { tagged: true });
    await world.runPipeline(automated);
    assert.deepEqual(await world.opsNotifications(), [
      `rds-failsafe: saved ${failsafeCopyId("instance", PROD_ACCOUNT, `failsafe-${automated.id.slice(4)}`)}`,
    ]);
  });
});
