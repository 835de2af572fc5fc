// npm run attacks: the attack suite at full size, through the deployed code on a fresh emulator,
// in simulated time. Prints one row per attack and the final line, and writes bench/attacks.md.
// The same scenarios run small in `npm test` (test/attacks.test.ts). docs/attacks.md explains
// the columns. ATTACKS=1,2,8 runs only those rows.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { setEmulatorEndpoint } from "../test/harness";
import { startEmulator } from "../test/support/emulator-process";
import {
  finalLine,
  formatTable,
  FULL,
  iamRows,
  runScenario,
  SCENARIOS,
  SMALL,
  type AttackRow,
} from "../test/support/attacks";

async function main(): Promise<number> {
  const started = Date.now();
  const size = process.env.ATTACKS_SIZE === "small" ? SMALL : FULL;
  const only = process.env.ATTACKS?.split(",").map((s) => s.trim());
  const emulator = await startEmulator();
  setEmulatorEndpoint(emulator.endpoint);
  const rows: AttackRow[] = [];
  try {
    console.log(`attack suite (${size.label}), deployed code on the emulator ${emulator.endpoint}`);
    for (const scenario of SCENARIOS) {
      if (only && !only.includes(scenario.id)) continue;
      const row = await runScenario(scenario, size);
      rows.push(row);
      console.log(
        `  #${row.id} ${row.detected ? "detected" : "UNDETECTED"} lost ${row.lost} (${row.wallSeconds.toFixed(0)} s wall, ${row.simulatedHours} h simulated)`,
      );
    }
    if (!only || only.some((id) => id.startsWith("8"))) rows.push(...(await iamRows()));
  } finally {
    await emulator.stop();
  }
  rows.sort((a, b) => parseFloat(a.id) - parseFloat(b.id) || a.id.localeCompare(b.id));
  const table = formatTable(rows);
  const last = finalLine(rows);
  const seconds = (Date.now() - started) / 1000;
  console.log(`\n${table}\n\n${last}\n(${seconds.toFixed(0)} s)`);
  if (!only) {
    const out = path.join(__dirname, "..", "bench", "attacks.md");
    fs.writeFileSync(
      out,
      `# Attack suite (\`npm run attacks\`, ${size.label} size)\n\nWritten by scripts/attacks.ts; docs/attacks.md defines every column. ${seconds.toFixed(0)} s on the emulator.\n\n${table}\n\n\`${last}\`\n`,
    );
    // Committed: keep it in the repository's format (npm run lint checks it).
    spawnSync(process.execPath, [require.resolve("prettier/bin/prettier.cjs"), "--write", out]);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
