// Proves extensions 16 and 17 (test/emulator/extensions.py): copies across regions inside one
// account, and snapshot listings in pages, behave as the RDS API reference and user guide describe
// them. Fails against a stock moto server
// (MOTO_ENDPOINT=http://127.0.0.1:<port> npx mocha test/emulator-org.test.ts).
import * as assert from "node:assert/strict";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CopyDBClusterSnapshotCommand,
  CopyDBSnapshotCommand,
  CreateDBClusterCommand,
  CreateDBClusterSnapshotCommand,
  CreateDBInstanceCommand,
  CreateDBSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { accountClients, emulatorEndpoint, FAILSAFE_ACCOUNT, resetEmulator } from "./harness";

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp) {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** A client of the failsafe account in `region` whose requests carry no PreSignedUrl. */
async function withoutPresignedUrl(region: string): Promise<RDSClient> {
  const { credentials } = await accountClients(FAILSAFE_ACCOUNT, region);
  const client = new RDSClient({ region, endpoint: emulatorEndpoint(), credentials });
  // The SDK adds the URL in the serialize step; strip it from the query body before it is sent
  // (and before the content length is computed), as a caller of the bare API would send it.
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown };
      if (typeof request.body === "string") {
        request.body = request.body.replace(/&PreSignedUrl=[^&]*/, "");
      }
      return next(args);
    },
    { step: "build", priority: "high", name: "stripPreSignedUrl" },
  );
  return client;
}

/** An encrypted DB snapshot and cluster snapshot in `region`, and a KMS key in `destination`. */
async function sources(region: string, destination: string, encrypted = true) {
  const here = await accountClients(FAILSAFE_ACCOUNT, region);
  const there = await accountClients(FAILSAFE_ACCOUNT, destination);
  const key = async (c: typeof here) =>
    (await c.kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
  const sourceKey = encrypted ? await key(here) : undefined;
  await here.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: "orders",
      Engine: "postgres",
      DBInstanceClass: "db.t3.micro",
      AllocatedStorage: 20,
      MasterUsername: "app",
      MasterUserPassword: "not-a-secret-1",
      StorageEncrypted: encrypted,
      KmsKeyId: sourceKey,
    }),
  );
  await here.rds.send(
    new CreateDBClusterCommand({
      DBClusterIdentifier: "ledger",
      Engine: "aurora-postgresql",
      MasterUsername: "app",
      MasterUserPassword: "not-a-secret-1",
      StorageEncrypted: encrypted,
      KmsKeyId: sourceKey,
    }),
  );
  const instance = await here.rds.send(
    new CreateDBSnapshotCommand({ DBInstanceIdentifier: "orders", DBSnapshotIdentifier: "src" }),
  );
  const cluster = await here.rds.send(
    new CreateDBClusterSnapshotCommand({
      DBClusterIdentifier: "ledger",
      DBClusterSnapshotIdentifier: "src-c",
    }),
  );
  return {
    here,
    there,
    sourceKey,
    destinationKey: await key(there),
    instanceArn: instance.DBSnapshot?.DBSnapshotArn ?? "",
    clusterArn: cluster.DBClusterSnapshot?.DBClusterSnapshotArn ?? "",
  };
}

