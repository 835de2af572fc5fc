import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { servicePrincipal } from "../handlers/partition";
import { SETTINGS_ENV } from "../handlers/settings";
import { anyAboveZeroAlarm } from "./alarms";
import { excludedPackages, lambdaBundle, type Side } from "./bundle";
import { lambdaAssumeRolePolicy, policyDocument, type Statement } from "./iam";
import { logGroupName, regionArns, scheduleRuleName } from "./names";
import type { QueueWithDlq } from "./queue";

/** Node.js 22 is supported by Lambda until 2027 (Node.js 20 reached end of life in April 2026). */
export const LAMBDA_RUNTIME = "nodejs22.x";
export const LAMBDA_TIMEOUT_SECONDS = 60;

export type FunctionTrigger =
  | {
      /** SQS queue the function consumes with partial batch responses. */
      readonly queue: QueueWithDlq;
      readonly batchSize: number;
      /** Concurrent invocations at most (SQS event source scaling config, ≥ 2). */
      readonly maximumConcurrency: number;
    }
  | {
      /** EventBridge schedule expression, e.g. rate(1 hour). One invocation at a time. */
      readonly schedule: string;
    };

export interface SnapshotFunctionArgs {
  readonly provider: aws.Provider;
  readonly region: string;
  /** Account the function runs in (its role trusts only Lambda in this account). */
  readonly account: string;
  /** Function name; the role and log group are named after it. */
  readonly functionName: string;
  readonly description: string;
  /** Which handler bundle, and which entry of it (a key of prodHandlers()/failsafeHandlers()). */
  readonly side: Side;
  readonly entry: string;
  /** Handler settings, passed as JSON in the function's environment. */
  readonly settings: pulumi.Input<Record<string, unknown>>;
  /** What the function may do, besides writing its logs and reading its queue. */
  readonly statements: readonly Statement[];
  readonly logRetentionDays: number;
  /** Topic the error alarm notifies. */
  readonly alarmTopicArn: pulumi.Input<string>;
  readonly trigger: FunctionTrigger;
}

/**
 * One handler deployed as a CallbackFunction, with its own least-privilege role (never the
 * CallbackFunction default policies, which attach AWSLambda_FullAccess and more), a log group with
 * retention, bounded concurrency, its trigger and an alarm on errors.
 */
export class SnapshotFunction extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly function: aws.lambda.CallbackFunction<unknown, unknown>;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: SnapshotFunctionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:lambda:SnapshotFunction", name, {}, opts);
    const child = { parent: this, provider: args.provider };

    const arns = regionArns(args.region);
    const logGroup = logGroupName(args.functionName);
    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: logGroup, retentionInDays: args.logRetentionDays },
      child,
    );
    this.role = new aws.iam.Role(
      name,
      {
        name: args.functionName,
        description: `${args.description} (rds-failsafe)`,
        assumeRolePolicy: lambdaAssumeRolePolicy(args.account, args.region),
      },
      child,
    );
    const queueArn = "queue" in args.trigger ? args.trigger.queue.queueArn : undefined;
    const logs: Statement = {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: `${arns.logGroup(args.account, logGroup)}:*`,
    };
    const consume: Statement[] = queueArn
      ? [
          {
            Sid: "ConsumeOwnQueue",
            Effect: "Allow",
            Action: [
              "sqs:ReceiveMessage",
              "sqs:DeleteMessage",
              "sqs:GetQueueAttributes",
              "sqs:ChangeMessageVisibility",
            ],
            Resource: queueArn,
          },
        ]
      : [];
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        name: "least-privilege",
        policy: policyDocument([logs, ...consume, ...args.statements]),
      },
      child,
    );

    const bundle = lambdaBundle(args.side);
    const factoryName = args.side === "prod" ? "prodHandlersFromEnv" : "failsafeHandlersFromEnv";
    const entry = args.entry;
    this.function = new aws.lambda.CallbackFunction(
      name,
      {
        name: args.functionName,
        description: args.description,
        role: this.role,
        runtime: LAMBDA_RUNTIME,
        timeout: LAMBDA_TIMEOUT_SECONDS,
        memorySize: 256,
        // A sweep must not overlap with itself; queue consumers are bounded by their event source.
        reservedConcurrentExecutions: "schedule" in args.trigger ? 1 : undefined,
        environment: {
          variables: { [SETTINGS_ENV]: pulumi.jsonStringify(args.settings) },
        },
        loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
        // Runs once per cold start in Lambda: loads the bundle, parses settings, creates clients.
        callbackFactory: () => {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const handlers = require(`./${bundle}`) as Record<
            string,
            () => Record<string, (event: unknown) => Promise<unknown>>
          >;
          const create = handlers[factoryName];
          const handler = create?.()[entry];
          if (!handler) {
            throw new Error(`bundle ${bundle} has no ${factoryName}().${entry}`);
          }
          return handler;
        },
        codePathOptions: {
          extraIncludePaths: [bundle],
          extraExcludePackages: excludedPackages(),
        },
      },
      { ...child, dependsOn: [policy, this.logGroup] },
    );

    if ("queue" in args.trigger) {
      new aws.lambda.EventSourceMapping(
        name,
        {
          eventSourceArn: args.trigger.queue.queue.arn,
          functionName: this.function.arn,
          batchSize: args.trigger.batchSize,
          functionResponseTypes: ["ReportBatchItemFailures"],
          scalingConfig: { maximumConcurrency: args.trigger.maximumConcurrency },
        },
        { ...child, dependsOn: [policy] },
      );
    } else {
      const rule = new aws.cloudwatch.EventRule(
        `${name}-schedule`,
        {
          name: scheduleRuleName(args.functionName),
          description: `Runs ${args.functionName}`,
          scheduleExpression: args.trigger.schedule,
        },
        child,
      );
      new aws.lambda.Permission(
        `${name}-schedule`,
        {
          function: this.function.name,
          action: "lambda:InvokeFunction",
          principal: servicePrincipal("events", args.region),
          sourceArn: rule.arn,
        },
        child,
      );
      new aws.cloudwatch.EventTarget(
        `${name}-schedule`,
        { rule: rule.name, arn: this.function.arn },
        child,
      );
    }

    anyAboveZeroAlarm(
      `${name}-errors`,
      {
        name: `${args.functionName}-errors`,
        description: `${args.functionName} failed (an invocation threw or timed out); see ${args.functionName}'s logs.`,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: this.function.name },
        statistic: "Sum",
        topicArn: args.alarmTopicArn,
      },
      child,
    );
    this.registerOutputs({ functionName: this.function.name, roleArn: this.role.arn });
  }
}
