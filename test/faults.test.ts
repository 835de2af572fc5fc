import { strict as assert } from "node:assert";
import {
  crashBeforeSave,
  crashBeforeShare,
  dropped,
  formatFigures,
  malformedInputs,
  quotaNearlyExhausted,
  throttled,
  tripleDelivery,
  type Figures,
} from "./support/fault-scenarios";

/**
 * The fault suite at a small N, through the deployed (serialized) code on the emulator, with SQS
 * semantics played by test/support/pipeline-sim.ts. Full size: `npm run faults`.
 */
describe("fault suite (deployed code, small N)", function () {
  this.timeout(180_000);
  const N = Number(process.env.FAULTS_N ?? 5);

  const expectWhole = (f: Figures) => {
    console.log(`      ${formatFigures(f)}`);
    assert.deepEqual(
      { protectedPct: f.protectedPct, duplicates: f.duplicates, lost: f.lost, dlq: f.dlq },
      { protectedPct: 100, duplicates: 0, lost: 0, dlq: 0 },
    );
  };

  it("every event delivered 3 times → exactly one copy per stage", async () => {
    const f = await tripleDelivery(N);
    expectWhole(f);
    assert.equal(f.notes["copies started (copy)"], N);
    assert.equal(f.notes["copies started (save)"], N);
  });

  it("30 % of events dropped → the sweeps restore 100 % protection", async () => {
    const f = await dropped(Math.max(N, 10));
    expectWhole(f);
    assert.ok(Number(f.notes["events dropped"]) > 0, "some events were dropped");
  });

  it("20 % of AWS calls throttled → 100 % protected, nothing lost or duplicated", async () => {
    const f = await throttled(N);
    expectWhole(f);
    assert.ok(Number(f.notes["answered Throttling"]) > 0, "the proxy throttled calls");
  });

  it("a crash between copy and share → the sweeps finish the job", async () => {
    const f = await crashBeforeShare(N);
    expectWhole(f);
    assert.equal(f.notes["protected before sweeps %"], 0);
  });

  it("a crash between share and save → the sweeps finish the job", async () => {
    const f = await crashBeforeSave(N);
    expectWhole(f);
    assert.equal(f.notes["protected before sweeps %"], 0);
  });

  it("manual-snapshot quota nearly exhausted → clear error, DLQ alarm, cleanup frees room", async () => {
    const f = await quotaNearlyExhausted(10, 95);
    console.log(`      ${formatFigures(f)}`);
    assert.deepEqual(
      { protectedPct: f.protectedPct, duplicates: f.duplicates, lost: f.lost },
      { protectedPct: 100, duplicates: 0, lost: 0 },
    );
    assert.ok(Number(f.notes["protected before cleanup %"]) < 100, "the quota stopped copies");
    assert.ok(
      Number(f.notes["SnapshotQuotaExceeded retries logged"]) > 0,
      "the error names the quota",
    );
    assert.ok(f.dlq > 0, "messages reach the DLQ: the DLQ alarm fires");
    assert.ok(Number(f.notes["intermediates cleaned up"]) > 0);
    assert.equal(f.notes["failsafe snapshots lost"], 0);
  });

  it("generated malformed or spoofed inputs → nothing created or deleted, no unhandled error", async () => {
    const f = await malformedInputs(Number(process.env.FAULTS_INPUTS ?? 1000));
    console.log(`      ${formatFigures(f)}`);
    assert.deepEqual(
      { created: f.created, deleted: f.deleted, unhandled: f.unhandled },
      { created: 0, deleted: 0, unhandled: 0 },
    );
  });
});
