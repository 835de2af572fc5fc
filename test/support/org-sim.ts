// The pipeline of an organization through the deployed code (PipelineSim's rules, many prod
// accounts): each prod account has its own copy and share queues and its own function instances
// (its own copy stack: the program's batch sizes and concurrency, per account, as in AWS), and all
// hand off to the one failsafe account, whose save and retention queues and functions serve them
// all. EventBridge's "copy finished" events follow each started copy; the hand-offs travel over
// the emulator's real SNS topic → SQS queue. Timers are scaled as in PipelineSim.
import { performance } from "node:perf_hooks";
import type { SQSBatchResponse } from "aws-lambda";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { EVENT_IDS } from "../../handlers/events";
import type { SnapshotKind } from "../../handlers/naming";
import { partitionOf } from "../../handlers/partition";
import { FAILSAFE_ACCOUNT, REGION, type AccountClients } from "../harness";
import { type OrgDeployedCode, type QueueWiring } from "./deployed";
import { rdsSnapshotEvent } from "./events";
import type { LambdaLogLine, LambdaProcess } from "./lambda-runtime";
import { SimQueue, sqsRecords, STAGE_FUNCTION, STAGES, type Stage } from "./pipeline-sim";

const PROD_STAGES = ["copy", "share"] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface OrgInvocation {
  readonly stage: Stage;
  /** The prod account whose function ran (copy, share), or the failsafe account. */
  readonly account: string;
  readonly ms: number;
  readonly records: number;
  readonly failedRecords: number;
  readonly error?: string;
}

export interface OrgSimOptions {
  readonly code: OrgDeployedCode;
  readonly accounts: readonly string[];
  /** The failsafe account's clients and the save queue the hand-off topic delivers to. */
  readonly failsafe: AccountClients;
  readonly saveQueueUrl: string;
  /** See PipelineSim: wall-clock seconds per AWS second for the visibility timeouts. */
  readonly timeScale: number;
  /** How long after a copy started its "copy finished" event comes (wall-clock ms). */
  readonly copyFinishedAfterMs: number;
  /** The endpoint each stage's functions use (a counting proxy); default the emulator. */
  readonly endpoints?: Partial<Record<Stage, string>>;
  readonly onProgress?: (line: string) => void;
  readonly timeoutMs?: number;
}

interface Lane {
  readonly account: string;
  readonly queues: Record<Stage, SimQueue>;
}

function eventBody(account: string, eventId: string, kind: SnapshotKind, id: string): string {
  const type = kind === "instance" ? "snapshot" : "cluster-snapshot";
  const snapshotArn = `arn:${partitionOf(REGION)}:rds:${REGION}:${account}:${type}:${id}`;
  return JSON.stringify(rdsSnapshotEvent({ eventId, kind, snapshotArn, account, region: REGION }));
}

export class OrgPipelineSim {
  /** Per prod account: its copy and share queues. The failsafe account's: save and retention. */
  readonly lanes: ReadonlyMap<string, Lane>;
  readonly failsafe: Record<"save" | "retention", SimQueue>;
  readonly wiring: Record<Stage, QueueWiring>;
  readonly invocations: OrgInvocation[] = [];
  readonly decisions: (LambdaLogLine & { stage: string; account: string })[] = [];
  private readonly processes: LambdaProcess[] = [];
  private readonly cursor = new Map<LambdaProcess, number>();
  private readonly scheduled: { at: number; queue: SimQueue; body: string }[] = [];
  private active = 0;
  private stopped = false;

  constructor(private readonly options: OrgSimOptions) {
    const wiring = {} as Record<Stage, QueueWiring>;
    for (const stage of STAGES) {
      const w = options.code.wiring(STAGE_FUNCTION[stage]);
      if (!w) throw new Error(`the program wires no queue to ${STAGE_FUNCTION[stage]}`);
      wiring[stage] = w;
    }
    this.wiring = wiring;
    const queue = (stage: Stage, account: string) =>
      new SimQueue(
        `${stage}@${account}`,
        wiring[stage].visibilityTimeoutSeconds * 1000 * options.timeScale,
        wiring[stage].maxReceiveCount,
      );
    this.failsafe = {
      save: queue("save", FAILSAFE_ACCOUNT),
      retention: queue("retention", FAILSAFE_ACCOUNT),
    };
    this.lanes = new Map(
      options.accounts.map((account) => [
        account,
        {
          account,
          queues: {
            copy: queue("copy", account),
            share: queue("share", account),
            save: this.failsafe.save,
            retention: this.failsafe.retention,
          },
        },
      ]),
    );
  }

  private lane(account: string): Lane {
    const lane = this.lanes.get(account);
    if (!lane) throw new Error(`no prod account ${account} in this simulation`);
    return lane;
  }

  /** Every queue of the simulation, each once. */
  get queues(): SimQueue[] {
    return [
      ...[...this.lanes.values()].flatMap((l) => PROD_STAGES.map((s) => l.queues[s])),
      this.failsafe.save,
      this.failsafe.retention,
    ];
  }

  /** RDS-EVENT-0091 / 0169 of each automated snapshot, in the account's copy queue. */
  snapshotsCreated(account: string, snapshots: readonly { kind: SnapshotKind; id: string }[]) {
    for (const s of snapshots) {
      const eventId =
        s.kind === "instance"
          ? EVENT_IDS.automatedInstanceSnapshotCreated
          : EVENT_IDS.automatedClusterSnapshotCreated;
      this.lane(account).queues.copy.send(eventBody(account, eventId, s.kind, s.id));
    }
  }

