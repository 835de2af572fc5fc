import { strict as assert } from "node:assert";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CreateDBClusterCommand,
  DescribeDBInstancesCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import { DRILL_TAG } from "../handlers/drill-plan";
import type { DrillRunReport } from "../handlers/drill";
import { failsafeHandlers } from "../handlers/index";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION, setEmulatorLimits } from "./harness";
import { DrillHarness } from "./support/drills";
import { RecordingLog } from "./support/recording-log";
import { RecordingMetrics } from "./support/recording-metrics";
import { createWorld, type World } from "./support/world";

/**
 * Restore drills on the emulator with the handlers in-process (test/program/drills-deployed.test.ts
 * runs the deployed code): the drill run restores, the harness delivers RDS's "restored" events
 * to drill-verify, which verifies, records and deletes.
 */
describe("restore drills (emulator)", function () {
  this.timeout(120_000);
  let world: World;
  let drills: DrillHarness;

  const run = async () => (await drills.run()) as DrillRunReport;
  const copies = async (kind: "instance" | "cluster") =>
    world.manualSnapshots(world.failsafe, kind);

  async function protect(ids: { instance?: string[]; cluster?: string[] }) {
    for (const id of ids.instance ?? []) {
      await world.runPipeline(await world.createInstance(id, { tagged: true, encryption: "cmk" }));
    }
    for (const id of ids.cluster ?? []) {
      await world.runPipeline(await world.createCluster(id, { tagged: true, encryption: "cmk" }));
    }
  }

  beforeEach(async () => {
    world = await createWorld({ drills: { drillsPerRun: 2 } });
    drills = new DrillHarness(world.failsafe, world.failsafeSide);
  });

  it("restores, verifies, records and deletes a DB instance drill and an Aurora cluster drill", async () => {
    await protect({ instance: ["orders"], cluster: ["ledger"] });
    const report = await run();
    assert.deepEqual(report.started.map((s) => s.source).sort(), [
      `${PROD_ACCOUNT}/cluster/ledger`,
      `${PROD_ACCOUNT}/instance/orders`,
    ]);
    assert.deepEqual(await drills.databases(), {}, "every drill database is deleted");
    assert.deepEqual(drills.delivered.map((d) => d.split(" ")[0]).sort(), [
      "RDS-EVENT-0005",
      "RDS-EVENT-0043",
      "RDS-EVENT-0170",
    ]);
    for (const kind of ["instance", "cluster"] as const) {
      const [copy] = await copies(kind);
      assert.equal(
        copy?.tags[DRILL_TAG.result],
        "pass",
        `${kind}: ${copy?.tags[DRILL_TAG.problem]}`,
      );
      assert.ok(copy?.tags[DRILL_TAG.lastDrill]);
      assert.match(copy?.tags[DRILL_TAG.rtoSeconds] ?? "", /^\d+$/);
      const source = `${PROD_ACCOUNT}/${kind}/${kind === "instance" ? "orders" : "ledger"}`;
      assert.equal(world.metrics.last("DrillPassed", { Source: source }), 1);
      assert.ok((world.metrics.last("DrillRtoSeconds", { Source: source }) ?? -1) >= 0);
    }
    const verified = world.failsafeLog.decisions().filter((d) => d.decision === "verified");
    assert.equal(verified.length, 2, JSON.stringify(world.failsafeLog.decisions(), null, 1));
    assert.deepEqual(await world.opsNotifications(), []);
  });
  it("finishes a drill whose 'restored' event was lost on the next run, and starts no second drill of it", async () => {
    await protect({ instance: ["orders", "billing"] });
    drills = new DrillHarness(world.failsafe, world.failsafeSide, (id) => id.includes("orders"));
    const first = await run();
    assert.equal(first.started.length, 2);
    assert.equal(drills.lost.length, 1, "the orders event is lost");
    const left = await drills.databases();
    assert.deepEqual(Object.keys(left).length, 1, "the orders drill is left behind");
    const [leftId] = Object.keys(left);
    const second = await run();
    assert.deepEqual(
      second.found.map((f) => [f.drill, f.decision]),
      [[leftId?.split("/")[1], "verified"]],
    );
    assert.match(second.found[0]?.reason ?? "", /restore verified/);
    // The left-behind drill took a slot in this run; billing was drilled last time: billing's turn
    // is after orders', and orders has its drill now. One slot was free: billing again.
    assert.deepEqual(
      second.started.map((s) => s.source),
      [`${PROD_ACCOUNT}/instance/billing`],
    );
    assert.deepEqual(await drills.databases(), {});
    const [orders] = (await copies("instance")).filter((c) => c.sourceId === "orders");
    assert.equal(orders?.tags[DRILL_TAG.result], "pass");
  });

  it("never deletes a database that is not both named and tagged as a drill", async () => {
    await protect({ instance: ["orders"] });
    const [copy] = await copies("instance");
    const restore = (id: string, tags: { Key: string; Value: string }[]) =>
      world.failsafe.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: id,
          DBSnapshotIdentifier: copy?.id,
          Tags: tags,
        }),
      );
    await restore("failsafe-drill-someone-elses", [{ Key: "team", Value: "dba" }]);
    await restore("prod-clone", [
      { Key: DRILL_TAG.drill, Value: "true" },
      { Key: DRILL_TAG.started, Value: "2020-01-01T00:00:00Z" },
    ]);
    for (let i = 0; i < 3; i += 1) {
      const report = await run();
      assert.deepEqual(report.ignored, ["instance failsafe-drill-someone-elses"]);
      await world.advanceHours(24 * 8);
    }
    // Their events too are skipped, never acted on.
    const { rdsDatabaseEvent } = await import("./support/drills");
    const { sqsEvent } = await import("./support/events");
    await world.failsafeSide.drillVerify(
      sqsEvent([
        rdsDatabaseEvent({
          eventId: "RDS-EVENT-0043",
          kind: "instance",
          id: "failsafe-drill-someone-elses",
        }),
        rdsDatabaseEvent({ eventId: "RDS-EVENT-0043", kind: "instance", id: "prod-clone" }),
      ]),
    );
    const left = await world.failsafe.rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual((left.DBInstances ?? []).map((d) => d.DBInstanceIdentifier).sort(), [
      "failsafe-drill-someone-elses",
      "prod-clone",
    ]);
    assert.match(
      world.failsafeLog
        .decisions()
        .filter((d) => d.handler === "drill-verify")
        .map((d) => d.reason)
        .join("\n"),
      /not tagged failsafe:drill=true: not ours, left alone[\s\S]*prod-clone is not a drill database/,
    );
  });

  it("keeps at most drillsPerRun drill databases at once, and drills the least recently proven first", async () => {
    await protect({ instance: ["a", "b", "c"] });
    await setEmulatorLimits({ restoreSeconds: 2 });
    const first = await world.failsafeSide.drill();
    assert.equal(first.started.length, 2);
    const running = await drills.databases();
    assert.deepEqual(Object.values(running), ["creating", "creating"]);
    // The restore parameters as RDS applied them (extension 14.: moto used to drop false and 0).
    const [one] =
      (await world.failsafe.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    assert.deepEqual(
      [one?.PubliclyAccessible, one?.BackupRetentionPeriod, one?.DeletionProtection, one?.MultiAZ],
      [false, 0, false, false],
    );
    assert.equal(one?.TagList?.find((t) => t.Key === DRILL_TAG.drill)?.Value, "true");
    const second = await world.failsafeSide.drill();
    assert.deepEqual(second.started, [], "no slot while two drills run");
    assert.deepEqual(
      second.found.map((f) => f.decision),
      ["skipped", "skipped"],
    );
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await drills.settle();
    assert.deepEqual(await drills.databases(), {});
    const third = await run();
    assert.deepEqual(
      third.started.map((s) => s.source),
      [`${PROD_ACCOUNT}/instance/c`, first.started[0]?.source],
      "c never had a drill; then the one proven longest ago",
    );
  });

  it("gives up a drill that is not available after drillTimeoutHours: failed, deleted, ops told", async () => {
    await protect({ instance: ["orders"] });
    await setEmulatorLimits({ restoreSeconds: 3600 });
    await world.failsafeSide.drill();
    await world.advanceHours(13);
    const report = await world.failsafeSide.drill();
    assert.equal(report.found[0]?.decision, "failed");
    assert.match(
      report.found[0]?.reason ?? "",
      /not available 13 h after the restore started.*timeout 12 h/,
    );
    assert.deepEqual(await drills.databases(), {}, "deleted; its next drill is the next run's");
    const [copy] = await copies("instance");
    assert.equal(copy?.tags[DRILL_TAG.result], "fail");
    assert.equal(
      world.metrics.points.filter((p) => p.name === "DrillFailures" && p.value > 0).length,
      1,
    );
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: restore drill FAILED for orders",
    ]);
  });

  it("fails verification when a copy does not depend on the vault key alone (the vault key was replaced)", async () => {
    await protect({ instance: ["orders"] });
    // A re-created failsafe stack has a new vault key: the copies made before stay under the old
    // one (DESIGN: never rotate keys by replacement). The drill proves what that means.
    const key = await world.failsafe.kms.send(new CreateKeyCommand({ Description: "new vault" }));
    const metrics = new RecordingMetrics();
    const log = new RecordingLog();
    const replaced = failsafeHandlers(
      {
        region: REGION,
        failsafeAccountId: FAILSAFE_ACCOUNT,
        prodAccountIds: [PROD_ACCOUNT],
        vaultKmsKeyArn: key.KeyMetadata?.Arn ?? "",
        opsTopicArn: world.opsTopicArn,
        drills: { drillsPerRun: 2 },
      },
      { rds: world.failsafe.rds, sns: world.failsafe.sns, metrics, log, clock: world.now },
    );
    await new DrillHarness(world.failsafe, replaced).run();
    const verdict = log.decisions().find((d) => d.handler === "drill-verify");
    assert.equal(verdict?.decision, "failed");
    assert.match(
      verdict?.reason ?? "",
      /not the vault key .*: this copy does not depend on the vault key alone/,
    );
    assert.equal(metrics.last("DrillPassed", { Source: `${PROD_ACCOUNT}/instance/orders` }), 0);
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: restore drill FAILED for orders",
    ]);
    const [copy] = await copies("instance");
    assert.equal(copy?.tags[DRILL_TAG.result], "fail");
    assert.match(copy?.tags[DRILL_TAG.problem] ?? "", /not the vault key/);
    assert.deepEqual(await drills.databases(), {}, "a failed drill is deleted too");
  });

  it("uses the smallest class RDS offers for the engine and version, within drillMaxInstanceClass", async () => {
    await world.prod.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "ledger",
        Engine: "aurora-postgresql",
        EngineVersion: "15.2",
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
        BackupRetentionPeriod: 7,
        StorageEncrypted: true,
        KmsKeyId: world.prodDataKeyArn,
        Tags: [{ Key: "Failsafe", Value: "True" }],
      }),
    );
    await world.runPipeline(await world.automatedSnapshot("cluster", "ledger"));
    await setEmulatorLimits({ restoreSeconds: 3600 });
    const report = await world.failsafeSide.drill();
    // moto's orderable options for aurora-postgresql 15.2 (AWS's list as of its data file).
    assert.match(report.started[0]?.instanceClass ?? "", /^db\.t[34]g?\.medium$/);
    await setEmulatorLimits({});
    const capped = await createWorld({
      drills: { maxInstanceClass: { "aurora-postgresql": "db.t3.small" } },
    });
    await capped.prod.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "ledger",
        Engine: "aurora-postgresql",
        EngineVersion: "15.2",
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
        Tags: [{ Key: "Failsafe", Value: "True" }],
      }),
    );
    await capped.runPipeline(await capped.automatedSnapshot("cluster", "ledger"));
    const skipped = (await new DrillHarness(
      capped.failsafe,
      capped.failsafeSide,
    ).run()) as DrillRunReport;
    assert.deepEqual(skipped.started, []);
    assert.match(
      skipped.skipped[0]?.reason ?? "",
      /smallest class RDS offers for aurora-postgresql is db\.t.*\.medium, larger than drillMaxInstanceClass db\.t3\.small/,
    );
  });

  it("counts protected databases with no good drill for drillMaxAgeDays in the failsafe sweep", async () => {
    world = await createWorld({ drills: { drillMaxAgeDays: 2 }, retentionDays: 31 });
    drills = new DrillHarness(world.failsafe, world.failsafeSide);
    await protect({ instance: ["orders"] });
    await world.failsafeSide.sweep();
    assert.equal(world.metrics.last("DrillOverdueSources"), 0, "protected for less than 2 days");
    for (let d = 0; d < 3; d += 1) {
      await world.advanceHours(24, { emulator: true });
      await world.runPipeline(await world.dailyBackup("instance", "orders"));
    }
    await world.failsafeSide.sweep();
    assert.equal(world.metrics.last("DrillOverdueSources"), 1, "3 days without a drill");
    await run();
    await world.failsafeSide.sweep();
    assert.equal(world.metrics.last("DrillOverdueSources"), 0, "drilled just now");
  });

  afterEach(async () => {
    await setEmulatorLimits({});
  });
});
