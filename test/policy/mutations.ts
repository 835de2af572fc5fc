// The threat model's weakenings (issue 10), as transformations of a recorded resource set. Each
// finds its target by structure — "the vault key's Deny that lists kms:ScheduleKeyDeletion", "the
// statement granting rds:DeleteDBSnapshot" — never by Sid or position, so the same mutation
// applies to today's program, to the lead's reworked one and to the target fixture
// (test/policy/target.ts). A mutation that finds no target throws: it never passes vacuously.
import type { MockResource } from "../../policy/run";

type Mutable = MockResource & {
  props: Record<string, unknown>;
  propertyDependencies?: Record<string, readonly string[]>;
};
export type Stmt = Record<string, unknown> & {
  Condition?: Record<string, Record<string, unknown>>;
};

export class TargetNotFound extends Error {}

const KEY = "aws:kms/key:Key";
const ALIAS = "aws:kms/alias:Alias";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";
const QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy";
export const SAVE_SIDE = "rds-failsafe:save:SaveSide";
const UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const list = (v: unknown): string[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as string[]) : [v as string];
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new TargetNotFound(`no ${what}`);
  return value;
}

export function statements(r: MockResource): Stmt[] {
  const doc = JSON.parse(String(r.props["policy"])) as { Statement: Stmt | Stmt[] };
  return Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
}

/** Rewrites a resource's `policy` document; `edit` changes the statements in place or returns new ones. */
export function editDocument(r: MockResource, edit: (s: Stmt[]) => Stmt[] | void): void {
  const doc = JSON.parse(String(r.props["policy"])) as { Statement: Stmt | Stmt[] };
  const current = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  doc.Statement = edit(current) ?? current;
  (r as Mutable).props["policy"] = JSON.stringify(doc);
}

export const allows = (s: Stmt, action: string) =>
  s["Effect"] !== "Deny" && list(s["Action"]).some((a) => same(a, action));
export const denies = (s: Stmt, action: string) =>
  s["Effect"] === "Deny" && list(s["Action"]).some((a) => same(a, action));

/** The `AWS` principals of a statement. */
export const awsPrincipals = (s: Stmt): string[] => {
  const p = s["Principal"];
  if (p === "*") return ["*"];
  return typeof p === "object" && p !== null ? list((p as Record<string, unknown>)["AWS"]) : [];
};
const accountOf = (arn: string) => /^arn:[^:]+:iam::(\d{12}):/.exec(arn)?.[1] ?? arn;

/** The key an alias points at: by the recorded dependency, else by key id. */
export function aliasedKey(resources: MockResource[], aliasName: string): MockResource {
  const alias = found(
    resources.find((r) => r.type === ALIAS && r.props["name"] === aliasName),
    `alias ${aliasName}`,
  );
  return found(
    resources.find(
      (r) =>
        r.type === KEY &&
        ((alias.propertyDependencies?.["targetKeyId"] ?? []).includes(r.urn) ||
          r.props["keyId"] === alias.props["targetKeyId"]),
    ),
    `key of ${aliasName}`,
  );
}
export const vaultKey = (r: MockResource[]) => aliasedKey(r, "alias/rds-failsafe-vault");
export const transitKey = (r: MockResource[]) => aliasedKey(r, "alias/rds-failsafe-transit");
export const failsafeMessagingKey = (r: MockResource[]) =>
  aliasedKey(r, "alias/rds-failsafe-messaging");

/** The account a key lives in, from its provider's allowedAccountIds. */
function ownAccount(key: MockResource): string {
  const raw = key.provider?.props["allowedAccountIds"];
  const ids = (typeof raw === "string" ? JSON.parse(raw) : raw) as string[] | undefined;
  return found(ids?.[0], `account of ${key.name}`);
}

/** The role policy of function `fn`: its `role` is the role named `fn` (a role's id is its name). */
export function functionRolePolicy(resources: MockResource[], fn: string): MockResource {
  const role = resources.find((r) => r.type === ROLE && r.props["name"] === fn);
  return found(
    resources.find(
      (r) =>
        r.type === ROLE_POLICY &&
        (r.props["role"] === fn ||
          (role !== undefined && (r.propertyDependencies?.["role"] ?? []).includes(role.urn))),
    ),
    `role policy of ${fn}`,
  );
}

/** The role policy that has a statement allowing `action`. */
export function rolePolicyAllowing(resources: MockResource[], action: string): MockResource {
  return found(
    resources.find((r) => r.type === ROLE_POLICY && statements(r).some((s) => allows(s, action))),
    `role policy allowing ${action}`,
  );
}

