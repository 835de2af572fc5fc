import { strict as assert } from "node:assert";
import { CopyDBSnapshotCommand, type RDSClient } from "@aws-sdk/client-rds";
import {
  copiesKeptPerSource,
  forecastQuota,
  publishSnapshotQuota,
  quotaFit,
  snapshotQuotas,
} from "../handlers/quota";
import { setEmulatorLimits } from "./harness";
import { RecordingLog } from "./support/recording-log";
import { RecordingMetrics } from "./support/recording-metrics";
import { createWorld, type World } from "./support/world";

/**
 * The manual-snapshot quota on the emulator (extension 11: DescribeAccountAttributes, which stock
 * moto does not implement, so the first case fails against it): the sweeps
 * publish what RDS reports, per kind and as the fuller kind's percentage (the alarm's metric).
 */
describe("manual-snapshot quota", function () {
  this.timeout(60_000);
  let world: World;

  beforeEach(async () => {
    world = await createWorld({ retentionDays: 5, minCopies: 3 });
  });

  it("reads ManualSnapshots and ManualClusterSnapshots as RDS reports them", async () => {
    await setEmulatorLimits({ manualSnapshotQuota: 10 });
    const snapshot = await world.createInstance("orders", { tagged: true });
    // An application's own manual snapshot counts against the quota like ours.
    await world.prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: snapshot.id,
        TargetDBSnapshotIdentifier: "orders-before-migration",
      }),
    );
    const quotas = await snapshotQuotas(world.prod.rds);
    assert.deepEqual(
      quotas.map((q) => [q.name, q.used, q.max, q.percent]),
      [
        ["ManualSnapshots", 1, 10, 10],
        ["ManualClusterSnapshots", 0, 10, 0],
      ],
    );
    // Per account: the failsafe account holds none of prod's snapshots; automated ones never count.
    const failsafe = await snapshotQuotas(world.failsafe.rds);
    assert.deepEqual(
      failsafe.map((q) => q.used),
      [0, 0],
    );
  });

  it("is published by both sweeps: used and quota per kind, and the fuller kind's percentage", async () => {
    for (const id of ["orders", "billing", "catalog"]) {
      await world.runPipeline(await world.createInstance(id, { tagged: true }));
    }
    await world.runPipeline(await world.createCluster("ledger", { tagged: true }));
    await world.prodSide.sweep();
    await world.failsafeSide.sweep();

    const failsafeInstances = (await world.manualSnapshots(world.failsafe, "instance")).length;
    const failsafeClusters = (await world.manualSnapshots(world.failsafe, "cluster")).length;
    assert.equal(failsafeInstances, 3);
    assert.equal(failsafeClusters, 1);
    assert.equal(world.metrics.last("ManualSnapshotsUsed", { Kind: "instance" }), 3);
    assert.equal(world.metrics.last("ManualSnapshotsUsed", { Kind: "cluster" }), 1);
    // RDS's default quota (no knob set): 100 of each kind.
    assert.equal(world.metrics.last("ManualSnapshotsQuota", { Kind: "instance" }), 100);
    assert.equal(world.metrics.last("SnapshotQuotaUsedPercent"), 3);

    const prodInstances = (await world.manualSnapshots(world.prod, "instance")).length;
    assert.equal(
      world.prodMetrics.last("ManualSnapshotsUsed", { Kind: "instance" }),
      prodInstances,
    );
    assert.equal(world.prodMetrics.last("SnapshotQuotaUsedPercent"), prodInstances);
    assert.ok(world.metrics.flushes > 0 && world.prodMetrics.flushes > 0, "figures flushed");
  });

  it("follows the quota the account has (a raised or lowered Max)", async () => {
    await setEmulatorLimits({ manualSnapshotQuota: 4 });
    for (const id of ["orders", "billing", "catalog"]) {
      await world.runPipeline(await world.createInstance(id, { tagged: true }));
    }
    await world.failsafeSide.sweep();
    assert.equal(world.metrics.last("ManualSnapshotsQuota", { Kind: "instance" }), 4);
    assert.equal(world.metrics.last("SnapshotQuotaUsedPercent"), 75);
  });

  it("logs a failed read and publishes nothing rather than a made-up figure", async () => {
    const metrics = new RecordingMetrics();
    const log = new RecordingLog();
    const denied = {
      send: () =>
        Promise.reject(
          Object.assign(new Error("not authorized to perform: rds:DescribeAccountAttributes"), {
            name: "AccessDenied",
          }),
        ),
    } as unknown as RDSClient;
    assert.equal(
      await publishSnapshotQuota({ rds: denied, metrics, log }, "failsafe-sweep"),
      undefined,
    );
    assert.deepEqual(metrics.points, []);
    const [line] = log.decisions();
    assert.equal(line?.decision, "failed");
    assert.match(
      line?.reason ?? "",
      /rds:DescribeAccountAttributes.*AccessDenied|AccessDenied.*not authorized/,
    );
  });
});

describe("quota arithmetic", () => {
  it("counts the copies one database keeps at steady state", () => {
    assert.equal(copiesKeptPerSource({ retentionDays: 31, minCopies: 7 }), 32);
    assert.equal(copiesKeptPerSource({ retentionDays: 3, minCopies: 7 }), 7);
    assert.equal(
      copiesKeptPerSource({ retentionDays: 31, minCopies: 7, keepWeekly: 8, keepMonthly: 12 }),
      52,
    );
  });

  it("says whether sources × copies fit under the alarm threshold, and how many would", () => {
    // The example: four databases × 32 copies do not fit the default 100.
    assert.deepEqual(quotaFit(4, 32, 100), { needed: 128, max: 100, fits: false, capacity: 2 });
    assert.deepEqual(quotaFit(2, 32, 100), { needed: 64, max: 100, fits: true, capacity: 2 });
    assert.equal(quotaFit(10, 32, 1000, 50).capacity, 23);
  });

  it("forecasts from the metric history when there is a day of it, else from creation times", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    const at = (hoursAgo: number, used: number) => ({
      time: new Date(now.getTime() - hoursAgo * 3_600_000),
      used,
    });
    const fromMetric = forecastQuota({ used: 60, max: 100, now, history: [at(48, 50), at(0, 60)] });
    assert.equal(fromMetric.basis, "metric");
    assert.equal(fromMetric.perDay, 5);
    assert.equal(fromMetric.daysUntilFull, 8);

    const shrinking = forecastQuota({ used: 60, max: 100, now, history: [at(48, 70), at(0, 60)] });
    assert.equal(shrinking.daysUntilFull, Number.POSITIVE_INFINITY);

    const created = Array.from(
      { length: 14 },
      (_, i) => new Date(now.getTime() - i * 12 * 3_600_000),
    );
    const fromCreated = forecastQuota({
      used: 86,
      max: 100,
      now,
      history: [at(1, 85)],
      createdTimes: created,
    });
    assert.equal(fromCreated.basis, "created");
    assert.equal(fromCreated.perDay, 2);
    assert.equal(fromCreated.daysUntilFull, 7);

    assert.equal(forecastQuota({ used: 100, max: 100, now }).daysUntilFull, 0);
  });
});
