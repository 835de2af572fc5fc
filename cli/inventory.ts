/**
 * Everything `status` and `report` read, from both accounts, with read-only calls only, each
 * listing through the AWS SDK's paginators, both accounts and both snapshot kinds at once. The
 * RDS listings are the facts the verdict rests on: if one fails, the command fails. Quotas,
 * alarms, queues, metric history and deployed settings are context: a failed read is reported
 * (with the permission it needs) and the rest goes on.
 */
import {
  paginateDescribeAlarms,
  paginateGetMetricData,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, paginateListQueues } from "@aws-sdk/client-sqs";
import {
  FAILSAFE_METRICS_SERVICE,
  METRICS_NAMESPACE,
  PROD_METRICS_SERVICE,
} from "../handlers/metrics";
import type { SnapshotKind } from "../handlers/naming";
import { snapshotQuotas, type SnapshotQuota } from "../handlers/quota";
import { RdsSnapshots, type SnapshotInfo, type SourceInfo } from "../handlers/rds";
import type { AccountClients, AccountName } from "./accounts";
import { settingsInForce, type SettingsInForce } from "./settings";

const KINDS: readonly SnapshotKind[] = ["instance", "cluster"];
/** The forecast looks this far back in the sweeps' quota figures. */
export const HISTORY_DAYS = 7;

export interface Readout<T> {
  readonly value?: T;
  /** Why it could not be read (the value is then missing). */
  readonly error?: string;
}

export interface QueueDepth {
  readonly name: string;
  /** ApproximateNumberOfMessages. */
  readonly messages: number;
}

export interface AlarmState {
  readonly name: string;
  readonly state: string;
  readonly reason: string;
  readonly updated: Date | undefined;
}

export interface AccountInventory {
  readonly name: AccountName;
  readonly identity: { readonly account: string; readonly arn: string };
  /** Every manual snapshot of the account, both kinds (ours and anyone else's: all count). */
  readonly manual: readonly SnapshotInfo[];
  readonly quotas: Readout<SnapshotQuota[]>;
  /** The sweep's hourly ManualSnapshotsUsed per kind, over HISTORY_DAYS. */
  readonly quotaHistory: Readout<Record<SnapshotKind, { time: Date; used: number }[]>>;
  readonly dlqs: Readout<QueueDepth[]>;
  readonly alarms: Readout<AlarmState[]>;
}

export interface Inventory {
  readonly now: Date;
  readonly region: string;
  readonly settings: SettingsInForce;
  /** Prod's DB instances and Aurora clusters (both kinds), with their tags. */
  readonly databases: readonly SourceInfo[];
  /** Prod's automated snapshots. */
  readonly automated: readonly SnapshotInfo[];
  readonly prod: AccountInventory;
  readonly failsafe: AccountInventory;
  /** AWS calls made, by operation (for the benchmark and --json). */
  readonly calls: Readonly<Record<string, number>>;
  /** Milliseconds spent in those calls, by operation (summed: calls overlap). */
  readonly callMs: Readonly<Record<string, number>>;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) {
    all.push(item);
  }
  return all;
}

async function readout<T>(what: string, read: () => Promise<T>): Promise<Readout<T>> {
  try {
    return { value: await read() };
  } catch (err) {
    const name = err instanceof Error ? err.name : "Error";
    const message = err instanceof Error ? err.message : String(err);
    return { error: `${what}: ${name}: ${message}` };
  }
}

/** The slice of the SDK's middleware stack countCalls needs (every v3 client has it). */
interface CountableClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { readonly clientName?: string; readonly commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize"; name: string; override: boolean },
    ): void;
  };
}

/** Counts each operation the clients send (SDK middleware), so the cost of a run is visible. */
function countCalls(
  account: AccountClients,
  calls: Record<string, number>,
  ms: Record<string, number>,
): void {
  const clients = [account.rds, account.sqs, account.cloudwatch, account.lambda];
  for (const client of clients as unknown as CountableClient[]) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const op = `${(context.clientName ?? "").replace(/Client$/, "")}:${(context.commandName ?? "").replace(/Command$/, "")}`;
        calls[op] = (calls[op] ?? 0) + 1;
        const started = Date.now();
        try {
          return await next(args);
        } finally {
          ms[op] = (ms[op] ?? 0) + Date.now() - started;
        }
      },
      { step: "initialize", name: "rdsFailsafeCountCalls", override: true },
    );
  }
}

