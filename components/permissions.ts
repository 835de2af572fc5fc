import { TAG } from "../handlers/tags";
import type { Statement } from "./iam";
import { NAMES, regionArns, SNAPSHOT_PREFIX, type RegionArns } from "./names";

/**
 * The IAM statements of each function, one builder per function, from the handlers' actual calls.
 * Every resource is an ARN pattern of one account and region (in the region's partition);
 * snapshot writes are limited to `failsafe-*` names, deletes and attribute changes also to
 * snapshots tagged failsafe:managed=true (rds:snapshot-tag / rds:cluster-snapshot-tag condition
 * keys, "Actions, resources, and condition keys for Amazon RDS"), and tag writes to the
 * `failsafe:` keys. KMS rights are limited to use through RDS (or SNS) with kms:ViaService; grants
 * only for AWS resources, and only on the program's own keys (kms:ResourceAliases). Every value is
 * computed from config and fixed names, so the documents are known at preview time.
 */
export interface Accounts {
  readonly region: string;
  /** The prod account this statement set is for (copy side), or every prod account (save side). */
  readonly prod: readonly string[];
  readonly failsafe: string;
}

const snapshots = (arns: RegionArns, account: string, name: string) => [
  arns.rds(account, `snapshot:${name}`),
  arns.rds(account, `cluster-snapshot:${name}`),
];
const managed = (arns: RegionArns, account: string) =>
  snapshots(arns, account, `${SNAPSHOT_PREFIX}*`);
const managedTag = { StringEquals: { [`rds:snapshot-tag/${TAG.managed}`]: "true" } };
const managedClusterTag = { StringEquals: { [`rds:cluster-snapshot-tag/${TAG.managed}`]: "true" } };

/**
 * DescribeDBSnapshots / DescribeDBClusterSnapshots. Listing one database's snapshots (the
 * DBInstanceIdentifier / DBClusterIdentifier parameter) may be authorized against the db: /
 * cluster: ARN as well as the snapshot ARNs (the Service Authorization Reference lists both
 * resource types for these actions), so the databases of `dbAccount` are named too.
 */
function describeSnapshots(arns: RegionArns, resources: string[], dbAccount?: string): Statement {
  const databases = dbAccount
    ? [arns.rds(dbAccount, "db:*"), arns.rds(dbAccount, "cluster:*")]
    : [];
  return {
    Sid: "DescribeSnapshots",
    Effect: "Allow",
    Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
    Resource: [...resources, ...databases],
  };
}

/**
 * RDS creates a grant on the source and target keys of an encrypted copy (USER_CopySnapshot,
 * "Handling encryption"). Only grants for AWS resources, only through RDS. Keys of the function's
 * own account are pinned to the program's own by alias (kms:ResourceAliases: the key ids are not
 * known before the keys exist); keys of another account (prod's transit keys, for the save side)
 * are pinned by their own key policies, which give this account nothing on any other key — AWS
 * documents aliases as account-local, so the alias condition is not relied on across accounts.
 */
function useKeysThroughRds(
  arns: RegionArns,
  ownAccount: string,
  ownAliases: string[],
  otherAccounts: readonly string[] = [],
): Statement[] {
  const viaRds = { "kms:ViaService": arns.viaService("rds") };
  // Two statements per key scope: kms:GrantIsForAWSResource is present only in CreateGrant
  // requests ("AWS KMS condition keys"), so a DescribeKey under that condition would never be
  // allowed — RDS describes the keys of an encrypted copy on the caller's behalf.
  const pair = (
    sid: string,
    resource: string,
    condition: Record<string, Record<string, unknown>>,
    describeCondition = condition,
  ): Statement[] => [
    {
      Sid: sid,
      Effect: "Allow",
      Action: "kms:CreateGrant",
      Resource: resource,
      Condition: { ...condition, Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      Sid: sid.replace(/^Use/, "Describe"),
      Effect: "Allow",
      Action: "kms:DescribeKey",
      Resource: resource,
      Condition: describeCondition,
    },
  ];
  return [
    ...pair("UseOwnKeysThroughRdsForCopies", arns.keys(ownAccount), {
      StringEquals: viaRds,
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": ownAliases },
    }),
    // Any account's key ARN, narrowed to exactly the prod accounts (see prodResources).
    ...(otherAccounts.length > 0
      ? pair("UseProdTransitKeysThroughRdsForCopies", arns.keys("*"), {
          StringEquals: { ...viaRds, ...inAccounts(otherAccounts) },
        })
      : []),
  ];
}

/**
 * Resources of many prod accounts: one ARN pattern with `*` for the account, narrowed by
 * aws:ResourceAccount to exactly the listed accounts ("AWS global condition context keys"). One
 * ARN per account and resource type (2 snapshot types × 3 statements, ~290 characters per account)
 * put the failsafe sweep's role policy over IAM's 10,240-character limit for a role's inline
 * policies at about 26 prod accounts (19 with a DR region); this form costs ~45 characters per
 * account, so a failsafe account serves well over a hundred.
 */
const inAccounts = (accounts: readonly string[]) => ({ "aws:ResourceAccount": [...accounts] });

function publish(arns: RegionArns, topicArn: string, sid: string): Statement[] {
  const topicAccount = topicArn.split(":")[4] ?? "";
  return [
    { Sid: sid, Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
    {
      Sid: `${sid}Encrypted`,
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: arns.keys(topicAccount),
      Condition: { StringEquals: { "kms:ViaService": arns.viaService("sns") } },
    },
  ];
}

/** Tags on managed snapshots, and only the product's own `failsafe:` keys. */
function tagManaged(arns: RegionArns, account: string): Statement {
  return {
    Sid: "TagManagedCopies",
    Effect: "Allow",
    Action: "rds:AddTagsToResource",
    Resource: managed(arns, account),
    Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["failsafe:*"] } },
  };
}

