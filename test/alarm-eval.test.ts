import { strict as assert } from "node:assert";
import {
  alarmDefinitions,
  emfDatapoints,
  evaluateAlarm,
  evaluateRange,
  type AlarmDefinition,
  type Datapoint,
} from "./support/alarm-eval";
import { baseConfig, evaluateProgram } from "./program/support";

/**
 * The CloudWatch alarm evaluator of the attack suite (test/support/alarm-eval.ts): the cases of
 * the CloudWatch User Guide's missing-data table, the program's own alarm shapes, and EMF parsing.
 */
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

const base: AlarmDefinition = {
  name: "a",
  namespace: "N",
  metricName: "M",
  dimensions: { service: "s" },
  statistic: "Maximum",
  periodSeconds: 3600,
  evaluationPeriods: 3,
  threshold: 0,
  comparisonOperator: "GreaterThanThreshold",
  treatMissingData: "missing",
  alarmActions: ["topic"],
  okActions: ["topic"],
  insufficientDataActions: [],
};

const point = (hours: number, value: number, extra: Partial<Datapoint> = {}): Datapoint => ({
  namespace: "N",
  metricName: "M",
  dimensions: { service: "s" },
  value,
  timestamp: T0 + hours * HOUR,
  ...extra,
});

describe("CloudWatch alarm evaluator", () => {
  // The guide's table for a 3-of-3 alarm whose evaluation range is 5 periods, oldest first:
  // X breaching, 0 not breaching, - missing; "keep" = the current state is retained.
  const table: [string, Record<string, string>][] = [
    ["0 - X - X", { missing: "OK", ignore: "OK", breaching: "OK", notBreaching: "OK" }],
    ["0 - - - -", { missing: "OK", ignore: "OK", breaching: "OK", notBreaching: "OK" }],
    [
      "- - - - -",
      { missing: "INSUFFICIENT_DATA", ignore: "keep", breaching: "ALARM", notBreaching: "OK" },
    ],
    ["0 X X - X", { missing: "ALARM", ignore: "ALARM", breaching: "ALARM", notBreaching: "ALARM" }],
    ["- - X - -", { missing: "ALARM", ignore: "ALARM", breaching: "ALARM", notBreaching: "OK" }],
    // too recent to alarm on (the guide's "avoiding premature transitions to alarm state")
    ["- - - - X", { missing: "keep", ignore: "keep", breaching: "ALARM", notBreaching: "OK" }],
  ];
  for (const [label, expected] of table) {
    it(`the guide's case ${label}`, () => {
      const periods = label
        .split(" ")
        .map((c) => (c === "X" ? 1 : c === "0" ? 0 : undefined))
        .reverse();
      for (const [treat, state] of Object.entries(expected)) {
        for (const current of ["OK", "ALARM"] as const) {
          const got = evaluateRange(
            { ...base, treatMissingData: treat as AlarmDefinition["treatMissingData"] },
            periods,
            current,
          ).state;
          assert.equal(
            got,
            state === "keep" ? current : state,
            `${label} with ${treat} from ${current}`,
          );
        }
      }
    });
  }

  it("the heartbeat (Sum < 1 over 2 h, missing): OK while beats come, INSUFFICIENT_DATA once the range is empty, OK again at the next beat", () => {
    const heartbeat: AlarmDefinition = {
      ...base,
      statistic: "Sum",
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      insufficientDataActions: ["topic"],
    };
    const beats = [...Array.from({ length: 10 }, (_, h) => point(h + 0.5, 1)), point(20.5, 1)];
    const t = evaluateAlarm(heartbeat, beats, T0, T0 + 24 * HOUR);
    assert.deepEqual(
      t.map((x) => [x.to, (x.at - T0) / HOUR]),
      [
        ["OK", 1],
        // the last beat is in hour 9; the 4-period range (2 + 2) is empty from 14:00 on
        ["INSUFFICIENT_DATA", 14],
        ["OK", 21],
      ],
    );
    assert.deepEqual(t[1]?.actions, ["topic"], "INSUFFICIENT_DATA runs its actions");
  });

  it("only the alarm's metric counts (namespace, name, exact dimension set), and only complete periods", () => {
    const rpo: AlarmDefinition = {
      ...base,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    };
    const noise = [
      point(1.2, 5, { dimensions: { service: "s", Source: "x" } }),
      point(1.2, 5, { metricName: "Other" }),
      point(1.2, 5, { namespace: "Other" }),
    ];
    assert.deepEqual(
      evaluateAlarm(rpo, noise, T0, T0 + 5 * HOUR).map((x) => x.to),
      ["OK"],
    );
    const t = evaluateAlarm(rpo, [point(1.2, 0), point(2.9, 1)], T0, T0 + 4 * HOUR);
    assert.deepEqual(
      t.map((x) => [x.to, (x.at - T0) / HOUR]),
      [
        ["OK", 0],
        ["ALARM", 3], // the 02:00-03:00 period is complete at 03:00
      ],
    );
  });

  it("reads every alarm of the program with its actions", () => {
    const alarms = alarmDefinitions(evaluateProgram(baseConfig("both")).resources);
    const byName = Object.fromEntries(alarms.map((a) => [a.name, a]));
    assert.equal(byName["rds-failsafe-rpo-breach"]?.treatMissingData, "notBreaching");
    assert.equal(byName["rds-failsafe-failsafe-sweep-stopped"]?.treatMissingData, "missing");
    assert.equal(byName["rds-failsafe-failsafe-sweep-stopped"]?.insufficientDataActions.length, 1);
    assert.ok(alarms.length >= 10);
  });

  it("parses Powertools' EMF lines into datapoints per dimension set", () => {
    const line = {
      _aws: {
        Timestamp: T0,
        CloudWatchMetrics: [
          {
            Namespace: "RdsFailsafe",
            Dimensions: [["service"]],
            Metrics: [
              { Name: "RpoBreaches", Unit: "NoUnit" },
              { Name: "SweepCompleted", Unit: "Count" },
            ],
          },
        ],
      },
      service: "rds-failsafe-failsafe",
      RpoBreaches: 2,
      SweepCompleted: 1,
    };
    assert.deepEqual(
      emfDatapoints(line).map((d) => [d.metricName, d.value, d.dimensions.service]),
      [
        ["RpoBreaches", 2, "rds-failsafe-failsafe"],
        ["SweepCompleted", 1, "rds-failsafe-failsafe"],
      ],
    );
    assert.deepEqual(emfDatapoints({ message: "not a metric" }), []);
  });
});
