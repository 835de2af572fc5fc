import { createHash } from "node:crypto";
import { ageHours, kmsKeyId } from "./context";
import { copyTime, type LineageState } from "./lineage";
import type { SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import type { Tags } from "./tags";

/**
 * Restore drills, the plain parts (no AWS calls): names, tags, which lineages to drill, which
 * instance class, what a finished drill must match, and what state a drill database is in.
 * handlers/drill.ts (the scheduled run) and handlers/drill-verify.ts (RDS's "restore finished"
 * events) do the calls.
 */

/**
 * Every drill database's identifier starts so. Together with the drill tag it is what allows the
 * drill functions to delete a database: the role's delete rights are limited to this prefix AND
 * the tag (components/permissions.ts), and the handlers check both again before any delete.
 */
// Plain (handlers/naming.ts): the drills component imports it at deploy time, without the SDK.
export { DRILL_PREFIX } from "./naming";
import { DRILL_PREFIX } from "./naming";

/** Tag keys of restore drills: on the drill database, and on the failsafe copy it was made from. */
export const DRILL_TAG = {
  /** "true" on every database a drill restored. */
  drill: "failsafe:drill",
  /** On the drill database: the ARN of the failsafe copy it was restored from. */
  copy: "failsafe:drill-copy",
  /** On the drill database: the copy's lineage (account/kind/resource id). */
  lineage: "failsafe:drill-lineage",
  /** On the drill database: account/kind/identifier of the source (display name, metrics). */
  source: "failsafe:drill-source",
  /** On the drill database: when the restore was started (the RTO's start), ISO 8601. */
  started: "failsafe:drill-started",
  /** On a drill cluster: the class of the one DB instance to create once the cluster is up. */
  instanceClass: "failsafe:drill-class",
  /** On the copy: when its last drill finished, ISO 8601. */
  lastDrill: "failsafe:last-drill",
  /** On the copy (and on the drill database once verified): pass | fail. */
  result: "failsafe:drill-result",
  /** On the copy: the last drill's RTO (restore started → database available), seconds. */
  rtoSeconds: "failsafe:drill-rto-seconds",
  /** On the copy: why the last drill failed ("" when it passed). */
  problem: "failsafe:drill-problem",
} as const;

export type DrillResult = "pass" | "fail";

/** RDS identifiers of DB instances and clusters: 1-63 characters (RestoreDB*, CreateDBInstance). */
const MAX_DB_ID = 63;
/** The cluster's one instance is `<cluster id>-db`: the cluster id leaves room for it. */
const MEMBER_SUFFIX = "-db";

/**
 * The drill database's identifier for a copy: the prefix, as much of the source identifier as
 * fits, and a hash of the copy's ARN, so each copy has its own drill name (a repeated start finds
 * its drill already there) and distinct copies never share one. Valid for instances and clusters
 * (and the cluster's member instance) by construction.
 */
export function drillIdentifier(copy: Pick<SnapshotInfo, "arn" | "sourceId">): string {
  const hash = createHash("sha256").update(copy.arn).digest("hex").slice(0, 8);
  const room = MAX_DB_ID - MEMBER_SUFFIX.length - DRILL_PREFIX.length - hash.length - 1;
  const source = copy.sourceId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+/, "")
    .slice(0, room)
    .replace(/-+$/, "");
  return `${DRILL_PREFIX}${source ? `${source}-` : ""}${hash}`;
}

/** The identifier of the one DB instance a drill creates in its restored cluster. */
export const drillMemberIdentifier = (clusterId: string): string => `${clusterId}${MEMBER_SUFFIX}`;

/** A database is a drill only when it is named AND tagged as one. */
export function isDrillDatabase(id: string, tags: Tags): boolean {
  return id.toLowerCase().startsWith(DRILL_PREFIX) && tags[DRILL_TAG.drill] === "true";
}

/** A lineage's drill history, from the tags on its copies. */
export interface DrillHistory {
  /** When the last drill of any result finished, its result and RTO. */
  readonly last?: {
    readonly time: Date;
    readonly result: DrillResult;
    readonly rtoSeconds?: number;
    readonly copyId: string;
    readonly problem?: string;
  };
  /** When the last successful drill finished. */
  readonly lastGood?: Date;
}

