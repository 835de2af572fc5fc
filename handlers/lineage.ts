import { ageHours } from "./context";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { isManagedTagged, lineageKey, sourceKey, TAG } from "./tags";

/**
 * Lineages of failsafe copies: which database a copy protects, as RDS identifies it for good.
 *
 * A copy's lineage is its source's immutable resource id, recorded by the save step from what RDS
 * reported for the shared snapshot (never from a hand-off or a prod tag), falling back to the
 * resource id RDS reports on the copy itself (copies keep it). The identifier is only a display
 * name: a prod admin who deletes `orders` and creates a new, tagged `orders` starts a new lineage,
 * and the old one's copies are never compared with, counted against or pushed out by the new
 * one's.
 */
export interface CopyLineage {
  readonly key: string;
  readonly account: string;
  readonly kind: SnapshotKind;
  readonly resourceId: string;
  /** Identifier of the database (display name; several lineages may share one). */
  readonly sourceId: string;
}

/** The lineage of a managed failsafe copy, or undefined for anything we did not make. */
export function lineageOf(copy: SnapshotInfo): CopyLineage | undefined {
  if (!isManagedTagged(copy.tags) || !isManagedSnapshotId(copy.kind, copy.id)) {
    return undefined;
  }
  const account = copy.tags[TAG.sourceAccount];
  const resourceId = copy.tags[TAG.sourceResourceId] || copy.resourceId;
  const sourceId = copy.tags[TAG.sourceId] || copy.sourceId;
  if (!account || !resourceId || !sourceId) {
    return undefined;
  }
  return {
    key: lineageKey(copy.kind, account, resourceId),
    account,
    kind: copy.kind,
    resourceId,
    sourceId,
  };
}

/** The managed copy's data time: the source-time tag, else what RDS reports. */
export function copyTime(snapshot: SnapshotInfo): Date | undefined {
  const tagged = snapshot.tags[TAG.sourceTime];
  const parsed = tagged ? new Date(tagged) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : snapshot.originalCreateTime;
}

export type LineageStatus =
  /** Copies arrive; the newest is within rpoHours. */
  | "ok"
  /** No copy newer than rpoHours, and nothing explains it: an RPO breach. */
  | "breach"
  /** A newer lineage of the same identifier exists: the database was re-created. Frozen. */
  | "superseded"
  /** An operator retired it on purpose (decommissioned): no RPO, copies still frozen. */
  | "retired"
  /** Its prod account is no longer configured: no RPO, copies frozen. */
  | "account-removed";

export interface LineageState extends CopyLineage {
  readonly copies: readonly SnapshotInfo[];
  /** Data time of the newest available copy. */
  readonly newest: Date | undefined;
  /** The newest copy of any state (a first copy may still be `creating`). */
  readonly newestCopy: SnapshotInfo | undefined;
  /**
   * Hours since the newest copy's data time: the newest available one, or, while the lineage's
   * only copies are still being made, the newest of those (never a sentinel "no copy" age).
   */
  readonly ageHours: number;
  /** Copies stopped arriving more than freezeAfterHours ago: retention deletes nothing of it. */
  readonly frozen: boolean;
  readonly status: LineageStatus;
  /** When ops was told about the current breach (tag on the newest copy), if it was. */
  readonly breachNotifiedAt: Date | undefined;
}

export interface LineageRules {
  readonly rpoHours: number;
  readonly freezeAfterHours: number;
  readonly prodAccountIds: readonly string[];
}

/**
 * Groups managed copies into lineages and says what state each is in. Copies that are not ours or
 * carry no lineage are left out (they are never touched either).
 */
export function lineageStates(
  copies: readonly SnapshotInfo[],
  now: Date,
  rules: LineageRules,
): LineageState[] {
  const groups = new Map<string, { lineage: CopyLineage; copies: SnapshotInfo[] }>();
  for (const copy of copies) {
    const lineage = lineageOf(copy);
    if (!lineage) {
      continue;
    }
    const group = groups.get(lineage.key) ?? { lineage, copies: [] };
    group.copies.push(copy);
    groups.set(lineage.key, group);
  }
  const byTime = (a: SnapshotInfo, b: SnapshotInfo) =>
    (copyTime(b)?.getTime() ?? 0) - (copyTime(a)?.getTime() ?? 0);
  const partial = [...groups.values()].map(({ lineage, copies: group }) => {
    const sorted = [...group].sort(byTime);
    const newestAvailable = sorted.find((c) => c.status === "available");
    const newestCopy = sorted[0];
    // The newest copy names the database: an identifier may have been renamed since.
    const sourceId = newestCopy?.tags[TAG.sourceId] || lineage.sourceId;
    return {
      ...lineage,
      sourceId,
      copies: sorted,
      newest: newestAvailable ? copyTime(newestAvailable) : undefined,
      newestCopy,
      ageHours: ageHours(now, copyTime(newestAvailable ?? newestCopy ?? sorted[0]!)),
    };
  });
  // The lineage with the newest copy is the identifier's current one; older ones were replaced.
  const current = new Map<string, (typeof partial)[number]>();
  for (const l of partial) {
    const name = sourceKey(l.kind, l.account, l.sourceId);
    const other = current.get(name);
    if (!other || l.ageHours < other.ageHours) {
      current.set(name, l);
    }
  }
  return partial.map((l) => {
    const retired = l.copies.some((c) => c.tags[TAG.retired]);
    const superseded = current.get(sourceKey(l.kind, l.account, l.sourceId)) !== l;
    const status: LineageStatus = retired
      ? "retired"
      : !rules.prodAccountIds.includes(l.account)
        ? "account-removed"
        : superseded
          ? "superseded"
          : l.ageHours > rules.rpoHours
            ? "breach"
            : "ok";
    const notified = l.newestCopy?.tags[TAG.breachNotified];
    const notifiedAt = notified ? new Date(notified) : undefined;
    return {
      ...l,
      frozen: l.newest !== undefined && ageHours(now, l.newest) > rules.freezeAfterHours,
      status,
      breachNotifiedAt: notifiedAt && !Number.isNaN(notifiedAt.getTime()) ? notifiedAt : undefined,
    };
  });
}
