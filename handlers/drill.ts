import { snapshots, type FailsafeDeps } from "./context";
import {
  chooseDrillClass,
  DRILL_PREFIX,
  DRILL_TAG,
  drillIdentifier,
  isDrillDatabase,
  pickDrills,
  type DrillCandidate,
  type RestoredDatabase,
} from "./drill-plan";
import { RdsDatabases } from "./drill-rds";
import { advanceDrill } from "./drill-verify";
import { errorMessage } from "./errors";
import { lineageStates } from "./lineage";
import { logOutcome, type Outcome } from "./log";
import { isManagedSnapshotId, type SnapshotKind } from "./naming";
import type { SnapshotInfo } from "./rds";
import { drillSettingsOf } from "./settings";
import { isManagedTagged } from "./tags";

export interface DrillRunReport {
  /** Drill databases found at the start of the run (named and tagged), and what was done to each. */
  readonly found: readonly {
    readonly drill: string;
    readonly decision: string;
    readonly reason: string;
  }[];
  /** Drills started by this run. */
  readonly started: readonly {
    readonly drill: string;
    readonly source: string;
    readonly copy: string;
    readonly instanceClass: string;
  }[];
  /** Lineages that were due but not drilled, and why (no class, a failed start). */
  readonly skipped: readonly { readonly source: string; readonly reason: string }[];
  /** Databases named like drills without the drill tag: never touched. */
  readonly ignored: readonly string[];
  /** Drill slots left free by drills still running. */
  readonly slots: number;
}

const KINDS: readonly SnapshotKind[] = ["instance", "cluster"];

/**
 * drill (failsafe, scheduled): proves the copies restore.
 * 1. Drill databases from earlier runs (named failsafe-drill-… AND tagged failsafe:drill=true,
 *    nothing else) are moved on as their state asks — a restore whose "finished" event was lost is
 *    verified and deleted now, one that failed or outlived drillTimeoutHours is recorded as failed
 *    and deleted, one still restoring is left to its event.
 * 2. Every drill database found takes a slot (a deleted one is still deleting): at most
 *    drillsPerRun exist at once. The free slots go to the protected lineages whose last
 *    successful drill is oldest; each one's newest available copy is restored into a throwaway
 *    database (the smallest class, no public access, no backups, no deletion protection). RDS's
 *    "restored" event brings drill-verify; nothing here waits.
 */
export function drillHandler(deps: FailsafeDeps): () => Promise<DrillRunReport> {
  return async () => {
    const settings = drillSettingsOf(deps.settings);
    const databases = new RdsDatabases(deps.rds);
    const found: { drill: string; decision: string; reason: string }[] = [];
    const ignored: string[] = [];
    const busy = new Set<string>();
    let existing = 0;
    for await (const db of databases.list(DRILL_PREFIX)) {
      if (!isDrillDatabase(db.id, db.tags)) {
        ignored.push(`${db.kind} ${db.id}`);
        continue;
      }
      existing += 1;
      busy.add(db.tags[DRILL_TAG.lineage] ?? "");
      const outcome = await attemptStep(deps, db);
      found.push({ drill: db.id, decision: outcome.decision, reason: outcome.reason });
    }

    const slots = Math.max(0, settings.drillsPerRun - existing);
    const started: DrillRunReport["started"][number][] = [];
    const skipped: { source: string; reason: string }[] = [];
    if (slots > 0) {
      const copies: SnapshotInfo[] = [];
      for (const kind of KINDS) {
        for await (const copy of snapshots(deps).listSnapshots(kind, "manual")) {
          if (isManagedTagged(copy.tags) && isManagedSnapshotId(kind, copy.id)) copies.push(copy);
        }
      }
      const lineages = lineageStates(copies, deps.clock(), deps.settings);
      const classes = new Map<string, string[]>();
      // More candidates than slots: one whose class cannot be chosen gives its slot to the next.
      for (const candidate of pickDrills(lineages, busy, lineages.length)) {
        if (started.length >= slots) break;
        const source = `${candidate.lineage.account}/${candidate.lineage.kind}/${candidate.lineage.sourceId}`;
        try {
          const result = await startDrill(deps, databases, candidate, source, classes);
          if ("skip" in result) {
            skipped.push({ source, reason: result.skip });
            logOutcome(deps.log, "drill", { decision: "skipped", reason: result.skip, source });
          } else {
            started.push(result);
          }
        } catch (err) {
          const reason = `could not start the drill: ${errorMessage(err)}`;
          skipped.push({ source, reason });
          logOutcome(deps.log, "drill", { decision: "failed", reason, source });
        }
      }
    }
    deps.metrics.count("DrillsStarted", started.length);
    deps.metrics.gauge("DrillsInProgress", existing + started.length);
    deps.metrics.flush();
    const report: DrillRunReport = { found, started, skipped, ignored, slots };
    deps.log.info("drill run finished", { handler: "drill", ...report });
    return report;
  };
}

async function attemptStep(deps: FailsafeDeps, db: RestoredDatabase): Promise<Outcome> {
  let outcome: Outcome;
  try {
    outcome = await advanceDrill(deps, db, undefined);
  } catch (err) {
    outcome = { decision: "failed", reason: errorMessage(err), drill: db.id };
  }
  // A drill still restoring is left to its event; it is not a retry of this run.
  const logged =
    outcome.decision === "retry" ? { ...outcome, decision: "skipped" as const } : outcome;
  logOutcome(deps.log, "drill", logged);
  return logged;
}

async function startDrill(
  deps: FailsafeDeps,
  databases: RdsDatabases,
  candidate: DrillCandidate,
  source: string,
  classes: Map<string, string[]>,
): Promise<DrillRunReport["started"][number] | { skip: string }> {
  const settings = drillSettingsOf(deps.settings);
  const { copy, lineage } = candidate;
  const engine = copy.engine ?? "";
  const key = `${engine} ${copy.engineVersion ?? ""}`;
  let orderable = classes.get(key);
  if (!orderable) {
    orderable = engine ? await databases.orderableClasses(engine, copy.engineVersion) : [];
    classes.set(key, orderable);
  }
  const choice = chooseDrillClass(engine, orderable, settings.maxInstanceClass);
  if ("skip" in choice) {
    return { skip: choice.skip };
  }
  const id = drillIdentifier(copy);
  const tags = {
    [DRILL_TAG.drill]: "true",
    [DRILL_TAG.copy]: copy.arn,
    [DRILL_TAG.lineage]: lineage.key,
    [DRILL_TAG.source]: source,
    [DRILL_TAG.started]: deps.clock().toISOString(),
    [DRILL_TAG.instanceClass]: choice.instanceClass,
  };
  const created = await databases.restore({
    kind: copy.kind,
    id,
    snapshotId: copy.id,
    instanceClass: copy.kind === "instance" ? choice.instanceClass : undefined,
    engine: copy.engine,
    engineVersion: copy.engineVersion,
    subnetGroup: settings.subnetGroup,
    securityGroupIds: settings.securityGroupIds,
    tags,
    noBackups: true,
  });
  logOutcome(deps.log, "drill", {
    decision: "started",
    reason: `${created === "created" ? "restoring" : "already restoring"} ${copy.kind} copy ${copy.id} into ${id} (${choice.instanceClass}, ${choice.from})`,
    source,
    lineage: lineage.key,
    snapshotId: copy.id,
    drill: id,
  });
  return { drill: id, source, copy: copy.id, instanceClass: choice.instanceClass };
}
