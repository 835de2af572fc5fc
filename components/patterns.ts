import { regionArns, SNAPSHOT_PREFIX } from "./names";

/**
 * EventBridge patterns for RDS snapshot events. They match exact EventIDs, never whole event
 * categories: the seed design subscribed to the "backup" category and was woken by every backup
 * start. EventIDs from "Amazon RDS event categories and event messages" (RDS User Guide).
 */
const DETAIL_TYPES = ["RDS DB Snapshot Event", "RDS DB Cluster Snapshot Event"];

/** Automated DB snapshot created (0091) / automated cluster snapshot created (0169). */
export function automatedSnapshotCreatedPattern(account: string) {
  return {
    source: ["aws.rds"],
    account: [account],
    "detail-type": DETAIL_TYPES,
    detail: { EventID: ["RDS-EVENT-0091", "RDS-EVENT-0169"] },
  };
}

/**
 * A managed snapshot became available: copy finished (0197), manual DB snapshot created (0042),
 * manual cluster snapshot created (0075), limited to snapshots named with our prefix so that the
 * account's other manual snapshots do not wake the function.
 */
export function managedSnapshotReadyPattern(region: string, account: string) {
  // In the region's partition: `arn:aws:` would never match an event of cn-north-1.
  const arn = (type: string) => regionArns(region).rds(account, `${type}:${SNAPSHOT_PREFIX}`);
  return {
    source: ["aws.rds"],
    account: [account],
    "detail-type": DETAIL_TYPES,
    detail: {
      EventID: ["RDS-EVENT-0197", "RDS-EVENT-0042", "RDS-EVENT-0075"],
      SourceArn: [{ prefix: arn("snapshot") }, { prefix: arn("cluster-snapshot") }],
    },
  };
}
