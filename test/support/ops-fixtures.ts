// What an operator's `npx rds-failsafe status` finds in a deployed account besides snapshots, put
// into the emulator as AWS would hold it: the deployed functions' configuration (their settings
// environment), alarms in a state, DLQs holding messages, the sweeps' quota figures in CloudWatch.
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
  type StateValue,
} from "@aws-sdk/client-cloudwatch";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { METRICS_NAMESPACE } from "../../handlers/metrics";
import { SETTINGS_ENV } from "../../handlers/settings";
import { emulatorEndpoint, REGION, type AccountClients } from "../harness";

const config = (account: AccountClients) => ({
  region: REGION,
  endpoint: emulatorEndpoint(),
  credentials: account.credentials,
  maxAttempts: 2,
});

// The smallest valid zip archive (an empty one): moto stores the code, nothing runs it.
const EMPTY_ZIP = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

/** A function as the program deploys it: its role, and its settings in RDS_FAILSAFE_SETTINGS. */
export async function deployFunctionConfig(
  account: AccountClients,
  functionName: string,
  settings: Record<string, unknown>,
): Promise<void> {
  const iam = new IAMClient({ ...config(account), region: "us-east-1" });
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: functionName,
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
  const lambda = new LambdaClient(config(account));
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Role: role.Role?.Arn,
      Runtime: "nodejs22.x",
      Handler: "__index.handler",
      Code: { ZipFile: EMPTY_ZIP },
      Environment: { Variables: { [SETTINGS_ENV]: JSON.stringify(settings) } },
    }),
  );
  iam.destroy();
  lambda.destroy();
}

/** An alarm of the program's, moved to `state` (SetAlarmState, as CloudWatch's evaluation would). */
export async function alarmInState(
  account: AccountClients,
  name: string,
  state: StateValue,
  reason = "set by the test",
): Promise<void> {
  const cw = new CloudWatchClient(config(account));
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: name,
      Namespace: METRICS_NAMESPACE,
      MetricName: "RpoBreaches",
      Statistic: "Maximum",
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    }),
  );
  await cw.send(
    new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }),
  );
  cw.destroy();
}

/** A queue named like the program's DLQs, holding `messages` messages. */
export async function dlqHolding(
  account: AccountClients,
  name: string,
  messages: number,
): Promise<void> {
  const sqs = new SQSClient(config(account));
  // A scheduled function's DLQ is FIFO (components/function.ts): SQS needs the attribute and, per
  // message, a group and a deduplication id.
  const fifo = name.endsWith(".fifo");
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      ...(fifo ? { Attributes: { FifoQueue: "true" } } : {}),
    }),
  );
  for (let i = 0; i < messages; i += 1) {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: `{"parked":${i}}`,
        ...(fifo ? { MessageGroupId: "sweep", MessageDeduplicationId: String(i) } : {}),
      }),
    );
  }
  sqs.destroy();
}

/**
 * The hourly ManualSnapshotsUsed figures a sweep's EMF lines become in CloudWatch (the emulator
 * runs no Lambda log pipeline, so they are put directly), `points` as [hours ago, used].
 */
export async function quotaFigures(
  account: AccountClients,
  service: string,
  kind: "instance" | "cluster",
  points: readonly (readonly [number, number])[],
  now = new Date(),
): Promise<void> {
  const cw = new CloudWatchClient(config(account));
  await cw.send(
    new PutMetricDataCommand({
      Namespace: METRICS_NAMESPACE,
      MetricData: points.map(([hoursAgo, used]) => ({
        MetricName: "ManualSnapshotsUsed",
        Dimensions: [
          { Name: "Kind", Value: kind },
          { Name: "service", Value: service },
        ],
        Timestamp: new Date(now.getTime() - hoursAgo * 3_600_000),
        Value: used,
      })),
    }),
  );
  cw.destroy();
}

/** An alarm as the program defines it (a MetricAlarm's inputs under mocks), put as CloudWatch holds it. */
export async function registerAlarm(
  account: AccountClients,
  inputs: Record<string, unknown>,
): Promise<void> {
  const cw = new CloudWatchClient(config(account));
  const dimensions = (inputs.dimensions ?? {}) as Record<string, string>;
  await cw.send(
    new PutMetricAlarmCommand({
      AlarmName: String(inputs.name),
      AlarmDescription: inputs.alarmDescription as string | undefined,
      Namespace: String(inputs.namespace),
      MetricName: String(inputs.metricName),
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: inputs.statistic as "Sum" | "Maximum",
      Period: Number(inputs.period),
      EvaluationPeriods: Number(inputs.evaluationPeriods),
      DatapointsToAlarm: inputs.datapointsToAlarm as number | undefined,
      Threshold: Number(inputs.threshold),
      ComparisonOperator: inputs.comparisonOperator as "GreaterThanThreshold",
      TreatMissingData: inputs.treatMissingData as string | undefined,
      AlarmActions: inputs.alarmActions as string[] | undefined,
      OKActions: inputs.okActions as string[] | undefined,
      InsufficientDataActions: inputs.insufficientDataActions as string[] | undefined,
    }),
  );
  cw.destroy();
}
