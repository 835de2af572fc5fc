import type { RDSClient } from "@aws-sdk/client-rds";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { ageHours, snapshots, type FailsafeDeps } from "./context";
import { Rejection } from "./errors";
import { EVENT_IDS, parseRdsSnapshotEvent } from "./events";
import { copyTime, lineageOf, lineageStates, type LineageState } from "./lineage";
import type { Log, Outcome } from "./log";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import { notify } from "./notify";
import { attempt } from "./prod-sweep";
import type { SnapshotInfo } from "./rds";
import { applyRetention, planRetention, toRetentionCopy, type DeleteBudget } from "./retention";
import { NotReadyYet, processQueue } from "./sqs";
import { isManagedTagged, TAG, type Tags } from "./tags";

/**
 * The DR region (optional `drRegion`, docs/organization.md): every failsafe copy is copied a
 * second time, inside the failsafe account, to another region of the same partition, under that
 * region's own vault key. The DR copies have the same ids, tags and lineages as the primary ones,
 * their own retention (the same rules, per lineage), their own RPO (DrRpoBreaches) and their own
 * breach notifications.
 *
 * - dr-copy (a copy-finished event of a primary copy, through its own queue): CopyDBSnapshot /
 *   CopyDBClusterSnapshot called in the DR region with the primary copy's ARN. The AWS SDK for
 *   JavaScript v3 has no `SourceRegion` parameter: its RDS client sees a source ARN of another
 *   region and adds the pre-signed URL itself (@aws-sdk/middleware-sdk-rds), which RDS requires
 *   in the GovCloud (US) regions and ignores elsewhere (API_CopyDBSnapshot, PreSignedUrl).
 * - retention: after the primary copies of a lineage, its DR copies (same rules and budget).
 * - failsafe sweep: missed DR copies, DR retention, the DR RPO metric and breach notifications.
 */

/** Marks the lineage's oldest primary copy when ops was told it has no DR copy at all. */
export const DR_BREACH_TAG = "failsafe:dr-rpo-breach-notified";

/** The events of a primary copy becoming available (the retention function's, too). */
const COPY_READY_EVENTS = [
  EVENT_IDS.snapshotCopyFinished,
  EVENT_IDS.manualInstanceSnapshotCreated,
  EVENT_IDS.manualClusterSnapshotCreated,
];

export interface DrTarget {
  readonly region: string;
  readonly kmsKeyArn: string;
  readonly rds: RDSClient;
}

/** The DR region of these deps, or undefined when none is configured. */
export function drTarget(deps: FailsafeDeps): DrTarget | undefined {
  const { drRegion, drVaultKmsKeyArn } = deps.settings;
  if (!drRegion || !drVaultKmsKeyArn) {
    return undefined;
  }
  if (!deps.drRds) {
    throw new Error(`drRegion ${drRegion} is set but no RDS client for it was created`);
  }
  return { region: drRegion, kmsKeyArn: drVaultKmsKeyArn, rds: deps.drRds };
}

/** The same deps acting in the DR region: its RDS client, and the region on every log line. */
function inDrRegion(deps: FailsafeDeps, dr: DrTarget): FailsafeDeps {
  const tag = (attributes: Record<string, unknown>) => ({ ...attributes, region: dr.region });
  const log: Log = {
    info: (m, a) => deps.log.info(m, tag(a)),
    warn: (m, a) => deps.log.warn(m, tag(a)),
    error: (m, a) => deps.log.error(m, tag(a)),
  };
  return { ...deps, rds: dr.rds, log };
}

/**
 * dr-copy (failsafe, primary region): a primary failsafe copy finished → copy it to the DR region.
 * Only managed copies with a lineage are copied; a copy not available yet is retried by SQS.
 */
export function drCopyHandler(deps: FailsafeDeps): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(
      event,
      "dr-copy",
      deps.log,
      async (body) => {
        const dr = drTarget(deps);
        if (!dr) {
          throw new Rejection("no DR region is configured (settings drRegion)");
        }
        const { snapshot } = parseRdsSnapshotEvent(body, {
          eventIds: COPY_READY_EVENTS,
          account: deps.settings.failsafeAccountId,
          region: deps.settings.region,
        });
        if (!isManagedSnapshotId(snapshot.kind, snapshot.id)) {
          return {
            decision: "skipped",
            reason: `${snapshot.kind} snapshot ${snapshot.id} is not managed by rds-failsafe`,
            snapshotId: snapshot.id,
          };
        }
        const copy = await snapshots(deps).describeSnapshot(snapshot.kind, snapshot.id);
        if (!copy || !lineageOf(copy)) {
          throw new Rejection(
            `${snapshot.kind} snapshot ${snapshot.id} is gone or has no failsafe lineage tags`,
          );
        }
        return copyToDr(dr, copy);
      },
      undefined,
      // 20 copies in progress per destination region and account (handlers/sqs.ts).
      { deferAfterCopyLimit: true },
    );
}

