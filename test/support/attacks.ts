// The attack suite: what a hostile prod admin (and a failsafe-account admin) would do, played
// against the deployed code on the two-account emulator in simulated time (attack-sim.ts), one
// row per attack. `npm run attacks` (scripts/attacks.ts) runs it at full size and writes
// bench/attacks.md; test/attacks.test.ts runs the same scenarios small. docs/attacks.md says what
// each column means.
//
// Definitions (the row's figures):
// - victims: the protected databases the scenario creates, by their resource id (DbiResourceId /
//   DbClusterResourceId) before the attack. A GENUINE COPY is a failsafe copy that belongs to a
//   victim's lineage AND carries the id the pipeline gives the copy of an automated snapshot RDS
//   took of that database (so a junk copy squatting the name, or a copy of another database, is
//   not genuine), and is `available`.
// - before / after: genuine copies when the attack starts / when the run ends.
// - LOST: genuine copies that existed at any time after the attack started and are gone at the
//   end although the product's own retention rules (planRetention with the deployed settings,
//   over the genuine copies alone, at the end) keep them. Copies retention deletes in an
//   attack-free run are not lost; a copy deleted because junk pushed the window is.
// - unsaved: automated backups RDS took of a victim after the attack started (up to an hour
//   before the end) of which no genuine copy exists at the end: what the attacker starved.
// - detection: the first signal on the FAILSAFE account's ops topic after the attack started:
//   a notification the deployed functions published, or a state change to ALARM or
//   INSUFFICIENT_DATA (with actions) of one of the program's alarms, evaluated by
//   alarm-eval.ts over the datapoints the deployed code emitted. Prod-side alarms are listed
//   apart: they are in the attacker's own account, who can delete or mute them.
// - undetected: an attack with no failsafe-side signal within rpoHours + one sweep period.
import { randomUUID } from "node:crypto";
import {
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import { PublishCommand } from "@aws-sdk/client-sns";
import { ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import { EVENT_IDS, HANDOFF_VERSION } from "../../handlers/events";
import { copyTime, lineageOf } from "../../handlers/lineage";
import { failsafeCopyId, managedSnapshotId, type SnapshotKind } from "../../handlers/naming";
import { RdsSnapshots, type SnapshotInfo } from "../../handlers/rds";
import { planRetention, toRetentionCopy } from "../../handlers/retention";
import { TAG, toTagList } from "../../handlers/tags";
import { NAMES } from "../../components/names";
import {
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  setEmulatorLimits,
  type EmulatorLimits,
} from "../harness";
import { baseConfig, evaluateProgram, ofType, type Evaluation } from "../program/support";
import { orgGuardConfig } from "../program/org-guard-support";
import { evaluateAlarm } from "./alarm-eval";
import { AttackSim, DAY, HOUR, MINUTE, BACKUP_MINUTE, rateMs } from "./attack-sim";
import { FUNCTIONS } from "./deployed";
import { simulate, type Decision, type SimulateRequest } from "./iam-sim";

export interface AttackSize {
  readonly label: "full" | "small";
  /** The stack config the program is evaluated with. */
  readonly config: Record<string, string>;
  /** Hours of normal operation before the attack (from a midnight; genuine copies to lose). */
  readonly historyHours: number;
  /** Attack 2: days the re-created database is fed. */
  readonly recreateDays: number;
  /** Attack 5: forged hand-offs published. */
  readonly forgedHandoffs: number;
  /** The manual-snapshot quota per kind and account of the quota flood (AWS default 100). */
  readonly snapshotQuota: number;
  /** Days the long-running attacks (cluster freshness forgery, corruption) are run. */
  readonly longDays: number;
}

/**
 * The program's defaults, but for the restore drills: they are not played here (their restore
 * events come from the drill harness, test/support/drills.ts), and drills that never run would
 * fire rds-failsafe-drill-overdue after drillMaxAgeDays in every long row — a signal about the
 * simulation, not about the attack. A drill would not see an attack anyway: a copy of corrupted
 * data restores fine.
 */
const NO_DRILLS = { drills: "false" };

export const FULL: AttackSize = {
  label: "full",
  config: { ...baseConfig("both"), ...NO_DRILLS },
  historyHours: 8 * 24 + 12,
  recreateDays: 40,
  forgedHandoffs: 1000,
  snapshotQuota: 100,
  longDays: 40,
};

/** Retention shortened (2 days, 2 copies) so that the same rules bite within a few days. */
export const SMALL: AttackSize = {
  label: "small",
  config: { ...baseConfig("both"), ...NO_DRILLS, retentionDays: "2", minCopies: "2" },
  historyHours: 12,
  recreateDays: 3,
  forgedHandoffs: 60,
  snapshotQuota: 12,
  longDays: 3,
};

export interface Signal {
  readonly at: number;
  readonly what: string;
  /** Hours after the attack started. */
  readonly afterHours: number;
}

export interface AttackRow {
  readonly id: string;
  readonly attack: string;
  readonly before?: number;
  readonly after?: number;
  readonly lost?: number;
  readonly unsaved?: number;
  /** Failsafe-side signals after the attack started, in time order. */
  readonly signals: readonly Signal[];
  /** Prod-side alarm changes (the attacker's own account). */
  readonly prodSignals: readonly Signal[];
  /** A failsafe-side signal within rpoHours + one sweep, or nothing happened to detect. */
  readonly detected: boolean;
  /** Why an undetected attack cannot be detected (for the final line). */
  readonly undetectedWhy?: string;
  /** What the product stopped, and what it did not: the honest sentence of the row. */
  readonly verdict: string;
  readonly figures: Readonly<Record<string, string | number>>;
  readonly simulatedHours?: number;
  readonly wallSeconds: number;
}

type Victim = { kind: SnapshotKind; id: string; resourceId: string };

/** Everything a scenario needs while it runs. */
class Run {
  readonly victims: Victim[] = [];
  /** Scenario figures recorded while it runs. */
  readonly figures: Record<string, string | number> = {};
  /** Failsafe copy ids the attacker's forged intermediates would get. */
  readonly forged = new Set<string>();
  attackStart = 0;
  /** Genuine copies when the attack started. */
  before = 0;
  private readonly seen = new Map<string, SnapshotInfo>();
  constructor(
    readonly sim: AttackSim,
    readonly size: AttackSize,
  ) {}

  get prod() {
    return this.sim.world.prod;
  }

  get rules() {
    const s = this.sim.failsafeSettings;
    return {
      retentionDays: Number(s.retentionDays ?? 31),
      minCopies: Number(s.minCopies ?? 7),
      freezeAfterHours: Number(s.freezeAfterHours ?? 48),
      rpoHours: Number(s.rpoHours ?? 26),
    };
  }

  /** rpoHours + one failsafe sweep period: the detection window. */
  get windowHours(): number {
    const sweep = ofType(this.sim.code.program, "aws:cloudwatch/eventRule:EventRule").find(
      (r) => r.inputs.name === `${FUNCTIONS.failsafeSweep}-schedule`,
    );
    return this.rules.rpoHours + rateMs(String(sweep?.inputs.scheduleExpression)) / HOUR;
  }

  async protectInstance(id: string): Promise<void> {
    const snapshot = await this.sim.world.createInstance(id, { tagged: true, encryption: "cmk" });
    this.sim.recordAutomated(snapshot, snapshot.id, "instance", id);
    this.victims.push({ kind: "instance", id, resourceId: snapshot.resourceId ?? "" });
  }

  async protectCluster(id: string): Promise<void> {
    const snapshot = await this.sim.world.createCluster(id, { tagged: true, encryption: "cmk" });
    this.sim.recordAutomated(snapshot, snapshot.id, "cluster", id);
    this.victims.push({ kind: "cluster", id, resourceId: snapshot.resourceId ?? "" });
  }

  /** The times of the automated backups RDS took of each victim (by resource id). */
  private backupTimes(): Map<string, number[]> {
    const times = new Map<string, number[]>();
    for (const a of this.sim.automated) {
      if (!a.resourceId || !this.victims.some((v) => v.resourceId === a.resourceId)) continue;
      times.set(a.resourceId, [...(times.get(a.resourceId) ?? []), a.at]);
    }
    return times;
  }

  /**
   * A genuine copy: available, of a victim's lineage, and holding the data of an automated backup
   * RDS took of it: its recorded data time is that backup's (RDS names cluster snapshots to the
   * minute, and a copy made from the intermediate's own creation time is a little later).
   */
  isGenuine(copy: SnapshotInfo, times = this.backupTimes()): boolean {
    const lineage = lineageOf(copy);
    const data = copyTime(copy)?.getTime();
    return (
      copy.status === "available" &&
      lineage !== undefined &&
      lineage.account === PROD_ACCOUNT &&
      data !== undefined &&
      this.victims.some((v) => v.kind === lineage.kind && v.resourceId === lineage.resourceId) &&
      (times.get(lineage.resourceId) ?? []).some((at) => matches(data, at))
    );
  }

  /** The genuine copies now (and remembered as seen). */
  async genuine(): Promise<SnapshotInfo[]> {
    const times = this.backupTimes();
    const found = (await this.sim.failsafeSnapshots()).filter((c) => this.isGenuine(c, times));
    if (this.attackStart) for (const c of found) this.seen.set(c.id, c);
    return found;
  }

  /** Runs normal operation for the history, then marks the attack start (12:00 of that day). */
  async history(): Promise<number> {
    // The ledger looks at the copies four times a simulated day (retention deletes nothing
    // younger than a day, so no genuine copy can come and go unseen).
    this.sim.every(6 * HOUR, 5 * HOUR, "ledger", async () => {
      await this.genuine();
    });
    await this.startAttackAt(this.sim.t0 + this.size.historyHours * HOUR);
    return this.before;
  }

  /** Runs normal operation up to `at`, where the attack starts. */
  async startAttackAt(at: number): Promise<void> {
    await this.sim.runUntil(at);
    this.attackStart = this.sim.now();
    this.before = (await this.genuine()).length;
  }

  /** The row's figures at the end. */
  async outcome(): Promise<{ after: number; lost: number; unsaved: number; restores: string }> {
    const end = await this.genuine();
    const present = new Set(end.map((c) => c.id));
    const plan = planRetention(
      [...this.seen.values()].map(toRetentionCopy),
      new Date(this.sim.now()),
      this.rules,
    );
    const lost = plan.filter((d) => d.action === "keep" && !present.has(d.id)).length;
    const rids = new Set(this.victims.map((v) => v.resourceId));
    // Never saved (a copy saved and later deleted by retention was saved).
    const saved = [...this.seen.values(), ...end].map((c) => ({
      rid: lineageOf(c)?.resourceId,
      data: copyTime(c)?.getTime() ?? 0,
    }));
    const unsaved = this.sim.automated.filter(
      (a) =>
        a.resourceId &&
        rids.has(a.resourceId) &&
        a.at >= this.attackStart &&
        a.at < this.sim.now() - HOUR &&
        !saved.some((c) => c.rid === a.resourceId && matches(c.data, a.at)),
    ).length;
    return { after: end.length, lost, unsaved, restores: await this.restoreNewest(end) };
  }

  /** Restores the newest genuine copy of each victim in the failsafe account (then deletes it). */
  private async restoreNewest(copies: SnapshotInfo[]): Promise<string> {
    const results: string[] = [];
    for (const victim of this.victims) {
      const newest = copies
        .filter((c) => c.kind === victim.kind && lineageOf(c)?.resourceId === victim.resourceId)
        .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))[0];
      if (!newest) {
        results.push(`${victim.id}: no copy`);
        continue;
      }
      const rds = this.sim.world.failsafe.rds;
      const name = `restore-check-${victim.id}`;
      try {
        if (victim.kind === "instance") {
          await rds.send(
            new RestoreDBInstanceFromDBSnapshotCommand({
              DBInstanceIdentifier: name,
              DBSnapshotIdentifier: newest.id,
              DBInstanceClass: "db.t3.micro",
            }),
          );
          await rds.send(
            new DeleteDBInstanceCommand({ DBInstanceIdentifier: name, SkipFinalSnapshot: true }),
          );
        } else {
          await rds.send(
            new RestoreDBClusterFromSnapshotCommand({
              DBClusterIdentifier: name,
              SnapshotIdentifier: newest.id,
              Engine: newest.engine ?? "aurora-postgresql",
            }),
          );
          await rds.send(
            new DeleteDBClusterCommand({ DBClusterIdentifier: name, SkipFinalSnapshot: true }),
          );
        }
        results.push(`${victim.id}: restores`);
      } catch (err) {
        results.push(`${victim.id}: restore FAILED (${(err as Error).name})`);
      }
    }
    return results.join(", ");
  }

  /** Signals on each side from the attack start to the end. */
  signals(): { failsafe: Signal[]; prod: Signal[] } {
    const failsafe: Signal[] = [];
    const prod: Signal[] = [];
    const since = (at: number) => (at - this.attackStart) / HOUR;
    for (const alarm of this.sim.alarms) {
      for (const t of evaluateAlarm(alarm, this.sim.datapoints, this.sim.t0, this.sim.now())) {
        if (t.at < this.attackStart || t.to === "OK" || t.actions.length === 0) continue;
        const signal = { at: t.at, what: `${alarm.name} → ${t.to}`, afterHours: since(t.at) };
        const accounts = new Set(t.actions.map((a) => a.split(":")[4]));
        (accounts.has(FAILSAFE_ACCOUNT) ? failsafe : prod).push(signal);
      }
    }
    for (const n of this.sim.notifications) {
      if (n.at >= this.attackStart) {
        failsafe.push({ at: n.at, what: `ops: "${n.subject}"`, afterHours: since(n.at) });
      }
    }
    const byTime = (a: Signal, b: Signal) => a.at - b.at;
    return { failsafe: failsafe.sort(byTime), prod: prod.sort(byTime) };
  }

  // ---- what the prod admin can do -------------------------------------------------------------

  /** The next automated snapshot id RDS will give `id` (the backup window is fixed and known). */
  nextAutomatedId(id: string, after = this.sim.now()): { snapshotId: string; at: number } {
    const day = Math.floor(after / DAY) * DAY;
    let at = day + BACKUP_MINUTE * MINUTE;
    if (at <= after) at += DAY;
    const stamp = new Date(at).toISOString().slice(0, 16).replace(/[T:]/g, "-");
    return { snapshotId: `rds:${id}-${stamp}`, at };
  }

  async deleteDatabase(kind: SnapshotKind, id: string): Promise<number> {
    const rds = this.prod.rds;
    if (kind === "instance") {
      await rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
    } else {
      await rds.send(
        new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }),
      );
    }
    // "and all its prod snapshots": automated ones left behind and every manual one of it,
    // the failsafe-* intermediates included.
    let deleted = 0;
    const snapshots = new RdsSnapshots(rds);
    for (const type of ["automated", "manual"] as const) {
      for await (const s of snapshots.listSnapshots(kind, type, id)) {
        await this.deleteProdSnapshot(kind, s.id);
        deleted += 1;
      }
    }
    return deleted;
  }

  async deleteProdSnapshot(kind: SnapshotKind, id: string): Promise<void> {
    await new RdsSnapshots(this.prod.rds).delete(kind, id);
  }

  async share(kind: SnapshotKind, id: string): Promise<void> {
    await new RdsSnapshots(this.prod.rds).shareWith(kind, id, FAILSAFE_ACCOUNT);
  }

  /** CreateDBSnapshot of a prod database, tagged as the attacker likes; RDS emits 0042. */
  async manualSnapshot(dbId: string, snapshotId: string, tags: Record<string, string>) {
    await this.prod.rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: dbId,
        DBSnapshotIdentifier: snapshotId,
        Tags: toTagList(tags),
      }),
    );
    this.sim.rdsEvent(
      PROD_ACCOUNT,
      EVENT_IDS.manualInstanceSnapshotCreated,
      "instance",
      snapshotId,
    );
  }

  /** CopyDB(Cluster)Snapshot in prod, tagged as the attacker likes; RDS emits 0197 when done. */
  async copyInProd(
    kind: SnapshotKind,
    source: string,
    target: string,
    tags: Record<string, string>,
    kmsKeyId?: string,
  ): Promise<void> {
    await new RdsSnapshots(this.prod.rds).copy({ kind, source, target, kmsKeyId, tags });
    this.sim.copyFinishedLater(PROD_ACCOUNT, kind, target);
  }

  async untag(kind: SnapshotKind, id: string): Promise<void> {
    await this.prod.rds.send(
      new RemoveTagsFromResourceCommand({
        ResourceName: `arn:aws:rds:${REGION}:${PROD_ACCOUNT}:${kind === "instance" ? "db" : "cluster"}:${id}`,
        TagKeys: ["Failsafe"],
      }),
    );
  }

  /** Every day at `minuteOfDay`, from the attack on, until the end of the run. */
  daily(minuteOfDay: number, label: string, run: () => Promise<void>): void {
    const first = Math.floor(this.sim.now() / DAY) * DAY + minuteOfDay * MINUTE;
    const schedule = (at: number) =>
      this.sim.at(at, label, async () => {
        schedule(at + DAY);
        await run();
      });
    schedule(first <= this.sim.now() ? first + DAY : first);
  }
}

