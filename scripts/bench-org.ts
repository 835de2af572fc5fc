// npm run bench, organization rows (called from scripts/bench.ts):
// 1. many prod accounts snapshotting at once into one failsafe account, through the deployed
//    code (the failsafe stack + one copy stack per account, each account with its own queues and
//    function instances): protected, duplicates, calls per protected snapshot;
// 2. the sweeps' cost at N protected databases (calls per sweep, handler duration), the deployed
//    failsafe sweep and prod sweep run once each through a counting proxy.
import { CreateDBInstanceCommand, DescribeDBSnapshotsCommand } from "@aws-sdk/client-rds";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { EVENT_IDS } from "../handlers/events";
import { TAG } from "../handlers/tags";
import { partitionOf } from "../handlers/partition";
import { emulatorEndpoint, REGION, setEmulatorLimits, type AccountClients } from "../test/harness";
import { deployedCode, FUNCTIONS, orgDeployedCode } from "../test/support/deployed";
import { rdsSnapshotEvent, sqsEvent } from "../test/support/events";
import { OrgPipelineSim } from "../test/support/org-sim";
import { createOrgWorld } from "../test/support/org-world";
import { STAGES, type Stage } from "../test/support/pipeline-sim";
import { ThrottleProxy } from "../test/support/throttle-proxy";
import { createWorld } from "../test/support/world";

export interface StageCalls {
  readonly invocations: number;
  readonly calls: number;
  readonly callsPerSnapshot: number;
  readonly handlerSecondsPerSnapshot: number;
  readonly maxMs: number;
}

export interface MultiAccountRun {
  /** AWS calls by stage and action, and the answers by HTTP status (retries show here). */
  readonly byAction: Record<Stage, Record<string, number>>;
  readonly statuses: Record<Stage, Record<string, number>>;
  /** The most frequent reasons a record was retried. */
  readonly retryReasons: [string, number][];
  readonly accounts: number;
  readonly perAccount: number;
  readonly databases: number;
  readonly protected: number;
  readonly duplicates: number;
  readonly dlq: number;
  readonly limitRetries: number;
  readonly evaluationS: number;
  readonly wallS: number;
  readonly timedOut: boolean;
  readonly stages: Record<Stage | "total", StageCalls>;
}

export interface SweepCost {
  readonly databases: number;
  readonly setupS: number;
  readonly sweeps: Record<
    "failsafe-sweep" | "prod-sweep",
    { calls: number; byAction: Record<string, number>; durationMs: number; result: string }
  >;
}

export interface Timing {
  readonly copyAwsSeconds: number;
  readonly timeScale: number;
  readonly copyLimit: number;
}

const say = (line: string) => console.log(`[org] ${line}`);

/** Creates `n` tagged DB instances (every other one encrypted with the default key), 25 at once. */
async function createDatabases(prod: AccountClients, n: number, prefix = "db"): Promise<string[]> {
  for (let i = 0; i < n; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, (_, j) =>
        prod.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: `${prefix}${String(i + j).padStart(4, "0")}`,
            Engine: "postgres",
            DBInstanceClass: "db.t3.micro",
            AllocatedStorage: 20,
            MasterUsername: "app",
            MasterUserPassword: "not-a-secret-1",
            StorageEncrypted: (i + j) % 2 === 0,
            Tags: [{ Key: "Failsafe", Value: "True" }],
          }),
        ),
      ),
    );
  }
  const ids: string[] = [];
  let marker: string | undefined;
  do {
    const page = await prod.rds.send(
      new DescribeDBSnapshotsCommand({
        SnapshotType: "automated",
        Marker: marker,
        MaxRecords: 100,
      }),
    );
    ids.push(...(page.DBSnapshots ?? []).map((s) => s.DBSnapshotIdentifier ?? ""));
    marker = page.Marker;
  } while (marker);
  return ids;
}

