// npm run demo: the whole pipeline on a local two-account AWS emulator, through the deployed
// (serialized) Lambda code, with the events AWS would emit. See the README, "Quick start".
import {
  setEmulatorEndpoint,
  setEmulatorLimits,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
} from "../test/harness";
import { deployedCode } from "../test/support/deployed";
import { twoProdAccountsDemo } from "./demo-org";
import { startEmulator, type RunningEmulator } from "../test/support/emulator-process";
import { PipelineSim } from "../test/support/pipeline-sim";
import { protection, sourceKeyOf, type Source } from "../test/support/protection";
import { createWorld, type Encryption } from "../test/support/world";
import { showRecovery } from "./demo-recovery";
import { demoPreflight } from "./demo-preflight";
import { statusStep } from "./demo-ops";

interface Database extends Source {
  readonly tagged: boolean;
  readonly encryption: Encryption;
}

const DATABASES: readonly Database[] = [
  { kind: "instance", id: "orders", tagged: true, encryption: "default" },
  { kind: "instance", id: "billing", tagged: true, encryption: "cmk" },
  { kind: "instance", id: "catalog", tagged: true, encryption: "none" },
  { kind: "cluster", id: "ledger", tagged: true, encryption: "cmk" },
  { kind: "cluster", id: "events", tagged: true, encryption: "none" },
  { kind: "instance", id: "scratch", tagged: false, encryption: "none" },
  { kind: "cluster", id: "sandbox", tagged: false, encryption: "default" },
];

/** The emulator's copies take this long (wall clock), so progress is visible; AWS takes minutes. */
const COPY_SECONDS = 1;

const started = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    line(rows[0] ?? []),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.slice(1).map(line),
  ].join("\n");
}

function age(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return minutes < 1 ? `${Math.round(ms / 1000)} s` : `${minutes} min`;
}

async function main(): Promise<number> {
  say("starting the AWS emulator (moto + test/emulator/extensions.py) on loopback");
  let emulator: RunningEmulator | undefined;
  let sim: PipelineSim | undefined;
  try {
    emulator = await startEmulator();
    setEmulatorEndpoint(emulator.endpoint);
    say(
      `emulator up at ${emulator.endpoint}; accounts prod ${PROD_ACCOUNT}, failsafe ${FAILSAFE_ACCOUNT}`,
    );
    await demoPreflight(say, DATABASES);
    const world = await createWorld();
    await setEmulatorLimits({ copySeconds: COPY_SECONDS, copyLimit: 20 });
    say("evaluating the Pulumi program under mocks and extracting the Lambda archives");
    const code = await deployedCode(world);

    say(`creating ${DATABASES.length} databases in prod`);
    const automated: { kind: "instance" | "cluster"; id: string }[] = [];
    for (const db of DATABASES) {
      const options = { tagged: db.tagged, encryption: db.encryption };
      const snapshot =
        db.kind === "instance"
          ? await world.createInstance(db.id, options)
          : await world.createCluster(db.id, options);
      automated.push({ kind: db.kind, id: snapshot.id });
      say(
        `  ${db.kind === "instance" ? "DB instance   " : "Aurora cluster"} ${db.id.padEnd(8)} ` +
          `${db.tagged ? "Failsafe=True" : "(untagged)   "} encryption ${db.encryption.padEnd(7)} → automated snapshot ${snapshot.id}`,
      );
    }

    say("RDS emits 'automated snapshot created'; the deployed functions take it from there");
    sim = new PipelineSim({
      code,
      world,
      timeScale: 1 / 60,
      copyFinishedAfterMs: COPY_SECONDS * 1000 + 100,
      onProgress: say,
      timeoutMs: 120_000,
    });
    sim.snapshotsCreated(automated);
    const { timedOut } = await sim.run();
    const invocations = sim.invocations.length;
    say(`pipeline idle after ${invocations} invocations${timedOut ? " (TIMED OUT)" : ""}`);

    const tagged = DATABASES.filter((d) => d.tagged);
    const report = await protection(world, tagged);
    const now = Date.now();
    const rows: string[][] = [
      ["source", "encryption", "intermediate (prod)", "failsafe copy", "key", "age", "status"],
    ];
    let unprotected = 0;
    for (const db of DATABASES) {
      const key = sourceKeyOf(db);
      const intermediate = report.intermediates.get(key)?.[0];
      const copy = report.copies.get(key)?.find((s) => s.status === "available");
      const copyDecision = sim.decisions.find(
        (d) => d.stage === "copy" && d.sourceId === db.id && d.kind === db.kind,
      );
      let status: string;
      if (copy) {
        status = "protected";
      } else if (!db.tagged) {
        status = `skipped: ${String(copyDecision?.reason ?? "no decision logged")}`;
      } else {
        unprotected += 1;
        status = `UNPROTECTED: ${String(copyDecision?.reason ?? "no decision logged")}`;
      }
      const sourceTime = copy?.tags["failsafe:source-time"];
      rows.push([
        `${db.kind === "instance" ? "instance" : "cluster "} ${db.id}`,
        db.encryption === "default" ? "aws/rds" : db.encryption === "cmk" ? "app CMK" : "none",
        intermediate?.id ?? "-",
        copy?.id ?? "-",
        !copy
          ? "-"
          : copy.kmsKeyId === world.vaultKeyArn
            ? "vault CMK"
            : copy.encrypted
              ? String(copy.kmsKeyId)
              : "none (unencrypted cluster)",
        sourceTime ? age(now - Date.parse(sourceTime)) : "-",
        status,
      ]);
    }
    console.log(`\n${table(rows)}\n`);
    const dlq = Object.values(sim.queues).reduce((n, q) => n + q.dlq.length, 0);
    say(
      `${report.protected}/${report.tagged} tagged databases protected, ${report.duplicates} duplicates, ` +
        `${report.lost} lost, ${dlq} messages in DLQs`,
    );
    const warnings = sim.decisions.filter((d) =>
      ["failed", "rejected"].includes(String(d.decision)),
    );
    for (const w of warnings) say(`  ${w.stage}: ${String(w.decision)} ${String(w.reason)}`);
    if (!(await showRecovery({ world, code, say }))) return 1; // drills + guided restore (issue 12)
    await statusStep(world, code, say); // the operator's view: npx rds-failsafe status (demo-ops.ts)
    if (!(await twoProdAccountsDemo(say, table))) return 1; // scripts/demo-org.ts
    return unprotected > 0 || timedOut ? 1 : 0;
  } finally {
    sim?.stop();
    await emulator?.stop();
    say("emulator stopped");
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
