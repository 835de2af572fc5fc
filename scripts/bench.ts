// npm run bench: N = 10, 100 and 1,000 tagged databases snapshotting at once, through the deployed
// code on the emulator, against a polling baseline like the seed designs. Writes bench/results.md,
// bench/results.json and bench/results.png. What is simulated: see the README, "Performance and reliability".
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ListTagsForResourceCommand,
  ModifyDBSnapshotAttributeCommand,
  paginateDescribeDBSnapshots,
  RDSClient,
} from "@aws-sdk/client-rds";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { partitionOf } from "../handlers/partition";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  setEmulatorEndpoint,
  setEmulatorLimits,
} from "../test/harness";
import { deployedCode } from "../test/support/deployed";
import { startEmulator } from "../test/support/emulator-process";
import { PipelineSim, STAGES, type Stage } from "../test/support/pipeline-sim";
import { protection } from "../test/support/protection";
import { ThrottleProxy } from "../test/support/throttle-proxy";
import { createWorld, type World } from "../test/support/world";
import { orgBench, orgMarkdown } from "./bench-org";

const ROOT = path.resolve(__dirname, "..");
const SIZES = (process.env.BENCH_SIZES ?? "10,100,1000").split(",").map(Number);
/** Wall-clock seconds per AWS second for the simulation's timers: 1 s here = 1 min on AWS. */
const TIME_SCALE = 1 / 60;
/** Simulated copy duration on AWS (seconds); the emulator's copies take COPY_AWS_S × TIME_SCALE. */
const COPY_AWS_S = 30;
const COPY_LIMIT = 20;
/** The baseline polls DescribeDBSnapshots every POLL_S seconds (simulated, not slept). */
const POLL_S = 5;
const BASELINE_SIZES = SIZES.filter((n) => n <= 100);

const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
};

interface StageFigures {
  invocations: number;
  p50: number;
  p95: number;
  max: number;
  calls: number;
  callsPerSnapshot: number;
  handlerSecondsPerSnapshot: number;
}

async function createDatabases(world: World, n: number) {
  for (let i = 0; i < n; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, (_, j) =>
        world.prod.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: `db${String(i + j).padStart(4, "0")}`,
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
  const automated: { kind: "instance"; id: string }[] = [];
  // RDS answers at most 100 per page (emulator extension 17).
  for await (const page of paginateDescribeDBSnapshots(
    { client: world.prod.rds },
    { SnapshotType: "automated" },
  )) {
    automated.push(
      ...(page.DBSnapshots ?? []).map((s) => ({
        kind: "instance" as const,
        id: s.DBSnapshotIdentifier ?? "",
      })),
    );
  }
  return automated;
}

async function eventDriven(n: number) {
  const world = await createWorld();
  await setEmulatorLimits({ copySeconds: COPY_AWS_S * TIME_SCALE, copyLimit: COPY_LIMIT });
  const code = await deployedCode(world);
  const automated = await createDatabases(world, n);
  const proxies = {} as Record<Stage, ThrottleProxy>;
  for (const stage of STAGES)
    proxies[stage] = await ThrottleProxy.start({ target: emulatorEndpoint() });
  const sim = new PipelineSim({
    code,
    world,
    timeScale: TIME_SCALE,
    copyFinishedAfterMs: COPY_AWS_S * TIME_SCALE * 1000 + 50,
    endpoints: Object.fromEntries(STAGES.map((s) => [s, proxies[s].endpoint])),
    onProgress: (line) => say(line),
    timeoutMs: 480_000,
  });
  const t0 = Date.now();
  sim.snapshotsCreated(automated);
  const { timedOut } = await sim.run();
  const wallS = (Date.now() - t0) / 1000;
  sim.stop();
  const report = await protection(
    world,
    automated.map((a) => ({
      kind: "instance",
      id: a.id.replace(/^rds:/, "").replace(/-\d{4}(-\d{2}){4}$/, ""),
    })),
  );
  const protectedCount = report.protected;
  const stages = {} as Record<Stage | "total", StageFigures>;
  const all: number[] = [];
  let totalCalls = 0;
  for (const stage of STAGES) {
    const ms = sim.invocations.filter((i) => i.stage === stage).map((i) => i.ms);
    all.push(...ms);
    const calls = proxies[stage].total();
    totalCalls += calls;
    stages[stage] = {
      invocations: ms.length,
      p50: quantile(ms, 0.5),
      p95: quantile(ms, 0.95),
      max: Math.max(0, ...ms),
      calls,
      callsPerSnapshot: calls / Math.max(1, protectedCount),
      handlerSecondsPerSnapshot: ms.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, protectedCount),
    };
  }
  stages.total = {
    invocations: all.length,
    p50: quantile(all, 0.5),
    p95: quantile(all, 0.95),
    max: Math.max(0, ...all),
    calls: totalCalls,
    callsPerSnapshot: totalCalls / Math.max(1, protectedCount),
    handlerSecondsPerSnapshot: all.reduce((a, b) => a + b, 0) / 1000 / Math.max(1, protectedCount),
  };
  const limitRetries = sim.decisions.filter((d) =>
    String(d.reason).includes("Cannot copy more than"),
  ).length;
  const dlq = STAGES.reduce((sum, s) => sum + sim.queues[s].dlq.length, 0);
  await Promise.all(Object.values(proxies).map((p) => p.close()));
  return {
    n,
    protected: protectedCount,
    duplicates: report.duplicates,
    dlq,
    limitRetries,
    wallS,
    timedOut,
    stages,
  };
}

