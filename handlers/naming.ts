import { createHash } from "node:crypto";

/** Restore drill databases are named (and tagged) as such (handlers/drill-plan.ts). */
export const DRILL_PREFIX = "failsafe-drill-";

/** A DB instance snapshot or an Aurora/Multi-AZ cluster snapshot: RDS keeps them apart everywhere. */
export type SnapshotKind = "instance" | "cluster";

/** Every snapshot rds-failsafe creates (intermediate in prod, saved copy in failsafe) starts so. */
export const MANAGED_PREFIX = "failsafe-";

/**
 * RDS identifier length limits: DB snapshot ≤ 255, DB cluster snapshot ≤ 63
 * (CopyDBSnapshot / CopyDBClusterSnapshot, TargetDB*SnapshotIdentifier constraints).
 */
export const MAX_SNAPSHOT_ID_LENGTH: Readonly<Record<SnapshotKind, number>> = {
  instance: 255,
  cluster: 63,
};

const VALID_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/i;
// Automated snapshots are named rds:<db>-YYYY-MM-DD-HH-MM; keep that stamp readable when shortening.
const STAMP = /^(.*)-(\d{4}-\d{2}-\d{2}-\d{2}-\d{2})$/;
const HASH_LENGTH = 8;

/**
 * Whether `id` is a valid RDS snapshot identifier of that kind: letters, digits and hyphens, first
 * a letter, no "--", no trailing "-", within the kind's length limit.
 */
export function isValidSnapshotId(kind: SnapshotKind, id: string): boolean {
  return id.length <= MAX_SNAPSHOT_ID_LENGTH[kind] && VALID_ID.test(id);
}

/** Whether `id` names a snapshot rds-failsafe created (the prefix plus a valid identifier). */
export function isManagedSnapshotId(kind: SnapshotKind, id: string): boolean {
  return id.toLowerCase().startsWith(MANAGED_PREFIX) && isValidSnapshotId(kind, id);
}

/**
 * The deterministic identifier of the managed copy of `sourceSnapshotId` (an automated snapshot such
 * as `rds:orders-2026-11-22-05-07`). The same source always gives the same id, so a repeated event
 * or a sweep finds the copy already there instead of making a second one. It names the
 * intermediate copy in prod; the failsafe copy's id adds the prod account (failsafeCopyId).
 *
 * When the plain form would be invalid (too long, or characters RDS does not allow) the database
 * part is shortened and a hash of the whole source id is added, so distinct sources stay distinct.
 */
export function managedSnapshotId(kind: SnapshotKind, sourceSnapshotId: string): string {
  if (sourceSnapshotId.length === 0) {
    throw new Error("managedSnapshotId: sourceSnapshotId must not be empty");
  }
  return managedId(kind, sourceSnapshotId.replace(/^rds:/i, ""), sourceSnapshotId);
}

/**
 * The deterministic identifier of the failsafe copy of intermediate snapshot `intermediateId`
 * shared by prod account `account`: `failsafe-<account>-<rest of the intermediate id>`. The
 * account is always part of it, so that databases with the same identifier in different prod
 * accounts never collide in the one failsafe account, and adding a second prod account later
 * renames nothing.
 */
export function failsafeCopyId(
  kind: SnapshotKind,
  account: string,
  intermediateId: string,
): string {
  if (!/^\d{12}$/.test(account)) {
    throw new Error(`failsafeCopyId: ${account} is not a 12-digit account id`);
  }
  const stem = intermediateId.replace(new RegExp(`^${MANAGED_PREFIX}`, "i"), "");
  if (stem.length === 0) {
    throw new Error("failsafeCopyId: intermediateId must not be empty");
  }
  return managedId(kind, `${account}-${stem}`, `${account}/${intermediateId}`);
}

/**
 * `failsafe-` + stem when that is a valid identifier; otherwise the stem is shortened and a hash
 * of `hashInput` added (keeping the automated snapshot's date stamp readable), so distinct inputs
 * stay distinct.
 */
function managedId(kind: SnapshotKind, rawStem: string, hashInput: string): string {
  const stem = rawStem.toLowerCase();
  const plain = MANAGED_PREFIX + stem;
  if (isValidSnapshotId(kind, plain)) {
    return plain;
  }
  const hash = createHash("sha256").update(hashInput).digest("hex").slice(0, HASH_LENGTH);
  const match = STAMP.exec(stem);
  const dbPart = match ? (match[1] ?? "") : stem;
  const stamp = match ? `-${match[2] ?? ""}` : "";
  const room =
    MAX_SNAPSHOT_ID_LENGTH[kind] - MANAGED_PREFIX.length - HASH_LENGTH - 1 - stamp.length;
  const shortened = sanitize(dbPart).slice(0, room).replace(/-+$/, "");
  const id = `${MANAGED_PREFIX}${shortened ? `${shortened}-` : ""}${hash}${stamp}`;
  // The construction above is valid by design; fail loudly rather than call RDS with a bad id.
  if (!isValidSnapshotId(kind, id)) {
    throw new Error(`could not build a valid ${kind} snapshot id for ${hashInput}`);
  }
  return id;
}

function sanitize(part: string): string {
  return part
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+/, "");
}
