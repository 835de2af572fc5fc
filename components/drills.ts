import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DATABASE_DETAIL_TYPE, DRILL_EVENT_IDS } from "../handlers/drill-events";
import { DRILL_PREFIX } from "../handlers/naming";
import { FAILSAFE_METRICS_SERVICE, METRICS_NAMESPACE } from "../handlers/metrics";
import { anyAboveZeroAlarm } from "./alarms";
import { FUNCTION_SCALING } from "./limits";
import { SnapshotFunction } from "./function";
import { NAMES, regionArns } from "./names";
import { drillStatements, drillVerifyStatements, type Accounts } from "./permissions";
import { QueueWithDlq } from "./queue";

/** The stack config of restore drills (components/config.ts validated it). */
export interface DrillConfig {
  /** EventBridge schedule expression of the drill run. */
  readonly schedule: string;
  /** Drill databases at once at most. */
  readonly drillsPerRun: number;
  /** A lineage without a successful drill for this many days is overdue (alarm). */
  readonly drillMaxAgeDays: number;
  /** Largest DB instance class a drill may use, per engine. */
  readonly maxInstanceClass: Readonly<Record<string, string>>;
  /** DB subnet group of the drill databases (absent: the default VPC). */
  readonly subnetGroup?: string;
  /** VPC security groups of the drill databases (empty: the VPC's default). */
  readonly securityGroupIds: readonly string[];
}

export interface DrillsArgs {
  /** Provider of the failsafe account. */
  readonly provider: aws.Provider;
  readonly region: string;
  readonly failsafeAccountId: string;
  /** Every prod account (the statements' account set; drills act in the failsafe account only). */
  readonly prodAccountIds: readonly string[];
  readonly drill: DrillConfig;
  /** The save side's handler settings, drill block included (the functions share one bundle). */
  readonly settings: pulumi.Input<Record<string, unknown>>;
  readonly logRetentionDays: number;
  /** The ops topic: alarms and failed-drill messages. */
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Permissions boundary ARN of the drill roles (components/deploy-roles.ts); none when undefined. */
  readonly permissionsBoundaryArn?: string;
}

/**
 * The EventBridge pattern of the RDS events that move a drill on (handlers/drill-events.ts lists
 * them and why), for databases named like drills in the failsafe account only.
 */
export function drillEventsPattern(region: string, account: string) {
  const arn = (type: string) => regionArns(region).rds(account, `${type}:${DRILL_PREFIX}`);
  return {
    source: ["aws.rds"],
    account: [account],
    "detail-type": [DATABASE_DETAIL_TYPE.instance, DATABASE_DETAIL_TYPE.cluster],
    detail: {
      EventID: Object.values(DRILL_EVENT_IDS),
      SourceArn: [{ prefix: arn("db") }, { prefix: arn("cluster") }],
    },
  };
}

/**
 * Restore drills, part of the save side: the scheduled drill run (restores the newest copy of the
 * lineages whose last good drill is oldest into throwaway failsafe-drill-* databases), the
 * drill-verify function fed by RDS's "restored" events through EventBridge → SQS (verifies,
 * records the result and RTO, deletes), each with its own least-privilege role, and the alarms:
 * any failed drill, and any protected database without a good drill for drillMaxAgeDays.
 */
export class Drills extends pulumi.ComponentResource {
  readonly functionNames: pulumi.Output<string[]>;
  readonly queueUrl: pulumi.Output<string>;
  readonly dlqUrl: pulumi.Output<string>;

  constructor(name: string, args: DrillsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:save:Drills", name, {}, opts);
    if (!args.provider) {
      throw new Error("Drills: [provider] must be the failsafe account's aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const accounts: Accounts = {
      region: args.region,
      prod: args.prodAccountIds,
      failsafe: args.failsafeAccountId,
    };
    const arns = regionArns(args.region);

    const events = new aws.cloudwatch.EventRule(
      "drill-events",
      {
        name: NAMES.rule.drillEvents,
        description: "A restore drill database was restored, created or failed: verify it",
        eventPattern: JSON.stringify(drillEventsPattern(args.region, args.failsafeAccountId)),
      },
      child,
    );
    const queue = new QueueWithDlq(
      "drill-verify",
      {
        provider: args.provider,
        region: args.region,
        account: args.failsafeAccountId,
        consumerTimeoutSeconds: 60,
        senderService: "events",
        senderArn: arns.rule(args.failsafeAccountId, NAMES.rule.drillEvents),
        alarmTopicArn: args.alarmTopicArn,
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      "drill-events",
      { rule: events.name, arn: queue.queue.arn },
      child,
    );

    const fn = {
      provider: args.provider,
      region: args.region,
      account: args.failsafeAccountId,
      side: "failsafe" as const,
      settings: args.settings,
      logRetentionDays: args.logRetentionDays,
      alarmTopicArn: args.alarmTopicArn,
      permissionsBoundaryArn: args.permissionsBoundaryArn,
    };
    const placement = { subnetGroup: args.drill.subnetGroup };
    const functions = [
      new SnapshotFunction(
        "drill",
        {
          ...fn,
          functionName: NAMES.fn.drill,
          description:
            "Restore drills: restores the newest copy of the least recently proven databases into failsafe-drill-* databases",
          entry: "drill",
          statements: drillStatements(accounts, placement),
          trigger: { schedule: args.drill.schedule },
        },
        { parent: this },
      ),
      new SnapshotFunction(
        "drill-verify",
        {
          ...fn,
          functionName: NAMES.fn.drillVerify,
          description:
            "Restore drills: verifies a restored drill database against its copy, records the RTO, deletes it",
          entry: "drillVerify",
          statements: drillVerifyStatements(accounts, placement),
          trigger: { queue, ...FUNCTION_SCALING.drillVerify },
        },
        { parent: this },
      ),
    ];

    const metric = {
      namespace: METRICS_NAMESPACE,
      dimensions: { service: FAILSAFE_METRICS_SERVICE },
    };
    anyAboveZeroAlarm(
      "drill-failed",
      {
        name: "rds-failsafe-drill-failed",
        description:
          "A restore drill failed: a failsafe copy did not restore as it must (or its restore never became available). drill-verify told ops which and why; the copy's failsafe:drill-problem tag says it too.",
        ...metric,
        metricName: "DrillFailures",
        statistic: "Sum",
        topicArn: args.alarmTopicArn,
      },
      child,
    );
    anyAboveZeroAlarm(
      "drill-overdue",
      {
        name: "rds-failsafe-drill-overdue",
        description: `At least one protected database has had no successful restore drill for ${args.drill.drillMaxAgeDays} days. See the rds-failsafe-drill log (skipped and failed drills) and npx rds-failsafe copies --source <id>.`,
        ...metric,
        // The failsafe sweep counts them every hour, so the figure is there even when the drill
        // run itself stopped running; a missing figure is the sweep-stopped alarm's to report.
        metricName: "DrillOverdueSources",
        statistic: "Maximum",
        periodSeconds: 3600,
        topicArn: args.alarmTopicArn,
      },
      child,
    );

    this.functionNames = pulumi.all(functions.map((f) => f.function.name));
    this.queueUrl = queue.queue.url;
    this.dlqUrl = queue.dlq.url;
    this.registerOutputs({
      functionNames: this.functionNames,
      queueUrl: this.queueUrl,
      dlqUrl: this.dlqUrl,
    });
  }
}
