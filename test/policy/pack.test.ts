// The pack is assembled from every policy every module exports — proven without importing
// the pack entry, index.ts (constructing the PolicyPack starts its gRPC server and never returns).
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { allPolicies, defaultPolicyConfig } from "../../policy/policies";

const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

function isPolicyShaped(value: unknown): value is { name: string } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v["name"] === "string" &&
    typeof v["description"] === "string" &&
    ("validateResource" in v || "validateStack" in v)
  );
}

/** Every module of the pack except index.ts, which must not be loaded here. */
function policyModules(): { file: string; exports: Record<string, unknown> }[] {
  return readdirSync(POLICY_DIR)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && f !== "index.ts")
    .map((file) => ({
      file,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      exports: require(path.join(POLICY_DIR, file)) as Record<string, unknown>,
    }));
}

describe("policy pack", () => {
  it("contains every policy exported by every policy module, and nothing else", () => {
    const exported = new Set<unknown>();
    for (const { file, exports } of policyModules()) {
      for (const [key, value] of Object.entries(exports)) {
        if (key === "allPolicies" || !isPolicyShaped(value)) continue;
        exported.add(value);
        assert.ok(
          allPolicies.includes(value as never),
          `${file}: ${key} is missing from allPolicies`,
        );
      }
    }
    for (const policy of allPolicies) {
      assert.ok(exported.has(policy), `${policy.name} is in allPolicies but exported by no module`);
    }
    assert.equal(exported.size, allPolicies.length);
  });

  it("has unique kebab-case names and follows the style guide", () => {
    const names = allPolicies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length, "policy names must be unique");
    for (const policy of allPolicies) {
      assert.match(policy.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, policy.name);
      assert.notEqual(policy.name, "all"); // reserved by the policy server
      assert.match(policy.description, /^Checks whether /, policy.name);
      assert.equal(policy.enforcementLevel, "mandatory", policy.name);
      assert.ok(!policy.configSchema?.properties["enforcementLevel"], policy.name);
    }
  });

  it("the pack entry (index.ts) builds the one PolicyPack from allPolicies and the default config", () => {
    const index = readFileSync(path.join(POLICY_DIR, "index.ts"), "utf8");
    assert.match(index, /new PolicyPack\(\s*PACK_NAME,[\s\S]*policies: \[\.\.\.allPolicies\]/);
    assert.match(index, /defaultPolicyConfig\(\)/);
    for (const { file } of policyModules()) {
      const source = readFileSync(path.join(POLICY_DIR, file), "utf8");
      assert.doesNotMatch(source, /new PolicyPack\(/, `${file} must not build a PolicyPack`);
    }
  });

  it("its default config carries every policy's level and schema defaults", () => {
    const config = defaultPolicyConfig();
    assert.deepEqual(Object.keys(config).sort(), allPolicies.map((p) => p.name).sort());
    assert.deepEqual(config["kms-key-deletion-window"], {
      enforcementLevel: "mandatory",
      minimumDeletionWindowInDays: 30,
    });
    assert.deepEqual(config["required-tags"], {
      enforcementLevel: "mandatory",
      requiredTags: ["Application", "ManagedBy", "Stack"],
    });
  });

  it("is a policy pack directory the Pulumi CLI can run", () => {
    const yaml = readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8");
    assert.match(yaml, /^runtime: nodejs$/m);
    assert.match(yaml, /^description: \S/m);
    const pkg = JSON.parse(readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as {
      name: string;
      version: string;
      dependencies: Record<string, string>;
    };
    const root = JSON.parse(readFileSync(path.join(POLICY_DIR, "..", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.name, "rds-failsafe-policy");
    assert.ok(pkg.version, "PolicyPack requires a version in package.json");
    assert.equal(pkg.dependencies["@pulumi/policy"], "1.21.0");
    assert.equal(pkg.dependencies["@pulumi/pulumi"], root.dependencies["@pulumi/pulumi"]);
    assert.equal(pkg.dependencies["@pulumi/aws"], root.dependencies["@pulumi/aws"]);
  });
});