/** A copy's data time is an automated backup's: from a minute before to ten minutes after. */
function matches(dataTime: number, backupAt: number): boolean {
  return dataTime >= backupAt - MINUTE && dataTime <= backupAt + 10 * MINUTE;
}

interface Scenario {
  readonly id: string;
  readonly attack: (size: AttackSize) => string;
  /** Protect the Aurora cluster `ledger` instead of the instance `orders`. */
  readonly cluster?: boolean;
  readonly limits?: (size: AttackSize) => EmulatorLimits;
  /** Hours to run after the attack started (default: the detection window + 1 h). */
  readonly hours?: (size: AttackSize, run: Run) => number;
  /** Does the attack (and schedules what it keeps doing); returns scenario figures. */
  readonly act: (run: Run) => Promise<void> | void;
  /** Figures to add at the end. */
  readonly figures?: (
    run: Run,
  ) => Promise<Record<string, string | number>> | Record<string, string | number>;
  /** The honest sentence: what is prevented, what is only detected (or not), and why. */
  readonly verdict: (row: Omit<AttackRow, "verdict">, run: Run) => string;
  /** When the attack may go unseen: why (the final line says it). */
  readonly undetectedWhy?: string;
}

const junkTags = (sourceId: string, resourceId: string) => ({
  [TAG.managed]: "true",
  [TAG.sourceAccount]: PROD_ACCOUNT,
  [TAG.sourceKind]: "instance",
  [TAG.sourceId]: sourceId,
  [TAG.sourceResourceId]: resourceId,
});

