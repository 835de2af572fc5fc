// The attack suite's world: both accounts on the emulator, the DEPLOYED Lambda code (each
// CallbackFunction's archive from the program under mocks, in its own Lambda-like process), and
// SIMULATED TIME. One discrete-event loop plays what AWS does around the functions:
// - RDS's clock (emulator extension 10), its daily automated backups in the backup window
//   (extension 9), the expiry of automated snapshots past BackupRetentionPeriod, and the RDS
//   events (creation, copy finished) EventBridge routes to the queues by the program's own rule
//   patterns;
// - EventBridge schedules (the sweeps, at the program's rate), rules that can be disabled;
// - SQS with the program's wiring (batch size, visibility timeout, maxReceiveCount → DLQ) in
//   simulated time; the hand-off travels the emulator's real SNS topic → SQS queue;
// - the functions' clocks (moved over IPC, test/support/lambda-worker.js) and CloudWatch's view
//   of them: the EMF lines they print become datapoints, each invocation an AWS/Lambda Errors
//   datapoint, each DLQ's depth an AWS/SQS datapoint; the ops topic's messages are read from a
//   queue subscribed to it (as an e-mail subscriber would get them).
// Nothing here decides whether an attack was detected: test/support/alarm-eval.ts judges the
// recorded datapoints with the program's own alarm definitions.
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import type { SQSBatchResponse } from "aws-lambda";
import { EVENT_IDS } from "../../handlers/events";
import type { SnapshotKind } from "../../handlers/naming";
import { RdsSnapshots, type SnapshotInfo } from "../../handlers/rds";
import { dlqName, NAMES } from "../../components/names";
import {
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  setEmulatorClock,
  takeAutomatedSnapshot,
} from "../harness";
import { baseConfig, ofType } from "../program/support";
import {
  alarmDefinitions,
  emfDatapoints,
  type AlarmDefinition,
  type Datapoint,
} from "./alarm-eval";
import { deployedCode, FUNCTIONS, type DeployedCode, type QueueWiring } from "./deployed";
import { rdsSnapshotEvent } from "./events";
import { sqsRecords, STAGE_FUNCTION, STAGES, type Stage } from "./pipeline-sim";
import type { LambdaLogLine, LambdaProcess } from "./lambda-runtime";
import { createWorld, type World } from "./world";

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** When RDS takes the daily backup (the backup window), minutes after midnight UTC. */
export const BACKUP_MINUTE = 3 * 60;
/** When, within each schedule period, the sweeps' EventBridge schedules fire. */
const SWEEP_PHASE: Record<"prod-sweep" | "failsafe-sweep", number> = {
  "prod-sweep": 10 * MINUTE,
  "failsafe-sweep": 40 * MINUTE,
};
/** How long after a copy started RDS reports it finished (RDS-EVENT-0197), simulated. */
const COPY_FINISHED_AFTER = 10 * MINUTE;

interface SimMessage {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  visibleAt: number;
  readonly sentAt: number;
}

/** An SQS queue with a redrive policy, in simulated time. */
class SimQueue {
  private readonly messages = new Map<string, SimMessage>();
  readonly dlq: SimMessage[] = [];
  private seq = 0;
  sent = 0;

  constructor(
    readonly name: string,
    private readonly wiring: QueueWiring,
  ) {}

  send(body: string, now: number): void {
    this.sent += 1;
    const id = `${this.name}-${(this.seq += 1)}`;
    this.messages.set(id, { id, body, receiveCount: 0, visibleAt: now, sentAt: now });
  }

