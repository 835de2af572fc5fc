import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { parseSnapshotArn } from "./arn";
import { snapshots, type FailsafeDeps } from "./context";
import { DRILL_EVENT_IDS, parseRdsDatabaseEvent } from "./drill-events";
import {
  DRILL_PREFIX,
  DRILL_TAG,
  drillMemberIdentifier,
  drillPhase,
  isDrillDatabase,
  parseTime,
  tagValue,
  verifyRestore,
  type DrillResult,
  type RestoredDatabase,
} from "./drill-plan";
import { RdsDatabases } from "./drill-rds";
import { errorMessage } from "./errors";
import type { Outcome } from "./log";
import { notify } from "./notify";
import { drillSettingsOf } from "./settings";
import { NotReadyYet, processQueue } from "./sqs";

const HANDLED = Object.values(DRILL_EVENT_IDS);

/**
 * drill-verify (failsafe): RDS says a drill database was restored (or created, or failed) →
 * move that drill on: create a restored cluster's one instance, or verify the restored database
 * against its copy, record the result and the RTO, and delete it. Events for databases that are not
 * named AND tagged as drills are skipped; a drill still being restored is retried (SQS), and one
 * whose event was lost is finished by the next drill run.
 */
export function drillVerifyHandler(
  deps: FailsafeDeps,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  return (event) =>
    processQueue(event, "drill-verify", deps.log, async (body) => {
      const ev = parseRdsDatabaseEvent(body, {
        eventIds: HANDLED,
        account: deps.settings.failsafeAccountId,
        region: deps.settings.region,
      });
      if (!ev.id.toLowerCase().startsWith(DRILL_PREFIX)) {
        return { decision: "skipped", reason: `${ev.kind} ${ev.id} is not a drill database` };
      }
      const databases = new RdsDatabases(deps.rds);
      let db: RestoredDatabase | undefined;
      if (ev.kind === "instance") {
        // The member instance of a drill cluster stands for its cluster.
        const instance = await databases.describeInstance(ev.id);
        db = instance?.DBClusterIdentifier
          ? await databases.describe("cluster", instance.DBClusterIdentifier)
          : await databases.describe("instance", ev.id);
      } else {
        db = await databases.describe("cluster", ev.id);
      }
      if (!db) {
        return { decision: "skipped", reason: `${ev.kind} ${ev.id} is gone (finished already)` };
      }
      const outcome = await advanceDrill(deps, db, ev.time);
      if (outcome.decision === "retry") {
        // Restored but not usable yet (RDS may still be configuring it): SQS tries again after
        // the visibility timeout; the next drill run finishes it if every retry is early.
        throw new NotReadyYet(outcome.reason);
      }
      return outcome;
    });
}

/**
 * One step of a drill, whoever calls it (an event, or the next drill run): what the database's
 * state asks for. `availableAt` is when RDS said the restore finished, for the RTO (now when
 * unknown: then the RTO is an upper bound).
 */
export async function advanceDrill(
  deps: FailsafeDeps,
  db: RestoredDatabase,
  availableAt: Date | undefined,
): Promise<Outcome> {
  if (!isDrillDatabase(db.id, db.tags)) {
    return {
      decision: "skipped",
      reason: `${db.kind} ${db.id} is named like a drill but not tagged ${DRILL_TAG.drill}=true: not ours, left alone`,
    };
  }
  const settings = drillSettingsOf(deps.settings);
  const phase = drillPhase(db, deps.clock(), settings.drillTimeoutHours);
  switch (phase.phase) {
    case "finished":
      return deleteDrill(deps, db, `verified already (${db.tags[DRILL_TAG.result]})`);
    case "ready":
      return finishDrill(deps, db, availableAt);
    case "failed":
      return finishDrill(deps, db, availableAt, phase.why);
    case "needs-instance":
      return createMember(deps, db);
    case "in-progress":
      return {
        decision: "retry",
        reason: `drill ${db.kind} ${db.id} is ${phase.status}, not available yet`,
        drill: db.id,
      };
  }
}

async function createMember(deps: FailsafeDeps, cluster: RestoredDatabase): Promise<Outcome> {
  const instanceClass = cluster.tags[DRILL_TAG.instanceClass];
  if (!instanceClass || !cluster.engine) {
    return finishDrill(
      deps,
      cluster,
      undefined,
      `the drill cluster has no ${DRILL_TAG.instanceClass} tag or engine`,
    );
  }
  const id = drillMemberIdentifier(cluster.id);
  const created = await new RdsDatabases(deps.rds).createClusterInstance({
    id,
    clusterId: cluster.id,
    engine: cluster.engine,
    instanceClass,
    tags: drillTags(cluster.tags),
  });
  return {
    decision: "started",
    reason: `drill cluster ${cluster.id} is up: ${created === "created" ? "created" : "found"} its instance ${id} (${instanceClass})`,
    drill: cluster.id,
  };
}

/** The drill's own tags, carried from the cluster to its instance. */
function drillTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).filter(([key]) => key.startsWith("failsafe:drill")),
  );
}