const first = (row: Omit<AttackRow, "verdict">) => row.signals[0];
const firstText = (row: Omit<AttackRow, "verdict">) => {
  const s = first(row);
  return s ? `${s.what} after ${s.afterHours.toFixed(1)} h` : "nothing fired";
};
const lostText = (row: Omit<AttackRow, "verdict">) =>
  row.lost === 0 ? "no genuine copy lost" : `${row.lost} genuine copies LOST`;

export const SCENARIOS: readonly Scenario[] = [
  {
    id: "0",
    attack: () => "control: no attack (the same days of normal operation)",
    act: () => {},
    verdict: (row) =>
      row.signals.length === 0
        ? "no alarm and no notification: the signals below are not noise"
        : `FALSE ALARMS: ${row.signals.map((s) => s.what).join("; ")}`,
  },
  {
    id: "1",
    attack: () =>
      "deletes the protected DB instance and all its prod snapshots (automated + intermediates)",
    act: async (run) => {
      await run.deleteDatabase("instance", "orders");
    },
    verdict: (row) =>
      `prevented: the failsafe copies are out of prod's reach (${lostText(row)}); detected by the RPO breach of its lineage (${firstText(row)})`,
  },
  {
    id: "2",
    attack: (size) =>
      `deletes the DB, re-creates \`orders\` (tagged) and lets it back up daily for ${size.recreateDays} days`,
    hours: (size) => size.recreateDays * 24,
    act: async (run) => {
      await run.deleteDatabase("instance", "orders");
      await run.sim.world.createInstance("orders", { tagged: true, encryption: "cmk" });
    },
    figures: async (run) => {
      const junk = (await run.sim.failsafeSnapshots()).filter(
        (c) => lineageOf(c)?.sourceId === "orders" && !run.isGenuine(c),
      );
      // Retention's own decision lines: the copy ids it deleted, per lineage.
      const deletedJunk = new Set(
        run.sim.decisions
          .filter(
            (d) =>
              typeof d.lineage === "string" &&
              Array.isArray(d.deleted) &&
              !run.victims.some((v) => String(d.lineage).endsWith(`/${v.resourceId}`)),
          )
          .flatMap((d) => d.deleted as string[]),
      ).size;
      return {
        "copies of the new lineage kept": junk.length,
        "copies of the new lineage deleted by retention": deletedJunk,
      };
    },
    verdict: (row) =>
      `prevented: the new database is a new lineage, the old one freezes (${lostText(row)}; retention deleted ${row.figures["copies of the new lineage deleted by retention"]} copies of the new lineage only); detected by the "re-created" notice (${firstText(row)}); no RPO breach for the old lineage (superseded)`,
  },
  {
    id: "3",
    attack: () => "removes the selection tag `Failsafe=True` from the DB",
    act: async (run) => {
      await run.untag("instance", "orders");
    },
    verdict: (row) =>
      `not prevented (a prod admin decides what is tagged): ${row.unsaved} backups not copied; the copies kept freeze (${lostText(row)}); detected by the RPO breach (${firstText(row)})`,
  },
  {
    id: "4",
    attack: () =>
      "creates and shares `failsafe-orders-<next backup stamp>` snapshots (tagged failsafe:managed=true, forged source tags) of an unrelated DB, every day before the backup",
    act: async (run) => {
      await run.sim.world.createInstance("scratch", { encryption: "cmk" });
      const genuineRid = run.victims[0]?.resourceId ?? "";
      const squat = async () => {
        const next = run.nextAutomatedId("orders");
        const id = managedSnapshotId("instance", next.snapshotId);
        if (await new RdsSnapshots(run.prod.rds).describeSnapshot("instance", id)) return;
        await run.manualSnapshot("scratch", id, {
          ...junkTags("orders", genuineRid),
          [TAG.sourceTime]: new Date(run.sim.now()).toISOString(),
        });
        await run.share("instance", id);
      };
      await squat();
      run.daily(BACKUP_MINUTE - 60, "squat tomorrow's intermediate id", squat);
    },
    figures: async (run) => ({
      "junk copies saved (lineage of the unrelated DB)": (await run.sim.failsafeSnapshots()).filter(
        (c) => lineageOf(c)?.sourceId === "scratch",
      ).length,
    }),
    verdict: (row) =>
      `junk cannot join the genuine lineage (RDS names the source; ${row.figures["junk copies saved (lineage of the unrelated DB)"]} junk copies saved under the unrelated DB's own lineage; ${lostText(row)}); NOT prevented: the squatted intermediate id makes the copy function skip the real backup (${row.unsaved} backups not copied); detected by the RPO breach (${firstText(row)})`,
  },
  {
    id: "5",
    attack: (size) =>
      `publishes ${size.forgedHandoffs} forged hand-offs to the hand-off topic as the prod share role (unshared, foreign, unmanaged, automated, other-partition, missing and malformed snapshots, replays)`,
    act: async (run) => {
      await forgedHandoffs(run, run.size.forgedHandoffs);
    },
    figures: (run) => {
      const rejected = run.sim.decisions.filter(
        (d) => d.fn === FUNCTIONS.save && d.decision === "rejected" && d.at >= run.attackStart,
      ).length;
      const exists = run.sim.decisions.filter(
        (d) => d.fn === FUNCTIONS.save && d.decision === "exists" && d.at >= run.attackStart,
      ).length;
      return { "hand-offs rejected": rejected, "replays answered exists": exists };
    },
    verdict: (row) =>
      `prevented: every forged hand-off is re-checked against RDS (${row.figures["hand-offs rejected"]} rejected, ${row.figures["replays answered exists"]} replays found their copy), nothing copied or deleted (${lostText(row)}, ${row.unsaved} backups missed); detected once by the RejectedHandoffs alarm, not by ${row.figures["hand-offs rejected"]} e-mails (${firstText(row)})`,
  },
  {
    id: "6",
    attack: () =>
      "disables the prod EventBridge rules and deletes the prod functions (nothing runs in prod: no events, copies, shares or sweeps)",
    act: (run) => {
      for (const name of [
        NAMES.rule.automatedSnapshotCreated,
        NAMES.rule.managedSnapshotReady,
        `${FUNCTIONS.prodSweep}-schedule`,
      ]) {
        run.sim.disabledRules.add(name);
      }
      for (const fn of [FUNCTIONS.copy, FUNCTIONS.share, FUNCTIONS.prodSweep]) {
        run.sim.deletedFunctions.add(fn);
      }
    },
    verdict: (row) =>
      `not prevented (prod is the attacker's): ${row.unsaved} backups not copied, the copies kept freeze (${lostText(row)}); detected by the failsafe side alone, the RPO breach (${firstText(row)}); prod's own alarms are in the attacker's account and may go too`,
  },
  {
    id: "7",
    attack: () => "schedules deletion of the prod transit key while the day's copies are in flight",
    act: async (run) => {
      // From now on copies take 1 s of wall clock (emulator extension 6): long enough to be in
      // flight. The attack starts in the next backup window, once the day's copy was started.
      await setEmulatorLimits({ copySeconds: 1 });
      await run.startAttackAt(run.nextAutomatedId("orders").at + MINUTE);
      run.figures["copies in flight when the key was scheduled for deletion"] =
        await countCreating(run);
      await run.sim.world.prod.kms.send(
        new ScheduleKeyDeletionCommand({
          KeyId: run.sim.world.transitKeyArn.split("/").pop(),
          PendingWindowInDays: 7,
        }),
      );
    },
    figures: (run) => ({
      "KMSKeyNotAccessibleFault answers": run.sim.decisions.filter((d) =>
        /KMSKeyNotAccessible/.test(String(d.reason)),
      ).length,
      "save DLQ": run.sim.dlqDepth("save"),
    }),
    verdict: (row) =>
      `the copies already in the failsafe account are under the vault key and still restore (${lostText(row)}); NOT prevented: new copies fail with KMSKeyNotAccessibleFault (${row.unsaved} backups not copied; ${row.figures["save DLQ"]} hand-offs parked in the save DLQ); detected (${firstText(row)}); a prod admin may cancel the deletion within its 7-30 day window`,
  },
  {
    id: "9",
    attack: () => "turns automated backups off (BackupRetentionPeriod 0: RDS deletes them)",
    act: async (run) => {
      await run.prod.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: "orders",
          BackupRetentionPeriod: 0,
          ApplyImmediately: true,
        }),
      );
      // Setting the retention to 0 deletes the existing automated backups (RDS User Guide,
      // "Disabling automated backups").
      for await (const s of new RdsSnapshots(run.prod.rds).listSnapshots(
        "instance",
        "automated",
        "orders",
      )) {
        await run.deleteProdSnapshot("instance", s.id);
      }
    },
    verdict: (row) =>
      `not prevented: no backup is taken, so none is copied; the copies kept freeze (${lostText(row)}); detected by the RPO breach (${firstText(row)}); prod counts it as unprotected at once (prod side)`,
  },
  {
    id: "10",
    attack: () =>
      "renames the DB (`orders` → `orders-old`), removes its tag, and creates a new tagged `orders`",
    act: async (run) => {
      await run.prod.rds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: "orders",
          NewDBInstanceIdentifier: "orders-old",
          ApplyImmediately: true,
        }),
      );
      await run.untag("instance", "orders-old");
      await run.sim.world.createInstance("orders", { tagged: true, encryption: "cmk" });
    },
    verdict: (row) =>
      `the renamed DB keeps its lineage, the copies kept freeze (${lostText(row)}); NOT prevented: the real DB is no longer protected (${row.unsaved} backups not copied); detected by the "re-created" notice for the new \`orders\` (${firstText(row)}), not by an RPO breach (the old lineage counts as superseded)`,
  },
  {
    id: "11",
    attack: (size) =>
      `floods the failsafe account's manual-snapshot quota (${size.snapshotQuota} per kind): shares failsafe-* snapshots of an unrelated DB until it is full`,
    limits: (size) => ({ manualSnapshotQuota: size.snapshotQuota }),
    act: async (run) => {
      await run.sim.world.createInstance("scratch", { encryption: "cmk" });
      const flood = async () => {
        // As many as prod's own quota holds, leaving room for the real intermediates (so the
        // genuine pipeline keeps running in prod and fails in the failsafe account).
        let held = 0;
        for await (const s of new RdsSnapshots(run.prod.rds).listSnapshots("instance", "manual")) {
          if (s.id) held += 1;
        }
        for (let i = held; i < run.size.snapshotQuota - 3; i += 1) {
          const id = `failsafe-junk-${randomUUID().slice(0, 8)}`;
          await run.manualSnapshot("scratch", id, junkTags("scratch", "junk"));
          await run.share("instance", id);
        }
      };
      await flood();
      // Junk already saved in failsafe is deleted in prod, and more is made, twice more (enough
      // to fill the failsafe account at either size).
      for (let h = 1; h <= 2; h += 1) {
        run.sim.at(run.sim.now() + h * HOUR - 5 * MINUTE, "flood", async () => {
          for await (const s of new RdsSnapshots(run.prod.rds).listSnapshots(
            "instance",
            "manual",
            "scratch",
          )) {
            await run.deleteProdSnapshot("instance", s.id);
          }
          await flood();
        });
      }
    },
    figures: async (run) => ({
      "junk copies in failsafe": (await run.sim.failsafeSnapshots()).filter(
        (c) => lineageOf(c)?.sourceId === "scratch",
      ).length,
      "save DLQ": run.sim.dlqDepth("save"),
    }),
    verdict: (row) =>
      `NOT prevented: a prod admin can fill the failsafe account's quota with junk lineages (${row.figures["junk copies in failsafe"]} junk copies), after which genuine copies fail with SnapshotQuotaExceeded (${row.unsaved} backups not copied; ${lostText(row)}); detected (${firstText(row)})`,
  },
  {
    id: "12",
    attack: () =>
      "stops the real pipeline (untags) and, daily, copies an OLD automated snapshot to a new `failsafe-orders-<today>` tagged failsafe:source-time=now, so the DB looks freshly backed up",
    act: async (run) => {
      await run.untag("instance", "orders");
      await forgeFreshness(run, "instance", "orders");
    },
    figures: async (run) => forgeryFigures(run),
    verdict: (row) =>
      `prevented: the save takes the data time from RDS (OriginalSnapshotCreateTime survives copies), a forged source-time can only make a copy older (${row.figures["forged copies saved"]} forged copies saved, dated ${row.figures["their data age (h) at the end"]} h old; ${lostText(row)}); detected by the RPO breach (${firstText(row)})`,
  },
  {
    id: "13",
    cluster: true,
    attack: (size) =>
      `the same against an Aurora cluster: untags it and, daily, copies an OLD automated cluster snapshot to \`failsafe-ledger-<today>\` (forged tags), for ${size.longDays} days`,
    hours: (size) => size.longDays * 24,
    act: async (run) => {
      await run.untag("cluster", "ledger");
      await forgeFreshness(run, "cluster", "ledger");
    },
    figures: async (run) => forgeryFigures(run),
    undetectedWhy: "a copy of old cluster data looks fresh (RDS dates a cluster copy by the copy)",
    verdict: (row) =>
      row.detected && row.lost === 0
        ? `prevented: the data time of a cluster intermediate comes from the automated snapshot it was copied from (SourceDBClusterSnapshotArn, named by RDS), so the forged copies look as old as their data (${row.figures["forged copies saved"]} saved; ${lostText(row)}); detected (${firstText(row)})`
        : `NOT prevented: RDS reports a copied cluster snapshot's creation time as the copy's, so a copy of old data looks fresh: ${lostText(row)} once retention's window moved past them; ${row.detected ? `detected (${firstText(row)})` : "NOT detected: the RPO stays green"}`,
  },
  {
    id: "14",
    attack: (size) =>
      `corrupts the data in place and lets the backups go on for ${size.longDays} days (nothing else changes)`,
    hours: (size) => size.longDays * 24,
    act: (run) => {
      run.figures["corrupted at"] = new Date(run.sim.now()).toISOString();
    },
    figures: async (run) => {
      const good = (await run.genuine()).filter(
        (c) => (c.originalCreateTime?.getTime() ?? 0) < run.attackStart,
      ).length;
      return { "copies of good (pre-corruption) data left": good };
    },
    undetectedWhy: "data corrupted in place: the product sees snapshots, never their content",
    verdict: (row) =>
      `NOT detected and not preventable here: the product sees snapshots, not their content; retention keeps ${row.figures["copies of good (pre-corruption) data left"]} copies of the good data after ${Math.round((row.simulatedHours ?? 0) / 24)} days (the daily window is retentionDays; beyond it the weekly and monthly tiers keep the newest copy of each week and month: keepWeekly/keepMonthly decide how long a corruption may go unnoticed)`,
  },
];

