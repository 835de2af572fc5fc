import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { managedSnapshotReadyPattern } from "../../components/patterns";
import { failsafeCopyId } from "../../handlers/naming";
import { dnsSuffixOf, partitionOf, servicePrincipal } from "../../handlers/partition";
import { parseFailsafeSettings, parseProdSettings, SETTINGS_ENV } from "../../handlers/settings";
import { orgGuardConfig } from "./org-guard-support";
import { evaluateProgram, FAILSAFE, ofType, PROD, type Evaluation } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");

/** Every string anywhere in a resource's inputs, JSON documents parsed, with the key above it. */
function strings(value: unknown, key = "", out: { key: string; value: string }[] = []) {
  if (typeof value === "string") {
    if (/^\s*[[{]/.test(value)) {
      try {
        return strings(JSON.parse(value) as unknown, key, out);
      } catch {
        // not JSON after all
      }
    }
    out.push({ key, value });
  } else if (Array.isArray(value)) {
    for (const v of value) strings(v, key, out);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) strings(v, k, out);
  }
  return out;
}

/** EventBridge matching as moto implements it (see test/program/patterns.test.ts). */
function matches(pattern: object, event: object): boolean {
  const script = [
    "import json, sys",
    "from moto.events.models import EventPattern",
    "c = json.load(sys.stdin)",
    "print(json.dumps(EventPattern.load(json.dumps(c['pattern'])).matches_event(c['event'])))",
  ].join("\n");
  const run = spawnSync(path.join(ROOT, ".venv-emulator", "bin", "python"), ["-c", script], {
    input: JSON.stringify({ pattern, event }),
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as boolean;
}

/** AWS's sample "RDS DB snapshot event" (RDS User Guide), in `region`'s partition. */
function sampleEvent(region: string, account: string, id: string, eventId = "RDS-EVENT-0197") {
  const arn = `arn:${partitionOf(region)}:rds:${region}:${account}:snapshot:${id}`;
  return {
    version: "0",
    id: "844e2571-85d4-695f-b930-0153b71dcb42",
    "detail-type": "RDS DB Snapshot Event",
    source: "aws.rds",
    account,
    time: "2018-10-06T12:26:13Z",
    region,
    resources: [arn],
    detail: {
      EventCategories: ["creation"],
      SourceType: "SNAPSHOT",
      SourceArn: arn,
      Date: "2018-10-06T12:26:13.882Z",
      SourceIdentifier: `rds:${id}`,
      Message: "Finished copy of snapshot",
      EventID: eventId,
    },
  };
}

const REGIONS = [
  // China: no DR region (RDS copies no snapshots to or from the China regions).
  { region: "cn-north-1", drRegion: undefined },
  { region: "us-gov-west-1", drRegion: "us-gov-east-1" },
] as const;

/**
 * Every partition (the organization issue): the whole program for cn-north-1 and us-gov-west-1
 * (both sides, org guard, DR region where AWS allows one) names every ARN, pattern, principal,
 * service principal and kms:ViaService in the region's partition; the share rule's pattern
 * matches AWS's sample event moved to that partition; the handlers take that partition's
 * settings and refuse another's.
 */
describe("every partition (mocks)", function () {
  this.timeout(240_000);

  for (const { region, drRegion } of REGIONS) {
    describe(region, () => {
      const p = partitionOf(region);
      let e: Evaluation;
      before(() => {
        e = evaluateProgram({
          ...orgGuardConfig("both", region),
          ...(drRegion ? { drRegion } : {}),
        });
      });

      it(`names every ARN of every resource input in ${p}`, () => {
        const arns = e.resources.flatMap((r) =>
          strings(r.inputs)
            .filter((s) => s.value.includes("arn:"))
            .map((s) => ({ resource: `${r.type}::${r.name}`, ...s })),
        );
        assert.ok(arns.length > 150, `the scan saw the documents (${arns.length} ARNs)`);
        const wrong = arns.filter((a) =>
          [...a.value.matchAll(/arn:([a-z-]*):/g)].some((m) => m[1] !== p),
        );
        assert.deepEqual(wrong, []);
        // And only this partition's regions.
        const regions = new Set(
          arns.flatMap((a) =>
            [...a.value.matchAll(/arn:[a-z-]+:[a-z0-9-]+:([a-z0-9-]*):/g)].map((m) => m[1]),
          ),
        );
        for (const r of regions) {
          assert.ok(r === "" || r === "*" || partitionOf(r ?? "") === p, `region ${r}`);
        }
      });

      it("uses the partition's service principals and endpoints (kms:ViaService)", () => {
        const all = e.resources.flatMap((r) =>
          strings(r.inputs).map((s) => ({ resource: `${r.type}::${r.name}`, ...s })),
        );
        const principals = all.filter((s) => s.key === "Service" || s.key === "principal");
        assert.ok(principals.length >= 10, `principals found (${principals.length})`);
        for (const s of principals) {
          const service = s.value.split(".")[0] ?? "";
          assert.equal(s.value, servicePrincipal(service, region), `${s.resource}: ${s.value}`);
        }
        const via = all.filter((s) => s.key === "kms:ViaService");
        assert.ok(via.length >= 10, `kms:ViaService values found (${via.length})`);
        for (const s of via) {
          assert.match(
            s.value,
            new RegExp(
              `^(rds|sns)\\.(${region}|${drRegion ?? region})\\.${dnsSuffixOf(region).replace(/\./g, "\\.")}$`,
            ),
            `${s.resource}: ${s.value}`,
          );
        }
        // No endpoint of another partition anywhere.
        const foreign = all.filter((s) =>
          p === "aws-cn"
            ? /\.amazonaws\.com$/.test(s.value) && s.key === "kms:ViaService"
            : /\.amazonaws\.com\.cn/.test(s.value),
        );
        assert.deepEqual(foreign, []);
      });

      it("matches the share rule and the failsafe-copy-ready rule against an event of that partition", () => {
        const rules = ofType(e, "aws:cloudwatch/eventRule:EventRule").filter(
          (r) => r.inputs.eventPattern,
        );
        const pattern = (name: string) => {
          const rule = rules.find((r) => r.inputs.name === name);
          assert.ok(rule, name);
          return JSON.parse(String(rule.inputs.eventPattern)) as object;
        };
        const share = pattern("rds-failsafe-managed-snapshot-ready");
        const ready = pattern("rds-failsafe-failsafe-copy-ready");
        assert.equal(
          matches(share, sampleEvent(region, PROD, "failsafe-orders-2026-11-22-05-07")),
          true,
        );
        assert.equal(
          matches(
            ready,
            sampleEvent(
              region,
              FAILSAFE,
              failsafeCopyId("instance", PROD, "failsafe-orders-2026-11-22-05-07"),
            ),
          ),
          true,
        );
        // The aws-partition pattern (what `arn:aws:` everywhere built) misses the same event.
        const awsPattern = managedSnapshotReadyPattern("eu-west-1", PROD);
        const event = sampleEvent(region, PROD, "failsafe-orders-2026-11-22-05-07");
        assert.equal(matches(awsPattern, { ...event, region: "eu-west-1" }), false);
        assert.equal(matches(share, sampleEvent(region, PROD, "manual-by-someone")), false);
      });

      it("hands its functions settings of that partition, which the handlers accept", () => {
        for (const f of ofType(e, "aws:lambda/function:Function")) {
          const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
          const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as Record<string, unknown>;
          const parse = "prodAccountId" in settings ? parseProdSettings : parseFailsafeSettings;
          assert.doesNotThrow(() => parse(settings), String(f.inputs.name));
          for (const [k, v] of Object.entries(settings)) {
            if (typeof v === "string" && v.startsWith("arn:")) {
              assert.equal(v.split(":")[1], p, `${String(f.inputs.name)} ${k}`);
            }
          }
        }
      });
    });
  }

  describe("handler settings refuse another partition's ARNs", () => {
    const key = (partition: string, region: string, account: string) =>
      `arn:${partition}:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const topic = (partition: string, region: string) =>
      `arn:${partition}:sns:${region}:${FAILSAFE}:rds-failsafe-handoff`;
    for (const { region } of REGIONS) {
      const p = partitionOf(region);
      it(`${region}: an aws key or topic is refused, the ${p} ones taken`, () => {
        const prod = {
          region,
          prodAccountId: PROD,
          failsafeAccountId: FAILSAFE,
          transitKmsKeyArn: key(p, region, PROD),
          handoffTopicArn: topic(p, region),
        };
        assert.doesNotThrow(() => parseProdSettings(prod));
        assert.throws(
          () => parseProdSettings({ ...prod, transitKmsKeyArn: key("aws", region, PROD) }),
          new RegExp(`transitKmsKeyArn: must be in partition ${p} \\(region ${region}\\)`),
        );
        assert.throws(
          () => parseProdSettings({ ...prod, handoffTopicArn: topic("aws", region) }),
          new RegExp(`handoffTopicArn: must be in partition ${p}`),
        );
        const save = {
          region,
          prodAccountIds: [PROD],
          failsafeAccountId: FAILSAFE,
          vaultKmsKeyArn: key(p, region, FAILSAFE),
        };
        assert.doesNotThrow(() => parseFailsafeSettings(save));
        assert.throws(
          () => parseFailsafeSettings({ ...save, vaultKmsKeyArn: key("aws", region, FAILSAFE) }),
          /vaultKmsKeyArn: must be in partition/,
        );
      });
    }
    it("us-gov-west-1: a DR key must be of us-gov-east-1, in aws-us-gov", () => {
      const save = {
        region: "us-gov-west-1",
        prodAccountIds: [PROD],
        failsafeAccountId: FAILSAFE,
        vaultKmsKeyArn: key("aws-us-gov", "us-gov-west-1", FAILSAFE),
        drRegion: "us-gov-east-1",
      };
      assert.doesNotThrow(() =>
        parseFailsafeSettings({
          ...save,
          drVaultKmsKeyArn: key("aws-us-gov", "us-gov-east-1", FAILSAFE),
        }),
      );
      assert.throws(
        () =>
          parseFailsafeSettings({
            ...save,
            drVaultKmsKeyArn: key("aws-us-gov", "us-gov-west-1", FAILSAFE),
          }),
        /drVaultKmsKeyArn: must be a key in the DR region us-gov-east-1/,
      );
      assert.throws(
        () =>
          parseFailsafeSettings({
            ...save,
            drRegion: "us-east-1",
            drVaultKmsKeyArn: key("aws", "us-east-1", FAILSAFE),
          }),
        /drRegion: must be in the partition of region us-gov-west-1 \(aws-us-gov\)/,
      );
      assert.throws(
        () => parseFailsafeSettings(save),
        /drRegion and drVaultKmsKeyArn must be set together/,
      );
    });
  });
});
