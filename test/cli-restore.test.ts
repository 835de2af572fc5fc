import { strict as assert } from "node:assert";
import { CreateAliasCommand, CreateKeyCommand } from "@aws-sdk/client-kms";
import {
  CopyDBSnapshotCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from "@aws-sdk/client-rds";
import { main } from "../cli/index";
import { NAMES } from "../components/names";
import { DRILL_TAG } from "../handlers/drill-plan";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
} from "./harness";
import { DrillHarness } from "./support/drills";
import { deployFunctionConfig } from "./support/ops-fixtures";
import { ThrottleProxy } from "./support/throttle-proxy";
import { createWorld, type World } from "./support/world";

const RECOVERY = "333333333333";

/**
 * The guided restore (`npx rds-failsafe copies` / `restore`), run in-process through main(argv,
 * out) with the operator's default credential chain against the emulator, as an operator's shell
 * would: list the copies, pick one by time, dry run, restore for real, share with a recovery
 * account, and each clear error.
 */
describe("guided restore CLI (emulator)", function () {
  this.timeout(120_000);
  let world: World;
  let lines: string[];

  const out = { line: (t = "") => lines.push(t), error: (t: string) => lines.push(t) };
  const cli = (args: string[], endpoint = emulatorEndpoint()) =>
    main(
      [
        "--region",
        REGION,
        "--endpoint",
        endpoint,
        "--failsafe-role-arn",
        `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
        ...args,
      ],
      out,
    );
  const text = () => lines.join("\n");

  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  before(() => {
    process.env.AWS_ACCESS_KEY_ID = "AKIAEMULATOR0000TEST";
    process.env.AWS_SECRET_ACCESS_KEY = "emulator";
  });
  after(() => {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  });

  beforeEach(async () => {
    lines = [];
    world = await createWorld({ drills: {} });
    // The vault key under its alias, as the program creates it (the CLI recognises it by it).
    await world.failsafe.kms.send(
      new CreateAliasCommand({ AliasName: NAMES.keyAlias.vault, TargetKeyId: world.vaultKeyArn }),
    );
    // Three daily copies of orders, a day apart, the newest a day old: the CLI runs "now" (the
    // wall clock), the emulator's and the handlers' clocks start three days back.
    await world.advanceHours(-72, { emulator: true });
    await world.createInstance("orders", { tagged: true, encryption: "cmk" });
    await world.runPipeline(await world.automatedSnapshot("instance", "orders"));
    for (let d = 0; d < 2; d += 1) {
      await world.advanceHours(24, { emulator: true });
      await world.runPipeline(await world.dailyBackup("instance", "orders"));
    }
  });

  const orderCopies = async () =>
    (await world.manualSnapshots(world.failsafe, "instance"))
      .filter((s) => s.tags["failsafe:managed"] === "true")
      .sort((a, b) => a.id.localeCompare(b.id));

  it("lists the copies of a database: time, lineage, key, size, tier, last drill", async () => {
    await new DrillHarness(world.failsafe, world.failsafeSide).run();
    assert.equal(await cli(["copies", "--source", "orders"]), 0, text());
    if (process.env.SHOW_CLI) console.log(text());
    const all = await orderCopies();
    for (const copy of all) assert.match(text(), new RegExp(copy.id));
    assert.match(text(), /instance orders \(account 111111111111\), lineage db-\w+: ok, 3 copies/);
    assert.match(text(), /last good drill 20\d\d-/);
    assert.match(text(), /data time +age +lineage +copy +status +key +GiB +tier +last drill/);
    assert.match(text(), / vault +20 +daily +pass 20\d\d-\S+ \S+ \(RTO \d+ s\)/);
    assert.match(
      text(),
      /tiers by retentionDays 31, minCopies 7, keepWeekly 8, keepMonthly 12: the defaults \(rds-failsafe-failsafe-sweep not readable/,
    );
    lines = [];
    assert.equal(await cli(["copies", "--source", "orders", "--json"]), 0);
    const json = JSON.parse(text()) as { copy: string; key: string; tier: string }[];
    assert.deepEqual(
      json.map((c) => c.key),
      ["vault", "vault", "vault"],
    );

    // With the failsafe sweep deployed, the tiers are the stack's: its settings as deployed.
    await deployFunctionConfig(world.failsafe, NAMES.fn.failsafeSweep, {
      region: REGION,
      failsafeAccountId: FAILSAFE_ACCOUNT,
      prodAccountIds: [PROD_ACCOUNT],
      vaultKmsKeyArn: world.vaultKeyArn,
      retentionDays: 1,
      minCopies: 1,
      keepWeekly: 0,
      keepMonthly: 0,
    });
    lines = [];
    assert.equal(await cli(["copies", "--source", "orders"]), 0, text());
    assert.match(
      text(),
      /tiers by retentionDays 1, minCopies 1, keepWeekly 0, keepMonthly 0: as deployed \(rds-failsafe-failsafe-sweep\)/,
    );
    assert.match(text(), / expiring /, "the copy 3 days old is beyond retentionDays 1");
    lines = [];
    assert.equal(await cli(["copies", "--source", "orders", "--retention-days", "5"]), 0);
    assert.match(
      text(),
      /retentionDays 5, .*: as deployed \(rds-failsafe-failsafe-sweep\), with the options given/,
    );
    assert.doesNotMatch(text(), / expiring /);

    lines = [];
    assert.equal(await cli(["copies", "--source", "nope"]), 2);
    assert.match(text(), /no failsafe copies of nope in the failsafe account \(222222222222\)/);
  });

  it("dry run: picks the newest copy at or before --at and prints the exact call, changes nothing", async () => {
    const [oldest, middle] = await orderCopies();
    const at = new Date(new Date(String(middle?.tags["failsafe:source-time"])).getTime() + 60_000);
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--at",
        at.toISOString(),
        "--as",
        "orders-restored",
      ]),
      0,
      text(),
    );
    assert.match(
      text(),
      new RegExp(`newest copy at or before ${at.toISOString()} is instance copy ${middle?.id}`),
    );
    assert.match(text(), /RestoreDBInstanceFromDBSnapshot \{/);
    assert.match(text(), /"DBInstanceIdentifier": "orders-restored"/);
    assert.match(text(), new RegExp(`"DBSnapshotIdentifier": "${middle?.id}"`));
    assert.match(text(), /"PubliclyAccessible": false/);
    assert.match(text(), /dry run: nothing changed\. Add --apply to restore\./);
    const dbs = await world.failsafe.rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual(dbs.DBInstances ?? [], [], "nothing restored");

    lines = [];
    const before = new Date(
      new Date(String(oldest?.tags["failsafe:source-time"])).getTime() - 60_000,
    );
    assert.equal(
      await cli(["restore", "--source", "orders", "--at", before.toISOString(), "--as", "x"]),
      2,
    );
    assert.match(
      text(),
      new RegExp(
        `no copy of orders at or before ${before.toISOString()}: the oldest available copy is ${oldest?.id}`,
      ),
    );
    lines = [];
    assert.equal(await cli(["restore", "--source", "orders", "--at", "yesterday", "--as", "x"]), 2);
    assert.match(text(), /--at "yesterday" must be an ISO 8601 time/);
    lines = [];
    assert.equal(await cli(["restore", "--source", "orders", "--as", "bad--name"]), 2);
    assert.match(text(), /--as "bad--name" is not a valid RDS identifier/);
    lines = [];
    assert.equal(await cli(["restore", "--source", "nope", "--as", "x"]), 2);
    assert.match(text(), /no failsafe copies of nope/);
  });

  it("--apply restores the copy in the failsafe account and shows progress until available", async () => {
    const [, , newest] = await orderCopies();
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--as",
        "orders-restored",
        "--apply",
        "--poll-seconds",
        "0.2",
      ]),
      0,
      text(),
    );
    assert.match(text(), /\[00:00\] instance orders-restored: available/);
    assert.match(text(), /instance orders-restored is available after \d+ s/);
    const { DBInstances = [] } = await world.failsafe.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: "orders-restored" }),
    );
    const db = DBInstances[0];
    assert.equal(db?.DBInstanceStatus, "available");
    assert.equal(db?.PubliclyAccessible, false);
    assert.equal(db?.KmsKeyId, world.vaultKeyArn);
    assert.equal(db?.TagList?.find((t) => t.Key === "failsafe:restored-from")?.Value, newest?.arn);
    assert.equal(
      db?.TagList?.some((t) => t.Key === DRILL_TAG.drill),
      false,
      "not a drill: never deleted by one",
    );

    lines = [];
    assert.equal(await cli(["restore", "--source", "orders", "--as", "orders-restored"]), 2);
    assert.match(
      text(),
      /--as orders-restored is taken: a DB instance with that identifier exists/,
    );
  });

  it("restores an Aurora cluster copy: the cluster, then its instance", async () => {
    await world.runPipeline(
      await world.createCluster("ledger", { tagged: true, encryption: "cmk" }),
    );
    assert.equal(
      await cli(["restore", "--source", "ledger", "--as", "ledger-restored", "--apply"]),
      2,
    );
    assert.match(text(), /a cluster restore needs --instance-class/);
    lines = [];
    assert.equal(
      await cli([
        "restore",
        "--source",
        "cluster/ledger",
        "--as",
        "ledger-restored",
        "--instance-class",
        "db.t4g.medium",
        "--apply",
        "--poll-seconds",
        "0.2",
      ]),
      0,
      text(),
    );
    assert.match(text(), /RestoreDBClusterFromSnapshot/);
    assert.match(text(), /cluster ledger-restored: (creating|available)/);
    assert.match(text(), /instance ledger-restored-1: available/);
    const { DBClusters = [] } = await world.failsafe.rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: "ledger-restored" }),
    );
    assert.equal(DBClusters[0]?.DBClusterMembers?.[0]?.DBInstanceIdentifier, "ledger-restored-1");
  });

  it("names the missing permission when AWS refuses the restore", async () => {
    const proxy = await ThrottleProxy.start({
      target: emulatorEndpoint(),
      refuse: (action) =>
        action === "rds:RestoreDBInstanceFromDBSnapshot"
          ? {
              code: "AccessDenied",
              message: `User: arn:aws:sts::${FAILSAFE_ACCOUNT}:assumed-role/operator/cli is not authorized to perform: rds:RestoreDBInstanceFromDBSnapshot on resource: arn:aws:rds:${REGION}:${FAILSAFE_ACCOUNT}:db:orders-restored because no identity-based policy allows the rds:RestoreDBInstanceFromDBSnapshot action`,
            }
          : undefined,
    });
    try {
      assert.equal(
        await cli(
          ["restore", "--source", "orders", "--as", "orders-restored", "--apply"],
          proxy.endpoint,
        ),
        1,
      );
      assert.match(
        text(),
        /MissingPermission: missing permission rds:RestoreDBInstanceFromDBSnapshot on arn:aws:rds:eu-west-1:222222222222:db:orders-restored/,
      );
    } finally {
      await proxy.close();
    }
  });

  it("--to-account shares a copy re-encrypted with a recovery key (never the vault key) and prints the commands to run there", async () => {
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--as",
        "orders",
        "--to-account",
        RECOVERY,
        "--kms-key",
        NAMES.keyAlias.vault,
      ]),
      2,
    );
    assert.match(text(), /is the vault key: the vault key is never shared/);
    lines = [];
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--as",
        "orders",
        "--to-account",
        FAILSAFE_ACCOUNT,
      ]),
      2,
    );
    assert.match(text(), /is the failsafe account itself/);
    lines = [];
    assert.equal(
      await cli(["restore", "--source", "orders", "--as", "orders", "--to-account", RECOVERY]),
      0,
      text(),
    );
    assert.match(text(), /CreateKey \+ CreateAlias alias\/failsafe-recovery-333333333333/);
    assert.match(text(), /dry run: nothing changed\. Add --apply to share it\./);
    lines = [];
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--as",
        "orders",
        "--to-account",
        RECOVERY,
        "--apply",
        "--poll-seconds",
        "0.2",
      ]),
      0,
      text(),
    );
    const sharedArn = /shared (arn:aws:rds:\S+) with 333333333333/.exec(text())?.[1] ?? "";
    assert.match(sharedArn, /:snapshot:recovery-333333333333-orders-/);
    assert.match(
      text(),
      new RegExp(
        `aws rds copy-db-snapshot --region eu-west-1 --source-db-snapshot-identifier ${sharedArn} --target-db-snapshot-identifier orders --kms-key-id`,
      ),
    );
    const share = await world.failsafe.rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: sharedArn.split(":").pop() }),
    );
    const copy = share.DBSnapshots?.[0];
    assert.notEqual(copy?.KmsKeyId, world.vaultKeyArn, "re-encrypted: not under the vault key");
    assert.equal(
      copy?.TagList?.some((t) => t.Key === "failsafe:managed"),
      false,
      "not a managed copy",
    );

    // What the printed command does, from the recovery account: it sees the share and copies it.
    const recovery = await accountClients(RECOVERY);
    const theirKey = await recovery.kms.send(
      new CreateKeyCommand({ Description: "recovery's own" }),
    );
    await recovery.rds.send(
      new CopyDBSnapshotCommand({
        SourceDBSnapshotIdentifier: sharedArn,
        TargetDBSnapshotIdentifier: "orders",
        KmsKeyId: theirKey.KeyMetadata?.Arn,
      }),
    );
    const theirs = await recovery.rds.send(
      new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: "orders" }),
    );
    assert.equal(theirs.DBSnapshots?.[0]?.Status, "available");
    assert.equal(theirs.DBSnapshots?.[0]?.KmsKeyId, theirKey.KeyMetadata?.Arn);

    // A second run reuses the key and the copy.
    lines = [];
    assert.equal(
      await cli([
        "restore",
        "--source",
        "orders",
        "--as",
        "orders",
        "--to-account",
        RECOVERY,
        "--apply",
        "--poll-seconds",
        "0.2",
      ]),
      0,
      text(),
    );
    assert.doesNotMatch(text(), /CreateKey/);
    assert.match(text(), /\(exists already: reused\)/);
  });

  it("refuses an identifier that is taken, and changes nothing", async () => {
    await world.failsafe.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: "taken",
        Engine: "postgres",
        DBInstanceClass: "db.t3.micro",
        AllocatedStorage: 20,
        MasterUsername: "app",
        MasterUserPassword: "not-a-secret-1",
      }),
    );
    assert.equal(await cli(["restore", "--source", "orders", "--as", "taken", "--apply"]), 2);
    assert.match(text(), /--as taken is taken/);
    const { DBInstances = [] } = await world.failsafe.rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual(
      DBInstances.map((d) => d.DBInstanceIdentifier),
      ["taken"],
    );
    assert.ok(PROD_ACCOUNT);
  });
});
