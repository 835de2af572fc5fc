// The accounts of the program, as the policy config names them. One failsafe account serves many
// prod accounts (each runs its own copy-side stack), so the prod accounts are a list;
// `prodAccountId` (one account) is still read for configs written before the list existed.
import type { ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { configWithDefaults } from "./util";

export interface AccountsConfig {
  /** The failsafe AWS account id (save side). */
  failsafeAccountId?: string;
  /** Every prod AWS account id (copy side). */
  prodAccountIds?: string[];
  /** One prod account id: kept for older configs; merged into prodAccountIds. */
  prodAccountId?: string;
}

export interface ProgramAccounts {
  readonly failsafe?: string;
  readonly prod: readonly string[];
}

const accountId = { type: "string" as const, pattern: "^[0-9]{12}$" };

/** JSON schema of the account settings, for the configSchema of every policy that needs them. */
export const ACCOUNTS_CONFIG_PROPERTIES = {
  failsafeAccountId: { ...accountId, description: "The failsafe AWS account id (save side)." },
  prodAccountIds: {
    type: "array" as const,
    items: accountId,
    uniqueItems: true,
    description: "Every prod AWS account id (each runs a copy-side stack).",
  },
  prodAccountId: {
    ...accountId,
    description: "One prod AWS account id (older configs; use prodAccountIds).",
  },
};

export function programAccounts(
  args: ResourceValidationArgs | StackValidationArgs,
): ProgramAccounts {
  const config = configWithDefaults<AccountsConfig>(args, {});
  const prod = [...(config.prodAccountIds ?? [])];
  if (config.prodAccountId && !prod.includes(config.prodAccountId)) prod.push(config.prodAccountId);
  const failsafe = config.failsafeAccountId === "" ? undefined : config.failsafeAccountId;
  return failsafe === undefined ? { prod } : { failsafe, prod };
}

/** `arn:<partition>:iam::<account>:root`: the partition is not pinned, the account is. */
export function isRootArnOf(value: string, account: string): boolean {
  return value === account || new RegExp(`^arn:[^:]+:iam::${account}:root$`).test(value);
}
