import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstances,
  paginateDescribeOrderableDBInstanceOptions,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  type RestoreDBClusterFromSnapshotCommandInput,
  type RestoreDBInstanceFromDBSnapshotCommandInput,
  type DBCluster,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import type { RestoredDatabase } from "./drill-plan";
import { errorCode, isNotFound } from "./errors";
import type { SnapshotKind } from "./naming";
import { fromTagList, toTagList, type Tags } from "./tags";

/** Where and how a restore is made (the drill settings, or the operator's restore options). */
export interface RestorePlacement {
  readonly subnetGroup?: string;
  readonly securityGroupIds?: readonly string[];
}

export interface RestoreRequest extends RestorePlacement {
  readonly kind: SnapshotKind;
  /** The new DB instance or DB cluster identifier. */
  readonly id: string;
  /** Snapshot identifier (same account). */
  readonly snapshotId: string;
  /** DB instances: the class (absent: the class the source had). Clusters: unused. */
  readonly instanceClass?: string;
  /** Clusters: RDS requires the engine (the copy's). */
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly tags: Tags;
  /** Drills: no automated backups (instances) / the minimum (clusters: 1 day, Aurora's floor). */
  readonly noBackups?: boolean;
}

export type RestoreCall =
  | {
      readonly operation: "RestoreDBInstanceFromDBSnapshot";
      readonly input: RestoreDBInstanceFromDBSnapshotCommandInput;
    }
  | {
      readonly operation: "RestoreDBClusterFromSnapshot";
      readonly input: RestoreDBClusterFromSnapshotCommandInput;
    };

/**
 * The exact RDS call a restore makes (the guided restore prints it in a dry run): never publicly
 * accessible, no deletion protection, no Multi-AZ standby, tags not copied to its snapshots; a
 * drill also without backups (instances: none; Aurora: its one-day floor). RDS takes the
 * snapshot's KMS key itself.
 */
export function restoreCall(request: RestoreRequest): RestoreCall {
  const placement = {
    ...(request.subnetGroup ? { DBSubnetGroupName: request.subnetGroup } : {}),
    ...(request.securityGroupIds?.length
      ? { VpcSecurityGroupIds: [...request.securityGroupIds] }
      : {}),
  };
  if (request.kind === "instance") {
    return {
      operation: "RestoreDBInstanceFromDBSnapshot",
      input: {
        DBInstanceIdentifier: request.id,
        DBSnapshotIdentifier: request.snapshotId,
        ...(request.instanceClass ? { DBInstanceClass: request.instanceClass } : {}),
        PubliclyAccessible: false,
        MultiAZ: false,
        DeletionProtection: false,
        CopyTagsToSnapshot: false,
        ...(request.noBackups ? { BackupRetentionPeriod: 0, AutoMinorVersionUpgrade: false } : {}),
        ...placement,
        Tags: toTagList(request.tags),
      },
    };
  }
  return {
    operation: "RestoreDBClusterFromSnapshot",
    input: {
      DBClusterIdentifier: request.id,
      SnapshotIdentifier: request.snapshotId,
      Engine: request.engine,
      EngineVersion: request.engineVersion,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      ...(request.noBackups ? { BackupRetentionPeriod: 1 } : {}),
      ...placement,
      Tags: toTagList(request.tags),
    },
  };
}

/**
 * The RDS calls on DB instances and clusters that drills and the guided restore make, for both
 * kinds; SnapshotInfo's counterpart for databases is RestoredDatabase.
 */
export class RdsDatabases {
  constructor(private readonly rds: RDSClient) {}

  /** Every DB instance that is not a cluster member, and every cluster, whose id starts with `prefix`. */
  async *list(prefix: string): AsyncGenerator<RestoredDatabase> {
    const members = new Map<string, DBInstance[]>();
    const instances: DBInstance[] = [];
    for await (const page of paginateDescribeDBInstances({ client: this.rds, pageSize: 100 }, {})) {
      for (const db of page.DBInstances ?? []) {
        if (db.DBClusterIdentifier) {
          const list = members.get(db.DBClusterIdentifier) ?? [];
          list.push(db);
          members.set(db.DBClusterIdentifier, list);
        } else if ((db.DBInstanceIdentifier ?? "").startsWith(prefix)) {
          instances.push(db);
        }
      }
    }
    yield* instances.map((db) => fromInstance(db));
    for await (const page of paginateDescribeDBClusters({ client: this.rds, pageSize: 100 }, {})) {
      for (const cluster of page.DBClusters ?? []) {
        if ((cluster.DBClusterIdentifier ?? "").startsWith(prefix)) {
          yield fromCluster(cluster, members.get(cluster.DBClusterIdentifier ?? "") ?? []);
        }
      }
    }
  }

