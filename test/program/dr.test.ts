import { strict as assert } from "node:assert";
import { parseStackConfig, ConfigError } from "../../components/config";
import { vaultKeyPolicy } from "../../components/keys";
import { NAMES } from "../../components/names";
import { SETTINGS_ENV } from "../../handlers/settings";
import { runPolicies } from "../../policy/run";
import { POLICY_CONFIG } from "../../scripts/policy-report";
import { expectDecision, type Decision, type SimulateRequest } from "../support/iam-sim";
import { orgGuardConfig, orgPolicy } from "./org-guard-support";
import {
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  policyResources,
  statementsOf,
  type Evaluation,
  type ResourceRecord,
} from "./support";

const R = "eu-west-1";
const DR = "eu-central-1";
const F = FAILSAFE;
const role = (name: string) => `arn:aws:iam::${F}:role/${name}`;
const snapshot = (region: string, id: string) => `arn:aws:rds:${region}:${F}:snapshot:${id}`;
const clusterSnapshot = (region: string, id: string) =>
  `arn:aws:rds:${region}:${F}:cluster-snapshot:${id}`;
const MANAGED = { "rds:snapshot-tag/failsafe:managed": "true" };
const ADMIN_ACCESS = {
  name: "AdministratorAccess",
  document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};

function one(e: Evaluation, type: string, name: string): ResourceRecord {
  const found = e.resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `one ${type} ${name}`);
  return found[0] as ResourceRecord;
}

