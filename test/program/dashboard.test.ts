import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  DASHBOARD_NAMES,
  dashboardBody,
  sideAlarmNames,
  SIDE_PARTS,
  type DashboardSide,
} from "../../components/dashboard";
import { QUOTA_ALARM_NAMES } from "../../components/quota-alarm";
import { quotaWarnings, type QuotaCheckConfig } from "../../components/quota-check";
import { ALARM_DESCRIPTION_MAX, RUNBOOK_PATH } from "../../components/runbook";
import { expectDecision } from "../support/iam-sim";
import { baseConfig, evaluateProgram, FAILSAFE, ofType, PROD, type Evaluation } from "./support";

/**
 * Operations under mocks: each side's dashboard (a plain JSON body from config and fixed names,
 * showing exactly that side's alarms, functions and queues), the manual-snapshot quota alarms,
 * every alarm's runbook link (and the runbook section it points at), the quota permission, and
 * the deploy-time quota check.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const sideOf = (urn: string): DashboardSide | undefined =>
  urn.includes("rds-failsafe:save:SaveSide")
    ? "failsafe"
    : urn.includes("rds-failsafe:copy:CopySide")
      ? "prod"
      : undefined;

interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

describe("operations: dashboards, quota alarms, runbook links (mocks)", function () {
  this.timeout(180_000);
  let both: Evaluation;
  before(() => {
    both = evaluateProgram(baseConfig("both"));
  });

  const dashboards = () => ofType(both, "aws:cloudwatch/dashboard:Dashboard");
  const bodyOf = (side: DashboardSide) => {
    const d = dashboards().find((r) => r.inputs.dashboardName === DASHBOARD_NAMES[side]);
    assert.ok(d, `dashboard ${DASHBOARD_NAMES[side]}`);
    assert.equal(typeof d.inputs.dashboardBody, "string", "the body is a plain string");
    return JSON.parse(String(d.inputs.dashboardBody)) as { widgets: Widget[] };
  };
  const alarmsOf = (side: DashboardSide) =>
    ofType(both, "aws:cloudwatch/metricAlarm:MetricAlarm").filter((a) => sideOf(a.urn) === side);

  it("makes one dashboard per side, in that side's account", () => {
    assert.deepEqual(
      dashboards()
        .map((d) => [d.inputs.dashboardName, d.provider])
        .sort(),
      [
        ["rds-failsafe", "failsafe"],
        ["rds-failsafe-prod", "prod"],
      ],
    );
    for (const mode of ["save", "copy"] as const) {
      const e = evaluateProgram(baseConfig(mode));
      assert.deepEqual(
        ofType(e, "aws:cloudwatch/dashboard:Dashboard").map((d) => d.inputs.dashboardName),
        [DASHBOARD_NAMES[mode === "save" ? "failsafe" : "prod"]],
      );
    }
  });

  for (const side of ["failsafe", "prod"] as const) {
    const account = side === "failsafe" ? FAILSAFE : PROD;

    it(`${side}: the alarm widget shows exactly the side's alarms, by ARN in its account`, () => {
      const widget = bodyOf(side).widgets.find((w) => w.type === "alarm");
      const programAlarms = alarmsOf(side)
        .map((a) => `arn:aws:cloudwatch:eu-west-1:${account}:alarm:${String(a.inputs.name)}`)
        .sort();
      assert.deepEqual([...(widget?.properties.alarms as string[])].sort(), programAlarms);
      assert.deepEqual(
        [...sideAlarmNames(side)].sort(),
        alarmsOf(side)
          .map((a) => a.inputs.name)
          .sort(),
      );
    });

    it(`${side}: outcomes, invocations and queue widgets name the side's own log groups, functions and queues`, () => {
      const { widgets } = bodyOf(side);
      const logGroups = ofType(both, "aws:cloudwatch/logGroup:LogGroup")
        .filter((g) => sideOf(g.urn) === side)
        .map((g) => String(g.inputs.name))
        .sort();
      const log = widgets.find((w) => w.type === "log");
      const sources = [...String(log?.properties.query).matchAll(/SOURCE '([^']+)'/g)].map(
        (m) => m[1],
      );
      assert.deepEqual(sources.sort(), logGroups);
      assert.match(
        String(log?.properties.query),
        /stats count\(\*\) as outcomes by handler, decision/,
      );

      const functions = ofType(both, "aws:lambda/function:Function")
        .filter((f) => sideOf(f.urn) === side)
        .map((f) => String(f.inputs.name))
        .sort();
      assert.deepEqual([...SIDE_PARTS[side].functions].sort(), functions);

      const queues = new Set(
        ofType(both, "aws:sqs/queue:Queue")
          .filter((q) => sideOf(q.urn) === side)
          .map((q) => String(q.inputs.name)),
      );
      const depth = widgets.find((w) => w.properties.title === "Queue and DLQ depths");
      const shown = (depth?.properties.metrics as unknown[][]).map((m) => String(m[3]));
      assert.deepEqual(new Set(shown), queues, "every queue and DLQ of the side, nothing else");
    });

    it(`${side}: widgets fit CloudWatch's 24-column grid without overlapping, every graph in the region`, () => {
      const { widgets } = bodyOf(side);
      const cells = new Set<string>();
      for (const w of widgets) {
        assert.ok(
          w.x >= 0 && w.x + w.width <= 24,
          `${String(w.properties.title)} within 24 columns`,
        );
        for (let x = w.x; x < w.x + w.width; x += 1) {
          for (let y = w.y; y < w.y + w.height; y += 1) {
            assert.ok(
              !cells.has(`${x},${y}`),
              `${String(w.properties.title)} overlaps at ${x},${y}`,
            );
            cells.add(`${x},${y}`);
          }
        }
        if (w.type === "metric" || w.type === "log") {
          assert.equal(w.properties.region, "eu-west-1");
        }
      }
      const titles = widgets.map((w) => String(w.properties.title));
      assert.ok(titles.includes("Manual-snapshot quota"));
    });
  }

  it("failsafe: the RPO widget lists the 10 oldest sources with one Metrics Insights query, against rpoHours", () => {
    const rpo = bodyOf("failsafe").widgets.find((w) =>
      String(w.properties.title).startsWith("Newest copy age"),
    );
    const [[query] = []] = (rpo?.properties.metrics ?? []) as { expression: string }[][];
    assert.equal(
      query?.expression,
      "SELECT MAX(NewestCopyAgeHours) FROM SCHEMA(RdsFailsafe, Source, service) WHERE service = 'rds-failsafe-failsafe' GROUP BY Source ORDER BY MAX() DESC LIMIT 10",
    );
    assert.deepEqual(rpo?.properties.annotations, {
      horizontal: [{ label: "rpoHours", value: 26 }],
    });
    const custom = evaluateProgram({ ...baseConfig("save"), rpoHours: "12" });
    const body = JSON.parse(
      String(ofType(custom, "aws:cloudwatch/dashboard:Dashboard")[0]?.inputs.dashboardBody),
    ) as { widgets: Widget[] };
    assert.match(JSON.stringify(body), /"label":"rpoHours","value":12/);
  });

  it("builds the body from plain values only, in the region's partition, and adds drills when given", () => {
    const cn = JSON.parse(
      dashboardBody({ region: "cn-north-1", account: FAILSAFE, side: "failsafe", rpoHours: 26 }),
    ) as { widgets: Widget[] };
    const alarms = cn.widgets.find((w) => w.type === "alarm")?.properties.alarms as string[];
    assert.ok(
      alarms.every((a) => a.startsWith(`arn:aws-cn:cloudwatch:cn-north-1:${FAILSAFE}:alarm:`)),
    );
    const withDrills = JSON.parse(
      dashboardBody({
        region: "eu-west-1",
        account: FAILSAFE,
        side: "failsafe",
        drills: { metrics: ["DrillSucceeded", "DrillFailed"], perSource: "DrillRtoSeconds" },
      }),
    ) as { widgets: Widget[] };
    const titles = withDrills.widgets.map((w) => String(w.properties.title));
    assert.ok(titles.includes("Restore drills"));
    assert.ok(titles.includes("DrillRtoSeconds, the 10 worst sources"));
    assert.ok(!JSON.stringify(withDrills).includes("Output"), "no stringified Output");
  });

  it("alarms at 80 % of the manual-snapshot quota in each account, and when the figure stops", () => {
    for (const side of ["failsafe", "prod"] as const) {
      const alarm = alarmsOf(side).find((a) => a.inputs.metricName === "SnapshotQuotaUsedPercent");
      assert.ok(alarm, `${side} quota alarm`);
      assert.equal(alarm.inputs.name, QUOTA_ALARM_NAMES[side]);
      assert.equal(alarm.inputs.threshold, 80);
      assert.equal(alarm.inputs.comparisonOperator, "GreaterThanOrEqualToThreshold");
      assert.equal(alarm.inputs.statistic, "Maximum");
      assert.deepEqual(alarm.inputs.dimensions, {
        service: side === "failsafe" ? "rds-failsafe-failsafe" : "rds-failsafe-prod",
      });
      assert.equal(alarm.inputs.evaluationPeriods, 2);
      assert.equal(alarm.inputs.datapointsToAlarm, 1);
      assert.equal(alarm.inputs.treatMissingData, "missing");
      assert.deepEqual(alarm.inputs.insufficientDataActions, alarm.inputs.alarmActions);
      assert.deepEqual(alarm.inputs.okActions, alarm.inputs.alarmActions);
    }
  });

  it("links every alarm's description to its runbook section, and the runbook has one for each", () => {
    const runbook = fs.readFileSync(path.join(ROOT, RUNBOOK_PATH), "utf8");
    const headings = new Set(
      [...runbook.matchAll(/^#{2,4} (.+)$/gm)].map((m) => (m[1] ?? "").trim().replace(/`/g, "")),
    );
    const alarms = ofType(both, "aws:cloudwatch/metricAlarm:MetricAlarm");
    assert.ok(alarms.length >= 17, `${alarms.length} alarms`);
    for (const a of alarms) {
      const name = String(a.inputs.name);
      const description = String(a.inputs.alarmDescription);
      assert.ok(
        description.endsWith(` Runbook: ${RUNBOOK_PATH}#${name}`),
        `${name}: ${description}`,
      );
      assert.ok(description.length <= ALARM_DESCRIPTION_MAX, `${name} description too long`);
      assert.ok(headings.has(name), `${RUNBOOK_PATH} has no section "${name}"`);
    }
  });

  it('lets only the sweeps read the quota (rds:DescribeAccountAttributes, which takes Resource "*")', async () => {
    const policies = ofType(both, "aws:iam/rolePolicy:RolePolicy");
    for (const p of policies) {
      const role = String(p.inputs.role);
      const account = sideOf(p.urn) === "failsafe" ? FAILSAFE : PROD;
      const sweep = role === "rds-failsafe-failsafe-sweep" || role === "rds-failsafe-prod-sweep";
      await expectDecision(
        {
          principal: `arn:aws:iam::${account}:role/${role}`,
          action: "rds:DescribeAccountAttributes",
          resource: "*",
          resourceAccount: account,
          identityPolicies: [
            { name: `${role} least-privilege`, document: String(p.inputs.policy) },
          ],
        },
        sweep ? "Allowed" : "ImplicitlyDenied",
        role,
      );
    }
  });
});

describe("deploy-time quota check", () => {
  const base: QuotaCheckConfig = {
    sides: "save",
    retentionDays: 31,
    minCopies: 7,
    intermediateKeepHours: 72,
    snapshotQuota: 100,
    expectedSources: 0,
  };

  it("says how many databases fit when the fleet size is not given", () => {
    assert.deepEqual(quotaWarnings(base), [
      "each protected database keeps up to 32 manual snapshots in the failsafe account (retentionDays 31 + 1, minCopies 7): RDS's default manual-snapshot quota of 100 per kind holds 2 database(s) of each kind under the 80 % alarm. Set rds-failsafe:expectedSources to check your fleet (and rds-failsafe:snapshotQuota once raised).",
    ]);
  });

  it("warns when expectedSources × copies would not fit 80 % of the quota, with the quota to request", () => {
    assert.deepEqual(quotaWarnings({ ...base, expectedSources: 2 }), []);
    const [warning, ...more] = quotaWarnings({ ...base, expectedSources: 40 });
    assert.deepEqual(more, []);
    assert.match(
      warning ?? "",
      /^rds-failsafe:expectedSources 40 databases × up to 32 manual snapshots each .* = 1280 in the failsafe account, over 80 % of RDS's default manual-snapshot quota of 100 per kind/,
    );
    assert.match(warning ?? "", /Request at least 1600 in Service Quotas/);
    assert.deepEqual(quotaWarnings({ ...base, expectedSources: 40, snapshotQuota: 1600 }), []);
  });

  it("counts the tiers and prod's intermediates", () => {
    const [tiered] = quotaWarnings({ ...base, expectedSources: 2, keepWeekly: 8, keepMonthly: 12 });
    assert.match(
      tiered ?? "",
      /up to 52 manual snapshots each \(retentionDays 31 \+ 1, minCopies 7, keepWeekly 8, keepMonthly 12\) = 104/,
    );
    const prod = quotaWarnings({ ...base, sides: "copy", expectedSources: 25 });
    assert.equal(prod.length, 1);
    assert.match(
      prod[0] ?? "",
      /25 databases × up to 4 manual snapshots each \(intermediate copies within intermediateKeepHours 72, plus the newest\) = 100 in the prod account/,
    );
    assert.equal(quotaWarnings({ ...base, sides: "both", expectedSources: 20 }).length, 1);
  });
});
