// npm run bench:status: how long `npx rds-failsafe status` and `report` take, and how many AWS
// calls they make, against N databases in prod (9 in 10 tagged, each with DAYS daily failsafe
// copies) on the emulator. Writes bench/status.md and bench/status.json.
//
// The fleet is built with the handlers themselves (copy → share → save, in batches as SQS would
// deliver them), then the CLI runs in-process exactly as `npx rds-failsafe` does, three times per
// size (the median is reported). moto answers DescribeDBSnapshots in one page whatever its size
// (extension 4 returns every match), so the AWS call count at AWS's 100 per page is also given.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { CreateDBInstanceCommand } from "@aws-sdk/client-rds";
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { main } from "../cli/index";
import { EVENT_IDS } from "../handlers/events";
import { managedSnapshotId } from "../handlers/naming";
import {
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  setEmulatorEndpoint,
  setEmulatorLimits,
  takeAutomatedSnapshot,
} from "../test/harness";
import { startEmulator } from "../test/support/emulator-process";
import { rdsSnapshotEvent, sqsEvent } from "../test/support/events";
import { createWorld, type World } from "../test/support/world";

const ROOT = path.resolve(__dirname, "..");
const SIZES = (process.env.BENCH_STATUS_SIZES ?? "100,1000").split(",").map(Number);
const DAYS = Number(process.env.BENCH_STATUS_DAYS ?? "3");
const RUNS = 3;
/** Records per simulated Lambda invocation (the program's batch sizes are 5 and 10). */
const BATCH = 25;
const H = 3_600_000;

const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const chunks = <T>(items: readonly T[], n: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, (i + 1) * n));

async function fleet(world: World, n: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `db${String(i).padStart(4, "0")}`);
  for (const group of chunks(ids, 25)) {
    await Promise.all(
      group.map((id) =>
        world.prod.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: id,
            Engine: "postgres",
            DBInstanceClass: "db.t3.micro",
            AllocatedStorage: 20,
            MasterUsername: "app",
            MasterUserPassword: "not-a-secret-1",
            BackupRetentionPeriod: 7,
            Tags: ids.indexOf(id) % 10 === 9 ? [] : [{ Key: "Failsafe", Value: "True" }],
          }),
        ),
      ),
    );
  }
  const tagged = ids.filter((_, i) => i % 10 !== 9);
  const now = world.now().getTime();
  for (let day = DAYS - 1; day >= 0; day -= 1) {
    const time = new Date(now - (day * 24 + 1) * H);
    const automated: string[] = [];
    for (const group of chunks(tagged, 25)) {
      const taken = await Promise.all(
        group.map((id) =>
          takeAutomatedSnapshot({ account: PROD_ACCOUNT, kind: "instance", id, time }),
        ),
      );
      automated.push(...taken.map((t) => t.arn));
    }
    const event = (eventId: string, arn: string) =>
      rdsSnapshotEvent({
        eventId,
        kind: "instance",
        snapshotArn: arn,
        account: PROD_ACCOUNT,
        region: REGION,
      });
    for (const group of chunks(automated, BATCH)) {
      await world.prodSide.copy(
        sqsEvent(group.map((arn) => event(EVENT_IDS.automatedInstanceSnapshotCreated, arn))),
      );
    }
    const intermediates = automated.map(
      (arn) =>
        `arn:aws:rds:${REGION}:${PROD_ACCOUNT}:snapshot:${managedSnapshotId("instance", arn.split(":snapshot:")[1] ?? "")}`,
    );
    for (const group of chunks(intermediates, BATCH)) {
      await world.prodSide.share(
        sqsEvent(group.map((arn) => event(EVENT_IDS.snapshotCopyFinished, arn))),
      );
    }
    let saved = 0;
    for (;;) {
      const { Messages = [] } = await world.failsafe.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: world.saveQueueUrl, MaxNumberOfMessages: 10 }),
      );
      if (Messages.length === 0) break;
      await world.failsafeSide.save(sqsEvent(Messages.map((m) => m.Body ?? "")));
      await world.failsafe.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: world.saveQueueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      saved += Messages.length;
    }
    say(
      `  day -${day}: ${automated.length} automated snapshots copied, shared and saved (${saved} hand-offs)`,
    );
  }
}

interface Run {
  readonly ms: number;
  readonly code: number;
  readonly calls: Record<string, number>;
  readonly callMs: Record<string, number>;
  readonly assessMs: number;
  readonly rows: number;
  readonly copies: number;
  readonly verdict: string;
}

