import { strict as assert } from "node:assert";
import { ConfigError, parseStackConfig } from "../../components/config";
import { NAMES } from "../../components/names";
import { SETTINGS_ENV } from "../../handlers/settings";
import { runPolicies } from "../../policy/run";
import { POLICY_CONFIG } from "../../scripts/policy-report";
import { expectDecision, type Decision, type SimulateRequest } from "../support/iam-sim";
import {
  asArray,
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  policyResources,
  statementsOf,
  type Evaluation,
} from "./support";

const R = "eu-west-1";
const F = FAILSAFE;
const [A, B, C, D] = ["111111111111", "333333333333", "444444444444", "555555555555"] as const;
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const root = (account: string) => `arn:aws:iam::${account}:root`;
const publishers = (accounts: readonly string[]) =>
  accounts.flatMap((a) => [role(a, NAMES.fn.share), role(a, NAMES.fn.prodSweep)]);
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";

/** A save stack serving `accounts` (prodAccountIds), as Pulumi hands the list to the program. */
const saveStack = (accounts: readonly string[]) => {
  const { prodAccountId: _omit, ...config } = baseConfig("save");
  void _omit;
  return { ...config, prodAccountIds: JSON.stringify(accounts) };
};
/** The copy stack of one prod account. */
const copyStack = (account: string) => ({
  ...baseConfig("copy"),
  prodAccountId: account,
  prodRoleArn: role(account, "rds-failsafe-deploy"),
});

async function decisions(cases: [string, SimulateRequest, Decision][]): Promise<void> {
  const failures: string[] = [];
  for (const [name, request, expected] of cases) {
    await expectDecision(request, expected, name).catch((err: Error) => failures.push(err.message));
  }
  assert.deepEqual(failures, [], failures.join("\n\n"));
}

/** Every string in a resource's inputs (documents parsed), for "names exactly these accounts". */
function accountsNamedIn(e: Evaluation): Set<string> {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      // An account id on its own (settings, lists) or in an ARN (`:<account>:`).
      if (/^\d{12}$/.test(v)) found.add(v);
      for (const m of v.matchAll(/(?<=[:"])\d{12}(?=[:"])/g)) found.add(m[0]);
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v && typeof v === "object") {
      Object.values(v).forEach(visit);
    }
  };
  for (const r of e.resources) visit(r.inputs);
  return found;
}

/**
 * One failsafe account for two and three prod accounts (the organization issue): the hand-off
 * topic policy, the messaging key policy and the save side's role policies and settings accept
 * exactly the listed accounts; adding or removing one changes documents and settings only, never
 * the resources; and the IAM policy engine lets exactly the listed accounts' share roles in.
 */