async function countCreating(run: Run): Promise<number> {
  let n = 0;
  for (const kind of ["instance", "cluster"] as const) {
    for await (const s of new RdsSnapshots(run.prod.rds).listSnapshots(kind, "manual")) {
      if (s.status === "creating") n += 1;
    }
  }
  return n;
}

/** Daily: copy the OLDEST automated snapshot still in prod to a "fresh" managed name. */
async function forgeFreshness(run: Run, kind: SnapshotKind, dbId: string): Promise<void> {
  const victim = run.victims.find((v) => v.kind === kind) ?? run.victims[0];
  const forge = async () => {
    const automated: SnapshotInfo[] = [];
    for await (const s of new RdsSnapshots(run.prod.rds).listSnapshots(kind, "automated", dbId)) {
      automated.push(s);
    }
    const oldest = automated.sort(
      (a, b) => (a.createTime?.getTime() ?? 0) - (b.createTime?.getTime() ?? 0),
    )[0];
    if (!oldest) return;
    const stamp = new Date(run.sim.now()).toISOString().slice(0, 16).replace(/[T:]/g, "-");
    const target = `failsafe-${dbId}-${stamp}`;
    await run.copyInProd(
      kind,
      oldest.id,
      target,
      {
        ...junkTags(dbId, victim?.resourceId ?? ""),
        [TAG.sourceKind]: kind,
        [TAG.sourceSnapshot]: `rds:${dbId}-${stamp}`,
        [TAG.sourceTime]: new Date(run.sim.now()).toISOString(),
      },
      run.sim.world.transitKeyArn,
    );
    run.forged.add(failsafeCopyId(kind, PROD_ACCOUNT, target));
  };
  await forge();
  run.daily(BACKUP_MINUTE + 90, "forge a fresh-looking copy", forge);
}

