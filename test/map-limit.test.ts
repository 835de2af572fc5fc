import { strict as assert } from "node:assert";
import { ATTRIBUTE_READS_AT_ONCE, mapLimit } from "../handlers/prod-sweep";

// The prod sweep reads snapshot attributes a few at once (handlers/prod-sweep.ts).
describe("mapLimit (the prod sweep's bounded reads)", () => {
  it("keeps the items' order and never more than the limit in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    const results = await mapLimit(items, ATTRIBUTE_READS_AT_ONCE, async (i) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      inFlight -= 1;
      return i * 2;
    });
    assert.deepEqual(
      results,
      items.map((i) => i * 2),
    );
    assert.equal(most, ATTRIBUTE_READS_AT_ONCE);
  });

  it("throws the first error, and handles no items and fewer items than the limit", async () => {
    await assert.rejects(
      mapLimit([1, 2, 3], 2, (i) =>
        i === 2 ? Promise.reject(new Error("throttled for good")) : Promise.resolve(i),
      ),
      /throttled for good/,
    );
    assert.deepEqual(await mapLimit([], 8, (i: number) => Promise.resolve(i)), []);
    assert.deepEqual(await mapLimit([1, 2], 8, (i) => Promise.resolve(i + 1)), [2, 3]);
  });
});
