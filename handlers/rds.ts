import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBSnapshotCommand,
  DescribeDBClusterSnapshotAttributesCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotAttributesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBSnapshot,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { isAlreadyExists, isNotFound } from "./errors";
import type { SnapshotKind } from "./naming";
import { fromTagList, toTagList, type Tags } from "./tags";

/** One DB snapshot or DB cluster snapshot, with the differences between the two APIs removed. */
export interface SnapshotInfo {
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly arn: string;
  /** DBInstanceIdentifier or DBClusterIdentifier of the database the snapshot was taken from. */
  readonly sourceId: string;
  readonly status: string;
  /** automated | manual | shared | … as RDS reports it. */
  readonly type: string;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly createTime: Date | undefined;
  /** When the data was captured: kept by RDS across copies for DB snapshots. */
  readonly originalCreateTime: Date | undefined;
  /**
   * The source database's immutable resource id (DbiResourceId / DbClusterResourceId), which RDS
   * reports on every snapshot and keeps across copies: the lineage. Unlike the identifier, a
   * re-created database never gets the same one.
   */
  readonly resourceId: string | undefined;
  readonly engine: string | undefined;
  readonly engineVersion: string | undefined;
  /** GiB. */
  readonly allocatedStorage: number | undefined;
  readonly tags: Tags;
  /**
   * Cluster snapshots: the snapshot this one was copied from (SourceDBClusterSnapshotArn, "if the
   * DB cluster snapshot was copied from a source DB cluster snapshot ... otherwise, a null
   * value"). It tells how old a copy's data is: RDS reports a copied cluster snapshot's own
   * creation time, and has no OriginalSnapshotCreateTime for clusters. (DB snapshots report their
   * source only for cross-account or cross-Region copies, and keep OriginalSnapshotCreateTime.)
   */
  readonly sourceSnapshotArn?: string;
}

export interface SourceInfo {
  readonly kind: SnapshotKind;
  readonly id: string;
  readonly arn: string;
  /** DbiResourceId / DbClusterResourceId: the lineage of the database's snapshots. */
  readonly resourceId: string | undefined;
  readonly createTime: Date | undefined;
  /** 0 means automated backups are off: there will be no automated snapshot to copy. */
  readonly backupRetentionPeriod: number | undefined;
  readonly engine: string | undefined;
  readonly tags: Tags;
  /** Set on the member instances of an Aurora cluster, whose backups are cluster snapshots. */
  readonly clusterId: string | undefined;
}

export type SnapshotListType = "automated" | "manual" | "shared";

export interface CopyRequest {
  readonly kind: SnapshotKind;
  /** Identifier (same account) or ARN (shared from another account). */
  readonly source: string;
  readonly target: string;
  readonly kmsKeyId: string | undefined;
  readonly tags: Tags;
}

/**
 * The RDS calls the handlers make, one method per operation, for both snapshot kinds. Keeping the
 * instance/cluster split here means each handler states its logic once.
 */
export class RdsSnapshots {
  constructor(private readonly rds: RDSClient) {}

