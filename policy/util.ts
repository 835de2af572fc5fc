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

/** The sentinels the engine sends for values not known yet (@pulumi/policy proxy.ts). */
const UNKNOWN_SENTINELS: ReadonlySet<unknown> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/**
 * A plain deep copy of the value `read` returns, or UNKNOWN when any part of it is not known yet.
 * Reads every nested property through the unknown-checking proxy (and recognises the raw
 * sentinels too, for values not behind the proxy), so a policy that checks a whole document
 * either sees all of it or knows it cannot.
 */
export function knownDeep(read: () => unknown): unknown {
  const copy = (value: unknown): unknown => {
    if (UNKNOWN_SENTINELS.has(value)) throw new KnownDeepUnknown();
    if (Array.isArray(value)) return (value as unknown[]).map(copy);
    if (isRecord(value)) {
      return Object.fromEntries(Object.keys(value).map((key) => [key, copy(value[key])]));
    }
    return value;
  };
  try {
    const value = readKnown(read);
    return value === UNKNOWN ? UNKNOWN : readKnown(() => copy(value));
  } catch (e) {
    if (e instanceof KnownDeepUnknown) return UNKNOWN;
    throw e;
  }
}

class KnownDeepUnknown extends Error {}
