// Parsing of IAM policy documents as they reach a policy: a JSON string or an object, `Statement`
// an object or an array, `Action`/`Resource` a string or an array, `NotAction`/`NotResource`.
import { asArray, decodeJson, isRecord } from "./util";

export interface Statement {
  /** `Statement "Sid"` or `Statement 2` (1-based), for messages. */
  readonly label: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: string[];
  readonly notActions: string[];
  readonly resources: string[];
  readonly notResources: string[];
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
    };
  });
}

function strings(value: unknown): string[] {
  return asArray(value as string | string[] | undefined).filter(
    (v): v is string => typeof v === "string",
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
