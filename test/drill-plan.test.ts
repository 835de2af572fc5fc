import { strict as assert } from "node:assert";
import fc from "fast-check";
import { parseRdsDatabaseEvent } from "../handlers/drill-events";
import {
  chooseDrillClass,
  classSize,
  DRILL_TAG,
  drillIdentifier,
  drillMemberIdentifier,
  drillPhase,
  isDrillDatabase,
  pickDrills,
  tagValue,
  verifyRestore,
  type RestoredDatabase,
} from "../handlers/drill-plan";
import { Rejection } from "../handlers/errors";
import { lineageStates } from "../handlers/lineage";
import type { SnapshotInfo } from "../handlers/rds";
import { TAG } from "../handlers/tags";
import { rdsDatabaseEvent } from "./support/drills";

const F = "222222222222";
const P = "111111111111";
const VAULT = `arn:aws:kms:eu-west-1:${F}:key/vault-0000`;
const NOW = new Date("2026-11-22T12:00:00Z");

function copy(over: Partial<SnapshotInfo> & { tags?: Record<string, string> } = {}): SnapshotInfo {
  const id = over.id ?? `failsafe-${P}-orders-2026-11-22-05-07`;
  return {
    kind: "instance",
    id,
    arn: `arn:aws:rds:eu-west-1:${F}:snapshot:${id}`,
    sourceId: "orders",
    status: "available",
    type: "manual",
    encrypted: true,
    kmsKeyId: VAULT,
    createTime: NOW,
    originalCreateTime: NOW,
    resourceId: "db-A",
    engine: "postgres",
    engineVersion: "16.3",
    allocatedStorage: 20,
    ...over,
    tags: {
      [TAG.managed]: "true",
      [TAG.sourceAccount]: P,
      [TAG.sourceId]: over.sourceId ?? "orders",
      [TAG.sourceResourceId]: over.resourceId ?? "db-A",
      [TAG.sourceTime]: new Date(NOW.getTime() - 3_600_000).toISOString(),
      ...over.tags,
    },
  };
}

function restored(over: Partial<RestoredDatabase> = {}): RestoredDatabase {
  return {
    kind: "instance",
    id: "failsafe-drill-orders-1a2b3c4d",
    arn: `arn:aws:rds:eu-west-1:${F}:db:failsafe-drill-orders-1a2b3c4d`,
    status: "available",
    engine: "postgres",
    engineVersion: "16.3",
    allocatedStorage: 20,
    encrypted: true,
    kmsKeyId: "vault-0000",
    publiclyAccessible: false,
    tags: { [DRILL_TAG.drill]: "true", [DRILL_TAG.started]: NOW.toISOString() },
    members: [],
    ...over,
  };
}