/** `accounts` prod accounts × `perAccount` databases snapshotting at once, one failsafe account. */
export async function multiAccount(
  accounts: number,
  perAccount: number,
  timing: Timing,
): Promise<MultiAccountRun> {
  const ids = Array.from({ length: accounts }, (_, i) => `1000000000${String(i).padStart(2, "0")}`);
  const world = await createOrgWorld({ prodAccounts: ids });
  await setEmulatorLimits({
    copySeconds: timing.copyAwsSeconds * timing.timeScale,
    copyLimit: timing.copyLimit,
  });
  const automated = new Map<string, string[]>();
  for (const id of ids) {
    automated.set(id, await createDatabases(world.prod(id).clients, perAccount));
  }
  say(`${accounts} accounts × ${perAccount} databases created; evaluating ${accounts + 1} stacks`);
  const t0 = Date.now();
  const code = await orgDeployedCode({
    accounts: ids.map((id) => ({ id, transitKeyArn: world.prod(id).transitKeyArn })),
    vaultKeyArn: world.vaultKeyArn,
  });
  const evaluationS = (Date.now() - t0) / 1000;
  const proxies = {} as Record<Stage, ThrottleProxy>;
  for (const stage of STAGES) {
    proxies[stage] = await ThrottleProxy.start({ target: emulatorEndpoint() });
  }
  const sim = new OrgPipelineSim({
    code,
    accounts: ids,
    failsafe: world.failsafe,
    saveQueueUrl: world.saveQueueUrl,
    timeScale: timing.timeScale,
    copyFinishedAfterMs: timing.copyAwsSeconds * timing.timeScale * 1000 + 50,
    endpoints: Object.fromEntries(STAGES.map((s) => [s, proxies[s].endpoint])),
    onProgress: say,
    timeoutMs: 600_000,
  });
  const started = Date.now();
  for (const id of ids) {
    sim.snapshotsCreated(
      id,
      (automated.get(id) ?? []).map((snapshot) => ({ kind: "instance" as const, id: snapshot })),
    );
  }
  let timedOut = false;
  try {
    ({ timedOut } = await sim.run());
  } finally {
    sim.stop();
  }
  const wallS = (Date.now() - started) / 1000;

  // Protected: an available failsafe copy of that account's database; duplicates: any copy or
  // intermediate beyond one per account and database.
  const copies = await world.managed(world.failsafe, "instance");
  let protectedCount = 0;
  let duplicates = 0;
  for (const id of ids) {
    const intermediates = await world.managed(world.prod(id).clients, "instance");
    for (const snapshot of automated.get(id) ?? []) {
      const db = snapshot.replace(/^rds:/, "").replace(/-\d{4}(-\d{2}){4}$/, "");
      const saved = copies.filter(
        (c) => c.tags[TAG.sourceAccount] === id && c.tags[TAG.sourceId] === db,
      );
      if (saved.some((c) => c.status === "available")) protectedCount += 1;
      duplicates += Math.max(0, saved.length - 1);
      duplicates += Math.max(0, intermediates.filter((s) => s.sourceId === db).length - 1);
    }
  }
  const stages = {} as Record<Stage | "total", StageCalls>;
  const all: number[] = [];
  let totalCalls = 0;
  for (const stage of STAGES) {
    const ms = sim.invocations.filter((i) => i.stage === stage).map((i) => i.ms);
    all.push(...ms);
    const calls = proxies[stage].total();
    totalCalls += calls;
    stages[stage] = {
      invocations: ms.length,
      calls,
      callsPerSnapshot: calls / Math.max(1, protectedCount),
      handlerSecondsPerSnapshot: ms.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, protectedCount),
      maxMs: Math.max(0, ...ms),
    };
  }
  stages.total = {
    invocations: all.length,
    calls: totalCalls,
    callsPerSnapshot: totalCalls / Math.max(1, protectedCount),
    handlerSecondsPerSnapshot: all.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, protectedCount),
    maxMs: Math.max(0, ...all),
  };
  const byAction = Object.fromEntries(
    STAGES.map((stage) => [stage, Object.fromEntries([...proxies[stage].calls.entries()].sort())]),
  ) as Record<Stage, Record<string, number>>;
  const statuses = Object.fromEntries(
    STAGES.map((stage) => [stage, Object.fromEntries(proxies[stage].statuses.entries())]),
  ) as Record<Stage, Record<string, number>>;
  const retries = sim.decisions
    .filter((d) => d.decision === "retry")
    .map((d) =>
      String(d.reason).replace(/[0-9a-f-]{36}|\d{4}-\d{2}-\d{2}-\d{2}-\d{2}|db\d{4}/g, "…"),
    );
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  return {
    byAction,
    statuses,
    retryReasons: Object.entries(
      retries.reduce<Record<string, number>>((m, r) => ({ ...m, [r]: (m[r] ?? 0) + 1 }), {}),
    )
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8),
    accounts,
    perAccount,
    databases: accounts * perAccount,
    protected: protectedCount,
    duplicates,
    dlq: sim.queues.reduce((n, q) => n + q.dlq.length, 0),
    limitRetries: sim.decisions.filter((d) => String(d.reason).includes("Cannot copy more than"))
      .length,
    evaluationS,
    wallS,
    timedOut,
    stages,
  };
}

