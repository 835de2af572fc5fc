import type { SnapshotKind } from "./naming";

/** Tag keys rds-failsafe writes on every snapshot it creates, in both accounts. */
export const TAG = {
  /** `true` on every snapshot rds-failsafe created; nothing without it is ever deleted. */
  managed: "failsafe:managed",
  sourceAccount: "failsafe:source-account",
  sourceKind: "failsafe:source-kind",
  /** The DB instance or DB cluster identifier the snapshot protects. */
  sourceId: "failsafe:source-id",
  /** The automated snapshot the copy was made from (prod side). */
  sourceSnapshot: "failsafe:source-snapshot",
  /** When the data was captured (the automated snapshot's creation time), ISO 8601. */
  sourceTime: "failsafe:source-time",
  /** The ARN of the shared intermediate snapshot a failsafe copy was made from. */
  copiedFrom: "failsafe:copied-from",
  /**
   * The source database's immutable resource id (DbiResourceId / DbClusterResourceId) as RDS
   * reported it for the snapshot the copy was made from: the copy's lineage. Never taken from a
   * hand-off message or from a tag written in prod.
   */
  sourceResourceId: "failsafe:source-resource-id",
  /** Set by an operator (`npx rds-failsafe retire`): the lineage no longer counts for the RPO. */
  retired: "failsafe:retired",
  /** Set by the failsafe sweep on a lineage's newest copy when it told ops about an RPO breach. */
  breachNotified: "failsafe:rpo-breach-notified",
} as const;

export type Tags = Readonly<Record<string, string>>;

export function toTagList(tags: Tags): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagList(list: readonly { Key?: string; Value?: string }[] | undefined): Tags {
  const tags: Record<string, string> = {};
  for (const { Key, Value } of list ?? []) {
    if (Key !== undefined) {
      tags[Key] = Value ?? "";
    }
  }
  return tags;
}

export function isManagedTagged(tags: Tags): boolean {
  return tags[TAG.managed] === "true";
}

/**
 * A database by its display name: account, kind and identifier. A prod admin can re-use an
 * identifier for a new, empty database, so nothing is decided by this key alone; see lineageKey.
 */
export function sourceKey(kind: SnapshotKind, account: string, sourceId: string): string {
  return `${account}/${kind}/${sourceId}`;
}

/**
 * One lineage: the copies of one database as RDS identifies it for good (account, kind and the
 * immutable DbiResourceId / DbClusterResourceId). Retention, freeze, RPO and drills work per
 * lineage: a database deleted and re-created under the same identifier is a new lineage, and
 * the old one's copies can never be pushed out by the new one's.
 */
export function lineageKey(kind: SnapshotKind, account: string, resourceId: string): string {
  return `${account}/${kind}/${resourceId}`;
}

/**
 * Whether a database carries the selection tag. The key is matched exactly (AWS tag keys are
 * case-sensitive and the key is our contract); the value ignoring case and surrounding spaces,
 * because `Failsafe=true` and `Failsafe=TRUE` are what people type and clearly mean "protect".
 */
export function isSelected(tags: Tags, key: string, value: string): boolean {
  const actual = tags[key];
  return actual !== undefined && actual.trim().toLowerCase() === value.trim().toLowerCase();
}
