// Parsing of IAM policy documents as they reach a policy: a JSON string or an object, `Statement`
// an object or an array, `Action`/`Resource` a string or an array, `NotAction`/`NotResource`,
// `Principal`/`NotPrincipal` ("*" or a map of principal types) and `Condition`. The same grammar
// serves identity policies, key policies, topic policies and queue policies (IAM User Guide,
// "IAM JSON policy element reference").
import { asArray, decodeJson, isRecord } from "./util";

export interface Principal {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser`, or `*` for the bare `Principal: "*"`. */
  readonly kind: string;
  readonly value: string;
}

export interface ConditionClause {
  /** As written: `StringEquals`, `ForAnyValue:StringLike`, `ArnNotEqualsIfExists`… */
  readonly operator: string;
  /** Lower case: condition key names are case-insensitive. */
  readonly key: string;
  /** Booleans and numbers as strings (`true` and `"true"` mean the same to IAM). */
  readonly values: string[];
}

export interface Statement {
  /** `Statement "Sid"` or `Statement 2` (1-based), for messages. */
  readonly label: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
  readonly principals: Principal[];
  readonly notPrincipals: Principal[];
  readonly conditions: ConditionClause[];
}

/** The statements of a document, or undefined when it is not a policy document. */
export function parsePolicyDocument(document: unknown): Statement[] | undefined {
  const decoded = decodeJson(document);
  if (!isRecord(decoded)) return undefined;
  const statements = asArray(decoded["Statement"]);
  if (statements.length === 0 || !statements.every(isRecord)) return undefined;
  return statements.map((raw: Record<string, unknown>, index) => {
    const sid = raw["Sid"];
    return {
      label:
        typeof sid === "string" && sid !== "" ? `Statement "${sid}"` : `Statement ${index + 1}`,
      // Anything but an explicit Deny is treated as granting (IAM rejects other values anyway).
      effect: raw["Effect"] === "Deny" ? "Deny" : "Allow",
      actions: strings(raw["Action"]),
      notActions: strings(raw["NotAction"]),
      resources: strings(raw["Resource"]),
      notResources: strings(raw["NotResource"]),
      principals: principals(raw["Principal"]),
      notPrincipals: principals(raw["NotPrincipal"]),
      conditions: conditions(raw["Condition"]),
    };
  });
}

function strings(value: unknown): string[] {
  return asArray(value as string | string[] | undefined).filter(
    (v): v is string => typeof v === "string",
  );
}

function principals(value: unknown): Principal[] {
  if (value === "*") return [{ kind: "*", value: "*" }];
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([kind, values]) =>
    strings(values).map((v) => ({ kind, value: v })),
  );
}

function conditions(value: unknown): ConditionClause[] {
  if (!isRecord(value)) return [];
  return Object.entries(value).flatMap(([operator, clauses]) =>
    isRecord(clauses)
      ? Object.entries(clauses).map(([key, values]) => ({
          operator,
          key: key.toLowerCase(),
          values: asArray(values).map((v) => String(v)),
        }))
      : [],
  );
}

/** IAM action names are case-insensitive and accept `*` and `?` wildcards (IAM User Guide, Action). */
export function hasWildcard(action: string): boolean {
  return action.includes("*") || action.includes("?");
}

export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${regex}$`, "i").test(action);
}

/** `*`, or an ARN whose service is a wildcard (`arn:aws:*:*:*:*`): every resource. */
export function isAllResources(resource: string): boolean {
  return resource === "*" || /^arn:[^:]*:\*(:|$)/.test(resource);
}

/** Whether the statement's action list reaches `action` (through a wildcard or NotAction too). */
export function coversAction(statement: Statement, action: string): boolean {
  return (
    statement.actions.some((pattern) => actionMatches(pattern, action)) ||
    (statement.notActions.length > 0 &&
      !statement.notActions.some((pattern) => actionMatches(pattern, action)))
  );
}

/** The actions of `candidates` an Allow statement grants; [] for a Deny. */
export function grantedActions(statement: Statement, candidates: readonly string[]): string[] {
  if (statement.effect !== "Allow") return [];
  return candidates.filter((action) => coversAction(statement, action));
}

/** `Principal: "*"` or `{ AWS: "*" }`: every principal of every account, and anonymous ones. */
export function isEveryone(principal: Principal): boolean {
  return principal.kind === "*" || (principal.kind === "AWS" && principal.value === "*");
}

/**
 * The account an `AWS` principal belongs to: a bare account id, or the account field of an
 * `arn:<partition>:iam::` / `arn:<partition>:sts::` ARN. `*` for every account (the `*` principal,
 * or a wildcard in the account field); undefined for service and other principal kinds.
 */
export function principalAccount(principal: Principal): string | undefined {
  if (isEveryone(principal)) return "*";
  if (principal.kind !== "AWS") return undefined;
  if (/^\d{12}$/.test(principal.value)) return principal.value;
  const account = /^arn:[^:]+:(?:iam|sts)::([^:]*):/.exec(principal.value)?.[1];
  if (account === undefined) return "*"; // not an ARN IAM knows: assume the worst
  return hasWildcard(account) ? "*" : account;
}

/**
 * Whether the statement's conditions pin condition key `key` to values that all satisfy `accept`:
 * one clause with that key under one of `operators` (exact names: an `…IfExists` variant also
 * passes when the key is absent, so it pins nothing unless listed), with at least one value.
 * Conditions are ANDed, so one such clause is enough whatever else the statement says.
 */
export function pins(
  statement: Statement,
  key: string,
  operators: readonly string[],
  accept: (value: string) => boolean,
): boolean {
  return statement.conditions.some(
    (c) =>
      c.key === key.toLowerCase() &&
      operators.includes(c.operator) &&
      c.values.length > 0 &&
      c.values.every(accept),
  );
}

/** Operators that pin a string key to the listed values (no wildcard in the values). */
export const STRING_PINNING_OPERATORS = ["StringEquals", "StringLike"];
/** Operators that pin an ARN-valued key to the listed ARNs (no wildcard in the values). */
export const ARN_PINNING_OPERATORS = ["ArnEquals", "ArnLike", "StringEquals", "StringLike"];

/** `kms:ViaService` value of a service endpoint in any region and partition. */
export function isServiceEndpoint(service: string, value: string): boolean {
  return new RegExp(`^${service}\\.[a-z]{2}(-[a-z]+)+-\\d\\.amazonaws\\.com(\\.cn)?$`).test(value);
}