  /** Visible messages, hidden for the visibility timeout; past maxReceiveCount → the DLQ. */
  receive(now: number): SimMessage[] {
    const batch: SimMessage[] = [];
    for (const m of this.messages.values()) {
      if (batch.length >= this.wiring.batchSize) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.wiring.maxReceiveCount) {
        this.messages.delete(m.id);
        this.dlq.push(m);
        continue;
      }
      m.receiveCount += 1;
      m.visibleAt = now + this.wiring.visibilityTimeoutSeconds * 1000;
      batch.push(m);
    }
    return batch;
  }

  delete(id: string): void {
    this.messages.delete(id);
  }

  hasVisible(now: number): boolean {
    for (const m of this.messages.values()) if (m.visibleAt <= now) return true;
    return false;
  }

  /** The earliest time a hidden message becomes visible again. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) {
      if (m.visibleAt > now && (next === undefined || m.visibleAt < next)) next = m.visibleAt;
    }
    return next;
  }

  get depth(): number {
    return this.messages.size;
  }
}

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly run: () => Promise<void>;
}

export interface Notification {
  readonly at: number;
  readonly subject: string;
  /** The account whose ops topic carried it. */
  readonly account: string;
}

export interface DecisionLine extends LambdaLogLine {
  readonly at: number;
  readonly fn: string;
}

/** An automated snapshot RDS (the simulation) took, with the resource id of its database. */
export interface AutomatedSnapshot {
  readonly kind: SnapshotKind;
  readonly sourceId: string;
  readonly snapshotId: string;
  readonly resourceId: string | undefined;
  readonly at: number;
}

interface EventRule {
  readonly name: string;
  readonly pattern: Record<string, unknown>;
  readonly account: string;
  readonly stage: Stage;
}

export interface AttackSimOptions {
  /** The stack config the program is evaluated with (default: the base `both` config). */
  readonly config?: Record<string, string>;
}

/** Matches the subset of EventBridge patterns the program uses: exact values and `prefix`. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return pattern.some((p) =>
      values.some((v) =>
        p !== null && typeof p === "object" && "prefix" in p
          ? typeof v === "string" && v.startsWith(String((p as { prefix: string }).prefix))
          : p === v,
      ),
    );
  }
  if (pattern !== null && typeof pattern === "object") {
    if (event === null || typeof event !== "object") return false;
    return Object.entries(pattern).every(([k, p]) =>
      matchesPattern(p, (event as Record<string, unknown>)[k]),
    );
  }
  return pattern === event;
}

/** `rate(1 hour)`, `rate(30 minutes)`, `rate(1 day)` → milliseconds (the program's grammar). */
export function rateMs(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`the attack suite plays rate() schedules only, not ${expression}`);
  const unit = m[2]!.startsWith("minute") ? MINUTE : m[2]!.startsWith("hour") ? HOUR : DAY;
  return Number(m[1]) * unit;
}

/** The restore drills' rules (components/drills.ts): the drill schedule and the drill events. */
const isDrillRule = (name: string): boolean =>
  name === NAMES.rule.drillEvents || name === `${NAMES.fn.drill}-schedule`;

export class AttackSim {
  readonly alarms: AlarmDefinition[];
  readonly datapoints: Datapoint[] = [];
  readonly notifications: Notification[] = [];
  readonly decisions: DecisionLine[] = [];
  readonly automated: AutomatedSnapshot[] = [];
  /** Functions the attacker deleted: nothing invokes them any more. */
  readonly deletedFunctions = new Set<string>();
  /** EventBridge rules (event and schedule) the attacker disabled. */
  readonly disabledRules = new Set<string>();
  /** Function settings as the program deploys them (failsafe side). */
  readonly failsafeSettings: Record<string, unknown>;
  invocations = 0;

  private offsetMs: number;
  private readonly tasks: Task[] = [];
  private taskSeq = 0;
  private readonly processes = new Map<string, LambdaProcess>();
  private readonly clockSent = new Map<LambdaProcess, number>();
  private readonly logCursor = new Map<LambdaProcess, number>();
  private readonly queues: Record<Stage, SimQueue>;
  private readonly rules: EventRule[];
  readonly t0: number;