function deleteManaged(arns: RegionArns, account: string): Statement[] {
  return [
    {
      Sid: "DeleteManagedSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBSnapshot",
      Resource: arns.rds(account, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedTag,
    },
    {
      Sid: "DeleteManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBClusterSnapshot",
      Resource: arns.rds(account, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedClusterTag,
    },
  ];
}

function prodAccount(a: Accounts): string {
  const [account, ...more] = a.prod;
  if (!account || more.length > 0) {
    throw new Error(`copy-side permissions need exactly one prod account, got ${a.prod.join(",")}`);
  }
  return account;
}

/** copy: read databases (with tags) and snapshots, copy automated → managed, tag the copy. */
export function copyStatements(a: Accounts): Statement[] {
  const arns = regionArns(a.region);
  const prod = prodAccount(a);
  return [
    {
      Sid: "ReadDatabases",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
      Resource: [arns.rds(prod, "db:*"), arns.rds(prod, "cluster:*")],
    },
    describeSnapshots(arns, snapshots(arns, prod, "*"), prod),
    {
      Sid: "CopyAutomatedToManaged",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [...snapshots(arns, prod, "rds:*"), ...managed(arns, prod)],
    },
    tagManaged(arns, prod),
    ...useKeysThroughRds(arns, prod, [NAMES.keyAlias.transit]),
  ];
}

/** share: read managed snapshots, add the failsafe account to `restore`, publish the hand-off. */
export function shareStatements(a: Accounts): Statement[] {
  const arns = regionArns(a.region);
  const prod = prodAccount(a);
  return [
    describeSnapshots(arns, managed(arns, prod)),
    {
      Sid: "ShareManagedSnapshots",
      Effect: "Allow",
      Action: "rds:ModifyDBSnapshotAttribute",
      Resource: arns.rds(prod, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedTag,
    },
    {
      Sid: "ShareManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:ModifyDBClusterSnapshotAttribute",
      Resource: arns.rds(prod, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedClusterTag,
    },
    ...publish(arns, arns.topic(a.failsafe, NAMES.handoffTopic), "PublishHandoff"),
  ];
}

/**
 * The sweeps publish the account's manual-snapshot quota (handlers/quota.ts).
 * rds:DescribeAccountAttributes has no resource type in the Service Authorization Reference, so
 * "*" is the only resource it can be granted on; it reads quotas only (the policy pack allows it).
 */
const READ_SNAPSHOT_QUOTA: Statement = {
  Sid: "ReadSnapshotQuota",
  Effect: "Allow",
  Action: "rds:DescribeAccountAttributes",
  Resource: "*",
};

/** prod sweep: everything copy and share do, plus reading share state and deleting old copies. */
export function prodSweepStatements(a: Accounts): Statement[] {
  const arns = regionArns(a.region);
  const prod = prodAccount(a);
  return merge([
    ...copyStatements(a),
    ...shareStatements(a),
    {
      Sid: "ReadShareState",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshotAttributes", "rds:DescribeDBClusterSnapshotAttributes"],
      Resource: managed(arns, prod),
    },
    ...deleteManaged(arns, prod),
    READ_SNAPSHOT_QUOTA,
  ]);
}

/**
 * save: read snapshots shared by the prod accounts and this account's copies (listed by database
 * identifier), copy them with the vault key, tag the copy, notify ops.
 */
export function saveStatements(a: Accounts): Statement[] {
  const arns = regionArns(a.region);
  // The managed snapshots the prod accounts share, wherever the account (narrowed below).
  const shared = managed(arns, "*");
  return [
    describeSnapshots(arns, snapshots(arns, a.failsafe, "*"), a.failsafe),
    {
      Sid: "DescribeSharedSnapshots",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
      Resource: shared,
      Condition: { StringEquals: inAccounts(a.prod) },
    },
    {
      // CopyDB(Cluster)Snapshot is authorized on the source and on the target snapshot.
      Sid: "CopySharedToVault",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: shared,
      Condition: { StringEquals: inAccounts(a.prod) },
    },
    {
      Sid: "CopyIntoVault",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: managed(arns, a.failsafe),
    },
    tagManaged(arns, a.failsafe),
    // Vault key (failsafe) to write the copy, transit keys (prod) to read the shared snapshot.
    ...useKeysThroughRds(arns, a.failsafe, [NAMES.keyAlias.vault], a.prod),
    ...publish(arns, arns.topic(a.failsafe, NAMES.opsTopic.save), "NotifyOps"),
  ];
}

/** retention: read this account's snapshots (by database identifier), delete managed ones. */
export function retentionStatements(a: Accounts): Statement[] {
  const arns = regionArns(a.region);
  return [
    describeSnapshots(arns, snapshots(arns, a.failsafe, "*"), a.failsafe),
    ...deleteManaged(arns, a.failsafe),
  ];
}

/**
 * failsafe sweep: save and retention together; it publishes (RPO breaches, re-created databases)
 * and tags (the breach mark) through the save statements.
 */
export function failsafeSweepStatements(a: Accounts): Statement[] {
  return merge([...saveStatements(a), ...retentionStatements(a), READ_SNAPSHOT_QUOTA]);
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

// --- restore drills (issue 12) ---

/** Where drill databases are placed (the subnet group names a resource in the statements). */
export interface DrillPlacement {
  /** DB subnet group of the drill databases; absent: the default VPC's `default` group. */
  readonly subnetGroup?: string;
}

const DRILL_TAG_KEY = "failsafe:drill";

/**
 * The groups a restore or an instance creation is authorized against (the Service Authorization
 * Reference lists og, pg, cluster-pg and subgrp as resource types of RestoreDBInstanceFromDBSnapshot,
 * RestoreDBClusterFromSnapshot and CreateDBInstance): RDS's default option and parameter groups,
 * as in AWS's own example policy ("Allow a user to create DB instances in an AWS account"), and
 * the configured subnet group or the default one.
 */
function drillGroups(arns: RegionArns, account: string, placement: DrillPlacement): string[] {
  return [
    arns.rds(account, "og:default*"),
    arns.rds(account, "pg:default*"),
    arns.rds(account, "cluster-pg:default*"),
    arns.rds(account, `subgrp:${placement.subnetGroup ?? "default"}`),
  ];
}

/**
 * drill-verify: read the drill databases and the copies, create a restored cluster's one instance
 * (tagged as a drill, never publicly accessible), record the result on the copy and on the drill
 * database, delete drill databases, tell ops. Deletes and tag changes of databases need the name
 * prefix AND the drill tag (rds:db-tag / rds:cluster-tag condition keys); tags written at creation
 * (RDS authorizes them as rds:AddTagsToResource too, "Grant permission to tag Amazon RDS resources
 * during creation") must carry the drill mark and only failsafe: keys.
 */
export function drillVerifyStatements(a: Accounts, placement: DrillPlacement): Statement[] {
  const arns = regionArns(a.region);
  const f = a.failsafe;
  const drillDb = arns.rds(f, `db:${SNAPSHOT_PREFIX}drill-*`);
  const drillCluster = arns.rds(f, `cluster:${SNAPSHOT_PREFIX}drill-*`);
  const failsafeKeys = { "ForAllValues:StringLike": { "aws:TagKeys": ["failsafe:*"] } };
  const marked = { StringEquals: { [`aws:RequestTag/${DRILL_TAG_KEY}`]: "true" } };
  return [
    {
      Sid: "ReadDrillDatabases",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances", "rds:DescribeDBClusters"],
      Resource: [arns.rds(f, "db:*"), arns.rds(f, "cluster:*")],
    },
    describeSnapshots(arns, snapshots(arns, f, "*"), f),
    tagManaged(arns, f),
    {
      Sid: "TagDrillInstances",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: drillDb,
      Condition: { StringEquals: { [`rds:db-tag/${DRILL_TAG_KEY}`]: "true" }, ...failsafeKeys },
    },
    {
      Sid: "TagDrillClusters",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: drillCluster,
      Condition: {
        StringEquals: { [`rds:cluster-tag/${DRILL_TAG_KEY}`]: "true" },
        ...failsafeKeys,
      },
    },
    {
      Sid: "TagDrillsOnCreate",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: [drillDb, drillCluster],
      Condition: { ...marked, ...failsafeKeys },
    },
    {
      Sid: "CreateDrillClusterInstance",
      Effect: "Allow",
      Action: "rds:CreateDBInstance",
      Resource: drillDb,
      Condition: { ...marked, Bool: { "rds:PubliclyAccessible": "false" } },
    },
    {
      Sid: "CreateInstancesInDrillClustersOnly",
      Effect: "Allow",
      Action: "rds:CreateDBInstance",
      Resource: drillCluster,
      Condition: { StringEquals: { [`rds:cluster-tag/${DRILL_TAG_KEY}`]: "true" } },
    },
    {
      Sid: "DrillDefaultGroups",
      Effect: "Allow",
      Action: "rds:CreateDBInstance",
      Resource: drillGroups(arns, f, placement),
    },
    {
      Sid: "DeleteDrillInstances",
      Effect: "Allow",
      Action: "rds:DeleteDBInstance",
      Resource: drillDb,
      Condition: { StringEquals: { [`rds:db-tag/${DRILL_TAG_KEY}`]: "true" } },
    },
    {
      Sid: "DeleteDrillClusters",
      Effect: "Allow",
      Action: "rds:DeleteDBCluster",
      Resource: drillCluster,
      Condition: { StringEquals: { [`rds:cluster-tag/${DRILL_TAG_KEY}`]: "true" } },
    },
    // Restoring (and adding an instance to) a vault-encrypted copy: RDS's grant on the vault key.
    ...useKeysThroughRds(arns, f, [NAMES.keyAlias.vault]),
    ...publish(arns, arns.topic(f, NAMES.opsTopic.save), "NotifyOps"),
  ];
}

/**
 * drill (the scheduled run): everything drill-verify does (it finishes drills whose events were
 * lost), plus restoring managed copies — and only those (failsafe-* named and tagged managed) —
 * into drill-named databases that carry the drill mark and are not publicly accessible, and
 * reading which instance classes RDS offers (DescribeOrderableDBInstanceOptions has no resource
 * type: "*" is the only resource AWS accepts for it).
 */
export function drillStatements(a: Accounts, placement: DrillPlacement): Statement[] {
  const arns = regionArns(a.region);
  const f = a.failsafe;
  const marked = { StringEquals: { [`aws:RequestTag/${DRILL_TAG_KEY}`]: "true" } };
  return merge([
    ...drillVerifyStatements(a, placement),
    {
      Sid: "RestoreIntoDrillInstances",
      Effect: "Allow",
      Action: "rds:RestoreDBInstanceFromDBSnapshot",
      Resource: arns.rds(f, `db:${SNAPSHOT_PREFIX}drill-*`),
      Condition: { ...marked, Bool: { "rds:PubliclyAccessible": "false" } },
    },
    {
      Sid: "RestoreIntoDrillClusters",
      Effect: "Allow",
      Action: "rds:RestoreDBClusterFromSnapshot",
      Resource: arns.rds(f, `cluster:${SNAPSHOT_PREFIX}drill-*`),
      Condition: marked,
    },
    {
      Sid: "RestoreFromManagedCopies",
      Effect: "Allow",
      Action: "rds:RestoreDBInstanceFromDBSnapshot",
      Resource: arns.rds(f, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedTag,
    },
    {
      Sid: "RestoreFromManagedClusterCopies",
      Effect: "Allow",
      Action: "rds:RestoreDBClusterFromSnapshot",
      Resource: arns.rds(f, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: managedClusterTag,
    },
    {
      Sid: "RestoreDefaultGroups",
      Effect: "Allow",
      Action: ["rds:RestoreDBInstanceFromDBSnapshot", "rds:RestoreDBClusterFromSnapshot"],
      Resource: drillGroups(arns, f, placement),
    },
    {
      Sid: "ReadOrderableInstanceClasses",
      Effect: "Allow",
      Action: "rds:DescribeOrderableDBInstanceOptions",
      Resource: "*",
    },
  ]);
}
// --- end restore drills ---
