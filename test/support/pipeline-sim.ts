// Runs the whole pipeline through the deployed (serialized) Lambda code as AWS would: plays
// EventBridge (the RDS events, including "copy finished" once a copy is done), SQS (visibility
// timeout, receive count, redrive to a DLQ after maxReceiveCount, partial batch responses) and
// the Lambda event source mapping (batch size, maximum concurrency: one LambdaProcess per
// concurrent instance, so an invocation never shares its process). The save queue is fed by the
// real SNS topic → SQS subscription in the emulator. Timers (visibility timeout, copy duration)
// run on the wall clock, scaled: see SimOptions.timeScale.
import { performance } from "node:perf_hooks";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { EVENT_IDS } from "../../handlers/events";
import type { SnapshotKind } from "../../handlers/naming";
import { partitionOf } from "../../handlers/partition";
import { FAILSAFE_ACCOUNT, PROD_ACCOUNT, REGION } from "../harness";
import { FUNCTIONS, type DeployedCode, type QueueWiring } from "./deployed";
import { rdsSnapshotEvent, scheduledSweepEvent } from "./events";
import type { LambdaLogLine, LambdaProcess } from "./lambda-runtime";
import type { World } from "./world";

export const STAGES = ["copy", "share", "save", "retention"] as const;
export type Stage = (typeof STAGES)[number];

/** The function each stage's queue feeds. */
export const STAGE_FUNCTION: Record<Stage, string> = {
  copy: FUNCTIONS.copy,
  share: FUNCTIONS.share,
  save: FUNCTIONS.save,
  retention: FUNCTIONS.retention,
};

interface Message {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  visibleAt: number;
  readonly sentAt: number;
}

/** An SQS queue with a redrive policy, in memory. */
export class SimQueue {
  private readonly messages = new Map<string, Message>();
  readonly dlq: Message[] = [];
  private seq = 0;
  sent = 0;
  deleted = 0;

  constructor(
    readonly name: string,
    private readonly visibilityTimeoutMs: number,
    private readonly maxReceiveCount: number,
  ) {}

  send(body: string): void {
    this.sent += 1;
    const id = `${this.name}-${(this.seq += 1)}`;
    this.messages.set(id, { id, body, receiveCount: 0, visibleAt: 0, sentAt: Date.now() });
  }

  /** Up to `max` visible messages, hidden for the visibility timeout. SQS moves a message that
   * was already received maxReceiveCount times to the DLQ instead of delivering it again. */
  receive(max: number): Message[] {
    const now = Date.now();
    const batch: Message[] = [];
    for (const m of this.messages.values()) {
      if (batch.length >= max) break;
      if (m.visibleAt > now) continue;
      if (m.receiveCount >= this.maxReceiveCount) {
        this.messages.delete(m.id);
        this.dlq.push(m);
        continue;
      }
      m.receiveCount += 1;
      m.visibleAt = now + this.visibilityTimeoutMs;
      batch.push(m);
    }
    return batch;
  }

  delete(id: string): void {
    if (this.messages.delete(id)) this.deleted += 1;
  }

  /** Messages not deleted yet (visible or in flight). */
  get depth(): number {
    return this.messages.size;
  }
}

export interface Invocation {
  readonly stage: Stage | "prod-sweep" | "failsafe-sweep";
  readonly ms: number;
  readonly records: number;
  readonly failedRecords: number;
  readonly error?: string;
}

export interface SimOptions {
  readonly code: DeployedCode;
  readonly world: World;
  /**
   * Wall-clock seconds per AWS second for the timers the simulation owns (visibility timeouts),
   * e.g. 1/60: a 360 s visibility timeout lasts 6 s. Handler execution is never scaled.
   */
  readonly timeScale: number;
  /** How long after a copy started its "copy finished" event is emitted (the emulator's
   * copySeconds), in wall-clock milliseconds. */
  readonly copyFinishedAfterMs: number;
  /** The endpoint each stage's functions use (a counting/throttling proxy); default emulator. */
  readonly endpoints?: Partial<Record<Stage | "prod-sweep" | "failsafe-sweep", string>>;
  /** Fault injection: the bodies actually delivered for one event (none = dropped, 3 = tripled). */
  readonly deliver?: (stage: Stage, body: string) => string[];
  readonly onProgress?: (progress: string) => void;
  /** Give up (and report what is left) after this long. */
  readonly timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SQS batch the event source mapping hands a stage's function (the pipeline, attack and
 * organization simulations share it); `account` is the queue's, by default the stage's side.
 */