async function runCli(
  args: readonly string[],
): Promise<{ ms: number; code: number; text: string }> {
  const lines: string[] = [];
  const out = { line: (t = "") => lines.push(t), error: (t: string) => lines.push(t) };
  const t = performance.now();
  const code = await main(
    [
      "--region",
      REGION,
      "--endpoint",
      emulatorEndpoint(),
      "--prod-role-arn",
      `arn:aws:iam::${PROD_ACCOUNT}:role/operator`,
      "--failsafe-role-arn",
      `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
      ...args,
    ],
    out,
  );
  return { ms: performance.now() - t, code, text: lines.join("\n") };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Calls AWS would answer for the same reads: snapshot listings at 100 per page. */
function awsCalls(calls: Record<string, number>, items: { snapshots: number[] }): number {
  const emulatorSnapshotCalls =
    (calls["RDS:DescribeDBSnapshots"] ?? 0) + (calls["RDS:DescribeDBClusterSnapshots"] ?? 0);
  const pages = items.snapshots.reduce((n, count) => n + Math.max(1, Math.ceil(count / 100)), 0);
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  return total - emulatorSnapshotCalls + pages;
}

async function measure(n: number) {
  say(`N = ${n}: building the fleet (${DAYS} days of copies, 9 in 10 databases tagged)`);
  const world = await createWorld();
  // Enough quota that nothing is refused: the benchmark measures reading, not the quota.
  await setEmulatorLimits({ manualSnapshotQuota: 1_000_000 });
  const built = performance.now();
  await fleet(world, n);
  say(`  built in ${((performance.now() - built) / 1000).toFixed(0)} s`);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const r = await runCli(["status", "--json"]);
    const json = JSON.parse(r.text) as {
      awsCalls: Record<string, number>;
      awsCallMs: Record<string, number>;
      assessMs: number;
      databases: unknown[];
      verdict: { line: string };
    };
    runs.push({
      ms: r.ms,
      code: r.code,
      calls: json.awsCalls,
      callMs: json.awsCallMs,
      assessMs: json.assessMs,
      rows: json.databases.length,
      copies: 0,
      verdict: json.verdict.line,
    });
  }
  const table = await runCli(["status"]);
  const reports: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    reports.push((await runCli(["report", "--format", "csv"])).ms);
  }
  const tagged = n - Math.floor(n / 10);
  const copies = tagged * DAYS;
  const calls = runs[0]?.calls ?? {};
  // Listings the status makes: prod automated (instance, cluster), prod manual, failsafe manual.
  const snapshots = [tagged * DAYS + n, 0, tagged * DAYS, 0, copies, 0];
  const figures = {
    n,
    tagged,
    copies,
    statusMs: median(runs.map((r) => r.ms)),
    assessMs: median(runs.map((r) => r.assessMs)),
    tableMs: table.ms,
    reportMs: median(reports),
    exitStatus: runs[0]?.code,
    rows: runs[0]?.rows,
    emulatorCalls: Object.values(calls).reduce((a, b) => a + b, 0),
    awsCalls: awsCalls(calls, { snapshots }),
    calls,
    callMs: runs[0]?.callMs ?? {},
    verdict: runs[0]?.verdict,
  };
  say(
    `  status ${figures.statusMs.toFixed(0)} ms (median of ${RUNS}), report ${figures.reportMs.toFixed(0)} ms, ${figures.emulatorCalls} calls (${figures.awsCalls} on AWS at 100 per page); ${figures.verdict}`,
  );
  return figures;
}

async function run(): Promise<void> {
  process.env.AWS_ACCESS_KEY_ID ??= "AKIAEMULATOR0000TEST";
  process.env.AWS_SECRET_ACCESS_KEY ??= "emulator";
  const emulator = await startEmulator();
  try {
    setEmulatorEndpoint(emulator.endpoint);
    const results: Awaited<ReturnType<typeof measure>>[] = [];
    for (const n of SIZES) {
      results.push(await measure(n));
    }
    const date = new Date().toISOString().slice(0, 10);
    const md = [
      "# `npx rds-failsafe status` and `report` at scale",
      "",
      `Generated by \`npm run bench:status\` on ${date} (${process.platform}, Node ${process.version}), on the emulator: N databases in prod, 9 in 10 tagged, ${DAYS} daily failsafe copies each. Times are wall clock for the whole command in-process (both accounts read at once, median of ${RUNS} runs); machine-dependent. moto answers a snapshot listing in one page of any size; "AWS calls" counts the same reads at AWS's 100 snapshots per page.`,
      "",
      "|    N | tagged | failsafe copies | status | of which assessing | status (table) | report (csv) | calls (emulator) | calls (AWS, 100 per page) | exit |",
      "| ---: | -----: | --------------: | -----: | -----------------: | -------------: | -----------: | ---------------: | ------------------------: | ---: |",
      ...results.map(
        (r) =>
          `| ${r.n} | ${r.tagged} | ${r.copies} | ${(r.statusMs / 1000).toFixed(2)} s | ${r.assessMs} ms | ${(r.tableMs / 1000).toFixed(2)} s | ${(r.reportMs / 1000).toFixed(2)} s | ${r.emulatorCalls} | ${r.awsCalls} | ${r.exitStatus} |`,
      ),
      "",
      "Calls per operation at the largest N (count, and time spent in them; the listings run at once):",
      "",
      ...Object.entries(results.at(-1)?.calls ?? {})
        .sort()
        .map(([op, count]) => `- ${op}: ${count} (${results.at(-1)?.callMs[op] ?? 0} ms)`),
      "",
    ].join("\n");
    fs.mkdirSync(path.join(ROOT, "bench"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, "bench", "status.md"), md);
    fs.writeFileSync(
      path.join(ROOT, "bench", "status.json"),
      `${JSON.stringify(results, null, 2)}\n`,
    );
    // The outputs are committed: keep them in the repository's format (npm run lint checks them).
    spawnSync(
      process.execPath,
      [
        require.resolve("prettier/bin/prettier.cjs"),
        "--write",
        "bench/status.md",
        "bench/status.json",
      ],
      { cwd: ROOT },
    );
    say("wrote bench/status.md and bench/status.json");
  } finally {
    await emulator.stop();
  }
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