async function decisions(cases: [string, SimulateRequest, Decision][]): Promise<void> {
  const failures: string[] = [];
  for (const [name, request, expected] of cases) {
    await expectDecision(request, expected, name).catch((err: Error) => failures.push(err.message));
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
}

/**
 * The DR region in the program under mocks: a failsafe provider in the DR region carries the DR
 * vault key (the vault key's lock-down, for that region); the dr-copy queue and function hang off
 * the failsafe-copy-ready rule; retention and the sweep get exactly the DR rights they use. The
 * documents are judged with the IAM policy engine.
 */
describe("DR region in the program (mocks)", function () {
  this.timeout(180_000);
  let e: Evaluation;
  let without: Evaluation;
  before(() => {
    e = evaluateProgram({ ...baseConfig("save"), drRegion: DR });
    without = evaluateProgram(baseConfig("save"));
  });

  const policyOf = (fn: string) =>
    String(
      ofType(e, "aws:iam/rolePolicy:RolePolicy").find((p) => p.inputs.role === fn)?.inputs.policy,
    );

  it("adds a failsafe provider in the DR region, and builds nothing of it without drRegion", () => {
    const providers = ofType(e, "pulumi:providers:aws");
    const dr = providers.find((p) => p.inputs.region === DR);
    assert.ok(dr, "a provider in the DR region");
    assert.deepEqual(dr.inputs.allowedAccountIds, [F]);
    assert.equal(
      (dr.inputs.assumeRoles as { roleArn: string }[])[0]?.roleArn,
      role("rds-failsafe-deploy"),
    );
    const drResources = e.resources.filter((r) => r.provider === dr.name);
    assert.deepEqual(drResources.map((r) => r.type).sort(), [
      "aws:kms/alias:Alias",
      "aws:kms/key:Key",
    ]);
    assert.equal(ofType(without, "pulumi:providers:aws").length, 1);
    assert.equal(
      without.resources.filter((r) => r.urn.includes("rds-failsafe:dr:")).length,
      0,
      "no DR resource without drRegion",
    );
    const counts = (x: Evaluation) => {
      const c: Record<string, number> = {};
      for (const r of x.resources.filter((r) => r.type.startsWith("aws:"))) {
        c[r.type] = (c[r.type] ?? 0) + 1;
      }
      return c;
    };
    const [withDr, base] = [counts(e), counts(without)];
    const added = Object.fromEntries(
      Object.keys(withDr)
        .filter((t) => withDr[t] !== base[t])
        .map((t) => [t, (withDr[t] ?? 0) - (base[t] ?? 0)]),
    );
    assert.deepEqual(added, {
      "aws:kms/key:Key": 1,
      "aws:kms/alias:Alias": 1,
      "aws:sqs/queue:Queue": 2,
      "aws:sqs/queuePolicy:QueuePolicy": 1,
      "aws:cloudwatch/eventTarget:EventTarget": 1,
      "aws:cloudwatch/logGroup:LogGroup": 1,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:lambda/function:Function": 1,
      "aws:lambda/eventSourceMapping:EventSourceMapping": 1,
      // dr-copy errors, its DLQ, DR RPO breaches
      "aws:cloudwatch/metricAlarm:MetricAlarm": 3,
    });
  });

  it("gives the DR vault key the vault key's lock-down, built for the DR region", () => {
    const key = one(e, "aws:kms/key:Key", "dr-vault-key");
    assert.equal(key.inputs.bypassPolicyLockoutSafetyCheck, true);
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.deepEqual(
      JSON.parse(String(key.inputs.policy)),
      JSON.parse(
        JSON.stringify({
          Version: "2012-10-17",
          Statement: vaultKeyPolicy(DR, F, role("break-glass")),
        }),
      ),
    );
    assert.match(String(key.inputs.policy), /"kms:ViaService":"rds\.eu-central-1\.amazonaws\.com"/);
    assert.doesNotMatch(String(key.inputs.policy), /eu-west-1/);
    const alias = one(e, "aws:kms/alias:Alias", "dr-vault-key");
    assert.equal(alias.inputs.name, NAMES.keyAlias.vault);
    assert.equal(alias.provider, key.provider);
  });

  it("wires dr-copy to the failsafe-copy-ready rule and gives every function the DR settings", () => {
    const drKeyArn = String(one(e, "aws:kms/key:Key", "dr-vault-key").state.arn);
    assert.match(drKeyArn, /^arn:aws:kms:eu-central-1:222222222222:key\//);
    for (const f of ofType(e, "aws:lambda/function:Function")) {
      const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
      const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as Record<string, unknown>;
      assert.equal(settings.drRegion, DR, String(f.inputs.name));
      assert.equal(settings.drVaultKmsKeyArn, drKeyArn, String(f.inputs.name));
    }
    const target = one(e, "aws:cloudwatch/eventTarget:EventTarget", "failsafe-copy-ready-dr");
    assert.equal(target.inputs.rule, NAMES.rule.failsafeCopyReady);
    assert.equal(target.inputs.arn, `arn:aws:sqs:${R}:${F}:rds-failsafe-dr-copy`);
    const [allow] = statementsOf(
      one(e, "aws:sqs/queuePolicy:QueuePolicy", "dr-copy").inputs.policy,
    );
    assert.deepEqual(allow?.Condition, {
      ArnEquals: {
        "aws:SourceArn": `arn:aws:events:${R}:${F}:rule/${NAMES.rule.failsafeCopyReady}`,
      },
    });
    const mapping = one(e, "aws:lambda/eventSourceMapping:EventSourceMapping", "dr-copy");
    assert.equal(mapping.inputs.batchSize, 5);
    assert.deepEqual(mapping.inputs.scalingConfig, { maximumConcurrency: 4 });
    const alarm = one(e, "aws:cloudwatch/metricAlarm:MetricAlarm", "dr-rpo");
    assert.equal(alarm.inputs.metricName, "DrRpoBreaches");
    assert.equal(alarm.inputs.name, "rds-failsafe-dr-rpo-breach");
  });

  it("lets dr-copy copy managed copies into the DR region, and nothing more (IAM engine)", async () => {
    const dr = { name: "dr-copy", document: policyOf(NAMES.fn.drCopy) };
    const drKey = String(one(e, "aws:kms/key:Key", "dr-vault-key").state.arn);
    const vaultKey = String(one(e, "aws:kms/key:Key", "vault").state.arn);
    const drKeyPolicy = String(one(e, "aws:kms/key:Key", "dr-vault-key").inputs.policy);
    const vaultKeyPolicyDoc = String(one(e, "aws:kms/key:Key", "vault").inputs.policy);
    const fn = role(NAMES.fn.drCopy);
    const req = (action: string, resource: string, extra: Partial<SimulateRequest> = {}) => ({
      principal: fn,
      action,
      resource,
      identityPolicies: [dr],
      ...extra,
    });
    const grant = (region: string, alias = NAMES.keyAlias.vault) => ({
      "kms:ViaService": `rds.${region}.amazonaws.com`,
      "kms:GrantIsForAWSResource": true,
      "kms:ResourceAliases": [alias],
    });
    await decisions([
      [
        "copy source (primary)",
        req("rds:CopyDBSnapshot", snapshot(R, "failsafe-1-orders")),
        "Allowed",
      ],
      ["copy target (DR)", req("rds:CopyDBSnapshot", snapshot(DR, "failsafe-1-orders")), "Allowed"],
      [
        "cluster copy target (DR)",
        req("rds:CopyDBClusterSnapshot", clusterSnapshot(DR, "failsafe-1-ledger")),
        "Allowed",
      ],
      [
        "copy to an unmanaged name",
        req("rds:CopyDBSnapshot", snapshot(DR, "evil")),
        "ImplicitlyDenied",
      ],
      [
        "copy to a third region",
        req("rds:CopyDBSnapshot", snapshot("us-east-1", "failsafe-1")),
        "ImplicitlyDenied",
      ],
      [
        "tag the DR copy with failsafe: keys",
        req("rds:AddTagsToResource", snapshot(DR, "failsafe-1-orders"), {
          context: { "aws:TagKeys": ["failsafe:managed"] },
        }),
        "Allowed",
      ],
      [
        "tag it with other keys",
        req("rds:AddTagsToResource", snapshot(DR, "failsafe-1-orders"), {
          context: { "aws:TagKeys": ["owner"] },
        }),
        "ImplicitlyDenied",
      ],
      [
        "delete a DR copy",
        req("rds:DeleteDBSnapshot", snapshot(DR, "failsafe-1-orders"), { context: MANAGED }),
        "ImplicitlyDenied",
      ],
      [
        "grant on the DR vault key through RDS in the DR region",
        req("kms:CreateGrant", drKey, { context: grant(DR), resourcePolicy: drKeyPolicy }),
        "Allowed",
      ],
      [
        "grant on the DR vault key through RDS of the primary region",
        req("kms:CreateGrant", drKey, { context: grant(R), resourcePolicy: drKeyPolicy }),
        "ImplicitlyDenied",
      ],
      [
        "grant on the vault key (source) through RDS in the primary region",
        req("kms:CreateGrant", vaultKey, { context: grant(R), resourcePolicy: vaultKeyPolicyDoc }),
        "Allowed",
      ],
      [
        "a grant not for an AWS resource",
        req("kms:CreateGrant", drKey, {
          context: { ...grant(DR), "kms:GrantIsForAWSResource": false },
          resourcePolicy: drKeyPolicy,
        }),
        "ExplicitlyDenied",
      ],
      [
        "decrypt with the DR key directly",
        req("kms:Decrypt", drKey, { resourcePolicy: drKeyPolicy }),
        "ImplicitlyDenied",
      ],
    ]);
  });

  it("lets retention and the sweep delete managed DR copies only; the DR key stays break-glass's", async () => {
    const drKey = String(one(e, "aws:kms/key:Key", "dr-vault-key").state.arn);
    const drKeyPolicy = String(one(e, "aws:kms/key:Key", "dr-vault-key").inputs.policy);
    const cases: [string, SimulateRequest, Decision][] = [];
    for (const fn of [NAMES.fn.retention, NAMES.fn.failsafeSweep]) {
      const identityPolicies = [{ name: fn, document: policyOf(fn) }];
      cases.push(
        [
          `${fn}: delete a managed DR copy`,
          {
            principal: role(fn),
            action: "rds:DeleteDBSnapshot",
            resource: snapshot(DR, "failsafe-1"),
            identityPolicies,
            context: MANAGED,
          },
          "Allowed",
        ],
        [
          `${fn}: delete an untagged DR snapshot`,
          {
            principal: role(fn),
            action: "rds:DeleteDBSnapshot",
            resource: snapshot(DR, "failsafe-1"),
            identityPolicies,
          },
          "ImplicitlyDenied",
        ],
        [
          `${fn}: delete an unmanaged DR snapshot`,
          {
            principal: role(fn),
            action: "rds:DeleteDBSnapshot",
            resource: snapshot(DR, "backup-1"),
            identityPolicies,
            context: MANAGED,
          },
          "ImplicitlyDenied",
        ],
        [
          `${fn}: list the DR copies`,
          {
            principal: role(fn),
            action: "rds:DescribeDBSnapshots",
            resource: snapshot(DR, "failsafe-1"),
            identityPolicies,
          },
          "Allowed",
        ],
      );
    }
    for (const who of ["admin", "rds-failsafe-deploy"]) {
      cases.push([
        `${who}: schedule deletion of the DR vault key`,
        {
          principal: role(who),
          action: "kms:ScheduleKeyDeletion",
          resource: drKey,
          identityPolicies: [ADMIN_ACCESS],
          resourcePolicy: drKeyPolicy,
        },
        "ExplicitlyDenied",
      ]);
    }
    cases.push([
      "break-glass: schedule deletion of the DR vault key",
      {
        principal: role("break-glass"),
        action: "kms:ScheduleKeyDeletion",
        resource: drKey,
        identityPolicies: [ADMIN_ACCESS],
        resourcePolicy: drKeyPolicy,
      },
      "Allowed",
    ]);
    await decisions(cases);
  });

  it("puts dr-copy among the org guard's writers: an admin may not forge DR copies, dr-copy may", async () => {
    const guarded = evaluateProgram({ ...orgGuardConfig("save"), drRegion: DR });
    const scp = { name: "SCP", document: orgPolicy(guarded, "SERVICE_CONTROL_POLICY").content };
    const write = (principal: string) => ({
      principal,
      action: "rds:CopyDBSnapshot",
      resource: snapshot(DR, "failsafe-1-orders"),
      identityPolicies: [ADMIN_ACCESS],
      scps: [scp],
    });
    await decisions([
      ["an admin writes a DR copy", write(role("admin")), "ExplicitlyDenied"],
      ["dr-copy writes a DR copy", write(role(NAMES.fn.drCopy)), "Allowed"],
      [
        "an admin deletes a DR copy",
        { ...write(role("admin")), action: "rds:DeleteDBSnapshot", context: MANAGED },
        "ExplicitlyDenied",
      ],
      [
        "dr-copy deletes a DR copy",
        { ...write(role(NAMES.fn.drCopy)), action: "rds:DeleteDBSnapshot", context: MANAGED },
        "ExplicitlyDenied",
      ],
    ]);
  });

  it("passes the policy pack with a DR region (save and both)", async () => {
    for (const config of [
      { ...baseConfig("save"), drRegion: DR },
      { ...baseConfig("both"), drRegion: DR },
    ]) {
      assert.deepEqual(
        await runPolicies(policyResources(evaluateProgram(config)), POLICY_CONFIG),
        [],
      );
    }
  });

  describe("drRegion config", () => {
    const problems = (raw: Record<string, string>): string[] => {
      try {
        parseStackConfig(raw);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return [...err.problems];
      }
    };
    // The failsafe account's bootstrap stack takes drRegion too (its boundary and deploy role).
    const bootstrap = (side: "prod" | "failsafe", drRegion: string, region = R) => ({
      sides: `bootstrap-${side}`,
      region,
      prodAccountId: "111111111111",
      failsafeAccountId: F,
      githubRepository: "acme/rds-failsafe",
      drRegion,
    });
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        "the stacks' region",
        { ...baseConfig("save"), drRegion: R },
        /must differ from region eu-west-1/,
      ],
      [
        "another partition",
        { ...baseConfig("save"), drRegion: "us-gov-west-1" },
        /must be in the partition of region eu-west-1 \(aws\), but us-gov-west-1 is in aws-us-gov/,
      ],
      [
        "a China region",
        { ...orgGuardConfig("save", "cn-north-1"), orgGuard: "false", drRegion: "cn-northwest-1" },
        /is not possible in aws-cn: RDS cannot copy snapshots to or from the China regions/,
      ],
      ["not a region", { ...baseConfig("save"), drRegion: "frankfurt" }, /must be an AWS region/],
      ["a copy stack", { ...baseConfig("copy"), drRegion: DR }, /is a save-side setting/],
      ["the prod bootstrap", bootstrap("prod", DR), /is a save-side setting/],
      ["the failsafe bootstrap's own region", bootstrap("failsafe", R), /must differ from region/],
      [
        "the failsafe bootstrap, another partition",
        bootstrap("failsafe", "us-gov-east-1"),
        /must be in the partition of region eu-west-1/,
      ],
      [
        "the failsafe bootstrap, China",
        bootstrap("failsafe", "cn-northwest-1", "cn-north-1"),
        /is not possible in aws-cn/,
      ],
    ];
    for (const [name, raw, expected] of cases) {
      it(`rejects ${name}, naming the key`, () => {
        const found = problems(raw);
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0] ?? "", /^rds-failsafe:drRegion = /);
        assert.match(found[0] ?? "", expected);
      });
    }
    it("accepts another region of the partition, GovCloud included", () => {
      assert.equal(parseStackConfig({ ...baseConfig("save"), drRegion: DR }).drRegion, DR);
      const gov = { ...orgGuardConfig("save", "us-gov-west-1"), orgGuard: "false" };
      assert.equal(
        parseStackConfig({ ...gov, drRegion: "us-gov-east-1" }).drRegion,
        "us-gov-east-1",
      );
      assert.equal(parseStackConfig(bootstrap("failsafe", DR)).drRegion, DR);
    });
  });
});
