// Proves test/emulator/extensions.py: snapshots shared across accounts behave as AWS
// documents, and the same-account paths still behave as stock moto.
import * as assert from "node:assert/strict";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  type DBClusterSnapshot,
  type DBSnapshot,
} from "@aws-sdk/client-rds";
import {
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  accountClients,
  resetEmulator,
  type AccountClients,
} from "./harness";

const THIRD_ACCOUNT = "333333333333";
const DB_ID = "orders-db";
const CLUSTER_ID = "orders-cluster";
const SOURCE_TAGS = [{ Key: "Failsafe", Value: "True" }];

let prod: AccountClients;
let failsafe: AccountClients;

async function rejectsWith(promise: Promise<unknown>, name: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.match(err.name, typeof name === "string" ? new RegExp(`^${name}$`) : name);
    return true;
  });
}

async function createKey(account: AccountClients): Promise<string> {
  const { KeyMetadata } = await account.kms.send(new CreateKeyCommand({}));
  assert.ok(KeyMetadata?.Arn);
  return KeyMetadata.Arn;
}

/** A DB instance and a manual copy of its automated snapshot; returns the copy. */
async function manualSnapshot(
  owner: AccountClients,
  options: { storageEncrypted?: boolean; kmsKeyId?: string } = {},
): Promise<DBSnapshot> {
  await owner.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: DB_ID,
      DBInstanceClass: "db.t3.micro",
      Engine: "postgres",
      AllocatedStorage: 20,
      MasterUsername: "admin_user",
      MasterUserPassword: "not-a-secret-123",
      StorageEncrypted: options.storageEncrypted,
      Tags: SOURCE_TAGS,
      // Would leak the DB's tags into copies if the extension let moto fall back to them.
      CopyTagsToSnapshot: true,
    }),
  );
  const { DBSnapshots: automated = [] } = await owner.rds.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: DB_ID, SnapshotType: "automated" }),
  );
  assert.equal(automated.length, 1);
  const { DBSnapshot: manual } = await owner.rds.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: automated[0]?.DBSnapshotIdentifier,
      TargetDBSnapshotIdentifier: "failsafe-orders-db-1",
      KmsKeyId: options.kmsKeyId,
    }),
  );
  assert.ok(manual?.DBSnapshotArn && manual.DBSnapshotIdentifier);
  return manual;
}

const prodManualSnapshot = (options: { storageEncrypted?: boolean; kmsKeyId?: string } = {}) =>
  manualSnapshot(prod, options);

async function shareSnapshot(id: string, add: string[], remove: string[] = []): Promise<void> {
  await prod.rds.send(
    new ModifyDBSnapshotAttributeCommand({
      DBSnapshotIdentifier: id,
      AttributeName: "restore",
      ValuesToAdd: add,
      ValuesToRemove: remove,
    }),
  );
}

function copyIntoFailsafe(sourceArn: string, kmsKeyId?: string, target = "vault-copy") {
  return failsafe.rds.send(
    new CopyDBSnapshotCommand({
      SourceDBSnapshotIdentifier: sourceArn,
      TargetDBSnapshotIdentifier: target,
      KmsKeyId: kmsKeyId,
      Tags: [{ Key: "failsafe:managed", Value: "true" }],
    }),
  );
}

async function failsafeSnapshots(input: {
  DBSnapshotIdentifier?: string;
  DBInstanceIdentifier?: string;
  SnapshotType?: string;
  IncludeShared?: boolean;
  IncludePublic?: boolean;
}): Promise<DBSnapshot[]> {
  const { DBSnapshots = [] } = await failsafe.rds.send(new DescribeDBSnapshotsCommand(input));
  return DBSnapshots;
}

// Inside a describe: a top-level hook would be a root hook and reset other files' fixtures.
function freshAccounts(): void {
  beforeEach(async () => {
    await resetEmulator();
    prod = await accountClients(PROD_ACCOUNT);
    failsafe = await accountClients(FAILSAFE_ACCOUNT);
  });
}