  private constructor(
    readonly world: World,
    readonly code: DeployedCode,
    start: number,
  ) {
    this.t0 = start;
    this.offsetMs = start - Date.now();
    const resources = code.program.resources;
    this.alarms = alarmDefinitions(resources);
    const save = ofType(code.program, "aws:lambda/function:Function").find(
      (f) => f.inputs.name === FUNCTIONS.save,
    );
    const env = (save?.inputs.environment as { variables: Record<string, string> } | undefined)
      ?.variables;
    this.failsafeSettings = JSON.parse(env?.RDS_FAILSAFE_SETTINGS ?? "{}") as Record<
      string,
      unknown
    >;
    const queues = {} as Record<Stage, SimQueue>;
    for (const stage of STAGES) {
      const wiring = code.wiring(STAGE_FUNCTION[stage]);
      if (!wiring) throw new Error(`the program wires no queue to ${STAGE_FUNCTION[stage]}`);
      queues[stage] = new SimQueue(stage, wiring);
    }
    this.queues = queues;
    // The program's event rules and the queue each one feeds (its target).
    const targets = ofType(code.program, "aws:cloudwatch/eventTarget:EventTarget");
    this.rules = ofType(code.program, "aws:cloudwatch/eventRule:EventRule")
      .filter((r) => typeof r.inputs.eventPattern === "string")
      // Restore drills are not played here (their RDS restore events are the drill harness's,
      // test/support/drills.ts; test/program/drills-deployed.test.ts runs them deployed).
      .filter((r) => !isDrillRule(String(r.inputs.name)))
      .map((r) => {
        const target = targets.find((t) => t.inputs.rule === r.inputs.name);
        const arn = typeof target?.inputs.arn === "string" ? target.inputs.arn : "";
        const stage = STAGES.find((s) => arn.endsWith(`:rds-failsafe-${s}`));
        if (!stage) throw new Error(`rule ${String(r.inputs.name)} feeds no known queue (${arn})`);
        return {
          name: String(r.inputs.name),
          pattern: JSON.parse(String(r.inputs.eventPattern)) as Record<string, unknown>,
          account: arn.split(":")[4] ?? "",
          stage,
        };
      });
  }

  /**
   * A fresh two-account world at a simulated midnight (the next UTC day), the program's deployed
   * code, its sweeps scheduled at the program's rate, RDS's daily backups scheduled.
   */
  static async create(options: AttackSimOptions = {}): Promise<AttackSim> {
    const world = await createWorld();
    const code = await deployedCode(world, options.config ?? baseConfig("both"));
    const start = Math.ceil(Date.now() / DAY) * DAY + DAY;
    const sim = new AttackSim(world, code, start);
    await setEmulatorClock(sim.offsetMs);
    for (const rule of ofType(code.program, "aws:cloudwatch/eventRule:EventRule")) {
      const expression = rule.inputs.scheduleExpression;
      if (typeof expression !== "string" || isDrillRule(String(rule.inputs.name))) continue;
      const which = String(rule.inputs.name).includes("prod-sweep")
        ? "prod-sweep"
        : "failsafe-sweep";
      sim.every(rateMs(expression), SWEEP_PHASE[which], `${which} schedule`, async () => {
        if (!sim.disabledRules.has(String(rule.inputs.name))) await sim.sweep(which);
      });
    }
    sim.every(DAY, BACKUP_MINUTE * MINUTE, "RDS backup window", () => sim.backupWindow());
    return sim;
  }

  /** Simulated now (epoch ms). */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Runs `run` at `at` (simulated). */
  at(at: number, label: string, run: () => Promise<void>): void {
    this.tasks.push({ at, seq: (this.taskSeq += 1), label, run });
  }

  /** Runs `run` every `periodMs`, `phaseMs` into each period, from the start on. */
  every(periodMs: number, phaseMs: number, label: string, run: () => Promise<void>): void {
    const first = Math.floor(this.t0 / periodMs) * periodMs + phaseMs;
    const schedule = (at: number) =>
      this.at(at, label, async () => {
        schedule(at + periodMs);
        await run();
      });
    schedule(first < this.t0 ? first + periodMs : first);
  }

