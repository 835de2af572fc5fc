import { strict as assert } from "node:assert";
import { deployDocuments } from "../../components/deploy-permissions";
import { expectDecision } from "../support/iam-sim";
import {
  asArray,
  baseConfig,
  evaluateProgram,
  FAILSAFE,
  ofType,
  PROD,
  statementsOf,
  type Evaluation,
} from "./support";

/**
 * The bootstrap stacks (sides: bootstrap-prod / bootstrap-failsafe) under mocks: what they create,
 * with which provider, the trust of each role, and the program's switch to the preview roles for
 * pull requests (RDS_FAILSAFE_PREVIEW_ONLY).
 */
const REPO = "acme/rds-failsafe";
const ADMIN = (account: string) => `arn:aws:iam::${account}:role/admin`;
const bootstrapConfig = (
  side: "prod" | "failsafe",
  extra: Record<string, string> = {},
): Record<string, string> => ({
  sides: `bootstrap-${side}`,
  region: "eu-west-1",
  prodAccountId: PROD,
  failsafeAccountId: FAILSAFE,
  githubRepository: REPO,
  trustedPrincipalArns: JSON.stringify([ADMIN(side === "prod" ? PROD : FAILSAFE)]),
  ...(side === "failsafe"
    ? { breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/break-glass` }
    : {}),
  ...extra,
});

const role = (e: Evaluation, name: string) => {
  const found = ofType(e, "aws:iam/role:Role").find((r) => r.inputs.name === name);
  assert.ok(found, name);
  return found;
};

describe("bootstrap stacks: the deploy roles as code", function () {
  this.timeout(180_000);
  const runs = {} as Record<"prod" | "failsafe", Evaluation>;
  before(() => {
    runs.prod = evaluateProgram(bootstrapConfig("prod"));
    runs.failsafe = evaluateProgram(bootstrapConfig("failsafe"));
  });

  it("failsafe with drRegion: the boundary holds the DR region's statements, the deploy role its vault key", () => {
    const dr = "eu-central-1";
    const e = evaluateProgram(bootstrapConfig("failsafe", { drRegion: dr }));
    const context = {
      region: "eu-west-1",
      account: FAILSAFE,
      kind: "failsafe" as const,
      failsafeAccountId: FAILSAFE,
      breakGlassPrincipalArn: `arn:aws:iam::${FAILSAFE}:role/break-glass`,
    };
    const expected = deployDocuments({ ...context, drRegion: dr });
    const policies = ofType(e, "aws:iam/policy:Policy");
    const boundary = policies.find((p) => p.inputs.name === "rds-failsafe-boundary");
    assert.equal(boundary?.inputs.policy, expected.boundary);
    assert.notEqual(expected.boundary, deployDocuments(context).boundary);
    const drArns = (document: unknown) =>
      statementsOf(document).flatMap((s) =>
        asArray(s.Resource as string | string[]).filter((r) => r.includes(`:${dr}:`)),
      );
    assert.ok(
      drArns(boundary?.inputs.policy).some((r) => r.includes(":rds:")),
      "DR snapshots",
    );
    assert.ok(
      drArns(boundary?.inputs.policy).some((r) => r.includes(":kms:")),
      "DR vault key",
    );
    const deploy = policies
      .filter((p) => String(p.inputs.name).startsWith("rds-failsafe-deploy-"))
      .map((p) => String(p.inputs.policy));
    assert.deepEqual(deploy, expected.deploy);
    assert.ok(deploy.flatMap(drArns).includes(`arn:aws:kms:${dr}:${FAILSAFE}:key/*`));
    assert.ok(
      deploy.flatMap(drArns).includes(`arn:aws:kms:${dr}:${FAILSAFE}:alias/rds-failsafe-*`),
    );
  });

  for (const side of ["prod", "failsafe"] as const) {
    const account = side === "prod" ? PROD : FAILSAFE;
    it(`${side}: boundary, deploy role (managed policies), preview role, GitHub OIDC provider and CI roles, on the administrator's provider`, () => {
      const e = runs[side];
      const counts: Record<string, number> = {};
      for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
        counts[r.type] = (counts[r.type] ?? 0) + 1;
      }
      const parts = deployDocuments({
        region: "eu-west-1",
        account,
        kind: side,
        failsafeAccountId: FAILSAFE,
      }).deploy.length;
      assert.deepEqual(counts, {
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": 1,
        "aws:iam/policy:Policy": 1 + parts,
        "aws:iam/role:Role": 4,
        "aws:iam/rolePolicy:RolePolicy": 3,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": parts,
      });
      const [provider, ...others] = ofType(e, "pulumi:providers:aws");
      assert.equal(others.length, 0);
      assert.deepEqual(provider?.inputs.allowedAccountIds, [account]);
      assert.equal(provider?.inputs.assumeRoles, undefined, "the administrator's own credentials");
      for (const r of e.resources.filter((x) => x.type.startsWith("aws:"))) {
        assert.equal(r.provider, `${side}-bootstrap`, r.urn);
      }
      const boundary = ofType(e, "aws:iam/policy:Policy").find(
        (p) => p.inputs.name === "rds-failsafe-boundary",
      );
      assert.equal(boundary?.inputs.path, "/");
      assert.equal(
        boundary?.inputs.policy,
        deployDocuments({ region: "eu-west-1", account, kind: side, failsafeAccountId: FAILSAFE })
          .boundary,
      );
      const outputs = e.outputs.roles as Record<string, string>;
      assert.equal(outputs.deploy, `arn:aws:iam::${account}:role/rds-failsafe-deploy`);
      assert.equal(outputs.preview, `arn:aws:iam::${account}:role/rds-failsafe-preview`);
    });

    it(`${side}: GitHub trust is pinned: deploy to jobs of environment:${side}-deploy, preview to pull requests`, () => {
      const e = runs[side];
      const subjects = {
        "rds-failsafe-github-deploy": `repo:${REPO}:environment:${side}-deploy`,
        "rds-failsafe-github-preview": `repo:${REPO}:pull_request`,
      };
      for (const [name, subject] of Object.entries(subjects)) {
        const [statement, ...more] = statementsOf(role(e, name).inputs.assumeRolePolicy);
        assert.equal(more.length, 0);
        const oidc = ofType(e, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0];
        assert.equal(oidc?.inputs.url, "https://token.actions.githubusercontent.com");
        assert.deepEqual(oidc?.inputs.clientIdLists, ["sts.amazonaws.com"]);
        assert.deepEqual(statement?.Principal, { Federated: oidc?.state.arn });
        assert.deepEqual(statement?.Action, ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]);
        // Exactly one condition operator, StringEquals: no StringLike that a wildcard could widen
        // (environment:failsafe-* also matched a failsafe-preview environment any PR can use).
        assert.deepEqual(Object.keys(statement?.Condition as object), ["StringEquals"]);
        assert.deepEqual((statement?.Condition as { StringEquals: unknown }).StringEquals, {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": subject,
        });
        assert.ok(!subject.includes("*"));
      }
      // Each CI role may only assume its one role.
      for (const [ci, target] of [
        ["github-deploy", "rds-failsafe-deploy"],
        ["github-preview", "rds-failsafe-preview"],
      ] as const) {
        const policy = ofType(e, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === ci);
        assert.deepEqual(statementsOf(policy?.inputs.policy), [
          {
            Sid: "AssumeTheOneRoleThisJobNeeds",
            Effect: "Allow",
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Resource: `arn:aws:iam::${account}:role/${target}`,
          },
        ]);
      }
    });

    it(`${side}: the deploy role is assumable by the GitHub deploy role and the trusted admin only; the preview role by the GitHub preview role and the admin`, async () => {
      const e = runs[side];
      const trust = (name: string) => String(role(e, name).inputs.assumeRolePolicy);
      const ci = (name: string) =>
        String(
          ofType(e, "aws:iam/rolePolicy:RolePolicy").find((p) => p.name === name)?.inputs.policy,
        );
      const adminAccess = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
      });
      const arn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
      const cases: [string, string, string, "Allowed" | "ImplicitlyDenied"][] = [
        ["rds-failsafe-github-deploy", ci("github-deploy"), "rds-failsafe-deploy", "Allowed"],
        [
          "rds-failsafe-github-preview",
          ci("github-preview"),
          "rds-failsafe-deploy",
          "ImplicitlyDenied",
        ],
        ["rds-failsafe-github-preview", ci("github-preview"), "rds-failsafe-preview", "Allowed"],
        [
          "rds-failsafe-github-deploy",
          ci("github-deploy"),
          "rds-failsafe-preview",
          "ImplicitlyDenied",
        ],
        ["admin", adminAccess, "rds-failsafe-deploy", "Allowed"],
        ["admin", adminAccess, "rds-failsafe-preview", "Allowed"],
        ["someone-else", adminAccess, "rds-failsafe-deploy", "ImplicitlyDenied"],
      ];
      for (const [principal, policy, target, expected] of cases) {
        await expectDecision(
          {
            principal: arn(principal),
            action: "sts:AssumeRole",
            resource: arn(target),
            identityPolicies: [policy],
            resourcePolicy: trust(target),
          },
          expected,
          `${principal} → ${target}`,
        );
      }
    });
  }

  it("reads every stack file of the repository with the program's own config rules", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { readStackFile } = await import("../../cli/stack-files");
    const root = path.resolve(__dirname, "..", "..");
    const files = fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
    assert.deepEqual(files.sort(), [
      "Pulumi.bootstrap-failsafe.yaml",
      "Pulumi.bootstrap-prod.yaml",
      "Pulumi.failsafe.yaml",
      "Pulumi.prod.yaml",
    ]);
    for (const file of files) {
      const read = readStackFile(path.join(root, file));
      assert.deepEqual(read.problems, [], file);
    }
    const boot = readStackFile(path.join(root, "Pulumi.bootstrap-failsafe.yaml")).config;
    assert.equal(boot?.sides, "bootstrap-failsafe");
    assert.equal(boot?.deployEnvironment, "failsafe-deploy");
    assert.equal(boot?.githubRepository, REPO);
  });

  it("creates no OIDC provider when one is given, and no CI roles without a repository", () => {
    const existing = `arn:aws:iam::${FAILSAFE}:oidc-provider/token.actions.githubusercontent.com`;
    const given = evaluateProgram(bootstrapConfig("failsafe", { githubOidcProviderArn: existing }));
    assert.equal(ofType(given, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 0);
    assert.deepEqual(
      statementsOf(role(given, "rds-failsafe-github-deploy").inputs.assumeRolePolicy)[0]?.Principal,
      { Federated: existing },
    );
    const noGithub = evaluateProgram({ ...bootstrapConfig("prod"), githubRepository: "" });
    assert.deepEqual(
      ofType(noGithub, "aws:iam/role:Role")
        .map((r) => r.inputs.name)
        .sort(),
      ["rds-failsafe-deploy", "rds-failsafe-preview"],
    );
    assert.deepEqual(
      asArray(
        (
          statementsOf(role(noGithub, "rds-failsafe-deploy").inputs.assumeRolePolicy)[0]
            ?.Condition as {
            ArnEquals: { "aws:PrincipalArn": string[] };
          }
        ).ArnEquals["aws:PrincipalArn"],
      ),
      [ADMIN(PROD)],
    );
  });

  it("pull-request previews assume the preview roles (RDS_FAILSAFE_PREVIEW_ONLY), and nothing but a preview runs", () => {
    const env = { RDS_FAILSAFE_PREVIEW_ONLY: "true" };
    const preview = evaluateProgram(baseConfig("both"), {}, { preview: true, env });
    const roles = Object.fromEntries(
      ofType(preview, "pulumi:providers:aws").map((p) => [
        p.name,
        (p.inputs.assumeRoles as { roleArn: string }[])[0]?.roleArn,
      ]),
    );
    assert.deepEqual(roles, {
      failsafe: `arn:aws:iam::${FAILSAFE}:role/rds-failsafe-preview`,
      prod: `arn:aws:iam::${PROD}:role/rds-failsafe-preview`,
    });
    // The key policies still name the deploy roles: a preview shows no change to them.
    const transit = ofType(preview, "aws:kms/key:Key").find((k) => k.name === "transit");
    assert.match(String(transit?.inputs.policy), /role\/rds-failsafe-deploy/);
    assert.throws(
      () => evaluateProgram(baseConfig("both"), {}, { env }),
      /RDS_FAILSAFE_PREVIEW_ONLY is set: this run may only preview/,
    );
  });
});
