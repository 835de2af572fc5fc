import { NAMES } from "../../components/names";
import { expectDecision, type Decision, type SimulateRequest } from "../support/iam-sim";
import { baseConfig, evaluateProgram, FAILSAFE, ofType, PROD, type Evaluation } from "./support";

/**
 * The hostile-prod issue's findings 3 and 4, judged by a real policy engine on the documents the
 * program emits (under mocks): the vault key's policy against an administrator of the failsafe
 * account, and each function role's least privilege. moto enforces no IAM; this does.
 */
const R = "eu-west-1";
const role = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
const snapshot = (account: string, id: string) => `arn:aws:rds:${R}:${account}:snapshot:${id}`;
const key = (account: string) => `arn:aws:kms:${R}:${account}:key/0000-vault`;
const ADMIN = role(FAILSAFE, "admin");
const BREAK_GLASS = role(FAILSAFE, "break-glass");
const DEPLOY = role(FAILSAFE, "rds-failsafe-deploy");
const EVERYTHING = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};
const VIA_RDS = { "kms:ViaService": `rds.${R}.amazonaws.com` };
/** A key policy that leaves every decision to IAM policies (the default key policy). */
const iamDecides = (account: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

describe("least privilege, judged by a policy engine (program under mocks)", function () {
  this.timeout(120_000);
  let program: Evaluation;
  const rolePolicy = (fn: string): string => {
    const found = ofType(program, "aws:iam/rolePolicy:RolePolicy").find((p) =>
      p.urn.endsWith(`::${fnResource(fn)}`),
    );
    if (!found) throw new Error(`no role policy for ${fn}`);
    return String(found.inputs.policy);
  };
  const fnResource = (fn: string) =>
    Object.entries({
      [NAMES.fn.copy]: "copy",
      [NAMES.fn.share]: "share",
      [NAMES.fn.prodSweep]: "prod-sweep",
      [NAMES.fn.save]: "save",
      [NAMES.fn.retention]: "retention",
      [NAMES.fn.failsafeSweep]: "failsafe-sweep",
    }).find(([name]) => name === fn)?.[1] ?? fn;
  const keyPolicy = (name: string) =>
    String(ofType(program, "aws:kms/key:Key").find((k) => k.name === name)?.inputs.policy);
  const vaultPolicy = () => keyPolicy("vault");

  before(() => {
    program = evaluateProgram(baseConfig("both"));
  });

  const as = (fn: string, account: string) => ({
    principal: role(account, fn),
    identityPolicies: [{ name: fn, document: rolePolicy(fn) }],
  });
  const check = (request: SimulateRequest, expected: Decision, why: string) =>
    expectDecision(request, expected, why);

  describe("finding 3: the vault key against an administrator of the failsafe account", () => {
    for (const action of ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"]) {
      it(`denies ${action} to an admin and to the deploy role, allows it to break-glass`, async () => {
        for (const principal of [ADMIN, DEPLOY]) {
          await check(
            {
              principal,
              action,
              resource: key(FAILSAFE),
              identityPolicies: [{ name: "AdministratorAccess", document: EVERYTHING }],
              resourcePolicy: { name: "vault key policy", document: vaultPolicy() },
            },
            "ExplicitlyDenied",
            `${principal} ${action}`,
          );
        }
        await check(
          {
            principal: BREAK_GLASS,
            action,
            resource: key(FAILSAFE),
            resourcePolicy: { name: "vault key policy", document: vaultPolicy() },
          },
          "Allowed",
          `break-glass ${action}`,
        );
      });
    }

    it("denies an admin a grant not for an AWS resource (e.g. to another account), allows RDS's", async () => {
      const request = {
        principal: ADMIN,
        action: "kms:CreateGrant",
        resource: key(FAILSAFE),
        identityPolicies: [{ name: "AdministratorAccess", document: EVERYTHING }],
        resourcePolicy: { name: "vault key policy", document: vaultPolicy() },
      };
      await check(
        {
          ...request,
          context: {
            "kms:GrantIsForAWSResource": false,
            "kms:GranteePrincipal": role("333333333333", "x"),
          },
        },
        "ExplicitlyDenied",
        "grant to another account",
      );
      await check(
        { ...request, context: { ...VIA_RDS, "kms:GrantIsForAWSResource": true } },
        "Allowed",
        "RDS's grant for a copy",
      );
    });

    it("lets nobody in the account decrypt with the vault key except through RDS", async () => {
      const request = {
        principal: ADMIN,
        action: "kms:Decrypt",
        resource: key(FAILSAFE),
        identityPolicies: [{ name: "AdministratorAccess", document: EVERYTHING }],
        resourcePolicy: { name: "vault key policy", document: vaultPolicy() },
      };
      await check(request, "ImplicitlyDenied", "direct Decrypt");
      await check({ ...request, context: VIA_RDS }, "Allowed", "Decrypt through RDS");
    });

    it("gives the prod account nothing at all on the vault key", async () => {
      await check(
        {
          principal: role(PROD, "admin"),
          action: "kms:Decrypt",
          resource: key(FAILSAFE),
          identityPolicies: [{ name: "AdministratorAccess", document: EVERYTHING }],
          resourcePolicy: { name: "vault key policy", document: vaultPolicy() },
          context: VIA_RDS,
        },
        "ImplicitlyDenied",
        "prod admin",
      );
    });
  });

  describe("finding 4: each function role", () => {
    it("retention may list a database's copies by identifier, and delete only managed ones", async () => {
      const retention = as(NAMES.fn.retention, FAILSAFE);
      await check(
        {
          ...retention,
          action: "rds:DescribeDBSnapshots",
          resource: `arn:aws:rds:${R}:${FAILSAFE}:db:orders`,
        },
        "Allowed",
        "listing by DBInstanceIdentifier is authorized on the db: ARN",
      );
      const del = {
        ...retention,
        action: "rds:DeleteDBSnapshot",
        resource: snapshot(FAILSAFE, "failsafe-111111111111-orders-2026-11-22-05-07"),
      };
      await check(
        { ...del, context: { "rds:snapshot-tag/failsafe:managed": "true" } },
        "Allowed",
        "managed copy",
      );
      await check(del, "ImplicitlyDenied", "a failsafe-* snapshot without the managed tag");
      await check(
        {
          ...del,
          resource: snapshot(FAILSAFE, "before-upgrade"),
          context: { "rds:snapshot-tag/failsafe:managed": "true" },
        },
        "ImplicitlyDenied",
        "a snapshot outside failsafe-*",
      );
    });

    it("the failsafe sweep publishes only to its own ops topic", async () => {
      const sweep = as(NAMES.fn.failsafeSweep, FAILSAFE);
      await check(
        {
          ...sweep,
          action: "sns:Publish",
          resource: `arn:aws:sns:${R}:${FAILSAFE}:rds-failsafe-ops`,
        },
        "Allowed",
        "breach notifications",
      );
      await check(
        {
          ...sweep,
          action: "sns:Publish",
          resource: `arn:aws:sns:${R}:${FAILSAFE}:rds-failsafe-handoff`,
        },
        "ImplicitlyDenied",
        "the hand-off topic",
      );
    });

    it("grants through RDS only, only for AWS resources, only on the program's own keys", async () => {
      const save = as(NAMES.fn.save, FAILSAFE);
      // The role policy alone is judged here: a key policy that lets IAM decide everything (the
      // vault key's own policy denies more on top; see finding 3).
      const grant = {
        ...save,
        action: "kms:CreateGrant",
        resource: key(FAILSAFE),
        resourcePolicy: { name: "IAM decides", document: iamDecides(FAILSAFE) },
      };
      const rds = { ...VIA_RDS, "kms:GrantIsForAWSResource": true };
      await check(
        { ...grant, context: { ...rds, "kms:ResourceAliases": [NAMES.keyAlias.vault] } },
        "Allowed",
        "the vault key, for a copy",
      );
      await check(
        { ...grant, context: { ...rds, "kms:ResourceAliases": ["alias/payments-data"] } },
        "ImplicitlyDenied",
        "another key of the account",
      );
      await check(
        {
          ...grant,
          context: {
            ...VIA_RDS,
            "kms:GrantIsForAWSResource": false,
            "kms:ResourceAliases": [NAMES.keyAlias.vault],
          },
        },
        "ImplicitlyDenied",
        "a grant not for an AWS resource",
      );
      await check(
        {
          ...grant,
          context: {
            "kms:GrantIsForAWSResource": true,
            "kms:ResourceAliases": [NAMES.keyAlias.vault],
          },
        },
        "ImplicitlyDenied",
        "not through RDS",
      );
      const copy = {
        ...as(NAMES.fn.copy, PROD),
        resourcePolicy: { name: "IAM decides", document: iamDecides(PROD) },
      };
      await check(
        {
          ...copy,
          action: "kms:CreateGrant",
          resource: key(PROD),
          context: { ...rds, "kms:ResourceAliases": [NAMES.keyAlias.transit] },
        },
        "Allowed",
        "copy: the transit key",
      );
      await check(
        {
          ...copy,
          action: "kms:CreateGrant",
          resource: key(PROD),
          context: { ...rds, "kms:ResourceAliases": ["alias/payments-data"] },
        },
        "ImplicitlyDenied",
        "copy: an application key",
      );
    });

    it("writes only failsafe: tag keys, only on failsafe-* snapshots", async () => {
      const save = as(NAMES.fn.save, FAILSAFE);
      const tag = {
        ...save,
        action: "rds:AddTagsToResource",
        resource: snapshot(FAILSAFE, "failsafe-111111111111-orders-2026-11-22-05-07"),
      };
      await check(
        { ...tag, context: { "aws:TagKeys": ["failsafe:managed", "failsafe:source-id"] } },
        "Allowed",
        "the product's own keys",
      );
      await check(
        { ...tag, context: { "aws:TagKeys": ["failsafe:managed", "Owner"] } },
        "ImplicitlyDenied",
        "any other key",
      );
      await check(
        {
          ...tag,
          resource: snapshot(FAILSAFE, "before-upgrade"),
          context: { "aws:TagKeys": ["failsafe:managed"] },
        },
        "ImplicitlyDenied",
        "a snapshot outside failsafe-*",
      );
    });

    it("shares only managed failsafe-* snapshots in prod, and only the share and sweep roles may", async () => {
      const share = as(NAMES.fn.share, PROD);
      const modify = {
        ...share,
        action: "rds:ModifyDBSnapshotAttribute",
        resource: snapshot(PROD, "failsafe-orders-2026-11-22-05-07"),
      };
      await check(
        { ...modify, context: { "rds:snapshot-tag/failsafe:managed": "true" } },
        "Allowed",
        "an intermediate",
      );
      await check(
        {
          ...modify,
          resource: snapshot(PROD, "rds:orders-2026-11-22-05-07"),
          context: { "rds:snapshot-tag/failsafe:managed": "true" },
        },
        "ImplicitlyDenied",
        "an automated snapshot",
      );
      await check(
        {
          ...as(NAMES.fn.copy, PROD),
          action: "rds:ModifyDBSnapshotAttribute",
          resource: snapshot(PROD, "failsafe-orders-2026-11-22-05-07"),
          context: { "rds:snapshot-tag/failsafe:managed": "true" },
        },
        "ImplicitlyDenied",
        "the copy function does not share",
      );
    });

    it("lets only the prod share and sweep roles publish hand-offs (topic policy)", async () => {
      const topic = ofType(program, "aws:sns/topicPolicy:TopicPolicy")[0];
      const publish = (principal: string) => ({
        principal,
        action: "sns:Publish",
        resource: `arn:aws:sns:${R}:${FAILSAFE}:${NAMES.handoffTopic}`,
        identityPolicies: [{ name: "AdministratorAccess", document: EVERYTHING }],
        resourcePolicy: { name: "hand-off topic policy", document: String(topic?.inputs.policy) },
      });
      await check(publish(role(PROD, NAMES.fn.share)), "Allowed", "share role");
      await check(publish(role(PROD, NAMES.fn.prodSweep)), "Allowed", "prod sweep role");
      await check(publish(role(PROD, "admin")), "ImplicitlyDenied", "a prod admin's own role");
      await check(
        publish(role("333333333333", NAMES.fn.share)),
        "ImplicitlyDenied",
        "another account",
      );
    });
  });
});