  /** The snapshot, or undefined when RDS says it does not exist (or is not shared with us). */
  async describeSnapshot(
    kind: SnapshotKind,
    idOrArn: string,
    type?: SnapshotListType,
  ): Promise<SnapshotInfo | undefined> {
    // A snapshot shared from another account is only visible with IncludeShared/SnapshotType=shared.
    const shared = type === "shared" ? { SnapshotType: "shared", IncludeShared: true } : {};
    try {
      if (kind === "instance") {
        const out = await this.rds.send(
          new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: idOrArn, ...shared }),
        );
        const first = out.DBSnapshots?.[0];
        return first ? fromDbSnapshot(first) : undefined;
      }
      const out = await this.rds.send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: idOrArn, ...shared }),
      );
      const first = out.DBClusterSnapshots?.[0];
      return first ? fromClusterSnapshot(first) : undefined;
    } catch (err) {
      if (isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
  }

  /** All snapshots of a kind and type (paginated), optionally of one source database. */
  async *listSnapshots(
    kind: SnapshotKind,
    type: SnapshotListType,
    sourceId?: string,
  ): AsyncGenerator<SnapshotInfo> {
    const shared = type === "shared" ? { IncludeShared: true } : {};
    if (kind === "instance") {
      const pages = paginateDescribeDBSnapshots(
        { client: this.rds, pageSize: 100 },
        { SnapshotType: type, DBInstanceIdentifier: sourceId, ...shared },
      );
      for await (const page of pages) {
        yield* (page.DBSnapshots ?? []).map(fromDbSnapshot);
      }
      return;
    }
    const pages = paginateDescribeDBClusterSnapshots(
      { client: this.rds, pageSize: 100 },
      { SnapshotType: type, DBClusterIdentifier: sourceId, ...shared },
    );
    for await (const page of pages) {
      yield* (page.DBClusterSnapshots ?? []).map(fromClusterSnapshot);
    }
  }

  /** The database, with its tags (TagList comes with Describe*: no per-database tag call). */
  async describeSource(kind: SnapshotKind, id: string): Promise<SourceInfo | undefined> {
    try {
      if (kind === "instance") {
        const out = await this.rds.send(
          new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
        );
        const db = out.DBInstances?.[0];
        return db ? instanceSource(db) : undefined;
      }
      const out = await this.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
      const cluster = out.DBClusters?.[0];
      return cluster ? clusterSource(cluster) : undefined;
    } catch (err) {
      if (isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Every database of a kind, from one paginated Describe call per page: rds-snapshot-tool's
   * ListTagsForResource per database is what got it throttled (awslabs/rds-snapshot-tool#29).
   */
  async *listSources(kind: SnapshotKind): AsyncGenerator<SourceInfo> {
    if (kind === "instance") {
      for await (const page of paginateDescribeDBInstances(
        { client: this.rds, pageSize: 100 },
        {},
      )) {
        yield* (page.DBInstances ?? []).map(instanceSource);
      }
      return;
    }
    for await (const page of paginateDescribeDBClusters({ client: this.rds, pageSize: 100 }, {})) {
      yield* (page.DBClusters ?? []).map(clusterSource);
    }
  }

  /** Starts a copy. "created", or "exists" when the target is already there (idempotency). */
  async copy(request: CopyRequest): Promise<"created" | "exists"> {
    const Tags = toTagList(request.tags);
    try {
      if (request.kind === "instance") {
        await this.rds.send(
          new CopyDBSnapshotCommand({
            SourceDBSnapshotIdentifier: request.source,
            TargetDBSnapshotIdentifier: request.target,
            KmsKeyId: request.kmsKeyId,
            Tags,
          }),
        );
      } else {
        await this.rds.send(
          new CopyDBClusterSnapshotCommand({
            SourceDBClusterSnapshotIdentifier: request.source,
            TargetDBClusterSnapshotIdentifier: request.target,
            KmsKeyId: request.kmsKeyId,
            Tags,
          }),
        );
      }
      return "created";
    } catch (err) {
      if (isAlreadyExists(err)) {
        return "exists";
      }
      throw err;
    }
  }

  /** The accounts in the snapshot's `restore` attribute (who may copy or restore it). */
  async restoreAccounts(kind: SnapshotKind, id: string): Promise<string[]> {
    const attributes =
      kind === "instance"
        ? (
            await this.rds.send(
              new DescribeDBSnapshotAttributesCommand({ DBSnapshotIdentifier: id }),
            )
          ).DBSnapshotAttributesResult?.DBSnapshotAttributes
        : (
            await this.rds.send(
              new DescribeDBClusterSnapshotAttributesCommand({ DBClusterSnapshotIdentifier: id }),
            )
          ).DBClusterSnapshotAttributesResult?.DBClusterSnapshotAttributes;
    return (attributes ?? [])
      .filter((a) => a.AttributeName === "restore")
      .flatMap((a) => a.AttributeValues ?? []);
  }

  /** Adds one account to the snapshot's `restore` attribute. Adding it twice is harmless. */
  async shareWith(kind: SnapshotKind, id: string, account: string): Promise<void> {
    if (kind === "instance") {
      await this.rds.send(
        new ModifyDBSnapshotAttributeCommand({
          DBSnapshotIdentifier: id,
          AttributeName: "restore",
          ValuesToAdd: [account],
        }),
      );
      return;
    }
    await this.rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: id,
        AttributeName: "restore",
        ValuesToAdd: [account],
      }),
    );
  }

  /** Adds (or overwrites) tags on a resource by ARN. */
  async addTags(arn: string, tags: Tags): Promise<void> {
    await this.rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: toTagList(tags) }));
  }

  /** Deletes a snapshot; "gone" when it was already deleted (another sweep or event got there). */
  async delete(kind: SnapshotKind, id: string): Promise<"deleted" | "gone"> {
    try {
      if (kind === "instance") {
        await this.rds.send(new DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id }));
      } else {
        await this.rds.send(
          new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: id }),
        );
      }
      return "deleted";
    } catch (err) {
      if (isNotFound(err)) {
        return "gone";
      }
      throw err;
    }
  }
}

