import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  planRetention,
  type RetentionCopy,
  type RetentionDecision,
  type RetentionRules,
} from "../handlers/retention";

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * ISO 8601 week of a UTC date: the week (Monday to Sunday) that holds its Thursday, numbered
 * within the ISO year of that Thursday. Written independently of handlers/retention.ts (which
 * counts Mondays) so the two cross-check each other.
 */
function isoWeek(time: number): string {
  const d = new Date(time);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  const thursday = day + (3 - ((d.getUTCDay() + 6) % 7)) * DAY;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY)) + 1;
  return `${year}-W${week}`;
}

function month(time: number): string {
  const d = new Date(time);
  return `${d.getUTCFullYear()}-${d.getUTCMonth() + 1}`;
}

/** The ISO weeks / months `count` back from the anchor's, by stepping the calendar back. */
function weeksBackFrom(anchor: number, count: number): Set<string> {
  return new Set(Array.from({ length: count }, (_, i) => isoWeek(anchor - i * 7 * DAY)));
}
function monthsBackFrom(anchor: number, count: number): Set<string> {
  const d = new Date(anchor);
  return new Set(
    Array.from({ length: count }, (_, i) => {
      const m = d.getUTCFullYear() * 12 + d.getUTCMonth() - i;
      return `${Math.floor(m / 12)}-${(m % 12) + 1}`;
    }),
  );
}

/** What the plan must keep, per the rules as the issue states them (a reference model). */
function expectedKept(copies: readonly RetentionCopy[], now: Date, rules: RetentionRules) {
  const candidates = copies
    .filter((c) => c.managed && c.available && c.time)
    .sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
  const newest = candidates[0]?.time?.getTime();
  if (newest === undefined) return { frozen: false, kept: new Set<string>(), candidates };
  const frozen = now.getTime() - newest > rules.freezeAfterHours * HOUR;
  const anchor = Math.min(newest, now.getTime());
  const kept = new Set<string>();
  candidates.slice(0, rules.minCopies).forEach((c) => kept.add(c.id));
  for (const c of candidates) {
    if ((anchor - (c.time?.getTime() ?? 0)) / DAY <= rules.retentionDays) kept.add(c.id);
  }
  const weeks = weeksBackFrom(anchor, rules.keepWeekly ?? 0);
  const months = monthsBackFrom(anchor, rules.keepMonthly ?? 0);
  const seenWeek = new Set<string>();
  const seenMonth = new Set<string>();
  for (const c of candidates) {
    // A copy "from the future" (a skewed clock) counts in its own week or month.
    const t = c.time?.getTime() ?? 0;
    const w = isoWeek(t);
    if (weeks.has(w) && !seenWeek.has(w)) {
      seenWeek.add(w);
      kept.add(c.id);
    }
    const m = month(t);
    if (months.has(m) && !seenMonth.has(m)) {
      seenMonth.add(m);
      kept.add(c.id);
    }
  }
  return { frozen, kept, candidates };
}

const BASE = Date.UTC(2026, 10, 22, 12);

