// The hand-off topic and the handlers' queues carry snapshot ids and account ids: encrypt them.
// A queue that feeds a Lambda needs a DLQ, or a poison message is retried until it expires and is
// lost silently (DESIGN.md: "Queues have DLQs").
import * as aws from "@pulumi/aws";
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { ACCOUNTS_CONFIG_PROPERTIES, type AccountsConfig, programAccounts } from "./accounts";
import { documentsOf, isUnknown, statementsOf } from "./documents";
import {
  ARN_PINNING_OPERATORS,
  hasWildcard,
  isEveryone,
  parsePolicyDocument,
  pins,
  type Principal,
  principalAccount,
  type Statement,
} from "./iam-document";
import { HANDOFF_PUBLISHER_ROLE_NAMES } from "./kms";
import {
  configWithDefaults,
  decodeJson,
  isRecord,
  isSet,
  knownString,
  readKnown,
  referencedResources,
} from "./util";

const QUEUE = "aws:sqs/queue:Queue";
const REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy";
const EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping";

export const snsTopicEncrypted: ResourceValidationPolicy = {
  name: "sns-topic-encrypted",
  description: "Checks whether every SNS topic is encrypted at rest with a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sns.Topic, (_topic, args, reportViolation) => {
    if (!isSet(args.props, "kmsMasterKeyId")) {
      reportViolation("SNS topic must be encrypted (set kmsMasterKeyId)");
    }
  }),
};

export const sqsQueueEncrypted: ResourceValidationPolicy = {
  name: "sqs-queue-encrypted",
  description:
    "Checks whether every SQS queue is encrypted at rest, with a KMS key or SQS-managed keys.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.sqs.Queue, (_queue, args, reportViolation) => {
    // The inputs are what we see: AWS's own default (SSE-SQS on new queues) is not visible here,
    // so encryption must be explicit.
    const managed = readKnown(() => args.props["sqsManagedSseEnabled"] as unknown);
    if (!isSet(args.props, "kmsMasterKeyId") && managed !== true && typeof managed !== "symbol") {
      reportViolation(
        "SQS queue must be encrypted (set kmsMasterKeyId or sqsManagedSseEnabled: true)",
      );
    }
  }),
};

function hasDeadLetterTarget(redrivePolicy: unknown): boolean {
  if (typeof redrivePolicy === "symbol") return true; // not known in a preview: trust the update
  const decoded = decodeJson(redrivePolicy);
  return (
    isRecord(decoded) &&
    typeof decoded["deadLetterTargetArn"] === "string" &&
    decoded["deadLetterTargetArn"] !== ""
  );
}

function queueHasDlq(queue: PolicyResource, resources: readonly PolicyResource[]): boolean {
  if ("redrivePolicy" in queue.props) {
    if (hasDeadLetterTarget(readKnown(() => queue.props["redrivePolicy"] as unknown))) return true;
  }
  // A standalone aws.sqs.RedrivePolicy resource for this queue counts too.
  const url = knownString(queue, "url") ?? knownString(queue, "id");
  return resources
    .filter((r) => r.type === REDRIVE_POLICY)
    .some(
      (policy) =>
        referencedResources(policy, "queueUrl", [queue], (value) => value === url).length > 0 &&
        hasDeadLetterTarget(readKnown(() => policy.props["redrivePolicy"] as unknown)),
    );
}

