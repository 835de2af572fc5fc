import { strict as assert } from "node:assert";
import { EVENT_IDS, HANDOFF_VERSION } from "../handlers/events";
import { rdsSnapshotEvent, snsEnvelope, sqsEvent } from "./support/events";
import { createOrgWorld, type OrgWorld } from "./support/org-world";

const A = "111111111111";

/**
 * The handlers in the China and GovCloud (US) partitions, on the emulator (moto keeps a backend
 * per region and answers with that partition's ARNs): the whole pipeline from the automated
 * snapshot to the failsafe copy, and events and hand-offs naming another partition refused
 * before any AWS call. (The DR region in GovCloud: test/dr.test.ts.)
 */
describe("handlers in aws-cn and aws-us-gov (emulator)", function () {
  this.timeout(120_000);
  for (const region of ["cn-north-1", "us-gov-west-1"]) {
    describe(region, () => {
      let world: OrgWorld;
      const partition = region.startsWith("cn-") ? "aws-cn" : "aws-us-gov";
      before(async () => {
        world = await createOrgWorld({ region, prodAccounts: [A] });
      });

      it("protects a database end to end, every ARN in the partition", async () => {
        const automated = await world.createInstance(A, "orders", { encrypted: true });
        assert.match(
          automated.arn,
          new RegExp(`^arn:${partition}:rds:${region}:${A}:snapshot:rds:`),
        );
        const result = await world.protect(A, automated);
        assert.deepEqual(result.batchItemFailures, []);
        const [copy, ...more] = await world.managed(world.failsafe, "instance");
        assert.equal(more.length, 0);
        assert.match(
          copy?.arn ?? "",
          new RegExp(`^arn:${partition}:rds:${region}:222222222222:snapshot:failsafe-${A}-orders-`),
        );
        assert.equal(copy?.kmsKeyId, world.vaultKeyArn);
        assert.match(copy?.tags["failsafe:copied-from"] ?? "", new RegExp(`^arn:${partition}:`));
        const report = await world.failsafeSide.sweep();
        assert.deepEqual(
          report.sources.map((s) => [s.source, s.status]),
          [[`${A}/instance/orders`, "ok"]],
        );
      });

      it("refuses an event or a hand-off that names another partition", async () => {
        const wrong = `arn:aws:rds:${region}:${A}:snapshot:rds:orders-2026-11-22-05-07`;
        await world.prod(A).handlers.copy(
          sqsEvent([
            rdsSnapshotEvent({
              eventId: EVENT_IDS.automatedInstanceSnapshotCreated,
              kind: "instance",
              snapshotArn: wrong,
              account: A,
              region,
            }),
          ]),
        );
        const copyReason = world.prod(A).log.decisions().at(-1);
        assert.equal(copyReason?.decision, "rejected");
        assert.match(
          copyReason?.reason ?? "",
          new RegExp(
            `detail.SourceArn is in partition aws, but region ${region} is in partition ${partition}`,
          ),
        );
        const handoff = {
          version: HANDOFF_VERSION,
          kind: "instance",
          snapshotArn: `arn:aws:rds:${region}:${A}:snapshot:failsafe-orders-2026-11-22-05-07`,
          sourceId: "orders",
          sourceAccount: A,
          region,
          sharedAt: new Date().toISOString(),
        };
        const before = (await world.managed(world.failsafe, "instance")).length;
        const response = await world.failsafeSide.save(
          sqsEvent([snsEnvelope(world.handoffTopicArn, handoff)]),
        );
        assert.deepEqual(response.batchItemFailures, [], "refused, not retried");
        const saveReason = world.failsafeLog.decisions().at(-1);
        assert.equal(saveReason?.decision, "rejected");
        assert.match(saveReason?.reason ?? "", /hand-off snapshotArn is in partition aws/);
        assert.equal((await world.managed(world.failsafe, "instance")).length, before);
      });
    });
  }
});
