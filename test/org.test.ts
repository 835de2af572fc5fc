import { strict as assert } from "node:assert";
import type { SnapshotInfo } from "../handlers/rds";
import { lineageKey, TAG } from "../handlers/tags";
import { createOrgWorld, ORG_PROD_ACCOUNTS, type OrgWorld } from "./support/org-world";

const [A, B, C] = ORG_PROD_ACCOUNTS;
const DAY = 24;

/**
 * Three prod accounts, one failsafe account, on the emulator (moto maps each account through STS
 * AssumeRole): each account has a database called `orders`; every copy lands under its own id and
 * lineage; removing an account is one config change on the failsafe stack, after which that
 * account's hand-offs are refused and its copies freeze, never deleted, while the others' keep
 * their retention; adding it back resumes it.
 */
describe("three prod accounts, one failsafe account (emulator)", function () {
  this.timeout(240_000);
  let world: OrgWorld;

  const copiesOf = async (owner: string): Promise<SnapshotInfo[]> =>
    (await world.managed(world.failsafe, "instance"))
      .filter((s) => s.tags[TAG.sourceAccount] === owner)
      .sort((a, b) => a.id.localeCompare(b.id));

  /** One day: each account's backup of `orders`, the pipeline, copy-finished, both sweeps. */
  async function day(accounts: readonly string[]) {
    await world.advanceHours(DAY, { emulator: true });
    for (const owner of accounts) {
      await world.protect(owner, await world.dailyBackup(owner, "instance", "orders"));
      await world.prod(owner).handlers.sweep();
    }
    await world.copiesFinished(await world.managed(world.failsafe, "instance"));
    return world.failsafeSide.sweep();
  }

  beforeEach(async () => {
    world = await createOrgWorld({ retentionDays: 3, minCopies: 2, freezeAfterHours: 48 });
    for (const owner of [A, B, C]) {
      await world.createInstance(owner, "orders", { encrypted: owner !== B });
    }
  });

  it("keeps a same-named database of each account apart: own copy ids, own lineages", async () => {
    for (const owner of [A, B, C]) {
      const result = await world.protect(
        owner,
        await world.automatedSnapshot(owner, "instance", "orders"),
      );
      assert.deepEqual(result.batchItemFailures, []);
    }
    const report = await world.failsafeSide.sweep();
    for (const owner of [A, B, C]) {
      const [copy, ...more] = await copiesOf(owner);
      assert.equal(more.length, 0, `one copy of ${owner}/orders`);
      assert.ok(copy, `a copy of ${owner}/orders`);
      assert.ok(copy.id.startsWith(`failsafe-${owner}-orders-`), copy.id);
      assert.equal(copy.kmsKeyId, world.vaultKeyArn);
      const state = report.sources.find((s) => s.source === `${owner}/instance/orders`);
      assert.equal(state?.status, "ok", owner);
      assert.equal(
        state.lineage,
        lineageKey("instance", owner, copy.tags[TAG.sourceResourceId] ?? "?"),
      );
    }
    assert.equal(new Set(report.sources.map((s) => s.lineage)).size, 3);
    assert.equal(world.metrics.last("ProtectedSources"), 3);
    assert.equal(world.metrics.last("RpoBreaches"), 0);
  });

  it("freezes a removed account's copies, refuses its hand-offs, and resumes it when re-added", async () => {
    for (let d = 0; d < 3; d += 1) await day([A, B, C]);
    const frozen = (await copiesOf(C)).map((s) => s.id);
    assert.ok(frozen.length >= 2, `C has copies (${frozen.length})`);

    // One config change on the failsafe stack: prodAccountIds without C. C's copy side runs on.
    world.configure({ prodAccountIds: [A, B] });
    world.metrics.points.length = 0;
    for (let d = 0; d < 6; d += 1) {
      const report = await day([A, B, C]);
      const c = report.sources.find((s) => s.source === `${C}/instance/orders`);
      assert.equal(c?.status, "account-removed", `day ${d}`);
      assert.equal(c.breach, false);
      assert.equal(report.saved, 0, "the sweep saves nothing C shares");
    }
    assert.deepEqual(
      (await copiesOf(C)).map((s) => s.id),
      frozen,
      "not one of C's copies deleted",
    );
    const rejected = world.metrics.points.filter((p) => p.name === "RejectedHandoffs");
    assert.equal(
      rejected.reduce((n, p) => n + p.value, 0),
      6,
      "C's six hand-offs refused",
    );
    assert.match(
      world.failsafeLog
        .decisions()
        .filter((d) => d.decision === "rejected")
        .at(-1)?.reason ?? "",
      new RegExp(`snapshot account ${C} is not a configured prod account \\(${A}, ${B}\\)`),
    );
    assert.equal(world.metrics.last("RpoBreaches"), 0, "a removed account is no RPO breach");
    for (const owner of [A, B]) {
      const kept = await copiesOf(owner);
      assert.ok(kept.length >= 2 && kept.length <= 5, `${owner}: retention runs (${kept.length})`);
    }

    // Adding it back is the same one change: the sweep saves what C shared meanwhile.
    world.configure({ prodAccountIds: [A, B, C] });
    const resumed = await world.failsafeSide.sweep();
    assert.ok(resumed.saved >= 1, `saved C's pending shares (${resumed.saved})`);
    const again = await world.failsafeSide.sweep();
    assert.equal(again.sources.find((s) => s.source === `${C}/instance/orders`)?.status, "ok");
    assert.ok((await copiesOf(C)).length > frozen.length);
  });

  it("saves nothing of an account that is not listed, by hand-off or by sweep", async () => {
    world.configure({ prodAccountIds: [A, B] });
    const handoff = await world.protect(C, await world.automatedSnapshot(C, "instance", "orders"));
    assert.deepEqual(handoff.batchItemFailures, [], "refused, not retried");
    assert.equal(world.metrics.last("RejectedHandoffs"), 1);
    const report = await world.failsafeSide.sweep();
    assert.equal(report.saved, 0);
    assert.deepEqual(await copiesOf(C), []);
    assert.deepEqual(await world.managed(world.failsafe, "instance"), []);
  });
});
