import { strict as assert } from "node:assert";
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import { errorCode } from "../handlers/errors";
import { accountClients, FAILSAFE_ACCOUNT, resetEmulator, setEmulatorLimits } from "./harness";

/**
 * Emulator extension 14 (test/emulator/EXTENSIONS.md): restores as the RDS API reference
 * documents them. Each case fails against a stock moto 5.2.5 server
 * (MOTO_ENDPOINT=http://127.0.0.1:<port> npx mocha test/emulator-restores.test.ts).
 */
describe("emulator extension 14: restores", function () {
  this.timeout(60_000);
  const db = {
    Engine: "postgres",
    DBInstanceClass: "db.t3.micro",
    AllocatedStorage: 20,
    MasterUsername: "app",
    MasterUserPassword: "not-a-secret-1",
  };

  beforeEach(async () => {
    await resetEmulator();
  });
  afterEach(async () => {
    await setEmulatorLimits({});
  });

  async function snapshotOfProtectedDb() {
    const { rds } = await accountClients(FAILSAFE_ACCOUNT);
    await rds.send(
      new CreateDBInstanceCommand({
        ...db,
        DBInstanceIdentifier: "source",
        BackupRetentionPeriod: 7,
        DeletionProtection: true,
        PubliclyAccessible: true,
        MultiAZ: true,
      }),
    );
    await rds.send(
      new CreateDBSnapshotCommand({ DBInstanceIdentifier: "source", DBSnapshotIdentifier: "snap" }),
    );
    return rds;
  }

  it("applies false and 0 as given (moto kept the source's settings)", async () => {
    const rds = await snapshotOfProtectedDb();
    await rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: "restored",
        DBSnapshotIdentifier: "snap",
        BackupRetentionPeriod: 0,
        DeletionProtection: false,
        PubliclyAccessible: false,
        MultiAZ: false,
      }),
    );
    const out = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: "restored" }),
    );
    const restored = out.DBInstances?.[0];
    assert.deepEqual(
      [
        restored?.BackupRetentionPeriod,
        restored?.DeletionProtection,
        restored?.PubliclyAccessible,
        restored?.MultiAZ,
      ],
      [0, false, false, false],
    );
    const automated = await rds.send(
      new DescribeDBSnapshotsCommand({
        DBInstanceIdentifier: "restored",
        SnapshotType: "automated",
      }),
    );
    assert.deepEqual(automated.DBSnapshots ?? [], [], "no backups: no automated snapshot");
    // …so the drill can be deleted, where the source's deletion protection used to stop it.
    await rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: "restored", SkipFinalSnapshot: true }),
    );
  });

  it("refuses a cluster restore onto an identifier in use, and instances in a cluster still creating", async () => {
    const { rds } = await accountClients(FAILSAFE_ACCOUNT);
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "source",
        Engine: "aurora-postgresql",
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    await rds.send(
      new CreateDBClusterSnapshotCommand({
        DBClusterIdentifier: "source",
        DBClusterSnapshotIdentifier: "csnap",
      }),
    );
    await setEmulatorLimits({ restoreSeconds: 30 });
    const restore = (id: string) =>
      rds.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: id,
          SnapshotIdentifier: "csnap",
          Engine: "aurora-postgresql",
        }),
      );
    await restore("restored");
    await assert.rejects(restore("restored"), (err) => errorCode(err) === "DBClusterAlreadyExists");
    await assert.rejects(restore("source"), (err) => errorCode(err) === "DBClusterAlreadyExists");
    const status = async () =>
      (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: "restored" })))
        .DBClusters?.[0]?.Status;
    assert.equal(await status(), "creating");
    assert.equal(await status(), "creating", "for restoreSeconds, not for one read");
    await assert.rejects(
      rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: "restored-1",
          DBClusterIdentifier: "restored",
          Engine: "aurora-postgresql",
          DBInstanceClass: "db.t4g.medium",
        }),
      ),
      (err) =>
        errorCode(err) === "InvalidDBClusterStateFault" ||
        errorCode(err) === "InvalidDBClusterState",
    );
  });

  it("reports restored instances creating for restoreSeconds, then available", async () => {
    const rds = await snapshotOfProtectedDb();
    await setEmulatorLimits({ restoreSeconds: 1 });
    await rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: "restored",
        DBSnapshotIdentifier: "snap",
      }),
    );
    const status = async () =>
      (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: "restored" })))
        .DBInstances?.[0]?.DBInstanceStatus;
    assert.equal(await status(), "creating");
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    assert.equal(await status(), "available");
  });

  it("deletes a cluster's automated snapshots with the cluster (AWS's default)", async () => {
    const { rds } = await accountClients(FAILSAFE_ACCOUNT);
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "gone",
        Engine: "aurora-postgresql",
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    const automated = async () =>
      (
        await rds.send(
          new DescribeDBClusterSnapshotsCommand({
            DBClusterIdentifier: "gone",
            SnapshotType: "automated",
          }),
        )
      ).DBClusterSnapshots ?? [];
    assert.equal((await automated()).length, 1);
    await rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: "gone", SkipFinalSnapshot: true }),
    );
    assert.deepEqual(await automated(), []);
  });
});
