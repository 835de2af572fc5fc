import { strict as assert } from "node:assert";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { requiredTags, TAGGABLE_TYPES, UNTAGGABLE_TYPES } from "../../policy/tags";
import { isNotApplicable, resource, validateResource } from "./helpers";

const ALL = { Application: "rds-failsafe", ManagedBy: "pulumi", Stack: "prod" };
const PROVIDER = "pulumi:providers:aws";
// The generated aws.Provider JSON-encodes its non-string inputs.
const providerWith = (tags: Record<string, string>) => ({
  type: PROVIDER,
  props: { defaultTags: JSON.stringify({ tags }), allowedAccountIds: '["111111111111"]' },
});

const cases: {
  name: string;
  type: string;
  props: Record<string, unknown>;
  provider?: { type: string; props: Record<string, unknown> };
  config?: Record<string, unknown>;
  expected: string[];
}[] = [
  {
    name: "compliant: resource tags",
    type: "aws:sqs/queue:Queue",
    props: { tags: ALL },
    expected: [],
  },
  {
    name: "compliant: provider defaultTags only (CallbackFunction's function)",
    type: "aws:lambda/function:Function",
    props: { runtime: "nodejs22.x" },
    provider: providerWith(ALL),
    expected: [],
  },
  {
    name: "compliant: merged provider and resource tags",
    type: "aws:kms/key:Key",
    props: { tags: { Stack: "failsafe" } },
    provider: providerWith({ Application: "rds-failsafe", ManagedBy: "pulumi" }),
    expected: [],
  },
  {
    name: "no tags anywhere",
    type: "aws:sns/topic:Topic",
    props: {},
    expected: [
      'Resource must carry the required tags "Application", "ManagedBy", "Stack" (in its tags or its provider\'s defaultTags)',
    ],
  },
  {
    name: "one tag missing, one empty",
    type: "aws:iam/role:Role",
    props: { tags: { Application: "rds-failsafe", ManagedBy: "" } },
    provider: providerWith({ Stack: "prod" }),
    expected: [
      'Resource must carry the required tag "ManagedBy" (in its tags or its provider\'s defaultTags)',
    ],
  },
  {
    name: "configured keys",
    type: "aws:cloudwatch/logGroup:LogGroup",
    props: { tags: ALL },
    config: { requiredTags: ["Owner"] },
    expected: [
      'Resource must carry the required tag "Owner" (in its tags or its provider\'s defaultTags)',
    ],
  },
  {
    name: "fallback: an unlisted aws type with a tags input",
    type: "aws:s3/bucket:Bucket",
    props: { tags: { Application: "x" } },
    expected: [
      'Resource must carry the required tags "ManagedBy", "Stack" (in its tags or its provider\'s defaultTags)',
    ],
  },
];

describe("policy/tags", () => {
  for (const c of cases) {
    it(`required-tags: ${c.name}`, async () => {
      const mock = resource(c.type, "r", c.props, c.provider ? { provider: c.provider } : {});
      assert.deepEqual(await validateResource(requiredTags, mock, c.config), c.expected);
    });
  }

  it("required-tags: not applicable to untaggable types, providers and components", async () => {
    for (const type of [
      "aws:kms/alias:Alias",
      "aws:sns/topicSubscription:TopicSubscription",
      "pulumi:providers:aws",
      "rds-failsafe:save:SaveSide",
    ]) {
      assert.equal(await isNotApplicable(requiredTags, resource(type, "r", {})), true, type);
    }
  });

  it("the maintained taggable/untaggable lists match @pulumi/aws's typings", () => {
    const root = path.dirname(require.resolve("@pulumi/aws/package.json"));
    const hasTagsInput = (type: string): boolean => {
      const [, module, file] = /^aws:([^/]+)\/([^:]+):/.exec(type)!;
      const dir = path.join(root, module!);
      const dts = readdirSync(dir).find((f) => f === `${file}.d.ts`)!;
      const text = readFileSync(path.join(dir, dts), "utf8");
      const args = /export interface \w+Args \{([\s\S]*?)\n\}/.exec(text)![1]!;
      return /\n {4}tags\?:/.test(args);
    };
    for (const type of TAGGABLE_TYPES) assert.equal(hasTagsInput(type), true, type);
    for (const type of UNTAGGABLE_TYPES) assert.equal(hasTagsInput(type), false, type);
  });
});