export function handoffTopicPolicy(resources: MockResource[]): MockResource {
  const isHandoff = (arn: unknown) =>
    typeof arn === "string" && arn.endsWith(":rds-failsafe-handoff");
  return found(
    resources.find(
      (r) =>
        r.type === TOPIC_POLICY &&
        (isHandoff(r.props["arn"]) ||
          statements(r).some((s) => list(s["Resource"]).some(isHandoff))),
    ),
    "hand-off topic policy",
  );
}

export const aQueuePolicy = (resources: MockResource[]) =>
  found(
    resources.find((r) => r.type === QUEUE_POLICY),
    "queue policy",
  );

/** Statements matching `pick`, at least one. */
function pickAll(s: Stmt[], pick: (s: Stmt) => boolean, what: string): Stmt[] {
  const picked = s.filter(pick);
  if (picked.length === 0) throw new TargetNotFound(`no statement ${what}`);
  return picked;
}

/** Removes condition key `key` (any operator); throws when no statement had it. */
function dropConditionKey(s: Stmt, key: string): void {
  let dropped = false;
  for (const [operator, clauses] of Object.entries(s.Condition ?? {})) {
    for (const k of Object.keys(clauses)) {
      if (same(k, key)) {
        delete clauses[k];
        dropped = true;
      }
    }
    if (Object.keys(clauses).length === 0) delete s.Condition![operator];
  }
  if (s.Condition && Object.keys(s.Condition).length === 0) delete s.Condition;
  if (!dropped) throw new TargetNotFound(`no ${key} condition`);
}

/** `arn:…:snapshot:failsafe-*` → `arn:…:snapshot:*` (every snapshot of that account). */
const everySnapshot = (arn: string) => arn.replace(/:(snapshot|cluster-snapshot):.*$/, ":$1:*");

const notOwn = (key: MockResource) => (s: Stmt) =>
  s["Effect"] !== "Deny" &&
  awsPrincipals(s).some((p) => p !== "*" && accountOf(p) !== ownAccount(key));

export interface Mutation {
  readonly name: string;
  /** Changes `resources` in place; returns the resource the violation must name. */
  readonly apply: (resources: MockResource[]) => MockResource;
  /** Every one of these policies must report a new mandatory violation for that resource. */
  readonly policies: readonly string[];
  /** Which evaluation it applies to: the deployed view (default) or a preview. */
  readonly view?: "update" | "preview";
}