describe("emulator: DB snapshots shared across accounts", () => {
  freshAccounts();

  it("keeps the accounts apart", async () => {
    const source = await prodManualSnapshot();
    assert.equal(
      source.DBSnapshotArn,
      `arn:aws:rds:${REGION}:${PROD_ACCOUNT}:snapshot:failsafe-orders-db-1`,
    );
    assert.deepEqual(await failsafeSnapshots({}), []);
  });

  it("copies only once the snapshot is shared with the caller", async () => {
    const source = await prodManualSnapshot();
    const arn = source.DBSnapshotArn!;
    const vaultKey = await createKey(failsafe);

    await rejectsWith(copyIntoFailsafe(arn, vaultKey), "DBSnapshotNotFoundFault");
    await shareSnapshot(source.DBSnapshotIdentifier!, [THIRD_ACCOUNT]);
    await rejectsWith(copyIntoFailsafe(arn, vaultKey), "DBSnapshotNotFoundFault");

    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const { DBSnapshot: copy } = await copyIntoFailsafe(arn, vaultKey);
    assert.equal(
      copy?.DBSnapshotArn,
      `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:snapshot:vault-copy`,
    );
    assert.equal(copy?.DBInstanceIdentifier, DB_ID);
    assert.equal(copy?.Engine, "postgres");
    assert.equal(copy?.Status, "available");
    assert.equal(copy?.SnapshotType, "manual");
    // An unencrypted DB snapshot is encrypted by a copy that names a key.
    assert.equal(source.Encrypted, false);
    assert.equal(copy?.Encrypted, true);
    assert.equal(copy?.KmsKeyId, vaultKey);
    assert.deepEqual(copy?.TagList, [{ Key: "failsafe:managed", Value: "true" }]);

    const [stored] = await failsafeSnapshots({ DBSnapshotIdentifier: "vault-copy" });
    assert.equal(stored?.KmsKeyId, vaultKey);
    await rejectsWith(copyIntoFailsafe(arn, vaultKey), "DBSnapshotAlreadyExists(Fault)?");

    await shareSnapshot(source.DBSnapshotIdentifier!, [], [FAILSAFE_ACCOUNT]);
    await rejectsWith(copyIntoFailsafe(arn, vaultKey, "again"), "DBSnapshotNotFoundFault");
  });

  it("copies an unencrypted shared snapshot without a key, unencrypted", async () => {
    const source = await prodManualSnapshot();
    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const { DBSnapshot: copy } = await copyIntoFailsafe(source.DBSnapshotArn!);
    assert.equal(copy?.Encrypted, false);
  });

  it("requires a KmsKeyId of the caller for an encrypted shared snapshot", async () => {
    const transitKey = await createKey(prod);
    const source = await prodManualSnapshot({ kmsKeyId: transitKey });
    assert.equal(source.Encrypted, true);
    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const arn = source.DBSnapshotArn!;

    await rejectsWith(copyIntoFailsafe(arn), "InvalidParameterValue");
    await rejectsWith(copyIntoFailsafe(arn, "alias/no-such-key"), "KMSKeyNotAccessibleFault");
    // A bare key id resolves in the caller's account, where the prod key does not exist.
    const prodKeyId = transitKey.split("/").pop()!;
    await rejectsWith(copyIntoFailsafe(arn, prodKeyId), "KMSKeyNotAccessibleFault");
    // Key policies are not emulated: another account's key is refused outright.
    await rejectsWith(copyIntoFailsafe(arn, transitKey), "KMSKeyNotAccessibleFault");

    const vaultKey = await createKey(failsafe);
    const { DBSnapshot: copy } = await copyIntoFailsafe(arn, vaultKey);
    assert.equal(copy?.Encrypted, true);
    assert.equal(copy?.KmsKeyId, vaultKey);
  });

  it("cannot copy a shared snapshot encrypted with the AWS managed key", async () => {
    const source = await prodManualSnapshot({ storageEncrypted: true });
    assert.equal(source.Encrypted, true);
    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const vaultKey = await createKey(failsafe);
    await rejectsWith(
      copyIntoFailsafe(source.DBSnapshotArn!, vaultKey),
      "KMSKeyNotAccessibleFault",
    );
  });

  it("describes a foreign snapshot by ARN only while it is shared", async () => {
    const source = await prodManualSnapshot();
    const arn = source.DBSnapshotArn!;
    await rejectsWith(failsafeSnapshots({ DBSnapshotIdentifier: arn }), "DBSnapshotNotFoundFault");
    await shareSnapshot(source.DBSnapshotIdentifier!, [THIRD_ACCOUNT]);
    await rejectsWith(failsafeSnapshots({ DBSnapshotIdentifier: arn }), "DBSnapshotNotFoundFault");

    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const [described] = await failsafeSnapshots({ DBSnapshotIdentifier: arn });
    assert.equal(described?.DBSnapshotArn, arn);
    assert.equal(described?.DBInstanceIdentifier, DB_ID);
  });

  it("lists shared snapshots with SnapshotType=shared and IncludeShared", async () => {
    const source = await prodManualSnapshot();
    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const vaultKey = await createKey(failsafe);
    await copyIntoFailsafe(source.DBSnapshotArn!, vaultKey);
    const arns = (snapshots: DBSnapshot[]) => snapshots.map((s) => s.DBSnapshotArn).sort();
    const ownArn = `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:snapshot:vault-copy`;

    assert.deepEqual(arns(await failsafeSnapshots({ SnapshotType: "shared" })), [
      source.DBSnapshotArn,
    ]);
    assert.deepEqual(
      arns(await failsafeSnapshots({ SnapshotType: "shared", DBInstanceIdentifier: "other-db" })),
      [],
    );
    assert.deepEqual(arns(await failsafeSnapshots({})), [ownArn]);
    assert.deepEqual(
      arns(await failsafeSnapshots({ IncludeShared: true })),
      [source.DBSnapshotArn, ownArn].sort(),
    );
    assert.deepEqual(arns(await failsafeSnapshots({ SnapshotType: "public" })), []);
    // The owner's own listing is unchanged by sharing.
    const { DBSnapshots: prodOwn = [] } = await prod.rds.send(
      new DescribeDBSnapshotsCommand({ SnapshotType: "manual" }),
    );
    assert.deepEqual(arns(prodOwn), [source.DBSnapshotArn]);
  });

  it("treats restore=all as shared with every account (public)", async () => {
    const source = await prodManualSnapshot();
    await shareSnapshot(source.DBSnapshotIdentifier!, ["all"]);
    const { DBSnapshot: copy } = await copyIntoFailsafe(source.DBSnapshotArn!);
    assert.equal(copy?.DBInstanceIdentifier, DB_ID);
    const [described] = await failsafeSnapshots({ DBSnapshotIdentifier: source.DBSnapshotArn! });
    assert.equal(described?.DBSnapshotArn, source.DBSnapshotArn);
    assert.deepEqual(
      (await failsafeSnapshots({ SnapshotType: "public" })).map((s) => s.DBSnapshotArn),
      [source.DBSnapshotArn],
    );
    assert.deepEqual(await failsafeSnapshots({ SnapshotType: "shared" }), []);
  });

  it("never resolves a foreign ARN to the caller's own snapshot of the same name", async () => {
    const source = await prodManualSnapshot();
    // failsafe owns a snapshot with the very name in prod's ARN; stock moto copied that.
    await manualSnapshot(failsafe);

    await rejectsWith(copyIntoFailsafe(source.DBSnapshotArn!), "DBSnapshotNotFoundFault");
    await rejectsWith(
      failsafeSnapshots({ DBSnapshotIdentifier: source.DBSnapshotArn! }),
      "DBSnapshotNotFoundFault",
    );
  });

  it("leaves same-account copies as stock moto has them", async () => {
    const source = await prodManualSnapshot();
    const byArn = await prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: source.DBSnapshotArn,
        TargetDBSnapshotIdentifier: "by-own-arn",
      }),
    );
    assert.equal(byArn.DBSnapshot?.DBInstanceIdentifier, DB_ID);
    // Stock moto's fallback to the DB's tags (CopyTagsToSnapshot) stays as it was.
    assert.deepEqual(byArn.DBSnapshot?.TagList, SOURCE_TAGS);
    await rejectsWith(
      prod.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source.DBSnapshotIdentifier,
          TargetDBSnapshotIdentifier: "by-own-arn",
        }),
      ),
      "DBSnapshotAlreadyExists(Fault)?",
    );
    // A plain identifier is always the caller's own: prod's name means nothing in failsafe.
    await shareSnapshot(source.DBSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    await rejectsWith(copyIntoFailsafe(source.DBSnapshotIdentifier!), "DBSnapshotNotFoundFault");
  });
});

