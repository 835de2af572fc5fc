// The mutation suite (issue 10): every threat-model weakening, applied to the real program's
// recorded resources and to the target-shaped fixture, makes the pack report a new mandatory
// violation that names the weakened resource and the policy that guards it, and makes
// `npm run policy` fail.
import { strict as assert } from "node:assert";
import { type MockResource, runPolicies, type RunConfig, type Violation } from "../../policy/run";
import { exitCode, POLICY_CONFIG, reportMode } from "../../scripts/policy-report";
import { baseConfig, evaluateProgram, policyResources } from "../program/support";
import { MUTATIONS, type Mutation, TargetNotFound } from "./mutations";
import { NEEDS_COMPONENT_CHANGES } from "./pending";
import { TARGET_CONFIG, targetProgram } from "./target";

const key = (v: Violation) => `${v.policy} ${v.resource} ${v.message}`;

interface Subject {
  readonly deployed: MockResource[];
  readonly preview: MockResource[];
  readonly config: RunConfig;
}

/** The violations a mutation adds, on a copy of the subject's resources. */
async function newViolations(subject: Subject, mutation: Mutation) {
  const base = mutation.view === "preview" ? subject.preview : subject.deployed;
  const before = new Set((await runPolicies(base, subject.config)).map(key));
  const resources = structuredClone(base);
  const target = mutation.apply(resources);
  const after = await runPolicies(resources, subject.config);
  return { target, resources, added: after.filter((v) => !before.has(key(v))) };
}

async function assertCaught(subject: Subject, mutation: Mutation): Promise<MockResource[]> {
  const { target, resources, added } = await newViolations(subject, mutation);
  for (const policy of mutation.policies) {
    assert.ok(
      added.some(
        (v) => v.policy === policy && v.level === "mandatory" && v.resource === target.urn,
      ),
      `${policy} reported no new mandatory violation for ${target.urn}; new violations:\n${JSON.stringify(added, null, 1)}`,
    );
  }
  return resources;
}

describe("mutation suite: every weakening of the threat model fails the pack", function () {
  this.timeout(180_000);

  const pending = new Map(NEEDS_COMPONENT_CHANGES.mutations.map((m) => [m.name, m.why]));
  let program: Subject;
  before(() => {
    program = {
      deployed: policyResources(evaluateProgram(baseConfig("both"))),
      preview: policyResources(evaluateProgram(baseConfig("both"), {}, { preview: true })),
      config: POLICY_CONFIG,
    };
  });
  const target: Subject = {
    deployed: targetProgram(),
    preview: targetProgram(),
    config: TARGET_CONFIG,
  };

  it("every new policy is guarded by at least one mutation", () => {
    const guarded = new Set(MUTATIONS.flatMap((m) => m.policies));
    for (const policy of [
      "kms-key-policy-no-wildcards",
      "kms-key-cross-account-through-rds",
      "kms-vault-key-protected",
      "sns-sqs-policy-principals-narrowed",
      "sns-sqs-policy-actions-limited",
      "sns-handoff-topic-publishers",
      "iam-no-kms-administration",
      "iam-kms-use-through-services",
      "iam-kms-grants-for-aws-resources",
      "rds-snapshot-writes-managed",
      "policy-documents-known-at-preview",
    ]) {
      assert.ok(guarded.has(policy), policy);
    }
  });

  describe("on the target-shaped documents (DOCS-TARGET.md)", () => {
    for (const mutation of MUTATIONS) {
      it(`catches ${mutation.name}`, () => assertCaught(target, mutation).then(() => undefined));
    }
  });

  describe('on the real program (stack mode "both")', () => {
    for (const mutation of MUTATIONS) {
      const why = pending.get(mutation.name);
      if (why !== undefined) {
        it.skip(`catches ${mutation.name} (waits for the component changes: ${why})`);
        continue;
      }
      it(`catches ${mutation.name}, and npm run policy fails`, async () => {
        const mutated = await assertCaught(program, mutation);
        const report = await reportMode(
          "both",
          mutation.view === "preview" ? program.deployed : mutated,
          mutation.view === "preview" ? mutated : program.preview,
          program.config,
        );
        assert.equal(exitCode([report], { allowUnevaluated: mutation.view !== "preview" }), 1);
      });
    }

    it("NEEDS_COMPONENT_CHANGES lists only mutations today's program cannot take yet", async () => {
      for (const [name] of pending) {
        const mutation = MUTATIONS.find((m) => m.name === name);
        assert.ok(mutation, `NEEDS_COMPONENT_CHANGES names an unknown mutation: ${name}`);
        let caught = true;
        try {
          const { target: t, added } = await newViolations(program, mutation);
          caught = mutation.policies.every((p) =>
            added.some((v) => v.policy === p && v.resource === t.urn),
          );
        } catch (e) {
          if (!(e instanceof TargetNotFound)) throw e;
          caught = false;
        }
        assert.equal(
          caught,
          false,
          `the program now takes "${name}": remove it from NEEDS_COMPONENT_CHANGES.mutations`,
        );
      }
    });
  });
});