async function forgeryFigures(run: Run): Promise<Record<string, string | number>> {
  const copies = (await run.sim.failsafeSnapshots()).filter((c) => run.forged.has(c.id));
  const ages = copies.map((c) => {
    const t = new Date(c.tags[TAG.sourceTime] ?? "").getTime();
    return (run.sim.now() - t) / HOUR;
  });
  return {
    "forged copies saved": copies.length,
    "their data age (h) at the end": ages.length ? Math.round(Math.min(...ages)) : "-",
  };
}

/** Forged hand-offs as a prod admin can publish them with the share role's rights. */
async function forgedHandoffs(run: Run, count: number): Promise<void> {
  const { prod, handoffTopicArn } = run.sim.world;
  // Material: an unshared managed-looking snapshot, an automated one, a genuine shared one.
  const unshared = "failsafe-orders-unshared-1";
  await run.manualSnapshot("orders", unshared, { [TAG.managed]: "true" });
  const automated = run.sim.automated.find((a) => a.kind === "instance")?.snapshotId ?? "rds:x";
  const sharedIntermediates: string[] = [];
  for await (const s of new RdsSnapshots(prod.rds).listSnapshots("instance", "manual", "orders")) {
    if (s.id !== unshared) sharedIntermediates.push(s.id);
  }
  const arn = (account: string, id: string, partition = "aws", region = REGION) =>
    `arn:${partition}:rds:${region}:${account}:snapshot:${id}`;
  const handoff = (snapshotArn: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      version: HANDOFF_VERSION,
      kind: "instance",
      snapshotArn,
      sourceId: "orders",
      sourceAccount: snapshotArn.split(":")[4] ?? PROD_ACCOUNT,
      region: snapshotArn.split(":")[3] ?? REGION,
      sharedAt: new Date(run.sim.now()).toISOString(),
      ...extra,
    });
  const variants: ((i: number) => string)[] = [
    (i) =>
      handoff(
        arn(PROD_ACCOUNT, `failsafe-orders-2099-01-01-00-${String(i % 60).padStart(2, "0")}`),
      ),
    () => handoff(arn(PROD_ACCOUNT, unshared)),
    () => handoff(arn("333333333333", "failsafe-orders-1")),
    () => handoff(arn(PROD_ACCOUNT, "orders-manual-1")),
    () => handoff(arn(PROD_ACCOUNT, automated)),
    () => handoff(arn(PROD_ACCOUNT, "failsafe-orders-1", "aws-cn", "cn-north-1")),
    () =>
      handoff(arn(PROD_ACCOUNT, sharedIntermediates[0] ?? "failsafe-x"), { sourceId: "billing" }),
    () => handoff(arn(PROD_ACCOUNT, sharedIntermediates[0] ?? "failsafe-x")),
    (i) => `{"version":1,"kind":"instance","snapshotArn":${i}`,
    () => JSON.stringify({ version: 2, kind: "instance" }),
  ];
  for (let i = 0; i < count; i += 1) {
    const variant = variants[i % variants.length]!;
    await prod.sns.send(new PublishCommand({ TopicArn: handoffTopicArn, Message: variant(i) }));
  }
  run.sim.markPublished();
}