export function drillRecord(copy: SnapshotInfo): DrillHistory["last"] {
  const time = parseTime(copy.tags[DRILL_TAG.lastDrill]);
  const result = copy.tags[DRILL_TAG.result];
  if (!time || (result !== "pass" && result !== "fail")) {
    return undefined;
  }
  const rto = Number(copy.tags[DRILL_TAG.rtoSeconds]);
  return {
    time,
    result,
    copyId: copy.id,
    ...(Number.isFinite(rto) && copy.tags[DRILL_TAG.rtoSeconds] ? { rtoSeconds: rto } : {}),
    ...(copy.tags[DRILL_TAG.problem] ? { problem: copy.tags[DRILL_TAG.problem] } : {}),
  };
}

export function drillHistory(copies: readonly SnapshotInfo[]): DrillHistory {
  let last: DrillHistory["last"];
  let lastGood: Date | undefined;
  for (const copy of copies) {
    const record = drillRecord(copy);
    if (!record) {
      continue;
    }
    if (!last || record.time > last.time) {
      last = record;
    }
    if (record.result === "pass" && (!lastGood || record.time > lastGood)) {
      lastGood = record.time;
    }
  }
  return { ...(last ? { last } : {}), ...(lastGood ? { lastGood } : {}) };
}

export interface DrillCandidate {
  readonly lineage: LineageState;
  /** The lineage's newest available copy: what a drill restores. */
  readonly copy: SnapshotInfo;
  readonly history: DrillHistory;
}

/**
 * Which lineages to drill now: protected ones (status ok) with an available copy and no drill in
 * progress, those whose last successful drill is oldest first (never drilled before any), at most
 * `slots`. Ties go to the lineage protected longest (its oldest copy), then to the key, so the
 * order is deterministic.
 */
export function pickDrills(
  lineages: readonly LineageState[],
  busy: ReadonlySet<string>,
  slots: number,
): DrillCandidate[] {
  const candidates: (DrillCandidate & { since: number })[] = [];
  for (const lineage of lineages) {
    const copy = lineage.copies.find((c) => c.status === "available");
    if (lineage.status !== "ok" || !copy || busy.has(lineage.key)) {
      continue;
    }
    candidates.push({
      lineage,
      copy,
      history: drillHistory(lineage.copies),
      since: protectedSince(lineage)?.getTime() ?? 0,
    });
  }
  candidates.sort(
    (a, b) =>
      (a.history.lastGood?.getTime() ?? -Infinity) - (b.history.lastGood?.getTime() ?? -Infinity) ||
      a.since - b.since ||
      a.lineage.key.localeCompare(b.lineage.key),
  );
  return candidates.slice(0, Math.max(0, slots)).map(({ lineage, copy, history }) => ({
    lineage,
    copy,
    history,
  }));
}

/** The data time of a lineage's oldest copy: it has been protected since then. */
function protectedSince(lineage: LineageState): Date | undefined {
  let oldest: Date | undefined;
  for (const copy of lineage.copies) {
    const time = copyTime(copy);
    if (time && (!oldest || time < oldest)) {
      oldest = time;
    }
  }
  return oldest;
}

/**
 * Whether a protected lineage has gone more than maxAgeDays without a successful drill, counted
 * from its last good drill or, never drilled, from its oldest copy (a database protected since
 * yesterday is not overdue).
 */
export function drillOverdue(lineage: LineageState, now: Date, maxAgeDays: number): boolean {
  if (lineage.status !== "ok") {
    return false;
  }
  const since = drillHistory(lineage.copies).lastGood ?? protectedSince(lineage);
  return ageHours(now, since) / 24 > maxAgeDays;
}

const SIZES = ["nano", "micro", "small", "medium", "large", "xlarge"];

/**
 * The size rank of a DB instance class (db.<family>.<size>): nano < micro < small < medium <
 * large < xlarge < 2xlarge < 4xlarge …; metal and unknown sizes last.
 */
export function classSize(instanceClass: string): number {
  const size = instanceClass.split(".")[2] ?? "";
  const named = SIZES.indexOf(size);
  if (named >= 0) {
    return named;
  }
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? SIZES.length - 1 + Math.log2(Number(multiple[1])) + 1 : 1000;
}

