import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { REMOVED_TYPES } from "../../components/deploy-permissions";
import {
  baseConfig,
  evaluateProgram,
  ofType,
  type Evaluation,
  type ResourceRecord,
} from "./support";

/**
 * The program's lifecycle under mocks: what `pulumi destroy` keeps (protect), that no resource of
 * the first build lost its identity (renames carry aliases), and that changing the day-to-day
 * settings replaces nothing (a replaced topic, key, queue or role would break the other
 * account's policies, or lose the vault key's copies).
 */

/**
 * Properties whose change makes the AWS provider replace the resource (Terraform AWS provider:
 * ForceNew), per type the program registers. Everything else is updated in place.
 */
const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:kms/key:Key": [
    "customerMasterKeySpec",
    "keySpec",
    "keyUsage",
    "multiRegion",
    "customKeyStoreId",
    "xksKeyId",
  ],
  "aws:kms/alias:Alias": ["name", "namePrefix"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:sns/topicPolicy:TopicPolicy": ["arn"],
  "aws:sns/topicSubscription:TopicSubscription": ["topic", "protocol", "endpoint"],
  "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
  "aws:sqs/queuePolicy:QueuePolicy": ["queueUrl"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:lambda/function:Function": ["name", "packageType"],
  "aws:lambda/eventSourceMapping:EventSourceMapping": [
    "eventSourceArn",
    "startingPosition",
    "startingPositionTimestamp",
  ],
  "aws:cloudwatch/eventRule:EventRule": ["name", "namePrefix", "eventBusName"],
  "aws:cloudwatch/eventTarget:EventTarget": ["rule", "targetId", "eventBusName"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix", "logGroupClass"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
  "aws:servicequotas/serviceQuota:ServiceQuota": ["serviceCode", "quotaCode"],
};

/** Every day-to-day setting at once, changed (and the optional extras switched on). */
const CHANGED = {
  ...baseConfig("both"),
  retentionDays: "7",
  minCopies: "3",
  freezeAfterHours: "72",
  rpoHours: "30",
  intermediateKeepHours: "48",
  selectionTagKey: "Backup",
  selectionTagValue: "yes",
  prodSweepSchedule: "rate(30 minutes)",
  failsafeSweepSchedule: "cron(15 * * * ? *)",
  logRetentionDays: "30",
  notifyOn: "all",
  notifications: "email",
  notificationEmail: "ops@example.com",
  requestSnapshotQuota: "500",
};

const FIRST_BUILD = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "first-build-urns.json"), "utf8"),
) as { commit: string; urns: string[] };