// ---- attack 8: the failsafe account's own admin, judged by the IAM policy engine ------------

interface IamCase {
  readonly what: string;
  readonly request: SimulateRequest;
}

const ADMINISTRATOR_ACCESS = {
  name: "AdministratorAccess",
  document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};

/**
 * Attack 8: an administrator of the failsafe account (AdministratorAccess, not break-glass) tries
 * to change the vault key's policy, disable or delete the key, grant it to another account, use
 * it outside RDS, or delete copies; break-glass tries the same. Judged with the program's EMITTED
 * documents (vault key policy; with orgGuard also its SCP and RCP) by @cloud-copilot/iam-simulate.
 */
export async function iamRows(): Promise<AttackRow[]> {
  const started = Date.now();
  const plain = evaluateProgram(baseConfig("save"));
  const guarded = evaluateProgram(orgGuardConfig("save"));
  const F = FAILSAFE_ACCOUNT;
  const admin = `arn:aws:iam::${F}:role/admin`;
  const breakGlass = baseConfig("save").breakGlassPrincipalArn ?? "";
  const deploy = baseConfig("save").failsafeRoleArn ?? "";
  const vault = (e: Evaluation) => {
    const key = ofType(e, "aws:kms/key:Key").find((k) => k.name === "vault");
    if (!key) throw new Error("the program has no vault key");
    return { arn: String(key.state.arn), policy: String(key.inputs.policy) };
  };
  const org = (e: Evaluation, type: string) =>
    ofType(e, "aws:organizations/policy:Policy")
      .filter((p) => p.inputs.type === type)
      .map((p) => ({ name: `org guard ${type}`, document: String(p.inputs.content) }));
  const copyArn = `arn:aws:rds:${REGION}:${F}:snapshot:failsafe-${PROD_ACCOUNT}-orders-2026-01-01-03-00`;
  const keyCases = (e: Evaluation, principal: string): IamCase[] => {
    const key = vault(e);
    const on = (action: string, context: SimulateRequest["context"] = {}): SimulateRequest => ({
      principal,
      action,
      resource: key.arn,
      resourcePolicy: { name: "vault key policy", document: key.policy },
      identityPolicies: [ADMINISTRATOR_ACCESS],
      context: { "kms:ResourceAliases": [NAMES.keyAlias.vault], ...context },
    });
    return [
      { what: "kms:PutKeyPolicy (rewrite the vault key policy)", request: on("kms:PutKeyPolicy") },
      { what: "kms:DisableKey", request: on("kms:DisableKey") },
      { what: "kms:ScheduleKeyDeletion", request: on("kms:ScheduleKeyDeletion") },
      {
        what: "kms:CreateGrant for another account (not for an AWS resource)",
        request: on("kms:CreateGrant", {
          "kms:GrantIsForAWSResource": false,
          "kms:GranteePrincipal": `arn:aws:iam::444444444444:root`,
        }),
      },
      { what: "kms:Decrypt outside RDS", request: on("kms:Decrypt") },
    ];
  };
  const deleteCopy = (principal: string, e: Evaluation, guard: boolean): SimulateRequest => ({
    principal,
    action: "rds:DeleteDBSnapshot",
    resource: copyArn,
    identityPolicies: [ADMINISTRATOR_ACCESS],
    context: { "rds:snapshot-tag/failsafe:managed": "true" },
    ...(guard
      ? {
          scps: org(e, "SERVICE_CONTROL_POLICY"),
          rcps: org(e, "RESOURCE_CONTROL_POLICY"),
        }
      : {}),
  });
  const judge = async (c: IamCase): Promise<Decision> => (await simulate(c.request)).decision;

  const rows: AttackRow[] = [];
  const row = (id: string, attack: string, results: string[], verdict: string, harm: boolean) =>
    rows.push({
      id,
      attack,
      signals: [],
      prodSignals: [],
      detected: !harm,
      ...(harm && id === "8c"
        ? {
            undetectedWhy:
              "a failsafe-account admin deleting copies without orgGuard: IAM allows it, and no sweep remembers copies it no longer sees",
          }
        : harm
          ? { undetectedWhy: "an IAM decision the design does not expect" }
          : {}),
      verdict: `${verdict} — ${results.join("; ")}`,
      figures: {},
      wallSeconds: 0,
    });

  const adminKey = await Promise.all(
    keyCases(plain, admin).map(async (c) => `${c.what}: ${await judge(c)}`),
  );
  const bgKey = await Promise.all(
    keyCases(plain, breakGlass)
      .slice(0, 3)
      .map(async (c) => `${c.what}: ${await judge(c)}`),
  );
  const deployKey = await Promise.all(
    keyCases(plain, deploy)
      .slice(0, 3)
      .map(async (c) => `${c.what}: ${await judge(c)}`),
  );
  const adminDenied = adminKey.every((r) => /Denied$/.test(r));
  row(
    "8a",
    "failsafe-account admin (AdministratorAccess, not break-glass) attacks the vault key",
    adminKey,
    adminDenied
      ? "prevented by the program's vault key policy (no alarm needed: nothing changes)"
      : "NOT prevented",
    !adminDenied,
  );
  const bgAllowed = bgKey.every((r) => /Allowed$/.test(r));
  row(
    "8b",
    "break-glass and the deploy role on the vault key",
    [...bgKey.map((r) => `break-glass ${r}`), ...deployKey.map((r) => `deploy role ${r}`)],
    bgAllowed && deployKey.every((r) => /Denied$/.test(r))
      ? "as designed: only break-glass may delete, disable or re-policy the key; the deploy role may not"
      : "NOT as designed",
    false,
  );
  const delPlain = (await simulate(deleteCopy(admin, plain, false))).decision;
  const delGuard = (await simulate(deleteCopy(admin, guarded, true))).decision;
  const delGuardRetention = (
    await simulate(deleteCopy(`arn:aws:iam::${F}:role/${FUNCTIONS.retention}`, guarded, true))
  ).decision;
  row(
    "8c",
    "failsafe-account admin deletes failsafe copies (rds:DeleteDBSnapshot on failsafe-*)",
    [
      `without orgGuard: ${delPlain}`,
      `with orgGuard (SCP): ${delGuard}`,
      `retention role with orgGuard: ${delGuardRetention}`,
    ],
    delPlain === "Allowed"
      ? "prevented only with orgGuard (docs/org-guard.md); without it IAM allows it and NOTHING detects it (the sweep keeps no memory of copies it no longer sees)"
      : "prevented",
    delPlain === "Allowed",
  );
  // The prod admin reaching into the failsafe account: no RDS snapshot has a resource policy, and
  // the vault key policy names no prod principal.
  const prodAdmin = `arn:aws:iam::${PROD_ACCOUNT}:role/admin`;
  const key = vault(plain);
  const fromProd = await Promise.all(
    [
      {
        what: "rds:DeleteDBSnapshot on a failsafe copy",
        request: { ...deleteCopy(prodAdmin, plain, false) },
      },
      {
        what: "kms:ScheduleKeyDeletion on the vault key",
        request: {
          principal: prodAdmin,
          action: "kms:ScheduleKeyDeletion",
          resource: key.arn,
          resourcePolicy: { name: "vault key policy", document: key.policy },
          identityPolicies: [ADMINISTRATOR_ACCESS],
        },
      },
      {
        what: "kms:Decrypt with the vault key",
        request: {
          principal: prodAdmin,
          action: "kms:Decrypt",
          resource: key.arn,
          resourcePolicy: { name: "vault key policy", document: key.policy },
          identityPolicies: [ADMINISTRATOR_ACCESS],
          context: { "kms:ViaService": `rds.${REGION}.amazonaws.com` },
        },
      },
    ].map(async (c) => `${c.what}: ${await judge(c)}`),
  );
  row(
    "8d",
    "prod admin (AdministratorAccess in prod) reaches into the failsafe account",
    fromProd,
    fromProd.every((r) => /Denied$/.test(r))
      ? "prevented: nothing of the failsafe account trusts prod but the hand-off topic"
      : "NOT prevented",
    !fromProd.every((r) => /Denied$/.test(r)),
  );
  const wall = (Date.now() - started) / 1000;
  return rows.map((r) => ({ ...r, wallSeconds: wall / rows.length }));
}

