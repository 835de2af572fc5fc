import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BOOTSTRAP_ROLE_NAMES } from "./config";
import {
  boundaryArn,
  deployDocuments,
  type DeployContext,
  MANAGED_POLICIES_PER_ROLE,
} from "./deploy-permissions";
import { policyDocument, type Statement } from "./iam";
import { regionArns } from "./names";

/** GitHub's OIDC issuer ("Configuring OpenID Connect in Amazon Web Services", GitHub docs). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

export interface DeployRolesArgs {
  /** The administrator's provider for this account (providers.ts administratorProvider). */
  readonly provider: aws.Provider;
  /** What the roles are for: the account, its kind, the failsafe account, the boundary's name. */
  readonly context: DeployContext;
  /** owner/name: its workflow may deploy (from `deployEnvironment`) and preview (pull requests). */
  readonly githubRepository?: string;
  /** The account's GitHub OIDC provider, when it has one already (else it is created here). */
  readonly githubOidcProviderArn?: string;
  /** The GitHub environment whose jobs may deploy (required reviewers, main branch only). */
  readonly deployEnvironment: string;
  /** Principals of this account that may assume both roles (pulumi run by hand). */
  readonly trustedPrincipalArns: readonly string[];
}

/**
 * The roles a deploy of one account needs, as code (sides: bootstrap-prod / bootstrap-failsafe,
 * run once per account by an administrator before the first `pulumi up`; docs/deploy.md):
 *
 * - `rds-failsafe-boundary`, the permissions boundary every role the program creates carries;
 * - `rds-failsafe-deploy`, what the program's provider assumes: exactly the resource types the
 *   program manages (deploy-permissions.ts), roles only with the boundary;
 * - `rds-failsafe-preview`, read-only, what pull-request previews assume
 *   (RDS_FAILSAFE_PREVIEW_ONLY, index.ts);
 * - with a GitHub repository: the account's GitHub OIDC provider and two CI roles.
 *   `rds-failsafe-github-deploy` trusts only jobs of the repository's `deployEnvironment`
 *   (`sub` = `repo:<owner/name>:environment:<env>`, matched exactly: `environment:failsafe-*`
 *   would also match a `failsafe-preview` environment any pull request can use) and may only
 *   assume the deploy role; `rds-failsafe-github-preview` trusts only pull-request jobs (`sub` =
 *   `repo:<owner/name>:pull_request`, which GitHub sets for a pull_request job without an
 *   environment) and may only assume the preview role.
 *
 * Two hops (CI role → deploy role) because the program's provider always assumes the configured
 * deploy role: a deploy role assumed directly from OIDC would have to trust itself.
 */
export class DeployRoles extends pulumi.ComponentResource {
  readonly deployRoleArn: pulumi.Output<string>;
  readonly previewRoleArn: pulumi.Output<string>;
  readonly boundaryArn: pulumi.Output<string>;
  readonly githubDeployRoleArn?: pulumi.Output<string>;
  readonly githubPreviewRoleArn?: pulumi.Output<string>;

