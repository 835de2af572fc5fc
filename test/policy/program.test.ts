import { strict as assert } from "node:assert";
import { runPolicies, type MockResource } from "../../policy/run";
import { POLICY_CONFIG } from "../../scripts/policy-report";
import { baseConfig, evaluateProgram, policyResources } from "../program/support";

/**
 * The pack over the whole program (what `npm run policy` prints): the program as shipped passes in
 * every stack mode, and each kind of weakening is caught on the real resource set.
 */
describe("policy pack over the whole program", function () {
  this.timeout(180_000);

  for (const mode of ["save", "copy", "both"] as const) {
    it(`${mode}: zero violations`, async () => {
      const violations = await runPolicies(
        policyResources(evaluateProgram(baseConfig(mode))),
        POLICY_CONFIG,
      );
      assert.deepEqual(violations, []);
    });
  }

  const mutate = (
    change: (resources: MockResource[]) => void,
  ): Promise<{ policy: string; message: string }[]> => {
    const resources = structuredClone(policyResources(evaluateProgram(baseConfig("both"))));
    change(resources);
    return runPolicies(resources, POLICY_CONFIG).then((v) =>
      v.map(({ policy, message }) => ({ policy, message })),
    );
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
