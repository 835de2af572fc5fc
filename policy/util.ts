// Small helpers shared by the policy modules. No policy lives here.
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/** Returned by {@link readKnown} for a value Pulumi cannot know yet (a preview of a new resource). */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/**
 * Reads a property through @pulumi/policy's unknown-checking proxy. During `pulumi preview` the
 * proxy throws `UnknownValueError` for outputs not known yet; the engine turns an escaped error
 * into an advisory "can't run during preview". Stack policies must not lose every resource to one
 * unknown value, so they read through this and decide per value.
 */
export function readKnown<T>(read: () => T): T | Unknown {
  try {
    return read();
  } catch (e) {
    if (e instanceof Error && e.constructor.name === "UnknownValueError") return UNKNOWN;
    throw e;
  }
}

/** True when `key` holds a value, or one Pulumi will only know after the update (still "set"). */
export function isSet(props: Record<string, unknown>, key: string): boolean {
  if (!(key in props)) return false;
  const value = readKnown(() => props[key]);
  return value === UNKNOWN || (value !== undefined && value !== null && value !== "");
}

export function asArray<T>(value: T | readonly T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/**
 * Provider inputs reach the analyzer JSON-encoded (the generated `aws.Provider` applies
 * `JSON.stringify` to every non-string input); resource inputs such as IAM documents may be a
 * string or an object. Returns the decoded value, or undefined when it is not valid JSON.
 */
export function decodeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The type chain of a URN, outermost parent first and the resource's own type last:
 * `urn:pulumi:stack::project::a:b:Parent$aws:sqs/queue:Queue::name` → [`a:b:Parent`,
 * `aws:sqs/queue:Queue`]. The name may itself contain `::`, the qualified type cannot.
 */
export function typeChain(urn: string): string[] {
  const parts = urn.split("::");
  const qualifiedType = parts[2];
  return qualifiedType === undefined ? [] : qualifiedType.split("$");
}

/** Policy config as the policy sees it: its schema defaults, overridden by what the user set. */
export function configWithDefaults<T extends object>(
  args: ResourceValidationArgs | StackValidationArgs,
  defaults: T,
): T {
  const given = args.getConfig<Partial<T>>();
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(given)) {
    if (value !== undefined && value !== null) merged[key] = value;
  }
  return merged as T;
}

/** A short, stable label for a resource in messages: `type "name"`. */
export function describeResource(resource: { type: string; name: string }): string {
  return `${resource.type} "${resource.name}"`;
}

/**
 * The resources that `resource`'s property `key` refers to: first through Pulumi's recorded
 * property dependencies (known even in a preview, when ARNs are not), then by comparing the
 * property's value with each candidate's `outputs` (e.g. a queue's `arn`).
 */
export function referencedResources(
  resource: PolicyResource,
  key: string,
  candidates: readonly PolicyResource[],
  matches: (value: string, candidate: PolicyResource) => boolean,
): PolicyResource[] {
  const found = new Set<PolicyResource>();
  for (const dep of resource.propertyDependencies[key] ?? []) {
    if (candidates.includes(dep)) found.add(dep);
  }
  const value = readKnown(() => resource.props[key] as unknown);
  if (typeof value === "string" && value !== "") {
    for (const candidate of candidates) {
      if (matches(value, candidate)) found.add(candidate);
    }
  }
  return [...found];
}

/** Reads a string-valued output of a stack resource; undefined when absent or not known yet. */
export function knownString(resource: PolicyResource, key: string): string | undefined {
  const value = readKnown(() => resource.props[key] as unknown);
  return typeof value === "string" && value !== "" ? value : undefined;
}
