import { CreateDBInstanceCommand, CreateDBSnapshotCommand } from "@aws-sdk/client-rds";
import { strict as assert } from "node:assert";
import type { LineagePlan } from "../cli/commands/retention-plan";
import { EVENT_IDS } from "../handlers/events";
import { TAG } from "../handlers/tags";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "./harness";
import { rdsSnapshotEvent, sqsEvent } from "./support/events";
import { runCli, writeStackFiles } from "./support/first-deploy";
import { createWorld, type World } from "./support/world";

const DAY_MS = 86_400_000;

/**
 * Lowering retentionDays on the emulator: 40 daily copies kept under 31 days, then a deploy with
 * 7. What it would delete is shown before (npx rds-failsafe retention-plan, which deletes
 * nothing); after it, the deletes are spread over runs (maxActionsPerRun, shared by a whole
 * batch of retention events) and each run logs the whole plan first.
 */
describe("a lowered retentionDays: shown before, bounded after (emulator)", function () {
  this.timeout(120_000);
  let world: World;
  const ids: string[] = [];

  beforeEach(async () => {
    // The handlers as deployed after the change: retentionDays 7; 5 deletes per run; no retention
    // tiers (this is about the delete budget; test/retention-tiers.test.ts is about the tiers).
    world = await createWorld({
      retentionDays: 7,
      minCopies: 3,
      maxActionsPerRun: 5,
      keepWeekly: 0,
      keepMonthly: 0,
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
    ids.length = 0;
    // 40 daily copies of orders, as 31 days of retention (and minCopies) left them… and more.
    for (let age = 0; age < 40; age += 1) {
      const id = `failsafe-${PROD_ACCOUNT}-orders-${String(age).padStart(2, "0")}`;
      await world.failsafe.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: "fixture",
          DBSnapshotIdentifier: id,
          Tags: [
            { Key: TAG.managed, Value: "true" },
            { Key: TAG.sourceAccount, Value: PROD_ACCOUNT },
            { Key: TAG.sourceKind, Value: "instance" },
            { Key: TAG.sourceId, Value: "orders" },
            { Key: TAG.sourceResourceId, Value: "db-ORDERSFIXTURE" },
            {
              Key: TAG.sourceTime,
              Value: new Date(world.now().getTime() - age * DAY_MS).toISOString(),
            },
          ],
        }),
      );
      ids.push(id);
    }
  });

  const count = async () => (await world.manualSnapshots(world.failsafe, "instance")).length;
  const plans = () => world.failsafeLog.lines.filter((l) => l.message === "retention plan");

  it("retention-plan shows what --retention-days 7 would delete, and deletes nothing", async () => {
    // today: retentionDays 31, minCopies 7, no tiers (the deploy under test runs none either)
    const files = writeStackFiles({ failsafe: { keepWeekly: 0, keepMonthly: 0 } });
    const run = await runCli(
      ["retention-plan", "--retention-days", "7", "--stack-file", files.failsafe, "--json"],
      { failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator` },
    );
    assert.equal(run.status, 0, run.output);
    const plan = JSON.parse(run.output) as {
      current: Record<string, number>;
      wanted: Record<string, number>;
      lineages: LineagePlan[];
    };
    assert.deepEqual(plan.current, {
      retentionDays: 31,
      minCopies: 7,
      freezeAfterHours: 48,
      keepWeekly: 0,
      keepMonthly: 0,
    });
    assert.deepEqual(plan.wanted, {
      retentionDays: 7,
      minCopies: 7,
      freezeAfterHours: 48,
      keepWeekly: 0,
      keepMonthly: 0,
    });
    const [orders, ...more] = plan.lineages;
    assert.equal(more.length, 0);
    assert.equal(orders?.source, `${PROD_ACCOUNT}/instance/orders`);
    assert.equal(orders?.copies, 40);
    assert.equal(orders?.deletedNow, 8, "ages 32-39: more than 31 days older than the newest");
    assert.equal(orders?.deletedNew, 32, "ages 8-39");
    assert.deepEqual(orders?.snapshotIds, ids.slice(8, 32));
    assert.equal(await count(), 40, "nothing deleted");

    const text = await runCli(
      ["retention-plan", "--retention-days", "7", "--stack-file", files.failsafe],
      { failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator` },
    );
    assert.match(
      text.output,
      /the change deletes 24 more copies \(32 in all\), at most 20 per sweep run \(maxActionsPerRun\): about 2 hourly run\(s\)\. Nothing was deleted\./,
    );
    assert.equal(
      (
        await runCli(["retention-plan", "--retention-days", "0"], {
          failsafe: `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
        })
      ).status,
      2,
    );
  });

  it("a batch of ten retention events (two databases) deletes at most maxActionsPerRun in all, after logging each plan", async () => {
    // A second database with 20 daily copies: 12 beyond 7 days.
    for (let age = 0; age < 20; age += 1) {
      await world.failsafe.rds.send(
        new CreateDBSnapshotCommand({
          DBInstanceIdentifier: "fixture",
          DBSnapshotIdentifier: `failsafe-${PROD_ACCOUNT}-billing-${String(age).padStart(2, "0")}`,
          Tags: [
            { Key: TAG.managed, Value: "true" },
            { Key: TAG.sourceAccount, Value: PROD_ACCOUNT },
            { Key: TAG.sourceKind, Value: "instance" },
            { Key: TAG.sourceId, Value: "billing" },
            { Key: TAG.sourceResourceId, Value: "db-BILLINGFIXTURE" },
            {
              Key: TAG.sourceTime,
              Value: new Date(world.now().getTime() - age * DAY_MS).toISOString(),
            },
          ],
        }),
      );
    }
    const finished = (id: string) =>
      rdsSnapshotEvent({
        eventId: EVENT_IDS.snapshotCopyFinished,
        kind: "instance",
        snapshotArn: `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:snapshot:${id}`,
        account: FAILSAFE_ACCOUNT,
        region: REGION,
      });
    const before = await count();
    const response = await world.failsafeSide.retention(
      sqsEvent([
        ...Array.from({ length: 5 }, () => finished(ids[0] ?? "")),
        ...Array.from({ length: 5 }, () => finished(`failsafe-${PROD_ACCOUNT}-billing-00`)),
      ]),
    );
    assert.deepEqual(response.batchItemFailures, [], "no record failed or was retried");
    assert.equal(before - (await count()), 5, "one budget for the batch, not one per record");
    const first = plans()[0];
    assert.equal(first?.attributes.toDelete, 32);
    assert.equal(first?.attributes.deletingNow, 5);
    assert.equal((first?.attributes.snapshotIds as string[]).length, 32);
    // The billing records found the budget spent: their plans are logged, nothing deleted.
    const billing = plans().filter((p) => String(p.attributes.lineage).includes("BILLING"));
    assert.ok(billing.length > 0);
    assert.ok(billing.every((p) => p.attributes.toDelete === 12 && p.attributes.deletingNow === 0));
  });

  it("the sweeps spread the deletes over runs: 32 deletes at 5 a run take 7 runs, and stop at retention", async () => {
    const deletedPerRun: number[] = [];
    for (let run = 0; run < 10; run += 1) {
      const report = await world.failsafeSide.sweep();
      deletedPerRun.push(report.deleted);
      if (report.deleted === 0) break;
    }
    assert.deepEqual(deletedPerRun, [5, 5, 5, 5, 5, 5, 2, 0]);
    const left = (await world.manualSnapshots(world.failsafe, "instance"))
      .filter((s) => s.tags[TAG.managed] === "true")
      .map((s) => s.id)
      .sort();
    assert.deepEqual(left, ids.slice(0, 8).sort(), "the newest copy and the 7 days before it");
    assert.deepEqual(
      plans().map((p) => [p.attributes.toDelete, p.attributes.deletingNow]),
      [
        [32, 5],
        [27, 5],
        [22, 5],
        [17, 5],
        [12, 5],
        [7, 5],
        [2, 2],
      ],
    );
  });
});
