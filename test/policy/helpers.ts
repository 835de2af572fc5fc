// Builds policy arguments by hand (in the spirit of pulumi-policy-aws src/tests/util.ts) and
// collects what a policy reports. Never imports the pack entry (index.ts): that starts the policy server.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
  type MockResource,
  NotApplicableError,
  policyConfig,
  resourceValidationArgs,
  stackValidationArgs,
} from "../../policy/run";

export const PROD = "111111111111";
export const FAILSAFE = "222222222222";

/** `urn:pulumi:test::rds-failsafe::<parents…$>type::name`. */
export function urn(type: string, name: string, parents: readonly string[] = []): string {
  return `urn:pulumi:test::rds-failsafe::${[...parents, type].join("$")}::${name}`;
}

export function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  extra: Partial<MockResource> & { parents?: readonly string[] } = {},
): MockResource {
  const { parents, ...rest } = extra;
  return { type, name, urn: urn(type, name, parents), props, ...rest };
}

/** Messages a resource policy reports for one resource ([] when compliant or not applicable). */
export async function validateResource(
  policy: ResourceValidationPolicy,
  mock: MockResource,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : policy.validateResource
      ? [policy.validateResource]
      : [];
  for (const validation of validations) {
    const args = resourceValidationArgs(mock, policyConfig(policy, { [policy.name]: config }));
    try {
      await validation(args, (message) => messages.push(message));
    } catch (e) {
      if (!(e instanceof NotApplicableError)) throw e;
    }
  }
  return messages;
}

/** Whether the policy declared itself not applicable to the resource. */
export async function isNotApplicable(
  policy: ResourceValidationPolicy,
  mock: MockResource,
): Promise<boolean> {
  const validations = Array.isArray(policy.validateResource)
    ? policy.validateResource
    : [policy.validateResource!];
  let applicable = false;
  for (const validation of validations) {
    try {
      await validation(resourceValidationArgs(mock, policyConfig(policy)), () => undefined);
      applicable = true;
    } catch (e) {
      if (!(e instanceof NotApplicableError)) throw e;
    }
  }
  return !applicable;
}

export interface Reported {
  message: string;
  urn?: string;
}

export async function validateStack(
  policy: StackValidationPolicy,
  resources: readonly MockResource[],
  config: Record<string, unknown> = {},
): Promise<Reported[]> {
  const reported: Reported[] = [];
  const args = stackValidationArgs(resources, policyConfig(policy, { [policy.name]: config }));
  try {
    await policy.validateStack(args, (message, urn) =>
      reported.push(urn === undefined ? { message } : { message, urn }),
    );
  } catch (e) {
    if (!(e instanceof NotApplicableError)) throw e;
  }
  return reported;
}

/** An IAM policy document as a JSON string, the way pulumi.jsonStringify delivers it. */
export function doc(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