/**
 * The tags of a DR copy: the primary copy's lineage tags (never the marks the sweep or an operator
 * put on that one copy), and where it was copied from.
 */
function drTags(copy: SnapshotInfo): Tags {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(copy.tags)) {
    if (key.startsWith("failsafe:") && key !== TAG.breachNotified && key !== DR_BREACH_TAG) {
      tags[key] = value;
    }
  }
  return { ...tags, [TAG.copiedFrom]: copy.arn };
}

/**
 * Copies one available primary copy to the DR region under the same id. An encrypted copy is
 * re-encrypted with the DR region's vault key (KMS keys are regional: a cross-region copy of an
 * encrypted snapshot needs a key of the destination region); an unencrypted Aurora copy stays
 * unencrypted (AWS rejects KmsKeyId for it), as in the primary region.
 */
export async function copyToDr(dr: DrTarget, copy: SnapshotInfo): Promise<Outcome> {
  const lineage = lineageOf(copy);
  if (!lineage) {
    throw new Rejection(`${copy.arn} has no failsafe lineage tags`);
  }
  const ids = { kind: copy.kind, snapshotArn: copy.arn, drTarget: copy.id, drRegion: dr.region };
  if (copy.status !== "available") {
    throw new NotReadyYet(`failsafe copy ${copy.arn} is ${copy.status}`);
  }
  const encrypt = copy.kind === "instance" || copy.encrypted;
  const result = await snapshots({ rds: dr.rds }).copy({
    kind: copy.kind,
    source: copy.arn,
    target: copy.id,
    kmsKeyId: encrypt ? dr.kmsKeyArn : undefined,
    tags: drTags(copy),
  });
  if (result === "exists") {
    return { decision: "exists", reason: "DR copy already exists", ...ids, lineage: lineage.key };
  }
  return {
    decision: "copied",
    reason: encrypt
      ? `DR copy to ${dr.region} started with its vault key`
      : `DR copy to ${dr.region} started UNENCRYPTED (the Aurora source is unencrypted)`,
    ...ids,
    lineage: lineage.key,
    encrypted: encrypt,
  };
}

/** The DR copies (managed, with a lineage) of one database identifier, or of every database. */
async function listDrCopies(
  dr: DrTarget,
  kind: SnapshotKind,
  sourceId?: string,
): Promise<SnapshotInfo[]> {
  const found: SnapshotInfo[] = [];
  for await (const copy of snapshots({ rds: dr.rds }).listSnapshots(kind, "manual", sourceId)) {
    if (isManagedTagged(copy.tags) && isManagedSnapshotId(kind, copy.id) && lineageOf(copy)) {
      found.push(copy);
    }
  }
  return found;
}

/**
 * The retention handler's second half: after the primary copies of a lineage, its DR copies,
 * within the same delete budget. Returns the primary outcome with the DR one folded in.
 */
export async function withDrRetention(
  deps: FailsafeDeps,
  kind: SnapshotKind,
  lineage: string,
  sourceId: string,
  primary: Outcome,
  budget: DeleteBudget,
): Promise<Outcome> {
  const dr = drTarget(deps);
  if (!dr) {
    return primary;
  }
  const copies = (await listDrCopies(dr, kind, sourceId || undefined)).filter(
    (c) => lineageOf(c)?.key === lineage,
  );
  const outcome = await applyRetention(inDrRegion(deps, dr), kind, lineage, copies, budget);
  const drDeleted = Array.isArray(outcome.deleted) ? (outcome.deleted as string[]) : [];
  return {
    ...primary,
    decision: drDeleted.length > 0 ? "deleted" : primary.decision,
    reason: `${primary.reason}; DR ${dr.region}: ${outcome.reason}`,
    drDeleted,
    drDeferred: outcome.deferred,
  };
}

