// The demo's last step (scripts/demo.ts): what an operator sees the morning after, with
// `npx rds-failsafe status`. The deployed functions' configuration (their settings, as the program
// gives them), the program's alarms and its DLQs are put into the emulator as a deploy would leave
// them; then the CLI reads both accounts exactly as it would on AWS.
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { main } from "../cli/index";
import { SETTINGS_ENV } from "../handlers/settings";
import {
  accountClients,
  emulatorEndpoint,
  FAILSAFE_ACCOUNT,
  PROD_ACCOUNT,
  REGION,
} from "../test/harness";
import type { DeployedCode } from "../test/support/deployed";
import { deployFunctionConfig, registerAlarm } from "../test/support/ops-fixtures";
import { ofType } from "../test/program/support";
import type { World } from "../test/support/world";

export async function statusStep(
  world: World,
  code: DeployedCode,
  say: (line: string) => void,
): Promise<number> {
  const prod = await accountClients(PROD_ACCOUNT);
  const failsafe = await accountClients(FAILSAFE_ACCOUNT);
  const accountOf = (urn: string) => (urn.includes("SaveSide") ? failsafe : prod);
  say("registering what a deploy leaves besides the code: function settings, alarms, DLQs");
  for (const f of ofType(code.program, "aws:lambda/function:Function")) {
    const env = (f.inputs.environment as { variables: Record<string, string> }).variables;
    const settings = JSON.parse(env[SETTINGS_ENV] ?? "{}") as Record<string, unknown>;
    // Key ids are random in the emulator (as in AWS): the same swap the deployed code gets.
    if (settings.transitKmsKeyArn) settings.transitKmsKeyArn = world.transitKeyArn;
    if (settings.vaultKmsKeyArn) settings.vaultKmsKeyArn = world.vaultKeyArn;
    await deployFunctionConfig(accountOf(f.urn), String(f.inputs.name), settings);
  }
  for (const a of ofType(code.program, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
    await registerAlarm(accountOf(a.urn), a.inputs);
  }
  for (const q of ofType(code.program, "aws:sqs/queue:Queue")) {
    const name = String(q.inputs.name);
    if (name.endsWith("-dlq")) {
      const account = accountOf(q.urn);
      const sqs = new SQSClient({
        region: REGION,
        endpoint: emulatorEndpoint(),
        credentials: account.credentials,
      });
      await sqs.send(new CreateQueueCommand({ QueueName: name }));
      sqs.destroy();
    }
  }
  const args = [
    "--region",
    REGION,
    "--endpoint",
    emulatorEndpoint(),
    "--prod-role-arn",
    `arn:aws:iam::${PROD_ACCOUNT}:role/operator`,
    "--failsafe-role-arn",
    `arn:aws:iam::${FAILSAFE_ACCOUNT}:role/operator`,
    "status",
  ];
  say(`npx rds-failsafe ${args.join(" ")}`);
  // The CLI takes the default credential chain, as an operator's shell would (moto checks no
  // signature; the role ARNs pick the accounts).
  process.env.AWS_ACCESS_KEY_ID ??= "AKIAEMULATOR0000TEST";
  process.env.AWS_SECRET_ACCESS_KEY ??= "emulator";
  console.log("");
  const status = await main(args);
  console.log("");
  if (status !== 0) {
    throw new Error(
      `npx rds-failsafe status exited ${status}: a database is in RPO breach or tagged but unprotected (see above)`,
    );
  }
  say("status exited 0: every tagged database is protected within its RPO");
  return status;
}
