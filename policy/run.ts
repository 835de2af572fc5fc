// Runs the pack's policies in-process over resources described by hand or recorded from a
// program run under Pulumi mocks — what `pulumi preview --policy-pack policy` does through the
// policy server, minus the CLI. Used by the tests and by the whole-program runner.
import {
  type EnforcementLevel,
  type PolicyResource,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { allPolicies } from "./policies";

/**
 * The policy server's own unknown-checking proxy and its error (exported by @pulumi/policy's
 * index, but marked internal, so its typings are stripped).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy: <T>(value: T) => T;
  UnknownValueError: abstract new (...args: never[]) => Error;
};
const { unknownCheckingProxy, UnknownValueError } = proxy;

export interface MockResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** Inputs for resource policies; outputs (inputs plus e.g. `arn`) for stack policies. */
  readonly props: Record<string, unknown>;
  readonly provider?: {
    readonly type: string;
    readonly props: Record<string, unknown>;
    readonly name?: string;
    readonly urn?: string;
  };
  /** The parent's URN. */
  readonly parent?: string;
  readonly dependencies?: readonly string[];
  /** Property name → URNs of the resources that property's value came from. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Violation {
  /** The resource's URN, or "" for the stack as a whole. */
  readonly resource: string;
  readonly policy: string;
  readonly level: EnforcementLevel;
  readonly message: string;
  /**
   * The policy threw on a value unknown during preview and checked nothing: what the policy
   * server reports as an advisory "can't run policy … during preview".
   */
  readonly cantRun?: true;
}

/** `--policy-pack-config` shape: per policy an enforcement level or config properties. */
export type RunConfig = Readonly<
  Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
  >
>;

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "Policy does not apply");
  }
}

function notApplicable(reason?: string): never {
  throw new NotApplicableError(reason);
}

/** Like the CLI: schema defaults, overridden by the config the user gave for that policy. */
export function policyConfig(policy: AnyPolicy, config: RunConfig = {}): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
    if (typeof schema === "object" && schema.default !== undefined) result[key] = schema.default;
  }
  const given = config[policy.name];
  if (typeof given === "object") {
    for (const [key, value] of Object.entries(given)) {
      if (key !== "enforcementLevel") result[key] = value;
    }
  }
  return result;
}

function enforcementLevel(policy: AnyPolicy, config: RunConfig): EnforcementLevel {
  const given = config[policy.name];
  const level =
    (typeof given === "string" ? given : given?.enforcementLevel) ??
    policy.enforcementLevel ??
    "mandatory"; // policy/index.ts's pack-wide level
  return level === "remediate" ? "mandatory" : level;
}

function isTypeOf(type: string, resourceClass: unknown): boolean {
  const pulumiType = (resourceClass as { __pulumiType?: unknown } | undefined)?.__pulumiType;
  return typeof pulumiType === "string" && pulumiType === type;
}

function provider(resource: MockResource): ResourceValidationArgs["provider"] {
  if (resource.provider === undefined) return undefined;
  return {
    type: resource.provider.type,
    props: unknownCheckingProxy(resource.provider.props),
    name: resource.provider.name ?? "provider",
    urn: resource.provider.urn ?? `urn:pulumi:mock::mock::${resource.provider.type}::provider`,
  };
}

const NO_OPTIONS = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

export function resourceValidationArgs(
  resource: MockResource,
  config: Record<string, unknown> = {},
): ResourceValidationArgs {
  // As the policy server does: reading a value unknown in a preview throws UnknownValueError.
  const props = unknownCheckingProxy(resource.props);
  const args: ResourceValidationArgs = {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props,
    opts: { ...NO_OPTIONS, ...(resource.parent ? { parent: resource.parent } : {}) },
    stackTags: new Map(),
    isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
    asType: (resourceClass) =>
      (isTypeOf(resource.type, resourceClass) ? props : undefined) as never,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
  const p = provider(resource);
  if (p !== undefined) args.provider = p;
  return args;
}

export function stackValidationArgs(
  resources: readonly MockResource[],
  config: Record<string, unknown> = {},
): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  const built = resources.map((r) => {
    const props = unknownCheckingProxy(r.props);
    const resource: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props,
      opts: { ...NO_OPTIONS, ...(r.parent ? { parent: r.parent } : {}) },
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(r.type, resourceClass),
      asType: (resourceClass) => (isTypeOf(r.type, resourceClass) ? props : undefined) as never,
    };
    const p = provider(r);
    if (p !== undefined) resource.provider = p;
    byUrn.set(r.urn, resource);
    return resource;
  });
  const lookup = (urns: readonly string[] | undefined): PolicyResource[] =>
    (urns ?? []).map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
  resources.forEach((r, i) => {
    const resource = built[i]!;
    const parent = r.parent === undefined ? undefined : byUrn.get(r.parent);
    if (parent !== undefined) resource.parent = parent;
    resource.dependencies = lookup(r.dependencies);
    for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
      resource.propertyDependencies[key] = lookup(urns);
    }
  });
  return {
    resources: built,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/**
 * Runs one validation like the policy server: not-applicable is silent; a value unknown during
 * preview makes the policy check nothing, reported as an advisory "can't run".
 */
async function applicable(
  policy: AnyPolicy,
  resource: string,
  violations: Violation[],
  run: () => Promise<void> | void,
): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (e instanceof UnknownValueError) {
      violations.push({
        resource,
        policy: policy.name,
        level: "advisory",
        message: `can't run policy '${policy.name}' during preview: ${e.message}`,
        cantRun: true,
      });
    } else if (!(e instanceof NotApplicableError)) {
      throw e;
    }
  }
}

/** Every violation the policies report for `resources`, resource policies first. */
export async function runPolicies(
  resources: readonly MockResource[],
  config: RunConfig = {},
  policies: readonly AnyPolicy[] = allPolicies,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  for (const policy of policies) {
    const level = enforcementLevel(policy, config);
    if (level === "disabled" || !("validateResource" in policy) || !policy.validateResource) {
      continue;
    }
    const validations = Array.isArray(policy.validateResource)
      ? policy.validateResource
      : [policy.validateResource];
    for (const resource of resources) {
      for (const validation of validations) {
        const args = resourceValidationArgs(resource, policyConfig(policy, config));
        await applicable(policy, resource.urn, violations, () =>
          validation(args, (message) =>
            violations.push({ resource: resource.urn, policy: policy.name, level, message }),
          ),
        );
      }
    }
  }
  for (const policy of policies) {
    const level = enforcementLevel(policy, config);
    if (level === "disabled" || !("validateStack" in policy)) continue;
    const args = stackValidationArgs(resources, policyConfig(policy, config));
    await applicable(policy, "", violations, () =>
      policy.validateStack(args, (message, urn) =>
        violations.push({ resource: urn ?? "", policy: policy.name, level, message }),
      ),
    );
  }
  return violations;
}

/** A report in the spirit of `pulumi preview --policy-pack`: level, policy, resource, message. */
export function formatViolations(violations: readonly Violation[]): string {
  if (violations.length === 0) return "Policies: no violations";
  return violations
    .map((v) => `[${v.level}] ${v.policy}  ${v.resource || "(stack)"}\n    ${v.message}`)
    .join("\n");
}

export function hasMandatoryViolation(violations: readonly Violation[]): boolean {
  return violations.some((v) => v.level === "mandatory");
}