describe("emulator: DB cluster snapshots shared across accounts", () => {
  freshAccounts();

  async function prodManualClusterSnapshot(kmsKeyId?: string): Promise<DBClusterSnapshot> {
    await prod.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: CLUSTER_ID,
        Engine: "aurora-postgresql",
        MasterUsername: "admin_user",
        MasterUserPassword: "not-a-secret-123",
        StorageEncrypted: kmsKeyId !== undefined,
        KmsKeyId: kmsKeyId,
        Tags: SOURCE_TAGS,
        CopyTagsToSnapshot: true,
      }),
    );
    const { DBClusterSnapshots: automated = [] } = await prod.rds.send(
      new DescribeDBClusterSnapshotsCommand({
        DBClusterIdentifier: CLUSTER_ID,
        SnapshotType: "automated",
      }),
    );
    assert.equal(automated.length, 1);
    const { DBClusterSnapshot: manual } = await prod.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: automated[0]?.DBClusterSnapshotIdentifier,
        TargetDBClusterSnapshotIdentifier: "failsafe-orders-cluster-1",
      }),
    );
    assert.ok(manual?.DBClusterSnapshotArn && manual.DBClusterSnapshotIdentifier);
    return manual;
  }

  async function shareCluster(id: string, add: string[]): Promise<void> {
    await prod.rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: id,
        AttributeName: "restore",
        ValuesToAdd: add,
      }),
    );
  }

  function copyClusterIntoFailsafe(sourceArn: string, kmsKeyId?: string) {
    return failsafe.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: sourceArn,
        TargetDBClusterSnapshotIdentifier: "vault-cluster-copy",
        KmsKeyId: kmsKeyId,
        Tags: [{ Key: "failsafe:managed", Value: "true" }],
      }),
    );
  }

  async function failsafeClusterSnapshots(input: {
    DBClusterSnapshotIdentifier?: string;
    DBClusterIdentifier?: string;
    SnapshotType?: string;
    IncludeShared?: boolean;
  }): Promise<DBClusterSnapshot[]> {
    const { DBClusterSnapshots = [] } = await failsafe.rds.send(
      new DescribeDBClusterSnapshotsCommand(input),
    );
    return DBClusterSnapshots;
  }

  it("copies an unencrypted cluster snapshot only once shared, and never with a key", async () => {
    const source = await prodManualClusterSnapshot();
    const arn = source.DBClusterSnapshotArn!;
    const vaultKey = await createKey(failsafe);

    await rejectsWith(copyClusterIntoFailsafe(arn), "DBClusterSnapshotNotFoundFault");
    await shareCluster(source.DBClusterSnapshotIdentifier!, [THIRD_ACCOUNT]);
    await rejectsWith(copyClusterIntoFailsafe(arn), "DBClusterSnapshotNotFoundFault");

    await shareCluster(source.DBClusterSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    // AWS cannot encrypt an unencrypted cluster snapshot on copy.
    await rejectsWith(copyClusterIntoFailsafe(arn, vaultKey), "InvalidParameterValue");
    const { DBClusterSnapshot: copy } = await copyClusterIntoFailsafe(arn);
    assert.equal(
      copy?.DBClusterSnapshotArn,
      `arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:cluster-snapshot:vault-cluster-copy`,
    );
    assert.equal(copy?.DBClusterIdentifier, CLUSTER_ID);
    assert.equal(copy?.Engine, "aurora-postgresql");
    assert.equal(copy?.Status, "available");
    assert.equal(copy?.StorageEncrypted, false);
    assert.deepEqual(copy?.TagList, [{ Key: "failsafe:managed", Value: "true" }]);
    await rejectsWith(copyClusterIntoFailsafe(arn), "DBClusterSnapshotAlreadyExistsFault");
  });

  it("requires a KmsKeyId for an encrypted shared cluster snapshot", async () => {
    const transitKey = await createKey(prod);
    const source = await prodManualClusterSnapshot(transitKey);
    assert.equal(source.StorageEncrypted, true);
    await shareCluster(source.DBClusterSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const arn = source.DBClusterSnapshotArn!;

    await rejectsWith(copyClusterIntoFailsafe(arn), "InvalidParameterValue");
    await rejectsWith(
      copyClusterIntoFailsafe(arn, "alias/no-such-key"),
      "KMSKeyNotAccessibleFault",
    );
    const vaultKey = await createKey(failsafe);
    const { DBClusterSnapshot: copy } = await copyClusterIntoFailsafe(arn, vaultKey);
    assert.equal(copy?.StorageEncrypted, true);
    assert.equal(copy?.KmsKeyId, vaultKey);
  });

  it("describes and lists shared cluster snapshots", async () => {
    const source = await prodManualClusterSnapshot();
    const arn = source.DBClusterSnapshotArn!;
    await rejectsWith(
      failsafeClusterSnapshots({ DBClusterSnapshotIdentifier: arn }),
      "DBClusterSnapshotNotFoundFault",
    );
    await shareCluster(source.DBClusterSnapshotIdentifier!, [FAILSAFE_ACCOUNT]);
    const [described] = await failsafeClusterSnapshots({ DBClusterSnapshotIdentifier: arn });
    assert.equal(described?.DBClusterSnapshotArn, arn);

    const arns = (snapshots: DBClusterSnapshot[]) => snapshots.map((s) => s.DBClusterSnapshotArn);
    assert.deepEqual(arns(await failsafeClusterSnapshots({ SnapshotType: "shared" })), [arn]);
    assert.deepEqual(
      arns(await failsafeClusterSnapshots({ SnapshotType: "shared", DBClusterIdentifier: "x" })),
      [],
    );
    assert.deepEqual(arns(await failsafeClusterSnapshots({})), []);
    assert.deepEqual(arns(await failsafeClusterSnapshots({ IncludeShared: true })), [arn]);
  });

  it("copies a cluster snapshot shared with all", async () => {
    const source = await prodManualClusterSnapshot();
    await shareCluster(source.DBClusterSnapshotIdentifier!, ["all"]);
    const { DBClusterSnapshot: copy } = await copyClusterIntoFailsafe(source.DBClusterSnapshotArn!);
    assert.equal(copy?.DBClusterIdentifier, CLUSTER_ID);
  });

  it("rejects KmsKeyId on an unencrypted cluster snapshot in the same account too", async () => {
    const source = await prodManualClusterSnapshot();
    const transitKey = await createKey(prod);
    const copy = (kmsKeyId?: string) =>
      prod.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: source.DBClusterSnapshotIdentifier,
          TargetDBClusterSnapshotIdentifier: "same-account-copy",
          KmsKeyId: kmsKeyId,
        }),
      );
    await rejectsWith(copy(transitKey), "InvalidParameterValue");
    const { DBClusterSnapshot: plain } = await copy();
    assert.equal(plain?.DBClusterIdentifier, CLUSTER_ID);
  });
});

