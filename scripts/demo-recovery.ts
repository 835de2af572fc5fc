// The recovery part of `npm run demo` (scripts/demo.ts calls it once the pipeline is idle): a
// restore drill of every protected database through the deployed drill and drill-verify code,
// then the guided restore — one dry run and one real restore with the operator CLI.
import { CreateAliasCommand } from "@aws-sdk/client-kms";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { main as cli } from "../cli/index";
import { NAMES } from "../components/names";
import type { DrillRunReport } from "../handlers/drill";
import { DRILL_TAG } from "../handlers/drill-plan";
import { emulatorEndpoint, FAILSAFE_ACCOUNT, REGION, setEmulatorLimits } from "../test/harness";
import type { DeployedCode } from "../test/support/deployed";
import { DrillHarness } from "../test/support/drills";
import type { World } from "../test/support/world";

/** The emulator's restores take this long (wall clock), so the RTO is measured; AWS takes minutes. */
const RESTORE_SECONDS = 2;

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

/** Drills every protected database, then restores one with the CLI. True when all went well. */
export async function showRecovery(args: {
  readonly world: World;
  readonly code: DeployedCode;
  readonly say: (line: string) => void;
}): Promise<boolean> {
  const { world, code, say } = args;
  const drill = code.spawn(NAMES.fn.drill);
  const verify = code.spawn(NAMES.fn.drillVerify);
  try {
    await setEmulatorLimits({ copySeconds: 1, copyLimit: 20, restoreSeconds: RESTORE_SECONDS });
    const drills = new DrillHarness(world.failsafe, {
      drill: () => drill.invoke(null),
      drillVerify: (event: SQSEvent) => verify.invoke<SQSBatchResponse>(event),
    });
    const protectedCopies = async () =>
      [
        ...(await world.manualSnapshots(world.failsafe, "instance")),
        ...(await world.manualSnapshots(world.failsafe, "cluster")),
      ].filter((s) => s.tags["failsafe:managed"] === "true");
    const total = new Set(
      (await protectedCopies()).map((c) => c.tags["failsafe:source-resource-id"]),
    ).size;
    say(
      `restore drills: every protected database's newest copy restored into a throwaway failsafe-drill-* database (deployed drill + drill-verify code, RDS's 'restored' events from the harness; restores take ${RESTORE_SECONDS} s here)`,
    );
    const started: DrillRunReport["started"][number][] = [];
    for (let run = 1; run <= 5 && started.length < total; run += 1) {
      const report = await drill.invoke<DrillRunReport>(null);
      started.push(...report.started);
      for (const f of report.found)
        say(`  drill run ${run}: found ${f.drill}: ${f.decision} ${f.reason}`);
      say(
        `  drill run ${run}: started ${report.started.map((s) => `${s.source.split("/").slice(1).join("/")} (${s.instanceClass})`).join(", ") || "none"} — at most drillsPerRun (2) at once`,
      );
      await new Promise((resolve) => setTimeout(resolve, RESTORE_SECONDS * 1000));
      await drills.settle({ timeoutMs: 20_000 });
    }
    const left = await drills.databases();
    const copies = await protectedCopies();
    const rows = [
      ["source", "copy restored", "drill database", "class", "result", "RTO", "cleaned up"],
    ];
    let failed = 0;
    for (const s of started) {
      const copy = copies.find((c) => c.id === s.copy);
      const result = copy?.tags[DRILL_TAG.result] ?? "no result";
      if (result !== "pass") failed += 1;
      rows.push([
        s.source.split("/").slice(1).join(" "),
        s.copy,
        s.drill,
        s.instanceClass,
        result === "pass" ? "verified" : `${result}: ${copy?.tags[DRILL_TAG.problem] ?? ""}`,
        copy?.tags[DRILL_TAG.rtoSeconds] ? `${copy.tags[DRILL_TAG.rtoSeconds]} s` : "-",
        Object.keys(left).some((k) => k.includes(s.drill)) ? "NO" : "yes",
      ]);
    }
    console.log(`\n${table(rows)}\n`);
    const verified = new Set(
      started
        .filter((s) => copies.find((c) => c.id === s.copy)?.tags[DRILL_TAG.result] === "pass")
        .map((s) => s.source),
    );
    say(
      `${verified.size}/${total} protected databases restored and verified (engine, version, storage, vault key) in ${started.length} drills, at most 2 at once (drillsPerRun); a free slot re-drills the database proven longest ago; ${Object.keys(left).length} drill databases left`,
    );

    // The guided restore, as an operator runs it: failsafe credentials (here the emulator's).
    await world.failsafe.kms.send(
      new CreateAliasCommand({ AliasName: NAMES.keyAlias.vault, TargetKeyId: world.vaultKeyArn }),
    );
    process.env.AWS_ACCESS_KEY_ID ??= "AKIAEMULATOR0000TEST";
    process.env.AWS_SECRET_ACCESS_KEY ??= "emulator";
    const operator = (argv: string[]) => {
      say(`$ npx rds-failsafe ${argv.join(" ")}`);
      return cli(
        [
          "--region",
          REGION,
          "--endpoint",
          emulatorEndpoint(),
          "--failsafe-role-arn",
          `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
          ...argv,
        ],
        {
          line: (t = "") => console.log(`    ${t.replace(/\n/g, "\n    ")}`),
          error: (t) => console.log(`    ${t}`),
        },
      );
    };
    const listed = await operator(["copies", "--source", "billing"]);
    const dryRun = await operator(["restore", "--source", "orders", "--as", "orders-restored"]);
    const applied = await operator([
      "restore",
      "--source",
      "billing",
      "--as",
      "billing-restored",
      "--apply",
      "--poll-seconds",
      "0.5",
    ]);
    const ok =
      failed === 0 &&
      verified.size === total &&
      Object.keys(left).length === 0 &&
      listed === 0 &&
      dryRun === 0 &&
      applied === 0;
    if (!ok) {
      // Say why: what the drill functions decided other than the happy path, and what is left.
      say(
        `  drill databases left: ${JSON.stringify(left)}; events delivered: ${drills.delivered.join(", ")}`,
      );
      for (const d of [...drill.decisions(), ...verify.decisions()]) {
        if (!["verified", "started", "deleted"].includes(String(d.decision))) {
          say(`  ${String(d.handler)}: ${String(d.decision)} ${String(d.reason)}`);
        }
      }
    }
    say(
      ok
        ? "recovery: every drill verified, the CLI restored billing"
        : "recovery: SOMETHING FAILED (see above)",
    );
    return ok;
  } finally {
    drill.stop();
    verify.stop();
  }
}
