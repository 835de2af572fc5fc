// npm run faults: the fault suite at full size, through the deployed code on a fresh emulator.
// The same scenarios run at a small N in `npm test` (test/faults.test.ts).
import { setEmulatorEndpoint } from "../test/harness";
import { startEmulator } from "../test/support/emulator-process";
import {
  crashBeforeSave,
  crashBeforeShare,
  dropped,
  formatFigures,
  malformedInputs,
  quotaNearlyExhausted,
  throttled,
  tripleDelivery,
  type Figures,
} from "../test/support/fault-scenarios";

const N = Number(process.env.FAULTS_N ?? 50);

async function main(): Promise<number> {
  const started = Date.now();
  const emulator = await startEmulator();
  setEmulatorEndpoint(emulator.endpoint);
  let failures = 0;
  const check = (f: Figures, ok: boolean) => {
    console.log(`${ok ? "PASS" : "FAIL"} ${formatFigures(f)}`);
    if (!ok) failures += 1;
  };
  const whole = (f: Figures) => f.protectedPct === 100 && f.duplicates === 0 && f.lost === 0;
  try {
    console.log(
      `fault suite, N = ${N} tagged databases (deployed code, emulator ${emulator.endpoint})`,
    );
    for (const run of [tripleDelivery, dropped, throttled, crashBeforeShare, crashBeforeSave]) {
      const t = Date.now();
      const f = await run(N);
      check(f, whole(f) && f.dlq === 0);
      console.log(`     (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
    const quota = await quotaNearlyExhausted(Math.min(N, 20), 95);
    check(quota, whole(quota) && quota.notes["failsafe snapshots lost"] === 0);
    const bad = await malformedInputs(1000);
    check(bad, bad.created === 0 && bad.deleted === 0 && bad.unhandled === 0);
  } finally {
    await emulator.stop();
  }
  console.log(`faults: ${failures} failing, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
