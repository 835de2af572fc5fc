import {
  CreateFunctionCommand,
  GetAccountSettingsCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from "@aws-sdk/client-lambda";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { strict as assert } from "node:assert";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
  resetEmulator,
} from "./harness";
import { emulatorConfig, iamOf } from "./support/first-deploy";

/**
 * Emulator extension 15 (test/emulator/account_limits.py): Lambda's account concurrency, which
 * preflight reads, as the Lambda API reference and developer guide document it.
 */
describe("emulator: Lambda's account quota (extension 15)", function () {
  this.timeout(60_000);
  beforeEach(resetEmulator);

  it("15: GetAccountSettings per account; a new account (10) cannot reserve concurrency, as Lambda keeps 100 unreserved", async () => {
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