function fromDbSnapshot(s: DBSnapshot): SnapshotInfo {
  return {
    kind: "instance",
    id: s.DBSnapshotIdentifier ?? "",
    arn: s.DBSnapshotArn ?? "",
    sourceId: s.DBInstanceIdentifier ?? "",
    status: s.Status ?? "",
    type: s.SnapshotType ?? "",
    encrypted: s.Encrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    createTime: s.SnapshotCreateTime,
    originalCreateTime: s.OriginalSnapshotCreateTime ?? s.SnapshotCreateTime,
    resourceId: s.DbiResourceId || undefined,
    engine: s.Engine,
    engineVersion: s.EngineVersion,
    allocatedStorage: s.AllocatedStorage,
    tags: fromTagList(s.TagList),
  };
}

function fromClusterSnapshot(s: DBClusterSnapshot): SnapshotInfo {
  return {
    kind: "cluster",
    id: s.DBClusterSnapshotIdentifier ?? "",
    arn: s.DBClusterSnapshotArn ?? "",
    sourceId: s.DBClusterIdentifier ?? "",
    status: s.Status ?? "",
    type: s.SnapshotType ?? "",
    encrypted: s.StorageEncrypted ?? false,
    kmsKeyId: s.KmsKeyId,
    createTime: s.SnapshotCreateTime,
    // Cluster snapshots have no OriginalSnapshotCreateTime; the copies we make carry a source-time tag.
    originalCreateTime: s.SnapshotCreateTime,
    resourceId: s.DbClusterResourceId || undefined,
    engine: s.Engine,
    engineVersion: s.EngineVersion,
    allocatedStorage: s.AllocatedStorage,
    tags: fromTagList(s.TagList),
    ...(s.SourceDBClusterSnapshotArn ? { sourceSnapshotArn: s.SourceDBClusterSnapshotArn } : {}),
  };
}

function instanceSource(db: DBInstance): SourceInfo {
  return {
    kind: "instance",
    id: db.DBInstanceIdentifier ?? "",
    arn: db.DBInstanceArn ?? "",
    resourceId: db.DbiResourceId || undefined,
    createTime: db.InstanceCreateTime,
    backupRetentionPeriod: db.BackupRetentionPeriod,
    engine: db.Engine,
    tags: fromTagList(db.TagList),
    clusterId: db.DBClusterIdentifier,
  };
}

function clusterSource(c: DBCluster): SourceInfo {
  return {
    kind: "cluster",
    id: c.DBClusterIdentifier ?? "",
    arn: c.DBClusterArn ?? "",
    resourceId: c.DbClusterResourceId || undefined,
    createTime: c.ClusterCreateTime,
    backupRetentionPeriod: c.BackupRetentionPeriod,
    engine: c.Engine,
    tags: fromTagList(c.TagList),
    clusterId: undefined,
  };
}
