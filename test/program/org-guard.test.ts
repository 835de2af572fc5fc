import { strict as assert } from "node:assert";
import { ConfigError, parseStackConfig, type RawConfig } from "../../components/config";
import { ORG_POLICY_MAX_CHARACTERS } from "../../components/org-policies";
import { runPolicies } from "../../policy/run";
import { POLICY_CONFIG } from "../../scripts/policy-report";
import { ATTACHMENT, MANAGEMENT, orgGuardConfig, orgPolicy, POLICY } from "./org-guard-support";
import {
  asArray,
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  policyResources,
  type Evaluation,
} from "./support";

describe("org guard under mocks", function () {
  this.timeout(180_000);

  it("is off by default: no organizations resource, no management provider, no output", () => {
    for (const mode of ["save", "both"] as const) {
      const e = evaluateProgram(baseConfig(mode));
      assert.deepEqual(
        e.resources.filter(
          (r) => r.type.startsWith("aws:organizations") || r.name === "management",
        ),
        [],
      );
      assert.equal(e.outputs.orgGuardPolicyIds, undefined);
    }
  });

  for (const mode of ["save", "both"] as const) {
    describe(`sides=${mode}, orgGuard=true`, () => {
      let e: Evaluation;
      before(() => {
        e = evaluateProgram(orgGuardConfig(mode));
      });

      it("builds one OrgGuard with an SCP and an RCP, each attached to the failsafe account", () => {
        const [guard, ...more] = ofType(e, "rds-failsafe:org:OrgGuard");
        assert.ok(guard);
        assert.equal(more.length, 0);
        const policies = ofType(e, POLICY);
        assert.deepEqual(policies.map((p) => p.inputs.type).sort(), [
          "RESOURCE_CONTROL_POLICY",
          "SERVICE_CONTROL_POLICY",
        ]);
        assert.deepEqual(policies.map((p) => p.inputs.name).sort(), [
          `rds-failsafe-org-guard-${FAILSAFE}`,
          `rds-failsafe-vault-key-guard-${FAILSAFE}`,
        ]);
        const attachments = ofType(e, ATTACHMENT);
        assert.equal(attachments.length, 2);
        for (const a of attachments) {
          assert.equal(a.inputs.targetId, FAILSAFE, `${a.name} targets the failsafe account`);
        }
        assert.deepEqual(
          attachments.map((a) => a.inputs.policyId).sort(),
          policies.map((p) => p.state.id).sort(),
          "each policy is attached once",
        );
        for (const r of [...policies, ...attachments]) {
          assert.equal(r.parentType, "rds-failsafe:org:OrgGuard");
        }
      });

      it("creates them through a third provider pinned to the management account", () => {
        const provider = ofType(e, "pulumi:providers:aws").find((p) => p.name === "management");
        assert.ok(provider, "a provider named management");
        assert.deepEqual(asArray(provider.inputs.allowedAccountIds as string[]), [MANAGEMENT]);
        const roles = provider.inputs.assumeRoles as { roleArn: string }[];
        assert.equal(roles[0]?.roleArn, `arn:aws:iam::${MANAGEMENT}:role/rds-failsafe-org-guard`);
        for (const r of [...ofType(e, POLICY), ...ofType(e, ATTACHMENT)]) {
          assert.equal(r.provider, "management", `${r.urn} is on the management provider`);
        }
        // Nothing else moved: the sides stay on their own providers.
        for (const r of e.resources.filter(
          (x) => x.type.startsWith("aws:") && !x.type.startsWith("aws:organizations"),
        )) {
          assert.notEqual(r.provider, "management", `${r.urn} is not on the management provider`);
        }
      });

      it("exports the policy ids", () => {
        const scp = orgPolicy(e, "SERVICE_CONTROL_POLICY").record;
        const rcp = orgPolicy(e, "RESOURCE_CONTROL_POLICY").record;
        assert.deepEqual(e.outputs.orgGuardPolicyIds, { scp: scp.state.id, rcp: rcp.state.id });
        assert.match(String(scp.state.id), /^p-[0-9a-z]{8,128}$/);
      });

      it("writes valid, whitespace-free documents within AWS's size limit: Deny only, Principal only in the RCP", () => {
        for (const type of ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"] as const) {
          const { content, document } = orgPolicy(e, type);
          assert.ok(
            content.length <= ORG_POLICY_MAX_CHARACTERS,
            `${type}: ${content.length} characters`,
          );
          assert.equal(content, JSON.stringify(JSON.parse(content)), `${type} has no whitespace`);
          assert.ok(document.Statement.length > 0);
          const sids = document.Statement.map((s) => s.Sid);
          assert.equal(new Set(sids).size, sids.length, `${type}: unique Sids`);
          for (const s of document.Statement) {
            assert.equal(s.Effect, "Deny", `${type} ${String(s.Sid)}`);
            if (type === "SERVICE_CONTROL_POLICY") {
              assert.equal(s.Principal, undefined, "an SCP has no Principal");
            } else {
              assert.equal(s.Principal, "*", "an RCP statement's Principal is *");
            }
          }
        }
      });

      it("leaves the policy pack with zero violations", async () => {
        assert.deepEqual(await runPolicies(policyResources(e), POLICY_CONFIG), []);
      });
    });
  }

  for (const [region, partition] of [
    ["cn-north-1", "aws-cn"],
    ["us-gov-west-1", "aws-us-gov"],
  ] as const) {
    it(`${region}: every ARN in both documents is of partition ${partition}`, () => {
      const e = evaluateProgram(orgGuardConfig("save", region));
      for (const type of ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"] as const) {
        const { content } = orgPolicy(e, type);
        const arns = content.match(/arn:[^:"]*:/g) ?? [];
        assert.ok(arns.length > 0 || type === "RESOURCE_CONTROL_POLICY");
        assert.deepEqual([...new Set(arns)], arns.length ? [`arn:${partition}:`] : []);
        assert.ok(content.length <= ORG_POLICY_MAX_CHARACTERS);
      }
    });
  }

  it("fails the program with the config error when the guard is misconfigured", () => {
    assert.throws(
      () =>
        evaluateProgram({
          ...orgGuardConfig("save"),
          managementAccountId: FAILSAFE,
          managementRoleArn: `arn:aws:iam::${FAILSAFE}:role/x`,
        }),
      /rds-failsafe:managementAccountId = "222222222222" must differ from failsafeAccountId: SCPs and RCPs never apply to the management account/,
    );
  });
});

describe("org guard config", () => {
  const problems = (raw: RawConfig): string[] => {
    try {
      parseStackConfig(raw);
      return [];
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return [...err.problems];
    }
  };
  const on = orgGuardConfig("save");

  it("defaults to off and needs nothing then; parses the three keys when on", () => {
    const off = parseStackConfig(baseConfig("save"));
    assert.equal(off.orgGuard, false);
    assert.equal(off.managementAccountId, undefined);
    assert.equal(parseStackConfig({ ...baseConfig("copy"), orgGuard: "false" }).orgGuard, false);
    const config = parseStackConfig(on);
    assert.equal(config.orgGuard, true);
    assert.equal(config.managementAccountId, MANAGEMENT);
    assert.equal(config.managementRoleArn, on.managementRoleArn);
    assert.equal(parseStackConfig(orgGuardConfig("both")).orgGuard, true);
  });

  const cases: { name: string; raw: RawConfig; message: RegExp }[] = [
    {
      name: "not a boolean",
      raw: { ...on, orgGuard: "yes" },
      message:
        /^rds-failsafe:orgGuard = "yes" must be true or false\. Fix: pulumi config set rds-failsafe:orgGuard true$/,
    },
    {
      name: "on a copy-only stack",
      raw: {
        ...baseConfig("copy"),
        orgGuard: "true",
        managementAccountId: MANAGEMENT,
        managementRoleArn: on.managementRoleArn,
      },
      message:
        /^rds-failsafe:orgGuard = "true" needs sides=save or both \(it guards the save side\), not copy/,
    },
    {
      name: "without managementAccountId",
      raw: { ...on, managementAccountId: undefined },
      message:
        /^rds-failsafe:managementAccountId = \(not set\) must be the 12-digit id of the organization's management \(or delegated administrator\) account when orgGuard is true/,
    },
    {
      name: "a short managementAccountId",
      raw: { ...on, managementAccountId: "3333" },
      message: /^rds-failsafe:managementAccountId = "3333" must be the 12-digit id/,
    },
    {
      name: "the failsafe account as management account",
      raw: {
        ...on,
        managementAccountId: FAILSAFE,
        managementRoleArn: `arn:aws:iam::${FAILSAFE}:role/x`,
      },
      message:
        /^rds-failsafe:managementAccountId = "222222222222" must differ from failsafeAccountId/,
    },
    {
      name: "without managementRoleArn",
      raw: { ...on, managementRoleArn: undefined },
      message:
        /^rds-failsafe:managementRoleArn = \(not set\) is required when orgGuard is true\. Fix: pulumi config set rds-failsafe:managementRoleArn arn:aws:iam::333333333333:role\/rds-failsafe-org-guard$/,
    },
    {
      name: "a managementRoleArn that is not a role",
      raw: { ...on, managementRoleArn: `arn:aws:iam::${MANAGEMENT}:user/bob` },
      message: /^rds-failsafe:managementRoleArn = .* must be an IAM role ARN/,
    },
    {
      name: "a managementRoleArn in another account",
      raw: { ...on, managementRoleArn: `arn:aws:iam::${FAILSAFE}:role/org` },
      message:
        /^rds-failsafe:managementRoleArn = .* is in account 222222222222, but must be in 333333333333/,
    },
    {
      name: "principal ARNs so long the SCP would exceed 5,120 characters",
      raw: {
        ...on,
        breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/${"very-long-path/".repeat(12)}break-glass`,
        failsafeRoleArn: `arn:aws:iam::${FAILSAFE}:role/${"very-long-path/".repeat(12)}deploy`,
      },
      message:
        /^rds-failsafe:breakGlassPrincipalArn = .* and failsafeRoleArn make the org guard's SCP \d{4} characters, over AWS's 5120/,
    },
  ];
  for (const { name, raw, message } of cases) {
    it(`rejects ${name}`, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => message.test(p)),
        `expected ${String(message)} in:\n${found.join("\n")}`,
      );
    });
  }

  it("keeps the keys unvalidated while the guard is off", () => {
    assert.deepEqual(problems({ ...baseConfig("save"), managementAccountId: "3333" }), []);
  });
});
