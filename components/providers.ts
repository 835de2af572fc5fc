import * as aws from "@pulumi/aws";

export interface AccountProviderArgs {
  readonly accountId: string;
  /** The deploy role in that account; see the README for its trust policy. */
  readonly roleArn: string;
  readonly region: string;
  /** Tags every resource of this provider gets (provider default tags). */
  readonly tags: Record<string, string>;
}

/**
 * A provider pinned to one account: it assumes the deploy role there, and allowedAccountIds makes
 * it refuse to touch any other account, even if the role ARN or ambient credentials are wrong.
 */
export function accountProvider(name: string, args: AccountProviderArgs): aws.Provider {
  return new aws.Provider(name, {
    region: args.region as aws.Region,
    allowedAccountIds: [args.accountId],
    assumeRoles: [{ roleArn: args.roleArn, sessionName: `rds-failsafe-${name}` }],
    defaultTags: { tags: args.tags },
  });
}

/**
 * A provider for the bootstrap stacks (components/deploy-roles.ts): the deploy roles do not exist
 * yet, so it uses the administrator's own credentials (AWS_PROFILE or the environment), pinned to
 * the account with allowedAccountIds like every other provider.
 */
export function administratorProvider(
  name: string,
  args: Omit<AccountProviderArgs, "roleArn">,
): aws.Provider {
  return new aws.Provider(name, {
    region: args.region as aws.Region,
    allowedAccountIds: [args.accountId],
    defaultTags: { tags: args.tags },
  });
}
