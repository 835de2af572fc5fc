// Stack-wide invariants of the two-account design (DESIGN.md "Stacks and providers"): each side's
// resources are deployed into that side's account, and each handler has a role of its own.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ACCOUNTS_CONFIG_PROPERTIES, programAccounts } from "./accounts";
import {
  asArray,
  decodeJson,
  isRecord,
  knownString,
  readKnown,
  referencedResources,
  typeChain,
  UNKNOWN,
} from "./util";

export const SAVE_SIDE_TYPE = "rds-failsafe:save:SaveSide";
export const COPY_SIDE_TYPE = "rds-failsafe:copy:CopySide";

export type Side = "save" | "copy";

/** The side a resource belongs to, from the component types among its URN's ancestors. */
export function sideOf(urn: string): Side | undefined {
  const ancestors = typeChain(urn).slice(0, -1);
  if (ancestors.includes(SAVE_SIDE_TYPE)) return "save";
  if (ancestors.includes(COPY_SIDE_TYPE)) return "copy";
  return undefined;
}

export const stackResourcesInTheirAccount: StackValidationPolicy = {
  name: "stack-resources-in-their-account",
  description:
    "Checks whether every AWS resource of the save side is deployed into the failsafe account and every one of the copy side into a prod account, through its aws.Provider.",
  enforcementLevel: "mandatory",
  configSchema: { properties: ACCOUNTS_CONFIG_PROPERTIES },
  validateStack: (args, reportViolation) => {
    const accounts = programAccounts(args);
    const expected: Record<Side, { key: string; accounts: readonly string[]; label: string }> = {
      save: {
        key: "failsafeAccountId",
        accounts: accounts.failsafe === undefined ? [] : [accounts.failsafe],
        label: "the failsafe account",
      },
      copy: {
        key: "prodAccountIds",
        accounts: accounts.prod,
        label: accounts.prod.length === 1 ? "the prod account" : "one of the prod accounts",
      },
    };
    const unsetReported = new Set<Side>();
    for (const resource of args.resources) {
      if (!resource.type.startsWith("aws:")) continue;
      const side = sideOf(resource.urn);
      if (side === undefined) continue;
      const { key, accounts: allowed, label } = expected[side];
      if (allowed.length === 0) {
        if (!unsetReported.has(side)) {
          unsetReported.add(side);
          reportViolation(`Policy config ${key} must be set to check the ${side} side's account`);
        }
        continue;
      }
      const problem = providerAccountProblem(resource, allowed);
      if (problem !== undefined) {
        reportViolation(
          `Resource of the ${side} side must be deployed into ${label} ${allowed.join(", ")} (${problem})`,
          resource.urn,
        );
      }
    }
  },
};

/**
 * Why `resource`'s provider does not pin it to one of `accounts` (exactly one allowed account, and
 * roles assumed in that account), or undefined when it does.
 */
export function providerAccountProblem(
  resource: Pick<PolicyResource, "provider">,
  accounts: readonly string[],
): string | undefined {
  const provider = resource.provider;
  if (provider === undefined) return "it has no explicit aws.Provider";
  const allowedRaw = readKnown(() => provider.props["allowedAccountIds"] as unknown);
  if (allowedRaw === UNKNOWN) return undefined;
  const allowed = asArray(decodeJson(allowedRaw) as string[] | undefined);
  if (allowed.length === 0) {
    return `its provider "${provider.name}" sets no allowedAccountIds`;
  }
  const account = allowed[0]!;
  if (allowed.length !== 1 || !accounts.includes(account)) {
    return `its provider "${provider.name}" allows ${allowed.join(", ")}`;
  }
  const rolesRaw = readKnown(() => provider.props["assumeRoles"] as unknown);
  if (rolesRaw === UNKNOWN) return undefined;
  for (const role of asArray(decodeJson(rolesRaw) as unknown[] | undefined)) {
    const roleArn = isRecord(role) ? role["roleArn"] : undefined;
    const roleAccount =
      typeof roleArn === "string" ? /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1] : undefined;
    if (typeof roleArn === "string" && roleAccount !== account) {
      return `its provider "${provider.name}" assumes ${roleArn}`;
    }
  }
  return undefined;
}

const FUNCTION = "aws:lambda/function:Function";
const ROLE = "aws:iam/role:Role";

export const lambdaRolePerFunction: StackValidationPolicy = {
  name: "lambda-role-per-function",
  description:
    "Checks whether each Lambda execution role serves exactly one function, and never a function of the other side.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const roles = args.resources.filter((r) => r.type === ROLE);
    const served = new Map<string, { role?: PolicyResource; functions: PolicyResource[] }>();
    for (const fn of args.resources.filter((r) => r.type === FUNCTION)) {
      const matched = referencedResources(fn, "role", roles, (arn, role) => {
        return knownString(role, "arn") === arn;
      });
      const key = matched[0]?.urn ?? knownString(fn, "role");
      if (key === undefined) continue; // not known yet and no dependency recorded
      const entry = served.get(key) ?? { role: matched[0], functions: [] };
      entry.functions.push(fn);
      served.set(key, entry);
    }
    for (const [key, { role, functions }] of served) {
      const roleName = role?.name ?? key;
      const target = role?.urn ?? functions[0]!.urn;
      if (functions.length > 1) {
        reportViolation(
          `IAM role "${roleName}" must serve exactly one Lambda function (serves ${functions.map((f) => `"${f.name}"`).join(", ")})`,
          target,
        );
      }
      const roleSide = role === undefined ? undefined : sideOf(role.urn);
      for (const fn of functions) {
        const fnSide = sideOf(fn.urn);
        if (roleSide !== undefined && fnSide !== undefined && roleSide !== fnSide) {
          reportViolation(
            `IAM role "${roleName}" of the ${roleSide} side must not serve Lambda function "${fn.name}" of the ${fnSide} side`,
            target,
          );
        }
      }
    }
  },
};
