import { strict as assert } from "node:assert";
import { CreateDBInstanceCommand, CreateDBSnapshotCommand } from "@aws-sdk/client-rds";
import { EVENT_IDS } from "../handlers/events";
import { TAG } from "../handlers/tags";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "./harness";
import { rdsSnapshotEvent, sqsEvent } from "./support/events";
import { createWorld, type World } from "./support/world";

const DAY_MS = 86_400_000;

/**
 * Retention on the emulator: managed failsafe copies of a source with given ages (days), plus
 * unmanaged snapshots, then the retention handler is triggered for that source by a copy-finished
 * event, as EventBridge would.
 */
describe("retention handler (failsafe account, emulator)", function () {
  this.timeout(60_000);
  let world: World;

  async function seed(
    sourceId: string,
    ages: number[],
    opts: { managed?: boolean; prefix?: string } = {},
  ) {
    const managed = opts.managed ?? true;
    const ids: string[] = [];
    for (const [i, age] of ages.entries()) {
      const id = `${opts.prefix ?? "failsafe-"}${sourceId}-${i}`;
      const tags = managed
        ? [
            { Key: TAG.managed, Value: "true" },
            { Key: TAG.sourceAccount, Value: PROD_ACCOUNT },
            { Key: TAG.sourceKind, Value: "instance" },
            { Key: TAG.sourceId, Value: sourceId },
            // Each database its own lineage (the fixture snapshots all come from one instance).
            { Key: TAG.sourceResourceId, Value: `db-${sourceId.toUpperCase()}FIXTURE` },
            {
              Key: TAG.sourceTime,
              Value: new Date(world.now().getTime() - age * DAY_MS).toISOString(),
            },
          ]
        : [
            {
              Key: TAG.sourceTime,
              Value: new Date(world.now().getTime() - age * DAY_MS).toISOString(),
            },
          ];
      await world.failsafe.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: "fixture",
          DBSnapshotIdentifier: id,
          Tags: tags,
        }),
      );
      ids.push(id);
    }
    return ids;
  }

  async function trigger(snapshotId: string) {
    const arn = `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:snapshot:${snapshotId}`;
    return world.failsafeSide.retention(
      sqsEvent([
        rdsSnapshotEvent({
          eventId: EVENT_IDS.snapshotCopyFinished,
          kind: "instance",
          snapshotArn: arn,
          account: FAILSAFE_ACCOUNT,
          region: REGION,
        }),
      ]),
    );
  }

  async function remaining(): Promise<string[]> {
    return (await world.manualSnapshots(world.failsafe, "instance")).map((s) => s.id).sort();
  }

  beforeEach(async () => {
    // The daily rule alone (tiers off); the tier rows below turn them on.
    world = await createWorld({
      retentionDays: 31,
      minCopies: 3,
      freezeAfterHours: 48,
      keepWeekly: 0,
      keepMonthly: 0,
    });
    // A database in the failsafe account only to take fixture snapshots from.
    await world.failsafe.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "fixture",
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
  });

  const table: { name: string; ages: number[]; deleted: number[] }[] = [
    { name: "fresh daily copies within 31 days", ages: [0, 1, 2, 3, 30], deleted: [] },
    { name: "two copies past retention", ages: [0, 1, 2, 32, 45], deleted: [3, 4] },
    { name: "old copies kept to reach minCopies", ages: [0, 40, 50, 60], deleted: [3] },
    { name: "only minCopies copies, all but one old", ages: [0, 90, 91], deleted: [] },
    { name: "a single copy", ages: [0], deleted: [] },
    { name: "copies stopped arriving 3 days ago (frozen)", ages: [3, 33, 40, 50, 60], deleted: [] },
    {
      name: "database deleted 200 days ago (frozen)",
      ages: [200, 201, 202, 203, 204],
      deleted: [],
    },
  ];

  for (const row of table) {
    it(`${row.name}: ages ${row.ages.join(",")} → deletes #${row.deleted.join(",") || "none"}`, async () => {
      const ids = await seed("orders", row.ages);
      const unmanaged = await seed("orders", [400, 500], { managed: false, prefix: "keep-me-" });
      const otherSource = await seed("payroll", [100, 101, 102, 103]);
      const result = await trigger(ids[0] ?? "");
      assert.deepEqual(result.batchItemFailures, []);
      const expected = [
        ...ids.filter((_, i) => !row.deleted.includes(i)),
        ...unmanaged,
        ...otherSource, // another source is not touched by this source's event
      ].sort();
      assert.deepEqual(await remaining(), expected);
      const line = world.failsafeLog.decisions().find((d) => d.handler === "retention");
      assert.match(line?.reason ?? "", new RegExp(`^${row.deleted.length} deleted`));
    });
  }

  it("with weekly and monthly tiers, keeps the newest copy of each kept week and month", async () => {
    world = await createWorld({
      retentionDays: 7,
      minCopies: 3,
      freezeAfterHours: 48,
      keepWeekly: 4,
      keepMonthly: 3,
    });
    await world.failsafe.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "fixture",
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    // Daily copies for 100 days: 7 days, then a copy per week for 4 weeks, a copy per month for 3.
    const ages = Array.from({ length: 100 }, (_, i) => i);
    const ids = await seed("orders", ages);
    // 20 deletes per run (maxActionsPerRun): the later copy-finished events delete the rest.
    for (let run = 0; run < 5; run += 1) await trigger(ids[0] ?? "");
    const left = new Set(await remaining());
    const kept = ages.filter((age) => left.has(ids[age] ?? ""));
    const day = (age: number) => new Date(world.now().getTime() - age * DAY_MS);
    const weekOf = (t: Date) => Math.floor((t.getTime() / DAY_MS + 3) / 7); // Monday-based
    const monthOf = (t: Date) => t.getUTCFullYear() * 12 + t.getUTCMonth();
    const newestIn = (key: (t: Date) => number, back: number) =>
      ages.find((age) => key(day(0)) - key(day(age)) === back);
    const expected = new Set([
      ...ages.filter((age) => age <= 7),
      ...[0, 1, 2, 3].map((w) => newestIn(weekOf, w)),
      ...[0, 1, 2].map((m) => newestIn(monthOf, m)),
    ]);
    assert.deepEqual(
      kept,
      [...expected].filter((a) => a !== undefined).sort((a, b) => a - b),
    );
    assert.ok(kept.length < 20 && kept.some((a) => a > 14), `kept ages ${kept.join(",")}`);
  });

  it("an event for an unmanaged snapshot deletes nothing", async () => {
    await seed("orders", [0, 40, 50, 60, 70]);
    const [unmanaged] = await seed("orders", [400], { managed: false, prefix: "keep-me-" });
    const before = await remaining();
    await trigger(unmanaged ?? "");
    assert.deepEqual(await remaining(), before);
    assert.equal(world.failsafeLog.decisions()[0]?.decision, "skipped");
  });

  it("a managed-looking name without the managed tag deletes nothing", async () => {
    const [imposter] = await seed("orders", [0], { managed: false, prefix: "failsafe-x-" });
    await seed("orders", [0, 40, 50, 60, 70]);
    const before = await remaining();
    await trigger(imposter ?? "");
    assert.deepEqual(await remaining(), before);
    assert.match(world.failsafeLog.decisions()[0]?.reason ?? "", /no failsafe lineage tags/);
  });
});
