import { strict as assert } from "node:assert";
import {
  finalLine,
  formatTable,
  iamRows,
  runScenario,
  SCENARIOS,
  SMALL,
  type AttackRow,
} from "./support/attacks";

/**
 * The attack suite at small size (retention 2 days / 2 copies, a day of history, fewer simulated
 * days), through the deployed code on the emulator in simulated time. Full size, with the
 * program's defaults and 40 simulated days: `npm run attacks` (bench/attacks.md).
 *
 * Each row must keep every genuine copy, and be seen on the failsafe side within rpoHours + one
 * sweep by the program's own alarms or notifications — except the rows the suite itself declares
 * undetectable (data corrupted in place; a failsafe-account admin deleting copies without the org
 * guard), whose figures are asserted as what they are. The control row must stay silent.
 */
/**
 * The rows `npm test` runs: one per mechanism (the control; the RPO breach of a lineage whose
 * copies stop; lineages; rejected hand-offs; key state; quota; the cluster data-time fix). The
 * other rows reach the same signals by the same paths; `ATTACKS_ALL=1` runs them all here
 * (~2.5 min of CPU), `npm run attacks` at full size.
 */
const IN_NPM_TEST = new Set(["0", "1", "2", "5", "7", "11", "13"]);
const ALL = process.env.ATTACKS_ALL === "1";

describe("attack suite (deployed code, simulated time, small size)", function () {
  this.timeout(600_000);
  const rows: AttackRow[] = [];
  const row = (id: string) => {
    const r = rows.find((x) => x.id === id);
    assert.ok(r, `row ${id}`);
    return r;
  };

  after(() => {
    if (rows.length > 0) {
      console.log(`${formatTable(rows)}\n${finalLine(rows)}`);
    }
  });

  for (const scenario of SCENARIOS.filter((x) => ALL || IN_NPM_TEST.has(x.id))) {
    it(`#${scenario.id}: ${scenario.attack(SMALL)}`, async () => {
      const r = await runScenario(scenario, SMALL);
      rows.push(r);
      const summary = `${r.verdict} | signals: ${r.signals.map((s) => s.what).join("; ")}`;
      if (scenario.id === "0") {
        assert.deepEqual(r.signals, [], `the control row raised: ${summary}`);
        assert.equal(r.lost, 0);
        assert.equal(r.unsaved, 0, "normal operation saves every backup");
        return;
      }
      if (scenario.id === "14") {
        // Undetectable by design (the product never sees data content): asserted as such.
        assert.deepEqual(r.signals, [], summary);
        assert.equal(r.detected, false);
        assert.equal(r.lost, 0, "retention ran by its rules");
        return;
      }
      if (scenario.id === "7") {
        const inFlight = r.figures["copies in flight when the key was scheduled for deletion"];
        assert.ok(Number(inFlight) >= 1, `the key went while a copy was in flight (${inFlight})`);
      }
      assert.equal(r.lost, 0, `genuine copies lost: ${summary}`);
      assert.ok(r.detected, `not detected within rpoHours + one sweep: ${summary}`);
      assert.match(String(r.figures["newest genuine copy"]), /restores/, summary);
    });
  }

  it("#8: a failsafe-account admin against the vault key and the copies (IAM policy engine)", async () => {
    const iam = await iamRows();
    rows.push(...iam);
    const byId = Object.fromEntries(iam.map((r) => [r.id, r]));
    assert.match(byId["8a"]?.verdict ?? "", /^prevented/, byId["8a"]?.verdict);
    assert.doesNotMatch(byId["8a"]?.verdict ?? "", /: Allowed/);
    assert.match(byId["8b"]?.verdict ?? "", /^as designed/, byId["8b"]?.verdict);
    assert.match(
      byId["8c"]?.verdict ?? "",
      /without orgGuard: Allowed; with orgGuard \(SCP\): ExplicitlyDenied; retention role with orgGuard: Allowed/,
    );
  });

  it("rows 2 and 13 exercised retention (the rules bit, and only junk went)", () => {
    assert.ok(Number(row("2").figures["copies of the new lineage deleted by retention"]) > 0);
    assert.ok(Number(row("13").figures["forged copies saved"]) > 0);
  });
});