/**
 * The seed designs: one function walks the tagged databases one after another — describe, list
 * tags, copy, poll until available, share, notify — and the save function copies and polls again.
 * The emulator's copies are available at once; the baseline counts COPY_AWS_S / POLL_S poll rounds
 * per copy (each a real DescribeDBSnapshots call) and bills POLL_S seconds per round without
 * sleeping.
 */
async function baseline(n: number) {
  const world = await createWorld();
  const automated = await createDatabases(world, n);
  const proxy = await ThrottleProxy.start({ target: emulatorEndpoint() });
  const prod = await accountClients(PROD_ACCOUNT);
  const failsafe = await accountClients(FAILSAFE_ACCOUNT);
  const client = (c: typeof prod) => ({
    region: REGION,
    endpoint: proxy.endpoint,
    credentials: c.credentials,
  });
  const rds = new RDSClient(client(prod));
  const sns = new SNSClient(client(prod));
  const rdsF = new RDSClient(client(failsafe));
  const rounds = Math.ceil(COPY_AWS_S / POLL_S);
  let activeMs = 0;
  let simulatedS = 0;
  for (const a of automated) {
    const db = a.id.replace(/^rds:/, "").replace(/-\d{4}(-\d{2}){4}$/, "");
    const t = performance.now();
    const inst = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db }));
    await rds.send(
      new ListTagsForResourceCommand({ ResourceName: inst.DBInstances?.[0]?.DBInstanceArn }),
    );
    await rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: db, SnapshotType: "automated" }),
    );
    const target = `copy-${db}`;
    await rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: a.id,
        TargetDBSnapshotIdentifier: target,
        KmsKeyId: world.transitKeyArn,
      }),
    );
    for (let r = 0; r < rounds; r += 1) {
      await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: target }));
      simulatedS += POLL_S;
    }
    await rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: target,
        AttributeName: "restore",
        ValuesToAdd: [FAILSAFE_ACCOUNT],
      }),
    );
    await sns.send(new PublishCommand({ TopicArn: world.handoffTopicArn, Message: target }));
    const arn = `arn:${partitionOf(REGION)}:rds:${REGION}:${PROD_ACCOUNT}:snapshot:${target}`;
    await rdsF.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: arn }));
    await rdsF.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: arn,
        TargetDBSnapshotIdentifier: target,
        KmsKeyId: world.vaultKeyArn,
      }),
    );
    for (let r = 0; r < rounds; r += 1) {
      await rdsF.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: target }));
      simulatedS += POLL_S;
    }
    await rdsF.send(new DescribeDBSnapshotsCommand({ SnapshotType: "manual" }));
    activeMs += performance.now() - t;
  }
  const calls = proxy.total();
  await proxy.close();
  [rds, sns, rdsF].forEach((c) => c.destroy());
  return {
    n,
    callsPerSnapshot: calls / n,
    activeSecondsPerSnapshot: activeMs / 1000 / n,
    billedSecondsPerSnapshot: (activeMs / 1000 + simulatedS) / n,
    longestInvocationS: activeMs / 1000 + simulatedS,
  };
}

function ensureMatplotlib(): void {
  const python = path.join(ROOT, ".venv-emulator", "bin", "python");
  if (spawnSync(python, ["-c", "import matplotlib"]).status === 0) return;
  say("installing matplotlib (bench/requirements.txt) into .venv-emulator/ for the chart");
  const pip = spawnSync(
    python,
    [
      "-m",
      "pip",
      "install",
      "--quiet",
      "--disable-pip-version-check",
      "-r",
      path.join(ROOT, "bench", "requirements.txt"),
    ],
    { encoding: "utf8" },
  );
  if (pip.status !== 0) throw new Error(`pip install failed:\n${pip.stderr}`);
}

const f2 = (x: number) => x.toFixed(2);
const ms = (x: number) => `${Math.round(x)} ms`;

