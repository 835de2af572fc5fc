import { strict as assert } from "node:assert";
import { deployedCode, FUNCTIONS } from "./support/deployed";
import type { LambdaProcess } from "./support/lambda-runtime";
import { createWorld } from "./support/world";

/**
 * A running deployed function's clock can be moved (test/support/lambda-worker.js, IPC message
 * `{ clockOffsetMs }`): what the attack suite's simulated days rely on. The function's own
 * outputs (the EMF timestamps CloudWatch would file its metrics under) follow the move.
 */
describe("deployed function clock (simulated time)", function () {
  this.timeout(120_000);
  let sweep: LambdaProcess | undefined;
  after(() => sweep?.stop());

  it("moves a running function's clock forward and back, effective from the next invocation", async () => {
    const world = await createWorld();
    const code = await deployedCode(world);
    sweep = code.spawn(FUNCTIONS.failsafeSweep);
    const emfTimestamp = async () => {
      const from = sweep?.logs.length ?? 0;
      await sweep?.invoke(null);
      const line = sweep?.logs.slice(from).find((l) => "_aws" in l);
      return Number((line?._aws as { Timestamp?: number } | undefined)?.Timestamp);
    };
    const tenDays = 10 * 24 * 3_600_000;
    const near = (actual: number, expected: number) =>
      assert.ok(
        Math.abs(actual - expected) < 60_000,
        `${new Date(actual).toISOString()} ≉ ${new Date(expected).toISOString()}`,
      );

    near(await emfTimestamp(), Date.now());
    sweep.setClockOffset(tenDays);
    near(await emfTimestamp(), Date.now() + tenDays);
    sweep.setClockOffset(0);
    near(await emfTimestamp(), Date.now());
  });
});