describe("many prod accounts (mocks)", function () {
  this.timeout(240_000);
  const runs = new Map<string, Evaluation>();
  const run = (accounts: readonly string[]) => {
    const key = accounts.join(",");
    let e = runs.get(key);
    if (!e) {
      e = evaluateProgram(saveStack(accounts));
      runs.set(key, e);
    }
    return e;
  };

  for (const accounts of [
    [A, B],
    [A, B, C],
  ] as const) {
    describe(`${accounts.length} prod accounts`, () => {
      it("lets exactly their share and prod-sweep roles publish hand-offs (topic policy)", () => {
        const [policy] = ofType(run(accounts), "aws:sns/topicPolicy:TopicPolicy");
        const [statement, ...more] = statementsOf(policy?.inputs.policy);
        assert.equal(more.length, 0);
        assert.deepEqual(statement?.Principal, { AWS: accounts.map(root) });
        assert.deepEqual(statement?.Condition, {
          ArnEquals: { "aws:PrincipalArn": publishers(accounts) },
        });
        assert.equal(statement?.Resource, `arn:aws:sns:${R}:${F}:${NAMES.handoffTopic}`);
      });

      it("lets exactly those roles use the messaging key, through SNS only", () => {
        const key = ofType(run(accounts), "aws:kms/key:Key").find(
          (k) => k.name === "messaging-key",
        );
        const prod = statementsOf(key?.inputs.policy).filter(
          (s) => s.Sid === "ProdRolesPublishHandoffsThroughSns",
        );
        assert.equal(prod.length, 1);
        assert.deepEqual(prod[0]?.Principal, { AWS: accounts.map(root) });
        assert.deepEqual(prod[0]?.Condition, {
          StringEquals: { "kms:ViaService": `sns.${R}.amazonaws.com` },
          ArnEquals: { "aws:PrincipalArn": publishers(accounts) },
        });
      });

      it("narrows every prod-account resource of the save side to exactly those accounts", () => {
        const policies = ofType(run(accounts), "aws:iam/rolePolicy:RolePolicy");
        const narrowed: string[] = [];
        for (const p of policies) {
          for (const s of statementsOf(p.inputs.policy)) {
            for (const resource of asArray(s.Resource as string | string[])) {
              // "*": actions without a resource type (rds:DescribeAccountAttributes).
              const account = resource === "*" ? "" : resource.split(":")[4];
              if (account === F || account === "") continue;
              assert.equal(account, "*", `${p.name}: ${resource}`);
              const condition = s.Condition as Record<string, Record<string, unknown>>;
              assert.deepEqual(
                condition.StringEquals?.["aws:ResourceAccount"],
                [...accounts],
                `${p.name} ${String(s.Sid)}`,
              );
              narrowed.push(`${p.name}/${String(s.Sid)}`);
            }
          }
        }
        assert.deepEqual([...new Set(narrowed)].sort(), [
          "failsafe-sweep/CopySharedToVault",
          "failsafe-sweep/DescribeProdTransitKeysThroughRdsForCopies",
          "failsafe-sweep/DescribeSharedSnapshots",
          "failsafe-sweep/UseProdTransitKeysThroughRdsForCopies",
          "save/CopySharedToVault",
          "save/DescribeProdTransitKeysThroughRdsForCopies",
          "save/DescribeSharedSnapshots",
          "save/UseProdTransitKeysThroughRdsForCopies",
        ]);
      });

      it("tells every save-side function exactly those accounts, and names no other", () => {
        for (const f of ofType(run(accounts), "aws:lambda/function:Function")) {
          const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
          const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as { prodAccountIds?: string[] };
          assert.deepEqual(settings.prodAccountIds, [...accounts], String(f.inputs.name));
        }
        assert.deepEqual([...accountsNamedIn(run(accounts))].sort(), [...accounts, F].sort());
      });

      it("passes the policy pack, told these prod accounts", async () => {
        // Every policy that takes the prod accounts gets this stack's list.
        const config = Object.fromEntries(
          Object.entries(POLICY_CONFIG).map(([name, value]) => [
            name,
            value && typeof value === "object" && "prodAccountIds" in value
              ? { ...value, prodAccountIds: [...accounts] }
              : value,
          ]),
        );
        assert.deepEqual(await runPolicies(policyResources(run(accounts)), config), []);
        // Told only the first account, the pack sees the others as foreign.
        const narrow = await runPolicies(policyResources(run(accounts)), POLICY_CONFIG);
        assert.ok(narrow.some((v) => v.policy === "sns-handoff-topic-publishers"));
      });
    });
  }

  it("adds or removes a prod account with one config change: documents and settings, no resource", () => {
    const two = run([A, B]);
    const three = run([A, B, C]);
    const names = (e: Evaluation) => e.resources.map((r) => `${r.type}::${r.name}`).sort();
    assert.deepEqual(names(three), names(two), "the same resources");
    const changed = three.resources
      .filter((r) => {
        const other = two.resources.find((x) => x.type === r.type && x.name === r.name);
        return JSON.stringify(other?.inputs) !== JSON.stringify(r.inputs);
      })
      .map((r) => `${r.type}::${r.name}`)
      .sort();
    assert.deepEqual(changed, [
      "aws:iam/rolePolicy:RolePolicy::failsafe-sweep",
      "aws:iam/rolePolicy:RolePolicy::save",
      "aws:kms/key:Key::messaging-key",
      // the restore drills share the save side's settings (one bundle), prod accounts included
      "aws:lambda/function:Function::drill",
      "aws:lambda/function:Function::drill-verify",
      "aws:lambda/function:Function::failsafe-sweep",
      "aws:lambda/function:Function::retention",
      "aws:lambda/function:Function::save",
      "aws:sns/topicPolicy:TopicPolicy::handoff",
    ]);
  });

  it("is judged by the IAM engine: listed accounts' share roles in, anyone else out", async () => {
    const three = run([A, B, C]);
    const topicPolicy = String(ofType(three, "aws:sns/topicPolicy:TopicPolicy")[0]?.inputs.policy);
    const keyPolicy = String(
      ofType(three, "aws:kms/key:Key").find((k) => k.name === "messaging-key")?.inputs.policy,
    );
    const saveRole = String(
      ofType(three, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "save")?.inputs.policy,
    );
    // Each prod account's share role, from its own copy stack.
    const shareRole = (account: string) => {
      const copy = evaluateProgram(copyStack(account));
      return String(
        ofType(copy, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === "share")?.inputs
          .policy,
      );
    };
    const transitKeyPolicy = (account: string) =>
      String(
        ofType(evaluateProgram(copyStack(account)), "aws:kms/key:Key").find(
          (k) => k.name === "transit",
        )?.inputs.policy,
      );
    const topic = `arn:aws:sns:${R}:${F}:${NAMES.handoffTopic}`;
    const messagingKey = `arn:aws:kms:${R}:${F}:key/${KEY_ID}`;
    const publish = (account: string, name: string, identity: string): SimulateRequest => ({
      principal: role(account, name),
      action: "sns:Publish",
      resource: topic,
      identityPolicies: [{ name: `${name} of ${account}`, document: identity }],
      resourcePolicy: { name: "hand-off topic policy", document: topicPolicy },
    });
    const dataKey = (account: string, identity: string): SimulateRequest => ({
      principal: role(account, NAMES.fn.share),
      action: "kms:GenerateDataKey",
      resource: messagingKey,
      identityPolicies: [{ name: `share of ${account}`, document: identity }],
      resourcePolicy: { name: "messaging key policy", document: keyPolicy },
      context: { "kms:ViaService": `sns.${R}.amazonaws.com` },
    });
    const grant = (account: string, keyPolicyOf: string): SimulateRequest => ({
      principal: role(F, NAMES.fn.save),
      action: "kms:CreateGrant",
      resource: `arn:aws:kms:${R}:${account}:key/${KEY_ID}`,
      identityPolicies: [{ name: "save", document: saveRole }],
      resourcePolicy: { name: `transit key of ${account}`, document: keyPolicyOf },
      context: { "kms:ViaService": `rds.${R}.amazonaws.com`, "kms:GrantIsForAWSResource": true },
    });
    const everything = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    });
    const cases: [string, SimulateRequest, Decision][] = [];
    for (const account of [A, B, C]) {
      const share = shareRole(account);
      cases.push(
        [`${account}'s share role publishes`, publish(account, NAMES.fn.share, share), "Allowed"],
        [`${account}'s share role encrypts through SNS`, dataKey(account, share), "Allowed"],
        [
          `an admin of ${account} publishes`,
          publish(account, "admin", everything),
          "ImplicitlyDenied",
        ],
        [
          `the save role grants on ${account}'s transit key through RDS`,
          grant(account, transitKeyPolicy(account)),
          "Allowed",
        ],
      );
    }
    // D runs a copy stack of its own but is not listed on the failsafe stack.
    const shareOfD = shareRole(D);
    cases.push(
      [
        "an unlisted account's share role publishes",
        publish(D, NAMES.fn.share, shareOfD),
        "ImplicitlyDenied",
      ],
      ["it encrypts with the messaging key", dataKey(D, shareOfD), "ImplicitlyDenied"],
      [
        "the save role grants on its transit key, although that key's policy lets F in",
        grant(D, transitKeyPolicy(D)),
        "ImplicitlyDenied",
      ],
    );
    await decisions(cases);
  });

  describe("prodAccountIds config", () => {
    const problems = (raw: Record<string, string>): string[] => {
      try {
        parseStackConfig(raw);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return [...err.problems];
      }
    };
    it("takes a YAML list or a comma-separated list, with prodAccountId added once", () => {
      assert.deepEqual(parseStackConfig(saveStack([A, B, C])).prodAccountIds, [A, B, C]);
      assert.deepEqual(
        parseStackConfig({ ...saveStack([]), prodAccountIds: `${B}, ${C}`, prodAccountId: B })
          .prodAccountIds,
        [B, C],
      );
    });
    it("rejects the failsafe account among them", () => {
      assert.match(
        problems(saveStack([A, F])).join("\n"),
        /rds-failsafe:failsafeAccountId = "222222222222" must differ from every prod account/,
      );
    });
    it("rejects more prod accounts than the role policy can hold, naming the limit", () => {
      const many = Array.from({ length: 160 }, (_, i) => String(600000000000 + i));
      const found = problems(saveStack(many));
      assert.equal(found.length, 1, found.join("\n"));
      assert.match(
        found[0] ?? "",
        /^rds-failsafe:prodAccountIds = .* make the failsafe sweep's role policy \d+ characters, over IAM's 10240 for a role's inline policies \(160 prod accounts\)/,
      );
      assert.deepEqual(problems(saveStack(many.slice(0, 100))), []);
      assert.match(
        problems({ ...saveStack(many.slice(0, 110)), drRegion: "eu-central-1" }).join("\n"),
        /\(110 prod accounts and a DR region\)/,
      );
    });
  });
});