  /** Plays everything due up to `end` (simulated), in order, with the queues drained after each. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      const nextTask = this.tasks.reduce<number | undefined>(
        (min, t) => (min === undefined || t.at < min ? t.at : min),
        undefined,
      );
      const now = this.now();
      const nextVisible = STAGES.map((s) => this.queues[s].nextVisibleAt(now)).reduce<
        number | undefined
      >((min, t) => (t !== undefined && (min === undefined || t < min) ? t : min), undefined);
      const next = [nextTask, nextVisible].reduce<number | undefined>(
        (min, t) => (t !== undefined && (min === undefined || t < min) ? t : min),
        undefined,
      );
      if (next === undefined || next > end) break;
      await this.moveTo(next);
      const due = this.tasks
        .filter((t) => t.at <= this.now())
        .sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const task of due) {
        this.tasks.splice(this.tasks.indexOf(task), 1);
        await task.run();
      }
      await this.drain();
    }
    await this.moveTo(end);
    await this.drain();
  }

  async runHours(hours: number): Promise<void> {
    await this.runUntil(this.now() + hours * HOUR);
  }

  /** Moves simulated time forward to `t`: RDS's clock and every function's clock. */
  private async moveTo(t: number): Promise<void> {
    if (t <= this.now()) return;
    this.offsetMs = t - Date.now();
    await setEmulatorClock(this.offsetMs);
  }

  // ---- RDS -------------------------------------------------------------------------------