/**
 * Verifies a drill database against the copy it was restored from (or records why it failed),
 * records the result on the copy and on the drill database, publishes the figures, tells ops about a
 * failure, then deletes the drill database. The result tag on the drill database comes before the
 * delete: a repeated call (SQS retry, the next run) only deletes.
 */
export async function finishDrill(
  deps: FailsafeDeps,
  db: RestoredDatabase,
  availableAt: Date | undefined,
  failure?: string,
): Promise<Outcome> {
  const now = deps.clock();
  const copyArn = db.tags[DRILL_TAG.copy] ?? "";
  const ref = parseSnapshotArn(copyArn);
  const copy =
    typeof ref === "string" ? undefined : await snapshots(deps).describeSnapshot(ref.kind, ref.id);
  const problems = failure
    ? [failure]
    : copy
      ? verifyRestore(copy, db, deps.settings.vaultKmsKeyArn)
      : [
          `the copy ${copyArn || "(not tagged)"} no longer exists: nothing to compare the restore with`,
        ];
  const result: DrillResult = problems.length === 0 ? "pass" : "fail";
  const started = parseTime(db.tags[DRILL_TAG.started]);
  const end = availableAt && availableAt <= now ? availableAt : now;
  const rtoSeconds = started
    ? Math.max(0, Math.round((end.getTime() - started.getTime()) / 1000))
    : undefined;
  const source = db.tags[DRILL_TAG.source] ?? copy?.sourceId ?? db.id;
  const rds = snapshots(deps);
  if (copy) {
    await rds.addTags(copy.arn, {
      [DRILL_TAG.lastDrill]: now.toISOString(),
      [DRILL_TAG.result]: result,
      [DRILL_TAG.rtoSeconds]:
        result === "pass" && rtoSeconds !== undefined ? String(rtoSeconds) : "",
      [DRILL_TAG.problem]: tagValue(problems.join("; ")),
    });
  }
  await rds.addTags(db.arn, { [DRILL_TAG.result]: result });

  if (result === "pass" && rtoSeconds !== undefined) {
    deps.metrics.gauge("DrillRtoSeconds", rtoSeconds, { Source: source });
  }
  deps.metrics.gauge("DrillPassed", result === "pass" ? 1 : 0, { Source: source });
  deps.metrics.count("DrillFailures", result === "fail" ? 1 : 0);
  deps.metrics.count("DrillsCompleted", 1);
  deps.metrics.flush();
  if (result === "fail") {
    await notify(
      deps,
      deps.settings.opsTopicArn,
      "drill-verify",
      `rds-failsafe: restore drill FAILED for ${source.split("/").pop() ?? source}`,
      {
        event: "drill-failed",
        source,
        lineage: db.tags[DRILL_TAG.lineage],
        copy: copyArn,
        drillDatabase: db.id,
        problems,
        whatToDo:
          "The copy did not restore as it must. Check the copy (npx rds-failsafe copies --source <id>) and restore an older one to confirm; the drill database is deleted.",
      },
    );
  }
  const deleted = await deleteDrill(deps, db, `drill ${result}`);
  return {
    decision: result === "pass" ? "verified" : "failed",
    reason: `${result === "pass" ? "restore verified" : `restore failed: ${problems.join("; ")}`}${rtoSeconds !== undefined ? ` (RTO ${rtoSeconds} s)` : ""}; ${deleted.reason}`,
    drill: db.id,
    source,
    copy: copy?.id,
    result,
    rtoSeconds,
  };
}

/**
 * Deletes a drill database: a cluster's drill instances first, then the cluster (RDS refuses to
 * delete a cluster with instances not being deleted), no final snapshot, automated backups too.
 * Only what is named and tagged as a drill; anything else in a drill cluster stops the delete.
 */
export async function deleteDrill(
  deps: FailsafeDeps,
  db: RestoredDatabase,
  why: string,
): Promise<Outcome> {
  if (!isDrillDatabase(db.id, db.tags)) {
    return { decision: "skipped", reason: `${db.id} is not a drill database: not deleted` };
  }
  const databases = new RdsDatabases(deps.rds);
  if (db.kind === "instance") {
    await databases.deleteInstance(db.id);
    return { decision: "deleted", reason: `${why}: drill instance ${db.id} deleted`, drill: db.id };
  }
  const foreign = db.members.filter((m) => !isDrillDatabase(m.id, m.tags));
  if (foreign.length > 0) {
    return {
      decision: "failed",
      reason: `drill cluster ${db.id} has instances that are not drills (${foreign.map((m) => m.id).join(", ")}): not deleted`,
      drill: db.id,
    };
  }
  for (const member of db.members) {
    await databases.deleteInstance(member.id);
  }
  try {
    await databases.deleteCluster(db.id);
  } catch (err) {
    // RDS may not see the instance as deleting yet: the next event or run deletes the cluster.
    return {
      decision: "deleted",
      reason: `${why}: drill instances of ${db.id} deleted, the cluster not yet (${errorMessage(err)})`,
      drill: db.id,
    };
  }
  return { decision: "deleted", reason: `${why}: drill cluster ${db.id} deleted`, drill: db.id };
}