/** Among classes of one size: burstable (t) families, then Graviton (…g), then newer generations. */
function familyPreference(instanceClass: string): number {
  const family = instanceClass.split(".")[1] ?? "";
  const generation = Number(/\d+/.exec(family)?.[0] ?? 0);
  return (family.startsWith("t") ? 0 : 100) + (/\dg/.test(family) ? 0 : 10) - generation;
}

function byCost(a: string, b: string): number {
  return (
    classSize(a) - classSize(b) || familyPreference(a) - familyPreference(b) || a.localeCompare(b)
  );
}

/**
 * Classes used when RDS lists no orderable option for an engine (DescribeOrderableDBInstanceOptions
 * came back empty): the smallest class each engine family is documented to run on. Other engines
 * (Oracle, SQL Server, Db2) need drillMaxInstanceClass.
 */
export const FALLBACK_DRILL_CLASS: Readonly<Record<string, string>> = {
  postgres: "db.t4g.micro",
  mysql: "db.t4g.micro",
  mariadb: "db.t4g.micro",
  "aurora-postgresql": "db.t4g.medium",
  "aurora-mysql": "db.t4g.medium",
};

export type ClassChoice =
  | { readonly instanceClass: string; readonly from: "orderable" | "configured" | "fallback" }
  | { readonly skip: string };

/**
 * The class a drill uses: the smallest RDS offers for the engine and version (`orderable`, from
 * DescribeOrderableDBInstanceOptions), never above the configured maximum for the engine; when RDS
 * lists none, the configured class, else the fallback table. Aurora Serverless (db.serverless)
 * needs a scaling configuration and is not used.
 */
export function chooseDrillClass(
  engine: string,
  orderable: readonly string[],
  maxByEngine: Readonly<Record<string, string>>,
): ClassChoice {
  const max = maxByEngine[engine];
  const offered = [...new Set(orderable)].filter((c) => c !== "db.serverless").sort(byCost);
  const smallest = offered[0];
  if (smallest) {
    if (max && classSize(smallest) > classSize(max)) {
      return {
        skip: `the smallest class RDS offers for ${engine} is ${smallest}, larger than drillMaxInstanceClass ${max}`,
      };
    }
    return { instanceClass: smallest, from: "orderable" };
  }
  if (max) {
    return { instanceClass: max, from: "configured" };
  }
  const fallback = FALLBACK_DRILL_CLASS[engine];
  return fallback
    ? { instanceClass: fallback, from: "fallback" }
    : {
        skip: `RDS lists no instance class for ${engine} and none is configured: set drillMaxInstanceClass (e.g. "${engine}=db.t3.small")`,
      };
}

/** A restored drill database as the checks see it (instance, or cluster with its instances). */
export interface RestoredDatabase {
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly arn: string;
  readonly status: string;
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  /** GiB (instances; Aurora storage is not provisioned). */
  readonly allocatedStorage: number | undefined;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly publiclyAccessible: boolean | undefined;
  readonly tags: Tags;
  /** The cluster's DB instances (cluster drills); for an instance drill, empty. */
  readonly members: readonly {
    readonly id: string;
    readonly status: string;
    readonly tags: Tags;
  }[];
}

/** RDS states a restore ends in when it will not become available by itself. */
const FAILED_STATES = new Set([
  "failed",
  "incompatible-restore",
  "incompatible-parameters",
  "incompatible-network",
  "incompatible-option-group",
  "incompatible-credentials",
  "inaccessible-encryption-credentials",
  "inaccessible-encryption-credentials-recoverable",
  "restore-error",
  "storage-full",
  "insufficient-capacity",
]);
/** States in which the database takes connections (storage-optimization: available, tuning). */
const USABLE_STATES = new Set(["available", "storage-optimization"]);

export type DrillPhase =
  /** Verified already (result tag on it): only the delete is left. */
  | { readonly phase: "finished" }
  /** Usable: verify, record, delete. */
  | { readonly phase: "ready" }
  /** A cluster is up without its instance: create the instance. */
  | { readonly phase: "needs-instance" }
  /** Ended in a state it will not leave by itself, or took longer than the timeout. */
  | { readonly phase: "failed"; readonly why: string }
  /** Still being restored (or created, or deleted). */
  | { readonly phase: "in-progress"; readonly status: string };

