// Documents Pulumi does not know yet (a preview of a document built from resource outputs): no
// policy throws on them (which the policy server turns into an advisory "can't run … during
// preview" and then checks nothing), and each one is reported once, so it is counted.
import { strict as assert } from "node:assert";
import { policyDocumentsKnownAtPreview } from "../../policy/documents";
import { parsePolicyDocument, pins, principalAccount } from "../../policy/iam-document";
import { allPolicies } from "../../policy/policies";
import { runPolicies } from "../../policy/run";
import { FAILSAFE, PROD, resource, validateResource } from "./helpers";
import { document, TARGET_CONFIG, targetProgram, transitPolicy } from "./target";

/** What the engine hands a policy for a string not known yet (@pulumi/policy proxy.ts). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";
const NOT_KNOWN =
  "is not known during preview, so no policy can check it: build it from config and fixed names (ARNs are computable), not from resource outputs";

const carriers: { type: string; props: Record<string, unknown>; expected: string[] }[] = [
  {
    type: "aws:iam/rolePolicy:RolePolicy",
    props: { policy: UNKNOWN },
    expected: [`The IAM policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:iam/policy:Policy",
    props: { policy: UNKNOWN },
    expected: [`The IAM policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:iam/role:Role",
    props: { assumeRolePolicy: UNKNOWN, inlinePolicies: [{ name: "x", policy: UNKNOWN }] },
    expected: [`The IAM policy of inlinePolicies ${NOT_KNOWN}`],
  },
  {
    type: "aws:kms/key:Key",
    props: { policy: UNKNOWN },
    expected: [`The key policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:kms/keyPolicy:KeyPolicy",
    props: { keyId: UNKNOWN, policy: UNKNOWN },
    expected: [`The key policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:sns/topicPolicy:TopicPolicy",
    props: { arn: UNKNOWN, policy: UNKNOWN },
    expected: [`The topic policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:sns/topic:Topic",
    props: { policy: UNKNOWN },
    expected: [`The topic policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:sqs/queuePolicy:QueuePolicy",
    props: { queueUrl: UNKNOWN, policy: UNKNOWN },
    expected: [`The queue policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:sqs/queue:Queue",
    props: { policy: UNKNOWN },
    expected: [`The queue policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:kms/key:Key",
    // A document given as an object with one unknown part.
    props: {
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Resource: UNKNOWN_OBJECT }] },
    },
    expected: [`The key policy ${NOT_KNOWN}`],
  },
  {
    type: "aws:kms/key:Key",
    props: { policy: document(transitPolicy()), arn: UNKNOWN },
    expected: [],
  },
  { type: "aws:iam/role:Role", props: { assumeRolePolicy: UNKNOWN }, expected: [] },
  { type: "aws:sqs/queue:Queue", props: { redrivePolicy: UNKNOWN }, expected: [] },
];

describe("policy/documents", () => {
  for (const c of carriers) {
    it(`${policyDocumentsKnownAtPreview.name}: ${c.type} ${c.expected.length > 0 ? "Noncompliance" : "Compliance"}: ${JSON.stringify(c.props).slice(0, 60)}`, async () => {
      assert.deepEqual(
        await validateResource(policyDocumentsKnownAtPreview, resource(c.type, "r", c.props)),
        c.expected,
      );
    });
  }

  it("no policy of the pack throws on an unknown document: each is counted once instead", async () => {
    // The target program with every document replaced by an unknown value.
    const resources = targetProgram().map((r) =>
      "policy" in r.props ? { ...r, props: { ...r.props, policy: UNKNOWN } } : r,
    );
    const documents = resources.filter((r) => "policy" in r.props).length;
    assert.ok(documents >= 15, `${documents} documents`);
    const violations = await runPolicies(resources, TARGET_CONFIG, allPolicies);
    assert.deepEqual(
      violations.filter((v) => v.cantRun),
      [],
    );
    const unevaluated = violations.filter((v) => v.policy === policyDocumentsKnownAtPreview.name);
    assert.equal(unevaluated.length, documents);
    assert.deepEqual(
      violations.filter((v) => v.policy !== policyDocumentsKnownAtPreview.name),
      [],
    );
  });

  it("the runner reports a policy that throws on an unknown value as the policy server does", async () => {
    const naive = {
      name: "naive",
      description: "Checks whether a key policy can be read naively.",
      enforcementLevel: "mandatory" as const,
      validateResource: (args: { props: Record<string, unknown> }) =>
        void String(args.props["policy"]),
    };
    const key = resource("aws:kms/key:Key", "k", { policy: UNKNOWN });
    assert.deepEqual(await runPolicies([key], {}, [naive]), [
      {
        resource: key.urn,
        policy: "naive",
        level: "advisory",
        message:
          "can't run policy 'naive' during preview: string value at .policy can't be known during preview",
        cantRun: true,
      },
    ]);
  });
});

describe("policy/iam-document", () => {
  const [statement] = parsePolicyDocument(
    document([
      {
        Effect: "Allow",
        Principal: {
          AWS: [`arn:aws:iam::${PROD}:root`, FAILSAFE, "arn:aws:iam::*:role/x"],
          Service: "sns.amazonaws.com",
        },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: {
          StringEquals: {
            "KMS:ViaService": "rds.eu-west-1.amazonaws.com",
            "kms:CallerAccount": [FAILSAFE, PROD],
          },
          Bool: { "kms:GrantIsForAWSResource": true },
        },
      },
    ]),
  )!;

  it("reads principals of every kind, and the account each AWS principal belongs to", () => {
    assert.deepEqual(statement!.principals, [
      { kind: "AWS", value: `arn:aws:iam::${PROD}:root` },
      { kind: "AWS", value: FAILSAFE },
      { kind: "AWS", value: "arn:aws:iam::*:role/x" },
      { kind: "Service", value: "sns.amazonaws.com" },
    ]);
    assert.deepEqual(statement!.principals.map(principalAccount), [PROD, FAILSAFE, "*", undefined]);
    assert.deepEqual(
      parsePolicyDocument(document([{ Effect: "Deny", Principal: "*", Action: "x" }]))![0]!
        .principals,
      [{ kind: "*", value: "*" }],
    );
  });

  it("pins a key only with an exact operator and only when every value is acceptable", () => {
    const rds = (v: string) => v === "rds.eu-west-1.amazonaws.com";
    // Condition key names are case-insensitive; booleans are read as strings.
    assert.equal(pins(statement!, "kms:viaservice", ["StringEquals"], rds), true);
    assert.equal(pins(statement!, "kms:ViaService", ["StringLike"], rds), false);
    assert.equal(
      pins(statement!, "kms:CallerAccount", ["StringEquals"], (v) => v === FAILSAFE),
      false,
    );
    assert.equal(
      pins(statement!, "kms:GrantIsForAWSResource", ["Bool"], (v) => v === "true"),
      true,
    );
    assert.equal(
      pins(statement!, "aws:SourceArn", ["ArnEquals"], () => true),
      false,
    );
  });
});