async function dlqDepths(account: AccountClients): Promise<QueueDepth[]> {
  const urls: string[] = [];
  for await (const page of paginateListQueues(
    { client: account.sqs, pageSize: 1000 },
    { QueueNamePrefix: "rds-failsafe-" },
  )) {
    // A scheduled function's DLQ is FIFO, like its queue (components/function.ts): -dlq.fifo.
    urls.push(...(page.QueueUrls ?? []).filter((u) => /-dlq(\.fifo)?$/.test(u)));
  }
  return Promise.all(
    urls.map(async (url) => {
      const { Attributes } = await account.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return {
        name: url.split("/").at(-1) ?? url,
        messages: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
      };
    }),
  );
}

async function alarmStates(account: AccountClients): Promise<AlarmState[]> {
  const alarms: AlarmState[] = [];
  for await (const page of paginateDescribeAlarms(
    { client: account.cloudwatch },
    { AlarmNamePrefix: "rds-failsafe-", AlarmTypes: ["MetricAlarm", "CompositeAlarm"] },
  )) {
    for (const a of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      alarms.push({
        name: a.AlarmName ?? "",
        state: a.StateValue ?? "",
        reason: a.StateReason ?? "",
        updated: a.StateUpdatedTimestamp,
      });
    }
  }
  return alarms.sort((a, b) => a.name.localeCompare(b.name));
}

async function quotaHistory(
  account: AccountClients,
  service: string,
  now: Date,
): Promise<Record<SnapshotKind, { time: Date; used: number }[]>> {
  const queries: MetricDataQuery[] = KINDS.map((kind) => ({
    Id: kind,
    MetricStat: {
      Metric: {
        Namespace: METRICS_NAMESPACE,
        MetricName: "ManualSnapshotsUsed",
        Dimensions: [
          { Name: "Kind", Value: kind },
          { Name: "service", Value: service },
        ],
      },
      Period: 3600,
      Stat: "Maximum",
    },
  }));
  const history: Record<SnapshotKind, { time: Date; used: number }[]> = {
    instance: [],
    cluster: [],
  };
  for await (const page of paginateGetMetricData(
    { client: account.cloudwatch },
    {
      MetricDataQueries: queries,
      StartTime: new Date(now.getTime() - HISTORY_DAYS * 86_400_000),
      EndTime: now,
    },
  )) {
    for (const result of page.MetricDataResults ?? []) {
      const kind = result.Id as SnapshotKind;
      (result.Timestamps ?? []).forEach((time, i) => {
        const used = result.Values?.[i];
        if (used !== undefined && history[kind]) {
          history[kind].push({ time, used });
        }
      });
    }
  }
  return history;
}

async function accountInventory(
  account: AccountClients,
  service: string,
  now: Date,
): Promise<AccountInventory> {
  const rds = new RdsSnapshots(account.rds);
  const [identity, manual, quotas, history, dlqs, alarms] = await Promise.all([
    account.identity(),
    Promise.all(KINDS.map((kind) => collect(rds.listSnapshots(kind, "manual")))).then((k) =>
      k.flat(),
    ),
    readout("rds:DescribeAccountAttributes", () => snapshotQuotas(account.rds)),
    readout("cloudwatch:GetMetricData", () => quotaHistory(account, service, now)),
    readout("sqs:ListQueues / sqs:GetQueueAttributes", () => dlqDepths(account)),
    readout("cloudwatch:DescribeAlarms", () => alarmStates(account)),
  ]);
  return { name: account.name, identity, manual, quotas, quotaHistory: history, dlqs, alarms };
}

/** Reads both accounts (read-only) into one inventory. */
export async function readInventory(
  prod: AccountClients,
  failsafe: AccountClients,
  region: string,
  overrides: Record<string, unknown>,
  now = new Date(),
): Promise<Inventory> {
  const calls: Record<string, number> = {};
  const callMs: Record<string, number> = {};
  countCalls(prod, calls, callMs);
  countCalls(failsafe, calls, callMs);
  const prodRds = new RdsSnapshots(prod.rds);
  const [settings, databases, automated, prodInventory, failsafeInventory] = await Promise.all([
    settingsInForce(prod, failsafe, region, overrides),
    Promise.all(KINDS.map((kind) => collect(prodRds.listSources(kind)))).then((k) => k.flat()),
    Promise.all(KINDS.map((kind) => collect(prodRds.listSnapshots(kind, "automated")))).then((k) =>
      k.flat(),
    ),
    accountInventory(prod, PROD_METRICS_SERVICE, now),
    accountInventory(failsafe, FAILSAFE_METRICS_SERVICE, now),
  ]);
  return {
    now,
    region,
    settings,
    databases,
    automated,
    prod: prodInventory,
    failsafe: failsafeInventory,
    calls,
    callMs,
  };
}