async function main(): Promise<number> {
  const emulator = await startEmulator();
  setEmulatorEndpoint(emulator.endpoint);
  const runs = [];
  const base = [];
  let org: Awaited<ReturnType<typeof orgBench>> = { runs: [], costs: [] };
  try {
    for (const n of SIZES) {
      say(
        `N = ${n}: event-driven pipeline (deployed code), copies ${COPY_AWS_S} s simulated, ${COPY_LIMIT} in flight`,
      );
      const run = await eventDriven(n);
      runs.push(run);
      say(
        `N = ${n}: ${run.protected}/${n} protected, DLQ ${run.dlq}, ${run.limitRetries} copy-limit retries, ${run.wallS.toFixed(1)} s`,
      );
    }
    for (const n of BASELINE_SIZES) {
      say(`N = ${n}: polling baseline`);
      base.push(await baseline(n));
    }
    // Organization rows: many prod accounts, the sweeps at scale (scripts/bench-org.ts).
    org = await orgBench(say, {
      copyAwsSeconds: COPY_AWS_S,
      timeScale: TIME_SCALE,
      copyLimit: COPY_LIMIT,
    });
  } finally {
    await emulator.stop();
  }
  const lines: string[] = [];
  lines.push("# Benchmark results", "");
  lines.push(
    `Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${process.platform}, Node ${process.version}). Machine-dependent: read ratios and counts first. Simulation: see the README, "Performance and reliability".`,
    "",
  );
  lines.push(
    "| N | stage | invocations | handler p50 | p95 | max | AWS calls | calls / protected snapshot | handler-s / protected snapshot |",
  );
  lines.push("| --: | --- | --: | --: | --: | --: | --: | --: | --: |");
  for (const r of runs) {
    for (const stage of [...STAGES, "total"] as const) {
      const s = r.stages[stage];
      lines.push(
        `| ${r.n} | ${stage} | ${s.invocations} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.max)} | ${s.calls} | ${f2(s.callsPerSnapshot)} | ${s.handlerSecondsPerSnapshot.toFixed(3)} |`,
      );
    }
  }
  lines.push(
    "",
    "| N | protected | duplicates | in DLQs | copy-limit (SnapshotQuotaExceeded) retries | wall time |",
    "| --: | --: | --: | --: | --: | --: |",
  );
  for (const r of runs)
    lines.push(
      `| ${r.n} | ${r.protected} | ${r.duplicates} | ${r.dlq} | ${r.limitRetries} | ${r.wallS.toFixed(1)} s${r.timedOut ? " (timed out)" : ""} |`,
    );
  lines.push(
    "",
    "Polling baseline (seed design: copy, poll every 5 s until available, one DB after another; copy duration 30 s simulated):",
    "",
  );
  lines.push(
    "| N | calls / snapshot | billed s / snapshot (active + simulated waits) | one invocation for all N | event-driven handler-s / snapshot | ratio (baseline / event-driven) |",
    "| --: | --: | --: | --: | --: | --: |",
  );
  for (const b of base) {
    const r = runs.find((x) => x.n === b.n);
    const ed = r?.stages.total.handlerSecondsPerSnapshot ?? NaN;
    lines.push(
      `| ${b.n} | ${f2(b.callsPerSnapshot)} | ${f2(b.billedSecondsPerSnapshot)} | ${b.longestInvocationS.toFixed(0)} s | ${ed.toFixed(3)} | ${(b.billedSecondsPerSnapshot / ed).toFixed(0)}× |`,
    );
  }
  const totals = runs.map((r) => r.stages.total);
  const targets = [
    [
      "≤ 1 s handler time per protected snapshot (all stages)",
      totals.every((t) => t.handlerSecondsPerSnapshot <= 1),
    ],
    [
      "calls per snapshot flat from N=10 to 1,000 (within 10 %)",
      Math.max(...totals.map((t) => t.callsPerSnapshot)) <=
        1.1 * Math.min(...totals.map((t) => t.callsPerSnapshot)),
    ],
    ["no invocation above 5 s", totals.every((t) => t.max <= 5000)],
    ["no message in a DLQ", runs.every((r) => r.dlq === 0)],
  ] as const;
  const largest = runs.at(-1);
  const orgRows = orgMarkdown(
    org.runs,
    org.costs,
    largest && { n: largest.n, callsPerSnapshot: largest.stages.total.callsPerSnapshot },
  );
  lines.push(...orgRows.lines);
  lines.push("", "Targets:", "");
  for (const [what, met] of [...targets, ...orgRows.targets])
    lines.push(`- ${met ? "met" : "NOT met"}: ${what}`);
  lines.push("", "![calls and handler time per protected snapshot against N](results.png)", "");
  fs.writeFileSync(path.join(ROOT, "bench", "results.md"), lines.join("\n"));
  fs.writeFileSync(
    path.join(ROOT, "bench", "results.json"),
    JSON.stringify({ runs, baseline: base, org }, null, 2),
  );
  ensureMatplotlib();
  const chart = spawnSync(
    path.join(ROOT, ".venv-emulator", "bin", "python"),
    [
      path.join(ROOT, "bench", "chart.py"),
      path.join(ROOT, "bench", "results.json"),
      path.join(ROOT, "bench", "results.png"),
    ],
    { encoding: "utf8" },
  );
  if (chart.status !== 0) throw new Error(`chart failed:\n${chart.stderr}`);
  // The outputs are committed: keep them in the repository's format (npm run lint checks them).
  spawnSync(
    process.execPath,
    [
      require.resolve("prettier/bin/prettier.cjs"),
      "--write",
      "bench/results.md",
      "bench/results.json",
    ],
    { cwd: ROOT },
  );
  console.log(`\n${lines.join("\n")}`);
  say("wrote bench/results.md, bench/results.json, bench/results.png");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
