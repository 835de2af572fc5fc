import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { ConfigError, parseStackConfig, type RawConfig } from "../../components/config";
import { drillEventsPattern } from "../../components/drills";
import { NAMES } from "../../components/names";
import { SETTINGS_ENV } from "../../handlers/settings";
import {
  expectDecision,
  type Decision,
  type NamedPolicy,
  type SimulateRequest,
} from "../support/iam-sim";
import { orgGuardConfig, orgPolicy } from "./org-guard-support";
import { baseConfig, evaluateProgram, FAILSAFE, ofType, type Evaluation } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");
const R = "eu-west-1";
const F = FAILSAFE;
const rds = (resource: string) => `arn:aws:rds:${R}:${F}:${resource}`;
const role = (name: string) => `arn:aws:iam::${F}:role/${name}`;

/**
 * Restore drills in the program (components/drills.ts): the resources, their settings, the rule
 * pattern against AWS's sample events, the config keys, and the two roles judged by a real IAM
 * policy engine (test/support/iam-sim.ts), with and without the org guard's SCP.
 */
describe("restore drills in the program", function () {
  this.timeout(180_000);
  let on: Evaluation;

  before(() => {
    on = evaluateProgram({
      ...baseConfig("save"),
      drillSubnetGroup: "failsafe-drills",
      drillsPerRun: "3",
      drillMaxInstanceClass: "postgres=db.t4g.small",
    });
  });

  const fn = (e: Evaluation, name: string) =>
    ofType(e, "aws:lambda/function:Function").find((f) => f.inputs.name === name);
  const settingsOf = (e: Evaluation, name: string) =>
    JSON.parse(
      (fn(e, name)?.inputs.environment as { variables: Record<string, string> }).variables[
        SETTINGS_ENV
      ] ?? "{}",
    ) as Record<string, unknown>;

  it("builds the drill run, drill-verify and their wiring, under the save side", () => {
    const drill = fn(on, NAMES.fn.drill);
    assert.ok(drill && fn(on, NAMES.fn.drillVerify));
    assert.match(drill.urn, /rds-failsafe:save:SaveSide\$rds-failsafe:save:Drills\$/);
    const rule = ofType(on, "aws:cloudwatch/eventRule:EventRule").find(
      (r) => r.inputs.name === NAMES.rule.drillEvents,
    );
    assert.deepEqual(JSON.parse(String(rule?.inputs.eventPattern)), drillEventsPattern(R, F));
    const mapping = ofType(on, "aws:lambda/eventSourceMapping:EventSourceMapping").find((m) =>
      String(m.inputs.functionName).endsWith(`:function:${NAMES.fn.drillVerify}`),
    );
    assert.equal(mapping?.inputs.eventSourceArn, `arn:aws:sqs:${R}:${F}:rds-failsafe-drill-verify`);
    const alarms = ofType(on, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs.name);
    for (const name of ["rds-failsafe-drill-failed", "rds-failsafe-drill-overdue"]) {
      assert.ok(alarms.includes(name), name);
    }
  });

  it("passes the drill settings to the drill functions and the failsafe sweep", () => {
    for (const name of [NAMES.fn.drill, NAMES.fn.drillVerify, NAMES.fn.failsafeSweep]) {
      assert.deepEqual(settingsOf(on, name).drills, {
        drillsPerRun: 3,
        drillMaxAgeDays: 30,
        maxInstanceClass: { postgres: "db.t4g.small" },
        subnetGroup: "failsafe-drills",
        securityGroupIds: [],
      });
      assert.equal(settingsOf(on, name).keepWeekly, 8);
      assert.equal(settingsOf(on, name).keepMonthly, 12);
    }
  });

  it("builds no drill resource with drills=false, and the sweep counts no overdue drills", () => {
    const off = evaluateProgram({ ...baseConfig("save"), drills: "false", keepWeekly: "0" });
    assert.equal(fn(off, NAMES.fn.drill), undefined);
    assert.equal(fn(off, NAMES.fn.drillVerify), undefined);
    assert.equal(settingsOf(off, NAMES.fn.failsafeSweep).drills, undefined);
    assert.equal(settingsOf(off, NAMES.fn.failsafeSweep).keepWeekly, 0);
    assert.equal(
      ofType(off, "aws:cloudwatch/eventRule:EventRule").some((r) =>
        String(r.inputs.name).includes("drill"),
      ),
      false,
    );
  });

  describe("config keys", () => {
    const problems = (raw: RawConfig): string[] => {
      try {
        parseStackConfig(raw);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return [...err.problems];
      }
    };
    const save = baseConfig("save");

    it("has defaults: weekly drills, 2 at once, 30 days, tiers 8 weeks and 12 months", () => {
      const c = parseStackConfig(save);
      assert.deepEqual(
        [c.drills, c.drillSchedule, c.drillsPerRun, c.drillMaxAgeDays, c.keepWeekly, c.keepMonthly],
        [true, "rate(7 days)", 2, 30, 8, 12],
      );
      assert.deepEqual(c.drillMaxInstanceClass, {});
      assert.deepEqual(c.drillSecurityGroupIds, []);
      const json = parseStackConfig({
        ...save,
        drillMaxInstanceClass: '{"aurora-mysql":"db.t4g.medium"}',
        drillSecurityGroupIds: '["sg-0123456789abcdef0"]',
      });
      assert.deepEqual(json.drillMaxInstanceClass, { "aurora-mysql": "db.t4g.medium" });
      assert.deepEqual(json.drillSecurityGroupIds, ["sg-0123456789abcdef0"]);
    });

    const cases: [string, RawConfig, RegExp][] = [
      [
        "drills not a boolean",
        { drills: "yes" },
        /^rds-failsafe:drills = "yes" must be true or false/,
      ],
      [
        "a bad schedule",
        { drillSchedule: "weekly" },
        /^rds-failsafe:drillSchedule = "weekly" is not an EventBridge schedule expression/,
      ],
      [
        "no drill at all",
        { drillsPerRun: "0" },
        /^rds-failsafe:drillsPerRun = "0" must be a whole number ≥ 1/,
      ],
      [
        "too many at once",
        { drillsPerRun: "21" },
        /^rds-failsafe:drillsPerRun = "21" must be at most 20/,
      ],
      [
        "max age 0",
        { drillMaxAgeDays: "0" },
        /^rds-failsafe:drillMaxAgeDays = "0" must be a whole number ≥ 1/,
      ],
      [
        "a class without engine",
        { drillMaxInstanceClass: "db.t3.micro" },
        /^rds-failsafe:drillMaxInstanceClass = "db\.t3\.micro" has "db\.t3\.micro=undefined": each entry must be an RDS engine and a DB instance class/,
      ],
      [
        "a class that is not one",
        { drillMaxInstanceClass: "postgres=t3.micro" },
        /^rds-failsafe:drillMaxInstanceClass .* each entry must be an RDS engine and a DB instance class/,
      ],
      [
        "a subnet group name RDS refuses",
        { drillSubnetGroup: "a/b" },
        /^rds-failsafe:drillSubnetGroup = "a\/b" must be the name of a DB subnet group/,
      ],
      [
        "a security group that is not one",
        { drillSecurityGroupIds: "default" },
        /^rds-failsafe:drillSecurityGroupIds = "default" must be a list of VPC security group ids/,
      ],
      [
        "a negative tier",
        { keepWeekly: "-1" },
        /^rds-failsafe:keepWeekly = "-1" must be a whole number ≥ 0/,
      ],
      [
        "a monthly tier of 200 months",
        { keepMonthly: "200" },
        /^rds-failsafe:keepMonthly = "200" must be at most 120/,
      ],
    ];
    for (const [name, raw, message] of cases) {
      it(`names the key: ${name}`, () => {
        const found = problems({ ...save, ...raw });
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0] ?? "", message);
      });
    }
  });

  it("matches RDS's 'restored' events of drill databases only (AWS's sample events, moto's matcher)", () => {
    const pattern = drillEventsPattern(R, F);
    const sample = (eventId: string, kind: "db" | "cluster", id: string, detailType?: string) => ({
      version: "0",
      id: "68f6e973-1a0c-d37b-f2f2-94a7f62ffd4e",
      // "Example of a DB instance event" / "Example of a DB cluster event" (RDS / Aurora User
      // Guide, rds-cloudwatch-events.sample), moved to our account, region and ids.
      "detail-type":
        detailType ?? (kind === "db" ? "RDS DB Instance Event" : "RDS DB Cluster Event"),
      source: "aws.rds",
      account: F,
      time: "2018-09-27T22:36:43Z",
      region: R,
      resources: [rds(`${kind}:${id}`)],
      detail: {
        EventCategories: ["restoration"],
        SourceType: kind === "db" ? "DB_INSTANCE" : "CLUSTER",
        SourceArn: rds(`${kind}:${id}`),
        Date: "2018-09-27T22:36:43.292Z",
        Message: "Restored from snapshot failsafe-x",
        SourceIdentifier: `rds:${id}`,
        EventID: eventId,
      },
    });
    const cases: [string, object, boolean][] = [
      [
        "instance restored (0043)",
        sample("RDS-EVENT-0043", "db", "failsafe-drill-orders-1a2b3c4d"),
        true,
      ],
      [
        "cluster created (0170)",
        sample("RDS-EVENT-0170", "cluster", "failsafe-drill-ledger-1a2b3c4d"),
        true,
      ],
      [
        "cluster's instance created (0005)",
        sample("RDS-EVENT-0005", "db", "failsafe-drill-ledger-1a2b3c4d-db"),
        true,
      ],
      [
        "instance failed (0031)",
        sample("RDS-EVENT-0031", "db", "failsafe-drill-orders-1a2b3c4d"),
        true,
      ],
      [
        "incompatible network (0036)",
        sample("RDS-EVENT-0036", "db", "failsafe-drill-orders-1a2b3c4d"),
        true,
      ],
      [
        "cluster could not be created (0354)",
        sample("RDS-EVENT-0354", "cluster", "failsafe-drill-x"),
        true,
      ],
      ["✗ a database that is not a drill", sample("RDS-EVENT-0043", "db", "orders"), false],
      [
        "✗ a failsafe-named one that is not a drill",
        sample("RDS-EVENT-0043", "db", "failsafe-orders"),
        false,
      ],
      [
        "✗ the snapshot's own 0043 (a DB snapshot event)",
        sample("RDS-EVENT-0043", "db", "failsafe-drill-x", "RDS DB Snapshot Event"),
        false,
      ],
      ["✗ deleted (0003)", sample("RDS-EVENT-0003", "db", "failsafe-drill-x"), false],
      [
        "✗ failover (0049, the sample's own id)",
        sample("RDS-EVENT-0049", "db", "failsafe-drill-x"),
        false,
      ],
    ];
    const script = [
      "import json, sys",
      "from moto.events.models import EventPattern",
      "cases = json.load(sys.stdin)",
      "print(json.dumps([EventPattern.load(json.dumps(c['pattern'])).matches_event(c['event']) for c in cases]))",
    ].join("\n");
    const runs = spawnSync(path.join(ROOT, ".venv-emulator", "bin", "python"), ["-c", script], {
      input: JSON.stringify(cases.map(([, event]) => ({ pattern, event }))),
      encoding: "utf8",
    });
    assert.equal(runs.status, 0, runs.stderr);
    const results = JSON.parse(runs.stdout) as boolean[];
    assert.deepEqual(
      cases.map(([name], i) => [name, results[i]]),
      cases.map(([name, , match]) => [name, match]),
    );
  });

  describe("the drill roles, judged by a policy engine", () => {
    const policyOf = (e: Evaluation, name: string): NamedPolicy => {
      const p = ofType(e, "aws:iam/rolePolicy:RolePolicy").find((x) => x.inputs.role === name);
      assert.ok(p, name);
      return { name: `${name} least-privilege`, document: String(p.inputs.policy) };
    };
    const as =
      (
        name: string,
        action: string,
        resource: string,
        context: SimulateRequest["context"] = {},
        extra: Partial<SimulateRequest> = {},
      ): (() => SimulateRequest) =>
      // Evaluated in the test: the program is evaluated in before().
      () => ({
        principal: role(name),
        action,
        resource,
        context,
        identityPolicies: [policyOf(on, name)],
        ...extra,
      });
    const drill = NAMES.fn.drill;
    const verify = NAMES.fn.drillVerify;
    const MARKED = { "aws:RequestTag/failsafe:drill": "true", "aws:TagKeys": ["failsafe:drill"] };
    const PRIVATE = { "rds:PubliclyAccessible": false };
    const DRILL_DB = { "rds:db-tag/failsafe:drill": "true" };
    const DRILL_CLUSTER = { "rds:cluster-tag/failsafe:drill": "true" };
    const MANAGED = { "rds:snapshot-tag/failsafe:managed": "true" };
    const cases: [string, () => SimulateRequest, Decision][] = [
      [
        "drill restores into a drill instance",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("db:failsafe-drill-orders-1"), {
          ...MARKED,
          ...PRIVATE,
        }),
        "Allowed",
      ],
      [
        "…from a managed copy",
        as(
          drill,
          "rds:RestoreDBInstanceFromDBSnapshot",
          rds("snapshot:failsafe-111111111111-orders-1"),
          MANAGED,
        ),
        "Allowed",
      ],
      [
        "…with the default groups or its subnet group",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("subgrp:failsafe-drills")),
        "Allowed",
      ],
      [
        "…not from an unmanaged snapshot",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("snapshot:orders-manual-1"), MANAGED),
        "ImplicitlyDenied",
      ],
      [
        "…not from an untagged failsafe-* snapshot",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("snapshot:failsafe-x")),
        "ImplicitlyDenied",
      ],
      [
        "…not into any other name",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("db:orders"), {
          ...MARKED,
          ...PRIVATE,
        }),
        "ImplicitlyDenied",
      ],
      [
        "…not without the drill tag",
        as(
          drill,
          "rds:RestoreDBInstanceFromDBSnapshot",
          rds("db:failsafe-drill-orders-1"),
          PRIVATE,
        ),
        "ImplicitlyDenied",
      ],
      [
        "…never publicly accessible",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("db:failsafe-drill-orders-1"), {
          ...MARKED,
          "rds:PubliclyAccessible": true,
        }),
        "ImplicitlyDenied",
      ],
      [
        "…not into another subnet group",
        as(drill, "rds:RestoreDBInstanceFromDBSnapshot", rds("subgrp:prod-private")),
        "ImplicitlyDenied",
      ],
      [
        "drill restores a drill cluster",
        as(
          drill,
          "rds:RestoreDBClusterFromSnapshot",
          rds("cluster:failsafe-drill-ledger-1"),
          MARKED,
        ),
        "Allowed",
      ],
      [
        "…from a managed cluster copy",
        as(
          drill,
          "rds:RestoreDBClusterFromSnapshot",
          rds("cluster-snapshot:failsafe-111111111111-ledger-1"),
          { "rds:cluster-snapshot-tag/failsafe:managed": "true" },
        ),
        "Allowed",
      ],
      [
        "drill tags drill databases at creation, failsafe: keys only",
        as(drill, "rds:AddTagsToResource", rds("db:failsafe-drill-orders-1"), MARKED),
        "Allowed",
      ],
      [
        "…not other keys",
        as(drill, "rds:AddTagsToResource", rds("db:failsafe-drill-orders-1"), {
          "aws:RequestTag/failsafe:drill": "true",
          "aws:TagKeys": ["failsafe:drill", "owner"],
        }),
        "ImplicitlyDenied",
      ],
      [
        "verify records the result on the copy",
        as(verify, "rds:AddTagsToResource", rds("snapshot:failsafe-111111111111-orders-1"), {
          "aws:TagKeys": ["failsafe:drill-result", "failsafe:last-drill"],
        }),
        "Allowed",
      ],
      [
        "verify marks a drill database verified",
        as(verify, "rds:AddTagsToResource", rds("db:failsafe-drill-orders-1"), {
          ...DRILL_DB,
          "aws:TagKeys": ["failsafe:drill-result"],
        }),
        "Allowed",
      ],
      [
        "verify creates a drill cluster's instance",
        as(verify, "rds:CreateDBInstance", rds("db:failsafe-drill-ledger-1-db"), {
          ...MARKED,
          ...PRIVATE,
        }),
        "Allowed",
      ],
      [
        "…in a drill cluster only",
        as(verify, "rds:CreateDBInstance", rds("cluster:failsafe-drill-ledger-1"), DRILL_CLUSTER),
        "Allowed",
      ],
      [
        "…not in another cluster",
        as(verify, "rds:CreateDBInstance", rds("cluster:ledger"), DRILL_CLUSTER),
        "ImplicitlyDenied",
      ],
      [
        "verify deletes a drill instance",
        as(verify, "rds:DeleteDBInstance", rds("db:failsafe-drill-orders-1"), DRILL_DB),
        "Allowed",
      ],
      [
        "…not one named like a drill without the tag",
        as(verify, "rds:DeleteDBInstance", rds("db:failsafe-drill-orders-1")),
        "ImplicitlyDenied",
      ],
      [
        "…not one tagged as a drill with another name",
        as(verify, "rds:DeleteDBInstance", rds("db:prod-clone"), DRILL_DB),
        "ImplicitlyDenied",
      ],
      [
        "verify deletes a drill cluster",
        as(verify, "rds:DeleteDBCluster", rds("cluster:failsafe-drill-ledger-1"), DRILL_CLUSTER),
        "Allowed",
      ],
      [
        "…not another cluster",
        as(verify, "rds:DeleteDBCluster", rds("cluster:ledger"), DRILL_CLUSTER),
        "ImplicitlyDenied",
      ],
      [
        "verify may not restore",
        as(verify, "rds:RestoreDBInstanceFromDBSnapshot", rds("db:failsafe-drill-orders-1"), {
          ...MARKED,
          ...PRIVATE,
        }),
        "ImplicitlyDenied",
      ],
      [
        "no drill role deletes a snapshot",
        as(drill, "rds:DeleteDBSnapshot", rds("snapshot:failsafe-111111111111-orders-1"), MANAGED),
        "ImplicitlyDenied",
      ],
      [
        "drill lists orderable classes",
        as(drill, "rds:DescribeOrderableDBInstanceOptions", "*", {}, { resourceAccount: F }),
        "Allowed",
      ],
    ];
    for (const [name, request, expected] of cases) {
      it(name, () => expectDecision(request(), expected, name));
    }

    it("with the org guard's SCP, the drill functions still record results on managed copies", async () => {
      const guarded = evaluateProgram(orgGuardConfig("save"));
      const scp = {
        name: "org-guard SCP",
        document: orgPolicy(guarded, "SERVICE_CONTROL_POLICY").content,
      };
      for (const name of [drill, verify]) {
        await expectDecision(
          {
            principal: role(name),
            action: "rds:AddTagsToResource",
            resource: rds("snapshot:failsafe-111111111111-orders-1"),
            context: { "aws:TagKeys": ["failsafe:drill-result"] },
            identityPolicies: [policyOf(guarded, name)],
            scps: [scp],
          },
          "Allowed",
          name,
        );
      }
      await expectDecision(
        {
          principal: role("admin"),
          action: "rds:AddTagsToResource",
          resource: rds("snapshot:failsafe-111111111111-orders-1"),
          context: { "aws:TagKeys": ["failsafe:drill-result"] },
          identityPolicies: [
            {
              name: "admin",
              document: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
              },
            },
          ],
          scps: [scp],
        },
        "ExplicitlyDenied",
        "an administrator still may not forge a drill result",
      );
    });
  });
});