export function sqsRecords(
  stage: Stage,
  batch: readonly Pick<Message, "id" | "body" | "receiveCount" | "sentAt">[],
  account: string = stage === "copy" || stage === "share" ? PROD_ACCOUNT : FAILSAFE_ACCOUNT,
): SQSEvent {
  return {
    Records: batch.map((m) => ({
      messageId: m.id,
      receiptHandle: `${m.id}-${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: `arn:${partitionOf(REGION)}:sqs:${REGION}:${account}:rds-failsafe-${stage}`,
      awsRegion: REGION,
    })),
  };
}

export function snapshotArnOf(account: string, kind: SnapshotKind, id: string): string {
  return `arn:${partitionOf(REGION)}:rds:${REGION}:${account}:${kind === "instance" ? "snapshot" : "cluster-snapshot"}:${id}`;
}

/** The EventBridge event body for a snapshot (as the RDS User Guide's samples). */
export function eventBody(account: string, eventId: string, kind: SnapshotKind, id: string) {
  return JSON.stringify(
    rdsSnapshotEvent({
      eventId,
      kind,
      snapshotArn: snapshotArnOf(account, kind, id),
      account,
      region: REGION,
    }),
  );
}

export class PipelineSim {
  readonly queues: Record<Stage, SimQueue>;
  readonly wiring: Record<Stage, QueueWiring>;
  readonly invocations: Invocation[] = [];
  /** Every decision line the functions logged, with the stage. */
  readonly decisions: (LambdaLogLine & { stage: string })[] = [];
  dropped = 0;
  private readonly processes: LambdaProcess[] = [];
  private readonly logCursor = new Map<LambdaProcess, number>();
  private readonly scheduled: { at: number; stage: Stage; body: string }[] = [];
  private active = 0;
  private stopped = false;

  constructor(private readonly options: SimOptions) {
    const wiring = {} as Record<Stage, QueueWiring>;
    const queues = {} as Record<Stage, SimQueue>;
    for (const stage of STAGES) {
      const w = options.code.wiring(STAGE_FUNCTION[stage]);
      if (!w) throw new Error(`the program wires no queue to ${STAGE_FUNCTION[stage]}`);
      wiring[stage] = w;
      queues[stage] = new SimQueue(
        stage,
        w.visibilityTimeoutSeconds * 1000 * options.timeScale,
        w.maxReceiveCount,
      );
    }
    this.wiring = wiring;
    this.queues = queues;
  }

  /** Delivers one event to a stage's queue, through the fault-injection hook. */
  enqueue(stage: Stage, body: string): void {
    const bodies = this.options.deliver ? this.options.deliver(stage, body) : [body];
    if (bodies.length === 0) this.dropped += 1;
    for (const b of bodies) this.queues[stage].send(b);
  }

  /** The automated-snapshot-created event (RDS-EVENT-0091 / 0169) of each snapshot. */
  snapshotsCreated(snapshots: readonly { kind: SnapshotKind; id: string }[]): void {
    for (const s of snapshots) {
      const eventId =
        s.kind === "instance"
          ? EVENT_IDS.automatedInstanceSnapshotCreated
          : EVENT_IDS.automatedClusterSnapshotCreated;
      this.enqueue("copy", eventBody(PROD_ACCOUNT, eventId, s.kind, s.id));
    }
  }

  /** Runs until every queue is empty and nothing is scheduled (or the timeout). */
  async run(): Promise<{ timedOut: boolean }> {
    this.stopped = false;
    const workers: Promise<void>[] = [];
    for (const stage of STAGES) {
      for (let i = 0; i < this.wiring[stage].maximumConcurrency; i += 1) {
        workers.push(this.worker(stage));
      }
    }
    const started = Date.now();
    let idleChecks = 0;
    let lastProgress = 0;
    let timedOut = false;
    while (!this.stopped) {
      await sleep(50);
      this.releaseScheduled();
      const handoffs = await this.drainHandoffs();
      const busy =
        this.active > 0 ||
        handoffs > 0 ||
        this.scheduled.length > 0 ||
        STAGES.some((s) => this.queues[s].depth > 0);
      idleChecks = busy ? 0 : idleChecks + 1;
      if (this.options.onProgress && Date.now() - lastProgress > 1000) {
        lastProgress = Date.now();
        this.options.onProgress(this.progressLine());
      }
      if (idleChecks >= 3) break;
      if (this.options.timeoutMs && Date.now() - started > this.options.timeoutMs) {
        timedOut = true;
        break;
      }
    }
    this.stopped = true;
    await Promise.all(workers);
    this.options.onProgress?.(this.progressLine());
    return { timedOut };
  }

  progressLine(): string {
    const q = STAGES.map((s) => {
      const queue = this.queues[s];
      return `${s} ${queue.deleted}/${queue.sent}${queue.dlq.length ? ` dlq ${queue.dlq.length}` : ""}`;
    });
    return `  done/received: ${q.join(" · ")} · copies pending ${this.scheduled.length}`;
  }

  /** One invocation of a sweep function (scheduled in AWS), through its own process. */
  async sweep(which: "prod-sweep" | "failsafe-sweep", clockOffsetHours = 0): Promise<unknown> {
    const name = which === "prod-sweep" ? FUNCTIONS.prodSweep : FUNCTIONS.failsafeSweep;
    const env = clockOffsetHours
      ? { TEST_CLOCK_OFFSET_MS: String(clockOffsetHours * 3_600_000) }
      : undefined;
    const proc = this.options.code.spawn(name, this.options.endpoints?.[which], env);
    this.processes.push(proc);
    const t0 = performance.now();
    try {
      const account = which === "prod-sweep" ? PROD_ACCOUNT : FAILSAFE_ACCOUNT;
      const result = await proc.invoke<unknown>(scheduledSweepEvent(name, account, REGION));
      this.invocations.push({
        stage: which,
        // The handler's own time, as Lambda's Duration (the cold start is its init phase).
        ms: proc.lastDurationMs ?? performance.now() - t0,
        records: 0,
        failedRecords: 0,
      });
      this.collect(which, proc);
      return result;
    } finally {
      proc.stop();
    }
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.processes) p.stop();
  }

  private spawn(name: string, endpoint?: string): LambdaProcess {
    const proc = this.options.code.spawn(name, endpoint);
    this.processes.push(proc);
    return proc;
  }

  private async worker(stage: Stage): Promise<void> {
    let proc: LambdaProcess | undefined;
    const queue = this.queues[stage];
    while (!this.stopped) {
      const batch = queue.receive(this.wiring[stage].batchSize);
      if (batch.length === 0) {
        await sleep(20);
        continue;
      }
      proc ??= this.spawn(STAGE_FUNCTION[stage], this.options.endpoints?.[stage]);
      this.active += 1;
      const t0 = performance.now();
      let response: SQSBatchResponse | undefined;
      let error: string | undefined;
      try {
        response = await proc.invoke<SQSBatchResponse>(sqsRecords(stage, batch));
      } catch (err) {
        error = String(err);
      }
      // The handler's own time, as Lambda's Duration; the process start and code load before the
      // first invocation are the init phase, which Lambda reports apart.
      const ms = (error ? undefined : proc.lastDurationMs) ?? performance.now() - t0;
      // A failed invocation leaves the whole batch to the visibility timeout; partial batch
      // responses name the records to retry, the rest are deleted.
      const failed = new Set(
        error
          ? batch.map((m) => m.id)
          : (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier),
      );
      for (const m of batch) if (!failed.has(m.id)) queue.delete(m.id);
      this.invocations.push({
        stage,
        ms,
        records: batch.length,
        failedRecords: failed.size,
        error,
      });
      this.collect(stage, proc);
      this.active -= 1;
    }
  }

  /** Reads the function's new decision lines; a started copy gets its "copy finished" event. */
  private collect(stage: string, proc: LambdaProcess): void {
    const from = this.logCursor.get(proc) ?? 0;
    const lines = proc.logs.slice(from);
    this.logCursor.set(proc, proc.logs.length);
    for (const line of lines) {
      if (typeof line.decision !== "string") continue;
      this.decisions.push({ ...line, stage });
      const kind = line.kind === "cluster" ? "cluster" : "instance";
      const target = typeof line.target === "string" ? line.target : undefined;
      if (!target) continue;
      const at = Date.now() + this.options.copyFinishedAfterMs;
      if (line.decision === "copied") {
        const body = eventBody(PROD_ACCOUNT, EVENT_IDS.snapshotCopyFinished, kind, target);
        this.scheduled.push({ at, stage: "share", body });
      } else if (line.decision === "saved") {
        const body = eventBody(FAILSAFE_ACCOUNT, EVENT_IDS.snapshotCopyFinished, kind, target);
        this.scheduled.push({ at, stage: "retention", body });
      }
    }
  }

  private releaseScheduled(): void {
    const now = Date.now();
    for (let i = this.scheduled.length - 1; i >= 0; i -= 1) {
      const event = this.scheduled[i];
      if (event && event.at <= now) {
        this.scheduled.splice(i, 1);
        this.enqueue(event.stage, event.body);
      }
    }
  }

  /** SNS → SQS: moves what the hand-off topic delivered to the emulator's save queue. */
  private async drainHandoffs(): Promise<number> {
    const { failsafe, saveQueueUrl } = this.options.world;
    let moved = 0;
    for (;;) {
      const out = await failsafe.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: saveQueueUrl, MaxNumberOfMessages: 10 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return moved;
      for (const m of messages) this.enqueue("save", m.Body ?? "");
      moved += messages.length;
      await failsafe.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: saveQueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }
}