describe("restore drills: the plan (pure)", () => {
  it("names every drill validly for instances, clusters and the cluster's instance (any source id)", () => {
    const valid = /^[a-z](?:-?[a-z0-9])*$/;
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 80 }), fc.string(), (sourceId, arn) => {
        const id = drillIdentifier({ sourceId, arn });
        for (const name of [id, drillMemberIdentifier(id)]) {
          assert.ok(name.length <= 63 && valid.test(name), name);
        }
        assert.ok(id.startsWith("failsafe-drill-"));
      }),
      { numRuns: 500 },
    );
    assert.notEqual(
      drillIdentifier({ sourceId: "orders", arn: "a" }),
      drillIdentifier({ sourceId: "orders", arn: "b" }),
      "distinct copies, distinct drills",
    );
  });

  it("a drill is named AND tagged as one", () => {
    assert.equal(isDrillDatabase("failsafe-drill-x", { [DRILL_TAG.drill]: "true" }), true);
    assert.equal(isDrillDatabase("failsafe-drill-x", {}), false);
    assert.equal(isDrillDatabase("failsafe-drill-x", { [DRILL_TAG.drill]: "yes" }), false);
    assert.equal(isDrillDatabase("orders", { [DRILL_TAG.drill]: "true" }), false);
  });

  it("picks protected lineages, never-drilled first, then the oldest good drill, skipping busy ones", () => {
    const drilled = (id: string, resourceId: string, when: string, result = "pass") =>
      copy({
        id,
        sourceId: id.split("-")[2],
        resourceId,
        tags: { [DRILL_TAG.lastDrill]: when, [DRILL_TAG.result]: result },
      });
    const copies = [
      drilled(`failsafe-${P}-a-1`, "db-A", "2026-11-20T00:00:00Z"),
      drilled(`failsafe-${P}-b-1`, "db-B", "2026-11-10T00:00:00Z"),
      drilled(`failsafe-${P}-c-1`, "db-C", "2026-11-21T00:00:00Z", "fail"),
      copy({ id: `failsafe-${P}-d-1`, sourceId: "d", resourceId: "db-D" }),
      // A breach lineage (no copy for 3 days) is not drilled: its RPO alarm is the news.
      copy({
        id: `failsafe-${P}-e-1`,
        sourceId: "e",
        resourceId: "db-E",
        tags: { [TAG.sourceTime]: "2026-11-19T00:00:00Z" },
      }),
    ];
    const lineages = lineageStates(copies, NOW, {
      rpoHours: 26,
      freezeAfterHours: 48,
      prodAccountIds: [P],
    });
    const order = (busy: string[], slots: number) =>
      pickDrills(lineages, new Set(busy), slots).map((c) => c.lineage.sourceId);
    // c failed its only drill: never good, so first with d; then b (10th), then a (20th).
    assert.deepEqual(order([], 10), ["c", "d", "b", "a"]);
    assert.deepEqual(order([], 2), ["c", "d"]);
    assert.deepEqual(order([`${P}/instance/db-C`], 2), ["d", "b"]);
    assert.deepEqual(order([], 0), []);
  });

  it("chooses the smallest class RDS offers, within the configured maximum, else the fallback", () => {
    const offered = [
      "db.r6g.large",
      "db.t3.medium",
      "db.t4g.medium",
      "db.m5.xlarge",
      "db.serverless",
    ];
    assert.deepEqual(chooseDrillClass("aurora-postgresql", offered, {}), {
      instanceClass: "db.t4g.medium",
      from: "orderable",
    });
    assert.deepEqual(
      chooseDrillClass("aurora-postgresql", offered, { "aurora-postgresql": "db.t3.large" }),
      { instanceClass: "db.t4g.medium", from: "orderable" },
    );
    assert.match(
      String(
        (
          chooseDrillClass("aurora-postgresql", offered, {
            "aurora-postgresql": "db.t3.small",
          }) as { skip: string }
        ).skip,
      ),
      /smallest class RDS offers for aurora-postgresql is db\.t4g\.medium, larger than drillMaxInstanceClass db\.t3\.small/,
    );
    assert.deepEqual(chooseDrillClass("postgres", [], { postgres: "db.m5.large" }), {
      instanceClass: "db.m5.large",
      from: "configured",
    });
    assert.deepEqual(chooseDrillClass("mysql", [], {}), {
      instanceClass: "db.t4g.micro",
      from: "fallback",
    });
    assert.match(
      String((chooseDrillClass("oracle-ee", [], {}) as { skip: string }).skip),
      /set drillMaxInstanceClass/,
    );
    assert.ok(classSize("db.t3.micro") < classSize("db.t3.small"));
    assert.ok(classSize("db.r6g.xlarge") < classSize("db.r6g.2xlarge"));
    assert.ok(classSize("db.r6g.8xlarge") < classSize("db.r6g.16xlarge"));
  });

  it("says what a drill database needs next", () => {
    const phase = (db: Partial<RestoredDatabase>, now = NOW) => drillPhase(restored(db), now, 12);
    assert.deepEqual(phase({}), { phase: "ready" });
    assert.deepEqual(phase({ status: "storage-optimization" }), { phase: "ready" });
    assert.deepEqual(phase({ status: "creating" }), { phase: "in-progress", status: "creating" });
    assert.deepEqual(phase({ status: "deleting" }), { phase: "in-progress", status: "deleting" });
    for (const failed of [
      "incompatible-restore",
      "incompatible-network",
      "inaccessible-encryption-credentials",
      "failed",
      "storage-full",
    ]) {
      assert.deepEqual(phase({ status: failed }), {
        phase: "failed",
        why: `the restored instance is ${failed}`,
      });
    }
    const late = new Date(NOW.getTime() + 13 * 3_600_000);
    assert.match(
      (phase({ status: "creating" }, late) as { why: string }).why,
      /not available 13 h after the restore started \(status creating; timeout 12 h\)/,
    );
    assert.deepEqual(phase({ tags: { [DRILL_TAG.drill]: "true", [DRILL_TAG.result]: "pass" } }), {
      phase: "finished",
    });
    const cluster = { kind: "cluster" as const };
    assert.deepEqual(phase({ ...cluster, members: [] }), { phase: "needs-instance" });
    assert.deepEqual(phase({ ...cluster, members: [{ id: "m", status: "creating", tags: {} }] }), {
      phase: "in-progress",
      status: "available/creating",
    });
    assert.deepEqual(phase({ ...cluster, members: [{ id: "m", status: "available", tags: {} }] }), {
      phase: "ready",
    });
  });

  it("verifies engine, version, storage, encryption and the vault key, and no public access", () => {
    assert.deepEqual(verifyRestore(copy(), restored(), VAULT), []);
    const problems = (db: Partial<RestoredDatabase>, c: Partial<SnapshotInfo> = {}) =>
      verifyRestore(copy(c), restored(db), VAULT);
    assert.deepEqual(problems({ engine: "mysql" }), [
      "engine: the copy has postgres, the restore mysql",
    ]);
    assert.deepEqual(problems({ engineVersion: "17.1" }), [
      "engine version: the copy has 16.3, the restore 17.1",
    ]);
    assert.deepEqual(problems({ allocatedStorage: 100 }), [
      "storage (GiB): the copy has 20, the restore 100",
    ]);
    assert.deepEqual(problems({ kmsKeyId: "other-key" }), [
      "KMS key: the copy has vault-0000, the restore other-key",
      "encryption: the restore is encrypted with key other-key, not the vault key vault-0000: this copy does not depend on the vault key alone",
    ]);
    assert.deepEqual(problems({ encrypted: false, kmsKeyId: undefined }), [
      "encrypted: the copy has true, the restore false",
      "encryption: instance copies are always encrypted with the vault key, this restore is not encrypted",
    ]);
    assert.deepEqual(problems({ publiclyAccessible: true }), [
      "the drill database is publicly accessible",
    ]);
    // An unencrypted Aurora copy (AWS cannot encrypt it on copy) restores unencrypted: no problem.
    assert.deepEqual(
      verifyRestore(
        copy({
          kind: "cluster",
          encrypted: false,
          kmsKeyId: undefined,
          engine: "aurora-postgresql",
        }),
        restored({
          kind: "cluster",
          encrypted: false,
          kmsKeyId: undefined,
          engine: "aurora-postgresql",
          allocatedStorage: 1,
        }),
        VAULT,
      ),
      [],
    );
  });

  it("writes only what RDS accepts in a tag value", () => {
    assert.equal(
      tagValue("engine: the copy has 16.3, the restore 17.1 (≠)"),
      "engine: the copy has 16.3  the restore 17.1    ",
    );
    assert.equal(tagValue("x".repeat(300)).length, 256);
  });

  it("parses RDS's instance and cluster events, and rejects anything else", () => {
    const expect = {
      eventIds: ["RDS-EVENT-0043", "RDS-EVENT-0170"],
      account: F,
      region: "eu-west-1",
    };
    const ev = parseRdsDatabaseEvent(
      JSON.stringify(
        rdsDatabaseEvent({ eventId: "RDS-EVENT-0043", kind: "instance", id: "failsafe-drill-x" }),
      ),
      expect,
    );
    assert.deepEqual(
      [ev.kind, ev.id, ev.eventId],
      ["instance", "failsafe-drill-x", "RDS-EVENT-0043"],
    );
    const rejects = (body: unknown, message: RegExp) =>
      assert.throws(
        () => parseRdsDatabaseEvent(typeof body === "string" ? body : JSON.stringify(body), expect),
        (err: unknown) => err instanceof Rejection && message.test(err.reason),
      );
    rejects("{", /not valid JSON/);
    rejects({ source: "aws.rds" }, /not an RDS DB instance or cluster event/);
    rejects(
      rdsDatabaseEvent({ eventId: "RDS-EVENT-0049", kind: "instance", id: "x" }),
      /RDS-EVENT-0049 is not handled here/,
    );
    rejects(
      rdsDatabaseEvent({ eventId: "RDS-EVENT-0043", kind: "instance", id: "x", account: P }),
      /account 111111111111/,
    );
    const forged = rdsDatabaseEvent({
      eventId: "RDS-EVENT-0043",
      kind: "instance",
      id: "failsafe-drill-x",
    });
    (forged.detail as Record<string, unknown>).SourceIdentifier = "rds:orders";
    rejects(forged, /SourceIdentifier rds:orders does not name/);
    const mixed = rdsDatabaseEvent({
      eventId: "RDS-EVENT-0043",
      kind: "instance",
      id: "failsafe-drill-x",
    });
    mixed["detail-type"] = "RDS DB Cluster Event";
    rejects(mixed, /does not match/);
  });
});