describe("emulator: resource ids, automated backups, RDS clock (extensions 8-10)", () => {
  beforeEach(async () => {
    await resetEmulator();
    prod = await accountClients(PROD_ACCOUNT);
    failsafe = await accountClients(FAILSAFE_ACCOUNT);
  });

  const instance = (id: string) =>
    prod.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: "db.t3.micro",
        Engine: "postgres",
        AllocatedStorage: 20,
        MasterUsername: "admin_user",
        MasterUserPassword: "not-a-secret-123",
      }),
    );

  it("gives every new instance its own DbiResourceId, a re-created one too, kept by snapshots and copies", async () => {
    const a = (await instance("orders")).DBInstance?.DbiResourceId;
    const b = (await instance("billing")).DBInstance?.DbiResourceId;
    assert.match(a ?? "", /^db-[A-Z0-9]{26}$/);
    assert.notEqual(a, b);
    const { DBSnapshots = [] } = await prod.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: "orders" }),
    );
    assert.deepEqual(
      DBSnapshots.map((s) => s.DbiResourceId),
      [a],
    );
    const copy = await prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: DBSnapshots[0]?.DBSnapshotIdentifier,
        TargetDBSnapshotIdentifier: "failsafe-orders-1",
      }),
    );
    assert.equal(copy.DBSnapshot?.DbiResourceId, a);
    await prod.rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: "failsafe-orders-1",
        AttributeName: "restore",
        ValuesToAdd: [FAILSAFE_ACCOUNT],
      }),
    );
    const key = await createKey(failsafe);
    const saved = await failsafe.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: copy.DBSnapshot?.DBSnapshotArn,
        TargetDBSnapshotIdentifier: "failsafe-saved-1",
        KmsKeyId: key,
      }),
    );
    assert.equal(saved.DBSnapshot?.DbiResourceId, a, "a cross-account copy keeps it");
    const { DeleteDBInstanceCommand } = await import("@aws-sdk/client-rds");
    await prod.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: "orders", SkipFinalSnapshot: true }),
    );
    const again = (await instance("orders")).DBInstance?.DbiResourceId;
    assert.notEqual(again, a, "AWS never reuses a DbiResourceId; stock moto did");
  });

  it("reports the cluster's DbClusterResourceId on its snapshots and their copies", async () => {
    const cluster = await prod.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: CLUSTER_ID,
        Engine: "aurora-postgresql",
        MasterUsername: "admin_user",
        MasterUserPassword: "not-a-secret-123",
      }),
    );
    const resourceId = cluster.DBCluster?.DbClusterResourceId;
    assert.match(resourceId ?? "", /^cluster-/);
    const { DBClusterSnapshots = [] } = await prod.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: CLUSTER_ID }),
    );
    assert.deepEqual(
      DBClusterSnapshots.map((s) => s.DbClusterResourceId),
      [resourceId],
    );
    const copy = await prod.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: DBClusterSnapshots[0]?.DBClusterSnapshotIdentifier,
        TargetDBClusterSnapshotIdentifier: "failsafe-ledger-1",
      }),
    );
    assert.equal(copy.DBClusterSnapshot?.DbClusterResourceId, resourceId);
  });

  it("takes an automated snapshot at a given time, and shifts RDS's clock", async () => {
    const { setEmulatorClock, takeAutomatedSnapshot } = await import("./harness");
    await instance("orders");
    const time = new Date("2026-11-20T05:07:00Z");
    const taken = await takeAutomatedSnapshot({
      account: PROD_ACCOUNT,
      kind: "instance",
      id: "orders",
      time,
    });
    assert.equal(taken.snapshotId, "rds:orders-2026-11-20-05-07");
    const { DBSnapshots = [] } = await prod.rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: taken.snapshotId }),
    );
    assert.equal(DBSnapshots[0]?.SnapshotType, "automated");
    assert.equal(DBSnapshots[0]?.SnapshotCreateTime?.toISOString(), time.toISOString());
    assert.equal(DBSnapshots[0]?.OriginalSnapshotCreateTime?.toISOString(), time.toISOString());
    await assert.rejects(
      takeAutomatedSnapshot({ account: PROD_ACCOUNT, kind: "instance", id: "nope", time }),
      /DBInstanceNotFound/,
    );

    await setEmulatorClock(10 * 86_400_000);
    const later = await instance("billing");
    const created = later.DBInstance?.InstanceCreateTime?.getTime() ?? 0;
    assert.ok(Math.abs(created - (Date.now() + 10 * 86_400_000)) < 60_000, "10 days ahead");
    await resetEmulator();
    prod = await accountClients(PROD_ACCOUNT);
    const fresh = await instance("orders");
    assert.ok(
      Math.abs((fresh.DBInstance?.InstanceCreateTime?.getTime() ?? 0) - Date.now()) < 60_000,
      "a reset puts the clock back",
    );
  });
});
