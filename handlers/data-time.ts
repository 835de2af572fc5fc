import { Rejection } from "./errors";
import type { SnapshotInfo } from "./rds";
import { TAG } from "./tags";

// rds:<cluster>-YYYY-MM-DD-HH-MM: RDS names automated snapshots after the time it took them, and
// no other snapshot can carry the "rds:" prefix (a manual identifier must begin with a letter).
const AUTOMATED_CLUSTER_SNAPSHOT =
  /:cluster-snapshot:rds:.+-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})$/;

/** The time in an automated cluster snapshot's ARN, or undefined for any other snapshot. */
export function automatedSnapshotTime(arn: string): Date | undefined {
  const m = AUTOMATED_CLUSTER_SNAPSHOT.exec(arn);
  if (!m) {
    return undefined;
  }
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const time = new Date(Date.UTC(y, mo - 1, d, h, mi));
  // Date.UTC rolls 2026-13-45 over into 2027: only a real date round-trips.
  const real =
    time.getUTCFullYear() === y &&
    time.getUTCMonth() === mo - 1 &&
    time.getUTCDate() === d &&
    time.getUTCHours() === h &&
    time.getUTCMinutes() === mi;
  return real ? time : undefined;
}

/**
 * When the data of a shared intermediate was captured, from what RDS reports, never later:
 * - DB snapshots: OriginalSnapshotCreateTime, which RDS keeps across copies;
 * - cluster snapshots have no such field and a copy reports its own creation time, so a prod
 *   admin who copies an OLD automated cluster snapshot today would make old data look fresh (it
 *   would keep the RPO green and, by moving retention's window, push the real copies out: attack
 *   13 of the attack suite). A copied cluster snapshot names its source
 *   (SourceDBClusterSnapshotArn): an automated one carries the time RDS took it in its name, which
 *   bounds the data time; a copy of anything else is not an intermediate rds-failsafe makes
 *   (those are copies of automated snapshots), and its data time cannot be known: rejected. A
 *   cluster snapshot with no source was taken from the live cluster: its creation time is its
 *   data time.
 * The source-time tag prod wrote can only make it earlier: a forged tag cannot make a stale copy
 * look fresh.
 */
export function sharedDataTime(shared: SnapshotInfo, now: Date): Date {
  let bound = shared.originalCreateTime ?? now;
  if (shared.kind === "cluster" && shared.sourceSnapshotArn) {
    const taken = automatedSnapshotTime(shared.sourceSnapshotArn);
    if (!taken) {
      throw new Rejection(
        `cluster snapshot ${shared.arn} was copied from ${shared.sourceSnapshotArn}, not from an automated snapshot: its data time cannot be verified (rds-failsafe copies automated snapshots only)`,
      );
    }
    if (taken < bound) {
      bound = taken;
    }
  }
  const tagged = shared.tags[TAG.sourceTime]
    ? new Date(shared.tags[TAG.sourceTime] ?? "")
    : undefined;
  return tagged && !Number.isNaN(tagged.getTime()) && tagged < bound ? tagged : bound;
}