/**
 * The sweeps at `n` protected databases: n tagged DB instances in one prod account, each with its
 * intermediate shared and its failsafe copy saved (by the handlers, in batches of 100, as SQS
 * would hand them over), then one run of each deployed sweep through a counting proxy. One copy
 * per lineage: a steady state with retentionDays 31 holds ~32 per lineage, and the failsafe
 * sweep's listing grows with the copies, not the databases.
 */
export async function sweepCost(n: number): Promise<SweepCost> {
  const t0 = Date.now();
  const world = await createWorld();
  const automated = await createDatabases(world.prod, n);
  const inBatches = async <T>(
    items: readonly T[],
    size: number,
    run: (batch: T[]) => Promise<unknown>,
  ) => {
    for (let i = 0; i < items.length; i += size) await run(items.slice(i, i + size));
  };
  const region = REGION;
  const arnOf = (account: string, id: string) =>
    `arn:${partitionOf(region)}:rds:${region}:${account}:snapshot:${id}`;
  await inBatches(automated, 100, (batch) =>
    world.prodSide.copy(
      sqsEvent(
        batch.map((id) =>
          rdsSnapshotEvent({
            eventId: EVENT_IDS.automatedInstanceSnapshotCreated,
            kind: "instance",
            snapshotArn: arnOf(world.prod.accountId, id),
            account: world.prod.accountId,
            region,
          }),
        ),
      ),
    ),
  );
  const intermediates = (await world.manualSnapshots(world.prod, "instance")).map((s) => s.id);
  await inBatches(intermediates, 100, (batch) =>
    world.prodSide.share(
      sqsEvent(
        batch.map((id) =>
          rdsSnapshotEvent({
            eventId: EVENT_IDS.snapshotCopyFinished,
            kind: "instance",
            snapshotArn: arnOf(world.prod.accountId, id),
            account: world.prod.accountId,
            region,
          }),
        ),
      ),
    ),
  );
  // SNS → SQS → save, 100 hand-offs per invocation.
  for (let pending: string[] = []; ;) {
    const out = await world.failsafe.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: world.saveQueueUrl, MaxNumberOfMessages: 10 }),
    );
    const messages = out.Messages ?? [];
    pending.push(...messages.map((m) => m.Body ?? ""));
    if (messages.length > 0) {
      await world.failsafe.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: world.saveQueueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    if (pending.length >= 100 || (messages.length === 0 && pending.length > 0)) {
      await world.failsafeSide.save(sqsEvent(pending));
      pending = [];
    }
    if (messages.length === 0 && pending.length === 0) break;
  }
  // What a lost or refused hand-off leaves, the failsafe sweep saves (as it would in AWS).
  let saved = (await world.manualSnapshots(world.failsafe, "instance")).length;
  for (let run = 0; saved < n && run < Math.ceil(n / 20) + 2; run += 1) {
    await world.failsafeSide.sweep();
    saved = (await world.manualSnapshots(world.failsafe, "instance")).length;
  }
  const unsaved = world.failsafeLog
    .decisions()
    .filter((d) => d.handler === "save" && d.decision !== "saved" && d.decision !== "exists");
  if (unsaved.length > 0) {
    say(
      `N = ${n}: setup: ${unsaved.length} hand-offs not saved at once, e.g. ${JSON.stringify(unsaved[0])}`,
    );
  }
  if (saved !== n) throw new Error(`setup saved ${saved} of ${n} databases`);
  const setupS = (Date.now() - t0) / 1000;
  say(`N = ${n}: ${n} databases protected (setup ${setupS.toFixed(0)} s); running each sweep once`);

  const code = await deployedCode(world);
  const sweeps = {} as SweepCost["sweeps"];
  for (const [which, name] of [
    ["failsafe-sweep", FUNCTIONS.failsafeSweep],
    ["prod-sweep", FUNCTIONS.prodSweep],
  ] as const) {
    const proxy = await ThrottleProxy.start({ target: emulatorEndpoint() });
    const proc = code.spawn(name, proxy.endpoint);
    try {
      const result = (await proc.invoke<Record<string, unknown>>(null)) ?? {};
      sweeps[which] = {
        calls: proxy.total(),
        byAction: Object.fromEntries([...proxy.calls.entries()].sort()),
        durationMs: proc.lastDurationMs ?? 0,
        result:
          which === "failsafe-sweep"
            ? `${(result.sources as unknown[] | undefined)?.length ?? "?"} sources, saved ${String(result.saved)}`
            : `copied ${String(result.copied)}, shared ${String(result.shared)}, unprotected ${(result.unprotected as unknown[] | undefined)?.length ?? "?"}`,
      };
    } finally {
      proc.stop();
      await proxy.close();
    }
  }
  return { databases: n, setupS, sweeps };
}