  constructor(name: string, args: DeployRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:bootstrap:DeployRoles", name, {}, opts);
    if (!args.provider) {
      throw new Error("DeployRoles: [provider] must be the account's aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const c = args.context;
    const arns = regionArns(c.region);
    const documents = deployDocuments(c);
    const role = (n: string) => arns.role(c.account, n);
    const names = BOOTSTRAP_ROLE_NAMES;

    if (documents.boundary) {
      const expected = boundaryArn(c.region, c.account, c.boundaryName);
      const path = expected.slice(
        expected.indexOf(":policy") + ":policy".length,
        expected.lastIndexOf("/") + 1,
      );
      const policy = new aws.iam.Policy(
        "boundary",
        {
          name: expected.slice(expected.lastIndexOf("/") + 1),
          path,
          description:
            "rds-failsafe: permissions boundary of every role the program creates (what its functions may ever do)",
          policy: documents.boundary,
        },
        child,
      );
      this.boundaryArn = policy.arn;
    } else {
      this.boundaryArn = pulumi.output("");
    }

    const ciRoles: Partial<Record<"deploy" | "preview", string>> = {};
    if (args.githubRepository) {
      const providerArn =
        args.githubOidcProviderArn ??
        new aws.iam.OpenIdConnectProvider(
          "github",
          {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIdLists: ["sts.amazonaws.com"],
          },
          child,
        ).arn;
      const ci = (
        resource: string,
        roleName: string,
        subject: string,
        target: string,
        description: string,
      ) => {
        const created = new aws.iam.Role(
          resource,
          {
            name: roleName,
            description,
            maxSessionDuration: 3600,
            assumeRolePolicy: pulumi
              .output(providerArn)
              .apply((federated) => oidcTrustPolicy(federated, subject)),
          },
          child,
        );
        new aws.iam.RolePolicy(
          resource,
          {
            role: created.id,
            name: "assume-only",
            policy: policyDocument([
              {
                Sid: "AssumeTheOneRoleThisJobNeeds",
                Effect: "Allow",
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Resource: role(target),
              },
            ]),
          },
          child,
        );
        return created;
      };
      const github = args.githubRepository;
      this.githubDeployRoleArn = ci(
        "github-deploy",
        names.githubDeploy,
        `repo:${github}:environment:${args.deployEnvironment}`,
        names.deploy,
        `rds-failsafe CI: jobs of ${github}'s ${args.deployEnvironment} environment; may only assume ${names.deploy}`,
      ).arn;
      this.githubPreviewRoleArn = ci(
        "github-preview",
        names.githubPreview,
        `repo:${github}:pull_request`,
        names.preview,
        `rds-failsafe CI: pull-request jobs of ${github}; may only assume ${names.preview}`,
      ).arn;
      ciRoles.deploy = role(names.githubDeploy);
      ciRoles.preview = role(names.githubPreview);
    }

    const trust = (ci: string | undefined) =>
      sameAccountTrustPolicy(c.region, c.account, [
        ...(ci ? [ci] : []),
        ...args.trustedPrincipalArns,
      ]);
    const deploy = new aws.iam.Role(
      "deploy",
      {
        name: names.deploy,
        description:
          "rds-failsafe deploy role: what the program's provider assumes; manages exactly the program's resource types",
        maxSessionDuration: 3600,
        assumeRolePolicy: trust(ciRoles.deploy),
      },
      child,
    );
    if (documents.deploy.length > MANAGED_POLICIES_PER_ROLE) {
      throw new Error(`deploy policy in ${documents.deploy.length} parts`);
    }
    // Managed policies, not inline: the policy is over the 10,240 characters a role's inline
    // policies may have together, and over one managed policy's 6,144 (packStatements).
    documents.deploy.forEach((document, index) => {
      const part = new aws.iam.Policy(
        `deploy-${index + 1}`,
        {
          name: `${names.deploy}-${index + 1}`,
          description: `rds-failsafe deploy role, part ${index + 1} of ${documents.deploy.length}`,
          policy: document,
        },
        child,
      );
      new aws.iam.RolePolicyAttachment(
        `deploy-${index + 1}`,
        { role: deploy.name, policyArn: part.arn },
        child,
      );
    });
    const preview = new aws.iam.Role(
      "preview",
      {
        name: names.preview,
        description:
          "rds-failsafe preview role: read-only, what pull-request previews assume (RDS_FAILSAFE_PREVIEW_ONLY)",
        maxSessionDuration: 3600,
        assumeRolePolicy: trust(ciRoles.preview),
      },
      child,
    );
    new aws.iam.RolePolicy(
      "preview",
      { role: preview.id, name: "read-only", policy: documents.preview },
      child,
    );

    this.deployRoleArn = deploy.arn;
    this.previewRoleArn = preview.arn;
    this.registerOutputs({
      deployRoleArn: this.deployRoleArn,
      previewRoleArn: this.previewRoleArn,
      boundaryArn: this.boundaryArn,
      githubDeployRoleArn: this.githubDeployRoleArn,
      githubPreviewRoleArn: this.githubPreviewRoleArn,
    });
  }
}

/**
 * Trust of a CI role: GitHub's OIDC tokens for exactly one subject, audience sts.amazonaws.com
 * (what aws-actions/configure-aws-credentials requests). StringEquals, not StringLike: no
 * wildcard can widen the subject.
 */
export function oidcTrustPolicy(providerArn: string, subject: string): string {
  return policyDocument([
    {
      Sid: "GithubJobsOfOneSubject",
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
      Condition: {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: "sts.amazonaws.com",
          [`${GITHUB_OIDC_HOST}:sub`]: subject,
        },
      },
    },
  ]);
}

/**
 * Trust of the deploy and preview roles: the account as principal, narrowed to the given roles
 * by aws:PrincipalArn (a re-created CI role keeps working; a role principal would be pinned to
 * the old role's unique id). No principal: nobody (a role must trust someone, so the account
 * root with an impossible PrincipalArn would be odd; the config check requires one).
 */
export function sameAccountTrustPolicy(
  region: string,
  account: string,
  principals: readonly string[],
): string {
  const statement: Statement = {
    Sid: "OnlyTheseRolesAssume",
    Effect: "Allow",
    Principal: { AWS: regionArns(region).root(account) },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    Condition: { ArnEquals: { "aws:PrincipalArn": [...principals] } },
  };
  return policyDocument([statement]);
}
