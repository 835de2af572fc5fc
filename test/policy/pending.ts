// What today's program still lacks of the shapes in the lead's DOCS-TARGET.md (issue 9, being
// built in components/). The lead removes each entry once the components build that shape; the
// tests below fail with "remove … from NEEDS_COMPONENT_CHANGES" as soon as an entry is obsolete,
// so nothing here outlives the change it waits for.

export interface PendingViolation {
  readonly policy: string;
  /** The resource's name (the last part of its URN). */
  readonly resource: string;
  readonly why: string;
}

export const NEEDS_COMPONENT_CHANGES: {
  readonly violations: readonly PendingViolation[];
  readonly mutations: readonly { readonly name: string; readonly why: string }[];
  readonly unknownAtPreview: readonly { readonly type: string; readonly name: string }[];
} = {
  violations: [
    {
      policy: "kms-vault-key-protected",
      resource: "vault",
      why: "vault key policy statements 1–6: no PutKeyPolicy Deny, no grants Deny, account statement still has PutKeyPolicy and unconditioned use",
    },
    ...["copy", "prod-sweep", "save", "failsafe-sweep"].map((resource) => ({
      policy: "iam-kms-grants-for-aws-resources",
      resource,
      why: "UseKeysThroughRdsForCopies lacks Bool kms:GrantIsForAWSResource true",
    })),
  ],
  mutations: [
    {
      name: "the break-glass Deny without kms:PutKeyPolicy",
      why: "today's vault Deny does not list kms:PutKeyPolicy",
    },
    {
      name: "kms:CreateGrant without the grant condition, in a function role",
      why: "today's role statements have no kms:GrantIsForAWSResource condition to drop",
    },
  ],
  unknownAtPreview: [
    ...["copy", "share", "prod-sweep", "save", "retention", "failsafe-sweep"].map((name) => ({
      type: "aws:iam/rolePolicy:RolePolicy",
      name,
    })),
    ...["copy", "share", "save", "retention"].map((name) => ({
      type: "aws:sqs/queuePolicy:QueuePolicy",
      name,
    })),
    { type: "aws:sns/topicPolicy:TopicPolicy", name: "handoff" },
  ],
};

export const nameOf = (urn: string): string => urn.split("::").pop() ?? urn;
export const typeOf = (urn: string): string => urn.split("::")[2]?.split("$").pop() ?? "";
