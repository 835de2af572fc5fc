import { strict as assert } from "node:assert";
import { DeleteDBInstanceCommand, ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { lineageStates } from "../handlers/lineage";
import type { SnapshotInfo } from "../handlers/rds";
import { TAG } from "../handlers/tags";
import { main } from "../cli/index";
import { emulatorEndpoint, FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "./harness";
import { createWorld, type World } from "./support/world";

const DAY = 24;

/**
 * Lineages on the emulator: a copy belongs to its database's resource id, not its identifier
 * (the hostile-prod issue, finding 1), and the RPO is tracked and told per lineage (finding 2).
 * Simulated days move both the handlers' clock and the emulator's RDS clock (extension 10.).
 */
describe("lineages (emulator)", function () {
  this.timeout(120_000);
  let world: World;

  const genuineCopies = async (resourceId: string) =>
    (await world.manualSnapshots(world.failsafe, "instance")).filter(
      (s) => s.tags[TAG.sourceResourceId] === resourceId,
    );
  const resourceIdOf = async (id: string) =>
    (await world.automatedSnapshot("instance", id)).resourceId ?? "";

  /** One day: RDS's backup of each database, the events, then both sweeps. */
  async function day(ids: readonly string[]) {
    await world.advanceHours(DAY, { emulator: true });
    for (const id of ids) {
      await world.runPipeline(await world.dailyBackup("instance", id));
    }
    await world.prodSide.sweep();
    return world.failsafeSide.sweep();
  }

  async function recreate(id: string) {
    await world.prod.rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: id,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
    );
    await world.createInstance(id, { tagged: true });
  }

  beforeEach(async () => {
    world = await createWorld({ retentionDays: 5, minCopies: 3, freezeAfterHours: 48 });
  });
  // The CLI takes the default credential chain, as an operator's shell would (moto checks no
  // signature; the role ARN picks the account).
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  before(() => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAEMULATOR0000TEST";
    process.env.AWS_SECRET_ACCESS_KEY = "emulator";
  });
  after(() => {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  // retentionDays 5 and minCopies 3 here: the same rules as 31 and 7, at a size that runs in
  // seconds (`npm run attacks` runs it with the defaults for 40 days).
  it("keeps every genuine copy when a prod admin re-creates the database and feeds it for 12 days", async () => {
    await world.createInstance("orders", { tagged: true });
    const genuine = await resourceIdOf("orders");
    for (let d = 0; d < 9; d += 1) {
      await day(["orders"]);
    }
    const before = (await genuineCopies(genuine)).map((s) => s.id).sort();
    assert.ok(before.length >= 5, `retention keeps 5 days (${before.length})`);
    await world.opsNotifications();

    await recreate("orders");
    const junk = await resourceIdOf("orders");
    assert.notEqual(junk, genuine, "a re-created database is a new lineage");
    const told: string[] = [];
    for (let d = 0; d < 12; d += 1) {
      await day(["orders"]);
      told.push(...(await world.opsNotifications()));
    }
    const after = (await genuineCopies(genuine)).map((s) => s.id).sort();
    assert.deepEqual(after, before, "not one genuine copy deleted");
    assert.deepEqual(
      told.filter((t) => t.includes("re-created")),
      ["rds-failsafe: orders was re-created (new resource id)"],
      "ops is told once",
    );
    const report = await world.failsafeSide.sweep();
    const states = report.sources.filter((s) => s.source === `${PROD_ACCOUNT}/instance/orders`);
    assert.deepEqual(states.map((s) => s.status).sort(), ["ok", "superseded"]);
    const junkCopies = (await genuineCopies(junk)).length;
    assert.ok(
      junkCopies >= 5 && junkCopies < 12,
      `the new lineage has its own retention (${junkCopies})`,
    );
  });

  it("tells ops about each lineage entering RPO breach, once, even while another is in breach", async () => {
    await world.createInstance("orders", { tagged: true });
    await world.createInstance("billing", { tagged: true });
    await day(["orders", "billing"]);
    assert.deepEqual(await world.opsNotifications(), []);

    // orders stops getting copies (its prod side was tampered with); billing carries on.
    for (let d = 0; d < 2; d += 1) {
      await day(["billing"]);
    }
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: RPO breach: orders has no copy newer than 26 h",
    ]);
    await day(["billing"]);
    assert.deepEqual(await world.opsNotifications(), [], "not told again");
    assert.equal(world.metrics.last("RpoBreaches"), 1);

    // billing stops too: told at once, although orders is still in breach.
    await world.advanceHours(27, { emulator: true });
    await world.failsafeSide.sweep();
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: RPO breach: billing has no copy newer than 26 h",
    ]);
    assert.equal(world.metrics.last("RpoBreaches"), 2);

    // billing recovers, then breaches again: a new breach is a new message.
    await day(["billing"]);
    assert.equal(world.metrics.last("RpoBreaches"), 1);
    await world.advanceHours(27, { emulator: true });
    await world.failsafeSide.sweep();
    assert.deepEqual(await world.opsNotifications(), [
      "rds-failsafe: RPO breach: billing has no copy newer than 26 h",
    ]);
  });

  it("stops counting a database an operator retired, and keeps its copies", async () => {
    await world.createInstance("orders", { tagged: true });
    await day(["orders"]);
    await world.advanceHours(30, { emulator: true });
    assert.equal((await world.failsafeSide.sweep()).sources[0]?.status, "breach");
    const copies = (await world.manualSnapshots(world.failsafe, "instance")).length;

    const lines: string[] = [];
    const out = { line: (t = "") => lines.push(t), error: (t: string) => lines.push(t) };
    const cli = (...args: string[]) =>
      main(
        [
          "--region",
          REGION,
          "--endpoint",
          emulatorEndpoint(),
          "--failsafe-role-arn",
          `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
          ...args,
        ],
        out,
      );
    assert.equal(await cli("retire", "--source", "orders"), 0, lines.join("\n"));
    assert.match(lines.join("\n"), /dry run: nothing changed/);
    assert.equal((await world.failsafeSide.sweep()).sources[0]?.status, "breach", "dry run");
    assert.equal(await cli("retire", "--source", "orders", "--apply"), 0);
    const report = await world.failsafeSide.sweep();
    assert.equal(report.sources[0]?.status, "retired");
    assert.equal(world.metrics.last("RpoBreaches"), 0);
    assert.equal((await world.manualSnapshots(world.failsafe, "instance")).length, copies);

    assert.equal(await cli("retire", "--source", "nope"), 2);
    assert.match(lines.at(-1) ?? "", /no failsafe copies of nope/);
    assert.equal(await cli("retire", "--source", "in/valid/x/y"), 2);
    assert.equal(await cli("retire", "--source", "orders", "--undo", "--apply"), 0);
    assert.equal((await world.failsafeSide.sweep()).sources[0]?.status, "breach");
  });

  it("keeps the copies of a prod account removed from prodAccountIds, without an RPO breach", async () => {
    await world.createInstance("orders", { tagged: true });
    await day(["orders"]);
    const copies = await world.manualSnapshots(world.failsafe, "instance");
    const states = lineageStates(copies, new Date(world.now().getTime() + 100 * 3_600_000), {
      rpoHours: 26,
      freezeAfterHours: 48,
      prodAccountIds: ["333333333333"],
    });
    assert.deepEqual(
      states.map((s) => [s.status, s.frozen]),
      [["account-removed", true]],
    );
  });

  it("counts a first copy still being made by its data time, not as a missing copy", () => {
    const now = new Date("2026-11-22T12:00:00Z");
    const copy = (status: string, hoursAgo: number): SnapshotInfo => ({
      kind: "instance",
      id: `failsafe-${PROD_ACCOUNT}-orders-${hoursAgo}`,
      arn: `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:snapshot:failsafe-${PROD_ACCOUNT}-orders-${hoursAgo}`,
      sourceId: "orders",
      status,
      type: "manual",
      encrypted: true,
      kmsKeyId: undefined,
      createTime: now,
      originalCreateTime: undefined,
      resourceId: "db-A",
      engine: "postgres",
      engineVersion: "16",
      allocatedStorage: 20,
      tags: {
        [TAG.managed]: "true",
        [TAG.sourceAccount]: PROD_ACCOUNT,
        [TAG.sourceId]: "orders",
        [TAG.sourceResourceId]: "db-A",
        [TAG.sourceTime]: new Date(now.getTime() - hoursAgo * 3_600_000).toISOString(),
      },
    });
    const rules = { rpoHours: 26, freezeAfterHours: 48, prodAccountIds: [PROD_ACCOUNT] };
    const [first] = lineageStates([copy("creating", 2)], now, rules);
    assert.equal(first?.status, "ok");
    assert.equal(Math.round(first?.ageHours ?? -1), 2);
    const [stuck] = lineageStates([copy("creating", 30)], now, rules);
    assert.equal(stuck?.status, "breach", "a copy stuck in creating is still a breach, by its age");
  });

  it("counts tagged databases that never got a copy to the failsafe account, in prod", async () => {
    world = await createWorld({ unprotectedAfterHours: 26 });
    await world.createInstance("orders", { tagged: true });
    await world.createInstance("fresh", { tagged: true });
    await world.createInstance("scratch");
    await world.prod.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: "fresh", BackupRetentionPeriod: 0 }),
    );
    // Within the grace period nothing is "unprotected" except a database with backups off.
    await world.advanceHours(1, { emulator: true });
    const first = await world.prodSide.sweep();
    assert.deepEqual(
      first.unprotected.map((u) => u.source),
      [`${PROD_ACCOUNT}/instance/fresh`],
    );
    assert.match(first.unprotected[0]?.reason ?? "", /automated backups are off/);
    assert.equal(world.prodMetrics.last("UnprotectedSources"), 1);

    // A tagged database 30 h old whose snapshots never reached the failsafe account (say its
    // copy was deleted in prod): counted until a copy is shared again.
    const [intermediate] = await world.manualSnapshots(world.prod, "instance");
    assert.ok(intermediate);
    const { DeleteDBSnapshotCommand } = await import("@aws-sdk/client-rds");
    await world.prod.rds.send(
      new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: intermediate.id }),
    );
    await world.advanceHours(30, { emulator: true });
    const late = await world.prodSide.sweep();
    assert.deepEqual(late.unprotected.map((u) => u.source).sort(), [
      `${PROD_ACCOUNT}/instance/fresh`,
      `${PROD_ACCOUNT}/instance/orders`,
    ]);
    assert.match(
      late.unprotected.find((u) => u.source.endsWith("/orders"))?.reason ?? "",
      /no intermediate copy of its automated snapshots exists \(3\d h after creation\)/,
    );
    assert.equal(world.prodMetrics.last("UnprotectedSources"), 2);
    // The same sweep copied it again; the next one shares it and orders is protected.
    const healed = await world.prodSide.sweep();
    assert.deepEqual(
      healed.unprotected.map((u) => u.source),
      [`${PROD_ACCOUNT}/instance/fresh`],
    );
    assert.equal(world.prodMetrics.last("UnprotectedSources"), 1);
  });
});
