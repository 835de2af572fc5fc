import { strict as assert } from "node:assert";
import { automatedSnapshotTime, sharedDataTime } from "../handlers/data-time";
import { Rejection } from "../handlers/errors";
import type { SnapshotInfo } from "../handlers/rds";
import { TAG } from "../handlers/tags";

/**
 * The data time the save step records (handlers/data-time.ts): from what RDS reports, never later
 * than it, whatever prod wrote in the tags. Attack 13 of the attack suite (a copy of an OLD
 * automated cluster snapshot made today) is what the cluster rule is for.
 */
const P = "111111111111";
const NOW = new Date("2026-12-10T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000);

function shared(overrides: Partial<SnapshotInfo> & Pick<SnapshotInfo, "kind">): SnapshotInfo {
  return {
    id: "failsafe-x",
    arn: `arn:aws:rds:eu-west-1:${P}:${overrides.kind === "cluster" ? "cluster-snapshot" : "snapshot"}:failsafe-x`,
    sourceId: "x",
    status: "available",
    type: "shared",
    encrypted: true,
    kmsKeyId: undefined,
    createTime: hoursAgo(1),
    originalCreateTime: hoursAgo(1),
    resourceId: "db-A",
    engine: "postgres",
    engineVersion: "16",
    allocatedStorage: 20,
    tags: {},
    ...overrides,
  };
}

describe("data time of a shared intermediate", () => {
  it("reads the time from an automated cluster snapshot's name, and nothing from other names", () => {
    assert.equal(
      automatedSnapshotTime(
        `arn:aws:rds:eu-west-1:${P}:cluster-snapshot:rds:ledger-2026-11-22-05-07`,
      )?.toISOString(),
      "2026-11-22T05:07:00.000Z",
    );
    assert.equal(
      automatedSnapshotTime(
        `arn:aws:rds:eu-west-1:${P}:cluster-snapshot:failsafe-ledger-2026-11-22-05-07`,
      ),
      undefined,
    );
    assert.equal(
      automatedSnapshotTime(`arn:aws:rds:eu-west-1:${P}:snapshot:rds:orders-2026-11-22-05-07`),
      undefined,
    );
    assert.equal(
      automatedSnapshotTime(
        `arn:aws:rds:eu-west-1:${P}:cluster-snapshot:rds:ledger-2026-13-45-05-07`,
      ),
      undefined,
    );
  });

  it("DB snapshots: OriginalSnapshotCreateTime; a forged source-time can only make it older", () => {
    const old = hoursAgo(200);
    assert.deepEqual(
      sharedDataTime(
        shared({
          kind: "instance",
          originalCreateTime: old,
          tags: { [TAG.sourceTime]: NOW.toISOString() },
        }),
        NOW,
      ),
      old,
    );
    const older = hoursAgo(300);
    assert.deepEqual(
      sharedDataTime(
        shared({
          kind: "instance",
          originalCreateTime: old,
          tags: { [TAG.sourceTime]: older.toISOString() },
        }),
        NOW,
      ),
      older,
    );
    assert.deepEqual(
      sharedDataTime(
        shared({
          kind: "instance",
          originalCreateTime: old,
          tags: { [TAG.sourceTime]: "garbage" },
        }),
        NOW,
      ),
      old,
    );
  });

  it("cluster copy of an old automated snapshot made today: dated by the automated snapshot, not by the copy", () => {
    const copy = shared({
      kind: "cluster",
      createTime: hoursAgo(0.5),
      originalCreateTime: hoursAgo(0.5), // what RDS reports for a cluster copy: its own creation
      sourceSnapshotArn: `arn:aws:rds:eu-west-1:${P}:cluster-snapshot:rds:ledger-2026-12-02-03-00`,
      tags: { [TAG.sourceTime]: NOW.toISOString() },
    });
    assert.equal(sharedDataTime(copy, NOW).toISOString(), "2026-12-02T03:00:00.000Z");
  });

  it("cluster copy of anything but an automated snapshot: rejected (its data time cannot be known)", () => {
    const copy = shared({
      kind: "cluster",
      sourceSnapshotArn: `arn:aws:rds:eu-west-1:${P}:cluster-snapshot:failsafe-ledger-2026-12-10-03-00`,
    });
    assert.throws(
      () => sharedDataTime(copy, NOW),
      (err: Error) => {
        assert.ok(err instanceof Rejection);
        assert.match(
          err.message,
          /copied from .*failsafe-ledger-2026-12-10-03-00, not from an automated snapshot/,
        );
        return true;
      },
    );
  });

  it("cluster snapshot taken from the live cluster (no source): its creation time", () => {
    const live = shared({ kind: "cluster", originalCreateTime: hoursAgo(2) });
    assert.deepEqual(sharedDataTime(live, NOW), hoursAgo(2));
  });
});