describe("lifecycle under mocks: protect, aliases, no replacement on a config change", function () {
  this.timeout(180_000);
  let base: Evaluation;
  let changed: Evaluation;
  before(() => {
    base = evaluateProgram(baseConfig("both"));
    changed = evaluateProgram(CHANGED);
  });

  it("protects the vault key and its alias, and nothing else", () => {
    const protectedOnes = base.resources
      .filter((r) => r.protect)
      .map((r) => `${r.type}::${r.name}`);
    assert.deepEqual(protectedOnes.sort(), [
      "aws:kms/alias:Alias::vault",
      "aws:kms/key:Key::vault",
    ]);
    assert.ok(base.resources.every((r) => r.retainOnDelete === undefined));
  });

  it("lets `pulumi destroy --exclude-protected` delete everything but the key and alias (neither depends on another resource)", () => {
    // --exclude-protected keeps a protected resource's dependencies too (pulumi/pulumi#8359):
    // the vault key and alias depend on nothing but each other (and their parent and provider),
    // so every other resource of the save side can go.
    const key = base.resources.find(
      (r) => r.type === "aws:kms/key:Key" && r.name === "vault",
    ) as ResourceRecord;
    const alias = base.resources.find(
      (r) => r.type === "aws:kms/alias:Alias" && r.name === "vault",
    ) as ResourceRecord;
    assert.deepEqual(key.dependencies, []);
    assert.deepEqual(alias.dependencies, [key.urn]);
    for (const deps of Object.values(key.propertyDependencies ?? {})) assert.deepEqual(deps, []);
  });

  it(`keeps the identity (URN) of every resource of the first build (${FIRST_BUILD.commit}), or aliases it`, () => {
    const current = new Set(base.resources.map((r) => r.urn));
    const aliased = new Set(
      base.resources.flatMap((r) =>
        (r.aliases ?? []).map((a) => (typeof a === "string" ? a : JSON.stringify(a))),
      ),
    );
    const missing = FIRST_BUILD.urns.filter((urn) => !current.has(urn) && !aliased.has(urn));
    // Deleted on purpose, not renamed: the sweeps' schedule no longer invokes the functions
    // (schedule → FIFO queue → event source mapping since issue 15).
    const removed = missing.filter((urn) =>
      Object.keys(REMOVED_TYPES).some((t) => urn.includes(`$${t}::`)),
    );
    assert.deepEqual(removed.sort(), [
      "urn:pulumi:test::rds-failsafe::rds-failsafe:copy:CopySide$rds-failsafe:lambda:SnapshotFunction$aws:lambda/permission:Permission::prod-sweep-schedule",
      "urn:pulumi:test::rds-failsafe::rds-failsafe:save:SaveSide$rds-failsafe:lambda:SnapshotFunction$aws:lambda/permission:Permission::failsafe-sweep-schedule",
    ]);
    assert.deepEqual(
      missing.filter((urn) => !removed.includes(urn)),
      [],
      "renamed without an alias",
    );
    assert.ok(FIRST_BUILD.urns.length > 90);
  });

  it("replaces nothing when the retention, tag, schedules, alerts and quota settings change", () => {
    const after = new Map(changed.resources.map((r) => [r.urn, r]));
    const added = changed.resources.filter((r) => !base.resources.some((b) => b.urn === r.urn));
    // Only the optional extras are new: the e-mail subscriptions and the quota requests.
    assert.deepEqual(
      added
        .filter((r) => r.type.startsWith("aws:"))
        .map((r) => r.type)
        .sort(),
      [
        "aws:servicequotas/serviceQuota:ServiceQuota",
        "aws:servicequotas/serviceQuota:ServiceQuota",
        "aws:servicequotas/serviceQuota:ServiceQuota",
        "aws:servicequotas/serviceQuota:ServiceQuota",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:sns/topicSubscription:TopicSubscription",
      ],
    );
    let compared = 0;
    const changedProperties = new Set<string>();
    for (const r of base.resources) {
      const next = after.get(r.urn);
      assert.ok(next, `${r.urn} is gone after the change (delete + create)`);
      if (r.type.startsWith("pulumi:providers:")) {
        assert.deepEqual(next.inputs, r.inputs, `${r.name}: the provider changed`);
        continue;
      }
      if (!r.type.startsWith("aws:")) continue;
      const replaceOn = REPLACE_ON[r.type];
      assert.ok(replaceOn, `no replace-on list for ${r.type}`);
      for (const property of replaceOn) {
        assert.deepEqual(
          next.inputs[property],
          r.inputs[property],
          `${r.urn}: ${property} would replace it`,
        );
      }
      assert.equal(next.provider, r.provider, `${r.urn}: another provider`);
      for (const key of new Set([...Object.keys(r.inputs), ...Object.keys(next.inputs)])) {
        if (JSON.stringify(r.inputs[key]) !== JSON.stringify(next.inputs[key])) {
          changedProperties.add(`${r.type.split(":")[1]}.${key}`);
        }
      }
      compared += 1;
    }
    assert.ok(compared > 80, `${compared} resources compared`);
    // The change did reach the resources (updated in place).
    for (const p of [
      "lambda/function.environment",
      "cloudwatch/eventRule.scheduleExpression",
      "cloudwatch/logGroup.retentionInDays",
    ]) {
      assert.ok(changedProperties.has(p), `${p} changed in place`);
    }
    console.log(`      updated in place: ${[...changedProperties].sort().join(", ")}`);
  });

  it("keeps the cross-account names fixed: topic, keys' aliases, queues, roles", () => {
    const names = (e: Evaluation, type: string) =>
      ofType(e, type)
        .map((r) => String(r.inputs.name))
        .sort();
    for (const type of [
      "aws:sns/topic:Topic",
      "aws:kms/alias:Alias",
      "aws:sqs/queue:Queue",
      "aws:iam/role:Role",
    ]) {
      assert.deepEqual(names(changed, type), names(base, type), type);
    }
  });
});
