import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ProdSettingsInput } from "../handlers/settings";
import { heartbeatHours } from "./schedule";
import { SnapshotFunction } from "./function";
import { FUNCTION_SCALING } from "./limits";
import { SnapshotQuotaRequest } from "./snapshot-quota";
import { policyDocument } from "./iam";
import { transitKeyPolicy } from "./keys";
import { anyAboveZeroAlarm, heartbeatAlarm } from "./alarms";
import { PROD_METRICS_SERVICE, METRICS_NAMESPACE } from "../handlers/metrics";
import { Messaging } from "./messaging";
import { NAMES, regionArns } from "./names";
import { automatedSnapshotCreatedPattern, managedSnapshotReadyPattern } from "./patterns";
import { copyStatements, prodSweepStatements, shareStatements } from "./permissions";
import { COPY_QUEUE_MAX_RECEIVES, QueueWithDlq } from "./queue";
import { opsDashboard } from "./dashboard";
import { snapshotQuotaAlarm } from "./quota-alarm";

export interface CopySideArgs {
  /** Provider of the prod account (assumed role, allowedAccountIds = [prodAccountId]). */
  readonly provider: aws.Provider;
  readonly region: string;
  readonly prodAccountId: string;
  readonly failsafeAccountId: string;
  /** The failsafe account's hand-off topic (fixed name, or read from the failsafe stack). */
  readonly handoffTopicArn: pulumi.Input<string>;
  /** Databases carrying this tag are protected. */
  readonly selectionTagKey: string;
  /** Matched ignoring case. */
  readonly selectionTagValue: string;
  /** Intermediate copies older than this are deleted by the sweep, except the newest per source. */
  readonly intermediateKeepHours: number;
  /**
   * A tagged database older than this with no copy shared with the failsafe account counts as
   * unprotected (alarm on the prod ops topic). The stack uses rpoHours.
   */
  readonly unprotectedAfterHours: number;
  /** EventBridge schedule expression of the prod sweep. */
  readonly sweepSchedule: string;
  readonly logRetentionDays: number;
  /** Permissions boundary ARN every function role carries (deploy-roles.ts); none when undefined. */
  readonly permissionsBoundaryArn?: string;
  /** The deploy role of this account, named in the policies of the keys it may update (keys.ts). */
  readonly deployRoleArn?: string;
  /** Manual-snapshot quota to request through Service Quotas (snapshot-quota.ts); none when undefined. */
  readonly requestSnapshotQuota?: number;
  /** Optional e-mail subscription to the prod ops topic. */
  readonly notificationEmail?: string;
}

/**
 * The prod account's side: transit key, the two RDS event rules with their queues, and the copy,
 * share and sweep functions.
 */
export class CopySide extends pulumi.ComponentResource {
  readonly transitKeyArn: pulumi.Output<string>;
  readonly opsTopicArn: pulumi.Output<string>;
  readonly queueUrls: pulumi.Output<{
    copy: string;
    copyDlq: string;
    share: string;
    shareDlq: string;
  }>;
  readonly functionNames: pulumi.Output<string[]>;