/** Runs one scenario on a fresh emulator state. */
export async function runScenario(scenario: Scenario, size: AttackSize): Promise<AttackRow> {
  const started = Date.now();
  const sim = await AttackSim.create({ config: size.config });
  try {
    if (scenario.limits) await setEmulatorLimits(scenario.limits(size));
    const run = new Run(sim, size);
    if (scenario.cluster) await run.protectCluster("ledger");
    else await run.protectInstance("orders");
    await run.history();
    const windowHours = run.windowHours;
    await scenario.act(run);
    const before = run.before;
    const hours = scenario.hours?.(size, run) ?? windowHours + 1;
    await sim.runUntil(run.attackStart + hours * HOUR);
    const outcome = await run.outcome();
    const { failsafe, prod } = run.signals();
    const figures = {
      ...run.figures,
      ...(await scenario.figures?.(run)),
      "newest genuine copy": outcome.restores,
    };
    const detected =
      scenario.id === "0"
        ? failsafe.length === 0
        : failsafe.some((s) => s.afterHours <= windowHours);
    const partial = {
      id: scenario.id,
      attack: scenario.attack(size),
      before,
      after: outcome.after,
      lost: outcome.lost,
      unsaved: outcome.unsaved,
      signals: failsafe,
      prodSignals: prod,
      detected,
      figures,
      simulatedHours: hours,
      wallSeconds: (Date.now() - started) / 1000,
    };
    return {
      ...partial,
      verdict: scenario.verdict(partial, run),
      ...(detected || !scenario.undetectedWhy ? {} : { undetectedWhy: scenario.undetectedWhy }),
    };
  } finally {
    sim.stop();
  }
}