/**
 * What a drill database needs next. A drill older than timeoutHours that is not usable is given
 * up: restores of small databases take minutes, and a drill database left running costs money.
 */
export function drillPhase(db: RestoredDatabase, now: Date, timeoutHours: number): DrillPhase {
  if (db.tags[DRILL_TAG.result]) {
    return { phase: "finished" };
  }
  const statuses = [db.status, ...db.members.map((m) => m.status)];
  const failed = statuses.find((s) => FAILED_STATES.has(s));
  if (failed) {
    return { phase: "failed", why: `the restored ${db.kind} is ${failed}` };
  }
  if (db.status === "deleting") {
    return { phase: "in-progress", status: "deleting" };
  }
  const up = USABLE_STATES.has(db.status);
  const membersUp = db.members.some((m) => USABLE_STATES.has(m.status));
  if (up && (db.kind === "instance" || membersUp)) {
    return { phase: "ready" };
  }
  const started = parseTime(db.tags[DRILL_TAG.started]);
  const hours = ageHours(now, started);
  if (hours > timeoutHours) {
    return {
      phase: "failed",
      why: `not available ${Math.floor(hours)} h after the restore started (status ${[...new Set(statuses)].join("/")}; timeout ${timeoutHours} h)`,
    };
  }
  if (up && db.kind === "cluster" && db.members.length === 0) {
    return { phase: "needs-instance" };
  }
  return { phase: "in-progress", status: [...new Set(statuses)].join("/") };
}

/**
 * What a drill proves beyond "it became available": the restored database is the copy's engine and
 * version, its storage size (DB instances; Aurora storage is not provisioned), encrypted exactly
 * when the copy is and with the copy's key, which must be the vault key (a copy under any other key
 * would be lost with that key, outside the vault key's protections), and not publicly accessible.
 * Returns the problems, empty when it passed.
 */
export function verifyRestore(
  copy: SnapshotInfo,
  db: RestoredDatabase,
  vaultKmsKeyArn: string,
): string[] {
  const problems: string[] = [];
  const differs = (
    what: string,
    expected: string | number | boolean | undefined,
    actual: string | number | boolean | undefined,
  ) => {
    if (expected !== actual) {
      problems.push(`${what}: the copy has ${show(expected)}, the restore ${show(actual)}`);
    }
  };
  differs("engine", copy.engine, db.engine);
  differs("engine version", copy.engineVersion, db.engineVersion);
  if (db.kind === "instance" && !(copy.engine ?? "").startsWith("aurora")) {
    differs("storage (GiB)", copy.allocatedStorage, db.allocatedStorage);
  }
  differs("encrypted", copy.encrypted, db.encrypted);
  if (copy.encrypted && db.encrypted) {
    differs("KMS key", kmsKeyId(copy.kmsKeyId), kmsKeyId(db.kmsKeyId));
  }
  if (db.encrypted && kmsKeyId(db.kmsKeyId) !== kmsKeyId(vaultKmsKeyArn)) {
    problems.push(
      `encryption: the restore is encrypted with key ${kmsKeyId(db.kmsKeyId) || "(none)"}, not the vault key ${kmsKeyId(vaultKmsKeyArn)}: this copy does not depend on the vault key alone`,
    );
  }
  if (db.kind === "instance" && !db.encrypted) {
    problems.push(
      "encryption: instance copies are always encrypted with the vault key, this restore is not encrypted",
    );
  }
  if (db.publiclyAccessible) {
    problems.push("the drill database is publicly accessible");
  }
  return problems;
}

function show(value: string | number | boolean | undefined): string {
  return value === undefined || value === "" ? "(none)" : String(value);
}

export function parseTime(value: string | undefined): Date | undefined {
  const time = value ? new Date(value) : undefined;
  return time && !Number.isNaN(time.getTime()) ? time : undefined;
}

/**
 * A tag value RDS accepts: Unicode letters, digits, white space and _ . : / = + - @, at most 256
 * characters (AddTagsToResource, Tag).
 */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, " ").slice(0, 256);
}
