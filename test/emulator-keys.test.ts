// Proves emulator extensions 12 (KMS key state on copies and restores) and 13
// (SourceDBClusterSnapshotArn on copied cluster snapshots), as the AWS documentation describes
// them (test/emulator/EXTENSIONS.md). Against a stock moto server these tests fail.
import * as assert from "node:assert/strict";
import {
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  ScheduleKeyDeletionCommand,
  CancelKeyDeletionCommand,
} from "@aws-sdk/client-kms";
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBClusterSnapshotAttributeCommand,
  ModifyDBSnapshotAttributeCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from "@aws-sdk/client-rds";
import {
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  accountClients,
  resetEmulator,
  type AccountClients,
} from "./harness";

let prod: AccountClients;
let failsafe: AccountClients;

async function rejectsWith(promise: Promise<unknown>, name: string): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(promise, (err: Error) => {
    caught = err;
    assert.equal(err.name, name);
    return true;
  });
  return caught as Error;
}

async function key(account: AccountClients): Promise<{ arn: string; id: string }> {
  const { KeyMetadata } = await account.kms.send(new CreateKeyCommand({}));
  assert.ok(KeyMetadata?.Arn && KeyMetadata.KeyId);
  return { arn: KeyMetadata.Arn, id: KeyMetadata.KeyId };
}

async function automatedSnapshotOf(dbId: string, kmsKeyId?: string): Promise<string> {
  await prod.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: dbId,
      DBInstanceClass: "db.t3.micro",
      Engine: "postgres",
      AllocatedStorage: 20,
      MasterUsername: "app",
      MasterUserPassword: "not-a-secret-1",
      StorageEncrypted: kmsKeyId !== undefined,
      KmsKeyId: kmsKeyId,
    }),
  );
  const { DBSnapshots = [] } = await prod.rds.send(
    new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: dbId, SnapshotType: "automated" }),
  );
  const id = DBSnapshots[0]?.DBSnapshotIdentifier;
  assert.ok(id);
  return id;
}

describe("emulator extension 12: KMS key state on copies and restores", function () {
  this.timeout(60_000);
  beforeEach(async () => {
    await resetEmulator();
    prod = await accountClients(PROD_ACCOUNT);
    failsafe = await accountClients(FAILSAFE_ACCOUNT);
  });

  it("refuses a copy to a target key that is disabled or pending deletion, and works once it is enabled again", async () => {
    const source = await automatedSnapshotOf("orders");
    const target = await key(prod);
    const copy = (id: string) =>
      prod.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: id,
          KmsKeyId: target.arn,
        }),
      );
    await prod.kms.send(new DisableKeyCommand({ KeyId: target.id }));
    const disabled = await rejectsWith(copy("copy-1"), "KMSKeyNotAccessibleFault");
    assert.match(disabled.message, /target KMS key .* is not enabled .*Disabled/);
    await prod.kms.send(new EnableKeyCommand({ KeyId: target.id }));
    await prod.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: target.id, PendingWindowInDays: 7 }),
    );
    const pending = await rejectsWith(copy("copy-1"), "KMSKeyNotAccessibleFault");
    assert.match(pending.message, /PendingDeletion/);
    await prod.kms.send(new CancelKeyDeletionCommand({ KeyId: target.id }));
    await prod.kms.send(new EnableKeyCommand({ KeyId: target.id }));
    await copy("copy-1");
  });

  it("refuses to copy a shared snapshot whose key is pending deletion (the failsafe save), with the source named", async () => {
    const transit = await key(prod);
    const vault = await key(failsafe);
    const automated = await automatedSnapshotOf("orders");
    const { DBSnapshot: intermediate } = await prod.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: automated,
        TargetDBSnapshotIdentifier: "failsafe-orders-1",
        KmsKeyId: transit.arn,
      }),
    );
    assert.ok(intermediate?.DBSnapshotArn);
    await prod.rds.send(
      new ModifyDBSnapshotAttributeCommand({
        DBSnapshotIdentifier: "failsafe-orders-1",
        AttributeName: "restore",
        ValuesToAdd: [FAILSAFE_ACCOUNT],
      }),
    );
    const save = (target: string) =>
      failsafe.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: intermediate.DBSnapshotArn,
          TargetDBSnapshotIdentifier: target,
          KmsKeyId: vault.arn,
        }),
      );
    await save("failsafe-copy-1");
    await prod.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: transit.id, PendingWindowInDays: 7 }),
    );
    const err = await rejectsWith(save("failsafe-copy-2"), "KMSKeyNotAccessibleFault");
    assert.match(err.message, /source snapshot KMS key/);
    // "Target exists" still comes first (moto's order), whatever the key's state.
    await rejectsWith(save("failsafe-copy-1"), "DBSnapshotAlreadyExistsFault");
    // The copy made before is under the vault key: it restores.
    await failsafe.rds.send(
      new RestoreDBInstanceFromDBSnapshotCommand({
        DBInstanceIdentifier: "restored",
        DBSnapshotIdentifier: "failsafe-copy-1",
      }),
    );
  });

  it("refuses a restore from a snapshot under a disabled key, and restores once it is enabled", async () => {
    const cmk = await key(prod);
    const automated = await automatedSnapshotOf("orders", cmk.arn);
    const restore = () =>
      prod.rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: "restored",
          DBSnapshotIdentifier: automated,
        }),
      );
    await prod.kms.send(new DisableKeyCommand({ KeyId: cmk.id }));
    await rejectsWith(restore(), "KMSKeyNotAccessibleFault");
    await prod.kms.send(new EnableKeyCommand({ KeyId: cmk.id }));
    await restore();
  });
});