  /** A DB instance (a cluster member is returned as its cluster when `asCluster`), or undefined. */
  async describeInstance(id: string): Promise<DBInstance | undefined> {
    try {
      const out = await this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      return out.DBInstances?.[0];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The database as a drill sees it: an instance, or a cluster with its member instances. */
  async describe(kind: SnapshotKind, id: string): Promise<RestoredDatabase | undefined> {
    if (kind === "instance") {
      const db = await this.describeInstance(id);
      return db ? fromInstance(db) : undefined;
    }
    let cluster: DBCluster | undefined;
    try {
      const out = await this.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
      cluster = out.DBClusters?.[0];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!cluster) return undefined;
    const members: DBInstance[] = [];
    for (const member of cluster.DBClusterMembers ?? []) {
      const db = member.DBInstanceIdentifier
        ? await this.describeInstance(member.DBInstanceIdentifier)
        : undefined;
      if (db) members.push(db);
    }
    return fromCluster(cluster, members);
  }

  /** Whether an identifier is taken by a DB instance (kind instance) or a DB cluster. */
  async exists(kind: SnapshotKind, id: string): Promise<boolean> {
    return (await this.describe(kind, id)) !== undefined;
  }

  /** Starts a restore; "exists" when the target identifier is taken (a repeated start). */
  async restore(request: RestoreRequest): Promise<"created" | "exists"> {
    const { operation, input } = restoreCall(request);
    try {
      if (operation === "RestoreDBInstanceFromDBSnapshot") {
        await this.rds.send(new RestoreDBInstanceFromDBSnapshotCommand(input));
      } else {
        await this.rds.send(new RestoreDBClusterFromSnapshotCommand(input));
      }
      return "created";
    } catch (err) {
      if (/^DB(Instance|Cluster)AlreadyExists$/.test(errorCode(err))) return "exists";
      throw err;
    }
  }

  /** The one DB instance of a restored cluster (RestoreDBClusterFromSnapshot restores none). */
  async createClusterInstance(args: {
    readonly id: string;
    readonly clusterId: string;
    readonly engine: string;
    readonly instanceClass: string;
    readonly tags: Tags;
  }): Promise<"created" | "exists"> {
    try {
      await this.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: args.id,
          DBClusterIdentifier: args.clusterId,
          Engine: args.engine,
          DBInstanceClass: args.instanceClass,
          PubliclyAccessible: false,
          AutoMinorVersionUpgrade: false,
          Tags: toTagList(args.tags),
        }),
      );
      return "created";
    } catch (err) {
      if (errorCode(err) === "DBInstanceAlreadyExists") return "exists";
      throw err;
    }
  }

  /** Deletes a DB instance with no final snapshot and its automated backups; "gone" if it was. */
  async deleteInstance(id: string): Promise<"deleted" | "gone"> {
    try {
      await this.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
      return "deleted";
    } catch (err) {
      // Already being deleted (a repeated delete) is done as far as we are concerned.
      if (isNotFound(err) || /already being deleted/i.test(String((err as Error).message))) {
        return "gone";
      }
      throw err;
    }
  }

  async deleteCluster(id: string): Promise<"deleted" | "gone"> {
    try {
      await this.rds.send(
        new DeleteDBClusterCommand({
          DBClusterIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
      return "deleted";
    } catch (err) {
      if (isNotFound(err)) return "gone";
      throw err;
    }
  }

  /** The DB instance classes RDS offers in a VPC for an engine and version (paginated). */
  async orderableClasses(engine: string, engineVersion: string | undefined): Promise<string[]> {
    const classes = new Set<string>();
    const pages = paginateDescribeOrderableDBInstanceOptions(
      { client: this.rds, pageSize: 1000 },
      { Engine: engine, EngineVersion: engineVersion, Vpc: true },
    );
    for await (const page of pages) {
      for (const option of page.OrderableDBInstanceOptions ?? []) {
        if (option.DBInstanceClass && option.Vpc !== false) classes.add(option.DBInstanceClass);
      }
    }
    return [...classes];
  }
}

export function fromInstance(db: DBInstance): RestoredDatabase {
  return {
    kind: "instance",
    id: db.DBInstanceIdentifier ?? "",
    arn: db.DBInstanceArn ?? "",
    status: db.DBInstanceStatus ?? "",
    engine: db.Engine,
    engineVersion: db.EngineVersion,
    allocatedStorage: db.AllocatedStorage,
    encrypted: db.StorageEncrypted ?? false,
    kmsKeyId: db.KmsKeyId,
    publiclyAccessible: db.PubliclyAccessible,
    tags: fromTagList(db.TagList),
    members: [],
  };
}

export function fromCluster(cluster: DBCluster, members: readonly DBInstance[]): RestoredDatabase {
  return {
    kind: "cluster",
    id: cluster.DBClusterIdentifier ?? "",
    arn: cluster.DBClusterArn ?? "",
    status: cluster.Status ?? "",
    engine: cluster.Engine,
    engineVersion: cluster.EngineVersion,
    allocatedStorage: cluster.AllocatedStorage,
    encrypted: cluster.StorageEncrypted ?? false,
    kmsKeyId: cluster.KmsKeyId,
    publiclyAccessible: members.some((m) => m.PubliclyAccessible === true),
    tags: fromTagList(cluster.TagList),
    members: members.map((m) => ({
      id: m.DBInstanceIdentifier ?? "",
      status: m.DBInstanceStatus ?? "",
      tags: fromTagList(m.TagList),
    })),
  };
}
