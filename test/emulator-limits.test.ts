import * as assert from "node:assert/strict";
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { accountClients, PROD_ACCOUNT, resetEmulator, setEmulatorLimits } from "./harness";

/** test/emulator/extensions.py 6. and 7.: copy duration, copies in flight, manual quota. */
describe("emulator: copy duration, copies in flight and the manual snapshot quota", function () {
  this.timeout(30_000);

  const setup = async () => {
    await resetEmulator();
    const prod = await accountClients(PROD_ACCOUNT);
    await prod.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "orders",
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    const automated = await prod.rds.send(
      new DescribeDBSnapshotsCommand({ SnapshotType: "automated" }),
    );
    const source = automated.DBSnapshots?.[0]?.DBSnapshotIdentifier ?? "";
    const copy = (target: string) =>
      prod.rds.send(
        new CopyDBSnapshotCommand({
          SourceDBSnapshotIdentifier: source,
          TargetDBSnapshotIdentifier: target,
        }),
      );
    const status = async (id: string) =>
      (await prod.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id })))
        .DBSnapshots?.[0]?.Status;
    return { copy, status };
  };

  afterEach(() => resetEmulator());

  it("is off by default: copies are available at once", async () => {
    const { copy, status } = await setup();
    await copy("c1");
    assert.equal(await status("c1"), "available");
  });

  it("reports a copy creating for copySeconds, and refuses copies beyond copyLimit", async () => {
    const { copy, status } = await setup();
    await setEmulatorLimits({ copySeconds: 1, copyLimit: 2 });
    await copy("c1");
    await copy("c2");
    assert.equal(await status("c1"), "creating");
    await assert.rejects(copy("c3"), (err: Error) => {
      assert.equal(err.name, "SnapshotQuotaExceededFault");
      assert.match(err.message, /Cannot copy more than 2 snapshots/);
      return true;
    });
    await assert.rejects(copy("c1"), /AlreadyExists/, "an existing target is answered first");
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await status("c1"), "available");
    await copy("c3");
  });

  it("refuses a manual snapshot beyond manualSnapshotQuota; automated ones do not count", async () => {
    const { copy } = await setup();
    await setEmulatorLimits({ manualSnapshotQuota: 2 });
    await copy("c1");
    await copy("c2");
    await assert.rejects(copy("c3"), (err: Error) => {
      assert.equal(err.name, "SnapshotQuotaExceededFault");
      assert.match(err.message, /Cannot create more than 2 manual snapshots/);
      return true;
    });
  });

  it("is cleared by a reset", async () => {
    await setEmulatorLimits({ copySeconds: 5 });
    const { copy, status } = await setup();
    await copy("c1");
    assert.equal(await status("c1"), "available");
  });
});
