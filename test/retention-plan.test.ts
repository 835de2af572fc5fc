import { strict as assert } from "node:assert";
import { planRetention, type RetentionCopy } from "../handlers/retention";

const NOW = new Date("2026-11-22T12:00:00Z");
const DAY = 86_400_000;
const RULES = { retentionDays: 31, minCopies: 3, freezeAfterHours: 48 };

/** Daily copies whose ages in days are given, newest first or not. */
function copies(ages: number[], extra: Partial<RetentionCopy> = {}): RetentionCopy[] {
  return ages.map((age, i) => ({
    id: `failsafe-db-${i}`,
    time: new Date(NOW.getTime() - age * DAY),
    available: true,
    managed: true,
    ...extra,
  }));
}

function deleted(list: RetentionCopy[], rules = RULES): string[] {
  return planRetention(list, NOW, rules)
    .filter((d) => d.action === "delete")
    .map((d) => d.id)
    .sort();
}

describe("planRetention", () => {
  const cases: {
    name: string;
    list: RetentionCopy[];
    rules?: typeof RULES;
    expectDeleted: string[];
  }[] = [
    {
      name: "nothing older than retentionDays → nothing deleted",
      list: copies([0, 1, 2, 30]),
      expectDeleted: [],
    },
    {
      name: "copies older than retentionDays beyond minCopies are deleted",
      list: copies([0, 1, 2, 3, 32, 40]),
      expectDeleted: ["failsafe-db-4", "failsafe-db-5"],
    },
    {
      name: "minCopies keeps old copies when there are few",
      list: copies([0, 35, 40, 50]),
      expectDeleted: ["failsafe-db-3"],
    },
    { name: "fewer than minCopies → nothing deleted", list: copies([0, 60]), expectDeleted: [] },
    {
      name: "exactly minCopies, all old but fresh newest",
      list: copies([1, 60, 70]),
      expectDeleted: [],
    },
    {
      name: "copies stopped arriving (newest 3 days old) → frozen, nothing deleted",
      list: copies([3, 40, 50, 60, 70]),
      expectDeleted: [],
    },
    {
      name: "database deleted long ago (newest 100 days) → frozen, nothing deleted",
      list: copies([100, 101, 102, 103]),
      expectDeleted: [],
    },
    {
      name: "unmanaged snapshots are never deleted, whatever their age",
      list: [
        ...copies([0, 1, 2]),
        ...copies([90, 91], { managed: false }).map((c) => ({ ...c, id: `manual-${c.id}` })),
      ],
      expectDeleted: [],
    },
    {
      name: "copies not yet available neither count nor get deleted",
      list: [
        ...copies([0, 40, 41, 42]),
        {
          id: "failsafe-db-copying",
          time: new Date(NOW.getTime() - 50 * DAY),
          available: false,
          managed: true,
        },
      ],
      expectDeleted: ["failsafe-db-3"],
    },
    {
      name: "minCopies 1, retention 1 day",
      list: copies([0, 0.5, 2, 3]),
      rules: { retentionDays: 1, minCopies: 1, freezeAfterHours: 48 },
      expectDeleted: ["failsafe-db-2", "failsafe-db-3"],
    },
    {
      name: "order of input does not matter",
      list: copies([40, 0, 50, 1, 2]),
      expectDeleted: ["failsafe-db-0", "failsafe-db-2"],
    },
    { name: "no copies → no decisions", list: [], expectDeleted: [] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(deleted(c.list, c.rules), c.expectDeleted);
    });
  }

  it("always keeps at least minCopies available managed copies (any ages, any counts)", () => {
    for (let count = 0; count <= 10; count += 1) {
      for (const spread of [0.1, 1, 7, 30]) {
        const list = copies(Array.from({ length: count }, (_, i) => i * spread));
        const plan = planRetention(list, NOW, RULES);
        const kept = plan.filter((d) => d.action === "keep").length;
        assert.ok(
          kept >= Math.min(count, RULES.minCopies),
          `count ${count} spread ${spread}: kept ${kept}`,
        );
        assert.equal(plan.length, count);
      }
    }
  });

  it("explains every decision", () => {
    const plan = planRetention(copies([0, 1, 2, 40]), NOW, RULES);
    assert.deepEqual(
      plan.map((d) => d.reason),
      [
        "one of the newest 3 (minCopies)",
        "one of the newest 3 (minCopies)",
        "one of the newest 3 (minCopies)",
        "40 days older than the newest copy, beyond retentionDays 31 and not the newest of a kept week or month",
      ],
    );
  });
});
