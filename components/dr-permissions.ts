import { TAG } from "../handlers/tags";
import type { Statement } from "./iam";
import { NAMES, regionArns, SNAPSHOT_PREFIX, type RegionArns } from "./names";

/**
 * The IAM statements of the DR region (components/dr-region.ts): what dr-copy, retention and the
 * failsafe sweep do there. Plain code, so the stack config check can size them (limits.ts).
 */
export interface DrAccounts {
  /** The stacks' (primary) region. */
  readonly region: string;
  readonly drRegion: string;
  readonly failsafe: string;
}

const managed = (arns: RegionArns, account: string) => [
  arns.rds(account, `snapshot:${SNAPSHOT_PREFIX}*`),
  arns.rds(account, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
];

/**
 * The vault keys of both regions, each only through RDS in its own region and pinned by alias:
 * RDS makes grants on the source key (in the source region, through the pre-signed request) and
 * on the destination key (USER_CopySnapshot, "Handling encryption").
 */
function vaultKeysThroughRds(a: DrAccounts): Statement[] {
  return [a.region, a.drRegion].flatMap((region, i) => {
    const arns = regionArns(region);
    const sid = i === 0 ? "VaultKeyThroughRds" : "DrVaultKeyThroughRds";
    const condition = {
      StringEquals: { "kms:ViaService": arns.viaService("rds") },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": [NAMES.keyAlias.vault] },
    };
    // kms:GrantIsForAWSResource is only in CreateGrant requests: DescribeKey apart.
    return [
      {
        Sid: `DrUse${sid}`,
        Effect: "Allow" as const,
        Action: "kms:CreateGrant",
        Resource: arns.keys(a.failsafe),
        Condition: { ...condition, Bool: { "kms:GrantIsForAWSResource": "true" } },
      },
      {
        Sid: `DrDescribe${sid}`,
        Effect: "Allow" as const,
        Action: "kms:DescribeKey",
        Resource: arns.keys(a.failsafe),
        Condition: condition,
      },
    ];
  });
}

/**
 * dr-copy: read the primary copy, copy it (source in the primary region, target in the DR region;
 * CopyDB(Cluster)Snapshot is authorized on both), tag the DR copy with failsafe: keys only.
 */
export function drCopyStatements(a: DrAccounts): Statement[] {
  const primary = regionArns(a.region);
  const dr = regionArns(a.drRegion);
  return [
    {
      Sid: "DrReadPrimaryCopies",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
      Resource: managed(primary, a.failsafe),
    },
    {
      Sid: "DrCopyToDrRegion",
      Effect: "Allow",
      Action: ["rds:CopyDBSnapshot", "rds:CopyDBClusterSnapshot"],
      Resource: [...managed(primary, a.failsafe), ...managed(dr, a.failsafe)],
    },
    {
      Sid: "DrTagDrCopies",
      Effect: "Allow",
      Action: "rds:AddTagsToResource",
      Resource: managed(dr, a.failsafe),
      Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["failsafe:*"] } },
    },
    ...vaultKeysThroughRds(a),
  ];
}

/** retention (and the sweep): list the DR region's snapshots, delete managed DR copies. */
export function drRetentionStatements(a: DrAccounts): Statement[] {
  const dr = regionArns(a.drRegion);
  const f = a.failsafe;
  return [
    {
      Sid: "DrDescribeSnapshots",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots"],
      Resource: [
        dr.rds(f, "snapshot:*"),
        dr.rds(f, "cluster-snapshot:*"),
        dr.rds(f, "db:*"),
        dr.rds(f, "cluster:*"),
      ],
    },
    {
      Sid: "DrDeleteManagedSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBSnapshot",
      Resource: dr.rds(f, `snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: { StringEquals: { [`rds:snapshot-tag/${TAG.managed}`]: "true" } },
    },
    {
      Sid: "DrDeleteManagedClusterSnapshots",
      Effect: "Allow",
      Action: "rds:DeleteDBClusterSnapshot",
      Resource: dr.rds(f, `cluster-snapshot:${SNAPSHOT_PREFIX}*`),
      Condition: { StringEquals: { [`rds:cluster-snapshot-tag/${TAG.managed}`]: "true" } },
    },
  ];
}

/** The failsafe sweep in the DR region: what dr-copy and retention do there (it tags breaches). */
export function drSweepStatements(a: DrAccounts): Statement[] {
  return [...drCopyStatements(a), ...drRetentionStatements(a)];
}
