import { strict as assert } from "node:assert";
import { SETTINGS_ENV } from "../../handlers/settings";
import {
  asArray,
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  PROD,
  statementsOf,
  type Evaluation,
} from "./support";

const MODES = ["save", "copy", "both"] as const;
const NO_RESOURCE_TYPE = new Set([
  "rds:DescribeAccountAttributes",
  "rds:DescribeOrderableDBInstanceOptions",
]);

/** Resources per type a side builds (the inventory the README's deploy guide lists). */
const SAVE_SIDE: Record<string, number> = {
  "aws:kms/key:Key": 2,
  "aws:kms/alias:Alias": 2,
  "aws:sns/topic:Topic": 2,
  "aws:sns/topicPolicy:TopicPolicy": 1,
  "aws:sns/topicSubscription:TopicSubscription": 1,
  // save, retention, and the sweep's FIFO queue, each with a DLQ; restore drills
  // (components/drills.ts) add the drill-verify queue and the drill run's FIFO queue, each with a
  // DLQ, the drill-events rule and the drill schedule, the drill and drill-verify functions
  "aws:sqs/queue:Queue": 6 + 4,
  "aws:sqs/queuePolicy:QueuePolicy": 3 + 2,
  "aws:cloudwatch/eventRule:EventRule": 2 + 2,
  "aws:cloudwatch/eventTarget:EventTarget": 2 + 2,
  "aws:lambda/function:Function": 3 + 2,
  // the sweep and the drill run read their schedule's queue: no lambda.Permission, no reserved
  // concurrency
  "aws:lambda/eventSourceMapping:EventSourceMapping": 3 + 2,
  "aws:iam/role:Role": 3 + 2,
  "aws:iam/rolePolicy:RolePolicy": 3 + 2,
  "aws:cloudwatch/logGroup:LogGroup": 3 + 2,
  // 3 function errors, 3 DLQs, RPO breaches, sweep stopped, rejected hand-offs, snapshot quota;
  // drills: 2 function errors, 2 DLQs, drill failed, drill overdue
  "aws:cloudwatch/metricAlarm:MetricAlarm": 10 + 6,
  "aws:cloudwatch/dashboard:Dashboard": 1,
};
const COPY_SIDE: Record<string, number> = {
  "aws:kms/key:Key": 2,
  "aws:kms/alias:Alias": 2,
  "aws:sns/topic:Topic": 1,
  "aws:sqs/queue:Queue": 6,
  "aws:sqs/queuePolicy:QueuePolicy": 3,
  "aws:cloudwatch/eventRule:EventRule": 3,
  "aws:cloudwatch/eventTarget:EventTarget": 3,
  "aws:lambda/function:Function": 3,
  "aws:lambda/eventSourceMapping:EventSourceMapping": 3,
  "aws:iam/role:Role": 3,
  "aws:iam/rolePolicy:RolePolicy": 3,
  "aws:cloudwatch/logGroup:LogGroup": 3,
  // 3 function errors, 3 DLQs, unprotected sources, sweep stopped, snapshot quota
  "aws:cloudwatch/metricAlarm:MetricAlarm": 9,
  "aws:cloudwatch/dashboard:Dashboard": 1,
};

/** The aws:ResourceAccount values a statement narrows an any-account ARN to, if any. */
const resourceAccounts = (s: Record<string, unknown>): string[] | undefined => {
  const condition = s.Condition as Record<string, Record<string, unknown>> | undefined;
  const accounts = condition?.StringEquals?.["aws:ResourceAccount"];
  return accounts === undefined ? undefined : asArray(accounts as string | string[]);
};
const awsResources = (e: Evaluation) => e.resources.filter((r) => r.type.startsWith("aws:"));
const sideOf = (urn: string) =>
  urn.includes("rds-failsafe:save:SaveSide")
    ? "save"
    : urn.includes("rds-failsafe:copy:CopySide")
      ? "copy"
      : "none";