  constructor(name: string, args: CopySideArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:copy:CopySide", name, {}, opts);
    if (!args.provider) {
      throw new Error("CopySide: [provider] must be the prod account's aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const accounts = {
      region: args.region,
      prod: [args.prodAccountId],
      failsafe: args.failsafeAccountId,
    };
    const arns = regionArns(args.region);

    const transitKey = new aws.kms.Key(
      "transit",
      {
        description:
          "rds-failsafe transit key: encrypts the intermediate copies shared with the failsafe account",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument(
          transitKeyPolicy(
            args.region,
            args.prodAccountId,
            args.failsafeAccountId,
            args.deployRoleArn,
          ),
        ),
      },
      // Never replace this key to "rotate" it (rotation is on): incremental cross-account copies
      // need the previous copy under the same key.
      child,
    );
    new aws.kms.Alias(
      "transit",
      { name: NAMES.keyAlias.transit, targetKeyId: transitKey.keyId },
      child,
    );

    const messaging = new Messaging(
      "prod-messaging",
      {
        provider: args.provider,
        region: args.region,
        account: args.prodAccountId,
        keyAlias: NAMES.keyAlias.prodMessaging,
        opsTopicName: NAMES.opsTopic.copy,
        notificationEmail: args.notificationEmail,
        deployRoleArn: args.deployRoleArn,
      },
      { parent: this },
    );
    const alarmTopicArn = messaging.opsTopic.arn;

    const settings: pulumi.Output<ProdSettingsInput> = pulumi.output({
      region: args.region,
      prodAccountId: args.prodAccountId,
      failsafeAccountId: args.failsafeAccountId,
      selectionTagKey: args.selectionTagKey,
      selectionTagValue: args.selectionTagValue,
      transitKmsKeyArn: transitKey.arn,
      handoffTopicArn: args.handoffTopicArn,
      intermediateKeepHours: args.intermediateKeepHours,
      unprotectedAfterHours: args.unprotectedAfterHours,
    });

    const rule = (resourceName: string, ruleName: string, description: string, pattern: object) =>
      new aws.cloudwatch.EventRule(
        resourceName,
        { name: ruleName, description, eventPattern: JSON.stringify(pattern) },
        child,
      );
    const created = rule(
      "automated-snapshot-created",
      NAMES.rule.automatedSnapshotCreated,
      "Automated DB or cluster snapshot created: copy it if its database is tagged",
      automatedSnapshotCreatedPattern(args.prodAccountId),
    );
    const ready = rule(
      "managed-snapshot-ready",
      NAMES.rule.managedSnapshotReady,
      "An rds-failsafe intermediate copy is available: share it with the failsafe account",
      managedSnapshotReadyPattern(args.region, args.prodAccountId),
    );

    const common = {
      provider: args.provider,
      region: args.region,
      account: args.prodAccountId,
      consumerTimeoutSeconds: 60,
      alarmTopicArn,
    };
    const copyQueue = new QueueWithDlq(
      "copy",
      {
        ...common,
        senderService: "events",
        senderArn: arns.rule(args.prodAccountId, NAMES.rule.automatedSnapshotCreated),
        maxReceiveCount: COPY_QUEUE_MAX_RECEIVES,
      },
      { parent: this },
    );
    const shareQueue = new QueueWithDlq(
      "share",
      {
        ...common,
        senderService: "events",
        senderArn: arns.rule(args.prodAccountId, NAMES.rule.managedSnapshotReady),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      "automated-snapshot-created",
      { rule: created.name, arn: copyQueue.queue.arn },
      child,
    );
    new aws.cloudwatch.EventTarget(
      "managed-snapshot-ready",
      { rule: ready.name, arn: shareQueue.queue.arn },
      child,
    );

    const fn = {
      provider: args.provider,
      region: args.region,
      account: args.prodAccountId,
      side: "prod" as const,
      settings,
      logRetentionDays: args.logRetentionDays,
      alarmTopicArn,
      permissionsBoundaryArn: args.permissionsBoundaryArn,
    };
    const functions = [
      new SnapshotFunction(
        "copy",
        {
          ...fn,
          functionName: NAMES.fn.copy,
          description: "Copies automated snapshots of tagged databases to intermediate copies",
          entry: "copy",
          statements: copyStatements(accounts),
          // 4 invocations × 5 records: at most 20 copies started at once, RDS's in-flight limit.
          trigger: { queue: copyQueue, ...FUNCTION_SCALING.copy },
        },
        { parent: this },
      ),
      new SnapshotFunction(
        "share",
        {
          ...fn,
          functionName: NAMES.fn.share,
          description: "Shares intermediate copies with the failsafe account and hands them off",
          entry: "share",
          statements: shareStatements(accounts),
          trigger: { queue: shareQueue, ...FUNCTION_SCALING.share },
        },
        { parent: this },
      ),
      new SnapshotFunction(
        "prod-sweep",
        {
          ...fn,
          functionName: NAMES.fn.prodSweep,
          description: "Reconciles copies and shares missed by events; deletes old intermediates",
          entry: "sweep",
          statements: prodSweepStatements(accounts),
          trigger: { schedule: args.sweepSchedule },
        },
        { parent: this },
      ),
    ];

    const metric = { namespace: METRICS_NAMESPACE, dimensions: { service: PROD_METRICS_SERVICE } };
    anyAboveZeroAlarm(
      "unprotected-sources",
      {
        name: "rds-failsafe-unprotected-sources",
        description: `A database tagged ${args.selectionTagKey}=${args.selectionTagValue} has no copy shared with the failsafe account ${args.unprotectedAfterHours} h after it was created (or its automated backups are off). The prod sweep's log names each one and why (unprotected).`,
        ...metric,
        metricName: "UnprotectedSources",
        statistic: "Maximum",
        periodSeconds: 3600,
        topicArn: alarmTopicArn,
      },
      child,
    );
    heartbeatAlarm(
      "prod-sweep-stopped",
      {
        name: "rds-failsafe-prod-sweep-stopped",
        description: `The prod sweep has not completed a run for ${heartbeatHours(args.sweepSchedule)} h (INSUFFICIENT_DATA): missed copies and shares are not caught up and unprotected databases not counted. See rds-failsafe-prod-sweep's logs.`,
        ...metric,
        metricName: "SweepCompleted",
        // its schedule's longest gap and an hour (components/schedule.ts)
        hours: heartbeatHours(args.sweepSchedule),
        topicArn: alarmTopicArn,
      },
      child,
    );

    // Operations (docs/operations.md): the manual-snapshot quota alarm and the account's dashboard.
    snapshotQuotaAlarm(
      "prod-snapshot-quota",
      { account: "prod", service: PROD_METRICS_SERVICE, topicArn: alarmTopicArn },
      child,
    );
    opsDashboard(
      "prod-dashboard",
      { region: args.region, account: args.prodAccountId, side: "prod" },
      child,
    );

    this.transitKeyArn = transitKey.arn;
    this.opsTopicArn = alarmTopicArn;
    this.queueUrls = pulumi.output({
      copy: copyQueue.queue.url,
      copyDlq: copyQueue.dlq.url,
      share: shareQueue.queue.url,
      shareDlq: shareQueue.dlq.url,
    });
    this.functionNames = pulumi.all(functions.map((f) => f.function.name));
    if (args.requestSnapshotQuota !== undefined) {
      new SnapshotQuotaRequest(
        "snapshot-quota",
        { provider: args.provider, value: args.requestSnapshotQuota },
        { parent: this },
      );
    }
    this.registerOutputs({
      transitKeyArn: this.transitKeyArn,
      opsTopicArn: this.opsTopicArn,
      queueUrls: this.queueUrls,
      functionNames: this.functionNames,
    });
  }
}