/** One lineage as the sweep reports it for the DR region. */
export interface DrFreshness {
  readonly source: string;
  readonly lineage: string;
  /** Hours since the newest DR copy's data; with no DR copy yet, since the oldest primary one's. */
  readonly newestCopyAgeHours: number;
  /** DR copies of this lineage. */
  readonly copies: number;
  readonly status: LineageState["status"];
  readonly breach: boolean;
}

export interface DrSweepReport {
  readonly region: string;
  copied: number;
  deleted: number;
  failed: number;
  deferred: number;
  readonly newBreaches: string[];
  readonly sources: DrFreshness[];
}

export function emptyDrReport(region: string): DrSweepReport {
  return { region, copied: 0, deleted: 0, failed: 0, deferred: 0, newBreaches: [], sources: [] };
}

/**
 * The failsafe sweep's DR part for one snapshot kind, from the primary lineages the sweep listed
 * already:
 * 1. primary copies the primary retention keeps and the DR region lacks → copied (newest first,
 *    bounded like every sweep action; a copy the DR retention would delete at once is not made);
 * 2. per lineage, the DR age and status: a lineage retired, superseded or of a removed account in
 *    the primary region is so in the DR region too; otherwise it is in DR breach when its newest
 *    DR copy is older than rpoHours, or when it has none although its oldest primary copy is;
 *    a lineage newly in DR breach is told to ops once;
 * 3. DR retention per lineage, within the run's delete budget.
 */
export async function sweepDrKind(
  deps: FailsafeDeps,
  dr: DrTarget,
  kind: SnapshotKind,
  primaryLineages: readonly LineageState[],
  report: DrSweepReport,
  budget: DeleteBudget,
): Promise<void> {
  const { settings } = deps;
  const drDeps = inDrRegion(deps, dr);
  const drCopies = await listDrCopies(dr, kind);
  const inDr = new Set(drCopies.map((c) => c.id));
  const now = deps.clock();

  // 1. missing DR copies
  const missing: SnapshotInfo[] = [];
  for (const lineage of primaryLineages) {
    const keep = new Set(
      planRetention(lineage.copies.map(toRetentionCopy), now, settings)
        .filter((d) => d.action === "keep")
        .map((d) => d.id),
    );
    missing.push(
      ...lineage.copies.filter(
        (c) => c.status === "available" && keep.has(c.id) && !inDr.has(c.id),
      ),
    );
  }
  missing.sort((a, b) => (copyTime(b)?.getTime() ?? 0) - (copyTime(a)?.getTime() ?? 0));
  const inFlight = drCopies.filter((c) => c.status !== "available").length;
  let copyBudget = Math.min(settings.maxActionsPerRun, settings.copyConcurrencyLimit - inFlight);
  for (const copy of missing) {
    if (copyBudget <= 0) {
      report.deferred += 1;
      continue;
    }
    copyBudget -= 1;
    const outcome = await attempt(drDeps, () => copyToDr(dr, copy), "failsafe-sweep");
    if (outcome.decision === "copied") {
      report.copied += 1;
    } else if (outcome.decision === "failed") {
      report.failed += 1;
    }
  }

  // 2. and 3., per lineage (primary lineages first, then lineages only the DR region still has)
  const drLineages = new Map(lineageStates(drCopies, now, settings).map((l) => [l.key, l]));
  const seen = new Set<string>();
  const lineages: { primary?: LineageState; drState?: LineageState }[] = [
    ...primaryLineages.map((primary) => ({ primary, drState: drLineages.get(primary.key) })),
    ...[...drLineages.values()]
      .filter((l) => !primaryLineages.some((p) => p.key === l.key))
      .map((drState) => ({ drState })),
  ];
  for (const { primary, drState } of lineages) {
    const base = primary ?? drState;
    if (!base || seen.has(base.key)) {
      continue;
    }
    seen.add(base.key);
    const oldestPrimary = primary?.copies.at(-1);
    const age = drState
      ? drState.ageHours
      : ageHours(now, oldestPrimary ? copyTime(oldestPrimary) : undefined);
    const inherited =
      base.status === "retired" ||
      base.status === "account-removed" ||
      base.status === "superseded";
    const status: LineageState["status"] = inherited
      ? base.status
      : age > settings.rpoHours
        ? "breach"
        : "ok";
    const breach = status === "breach";
    report.sources.push({
      source: `${base.account}/${base.kind}/${base.sourceId}`,
      lineage: base.key,
      newestCopyAgeHours: age,
      copies: drState?.copies.length ?? 0,
      status,
      breach,
    });
    const notified = drState
      ? drState.breachNotifiedAt
      : oldestPrimary?.tags[DR_BREACH_TAG]
        ? new Date(oldestPrimary.tags[DR_BREACH_TAG] ?? "")
        : undefined;
    if (breach && !notified) {
      const told = await attempt(
        drDeps,
        () => announceDrBreach(deps, dr, base, age, drState, oldestPrimary),
        "failsafe-sweep",
      );
      if (told.decision === "failed") {
        report.failed += 1;
      } else {
        report.newBreaches.push(base.key);
      }
    }
    if (drState) {
      const outcome = await attempt(
        drDeps,
        () => applyRetention(drDeps, kind, base.key, drState.copies, budget),
        "failsafe-sweep",
      );
      report.deleted += Array.isArray(outcome.deleted) ? outcome.deleted.length : 0;
      report.deferred += typeof outcome.deferred === "number" ? outcome.deferred : 0;
      if (outcome.decision === "failed") {
        report.failed += 1;
      }
    }
  }
}