const f2 = (x: number) => x.toFixed(2);

/** The rows bench/results.md gains, and the targets they are held to. */
export function orgMarkdown(
  runs: readonly MultiAccountRun[],
  costs: readonly SweepCost[],
  single: { n: number; callsPerSnapshot: number } | undefined,
): { lines: string[]; targets: (readonly [string, boolean])[] } {
  const lines: string[] = [];
  const targets: (readonly [string, boolean])[] = [];
  if (runs.length > 0) {
    lines.push(
      "",
      "Many prod accounts into one failsafe account (the deployed failsafe stack and one copy stack per account; each account its own queues and function instances, copies in flight limited per account):",
      "",
      "| accounts × databases | stage | invocations | AWS calls | of which refused (HTTP 400: copies in flight at RDS's limit) | calls / protected snapshot | handler-s / protected snapshot | max invocation |",
      "| --- | --- | --: | --: | --: | --: | --: | --: |",
    );
    for (const r of runs) {
      for (const stage of [...STAGES, "total"] as const) {
        const s = r.stages[stage];
        const refused =
          stage === "total"
            ? STAGES.reduce((n, st) => n + (r.statuses[st]["400"] ?? 0), 0)
            : (r.statuses[stage]["400"] ?? 0);
        lines.push(
          `| ${r.accounts} × ${r.perAccount} | ${stage} | ${s.invocations} | ${s.calls} | ${refused} | ${f2(s.callsPerSnapshot)} | ${s.handlerSecondsPerSnapshot.toFixed(3)} | ${Math.round(s.maxMs)} ms |`,
        );
      }
    }
    lines.push(
      "",
      "| accounts × databases | protected | duplicates | in DLQs | copy-limit retries | calls / snapshot vs single account | stacks evaluated | wall time |",
      "| --- | --: | --: | --: | --: | --: | --: | --: |",
    );
    for (const r of runs) {
      const ratio = single ? r.stages.total.callsPerSnapshot / single.callsPerSnapshot : NaN;
      lines.push(
        `| ${r.accounts} × ${r.perAccount} | ${r.protected}/${r.databases} (${((100 * r.protected) / r.databases).toFixed(0)} %) | ${r.duplicates} | ${r.dlq} | ${r.limitRetries} | ${f2(r.stages.total.callsPerSnapshot)} vs ${single ? f2(single.callsPerSnapshot) : "?"} (N = ${single?.n ?? "?"}): ${((ratio - 1) * 100).toFixed(1)} % | ${r.accounts + 1} in ${r.evaluationS.toFixed(0)} s | ${r.wallS.toFixed(1)} s${r.timedOut ? " (timed out)" : ""} |`,
      );
      targets.push(
        [
          `${r.accounts} × ${r.perAccount}: 100 % protected, 0 duplicates`,
          r.protected === r.databases && r.duplicates === 0,
        ],
        [
          `${r.accounts} × ${r.perAccount}: calls per protected snapshot within 10 % of the single-account figure`,
          single !== undefined && Math.abs(ratio - 1) <= 0.1,
        ],
      );
    }
  }
  if (costs.length > 0) {
    lines.push(
      "",
      "The sweeps at N protected databases (one prod account, one copy per lineage; each deployed sweep run once through a counting proxy; pages of 100):",
      "",
      "| N | sweep | AWS calls | calls by action | handler duration | result |",
      "| --: | --- | --: | --- | --: | --- |",
    );
    for (const c of costs) {
      for (const which of ["failsafe-sweep", "prod-sweep"] as const) {
        const s = c.sweeps[which];
        const actions = Object.entries(s.byAction)
          .map(([a, k]) => `${a.replace(/^rds:/, "")} ${k}`)
          .join(", ");
        lines.push(
          `| ${c.databases} | ${which} | ${s.calls} | ${actions} | ${(s.durationMs / 1000).toFixed(1)} s | ${s.result} |`,
        );
      }
    }
    for (const c of costs) {
      const fs = c.sweeps["failsafe-sweep"];
      // Two listings of N (own copies, shared intermediates) in pages of 100, two empty cluster
      // listings, nothing per lineage.
      const expected = 2 * Math.ceil(c.databases / 100) + 2;
      targets.push([
        `failsafe sweep at N = ${c.databases}: about N/100 calls per listing (${fs.calls} calls, ${expected} expected)`,
        fs.calls <= expected + 2,
      ]);
    }
  }
  return { lines, targets };
}

