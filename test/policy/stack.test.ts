import { strict as assert } from "node:assert";
import type { MockResource } from "../../policy/run";
import {
  COPY_SIDE_TYPE,
  lambdaRolePerFunction,
  SAVE_SIDE_TYPE,
  sideOf,
  stackResourcesInTheirAccount,
} from "../../policy/stack";
import { FAILSAFE, PROD, resource, urn, validateStack } from "./helpers";

const QUEUE = "aws:sqs/queue:Queue";
const ROLE = "aws:iam/role:Role";
const FUNCTION = "aws:lambda/function:Function";
const SAVE = [SAVE_SIDE_TYPE];
const COPY = [COPY_SIDE_TYPE];

const provider = (name: string, account: string, roleAccount = account) => ({
  type: "pulumi:providers:aws",
  name,
  // As the generated aws.Provider sends them: JSON-encoded.
  props: {
    allowedAccountIds: JSON.stringify([account]),
    assumeRoles: JSON.stringify([{ roleArn: `arn:aws:iam::${roleAccount}:role/deploy` }]),
  },
});
const failsafeProvider = provider("failsafe", FAILSAFE);
const prodProvider = provider("prod", PROD);
const accounts = { prodAccountId: PROD, failsafeAccountId: FAILSAFE };

const accountCases: {
  name: string;
  resources: MockResource[];
  config?: Record<string, unknown>;
  expected: unknown[];
}[] = [
  {
    name: "compliant: both sides in one stack",
    resources: [
      resource(SAVE_SIDE_TYPE, "save", {}),
      resource(QUEUE, "save", {}, { parents: SAVE, provider: failsafeProvider }),
      resource(QUEUE, "copy", {}, { parents: COPY, provider: prodProvider }),
      resource(QUEUE, "outside", {}), // neither side: not judged
    ],
    config: accounts,
    expected: [],
  },
  {
    name: "compliant: provider props as objects",
    resources: [
      resource(
        QUEUE,
        "save",
        {},
        {
          parents: SAVE,
          provider: { type: "pulumi:providers:aws", props: { allowedAccountIds: [FAILSAFE] } },
        },
      ),
    ],
    config: accounts,
    expected: [],
  },
  {
    name: "save side through the prod provider",
    resources: [resource(QUEUE, "save", {}, { parents: SAVE, provider: prodProvider })],
    config: accounts,
    expected: [
      {
        message: `Resource of the save side must be deployed into the failsafe account ${FAILSAFE} (its provider "prod" allows ${PROD})`,
        urn: urn(QUEUE, "save", SAVE),
      },
    ],
  },
  {
    name: "copy side on the default provider",
    resources: [
      resource(
        QUEUE,
        "copy",
        {},
        {
          parents: COPY,
          provider: {
            type: "pulumi:providers:aws",
            name: "default_7_48_0",
            props: { region: "eu-west-1" },
          },
        },
      ),
      resource(ROLE, "copy", {}, { parents: COPY }),
    ],
    config: accounts,
    expected: [
      {
        message: `Resource of the copy side must be deployed into the prod account ${PROD} (its provider "default_7_48_0" sets no allowedAccountIds)`,
        urn: urn(QUEUE, "copy", COPY),
      },
      {
        message: `Resource of the copy side must be deployed into the prod account ${PROD} (it has no explicit aws.Provider)`,
        urn: urn(ROLE, "copy", COPY),
      },
    ],
  },
  {
    name: "deploy role in the other account",
    resources: [
      resource(
        QUEUE,
        "save",
        {},
        { parents: SAVE, provider: provider("failsafe", FAILSAFE, PROD) },
      ),
    ],
    config: accounts,
    expected: [
      {
        message: `Resource of the save side must be deployed into the failsafe account ${FAILSAFE} (its provider "failsafe" assumes arn:aws:iam::${PROD}:role/deploy)`,
        urn: urn(QUEUE, "save", SAVE),
      },
    ],
  },
  {
    name: "account ids not configured",
    resources: [
      resource(QUEUE, "save", {}, { parents: SAVE, provider: failsafeProvider }),
      resource(QUEUE, "save2", {}, { parents: SAVE, provider: failsafeProvider }),
    ],
    config: { prodAccountId: PROD },
    expected: [
      { message: "Policy config failsafeAccountId must be set to check the save side's account" },
    ],
  },
  {
    name: "compliant: a copy side in the second of several prod accounts (prodAccountIds)",
    resources: [
      resource(QUEUE, "copy", {}, { parents: COPY, provider: provider("prod-2", "333333333333") }),
    ],
    config: { prodAccountIds: [PROD, "333333333333"], failsafeAccountId: FAILSAFE },
    expected: [],
  },
  {
    name: "a copy side in an account none of prodAccountIds names",
    resources: [
      resource(QUEUE, "copy", {}, { parents: COPY, provider: provider("other", "999999999999") }),
    ],
    config: { prodAccountIds: [PROD, "333333333333"], failsafeAccountId: FAILSAFE },
    expected: [
      {
        message: `Resource of the copy side must be deployed into one of the prod accounts ${PROD}, 333333333333 (its provider "other" allows 999999999999)`,
        urn: urn(QUEUE, "copy", COPY),
      },
    ],
  },
  {
    name: "no prod account configured",
    resources: [resource(QUEUE, "copy", {}, { parents: COPY, provider: prodProvider })],
    config: { failsafeAccountId: FAILSAFE, prodAccountIds: [] },
    expected: [
      { message: "Policy config prodAccountIds must be set to check the copy side's account" },
    ],
  },
];