describe("Pulumi program under mocks", function () {
  this.timeout(180_000);
  const runs = {} as Record<(typeof MODES)[number], Evaluation>;

  before(() => {
    for (const mode of MODES) {
      runs[mode] = evaluateProgram(baseConfig(mode));
    }
  });

  describe("inventory and providers, per stack mode", () => {
    for (const mode of MODES) {
      it(`${mode}: builds exactly the ${mode === "both" ? "two sides" : `${mode} side`}`, () => {
        const counts: Record<string, number> = {};
        for (const r of awsResources(runs[mode])) {
          counts[r.type] = (counts[r.type] ?? 0) + 1;
        }
        const expected: Record<string, number> = {};
        for (const side of mode === "both"
          ? [SAVE_SIDE, COPY_SIDE]
          : [mode === "save" ? SAVE_SIDE : COPY_SIDE]) {
          for (const [type, n] of Object.entries(side)) {
            expected[type] = (expected[type] ?? 0) + n;
          }
        }
        assert.deepEqual(counts, expected);
      });

      it(`${mode}: every resource has an explicit provider of its side's account, none the default`, () => {
        const providers = ofType(runs[mode], "pulumi:providers:aws");
        const accountOf = new Map(
          providers.map((p) => [p.name, asArray(p.inputs.allowedAccountIds as string[] | string)]),
        );
        assert.deepEqual(
          [...accountOf.entries()].sort(),
          [
            ...(mode !== "copy" ? [["failsafe", [FAILSAFE]]] : []),
            ...(mode !== "save" ? [["prod", [PROD]]] : []),
          ].sort(),
        );
        for (const p of providers) {
          const role = (p.inputs.assumeRoles as { roleArn: string }[])[0]?.roleArn ?? "";
          assert.equal(
            role.split(":")[4],
            accountOf.get(p.name)?.[0],
            `${p.name} assumes a role in its account`,
          );
        }
        for (const r of awsResources(runs[mode])) {
          assert.ok(
            r.provider,
            `${r.urn} has no explicit provider (would use the default provider)`,
          );
          assert.ok(!r.provider.startsWith("default"), `${r.urn} uses ${r.provider}`);
          const expected = sideOf(r.urn) === "save" ? "failsafe" : "prod";
          assert.equal(r.provider, expected, `${r.urn} is on the ${r.provider} provider`);
        }
      });
    }

    it("tags every resource through the provider's default tags", () => {
      for (const p of ofType(runs.both, "pulumi:providers:aws")) {
        const tags = (p.inputs.defaultTags as { tags: Record<string, string> }).tags;
        assert.deepEqual(Object.keys(tags).sort(), ["Application", "ManagedBy", "Side", "Stack"]);
        assert.equal(tags.Side, p.name === "prod" ? "copy" : "save");
      }
    });

    it("reports the evaluation time", () => {
      for (const mode of MODES) {
        console.log(
          `      ${mode}: ${awsResources(runs[mode]).length} AWS resources, evaluated in ${runs[mode].evaluationMs} ms`,
        );
      }
    });
  });

  describe("IAM", () => {
    const rolePolicies = () => ofType(runs.both, "aws:iam/rolePolicy:RolePolicy");

    it('has no wildcard action and no Resource "*" in any function\'s policy (but for actions with no resource type)', () => {
      for (const policy of rolePolicies()) {
        for (const s of statementsOf(policy.inputs.policy)) {
          for (const action of asArray(s.Action as string | string[])) {
            assert.ok(!action.includes("*"), `${policy.name}: wildcard action ${action}`);
          }
          assert.equal(s.NotAction, undefined);
          // Actions without a resource type take only "*" (Service Authorization Reference):
          // rds:DescribeAccountAttributes (the sweeps' quota figures) and
          // rds:DescribeOrderableDBInstanceOptions (the drills' instance class).
          const actions = asArray(s.Action as string | string[]);
          if (actions.every((a) => NO_RESOURCE_TYPE.has(a))) {
            assert.deepEqual(s.Resource, "*", `${policy.name}: ${String(s.Sid)}`);
            continue;
          }
          // Any account ("*") only where aws:ResourceAccount names the accounts (prod's).
          const accounts = resourceAccounts(s);
          for (const resource of asArray(s.Resource as string | string[])) {
            assert.match(
              resource,
              accounts
                ? /^arn:aws:[a-z0-9-]+:eu-west-1:\*:/
                : /^arn:aws:[a-z0-9-]+:(eu-west-1)?:(\d{12})?:/,
              `${policy.name}: ${resource}`,
            );
            assert.notEqual(resource, "*");
          }
        }
      }
    });

    it("scopes each function's resources to its account, and writes to managed snapshots only", () => {
      for (const policy of rolePolicies()) {
        const side = sideOf(policy.urn);
        for (const s of statementsOf(policy.inputs.policy)) {
          const actions = asArray(s.Action as string | string[]);
          const accounts = resourceAccounts(s);
          if (accounts) {
            assert.equal(side, "save", `${policy.name}: only the save side names prod accounts`);
            assert.deepEqual(accounts, [PROD], `${policy.name}: exactly the prod accounts`);
          }
          for (const resource of asArray(s.Resource as string | string[])) {
            const account = accounts ? accounts[0] : resource.split(":")[4];
            // The save side reads prod's shared snapshots and uses prod's transit key through RDS.
            const allowed = side === "save" ? [FAILSAFE, PROD, ""] : [PROD, FAILSAFE, ""];
            assert.ok(allowed.includes(account ?? ""), `${policy.name}: ${resource}`);
            if (
              actions.some((a) => /^rds:(Copy|Delete|Modify|AddTags)/.test(a)) &&
              resource.includes(":snapshot:") &&
              !resource.includes(":snapshot:rds:")
            ) {
              assert.match(
                resource,
                /:(cluster-)?snapshot:failsafe-\*$/,
                `${policy.name}: ${actions.join()} on ${resource}`,
              );
            }
          }
          if (actions.some((a) => /^rds:(Delete|Modify)/.test(a))) {
            // Drill databases (failsafe-drill-*) carry the drill mark instead (issue 12).
            const drill = asArray(s.Resource as string | string[]).every((r) =>
              /:(db|cluster):failsafe-drill-\*$/.test(r),
            );
            assert.ok(
              JSON.stringify(s.Condition).includes(drill ? "failsafe:drill" : "failsafe:managed"),
              `${policy.name}: ${actions.join()} needs the managed-tag condition`,
            );
          }
          if (actions.some((a) => a.startsWith("kms:"))) {
            assert.ok(
              JSON.stringify(s.Condition).includes("kms:ViaService"),
              `${policy.name}: KMS use only through a service`,
            );
          }
        }
      }
    });

    it("gives each function its own role, trusted by Lambda in its own account only", () => {
      const roles = ofType(runs.both, "aws:iam/role:Role");
      const functions = ofType(runs.both, "aws:lambda/function:Function");
      assert.equal(new Set(functions.map((f) => f.inputs.role)).size, functions.length);
      for (const role of roles) {
        const [trust] = statementsOf(role.inputs.assumeRolePolicy);
        assert.deepEqual(trust?.Principal, { Service: "lambda.amazonaws.com" });
        const account = (trust?.Condition as { StringEquals: Record<string, string> }).StringEquals[
          "aws:SourceAccount"
        ];
        assert.equal(account, sideOf(role.urn) === "save" ? FAILSAFE : PROD);
      }
      for (const f of functions) {
        assert.equal(
          ofType(runs.both, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").length,
          0,
          "no managed policies (CallbackFunction defaults)",
        );
        assert.match(String(f.inputs.role), new RegExp(`:role/${String(f.inputs.name)}$`));
      }
    });

    it("lets only the share function and the prod sweep publish hand-offs and change snapshot sharing", () => {
      const publishers = rolePolicies()
        .filter((p) =>
          statementsOf(p.inputs.policy).some(
            (s) =>
              asArray(s.Action as string[]).includes("sns:Publish") &&
              JSON.stringify(s.Resource).includes("handoff"),
          ),
        )
        .map((p) => p.name)
        .sort();
      assert.deepEqual(publishers, ["prod-sweep", "share"]);
      const sharers = rolePolicies()
        .filter((p) =>
          statementsOf(p.inputs.policy).some((s) =>
            asArray(s.Action as string[]).some((a) => a.startsWith("rds:Modify")),
          ),
        )
        .map((p) => p.name)
        .sort();
      assert.deepEqual(sharers, ["prod-sweep", "share"]);
    });
  });

  describe("keys, topics, queues, rules, schedules, alarms", () => {
    const key = (alias: string) => {
      const a = ofType(runs.both, "aws:kms/alias:Alias").find((x) => x.inputs.name === alias);
      assert.ok(a, alias);
      const keys = ofType(runs.both, "aws:kms/key:Key").filter(
        (k) => sideOf(k.urn) === sideOf(a.urn),
      );
      return { alias: a, keys };
    };

    it("turns rotation on for every key, with a 30-day deletion window", () => {
      for (const k of ofType(runs.both, "aws:kms/key:Key")) {
        assert.equal(k.inputs.enableKeyRotation, true, k.name);
        assert.equal(k.inputs.deletionWindowInDays, 30, k.name);
        for (const s of statementsOf(k.inputs.policy)) {
          for (const action of asArray(s.Action as string | string[])) {
            assert.ok(!action.includes("*"), `${k.name}: ${action}`);
          }
        }
      }
    });

    it("leaves deleting, disabling and re-writing the vault key to the break-glass principal alone", () => {
      key("alias/rds-failsafe-vault");
      const vault = ofType(runs.both, "aws:kms/key:Key").find((k) => k.name === "vault");
      assert.equal(vault?.inputs.bypassPolicyLockoutSafetyCheck, true);
      const statements = statementsOf(vault?.inputs.policy);
      const breakGlass = { "aws:PrincipalArn": `arn:aws:iam::${FAILSAFE}:role/break-glass` };
      const [deny, denyGrants, ...more] = statements.filter((s) => s.Effect === "Deny");
      assert.equal(more.length, 0);
      assert.deepEqual(deny?.Action, [
        "kms:DisableKey",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
      ]);
      assert.deepEqual(deny?.Principal, { AWS: "*" });
      assert.deepEqual(deny?.Condition, { ArnNotEquals: breakGlass });
      assert.deepEqual(denyGrants?.Action, ["kms:CreateGrant"]);
      assert.deepEqual(denyGrants?.Condition, {
        Bool: { "kms:GrantIsForAWSResource": "false" },
        ArnNotEquals: breakGlass,
      });
      // The account may use the key only through RDS, as the aws/rds key allows.
      for (const s of statements.filter(
        (st) => st.Effect === "Allow" && JSON.stringify(st.Principal).includes(":root"),
      )) {
        const actions = asArray(s.Action as string[]);
        assert.ok(!actions.includes("kms:PutKeyPolicy") && !actions.includes("kms:DisableKey"));
        if (actions.some((a) => /Decrypt|Encrypt|GenerateDataKey|CreateGrant/.test(a))) {
          assert.deepEqual(
            (s.Condition as { StringEquals: Record<string, string> }).StringEquals,
            { "kms:ViaService": "rds.eu-west-1.amazonaws.com", "kms:CallerAccount": FAILSAFE },
            String(s.Sid),
          );
        }
      }
    });

    it("lets the failsafe account use the transit key through RDS only", () => {
      const transit = ofType(runs.both, "aws:kms/key:Key").find((k) => k.name === "transit");
      const foreign = statementsOf(transit?.inputs.policy).filter((s) =>
        JSON.stringify(s.Principal).includes(FAILSAFE),
      );
      assert.equal(foreign.length, 2);
      for (const s of foreign) {
        assert.equal(
          (s.Condition as { StringEquals: Record<string, string> }).StringEquals["kms:ViaService"],
          "rds.eu-west-1.amazonaws.com",
        );
        assert.ok(
          asArray(s.Action as string[]).every((a) =>
            ["kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom", "kms:CreateGrant"].includes(a),
          ),
        );
      }
    });

    it("encrypts every topic, and lets only the prod share roles publish to the hand-off topic", () => {
      for (const t of ofType(runs.both, "aws:sns/topic:Topic")) {
        assert.ok(t.inputs.kmsMasterKeyId, `${t.name} is encrypted`);
      }
      const [policy] = ofType(runs.both, "aws:sns/topicPolicy:TopicPolicy");
      assert.deepEqual(statementsOf(policy?.inputs.policy), [
        {
          Sid: "OnlyProdShareRolesPublish",
          Effect: "Allow",
          Principal: { AWS: [`arn:aws:iam::${PROD}:root`] },
          Action: "sns:Publish",
          Resource: `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-handoff`,
          Condition: {
            ArnEquals: {
              "aws:PrincipalArn": [
                `arn:aws:iam::${PROD}:role/rds-failsafe-share`,
                `arn:aws:iam::${PROD}:role/rds-failsafe-prod-sweep`,
              ],
            },
          },
        },
      ]);
    });

    it("feeds every queue-driven function from an encrypted queue with a DLQ, partial batch responses and bounded concurrency", () => {
      const queues = ofType(runs.both, "aws:sqs/queue:Queue");
      const byArn = new Map(
        queues.map((q) => [
          `arn:aws:sqs:eu-west-1:${sideOf(q.urn) === "save" ? FAILSAFE : PROD}:${String(q.inputs.name)}`,
          q,
        ]),
      );
      const mappings = ofType(runs.both, "aws:lambda/eventSourceMapping:EventSourceMapping").filter(
        (m) => !String(m.inputs.eventSourceArn).endsWith(".fifo"),
      );
      // save, share, copy, retention; drill-verify
      assert.equal(mappings.length, 4 + 1);
      for (const m of mappings) {
        const queue = byArn.get(String(m.inputs.eventSourceArn));
        assert.ok(queue, `${m.name} reads a queue of this program`);
        const redrive = JSON.parse(String(queue.inputs.redrivePolicy)) as {
          deadLetterTargetArn: string;
          maxReceiveCount: number;
        };
        assert.ok(byArn.get(redrive.deadLetterTargetArn)?.inputs.name, `${m.name}: DLQ exists`);
        // Copy and save retry refused copies (RDS's in-flight limit) for 2.4 h; the others 5 times.
        const copies = ["rds-failsafe-copy", "rds-failsafe-save"].includes(
          String(queue.inputs.name),
        );
        assert.equal(redrive.maxReceiveCount, copies ? 24 : 5, String(queue.inputs.name));
        assert.equal(queue.inputs.visibilityTimeoutSeconds, 360, "six times the function timeout");
        assert.deepEqual(m.inputs.functionResponseTypes, ["ReportBatchItemFailures"]);
        const { maximumConcurrency } = m.inputs.scalingConfig as { maximumConcurrency: number };
        assert.ok(
          maximumConcurrency >= 2 && maximumConcurrency * Number(m.inputs.batchSize) <= 20,
          `${m.name}: ≤ 20 copies in flight`,
        );
      }
      for (const q of queues) {
        assert.equal(q.inputs.sqsManagedSseEnabled, true, `${q.name} encrypted`);
      }
    });

    it("admits only the feeding rule or topic to each queue", () => {
      for (const p of ofType(runs.both, "aws:sqs/queuePolicy:QueuePolicy")) {
        const [s] = statementsOf(p.inputs.policy);
        assert.equal(s?.Action, "sqs:SendMessage");
        assert.ok(JSON.stringify(s?.Condition).includes("aws:SourceArn"), p.name);
      }
    });

    it("runs both sweeps hourly, one at a time, and every function on nodejs22.x within 60 s with log retention", () => {
      const schedules = ofType(runs.both, "aws:cloudwatch/eventRule:EventRule").filter(
        (r) => r.inputs.scheduleExpression,
      );
      assert.deepEqual(schedules.map((r) => [r.name, r.inputs.scheduleExpression]).sort(), [
        ["drill-schedule", "rate(7 days)"],
        ["failsafe-sweep-schedule", "rate(1 hour)"],
        ["prod-sweep-schedule", "rate(1 hour)"],
      ]);
      const functions = ofType(runs.both, "aws:lambda/function:Function");
      for (const f of functions) {
        assert.equal(f.inputs.runtime, "nodejs22.x");
        assert.ok(Number(f.inputs.timeout) <= 60);
        const logGroup = ofType(runs.both, "aws:cloudwatch/logGroup:LogGroup").find(
          (g) => g.inputs.name === `/aws/lambda/${String(f.inputs.name)}`,
        );
        assert.equal(logGroup?.inputs.retentionInDays, 90);
        // No function reserves concurrency: a new account (quota 10) could not grant it.
        assert.equal(f.inputs.reservedConcurrentExecutions, undefined, String(f.inputs.name));
      }
      assert.equal(ofType(runs.both, "aws:lambda/permission:Permission").length, 0);
      // schedule → FIFO queue (one message group) → event source mapping: one sweep at a time.
      for (const sweep of [
        "rds-failsafe-prod-sweep",
        "rds-failsafe-failsafe-sweep",
        "rds-failsafe-drill",
      ]) {
        const account = sweep.includes("prod") ? PROD : FAILSAFE;
        const queue = ofType(runs.both, "aws:sqs/queue:Queue").find(
          (q) => q.inputs.name === `${sweep}.fifo`,
        );
        assert.equal(queue?.inputs.fifoQueue, true, sweep);
        assert.equal(queue?.inputs.contentBasedDeduplication, true, sweep);
        const redrive = JSON.parse(String(queue?.inputs.redrivePolicy)) as {
          deadLetterTargetArn: string;
        };
        assert.equal(
          redrive.deadLetterTargetArn,
          `arn:aws:sqs:eu-west-1:${account}:${sweep}-dlq.fifo`,
        );
        const target = ofType(runs.both, "aws:cloudwatch/eventTarget:EventTarget").find(
          (t) => t.inputs.rule === `${sweep}-schedule`,
        );
        assert.equal(target?.inputs.arn, `arn:aws:sqs:eu-west-1:${account}:${sweep}.fifo`);
        assert.deepEqual(target?.inputs.sqsTarget, { messageGroupId: "sweep" });
        const mapping = ofType(runs.both, "aws:lambda/eventSourceMapping:EventSourceMapping").find(
          (m) => m.inputs.eventSourceArn === `arn:aws:sqs:eu-west-1:${account}:${sweep}.fifo`,
        );
        assert.deepEqual(mapping?.inputs.scalingConfig, { maximumConcurrency: 2 });
        assert.equal(
          mapping?.inputs.functionName,
          `arn:aws:lambda:eu-west-1:${account}:function:${sweep}`,
        );
      }
    });

    it("passes each function its settings, validated by the handlers' own schema", async () => {
      const { parseFailsafeSettings, parseProdSettings } = await import("../../handlers/settings");
      for (const f of ofType(runs.both, "aws:lambda/function:Function")) {
        const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
        const settings = JSON.parse(env[SETTINGS_ENV] ?? "") as unknown;
        if (sideOf(f.urn) === "save") {
          const parsed = parseFailsafeSettings(settings);
          assert.deepEqual(parsed.prodAccountIds, [PROD]);
          assert.equal(parsed.failsafeAccountId, FAILSAFE);
        } else {
          const parsed = parseProdSettings(settings);
          assert.equal(parsed.prodAccountId, PROD);
          assert.equal(parsed.failsafeAccountId, FAILSAFE);
        }
      }
    });

    it("alarms on every function's errors, every DLQ and the RPO, to the ops topic of the same account", () => {
      const alarms = ofType(runs.both, "aws:cloudwatch/metricAlarm:MetricAlarm");
      assert.equal(alarms.filter((a) => a.inputs.metricName === "Errors").length, 6 + 2);
      assert.equal(
        alarms.filter((a) => a.inputs.metricName === "ApproximateNumberOfMessagesVisible").length,
        6 + 2,
      );
      const rpo = alarms.find((a) => a.inputs.metricName === "RpoBreaches");
      assert.equal(rpo?.inputs.threshold, 0);
      // OK right after a deploy: no figures yet is what the heartbeat alarms are for.
      assert.equal(rpo?.inputs.treatMissingData, "notBreaching");
      assert.deepEqual(rpo?.inputs.dimensions, { service: "rds-failsafe-failsafe" });
      const heartbeats = alarms.filter((a) => a.inputs.metricName === "SweepCompleted");
      assert.deepEqual(heartbeats.map((a) => a.inputs.name).sort(), [
        "rds-failsafe-failsafe-sweep-stopped",
        "rds-failsafe-prod-sweep-stopped",
      ]);
      for (const h of heartbeats) {
        assert.equal(h.inputs.treatMissingData, "missing");
        assert.deepEqual(h.inputs.insufficientDataActions, h.inputs.alarmActions);
      }
      const rejected = alarms.find((a) => a.inputs.metricName === "RejectedHandoffs");
      assert.equal(rejected?.inputs.statistic, "Sum");
      const unprotected = alarms.find((a) => a.inputs.metricName === "UnprotectedSources");
      assert.deepEqual(unprotected?.inputs.dimensions, { service: "rds-failsafe-prod" });
      for (const a of alarms) {
        const account = sideOf(a.urn) === "save" ? FAILSAFE : PROD;
        assert.deepEqual(a.inputs.alarmActions, [
          `arn:aws:sns:eu-west-1:${account}:${account === PROD ? "rds-failsafe-prod-ops" : "rds-failsafe-ops"}`,
        ]);
      }
    });

    it("subscribes the optional e-mail only when configured", () => {
      const withEmail = evaluateProgram({
        ...baseConfig("save"),
        notifications: "email",
        notificationEmail: "ops@example.com",
      });
      assert.deepEqual(
        ofType(withEmail, "aws:sns/topicSubscription:TopicSubscription")
          .map((s) => s.inputs.protocol)
          .sort(),
        ["email", "sqs"],
      );
      assert.equal(ofType(runs.save, "aws:sns/topicSubscription:TopicSubscription").length, 1);
    });
  });

  describe("cross-stack wiring", () => {
    const handoffSetting = (e: Evaluation) => {
      const share = ofType(e, "aws:lambda/function:Function").find(
        (f) => f.inputs.name === "rds-failsafe-share",
      );
      const env = (share?.inputs.environment as { variables: Record<string, string> }).variables;
      return (JSON.parse(env[SETTINGS_ENV] ?? "{}") as { handoffTopicArn: string }).handoffTopicArn;
    };

    it("copy stack: the hand-off topic comes from its fixed name in the failsafe account", () => {
      assert.equal(
        handoffSetting(runs.copy),
        `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-handoff`,
      );
      assert.deepEqual(runs.copy.outputs.handoffTopicArn, undefined);
      assert.equal(
        runs.save.outputs.handoffTopicArn,
        `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-handoff`,
      );
    });

    it("copy stack with failsafeStack: reads and checks the failsafe stack's output", () => {
      const arn = `arn:aws:sns:eu-west-1:${FAILSAFE}:rds-failsafe-handoff`;
      const ok = evaluateProgram(
        { ...baseConfig("copy"), failsafeStack: "acme/rds-failsafe/failsafe" },
        { handoffTopicArn: arn },
      );
      assert.equal(handoffSetting(ok), arn);
      assert.throws(
        () =>
          evaluateProgram(
            { ...baseConfig("copy"), failsafeStack: "acme/rds-failsafe/failsafe" },
            {},
          ),
        /rds-failsafe:failsafeStack = "acme\/rds-failsafe\/failsafe" exports no handoffTopicArn/,
      );
      // One readable error naming the key, the stack, the value and the expected value; never the
      // SDK's "error serializing property" chain (one prefix per consuming resource).
      assert.throws(
        () =>
          evaluateProgram(
            { ...baseConfig("copy"), failsafeStack: "acme/rds-failsafe/failsafe" },
            { handoffTopicArn: "arn:aws:sns:eu-west-1:333333333333:rds-failsafe-handoff" },
          ),
        (err: Error) =>
          /rds-failsafe:failsafeStack = "acme\/rds-failsafe\/failsafe" exports handoffTopicArn "arn:aws:sns:eu-west-1:333333333333:rds-failsafe-handoff", but this stack expects "arn:aws:sns:eu-west-1:222222222222:rds-failsafe-handoff"/.test(
            err.message,
          ) && !err.message.includes("error serializing property"),
      );
    });

    it("fails on bad config with the key, the value and the fix", () => {
      assert.throws(
        () => evaluateProgram({ ...baseConfig("copy"), prodAccountId: "12345" }),
        /rds-failsafe:prodAccountId = "12345" must be a 12-digit AWS account id.*Fix: pulumi config set rds-failsafe:prodAccountId/,
      );
    });
  });
});