  /**
   * The daily backup window: RDS takes an automated snapshot of every database with automated
   * backups on (BackupRetentionPeriod ≥ 1; Aurora members are backed up as their cluster),
   * emits RDS-EVENT-0091 / 0169, and deletes automated snapshots older than the retention period.
   */
  async backupWindow(): Promise<void> {
    const prod = this.world.prod.rds;
    const instances = (await prod.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    const clusters = (await prod.send(new DescribeDBClustersCommand({}))).DBClusters ?? [];
    const databases = [
      ...instances
        .filter((d) => !d.DBClusterIdentifier)
        .map((d) => ({
          kind: "instance" as const,
          id: d.DBInstanceIdentifier ?? "",
          retention: d.BackupRetentionPeriod ?? 0,
        })),
      ...clusters.map((c) => ({
        kind: "cluster" as const,
        id: c.DBClusterIdentifier ?? "",
        retention: c.BackupRetentionPeriod ?? 0,
      })),
    ];
    for (const db of databases) {
      if (db.retention < 1) continue;
      const { snapshotId } = await takeAutomatedSnapshot({
        account: PROD_ACCOUNT,
        kind: db.kind,
        id: db.id,
        time: new Date(this.now()),
      });
      const info = await new RdsSnapshots(prod).describeSnapshot(db.kind, snapshotId);
      this.recordAutomated(info, snapshotId, db.kind, db.id);
      this.rdsEvent(
        PROD_ACCOUNT,
        db.kind === "instance"
          ? EVENT_IDS.automatedInstanceSnapshotCreated
          : EVENT_IDS.automatedClusterSnapshotCreated,
        db.kind,
        snapshotId,
      );
      await this.expireAutomated(db.kind, db.id, db.retention);
    }
  }

  /** Records an automated snapshot RDS took (the one moto makes at creation, too). */
  recordAutomated(
    info: SnapshotInfo | undefined,
    snapshotId: string,
    kind: SnapshotKind,
    sourceId: string,
  ): void {
    this.automated.push({
      kind,
      sourceId,
      snapshotId,
      resourceId: info?.resourceId,
      at: info?.createTime?.getTime() ?? this.now(),
    });
  }

  private async expireAutomated(kind: SnapshotKind, id: string, retentionDays: number) {
    const rds = new RdsSnapshots(this.world.prod.rds);
    for await (const s of rds.listSnapshots(kind, "automated", id)) {
      if ((s.createTime?.getTime() ?? this.now()) < this.now() - retentionDays * DAY) {
        await rds.delete(kind, s.id);
      }
    }
  }

  /** An RDS event, delivered by EventBridge to every enabled rule whose pattern matches. */
  rdsEvent(account: string, eventId: string, kind: SnapshotKind, snapshotId: string): void {
    const snapshotArn = `arn:aws:rds:${REGION}:${account}:${kind === "instance" ? "snapshot" : "cluster-snapshot"}:${snapshotId}`;
    const event = rdsSnapshotEvent({ eventId, kind, snapshotArn, account, region: REGION });
    event.time = new Date(this.now()).toISOString();
    for (const rule of this.rules) {
      if (this.disabledRules.has(rule.name) || rule.account !== account) continue;
      if (matchesPattern(rule.pattern, event)) {
        this.queues[rule.stage].send(JSON.stringify(event), this.now());
      }
    }
  }

  /**
   * RDS-EVENT-0197 for a copy, once it is available (a copy the emulator holds in `creating`,
   * extension 6, is waited for on the wall clock: RDS sends the event when the copy is done).
   */
  copyFinishedLater(account: string, kind: SnapshotKind, snapshotId: string): void {
    this.at(this.now() + COPY_FINISHED_AFTER, `copy finished ${snapshotId}`, async () => {
      const rds = account === PROD_ACCOUNT ? this.world.prod.rds : this.world.failsafe.rds;
      for (let waited = 0; waited < 60_000; waited += 200) {
        const s = await new RdsSnapshots(rds).describeSnapshot(kind, snapshotId);
        if (!s) return; // deleted (or cancelled) before it finished: no event
        if (s.status !== "creating") break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      this.rdsEvent(account, EVENT_IDS.snapshotCopyFinished, kind, snapshotId);
    });
  }

  // ---- Lambda ------------------------------------------------------------------------------

  private proc(name: string): LambdaProcess {
    let p = this.processes.get(name);
    if (!p) {
      p = this.code.spawn(name);
      this.processes.set(name, p);
    }
    return p;
  }

  /** One invocation of a deployed function at the simulated now (undefined: it was deleted). */
  async invoke<T>(
    name: string,
    event: unknown,
  ): Promise<{ result?: T; error?: string } | undefined> {
    if (this.deletedFunctions.has(name)) return undefined;
    const proc = this.proc(name);
    if (this.clockSent.get(proc) !== this.offsetMs) {
      proc.setClockOffset(this.offsetMs);
      this.clockSent.set(proc, this.offsetMs);
    }
    this.invocations += 1;
    let outcome: { result?: T; error?: string };
    try {
      outcome = { result: await proc.invoke<T>(event) };
    } catch (err) {
      outcome = { error: String(err) };
    }
    // Lambda's own metric: one Errors datapoint per invocation, 1 when it failed.
    this.datapoints.push({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: name },
      value: outcome.error ? 1 : 0,
      timestamp: this.now(),
    });
    this.collect(name, proc);
    return outcome;
  }

  /** The function's new log lines: EMF → datapoints; decisions kept; started copies → 0197. */
  private collect(name: string, proc: LambdaProcess): void {
    const from = this.logCursor.get(proc) ?? 0;
    const lines = proc.logs.slice(from);
    this.logCursor.set(proc, proc.logs.length);
    for (const line of lines) {
      if ("_aws" in line) {
        this.datapoints.push(...emfDatapoints(line));
      }
      if (typeof line.decision !== "string") continue;
      this.decisions.push({ ...line, at: this.now(), fn: name });
      const target = typeof line.target === "string" ? line.target : undefined;
      const kind = line.kind === "cluster" ? "cluster" : "instance";
      if (target && line.decision === "copied") this.copyFinishedLater(PROD_ACCOUNT, kind, target);
      if (target && line.decision === "saved")
        this.copyFinishedLater(FAILSAFE_ACCOUNT, kind, target);
    }
  }

  async sweep(which: "prod-sweep" | "failsafe-sweep"): Promise<void> {
    await this.invoke(which === "prod-sweep" ? FUNCTIONS.prodSweep : FUNCTIONS.failsafeSweep, null);
  }

  // ---- SQS, SNS ----------------------------------------------------------------------------

  /** Invokes queue consumers until no message is visible; moves hand-offs and ops messages. */
  async drain(): Promise<void> {
    // SNS delivers only what a function (or the attacker, markPublished) published.
    const visible = STAGES.some((s) => this.queues[s].hasVisible(this.now()));
    if (this.invocations === this.drainedAt && !this.published && !visible) return;
    for (let round = 0; ; round += 1) {
      const moved = await this.moveHandoffs();
      let worked = false;
      for (const stage of STAGES) {
        const queue = this.queues[stage];
        const batch = queue.receive(this.now());
        if (batch.length === 0) continue;
        worked = true;
        await this.consume(stage, batch);
      }
      this.recordQueueDepths();
      if (!worked && moved === 0) break;
      if (round > 10_000) throw new Error("queues never drained");
    }
    for (const subject of await this.world.opsNotifications()) {
      this.notifications.push({ at: this.now(), subject, account: FAILSAFE_ACCOUNT });
    }
    this.drainedAt = this.invocations;
    this.published = false;
  }

  private drainedAt = -1;
  private published = false;

  /** Tells the loop that someone outside the functions published to a topic (the attacker). */
  markPublished(): void {
    this.published = true;
  }

  private async consume(stage: Stage, batch: SimMessage[]): Promise<void> {
    const queue = this.queues[stage];
    const event = sqsRecords(stage, batch);
    const outcome = await this.invoke<SQSBatchResponse>(STAGE_FUNCTION[stage], event);
    if (!outcome) return; // the function is gone: messages wait, then expire into the DLQ
    const failed = new Set(
      outcome.error
        ? batch.map((m) => m.id)
        : (outcome.result?.batchItemFailures ?? []).map((f) => f.itemIdentifier),
    );
    for (const m of batch) if (!failed.has(m.id)) queue.delete(m.id);
  }

  /** SNS → SQS in the emulator: what the hand-off topic delivered to the save queue. */
  private async moveHandoffs(): Promise<number> {
    const { failsafe, saveQueueUrl } = this.world;
    let moved = 0;
    for (;;) {
      const out = await failsafe.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: saveQueueUrl, MaxNumberOfMessages: 10 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return moved;
      for (const m of messages) this.queues.save.send(m.Body ?? "", this.now());
      moved += messages.length;
      await failsafe.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: saveQueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  private lastDepths = new Map<string, { value: number; at: number }>();

  /** AWS/SQS ApproximateNumberOfMessagesVisible of each DLQ (SQS reports it every minute). */
  private recordQueueDepths(): void {
    for (const stage of STAGES) {
      const name = dlqName(stage);
      const value = this.queues[stage].dlq.length;
      const last = this.lastDepths.get(name);
      if (last && last.value === value && this.now() - last.at < 5 * MINUTE) continue;
      this.lastDepths.set(name, { value, at: this.now() });
      this.datapoints.push({
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: name },
        value,
        timestamp: this.now(),
      });
    }
  }

  /** Messages parked in a stage's DLQ. */
  dlqDepth(stage: Stage): number {
    return this.queues[stage].dlq.length;
  }

  /** Messages waiting (visible or in flight) in a stage's queue. */
  queueDepth(stage: Stage): number {
    return this.queues[stage].depth;
  }

  /** Every failsafe copy (manual snapshots of both kinds in the failsafe account). */
  async failsafeSnapshots(): Promise<SnapshotInfo[]> {
    const rds = new RdsSnapshots(this.world.failsafe.rds);
    const all: SnapshotInfo[] = [];
    for (const kind of ["instance", "cluster"] as const) {
      for await (const s of rds.listSnapshots(kind, "manual")) all.push(s);
    }
    return all;
  }

  stop(): void {
    for (const p of this.processes.values()) p.stop();
    this.processes.clear();
  }
}