describe("emulator extension 16: cross-region copies inside one account", function () {
  this.timeout(60_000);
  beforeEach(resetEmulator);

  it("needs a KMS key of the destination region for an encrypted source", async () => {
    const s = await sources("eu-west-1", "eu-central-1");
    const copy = (input: { KmsKeyId?: string; TargetDBSnapshotIdentifier: string }) =>
      s.there.rds.send(
        new CopyDBSnapshotCommand({ SourceDBSnapshotIdentifier: s.instanceArn, ...input }),
      );
    await rejectsWith(
      copy({ TargetDBSnapshotIdentifier: "no-key" }),
      "InvalidParameterValue",
      /Must specify new KMS key for cross region encrypted snapshot copy/,
    );
    await rejectsWith(
      s.there.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: s.clusterArn,
          TargetDBClusterSnapshotIdentifier: "no-key",
        }),
      ),
      "InvalidParameterValue",
    );
    await rejectsWith(
      copy({ TargetDBSnapshotIdentifier: "source-key", KmsKeyId: s.sourceKey }),
      "KMSKeyNotAccessibleFault",
    );
    const made = await copy({ TargetDBSnapshotIdentifier: "dr", KmsKeyId: s.destinationKey });
    assert.equal(made.DBSnapshot?.KmsKeyId, s.destinationKey);
    assert.equal(made.DBSnapshot?.SourceRegion, "eu-west-1");
    assert.equal(made.DBSnapshot?.SourceDBSnapshotIdentifier, s.instanceArn);
    assert.match(made.DBSnapshot?.DBSnapshotArn ?? "", /^arn:aws:rds:eu-central-1:/);
    const cluster = await s.there.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: s.clusterArn,
        TargetDBClusterSnapshotIdentifier: "dr-c",
        KmsKeyId: s.destinationKey,
      }),
    );
    assert.equal(cluster.DBClusterSnapshot?.SourceDBClusterSnapshotArn, s.clusterArn);
    assert.equal(cluster.DBClusterSnapshot?.KmsKeyId, s.destinationKey);
  });

  it("copies an unencrypted source without a key; an Aurora one refuses a key", async () => {
    const s = await sources("eu-west-1", "eu-central-1", false);
    const made = await s.there.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: s.instanceArn,
        TargetDBSnapshotIdentifier: "dr",
      }),
    );
    assert.equal(made.DBSnapshot?.Encrypted, false);
    await rejectsWith(
      s.there.rds.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: s.clusterArn,
          TargetDBClusterSnapshotIdentifier: "dr-c",
          KmsKeyId: s.destinationKey,
        }),
      ),
      "InvalidParameterValue",
    );
  });

  it("in GovCloud (US), takes the SDK's pre-signed URL and refuses a copy without one", async () => {
    const s = await sources("us-gov-west-1", "us-gov-east-1");
    const bare = await withoutPresignedUrl("us-gov-east-1");
    await rejectsWith(
      bare.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: s.instanceArn,
          TargetDBSnapshotIdentifier: "bare",
          KmsKeyId: s.destinationKey,
        }),
      ),
      "InvalidParameterValue",
      /PreSignedUrl could not be authenticated\. \(PreSignedUrl is missing\)/,
    );
    // A URL for another destination region is not this request's (the SDK keeps a given URL).
    await rejectsWith(
      s.there.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: s.instanceArn,
          TargetDBSnapshotIdentifier: "forged",
          KmsKeyId: s.destinationKey,
          PreSignedUrl: `https://rds.us-gov-west-1.amazonaws.com/?Action=CopyDBSnapshot&SourceDBSnapshotIdentifier=${encodeURIComponent(s.instanceArn)}&DestinationRegion=us-gov-west-1&KmsKeyId=${encodeURIComponent(s.destinationKey)}`,
        }),
      ),
      "InvalidParameterValue",
      /DestinationRegion is 'us-gov-west-1', expected 'us-gov-east-1'/,
    );
    // The SDK's own client makes the URL from the source ARN (no SourceRegion in SDK v3).
    const made = await s.there.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: s.instanceArn,
        TargetDBSnapshotIdentifier: "dr",
        KmsKeyId: s.destinationKey,
      }),
    );
    assert.match(made.DBSnapshot?.DBSnapshotArn ?? "", /^arn:aws-us-gov:rds:us-gov-east-1:/);
    const cluster = await s.there.rds.send(
      new CopyDBClusterSnapshotCommand({
        SourceDBClusterSnapshotIdentifier: s.clusterArn,
        TargetDBClusterSnapshotIdentifier: "dr-c",
        KmsKeyId: s.destinationKey,
      }),
    );
    assert.equal(cluster.DBClusterSnapshot?.SourceDBClusterSnapshotArn, s.clusterArn);
  });

  it("copies nothing to or from the China regions", async () => {
    const s = await sources("cn-north-1", "cn-northwest-1");
    await rejectsWith(
      s.there.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: s.instanceArn,
          TargetDBSnapshotIdentifier: "dr",
          KmsKeyId: s.destinationKey,
        }),
      ),
      "InvalidParameterValue",
      /China/,
    );
  });

  it("leaves same-region copies as they were", async () => {
    const s = await sources("eu-west-1", "eu-central-1");
    const made = await s.here.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: "src",
        TargetDBSnapshotIdentifier: "same",
      }),
    );
    assert.equal(made.DBSnapshot?.SourceRegion, undefined);
    assert.equal(made.DBSnapshot?.KmsKeyId, s.sourceKey);
  });
});

describe("emulator extension 17: snapshot listings in pages", function () {
  this.timeout(60_000);
  beforeEach(resetEmulator);

  it("answers at most MaxRecords (20 to 100, default 100) with a Marker for the rest", async () => {
    const { rds } = await accountClients(FAILSAFE_ACCOUNT);
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "orders",
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    for (let i = 0; i < 130; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          rds.send(
            new CreateDBSnapshotCommand({
              DBInstanceIdentifier: "orders",
              DBSnapshotIdentifier: `manual-${i + j}`,
            }),
          ),
        ),
      );
    }
    const first = await rds.send(new DescribeDBSnapshotsCommand({ SnapshotType: "manual" }));
    assert.equal(first.DBSnapshots?.length, 100);
    assert.ok(first.Marker, "a Marker for the next page");
    const second = await rds.send(
      new DescribeDBSnapshotsCommand({ SnapshotType: "manual", Marker: first.Marker }),
    );
    assert.equal(second.DBSnapshots?.length, 30);
    assert.equal(second.Marker, undefined);
    const ids = new Set(
      [...(first.DBSnapshots ?? []), ...(second.DBSnapshots ?? [])].map(
        (s) => s.DBSnapshotIdentifier,
      ),
    );
    assert.equal(ids.size, 130, "every snapshot once");
    const small = await rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 20 }));
    assert.equal(small.DBSnapshots?.length, 20);
    await rejectsWith(
      rds.send(new DescribeDBSnapshotsCommand({ MaxRecords: 10 })),
      "InvalidParameterValue",
    );
    await rejectsWith(
      rds.send(new DescribeDBClusterSnapshotsCommand({ MaxRecords: 101 })),
      "InvalidParameterValue",
    );
  });
});