/**
 * Tells ops that a lineage has no DR copy newer than rpoHours, then marks it so the next sweep
 * does not tell it again: the newest DR copy (a newer one carries no mark, so a later breach is
 * told anew), or, while it has no DR copy at all, its oldest primary copy.
 */
async function announceDrBreach(
  deps: FailsafeDeps,
  dr: DrTarget,
  lineage: LineageState,
  age: number,
  drState: LineageState | undefined,
  oldestPrimary: SnapshotInfo | undefined,
): Promise<Outcome> {
  const source = `${lineage.account}/${lineage.kind}/${lineage.sourceId}`;
  const hours = Number.isFinite(age) ? Math.floor(age) : undefined;
  const sent = await notify(
    deps,
    deps.settings.opsTopicArn,
    "failsafe-sweep",
    `rds-failsafe: DR RPO breach: ${lineage.sourceId} has no copy in ${dr.region} newer than ${deps.settings.rpoHours} h`,
    {
      event: "dr-rpo-breach",
      source,
      lineage: lineage.key,
      drRegion: dr.region,
      newestDrCopy: drState?.newestCopy?.id,
      drCopies: drState?.copies.length ?? 0,
      ageHours: hours,
      rpoHours: deps.settings.rpoHours,
      whatToDo: `Check the rds-failsafe-dr-copy function's errors and DLQ, the DR vault key in ${dr.region} (enabled? its policy?), and the copies in flight to ${dr.region} (20 at most per account).`,
    },
  );
  if (!sent) {
    return { decision: "failed", reason: `could not notify the DR RPO breach of ${source}` };
  }
  const stamp = deps.clock().toISOString();
  if (drState?.newestCopy) {
    await snapshots({ rds: dr.rds }).addTags(drState.newestCopy.arn, {
      [TAG.breachNotified]: stamp,
    });
  } else if (oldestPrimary) {
    await snapshots(deps).addTags(oldestPrimary.arn, { [DR_BREACH_TAG]: stamp });
  }
  return {
    decision: "notified",
    reason: `DR RPO breach of ${source} (${hours ?? "?"} h) told to ops`,
  };
}

/** The DR part of the sweep's "sweep finished" log line. */
export function drSummary(report: DrSweepReport): Record<string, unknown> {
  return {
    region: report.region,
    copied: report.copied,
    deleted: report.deleted,
    failed: report.failed,
    deferred: report.deferred,
    rpoBreaches: report.sources.filter((s) => s.breach).map((s) => s.source),
    newBreaches: report.newBreaches,
  };
}

/** The DR figures: per-source DR age, DrRpoBreaches (the DR alarm) and DrProtectedSources. */
export function publishDrFreshness(deps: FailsafeDeps, report: DrSweepReport): void {
  for (const source of report.sources) {
    if ((source.status === "ok" || source.status === "breach") && source.copies > 0) {
      deps.metrics.gauge("DrNewestCopyAgeHours", Math.round(source.newestCopyAgeHours * 10) / 10, {
        Source: source.source,
      });
    }
  }
  deps.metrics.gauge("DrRpoBreaches", report.sources.filter((s) => s.breach).length);
  deps.metrics.gauge(
    "DrProtectedSources",
    report.sources.filter((s) => (s.status === "ok" || s.status === "breach") && s.copies > 0)
      .length,
  );
}
