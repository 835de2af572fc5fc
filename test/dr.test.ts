import { strict as assert } from "node:assert";
import { DescribeDBClusterSnapshotsCommand, DescribeDBSnapshotsCommand } from "@aws-sdk/client-rds";
import { DR_BREACH_TAG } from "../handlers/dr";
import type { SnapshotKind } from "../handlers/naming";
import type { SnapshotInfo } from "../handlers/rds";
import { TAG } from "../handlers/tags";
import { FAILSAFE_ACCOUNT } from "./harness";
import { createOrgWorld, type OrgWorld } from "./support/org-world";

const A = "111111111111";
const DR = "eu-central-1";
const DAY = 24;

/** The lineage tags a DR copy must carry exactly as its primary copy does. */
const LINEAGE_TAGS = [
  TAG.managed,
  TAG.sourceAccount,
  TAG.sourceKind,
  TAG.sourceId,
  TAG.sourceResourceId,
  TAG.sourceTime,
];

/**
 * The DR region on the emulator (extension 16: cross-region copies inside one account): every
 * failsafe copy is copied to the DR region under its own vault key, the sweep makes what events
 * missed, DR retention follows the primary rules per lineage, and a lineage without a fresh DR
 * copy is a DR RPO breach, told once.
 */
describe("DR region (emulator)", function () {
  this.timeout(180_000);
  let world: OrgWorld;

  const primary = async (kind: SnapshotKind) =>
    (await world.managed(world.failsafe, kind)).sort((a, b) => a.id.localeCompare(b.id));
  const drCopies = async (kind: SnapshotKind) => {
    assert.ok(world.dr, "the world has a DR region");
    return (await world.managed(world.dr, kind)).sort((a, b) => a.id.localeCompare(b.id));
  };
  const ids = (snapshots: readonly SnapshotInfo[]) => snapshots.map((s) => s.id);

  /** One day: RDS's backup of each database, the pipeline, copy-finished events, both sweeps. */
  async function day(dbs: readonly { kind: SnapshotKind; id: string }[], dr = true) {
    await world.advanceHours(DAY, { emulator: true });
    for (const db of dbs) {
      await world.protect(A, await world.dailyBackup(A, db.kind, db.id));
    }
    for (const kind of ["instance", "cluster"] as const) {
      await world.copiesFinished(await primary(kind), { dr });
    }
    await world.prod(A).handlers.sweep();
    return world.failsafeSide.sweep();
  }

  it("copies every failsafe copy to the DR region under the DR vault key, once per copy", async () => {
    world = await createOrgWorld({ prodAccounts: [A], drRegion: DR });
    await world.protect(A, await world.createInstance(A, "orders", { encrypted: true }));
    await world.protect(A, await world.createCluster(A, "ledger", { encrypted: true }));
    await world.protect(A, await world.createCluster(A, "events"));
    for (let i = 0; i < 3; i += 1) {
      // EventBridge and SQS deliver at least once: three times here.
      for (const kind of ["instance", "cluster"] as const) {
        await world.copiesFinished(await primary(kind));
      }
    }
    for (const kind of ["instance", "cluster"] as const) {
      const [from, to] = [await primary(kind), await drCopies(kind)];
      assert.deepEqual(ids(to), ids(from), `one DR copy per ${kind} copy, same id`);
      for (const [p, d] of from.map((c, i) => [c, to[i]] as const)) {
        assert.ok(d);
        assert.ok(d.arn.includes(`:rds:${DR}:${FAILSAFE_ACCOUNT}:`), d.arn);
        assert.equal(d.tags[TAG.copiedFrom], p.arn);
        for (const tag of LINEAGE_TAGS) assert.equal(d.tags[tag], p.tags[tag], `${d.id} ${tag}`);
        if (p.encrypted) {
          assert.equal(d.kmsKeyId, world.drVaultKeyArn, `${d.id} under the DR vault key`);
        } else {
          assert.equal(d.encrypted, false, `${d.id}: an unencrypted Aurora copy stays so`);
        }
      }
    }
    // What RDS reports of a cross-region copy: where it came from.
    const dr = world.dr;
    assert.ok(dr);
    const [instance] = (await dr.rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots ?? [];
    assert.equal(instance?.SourceRegion, world.region);
    const clusters = (await dr.rds.send(new DescribeDBClusterSnapshotsCommand({})))
      .DBClusterSnapshots;
    assert.deepEqual(
      clusters?.map((c) => c.SourceDBClusterSnapshotArn?.split(":")[3]),
      [world.region, world.region],
    );
    const report = await world.failsafeSide.sweep();
    assert.deepEqual(
      { copied: report.dr?.copied, breaches: world.metrics.last("DrRpoBreaches") },
      { copied: 0, breaches: 0 },
    );
    assert.equal(world.metrics.last("DrProtectedSources"), 3);
  });

  it("makes the DR copies whose events were lost in the sweep, then has nothing to do", async () => {
    world = await createOrgWorld({ prodAccounts: [A], drRegion: DR });
    await world.protect(A, await world.createInstance(A, "orders", { encrypted: true }));
    await world.protect(A, await world.createInstance(A, "billing"));
    await world.copiesFinished(await primary("instance"), { dr: false });
    assert.deepEqual(await drCopies("instance"), []);
    const first = await world.failsafeSide.sweep();
    assert.equal(first.dr?.copied, 2);
    assert.deepEqual(ids(await drCopies("instance")), ids(await primary("instance")));
    const again = await world.failsafeSide.sweep();
    assert.deepEqual(
      { copied: again.dr?.copied, deleted: again.dr?.deleted, failed: again.dr?.failed },
      { copied: 0, deleted: 0, failed: 0 },
    );
    assert.deepEqual(again.dr?.sources.map((s) => [s.source, s.status, s.copies]).sort(), [
      [`${A}/instance/billing`, "ok", 1],
      [`${A}/instance/orders`, "ok", 1],
    ]);
    const age = world.metrics.last("DrNewestCopyAgeHours", { Source: `${A}/instance/orders` });
    assert.ok(age !== undefined && age < 1, `DR age of orders: ${age}`);
  });

  it("applies the primary retention rules to the DR copies, per lineage", async () => {
    world = await createOrgWorld({
      prodAccounts: [A],
      drRegion: DR,
      retentionDays: 3,
      minCopies: 2,
      freezeAfterHours: 72,
    });
    const dbs = [
      { kind: "instance" as const, id: "orders" },
      { kind: "cluster" as const, id: "ledger" },
    ];
    await world.createInstance(A, "orders", { encrypted: true });
    await world.createCluster(A, "ledger", { encrypted: true });
    for (let d = 0; d < 8; d += 1) {
      await day(dbs);
    }
    for (const kind of ["instance", "cluster"] as const) {
      const kept = ids(await primary(kind));
      assert.ok(kept.length >= 2 && kept.length <= 5, `${kind}: primary keeps ${kept.length}`);
      assert.deepEqual(ids(await drCopies(kind)), kept, `${kind}: the DR region keeps the same`);
    }
    const deleted = world.failsafeLog.lines.filter(
      (l) => l.message === "deleted" && l.attributes.region === DR,
    );
    assert.ok(deleted.length >= 6, `DR deletions are logged with the region (${deleted.length})`);
  });

  it("tells ops once about a lineage without a DR copy newer than rpoHours, and recovers", async () => {
    // The DR vault key the save side was given is gone (say, deleted by break-glass).
    const missingKey = `arn:aws:kms:${DR}:${FAILSAFE_ACCOUNT}:key/00000000-0000-0000-0000-00000000dead`;
    world = await createOrgWorld({ prodAccounts: [A], drRegion: DR, drVaultKmsKeyArn: missingKey });
    const orders = [{ kind: "instance" as const, id: "orders" }];
    await world.createInstance(A, "orders", { encrypted: true });
    await world.protect(A, await world.automatedSnapshot(A, "instance", "orders"));
    const failed = await world.copiesFinished(await primary("instance"));
    assert.equal(failed.dr?.batchItemFailures.length, 1, "retried by SQS, not dropped");
    assert.equal((await world.failsafeSide.sweep()).dr?.sources[0]?.status, "ok", "not yet");
    await world.opsNotifications();

    await day(orders);
    await world.advanceHours(4, { emulator: true });
    const late = await world.failsafeSide.sweep();
    assert.deepEqual(
      late.sources.map((s) => s.status),
      ["ok"],
      "the primary region is fine",
    );
    assert.deepEqual(
      late.dr?.sources.map((s) => [s.status, s.copies]),
      [["breach", 0]],
    );
    assert.equal(world.metrics.last("DrRpoBreaches"), 1);
    assert.equal(world.metrics.last("RpoBreaches"), 0);
    assert.deepEqual(await world.opsNotifications(), [
      `rds-failsafe: DR RPO breach: orders has no copy in ${DR} newer than 26 h`,
    ]);
    const oldest = (await primary("instance"))[0];
    assert.ok(oldest?.tags[DR_BREACH_TAG], "the mark is on the lineage's oldest primary copy");
    await world.failsafeSide.sweep();
    assert.deepEqual(await world.opsNotifications(), [], "told once");

    // The key is back (a new deployment names the new DR key): the sweep catches up.
    world.configure({ drVaultKmsKeyArn: world.drVaultKeyArn });
    const healed = await world.failsafeSide.sweep();
    assert.equal(healed.dr?.copied, 2);
    await world.failsafeSide.sweep();
    assert.equal(world.metrics.last("DrRpoBreaches"), 0);
  });

  it("runs in GovCloud (US): ARNs of aws-us-gov, and the pre-signed URL the SDK makes", async () => {
    world = await createOrgWorld({
      region: "us-gov-west-1",
      drRegion: "us-gov-east-1",
      prodAccounts: [A],
    });
    const saved = await world.protect(
      A,
      await world.createInstance(A, "orders", { encrypted: true }),
    );
    assert.deepEqual(saved.batchItemFailures, []);
    const [copy] = await primary("instance");
    assert.match(
      copy?.arn ?? "",
      /^arn:aws-us-gov:rds:us-gov-west-1:222222222222:snapshot:failsafe-/,
    );
    const dr = await world.copiesFinished(await primary("instance"));
    assert.deepEqual(dr.dr?.batchItemFailures, []);
    const [drCopy] = await drCopies("instance");
    assert.match(drCopy?.arn ?? "", /^arn:aws-us-gov:rds:us-gov-east-1:/);
    assert.equal(drCopy?.kmsKeyId, world.drVaultKeyArn);
    const copied = world.failsafeLog.decisions().filter((d) => d.handler === "dr-copy");
    assert.deepEqual(
      copied.map((d) => d.decision),
      ["copied"],
    );
  });
});
