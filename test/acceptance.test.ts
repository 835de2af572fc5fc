import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { strict as assert } from "node:assert";
import { RdsSnapshots } from "../handlers/rds";
import { isManagedTagged } from "../handlers/tags";
import { emulatorEnvironment } from "../scripts/acceptance-emulator";
import { runAcceptance } from "../scripts/acceptance-run";
import { accountClients, FAILSAFE_ACCOUNT, PROD_ACCOUNT } from "./harness";

/**
 * npm run acceptance, proven on the emulator: the same steps as in a sandbox account pair (the
 * three databases, the sweeps until each has a failsafe copy, the table, the clean-up), with the
 * deployed sweep code run in Lambda-like processes instead of Lambda Invoke (which moto cannot run
 * without docker).
 */
describe("npm run acceptance (emulator)", function () {
  this.timeout(180_000);

  it("protects a DB instance (unencrypted, aws/rds) and an Aurora cluster (app CMK), prints the table and cleans up", async () => {
    const env = await emulatorEnvironment();
    const lines: string[] = [];
    const result = await runAcceptance(env, { prefix: "acc", rounds: 5 }, (l) => lines.push(l));
    assert.deepEqual(
      result.rows.map((r) => [r.kind, r.id, r.encryption, r.status]),
      [
        ["instance", "acc-plain", "none", "protected"],
        ["instance", "acc-awsrds", "aws/rds", "protected"],
        ["cluster", "acc-cmk", "app CMK", "protected"],
      ],
      lines.join("\n"),
    );
    for (const row of result.rows) {
      assert.match(row.intermediate ?? "", /^failsafe-acc-/);
      assert.match(row.copy ?? "", new RegExp(`^failsafe-${PROD_ACCOUNT}-acc-`));
      assert.equal(row.copyEncrypted, true, `${row.id}: encrypted with the vault key`);
    }
    // prod sweep copies, then shares; the failsafe sweep saves: three rounds.
    assert.ok(result.rounds <= 3, `${result.rounds} rounds`);
    assert.deepEqual(result.leftovers, []);

    const prod = await accountClients(PROD_ACCOUNT);
    const failsafe = await accountClients(FAILSAFE_ACCOUNT);
    const instances = (await prod.rds.send(new DescribeDBInstancesCommand({}))).DBInstances ?? [];
    assert.deepEqual(
      instances.filter((d) => d.DBInstanceIdentifier?.startsWith("acc-")),
      [],
    );
    const clusters = (await prod.rds.send(new DescribeDBClustersCommand({}))).DBClusters ?? [];
    assert.deepEqual(
      clusters.filter((d) => d.DBClusterIdentifier?.startsWith("acc-")),
      [],
    );
    for (const rds of [prod.rds, failsafe.rds]) {
      for (const kind of ["instance", "cluster"] as const) {
        for await (const s of new RdsSnapshots(rds).listSnapshots(kind, "manual")) {
          assert.ok(!(isManagedTagged(s.tags) && s.sourceId.startsWith("acc-")), `${s.id} left`);
        }
      }
    }
    const keyLine = lines.find((l) => l.includes("deletion scheduled in 7 days")) ?? "";
    const keyArn = /key (arn:\S+)/.exec(keyLine)?.[1] ?? "";
    const key = await prod.kms.send(new DescribeKeyCommand({ KeyId: keyArn.split("/").pop() }));
    assert.equal(key.KeyMetadata?.KeyState, "PendingDeletion");
  });
});