/**
 * The organization rows of `npm run bench`. BENCH_ORG=<accounts>x<databases> (default 20x50; 0
 * skips it) and BENCH_SWEEP_SIZES (default 1000,5000; empty skips them).
 */
export async function orgBench(
  log: (line: string) => void,
  timing: Timing,
): Promise<{ runs: MultiAccountRun[]; costs: SweepCost[] }> {
  const org = (process.env.BENCH_ORG ?? "20x50").split("x").map(Number);
  const sizes = (process.env.BENCH_SWEEP_SIZES ?? "1000,5000")
    .split(",")
    .filter((s) => s.trim() !== "")
    .map(Number);
  const runs: MultiAccountRun[] = [];
  const [accounts = 0, perAccount = 0] = org;
  if (accounts > 0 && perAccount > 0) {
    log(`${accounts} prod accounts × ${perAccount} databases into one failsafe account`);
    const run = await multiAccount(accounts, perAccount, timing);
    log(
      `${accounts} × ${perAccount}: ${run.protected}/${run.databases} protected, ${run.duplicates} duplicates, DLQ ${run.dlq}, ${run.stages.total.callsPerSnapshot.toFixed(2)} calls per protected snapshot, ${run.wallS.toFixed(1)} s`,
    );
    runs.push(run);
  }
  const costs: SweepCost[] = [];
  for (const n of sizes) {
    log(`N = ${n}: the sweeps at ${n} protected databases`);
    const cost = await sweepCost(n);
    log(
      `N = ${n}: failsafe sweep ${cost.sweeps["failsafe-sweep"].calls} calls in ${(cost.sweeps["failsafe-sweep"].durationMs / 1000).toFixed(1)} s, prod sweep ${cost.sweeps["prod-sweep"].calls} calls in ${(cost.sweeps["prod-sweep"].durationMs / 1000).toFixed(1)} s`,
    );
    costs.push(cost);
  }
  return { runs, costs };
}