const copyArb = fc.record({
  ageHours: fc.integer({ min: -6, max: 24 * 500 }),
  available: fc.boolean(),
  managed: fc.boolean(),
});
const caseArb = fc.record({
  copies: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: copyArb.map((c) => ({ ...c, available: true, managed: true })) },
      { weight: 1, arbitrary: copyArb },
    ),
    { maxLength: 80 },
  ),
  /** Now, hours after the base (copies may stop arriving: the freeze). */
  nowHours: fc.integer({ min: 0, max: 120 }),
  rules: fc.record({
    retentionDays: fc.integer({ min: 1, max: 60 }),
    minCopies: fc.integer({ min: 1, max: 10 }),
    freezeAfterHours: fc.integer({ min: 25, max: 100 }),
    keepWeekly: fc.integer({ min: 0, max: 20 }),
    keepMonthly: fc.integer({ min: 0, max: 24 }),
  }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function build(c: Case) {
  const copies: RetentionCopy[] = c.copies.map((x, i) => ({
    id: `failsafe-c${i}`,
    time: new Date(BASE - x.ageHours * HOUR),
    available: x.available,
    managed: x.managed,
  }));
  return { copies, now: new Date(BASE + c.nowHours * HOUR), rules: c.rules };
}

const deletedIds = (plan: RetentionDecision[]) =>
  new Set(plan.filter((d) => d.action === "delete").map((d) => d.id));

describe("tiered retention (planRetention, property-based)", () => {
  it("decides once for every copy, and never deletes an unmanaged or not-yet-available copy", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { copies, now, rules } = build(c);
        const plan = planRetention(copies, now, rules);
        assert.deepEqual(plan.map((d) => d.id).sort(), copies.map((x) => x.id).sort());
        const deleted = deletedIds(plan);
        for (const copy of copies) {
          if (!copy.managed || !copy.available) assert.ok(!deleted.has(copy.id), copy.id);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never deletes the newest copy, never keeps fewer than minCopies, deletes nothing when frozen", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { copies, now, rules } = build(c);
        const plan = planRetention(copies, now, rules);
        const deleted = deletedIds(plan);
        const { candidates, frozen } = expectedKept(copies, now, rules);
        if (candidates[0]) assert.ok(!deleted.has(candidates[0].id), "the newest copy");
        const kept = candidates.filter((x) => !deleted.has(x.id)).length;
        assert.ok(kept >= Math.min(candidates.length, rules.minCopies), `kept ${kept}`);
        if (frozen) assert.equal(deleted.size, 0);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps exactly the copies the tiers name (minCopies ∪ daily ∪ weekly ∪ monthly), deletes the rest", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { copies, now, rules } = build(c);
        const plan = planRetention(copies, now, rules);
        const { frozen, kept, candidates } = expectedKept(copies, now, rules);
        const expectedDeleted = frozen
          ? []
          : candidates.filter((x) => !kept.has(x.id)).map((x) => x.id);
        assert.deepEqual([...deletedIds(plan)].sort(), expectedDeleted.sort());
      }),
      { numRuns: 2000 },
    );
  });

  it("labels each kept copy with a tier that holds it", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { copies, now, rules } = build(c);
        for (const d of planRetention(copies, now, rules)) {
          assert.equal(d.action === "delete", d.tier === "expiring", `${d.id} ${d.tier}`);
          if (d.tier === "weekly") assert.ok((rules.keepWeekly ?? 0) > 0);
          if (d.tier === "monthly") assert.ok((rules.keepMonthly ?? 0) > 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("with the defaults, a year of daily copies keeps 31 days, 8 weeks and 12 months", () => {
    const now = new Date(Date.UTC(2026, 10, 22, 5, 7)); // a Sunday
    const copies: RetentionCopy[] = Array.from({ length: 400 }, (_, i) => ({
      id: `failsafe-day-${i}`,
      time: new Date(now.getTime() - i * DAY),
      available: true,
      managed: true,
    }));
    const plan = planRetention(copies, now, {
      retentionDays: 31,
      minCopies: 7,
      freezeAfterHours: 48,
      keepWeekly: 8,
      keepMonthly: 12,
    });
    const tier = (i: number) => plan.find((d) => d.id === `failsafe-day-${i}`)?.tier;
    assert.equal(tier(0), "daily");
    assert.equal(tier(31), "daily");
    // 2026-11-22 is a Sunday: weeks end on Sundays, so day 35 (a Sunday) is its week's newest.
    assert.equal(tier(35), "weekly");
    assert.equal(tier(36), "expiring");
    assert.equal(tier(49), "weekly", "7 weeks back, the last weekly one");
    assert.equal(tier(56), "expiring", "8 weeks back: past keepWeekly");
    // Day 53 is 2026-09-30, the newest copy of September: monthly.
    assert.equal(tier(53), "monthly");
    assert.equal(
      plan.filter((d) => d.tier === "monthly").length,
      10,
      "Sep…Dec 2025 are months 2-11",
    );
    assert.equal(
      plan.filter((d) => d.action === "keep").length,
      32 + 3 + 10,
      "31 days (+ today), the Sundays of weeks 5-7 beyond them, 10 month-ends beyond those",
    );
  });
});