export const MUTATIONS: readonly Mutation[] = [
  // The six weakenings of the audit (issue 10).
  {
    name: "the failsafe account given kms:* on the transit key, with no condition",
    apply: (r) => {
      const key = transitKey(r);
      editDocument(key, (s) => {
        const target = pickAll(s, notOwn(key), "naming another account")[0]!;
        target["Action"] = "kms:*";
        delete target.Condition;
      });
      return key;
    },
    policies: ["kms-key-policy-no-wildcards", "kms-key-cross-account-through-rds"],
  },
  {
    name: "the vault key's destructive-action Deny removed, and the account statement no longer excluding those actions",
    apply: (r) => {
      const key = vaultKey(r);
      editDocument(key, (s) => {
        pickAll(s, (x) => denies(x, "kms:ScheduleKeyDeletion"), "denying kms:ScheduleKeyDeletion");
        const account = pickAll(
          s,
          (x) =>
            x["Effect"] !== "Deny" &&
            x.Condition === undefined &&
            awsPrincipals(x).some((p) => p.endsWith(":root")),
          "of the account without conditions",
        )[0]!;
        account["Action"] = [
          ...list(account["Action"]),
          "kms:ScheduleKeyDeletion",
          "kms:DisableKey",
          "kms:PutKeyPolicy",
        ];
        return s.filter((x) => !denies(x, "kms:ScheduleKeyDeletion"));
      });
      return key;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "kms:Decrypt, kms:PutKeyPolicy and kms:ScheduleKeyDeletion added to a function role, and kms:ViaService dropped",
    apply: (r) => {
      const policy = functionRolePolicy(r, "rds-failsafe-save");
      editDocument(policy, (s) => {
        const target = pickAll(
          s,
          (x) => allows(x, "kms:CreateGrant"),
          "allowing kms:CreateGrant",
        )[0]!;
        target["Action"] = [
          ...list(target["Action"]),
          "kms:Decrypt",
          "kms:PutKeyPolicy",
          "kms:ScheduleKeyDeletion",
        ];
        dropConditionKey(target, "kms:ViaService");
      });
      return policy;
    },
    policies: ["iam-no-kms-administration", "iam-kms-use-through-services"],
  },
  {
    name: "rds:DeleteDBSnapshot without the managed-tag condition",
    apply: (r) => {
      const policy = rolePolicyAllowing(r, "rds:DeleteDBSnapshot");
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "rds:DeleteDBSnapshot"), "deleting")) {
          dropConditionKey(x, "rds:snapshot-tag/failsafe:managed");
        }
      });
      return policy;
    },
    policies: ["rds-snapshot-writes-managed"],
  },
  {
    name: 'an SQS queue policy with Principal "*" and sqs:*',
    apply: (r) => {
      const policy = aQueuePolicy(r);
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "sqs:SendMessage"), "sending")) {
          x["Principal"] = "*";
          x["Action"] = "sqs:*";
        }
      });
      return policy;
    },
    policies: ["sns-sqs-policy-actions-limited"],
  },
  {
    name: 'the hand-off topic policy opened to {AWS: "*"} with sns:* and no condition',
    apply: (r) => {
      const policy = handoffTopicPolicy(r);
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "sns:Publish"), "publishing")) {
          x["Principal"] = { AWS: "*" };
          x["Action"] = "sns:*";
          delete x.Condition;
        }
      });
      return policy;
    },
    policies: [
      "sns-handoff-topic-publishers",
      "sns-sqs-policy-principals-narrowed",
      "sns-sqs-policy-actions-limited",
    ],
  },
  // The further weakenings.
  {
    name: "the break-glass Deny without kms:PutKeyPolicy",
    apply: (r) => {
      const key = vaultKey(r);
      editDocument(key, (s) => {
        const deny = pickAll(
          s,
          (x) => denies(x, "kms:ScheduleKeyDeletion") && denies(x, "kms:PutKeyPolicy"),
          "denying kms:ScheduleKeyDeletion and kms:PutKeyPolicy",
        );
        for (const x of deny) {
          x["Action"] = list(x["Action"]).filter((a) => !same(a, "kms:PutKeyPolicy"));
        }
      });
      return key;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "a queue policy without aws:SourceArn",
    apply: (r) => {
      const policy = aQueuePolicy(r);
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "sqs:SendMessage"), "sending")) {
          dropConditionKey(x, "aws:SourceArn");
        }
      });
      return policy;
    },
    policies: ["sns-sqs-policy-principals-narrowed"],
  },
  {
    name: "a share statement on snapshot:*",
    apply: (r) => {
      const policy = rolePolicyAllowing(r, "rds:ModifyDBSnapshotAttribute");
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "rds:ModifyDBSnapshotAttribute"), "sharing")) {
          x["Resource"] = list(x["Resource"]).map(everySnapshot);
        }
      });
      return policy;
    },
    policies: ["rds-snapshot-attribute-scoped", "rds-snapshot-writes-managed"],
  },
  {
    name: "a function role with rds:DeleteDBSnapshot on every snapshot",
    apply: (r) => {
      const policy = rolePolicyAllowing(r, "rds:DeleteDBSnapshot");
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "rds:DeleteDBSnapshot"), "deleting")) {
          x["Resource"] = list(x["Resource"]).map(everySnapshot);
        }
      });
      return policy;
    },
    policies: ["rds-snapshot-writes-managed"],
  },
  {
    name: "kms:CreateGrant without the grant condition, in a function role",
    apply: (r) => {
      const policy = rolePolicyAllowing(r, "kms:CreateGrant");
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "kms:CreateGrant"), "granting")) {
          dropConditionKey(x, "kms:GrantIsForAWSResource");
        }
      });
      return policy;
    },
    policies: ["iam-kms-grants-for-aws-resources"],
  },
  {
    name: "kms:CreateGrant without the grant condition, for the failsafe account on the transit key",
    apply: (r) => {
      const key = transitKey(r);
      editDocument(key, (s) => {
        const grants = pickAll(
          s,
          (x) => notOwn(key)(x) && allows(x, "kms:CreateGrant"),
          "letting another account grant",
        );
        for (const x of grants) dropConditionKey(x, "kms:GrantIsForAWSResource");
      });
      return key;
    },
    policies: ["kms-key-cross-account-through-rds"],
  },
  // More ways to weaken what each new policy guards.
  {
    name: "the vault key's Deny exempting a second principal",
    apply: (r) => {
      const key = vaultKey(r);
      editDocument(key, (s) => {
        for (const x of pickAll(s, (y) => denies(y, "kms:ScheduleKeyDeletion"), "denying")) {
          const clause = found(x.Condition?.["ArnNotEquals"], "ArnNotEquals condition");
          clause["aws:PrincipalArn"] = [
            ...list(clause["aws:PrincipalArn"]),
            "arn:aws:iam::222222222222:role/attacker",
          ];
        }
      });
      return key;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "the vault key's Deny narrowed to one region by an added condition",
    apply: (r) => {
      const key = vaultKey(r);
      editDocument(key, (s) => {
        for (const x of pickAll(s, (y) => denies(y, "kms:ScheduleKeyDeletion"), "denying")) {
          x.Condition = { ...x.Condition, StringEquals: { "aws:RequestedRegion": "us-east-1" } };
        }
      });
      return key;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "the vault alias re-pointed at a new key without the Deny",
    apply: (r) => {
      const old = vaultKey(r);
      const alias = r.find(
        (x) => x.type === ALIAS && x.props["name"] === "alias/rds-failsafe-vault",
      )!;
      // A new key outside the save side: only the alias makes it the vault key.
      const stack = old.urn.split("::").slice(0, 2).join("::");
      const urn = `${stack}::aws:kms/key:Key::vault-2`;
      const fresh = structuredClone(old) as Mutable;
      Object.assign(fresh, { name: "vault-2", urn, parent: undefined });
      fresh.props["keyId"] = "new-vault-key";
      editDocument(fresh, (s) => s.filter((x) => x["Effect"] !== "Deny"));
      r.push(fresh);
      (alias as Mutable).props["targetKeyId"] = "new-vault-key";
      (alias as Mutable).propertyDependencies = { targetKeyId: [urn] };
      return fresh;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "an aws.kms.KeyPolicy replacing the vault key's policy with one without the Deny",
    apply: (r) => {
      const key = vaultKey(r);
      const replacement: Mutable = {
        type: "aws:kms/keyPolicy:KeyPolicy",
        name: "vault-override",
        urn: key.urn.replace(
          /aws:kms\/key:Key::[^:]+$/,
          "aws:kms/keyPolicy:KeyPolicy::vault-override",
        ),
        props: { keyId: key.props["keyId"], policy: key.props["policy"] },
        propertyDependencies: { keyId: [key.urn] },
        ...(key.provider ? { provider: key.provider } : {}),
        ...(key.parent ? { parent: key.parent } : {}),
      };
      editDocument(replacement, (s) => s.filter((x) => x["Effect"] !== "Deny"));
      r.push(replacement);
      return replacement;
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "the vault alias removed",
    apply: (r) => {
      vaultKey(r);
      const index = r.findIndex(
        (x) => x.type === ALIAS && x.props["name"] === "alias/rds-failsafe-vault",
      );
      r.splice(index, 1);
      return found(
        r.find((x) => x.type === SAVE_SIDE),
        "save side",
      );
    },
    policies: ["kms-vault-key-protected"],
  },
  {
    name: "the transit key's cross-account statement pinned to another caller account",
    apply: (r) => {
      const key = transitKey(r);
      editDocument(key, (s) => {
        for (const x of pickAll(s, notOwn(key), "naming another account")) {
          const clause = found(x.Condition?.["StringEquals"], "StringEquals condition");
          clause["kms:CallerAccount"] = "999999999999";
        }
      });
      return key;
    },
    policies: ["kms-key-cross-account-through-rds"],
  },
  {
    name: "the failsafe messaging key's SNS statement opened to every role of the prod accounts",
    apply: (r) => {
      const key = failsafeMessagingKey(r);
      editDocument(key, (s) => {
        for (const x of pickAll(s, notOwn(key), "naming another account")) {
          const clause = found(x.Condition?.["ArnEquals"], "ArnEquals condition");
          clause["aws:PrincipalArn"] = list(clause["aws:PrincipalArn"]).map((arn) =>
            arn.replace(/:role\/.*$/, ":role/*"),
          );
        }
      });
      return key;
    },
    policies: ["kms-key-cross-account-through-rds"],
  },
  {
    name: "the hand-off topic policy letting one more prod role publish",
    apply: (r) => {
      const policy = handoffTopicPolicy(r);
      editDocument(policy, (s) => {
        for (const x of pickAll(s, (y) => allows(y, "sns:Publish"), "publishing")) {
          const clause = found(x.Condition?.["ArnEquals"], "ArnEquals condition");
          const roles = list(clause["aws:PrincipalArn"]);
          clause["aws:PrincipalArn"] = [...roles, roles[0]!.replace(/role\/.*$/, "role/admin")];
        }
      });
      return policy;
    },
    policies: ["sns-handoff-topic-publishers"],
  },
  {
    name: "a function role given a further kms:CreateGrant statement without conditions",
    apply: (r) => {
      const policy = functionRolePolicy(r, "rds-failsafe-copy");
      editDocument(policy, (s) => [
        ...s,
        {
          Sid: "GrantAnything",
          Effect: "Allow",
          Action: "kms:CreateGrant",
          Resource: "arn:aws:kms:eu-west-1:111111111111:key/*",
        },
      ]);
      return policy;
    },
    policies: ["iam-kms-grants-for-aws-resources", "iam-kms-use-through-services"],
  },
  {
    name: "the transit key's policy built from a resource output (unknown during preview)",
    view: "preview",
    apply: (r) => {
      const key = transitKey(r);
      (key as Mutable).props["policy"] = UNKNOWN_SENTINEL;
      return key;
    },
    policies: ["policy-documents-known-at-preview"],
  },
];