describe("emulator extension 13: SourceDBClusterSnapshotArn on copied cluster snapshots", function () {
  this.timeout(60_000);
  beforeEach(async () => {
    await resetEmulator();
    prod = await accountClients(PROD_ACCOUNT);
    failsafe = await accountClients(FAILSAFE_ACCOUNT);
  });

  it("names the source of a copy (same account and shared), and nothing for a snapshot of the live cluster", async () => {
    await prod.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: "ledger",
        Engine: "aurora-postgresql",
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    const { DBClusterSnapshots: automated = [] } = await prod.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: "ledger" }),
    );
    const source = automated[0];
    assert.ok(source?.DBClusterSnapshotArn && source.DBClusterSnapshotIdentifier);
    assert.equal(source.SourceDBClusterSnapshotArn, undefined, "taken from the live cluster");
    const { DBClusterSnapshot: copy } = await prod.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: source.DBClusterSnapshotIdentifier,
        TargetDBClusterSnapshotIdentifier: "failsafe-ledger-1",
      }),
    );
    assert.equal(copy?.SourceDBClusterSnapshotArn, source.DBClusterSnapshotArn);
    await prod.rds.send(
      new ModifyDBClusterSnapshotAttributeCommand({
        DBClusterSnapshotIdentifier: "failsafe-ledger-1",
        AttributeName: "restore",
        ValuesToAdd: [FAILSAFE_ACCOUNT],
      }),
    );
    const sharedArn = `arn:aws:rds:${REGION}:${PROD_ACCOUNT}:cluster-snapshot:failsafe-ledger-1`;
    const { DBClusterSnapshots: shared = [] } = await failsafe.rds.send(
      new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: sharedArn }),
    );
    assert.equal(shared[0]?.SourceDBClusterSnapshotArn, source.DBClusterSnapshotArn);
    const { DBClusterSnapshot: saved } = await failsafe.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: sharedArn,
        TargetDBClusterSnapshotIdentifier: "failsafe-copy-1",
      }),
    );
    assert.equal(saved?.SourceDBClusterSnapshotArn, sharedArn, "the owner's ARN");
  });
});