export const sqsLambdaSourceHasDlq: StackValidationPolicy = {
  name: "sqs-lambda-source-has-dlq",
  description:
    "Checks whether every SQS queue that feeds a Lambda through an event source mapping has a redrive policy with a dead-letter queue.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const queues = args.resources.filter((r) => r.type === QUEUE);
    for (const mapping of args.resources.filter((r) => r.type === EVENT_SOURCE_MAPPING)) {
      const sources = referencedResources(
        mapping,
        "eventSourceArn",
        queues,
        (arn, queue) => knownString(queue, "arn") === arn,
      );
      const arn = knownString(mapping, "eventSourceArn");
      if (sources.length === 0 && arn !== undefined && arn.split(":")[2] === "sqs") {
        reportViolation(
          `Event source mapping must read from an SQS queue of this stack so its dead-letter queue can be checked (${arn})`,
          mapping.urn,
        );
      }
      for (const queue of sources) {
        if (!queueHasDlq(queue, args.resources)) {
          reportViolation(
            `SQS queue "${queue.name}" feeds a Lambda and must have a redrivePolicy with a deadLetterTargetArn`,
            queue.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Topic and queue policies. The hand-off topic is the only door prod has into the failsafe
// account (DESIGN.md threat model); the queues must take messages only from the one rule or topic
// that feeds them (SQS "Amazon SQS policy examples", SNS "Access control": the confused-deputy
// guard is aws:SourceArn).

const TOPIC = "aws:sns/topic:Topic";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

/** What a statement lets in, for messages: `Principal "*"`, `account 1111…`, `events.amazonaws.com`. */
function describeWide(principal: Principal): string {
  if (isEveryone(principal)) return 'Principal "*"';
  if (principal.kind === "AWS") return `account ${principalAccount(principal) ?? principal.value}`;
  return principal.value;
}

/**
 * Principals that stand for more than one identity: everyone, a whole account (`:root`, a bare
 * account id, a wildcard in the account), or an AWS service (which acts for every customer).
 */
function isWidePrincipal(principal: Principal): boolean {
  if (isEveryone(principal) || principal.kind === "Service") return true;
  if (principal.kind !== "AWS") return true; // Federated/CanonicalUser: not used by the flow
  return (
    /^\d{12}$/.test(principal.value) ||
    /^arn:[^:]+:iam::[^:]*:root$/.test(principal.value) ||
    principalAccount(principal) === "*"
  );
}

const pinsArn = (statement: Statement, key: string) =>
  pins(statement, key, ARN_PINNING_OPERATORS, (v) => /^arn:/.test(v) && !hasWildcard(v));

export const snsSqsPolicyPrincipalsNarrowed: ResourceValidationPolicy = {
  name: "sns-sqs-policy-principals-narrowed",
  description:
    'Checks whether every Allow in an SNS topic or SQS queue policy that names Principal "*", a whole account or an AWS service pins aws:SourceArn (or, for accounts, aws:PrincipalArn) to exact ARNs.',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const { statements } of statementsOf(args.type, args.props, ["topic", "queue"])) {
      for (const statement of statements) {
        if (statement.effect !== "Allow") continue;
        if (statement.notPrincipals.length > 0) {
          reportViolation(`${statement.label} must not use NotPrincipal in an Allow`);
          continue;
        }
        const wide = statement.principals.filter(isWidePrincipal);
        if (wide.length === 0) continue;
        const services = wide.some((p) => p.kind === "Service");
        const narrowed =
          pinsArn(statement, "aws:SourceArn") ||
          (!services && pinsArn(statement, "aws:PrincipalArn"));
        if (!narrowed) {
          reportViolation(
            `${statement.label} lets ${wide.map(describeWide).join(", ")} in and must pin ${services ? "aws:SourceArn" : "aws:SourceArn or aws:PrincipalArn"} to exact ARNs (ArnEquals, no wildcard, not …IfExists)`,
          );
        }
      }
    }
  },
};

export interface MessagingActionsConfig {
  topicActions: string[];
  queueActions: string[];
}

export const MESSAGING_ACTIONS_DEFAULTS: MessagingActionsConfig = {
  // The hand-off flow only publishes to the topic and sends to the queues (DESIGN.md "Flow").
  topicActions: ["sns:Publish"],
  queueActions: ["sqs:SendMessage"],
};

export const snsSqsPolicyActionsLimited: ResourceValidationPolicy = {
  name: "sns-sqs-policy-actions-limited",
  description:
    "Checks whether SNS topic and SQS queue policies allow only the actions the flow needs (sns:Publish, sqs:SendMessage): no wildcard, no NotAction, no subscribe, receive, delete or policy change.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      topicActions: {
        type: "array",
        items: { type: "string", pattern: "^sns:[A-Za-z]+$" },
        default: MESSAGING_ACTIONS_DEFAULTS.topicActions,
        description: "Actions a topic policy may allow.",
      },
      queueActions: {
        type: "array",
        items: { type: "string", pattern: "^sqs:[A-Za-z]+$" },
        default: MESSAGING_ACTIONS_DEFAULTS.queueActions,
        description: "Actions a queue policy may allow.",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const config = configWithDefaults(args, MESSAGING_ACTIONS_DEFAULTS);
    for (const kind of ["topic", "queue"] as const) {
      const allowed = kind === "topic" ? config.topicActions : config.queueActions;
      const lower = new Set(allowed.map((a) => a.toLowerCase()));
      for (const { statements } of statementsOf(args.type, args.props, [kind])) {
        for (const statement of statements) {
          if (statement.effect !== "Allow") continue;
          const extra = [
            ...statement.actions.filter((a) => !lower.has(a.toLowerCase())),
            ...statement.notActions.map((a) => `NotAction ${a}`),
          ];
          if (extra.length > 0) {
            reportViolation(
              `${statement.label} of the ${kind} policy must allow only ${allowed.join(", ")} (not ${extra.join(", ")})`,
            );
          }
        }
      }
    }
  },
};

export interface HandoffTopicConfig extends AccountsConfig {
  handoffTopicName: string;
  handoffPublisherRoleNames: string[];
}

export const HANDOFF_TOPIC_DEFAULTS = {
  handoffTopicName: "rds-failsafe-handoff",
  handoffPublisherRoleNames: HANDOFF_PUBLISHER_ROLE_NAMES,
};

/** The topic an ARN names (`arn:<partition>:sns:<region>:<account>:<name>`). */
function topicName(arn: string): string | undefined {
  return /^arn:[^:]+:sns:[^:]*:[^:]*:([^:]+)$/.exec(arn)?.[1];
}

/**
 * The documents that govern the hand-off topic: an aws.sns.TopicPolicy for it (its `arn` comes
 * from the topic, by dependency or value, or its statements name the topic's ARN) and a
 * `policy` input on the topic itself.
 */
function handoffDocuments(
  resources: readonly PolicyResource[],
  name: string,
): { carrier: PolicyResource; document: unknown }[] {
  const topics = resources.filter((r) => r.type === TOPIC && knownString(r, "name") === name);
  const found: { carrier: PolicyResource; document: unknown }[] = [];
  for (const carrier of resources) {
    if (carrier.type === TOPIC && topics.includes(carrier)) {
      for (const d of documentsOf(carrier.type, carrier.props))
        found.push({ carrier, document: d.document });
    }
    if (carrier.type !== TOPIC_POLICY) continue;
    const targets = referencedResources(carrier, "arn", topics, (arn) => topicName(arn) === name);
    const arn = knownString(carrier, "arn");
    for (const d of documentsOf(carrier.type, carrier.props)) {
      const namesTopic =
        !isUnknown(d.document) &&
        (parsePolicyDocument(d.document) ?? []).some((s) =>
          s.resources.some((r) => topicName(r) === name),
        );
      if (targets.length > 0 || (arn !== undefined && topicName(arn) === name) || namesTopic) {
        found.push({ carrier, document: d.document });
      }
    }
  }
  return found;
}

export const snsHandoffTopicPublishers: StackValidationPolicy = {
  name: "sns-handoff-topic-publishers",
  description:
    "Checks whether the hand-off topic's policy lets only the prod accounts' share and prod-sweep roles publish (their accounts as principals, pinned by aws:PrincipalArn, or the roles themselves).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      prodAccountIds: ACCOUNTS_CONFIG_PROPERTIES.prodAccountIds,
      prodAccountId: ACCOUNTS_CONFIG_PROPERTIES.prodAccountId,
      handoffTopicName: {
        type: "string",
        minLength: 1,
        default: HANDOFF_TOPIC_DEFAULTS.handoffTopicName,
        description: "Name of the hand-off topic (components/names.ts NAMES.handoffTopic).",
      },
      handoffPublisherRoleNames: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: HANDOFF_TOPIC_DEFAULTS.handoffPublisherRoleNames,
        description: "Role names, in each prod account, that may publish hand-offs.",
      },
    },
  },
  validateStack: (args, reportViolation) => {
    const config = configWithDefaults(args, HANDOFF_TOPIC_DEFAULTS);
    const { prod } = programAccounts(args);
    const documents = handoffDocuments(args.resources, config.handoffTopicName);
    const publisherRoles = (arn: string): boolean => {
      const match = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(arn);
      return (
        match !== null &&
        !hasWildcard(arn) &&
        prod.includes(match[1]!) &&
        config.handoffPublisherRoleNames.includes(match[2]!)
      );
    };
    const roles = prod.flatMap((a) =>
      config.handoffPublisherRoleNames.map((n) => `arn:<partition>:iam::${a}:role/${n}`),
    );
    for (const { carrier, document } of documents) {
      if (isUnknown(document)) continue; // policy-documents-known-at-preview reports it
      if (prod.length === 0) {
        reportViolation(
          "Policy config prodAccountIds must be set for sns-handoff-topic-publishers to check the hand-off topic policy",
          carrier.urn,
        );
        continue;
      }
      for (const statement of parsePolicyDocument(document) ?? []) {
        if (statement.effect !== "Allow") continue;
        const subject = `${statement.label} of the hand-off topic policy`;
        const problems: string[] = [];
        if (statement.notPrincipals.length > 0) problems.push("it uses NotPrincipal");
        for (const principal of statement.principals) {
          const account = principalAccount(principal);
          const isRoot =
            principal.kind === "AWS" &&
            account !== undefined &&
            account !== "*" &&
            (principal.value === account || principal.value.endsWith(":root"));
          if (isRoot && prod.includes(account)) continue;
          if (principal.kind === "AWS" && publisherRoles(principal.value)) continue;
          problems.push(
            `it names ${describeWide(principal)}${principal.kind === "AWS" && !isEveryone(principal) ? ` (${principal.value})` : ""}`,
          );
        }
        const accountsNamed = statement.principals.some(
          (p) => p.kind === "AWS" && !publisherRoles(p.value),
        );
        if (
          accountsNamed &&
          !pins(statement, "aws:PrincipalArn", ARN_PINNING_OPERATORS, publisherRoles)
        ) {
          problems.push("it does not pin aws:PrincipalArn (ArnEquals) to those roles");
        }
        if (problems.length > 0) {
          reportViolation(
            `${subject} must let only the prod share and sweep roles publish (${roles.join(", ")}): ${problems.join("; ")}`,
            carrier.urn,
          );
        }
      }
    }
  },
};
