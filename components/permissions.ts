import type * as pulumi from "@pulumi/pulumi";
import { TAG } from "../handlers/tags";
import type { Statement } from "./iam";
import { accountKeys, rdsArn, SNAPSHOT_PREFIX } from "./names";

/**
 * The IAM statements of each function, one builder per function, from the handlers' actual calls.
 * Every resource is an ARN pattern of one account and region; snapshot writes are limited to
 * `failsafe-*` names, and deletes and attribute changes also to snapshots tagged
 * failsafe:managed=true (rds:snapshot-tag / rds:cluster-snapshot-tag condition keys, "Actions,
 * resources, and condition keys for Amazon RDS"). KMS rights are limited to use through RDS (or SNS)
 * with kms:ViaService; the key policies decide which keys.
 */
export interface Accounts {
  readonly region: string;
  readonly prod: string;
  readonly failsafe: string;
}

const snapshots = (a: Accounts, account: string, name: string) => [
  rdsArn(a.region, account, `snapshot:${name}`),
  rdsArn(a.region, account, `cluster-snapshot:${name}`),
];
const managed = (a: Accounts, account: string) => snapshots(a, account, `${SNAPSHOT_PREFIX}*`);
const managedTag = {
  StringEquals: {
    [`rds:snapshot-tag/${TAG.managed}`]: "true",
  },
};
const managedClusterTag = {
  StringEquals: {
    [`rds:cluster-snapshot-tag/${TAG.managed}`]: "true",
  },
};

function describeSnapshots(resources: string[]): Statement {
  return {
    Sid: "DescribeSnapshots",
    Effect: "Allow",
    Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
    Resource: resources,
  };
}

function useKeysThroughRds(a: Accounts, accounts: string[]): Statement {
  return {
    Sid: "UseKeysThroughRdsForCopies",
    Effect: "Allow",
    Action: ["kms:CreateGrant", "kms:DescribeKey"],
    Resource: accounts.map((account) => accountKeys(a.region, account)),
    Condition: { StringEquals: { "kms:ViaService": `rds.${a.region}.amazonaws.com` } },
  };
}

function publish(
  a: Accounts,
  topicArn: pulumi.Input<string>,
  topicAccount: string,
  sid: string,
): Statement[] {
  return [
    { Sid: sid, Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
    {
      Sid: `${sid}Encrypted`,
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: accountKeys(a.region, topicAccount),
      Condition: { StringEquals: { "kms:ViaService": `sns.${a.region}.amazonaws.com` } },
    },
  ];
}

function deleteManaged(a: Accounts, account: string): Statement[] {
  return [
    {
      Sid: "DeleteManagedSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBSnapshot",
      Resource: rdsArn(a.region, account, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedTag,
    },
    {
      Sid: "DeleteManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBClusterSnapshot",
      Resource: rdsArn(a.region, account, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedClusterTag,
    },
  ];
}

/** copy: read databases (with tags) and snapshots, copy automated → managed, tag the copy. */
export function copyStatements(a: Accounts): Statement[] {
  return [
    {
      Sid: "ReadDatabases",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
      Resource: [rdsArn(a.region, a.prod, "db:*"), rdsArn(a.region, a.prod, "cluster:*")],
    },
    describeSnapshots(snapshots(a, a.prod, "*")),
    {
      Sid: "CopyAutomatedToManaged",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [...snapshots(a, a.prod, "rds:*"), ...managed(a, a.prod)],
    },
    {
      Sid: "TagManagedCopies",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: managed(a, a.prod),
    },
    useKeysThroughRds(a, [a.prod]),
  ];
}

/** share: read managed snapshots, add the failsafe account to `restore`, publish the hand-off. */
export function shareStatements(a: Accounts, handoffTopicArn: pulumi.Input<string>): Statement[] {
  return [
    describeSnapshots(managed(a, a.prod)),
    {
      Sid: "ShareManagedSnapshots",
      Effect: "Allow",
      Action: "rds:ModifyDBSnapshotAttribute",
      Resource: rdsArn(a.region, a.prod, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedTag,
    },
    {
      Sid: "ShareManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:ModifyDBClusterSnapshotAttribute",
      Resource: rdsArn(a.region, a.prod, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedClusterTag,
    },
    ...publish(a, handoffTopicArn, a.failsafe, "PublishHandoff"),
  ];
}

/** prod sweep: everything copy and share do, plus reading share state and deleting old copies. */
export function prodSweepStatements(
  a: Accounts,
  handoffTopicArn: pulumi.Input<string>,
): Statement[] {
  return merge([
    ...copyStatements(a),
    ...shareStatements(a, handoffTopicArn),
    {
      Sid: "ReadShareState",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes"],
      Resource: managed(a, a.prod),
    },
    ...deleteManaged(a, a.prod),
  ]);
}

/** save: read snapshots shared by prod, copy them with the vault key, tag the copy, notify ops. */
export function saveStatements(a: Accounts, opsTopicArn: pulumi.Input<string>): Statement[] {
  return [
    describeSnapshots([...managed(a, a.prod), ...snapshots(a, a.failsafe, "*")]),
    {
      Sid: "CopySharedToVault",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [...managed(a, a.prod), ...managed(a, a.failsafe)],
    },
    {
      Sid: "TagManagedCopies",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: managed(a, a.failsafe),
    },
    // Transit key (prod) to read the shared snapshot, vault key (failsafe) to write the copy.
    useKeysThroughRds(a, [a.prod, a.failsafe]),
    ...publish(a, opsTopicArn, a.failsafe, "NotifyOps"),
  ];
}

/** retention: read this account's snapshots, delete managed ones. */
export function retentionStatements(a: Accounts): Statement[] {
  return [describeSnapshots(snapshots(a, a.failsafe, "*")), ...deleteManaged(a, a.failsafe)];
}

/** failsafe sweep: save and retention together. */
export function failsafeSweepStatements(
  a: Accounts,
  opsTopicArn: pulumi.Input<string>,
): Statement[] {
  return merge([...saveStatements(a, opsTopicArn), ...retentionStatements(a)]);
}

/** Drops statements repeated by composition (same Sid): the first one is the widest. */
function merge(statements: Statement[]): Statement[] {
  const seen = new Map<string, Statement>();
  for (const s of statements) {
    const key = s.Sid ?? JSON.stringify(s);
    const existing = seen.get(key);
    if (!existing) {
      seen.set(key, s);
    } else if (s.Sid === "DescribeSnapshots") {
      // Union of the resources both builders need.
      const union = [...toArray(existing.Resource), ...toArray(s.Resource)];
      seen.set(key, { ...existing, Resource: [...new Set(union)] });
    }
  }
  return [...seen.values()];
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
