import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  isManagedSnapshotId,
  isValidSnapshotId,
  managedSnapshotId,
  MAX_SNAPSHOT_ID_LENGTH,
  type SnapshotKind,
} from "../handlers/naming";

// A valid DB instance / cluster identifier: 1–63 letters, digits, hyphens; first a letter; no "--";
// no trailing "-" (CreateDBInstance / CreateDBCluster constraints).
const dbIdentifier = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"),
    fc.array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-"), { maxLength: 62 }),
  )
  .map(([first, rest]) => (first + rest.join("")).replace(/-{2,}/g, "-").replace(/-+$/, ""))
  .filter((id) => id.length >= 1 && id.length <= 63);

const stamp = fc
  .date({
    min: new Date("2000-01-01T00:00:00Z"),
    max: new Date("2099-12-31T23:59:00Z"),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 16).replace(/[T:]/g, "-"));

const automatedId = fc.tuple(dbIdentifier, stamp).map(([db, s]) => `rds:${db}-${s}`);
const kinds: SnapshotKind[] = ["instance", "cluster"];

describe("naming", () => {
  for (const kind of kinds) {
    describe(`${kind} snapshots`, () => {
      it("gives a valid, managed id for every valid automated snapshot id, including the longest", () => {
        fc.assert(
          fc.property(automatedId, (source) => {
            const id = managedSnapshotId(kind, source);
            assert.ok(
              isValidSnapshotId(kind, id),
              `${id} (from ${source}) is not a valid ${kind} id`,
            );
            assert.ok(id.length <= MAX_SNAPSHOT_ID_LENGTH[kind]);
            assert.ok(isManagedSnapshotId(kind, id));
            assert.equal(managedSnapshotId(kind, source), id, "not deterministic");
          }),
          { numRuns: 2000 },
        );
      });

      it("gives distinct ids to distinct sources", () => {
        fc.assert(
          fc.property(automatedId, automatedId, (a, b) => {
            fc.pre(a.toLowerCase() !== b.toLowerCase());
            assert.notEqual(managedSnapshotId(kind, a), managedSnapshotId(kind, b));
          }),
          { numRuns: 2000 },
        );
      });

      it("handles a 63-character database id", () => {
        const source = `rds:${"a".repeat(63)}-2026-11-22-05-07`;
        const id = managedSnapshotId(kind, source);
        assert.ok(isValidSnapshotId(kind, id), id);
        assert.ok(id.endsWith("-2026-11-22-05-07"), `the date stays readable: ${id}`);
      });
    });
  }

  it("keeps the plain form when it fits", () => {
    assert.equal(
      managedSnapshotId("instance", "rds:orders-2026-11-22-05-07"),
      "failsafe-orders-2026-11-22-05-07",
    );
    assert.equal(
      managedSnapshotId("cluster", "rds:ledger-2026-11-22-05-07"),
      "failsafe-ledger-2026-11-22-05-07",
    );
  });

  it("shortens a long cluster id with a hash", () => {
    const id = managedSnapshotId("cluster", `rds:${"ledger-".repeat(8)}x-2026-11-22-05-07`);
    assert.equal(id.length <= 63, true);
    assert.match(id, /^failsafe-ledger-.*-[0-9a-f]{8}-2026-11-22-05-07$/);
  });

  it("rejects an empty source id", () => {
    assert.throws(() => managedSnapshotId("instance", ""), /must not be empty/);
  });

  const invalid: [string, string][] = [
    ["starts with a digit", "1abc"],
    ["double hyphen", "a--b"],
    ["trailing hyphen", "ab-"],
    ["underscore", "a_b"],
    ["colon", "rds:abc"],
    ["empty", ""],
  ];
  for (const [why, id] of invalid) {
    it(`treats "${id}" as invalid (${why})`, () => {
      assert.equal(isValidSnapshotId("instance", id), false);
    });
  }

  it("enforces each kind's length limit", () => {
    assert.equal(isValidSnapshotId("cluster", "a".repeat(63)), true);
    assert.equal(isValidSnapshotId("cluster", "a".repeat(64)), false);
    assert.equal(isValidSnapshotId("instance", "a".repeat(255)), true);
    assert.equal(isValidSnapshotId("instance", "a".repeat(256)), false);
  });
});
