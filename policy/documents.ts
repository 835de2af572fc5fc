// Which resources carry which policy documents, read so that a document Pulumi does not know yet
// (a preview of a document built from resource outputs) is recognised, never thrown on: the
// policies skip such a document and `policy-documents-known-at-preview` reports it, so nothing
// goes unchecked silently (policy/README.md).
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { parsePolicyDocument, type Statement } from "./iam-document";
import { isRecord, knownDeep, UNKNOWN, type Unknown } from "./util";

/** What a document governs: an identity's permissions, a KMS key, an SNS topic, an SQS queue. */
export type DocumentKind = "identity" | "key" | "topic" | "queue";

export interface CarriedDocument {
  readonly kind: DocumentKind;
  /** "" for the resource's only document, ` of inline policy "name"` for a role's inline one. */
  readonly where: string;
  /** The document as given (JSON string or object), undefined when not set, or UNKNOWN. */
  readonly document: unknown;
}

/** Resource type → the property holding its document and what the document governs. */
export const DOCUMENT_PROPERTIES: Readonly<Record<string, { kind: DocumentKind }>> = {
  "aws:iam/policy:Policy": { kind: "identity" },
  "aws:iam/rolePolicy:RolePolicy": { kind: "identity" },
  "aws:kms/key:Key": { kind: "key" },
  "aws:kms/keyPolicy:KeyPolicy": { kind: "key" },
  "aws:sns/topicPolicy:TopicPolicy": { kind: "topic" },
  "aws:sns/topic:Topic": { kind: "topic" },
  "aws:sqs/queuePolicy:QueuePolicy": { kind: "queue" },
  "aws:sqs/queue:Queue": { kind: "queue" },
};

export const ROLE = "aws:iam/role:Role";

/**
 * The permission documents `type`'s `props` carry: the `policy` property, or a role's
 * `inlinePolicies` (its trust policy grants no permission and is not included). Absent or empty
 * documents are left out.
 */
export function documentsOf(type: string, props: Record<string, unknown>): CarriedDocument[] {
  if (type === ROLE) {
    if (!("inlinePolicies" in props)) return [];
    const inline = knownDeep(() => props["inlinePolicies"]);
    if (inline === UNKNOWN) {
      return [{ kind: "identity", where: " of inlinePolicies", document: UNKNOWN }];
    }
    if (!Array.isArray(inline)) return [];
    return inline.flatMap((entry: unknown, index): CarriedDocument[] => {
      const record = isRecord(entry) ? entry : {};
      const name = typeof record["name"] === "string" ? record["name"] : String(index + 1);
      const document = record["policy"];
      return isEmpty(document)
        ? []
        : [{ kind: "identity", where: ` of inline policy "${name}"`, document }];
    });
  }
  const carrier = DOCUMENT_PROPERTIES[type];
  if (carrier === undefined || !("policy" in props)) return [];
  const document = knownDeep(() => props["policy"]);
  return isEmpty(document) ? [] : [{ kind: carrier.kind, where: "", document }];
}

function isEmpty(document: unknown): boolean {
  return document === undefined || document === null || document === "";
}

export function isUnknown(document: unknown): document is Unknown {
  return document === UNKNOWN;
}

/** The statements of each known, parsable document of `kind` the resource carries. */
export function statementsOf(
  type: string,
  props: Record<string, unknown>,
  kinds: readonly DocumentKind[],
): { where: string; statements: Statement[] }[] {
  return documentsOf(type, props)
    .filter((d) => kinds.includes(d.kind) && !isUnknown(d.document))
    .flatMap((d) => {
      const statements = parsePolicyDocument(d.document);
      return statements === undefined ? [] : [{ where: d.where, statements }];
    });
}

const KIND_LABEL: Record<DocumentKind, string> = {
  identity: "IAM policy",
  key: "key policy",
  topic: "topic policy",
  queue: "queue policy",
};

/** The message for a document not known during preview; `npm run policy` counts these. */
export const NOT_KNOWN_AT_PREVIEW = "is not known during preview, so no policy can check it";

export const policyDocumentsKnownAtPreview: ResourceValidationPolicy = {
  name: "policy-documents-known-at-preview",
  description:
    "Checks whether every IAM, key, topic and queue policy document is known during `pulumi preview`, so the pack checks it on a pull request and not only during `pulumi up`. A document built from another resource's outputs is unknown in a preview of a new stack.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const { kind, where, document } of documentsOf(args.type, args.props)) {
      if (!isUnknown(document)) continue;
      reportViolation(
        `The ${KIND_LABEL[kind]}${where} ${NOT_KNOWN_AT_PREVIEW}: build it from config and fixed names (ARNs are computable), not from resource outputs`,
      );
    }
  },
};