// ---- the table ------------------------------------------------------------------------------

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function signalList(signals: readonly Signal[], max = 3): string {
  if (signals.length === 0) return "—";
  const seen = new Set<string>();
  const unique = signals.filter((s) => (seen.has(s.what) ? false : (seen.add(s.what), true)));
  const shown = unique.slice(0, max).map((s) => `${s.what} (+${s.afterHours.toFixed(1)} h)`);
  return unique.length > max
    ? `${shown.join("; ")}; +${unique.length - max} more`
    : shown.join("; ");
}

export function formatTable(rows: readonly AttackRow[]): string {
  const header = [
    "| # | the attacker | genuine copies before → after | lost | backups not copied | first failsafe-side signal (simulated time after the attack) | other signals | prod-side alarms (attacker's account) | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  const lines = rows.map((r) => {
    const num = (v: number | undefined) => (v === undefined ? "—" : String(v));
    const firstSignal = r.signals[0];
    return `| ${r.id} | ${cell(r.attack)} | ${r.before === undefined ? "—" : `${r.before} → ${r.after}`} | ${num(r.lost)} | ${num(r.unsaved)} | ${firstSignal ? cell(`${firstSignal.what} (+${firstSignal.afterHours.toFixed(1)} h)`) : r.id.startsWith("8") ? "— (IAM decision, nothing happens)" : "**none**"} | ${cell(signalList(r.signals.slice(1)))} | ${cell(signalList(r.prodSignals))} | ${cell(r.verdict)}${
      Object.keys(r.figures).length
        ? ` (${cell(
            Object.entries(r.figures)
              .map(([k, v]) => `${k}: ${v}`)
              .join(", "),
          )})`
        : ""
    } |`;
  });
  return [...header, ...lines].join("\n");
}

/** `attacks: N, genuine copies lost: L, undetected: U` (the control row is not an attack). */
export function finalLine(rows: readonly AttackRow[]): string {
  // The control row and 8b (what break-glass and the deploy role may do) are not attacks.
  const attacks = rows.filter((r) => r.id !== "0" && r.id !== "8b");
  const lost = attacks.reduce((n, r) => n + (r.lost ?? 0), 0);
  const undetected = attacks.filter((r) => !r.detected);
  const line = `attacks: ${attacks.length}, genuine copies lost: ${lost}, undetected: ${undetected.length}`;
  return undetected.length === 0
    ? line
    : `${line} (${undetected.map((r) => `#${r.id}: ${r.undetectedWhy ?? "no signal within rpoHours + one sweep"}`).join("; ")})`;
}
