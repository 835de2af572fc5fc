// Required tags on every taggable AWS resource, wherever it is built (components, CallbackFunction).
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, decodeJson, isRecord, readKnown, UNKNOWN } from "./util";

export interface RequiredTagsConfig {
  requiredTags: string[];
}

export const REQUIRED_TAGS_DEFAULTS: RequiredTagsConfig = {
  // Application: what the resource belongs to (cost allocation, "what is this?" in the console).
  // ManagedBy: tells whoever finds it that hand edits will be reverted (or cause drift).
  // Stack: which of the two stacks (prod / failsafe) owns it, when both share one account.
  requiredTags: ["Application", "ManagedBy", "Stack"],
};

/**
 * Resource types this program creates (or CallbackFunction creates for it) whose `Args` in
 * @pulumi/aws 7.48 have a `tags` input. test/policy/tags.test.ts checks this list against the
 * installed typings. Types not listed still count as taggable when their inputs carry `tags`.
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  "aws:cloudwatch/eventBus:EventBus",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:iam/policy:Policy",
  "aws:iam/role:Role",
  "aws:kms/key:Key",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:lambda/function:Function",
  "aws:rds/clusterSnapshot:ClusterSnapshot",
  "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy",
  "aws:rds/snapshot:Snapshot",
  "aws:rds/snapshotCopy:SnapshotCopy",
  "aws:scheduler/scheduleGroup:ScheduleGroup",
  "aws:sns/topic:Topic",
  "aws:sqs/queue:Queue",
]);

/** Types without a `tags` input in @pulumi/aws 7.48 that the program uses (never flagged). */
export const UNTAGGABLE_TYPES: ReadonlySet<string> = new Set([
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:iam/policyAttachment:PolicyAttachment",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:kms/alias:Alias",
  "aws:kms/grant:Grant",
  "aws:lambda/permission:Permission",
  "aws:scheduler/schedule:Schedule",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:sqs/redrivePolicy:RedrivePolicy",
]);

export function isTaggable(type: string, props: Record<string, unknown>): boolean {
  if (!type.startsWith("aws:") || UNTAGGABLE_TYPES.has(type)) return false;
  return TAGGABLE_TYPES.has(type) || "tags" in props;
}

/** Tag keys with a non-empty value; an unknown value (preview) counts as present. */
function tagKeys(tags: unknown): Set<string> {
  const keys = new Set<string>();
  if (tags === UNKNOWN) return keys;
  const decoded = decodeJson(tags);
  if (!isRecord(decoded)) return keys;
  for (const key of Object.keys(decoded)) {
    const value = readKnown(() => decoded[key]);
    if (value === UNKNOWN || (typeof value === "string" && value !== "")) keys.add(key);
  }
  return keys;
}

/**
 * The tags AWS will put on the resource: its own `tags` merged with the provider's
 * `defaultTags.tags` (resource inputs do not include provider default tags; the provider's inputs
 * arrive JSON-encoded).
 */
export function effectiveTagKeys(args: Pick<ResourceValidationArgs, "props" | "provider">): {
  keys: Set<string>;
  unknown: boolean;
} {
  const own = "tags" in args.props ? readKnown(() => args.props["tags"] as unknown) : undefined;
  const keys = tagKeys(own);
  let unknown = own === UNKNOWN;
  if (args.provider && "defaultTags" in args.provider.props) {
    const raw = readKnown(() => args.provider!.props["defaultTags"] as unknown);
    if (raw === UNKNOWN) {
      unknown = true;
    } else {
      const defaults = decodeJson(raw);
      if (isRecord(defaults)) for (const key of tagKeys(defaults["tags"])) keys.add(key);
    }
  }
  return { keys, unknown };
}

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description:
    "Checks whether every taggable AWS resource carries the required tags, from its own tags or its provider's defaultTags.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      requiredTags: {
        type: "array",
        items: { type: "string", minLength: 1 },
        default: REQUIRED_TAGS_DEFAULTS.requiredTags,
        description: "Tag keys every taggable AWS resource must carry (case-sensitive).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    if (!isTaggable(args.type, args.props)) {
      args.notApplicable("Policy only applies to taggable AWS resources");
    }
    const { requiredTags: required } = configWithDefaults(args, REQUIRED_TAGS_DEFAULTS);
    const { keys, unknown } = effectiveTagKeys(args);
    // A whole tag map not known in a preview cannot be judged; the update run will.
    if (unknown && keys.size === 0) return;
    const missing = required.filter((key) => !keys.has(key));
    if (missing.length > 0) {
      reportViolation(
        `Resource must carry the required tag${missing.length > 1 ? "s" : ""} ${missing.map((k) => `"${k}"`).join(", ")} (in its tags or its provider's defaultTags)`,
      );
    }
  },
};
