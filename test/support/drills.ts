// Restore drills on the emulator: plays RDS's part of the drill flow. moto restores databases but
// emits no events; this harness watches the failsafe account's drill databases and delivers the
// EventBridge events AWS would (RDS User Guide, "Amazon RDS event categories and event messages"):
// RDS-EVENT-0043 when a restored DB instance is available, 0170 when a restored DB cluster is,
// 0005 when an instance created in a cluster is. Each once, as EventBridge → SQS → drill-verify
// would; `lose` drops chosen ones (a lost event: the next drill run has to finish that drill).
import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { DRILL_EVENT_IDS } from "../../handlers/drill-events";
import { DRILL_PREFIX } from "../../handlers/drill-plan";
import { RdsDatabases } from "../../handlers/drill-rds";
import type { SnapshotKind } from "../../handlers/naming";
import { FAILSAFE_ACCOUNT, REGION, type AccountClients } from "../harness";
import { sqsEvent } from "./events";

/** An EventBridge DB instance / DB cluster event, shaped like the RDS User Guide's samples. */
export function rdsDatabaseEvent(args: {
  eventId: string;
  kind: SnapshotKind;
  id: string;
  account?: string;
  region?: string;
  message?: string;
}): Record<string, unknown> {
  const account = args.account ?? FAILSAFE_ACCOUNT;
  const region = args.region ?? REGION;
  const arn = `arn:aws:rds:${region}:${account}:${args.kind === "instance" ? "db" : "cluster"}:${args.id}`;
  const now = new Date().toISOString();
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": args.kind === "instance" ? "RDS DB Instance Event" : "RDS DB Cluster Event",
    source: "aws.rds",
    account,
    time: now,
    region,
    resources: [arn],
    detail: {
      EventCategories: [args.kind === "instance" ? "restoration" : "creation"],
      SourceType: args.kind === "instance" ? "DB_INSTANCE" : "CLUSTER",
      SourceArn: arn,
      Date: now,
      Message: args.message ?? "Restored from snapshot",
      SourceIdentifier: `rds:${args.id}`,
      EventID: args.eventId,
    },
  };
}

export interface DrillFunctions {
  drill(): Promise<unknown>;
  drillVerify(event: SQSEvent): Promise<SQSBatchResponse>;
}

export class DrillHarness {
  /** Events delivered (and lost), as `<event id> <kind> <id>`. */
  readonly delivered: string[] = [];
  readonly lost: string[] = [];
  private readonly announced = new Set<string>();

  constructor(
    private readonly failsafe: AccountClients,
    private readonly functions: DrillFunctions,
    private readonly lose: (id: string, eventId: string) => boolean = () => false,
  ) {}

  /**
   * The events RDS would have sent since the last call, for drill databases that got there, and
   * whether any drill database is still being restored (from the same listing: a database that
   * becomes available between two listings must not be missed).
   */
  async pendingEvents(): Promise<Record<string, unknown>[]> {
    return (await this.scan()).events;
  }

  private async scan(): Promise<{ events: Record<string, unknown>[]; busy: boolean }> {
    const events: Record<string, unknown>[] = [];
    let busy = false;
    const emit = (eventId: string, kind: SnapshotKind, id: string) => {
      const key = `${eventId} ${kind} ${id}`;
      if (this.announced.has(key)) return;
      this.announced.add(key);
      if (this.lose(id, eventId)) {
        this.lost.push(key);
        return;
      }
      this.delivered.push(key);
      events.push(rdsDatabaseEvent({ eventId, kind, id }));
    };
    const present = new Set<string>();
    for await (const db of new RdsDatabases(this.failsafe.rds).list(DRILL_PREFIX)) {
      present.add(db.id);
      db.members.forEach((m) => present.add(m.id));
      busy ||= [db.status, ...db.members.map((m) => m.status)].some((x) => x !== "available");
      if (db.kind === "instance" && db.status === "available") {
        emit(DRILL_EVENT_IDS.instanceRestored, "instance", db.id);
      }
      if (db.kind === "cluster") {
        if (db.status === "available") emit(DRILL_EVENT_IDS.clusterCreated, "cluster", db.id);
        for (const member of db.members) {
          if (member.status === "available") {
            emit(DRILL_EVENT_IDS.instanceCreated, "instance", member.id);
          }
        }
      }
    }
    // A database deleted since is forgotten: a new restore under its name is a new database,
    // and RDS announces it again.
    for (const key of this.announced) {
      if (!present.has(key.split(" ")[2] ?? "")) this.announced.delete(key);
    }
    return { events, busy };
  }

  /** One round: the events due now → drill-verify. How many were delivered, and retried. */
  async deliver(): Promise<{ delivered: number; retried: number; busy: boolean }> {
    const { events, busy } = await this.scan();
    let retried = 0;
    if (events.length > 0) {
      const result = await this.functions.drillVerify(sqsEvent(events));
      // SQS redelivers a failed record after the visibility timeout: announce it again later.
      for (const failure of result.batchItemFailures) {
        const index = Number(/^msg-(\d+)-/.exec(failure.itemIdentifier)?.[1]);
        const event = events[index] as { detail: { EventID: string; SourceArn: string } };
        const [, type, id] = /:(db|cluster):(.+)$/.exec(event.detail.SourceArn) ?? [];
        this.announced.delete(
          `${event.detail.EventID} ${type === "db" ? "instance" : "cluster"} ${id}`,
        );
        retried += 1;
      }
    }
    return { delivered: events.length, retried, busy };
  }

  /**
   * Delivers events until nothing more happens or `timeoutMs` passes (restores in the emulator
   * take restoreSeconds); a record drill-verify asked to retry comes back after `pauseMs`.
   */
  async settle(options: { timeoutMs?: number; pauseMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    while (Date.now() < deadline) {
      const { delivered, retried, busy } = await this.deliver();
      if (delivered === 0 && !busy) return;
      if (delivered === 0 || retried > 0) {
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 250));
      }
    }
  }

  /** A drill run, then its events until the drills settle. */
  async run(): Promise<unknown> {
    const report = await this.functions.drill();
    await this.settle();
    return report;
  }

  /** The drill databases in the account (id → status). */
  async databases(): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for await (const db of new RdsDatabases(this.failsafe.rds).list(DRILL_PREFIX)) {
      found[`${db.kind}/${db.id}`] = db.status;
      for (const m of db.members) found[`instance/${m.id}`] = m.status;
    }
    return found;
  }
}
