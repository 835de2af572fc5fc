import { strict as assert } from "node:assert";
import { runPolicies, type MockResource } from "../../policy/run";
import { POLICY_CONFIG } from "../../scripts/policy-report";
import { baseConfig, evaluateProgram, policyResources } from "../program/support";
import { nameOf, NEEDS_COMPONENT_CHANGES, typeOf } from "./pending";

/**
 * The pack over the whole program (what `npm run policy` prints): the program as shipped passes in
 * every stack mode, and each kind of weakening is caught on the real resource set.
 */
describe("policy pack over the whole program", function () {
  this.timeout(180_000);

  const pending = NEEDS_COMPONENT_CHANGES;
  const isPending = (v: { policy: string; resource: string }) =>
    pending.violations.some((p) => p.policy === v.policy && p.resource === nameOf(v.resource));

  for (const mode of ["save", "copy", "both"] as const) {
    it(`${mode}: zero violations (but those waiting for the component changes)`, async () => {
      const resources = policyResources(evaluateProgram(baseConfig(mode)));
      const violations = await runPolicies(resources, POLICY_CONFIG);
      assert.deepEqual(
        violations.filter((v) => !isPending(v)),
        [],
      );
      // An entry the program no longer needs must go, so the check above tightens by itself.
      for (const p of pending.violations) {
        if (!resources.some((r) => nameOf(r.urn) === p.resource)) continue;
        assert.ok(
          violations.some((v) => v.policy === p.policy && nameOf(v.resource) === p.resource),
          `${p.policy} no longer reports "${p.resource}": remove it from NEEDS_COMPONENT_CHANGES.violations`,
        );
      }
    });

    it(`${mode}: in a preview, no policy is left unable to run and only the documents waiting for the component changes are unknown`, async () => {
      const resources = policyResources(evaluateProgram(baseConfig(mode), {}, { preview: true }));
      const violations = await runPolicies(resources, POLICY_CONFIG);
      assert.deepEqual(
        violations.filter((v) => v.cantRun),
        [],
      );
      const unknown = violations
        .filter((v) => v.policy === "policy-documents-known-at-preview")
        .map((v) => `${typeOf(v.resource)} ${nameOf(v.resource)}`);
      const expected = pending.unknownAtPreview
        .filter((d) => resources.some((r) => r.type === d.type && r.name === d.name))
        .map((d) => `${d.type} ${d.name}`);
      assert.deepEqual(
        unknown.sort(),
        expected.sort(),
        "documents unknown at preview differ from NEEDS_COMPONENT_CHANGES.unknownAtPreview (remove what is now known)",
      );
      assert.deepEqual(
        violations.filter((v) => !isPending(v) && v.policy !== "policy-documents-known-at-preview"),
        [],
      );
    });
  }

  /** The violations a change adds to those of the program as it is. */
  const mutate = async (
    change: (resources: MockResource[]) => void,
  ): Promise<{ policy: string; message: string }[]> => {
    const original = policyResources(evaluateProgram(baseConfig("both")));
    const key = (v: { policy: string; resource: string; message: string }) =>
      `${v.policy} ${v.resource} ${v.message}`;
    const before = new Set((await runPolicies(original, POLICY_CONFIG)).map(key));
    const resources = structuredClone(original);
    change(resources);
    return (await runPolicies(resources, POLICY_CONFIG))
      .filter((v) => !before.has(key(v)))
      .map(({ policy, message }) => ({ policy, message }));
  };
  const find = (resources: MockResource[], type: string, name: string) => {
    const r = resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `${type} ${name}`);
    return r as {
      props: Record<string, unknown>;
      provider?: { props: Record<string, unknown> };
    } & MockResource;
  };

  const cases: { name: string; change: (r: MockResource[]) => void; policy: string }[] = [
    {
      name: "a wildcard action in a function's policy",
      change: (r) => {
        const p = find(r, "aws:iam/rolePolicy:RolePolicy", "copy");
        const doc = JSON.parse(String(p.props.policy)) as { Statement: { Action: unknown }[] };
        doc.Statement[0]!.Action = "logs:*";
        p.props.policy = JSON.stringify(doc);
      },
      policy: "iam-no-wildcard-actions",
    },
    {
      name: "a function on an unsupported runtime",
      change: (r) =>
        void (find(r, "aws:lambda/function:Function", "save").props.runtime = "nodejs18.x"),
      policy: "lambda-supported-runtime",
    },
    {
      name: "a key without rotation",
      change: (r) => void (find(r, "aws:kms/key:Key", "vault").props.enableKeyRotation = false),
      policy: "kms-key-rotation-enabled",
    },
    {
      name: "a save-side queue on the prod account's provider",
      change: (r) => {
        const prodProvider = find(r, "aws:sqs/queue:Queue", "copy").provider;
        (find(r, "aws:sqs/queue:Queue", "save") as { provider?: unknown }).provider = prodProvider;
      },
      policy: "stack-resources-in-their-account",
    },
    {
      name: "a queue feeding a function without a DLQ",
      change: (r) => void delete find(r, "aws:sqs/queue:Queue", "share").props.redrivePolicy,
      policy: "sqs-lambda-source-has-dlq",
    },
    {
      name: "an unencrypted topic",
      change: (r) => void delete find(r, "aws:sns/topic:Topic", "handoff").props.kmsMasterKeyId,
      policy: "sns-topic-encrypted",
    },
    {
      name: "a provider without the required default tags",
      change: (r) => {
        for (const x of r) {
          if (x.provider?.name === "failsafe") {
            delete x.provider.props.defaultTags;
          }
        }
      },
      policy: "required-tags",
    },
    {
      name: "two functions sharing one role",
      change: (r) => {
        // The value and the dependency Pulumi records for it change together.
        const copy = find(r, "aws:lambda/function:Function", "copy");
        const share = find(r, "aws:lambda/function:Function", "share") as {
          props: Record<string, unknown>;
          propertyDependencies?: Record<string, readonly string[]>;
        };
        share.props.role = copy.props.role;
        share.propertyDependencies = {
          ...share.propertyDependencies,
          role: copy.propertyDependencies?.role ?? [],
        };
      },
      policy: "lambda-role-per-function",
    },
  ];
  for (const c of cases) {
    it(`catches ${c.name}`, async () => {
      const violations = await mutate(c.change);
      assert.ok(violations.length > 0, "no violation reported");
      assert.deepEqual(
        [...new Set(violations.map((v) => v.policy))],
        [c.policy],
        JSON.stringify(violations, null, 1),
      );
    });
  }
});
