import { strict as assert } from "node:assert";
import { RDSClient } from "@aws-sdk/client-rds";
import { EVENT_IDS } from "../handlers/events";
import { prodHandlers } from "../handlers/index";
import { emulatorEndpoint, PROD_ACCOUNT, REGION, setEmulatorLimits } from "./harness";
import { rdsSnapshotEvent, sqsEvent } from "./support/events";
import { RecordingLog } from "./support/recording-log";
import { RecordingMetrics } from "./support/recording-metrics";
import { ThrottleProxy } from "./support/throttle-proxy";
import { createWorld, type World } from "./support/world";

/**
 * Once RDS refuses a copy of a batch for its limits (SnapshotQuotaExceeded), the copying handlers
 * hand the rest of the batch back to SQS without calling AWS: those copies would be refused too,
 * and with many prod accounts handing off at once each refused record used to cost ~3 calls every
 * visibility timeout (bench/results.md, many prod accounts).
 */
describe("copies refused for RDS's limits (emulator)", function () {
  this.timeout(60_000);
  let world: World;
  let proxy: ThrottleProxy;

  beforeEach(async () => {
    world = await createWorld();
    proxy = await ThrottleProxy.start({ target: emulatorEndpoint() });
  });
  afterEach(() => proxy.close());

  it("copy: the rest of the batch goes back without a call after the first refusal", async () => {
    const automated = [];
    for (const id of ["a1", "a2", "a3", "a4", "a5"]) {
      automated.push(await world.createInstance(id, { tagged: true }));
    }
    await setEmulatorLimits({ copyLimit: 2, copySeconds: 30 });
    const log = new RecordingLog();
    const rds = new RDSClient({
      region: REGION,
      endpoint: proxy.endpoint,
      credentials: world.prod.credentials,
      maxAttempts: 1,
    });
    const copy = prodHandlers(
      {
        region: REGION,
        prodAccountId: PROD_ACCOUNT,
        failsafeAccountId: world.failsafe.accountId,
        transitKmsKeyArn: world.transitKeyArn,
        handoffTopicArn: world.handoffTopicArn,
      },
      { rds, sns: world.prod.sns, metrics: new RecordingMetrics(), log },
    ).copy;
    const response = await copy(
      sqsEvent(
        automated.map((s) =>
          rdsSnapshotEvent({
            eventId: EVENT_IDS.automatedInstanceSnapshotCreated,
            kind: "instance",
            snapshotArn: s.arn,
            account: PROD_ACCOUNT,
            region: REGION,
          }),
        ),
      ),
    );
    const decisions = log.decisions().map((d) => [d.decision, d.reason.slice(0, 60)]);
    assert.deepEqual(
      decisions.map(([d]) => d),
      ["copied", "copied", "retry", "retry", "retry"],
      JSON.stringify(decisions),
    );
    assert.match(decisions[2]?.[1] ?? "", /SnapshotQuotaExceeded/);
    assert.match(decisions[3]?.[1] ?? "", /^deferred without an AWS call/);
    assert.equal(response.batchItemFailures.length, 3, "three records back to SQS");
    // Three records read and copied (3 calls each); the last two made none.
    assert.equal(proxy.total(), 9, JSON.stringify(Object.fromEntries(proxy.calls)));
    rds.destroy();
  });

  it("save: the same for hand-offs when the failsafe account is at its limit", async () => {
    for (const id of ["b1", "b2", "b3", "b4"]) {
      await world.createInstance(id, { tagged: true });
    }
    await world.prodSide.sweep(); // copies
    await world.prodSide.sweep(); // shares and hands off
    await setEmulatorLimits({ copyLimit: 1, copySeconds: 30 });
    const { result } = await world.deliverHandoffs();
    const saves = world.failsafeLog.decisions().filter((d) => d.handler === "save");
    assert.deepEqual(
      saves.map((d) => d.decision),
      ["saved", "retry", "retry", "retry"],
      JSON.stringify(saves),
    );
    assert.match(saves.at(-1)?.reason ?? "", /^deferred without an AWS call/);
    assert.equal(result.batchItemFailures.length, 3);
  });
});
