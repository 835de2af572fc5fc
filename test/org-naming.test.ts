import { strict as assert } from "node:assert";
import fc from "fast-check";
import { lineageOf } from "../handlers/lineage";
import {
  failsafeCopyId,
  isManagedSnapshotId,
  isValidSnapshotId,
  managedSnapshotId,
  MAX_SNAPSHOT_ID_LENGTH,
  type SnapshotKind,
} from "../handlers/naming";
import type { SnapshotInfo } from "../handlers/rds";
import { lineageKey, TAG } from "../handlers/tags";

// Valid DB instance / cluster identifiers (1–63 letters, digits, hyphens; first a letter; no "--";
// no trailing "-"), their automated snapshots (rds:<db>-YYYY-MM-DD-HH-MM), and 12-digit accounts
// (leading zeros included: account ids are strings).
const dbIdentifier = fc
  .tuple(
    fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
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
const account = fc.stringMatching(/^\d{12}$/);
const kinds: SnapshotKind[] = ["instance", "cluster"];
/** The intermediate a prod account's copy side makes of an automated snapshot. */
const intermediate = (kind: SnapshotKind) =>
  fc.tuple(dbIdentifier, stamp).map(([db, s]) => managedSnapshotId(kind, `rds:${db}-${s}`));
const resourceId = fc.stringMatching(/^(db|cluster)-[A-Z0-9]{26}$/);

function copy(kind: SnapshotKind, owner: string, id: string, rid: string): SnapshotInfo {
  return {
    kind,
    id: failsafeCopyId(kind, owner, id),
    arn: "",
    sourceId: "orders",
    status: "available",
    type: "manual",
    encrypted: true,
    kmsKeyId: undefined,
    createTime: undefined,
    originalCreateTime: undefined,
    resourceId: rid,
    engine: undefined,
    engineVersion: undefined,
    allocatedStorage: undefined,
    tags: {
      [TAG.managed]: "true",
      [TAG.sourceAccount]: owner,
      [TAG.sourceId]: "orders",
      [TAG.sourceResourceId]: rid,
    },
  };
}

/**
 * Failsafe copy ids and lineages of many prod accounts in one failsafe account (the organization
 * issue): per account unique, deterministic, within RDS's identifier rules, and managed names the
 * sweep and retention recognise, for every valid source, including the longest.
 */
describe("failsafe copy ids and lineages across prod accounts (fast-check)", () => {
  for (const kind of kinds) {
    describe(`${kind} snapshots`, () => {
      it("are valid, managed, deterministic and within the length limit", () => {
        fc.assert(
          fc.property(account, intermediate(kind), (owner, id) => {
            const target = failsafeCopyId(kind, owner, id);
            assert.ok(isValidSnapshotId(kind, target), `${target} (${owner}/${id})`);
            assert.ok(target.length <= MAX_SNAPSHOT_ID_LENGTH[kind]);
            assert.ok(isManagedSnapshotId(kind, target), target);
            assert.equal(failsafeCopyId(kind, owner, id), target, "not deterministic");
          }),
          { numRuns: 3000 },
        );
      });

      it("never collide for the same database in different accounts", () => {
        fc.assert(
          fc.property(account, account, intermediate(kind), (a, b, id) => {
            fc.pre(a !== b);
            assert.notEqual(failsafeCopyId(kind, a, id), failsafeCopyId(kind, b, id));
          }),
          { numRuns: 3000 },
        );
      });

      it("never collide for different snapshots, whatever the accounts", () => {
        fc.assert(
          fc.property(account, intermediate(kind), account, intermediate(kind), (a, x, b, y) => {
            fc.pre(a !== b || x.toLowerCase() !== y.toLowerCase());
            assert.notEqual(failsafeCopyId(kind, a, x), failsafeCopyId(kind, b, y));
          }),
          { numRuns: 3000 },
        );
      });

      it("keep the account readable while it fits, and stay distinct when hashed", () => {
        const longest = managedSnapshotId(kind, `rds:${"a".repeat(63)}-2026-11-22-05-07`);
        const ids = ["111111111111", "011111111111", "111111111112"].map((a) =>
          failsafeCopyId(kind, a, longest),
        );
        assert.equal(new Set(ids).size, 3, ids.join(" "));
        for (const id of ids) assert.ok(isValidSnapshotId(kind, id), id);
        assert.equal(
          failsafeCopyId(kind, "111111111111", "failsafe-orders-2026-11-22-05-07"),
          "failsafe-111111111111-orders-2026-11-22-05-07",
        );
      });

      it("give each account its own lineage of a database with the same resource id", () => {
        fc.assert(
          fc.property(account, account, intermediate(kind), resourceId, (a, b, id, rid) => {
            fc.pre(a !== b);
            const [la, lb] = [lineageOf(copy(kind, a, id, rid)), lineageOf(copy(kind, b, id, rid))];
            assert.ok(la && lb);
            assert.equal(la.key, lineageKey(kind, a, rid));
            assert.notEqual(la.key, lb.key);
            assert.equal(lineageOf(copy(kind, a, id, rid))?.key, la.key, "deterministic");
          }),
          { numRuns: 2000 },
        );
      });
    });
  }

  it("rejects an account that is not 12 digits, and an empty intermediate", () => {
    for (const bad of ["", "12345678901", "1234567890123", "12345678901a", "arn:aws:iam::1"]) {
      assert.throws(
        () => failsafeCopyId("instance", bad, "failsafe-orders-2026-11-22-05-07"),
        /is not a 12-digit account id/,
      );
    }
    assert.throws(
      () => failsafeCopyId("instance", "111111111111", "failsafe-"),
      /must not be empty/,
    );
  });
});
