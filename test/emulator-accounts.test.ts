import {
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from "@aws-sdk/client-lambda";
import { CreateDBSnapshotCommand, DescribeAccountAttributesCommand } from "@aws-sdk/client-rds";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { strict as assert } from "node:assert";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  resetEmulator,
  setEmulatorLimits,
} from "./harness";
import { createDatabase, emulatorConfig, iamOf } from "./support/first-deploy";

/**
 * Emulator extensions 11 and 12 (test/emulator/account_limits.py): the account quotas preflight
 * reads, as the RDS and Lambda API references document them.
 */
describe("emulator: account quotas (extensions 11-12)", function () {
  this.timeout(60_000);
  beforeEach(resetEmulator);

  it("11: DescribeAccountAttributes counts the caller's manual snapshots, Max from the quota knob or 100", async () => {
    const { rds } = await accountClients(PROD_ACCOUNT);
    await createDatabase("instance", "orders", { tagged: true });
    const quotas = async () =>
      Object.fromEntries(
        ((await rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas ?? []).map(
          (q): [string, (number | undefined)[]] => [q.AccountQuotaName ?? "", [q.Used, q.Max]],
        ),
      );
    // The automated snapshot moto made at creation does not count.
    assert.deepEqual((await quotas()).ManualSnapshots, [0, 100]);
    await rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: "orders",
        DBSnapshotIdentifier: "manual-1",
      }),
    );
    await setEmulatorLimits({ manualSnapshotQuota: 250 });
    const now = await quotas();
    assert.deepEqual(now.ManualSnapshots, [1, 250]);
    assert.deepEqual(now.ManualClusterSnapshots, [0, 250]);
    assert.deepEqual(now.DBInstances, [1, 40]);
    // Per account: the failsafe account holds none.
    const failsafe = await accountClients(FAILSAFE_ACCOUNT);
    const other = (await failsafe.rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas;
    assert.deepEqual(other?.find((q) => q.AccountQuotaName === "ManualSnapshots")?.Used, 0);
  });

  it("12: GetAccountSettings per account; a new account (10) cannot reserve concurrency, as Lambda keeps 100 unreserved", async () => {
    await emulatorConfig({ rds_failsafe_accounts: { lambdaConcurrency: { [PROD_ACCOUNT]: 10 } } });
    const lambda = async (account: string) =>
      new LambdaClient({
        region: REGION,
        endpoint: emulatorEndpoint(),
        credentials: (await accountClients(account)).credentials,
        maxAttempts: 1,
      });
    const prod = await lambda(PROD_ACCOUNT);
    const settings = (await prod.send(new GetAccountSettingsCommand({}))).AccountLimit;
    assert.equal(settings?.ConcurrentExecutions, 10);
    assert.equal(settings?.UnreservedConcurrentExecutions, 10);
    const failsafe = await lambda(FAILSAFE_ACCOUNT);
    assert.equal(
      (await failsafe.send(new GetAccountSettingsCommand({}))).AccountLimit?.ConcurrentExecutions,
      1000,
    );

    const iam = await iamOf(PROD_ACCOUNT);
    const role = await iam.send(
      new CreateRoleCommand({
        RoleName: "rds-failsafe-prod-sweep",
        AssumeRolePolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "lambda.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        }),
      }),
    );
    await prod.send(
      new CreateFunctionCommand({
        FunctionName: "rds-failsafe-prod-sweep",
        Runtime: "nodejs22.x",
        Role: role.Role?.Arn,
        Handler: "index.handler",
        Code: { ZipFile: Buffer.from("PK\u0005\u0006" + "\u0000".repeat(18), "binary") },
      }),
    );
    // What the sweeps did before: reservedConcurrentExecutions 1.
    await assert.rejects(
      prod.send(
        new PutFunctionConcurrencyCommand({
          FunctionName: "rds-failsafe-prod-sweep",
          ReservedConcurrentExecutions: 1,
        }),
      ),
      /decreases account's UnreservedConcurrentExecution below its minimum value of \[100\]/,
    );
    for (const client of [prod, failsafe, iam]) client.destroy();
  });
});