  async run(): Promise<{ timedOut: boolean }> {
    this.stopped = false;
    const workers: Promise<void>[] = [];
    for (const lane of this.lanes.values()) {
      for (const stage of PROD_STAGES) {
        for (let i = 0; i < this.wiring[stage].maximumConcurrency; i += 1) {
          workers.push(this.worker(stage, lane.account, lane.queues[stage]));
        }
      }
    }
    for (const stage of ["save", "retention"] as const) {
      for (let i = 0; i < this.wiring[stage].maximumConcurrency; i += 1) {
        workers.push(this.worker(stage, undefined, this.failsafe[stage]));
      }
    }
    const started = Date.now();
    let idle = 0;
    let lastProgress = 0;
    let timedOut = false;
    while (!this.stopped) {
      await sleep(50);
      this.release();
      const handoffs = await this.drainHandoffs();
      const busy =
        this.active > 0 ||
        handoffs > 0 ||
        this.scheduled.length > 0 ||
        this.queues.some((q) => q.depth > 0);
      idle = busy ? 0 : idle + 1;
      if (this.options.onProgress && Date.now() - lastProgress > 2000) {
        lastProgress = Date.now();
        this.options.onProgress(this.progressLine());
      }
      if (idle >= 3) break;
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
    const sum = (stage: Stage, what: "deleted" | "sent") =>
      [...this.lanes.values()].reduce((n, l) => n + l.queues[stage][what], 0);
    const prod = PROD_STAGES.map((s) => `${s} ${sum(s, "deleted")}/${sum(s, "sent")}`);
    const fs = (["save", "retention"] as const).map(
      (s) => `${s} ${this.failsafe[s].deleted}/${this.failsafe[s].sent}`,
    );
    const dlq = this.queues.reduce((n, q) => n + q.dlq.length, 0);
    return `  ${this.lanes.size} accounts · done/received: ${[...prod, ...fs].join(" · ")}${dlq ? ` · dlq ${dlq}` : ""} · copies pending ${this.scheduled.length}`;
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.processes) p.stop();
  }

  private async worker(stage: Stage, account: string | undefined, queue: SimQueue): Promise<void> {
    let proc: LambdaProcess | undefined;
    const who = account ?? FAILSAFE_ACCOUNT;
    while (!this.stopped) {
      const batch = queue.receive(this.wiring[stage].batchSize);
      if (batch.length === 0) {
        await sleep(20);
        continue;
      }
      if (!proc) {
        proc = this.options.code.spawn(
          STAGE_FUNCTION[stage],
          account,
          this.options.endpoints?.[stage],
        );
        this.processes.push(proc);
      }
      this.active += 1;
      const t0 = performance.now();
      let response: SQSBatchResponse | undefined;
      let error: string | undefined;
      const event = sqsRecords(stage, batch, who);
      try {
        response = await proc.invoke<SQSBatchResponse>(event);
      } catch (err) {
        error = String(err);
      }
      const ms = (error ? undefined : proc.lastDurationMs) ?? performance.now() - t0;
      const failed = new Set(
        error
          ? batch.map((m) => m.id)
          : (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier),
      );
      for (const m of batch) if (!failed.has(m.id)) queue.delete(m.id);
      this.invocations.push({
        stage,
        account: who,
        ms,
        records: batch.length,
        failedRecords: failed.size,
        error,
      });
      this.collect(stage, who, proc);
      this.active -= 1;
    }
  }

  /** New decision lines; a started copy gets its "copy finished" event in the right account. */
  private collect(stage: Stage, account: string, proc: LambdaProcess): void {
    const from = this.cursor.get(proc) ?? 0;
    const lines = proc.logs.slice(from);
    this.cursor.set(proc, proc.logs.length);
    for (const line of lines) {
      if (typeof line.decision !== "string") continue;
      this.decisions.push({ ...line, stage, account });
      const kind = line.kind === "cluster" ? "cluster" : "instance";
      const target = typeof line.target === "string" ? line.target : undefined;
      if (!target) continue;
      const at = Date.now() + this.options.copyFinishedAfterMs;
      if (line.decision === "copied" && stage === "copy") {
        const body = eventBody(account, EVENT_IDS.snapshotCopyFinished, kind, target);
        this.scheduled.push({ at, queue: this.lane(account).queues.share, body });
      } else if (line.decision === "saved") {
        const body = eventBody(FAILSAFE_ACCOUNT, EVENT_IDS.snapshotCopyFinished, kind, target);
        this.scheduled.push({ at, queue: this.failsafe.retention, body });
      }
    }
  }

  private release(): void {
    const now = Date.now();
    for (let i = this.scheduled.length - 1; i >= 0; i -= 1) {
      const event = this.scheduled[i];
      if (event && event.at <= now) {
        this.scheduled.splice(i, 1);
        event.queue.send(event.body);
      }
    }
  }

  private async drainHandoffs(): Promise<number> {
    const { failsafe, saveQueueUrl } = this.options;
    let moved = 0;
    for (;;) {
      const out = await failsafe.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: saveQueueUrl, MaxNumberOfMessages: 10 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return moved;
      for (const m of messages) this.failsafe.save.send(m.Body ?? "");
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