const ROLE_ARN = (name: string) => `arn:aws:iam::${PROD}:role/${name}`;
const role = (name: string, parents = COPY) =>
  resource(ROLE, name, { arn: ROLE_ARN(name) }, { parents });
const fn = (name: string, roleName: string, parents = COPY) =>
  resource(FUNCTION, name, { role: ROLE_ARN(roleName) }, { parents });

const roleCases: { name: string; resources: MockResource[]; expected: unknown[] }[] = [
  {
    name: "compliant: one role per function",
    resources: [role("copy"), fn("copy", "copy"), role("share"), fn("share", "share")],
    expected: [],
  },
  {
    name: "compliant: matched by property dependency when the ARN is not known",
    resources: [
      resource(ROLE, "copy", {}, { parents: COPY }),
      resource(
        FUNCTION,
        "copy",
        {},
        {
          parents: COPY,
          propertyDependencies: { role: [urn(ROLE, "copy", COPY)] },
        },
      ),
    ],
    expected: [],
  },
  {
    name: "shared role",
    resources: [role("handlers"), fn("copy", "handlers"), fn("share", "handlers")],
    expected: [
      {
        message:
          'IAM role "handlers" must serve exactly one Lambda function (serves "copy", "share")',
        urn: urn(ROLE, "handlers", COPY),
      },
    ],
  },
  {
    name: "role of the other side",
    resources: [role("copy"), fn("save", "copy", SAVE)],
    expected: [
      {
        message:
          'IAM role "copy" of the copy side must not serve Lambda function "save" of the save side',
        urn: urn(ROLE, "copy", COPY),
      },
    ],
  },
];

describe("policy/stack", () => {
  it("sideOf reads the parent component types from the URN", () => {
    assert.equal(sideOf(urn(QUEUE, "q", SAVE)), "save");
    assert.equal(sideOf(urn(FUNCTION, "f", [...COPY, "aws:lambda/function:Function"])), "copy");
    assert.equal(sideOf(urn(SAVE_SIDE_TYPE, "save")), undefined);
    assert.equal(
      sideOf("urn:pulumi:s::p::rds-failsafe:save:SaveSide$aws:sqs/queue:Queue::a::b"),
      "save",
    );
  });
  for (const c of accountCases) {
    it(`${stackResourcesInTheirAccount.name}: ${c.name}`, async () => {
      assert.deepEqual(
        await validateStack(stackResourcesInTheirAccount, c.resources, c.config),
        c.expected,
      );
    });
  }
  for (const c of roleCases) {
    it(`${lambdaRolePerFunction.name}: ${c.name}`, async () => {
      assert.deepEqual(await validateStack(lambdaRolePerFunction, c.resources), c.expected);
    });
  }
});
