import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FailsafeSettingsInput } from "../handlers/settings";
import { FAILSAFE_METRICS_SERVICE, METRICS_NAMESPACE } from "../handlers/metrics";
import { anyAboveZeroAlarm, heartbeatAlarm } from "./alarms";
import { heartbeatHours } from "./schedule";
import { SnapshotFunction } from "./function";
import { FUNCTION_SCALING } from "./limits";
import { SnapshotQuotaRequest } from "./snapshot-quota";
import { policyDocument } from "./iam";
import { vaultKeyPolicy } from "./keys";
import { Messaging } from "./messaging";
import { handoffPublishers, NAMES, regionArns } from "./names";
import { managedSnapshotReadyPattern } from "./patterns";
import { failsafeSweepStatements, retentionStatements, saveStatements } from "./permissions";
import { COPY_QUEUE_MAX_RECEIVES, QueueWithDlq } from "./queue";
import { Drills, type DrillConfig } from "./drills";
import { DrCopy, drRetentionStatements, drSweepStatements, DrVault } from "./dr-region";
import { opsDashboard } from "./dashboard";
import { snapshotQuotaAlarm } from "./quota-alarm";

export interface SaveSideArgs {
  /** Provider of the failsafe account (assumed role, allowedAccountIds = [failsafeAccountId]). */
  readonly provider: aws.Provider;
  readonly region: string;
  /**
   * Every prod account whose copy side hands off to this failsafe account. Each runs its own
   * copy-side stack; only these may publish hand-offs, and only their snapshots are saved.
   */
  readonly prodAccountIds: readonly string[];
  readonly failsafeAccountId: string;
  /** The only principal that may delete, disable or change the policy of the vault key. */
  readonly breakGlassPrincipalArn: string;
  readonly retentionDays: number;
  readonly minCopies: number;
  readonly freezeAfterHours: number;
  /** The RPO alarm fires when a protected source's newest copy is older than this. */
  readonly rpoHours: number;
  /** EventBridge schedule expression of the failsafe sweep (at least hourly: the RPO alarm's period). */
  readonly sweepSchedule: string;
  readonly notifyOn: "failures" | "all";
  readonly logRetentionDays: number;
  /** Permissions boundary ARN every function role carries (deploy-roles.ts); none when undefined. */
  readonly permissionsBoundaryArn?: string;
  /** The deploy role of this account, named in the policies of the keys it may update (keys.ts). */
  readonly deployRoleArn?: string;
  /** Manual-snapshot quota to request through Service Quotas (snapshot-quota.ts); none when undefined. */
  readonly requestSnapshotQuota?: number;
  readonly notificationEmail?: string;
  // --- recovery (issue 12) ---
  /** Weekly retention tier: the newest copy of each of this many ISO weeks is kept. */
  readonly keepWeekly: number;
  /** Monthly retention tier: the newest copy of each of this many calendar months is kept. */
  readonly keepMonthly: number;
  /** Restore drills; absent: no drills. */
  readonly drills?: DrillConfig;
  // --- end recovery ---
  /**
   * Optional DR region (docs/organization.md): every failsafe copy is copied there too, inside the
   * failsafe account. `provider` is the failsafe account's provider in that region.
   */
  readonly dr?: { readonly region: string; readonly provider: aws.Provider };
}

export { FAILSAFE_METRICS_SERVICE };

/**
 * The failsafe account's side: vault key, hand-off topic and queue, the save, retention and sweep
 * functions, the RPO alarm and the ops topic.
 */
export class SaveSide extends pulumi.ComponentResource {
  readonly vaultKeyArn: pulumi.Output<string>;
  readonly handoffTopicArn: pulumi.Output<string>;
  readonly opsTopicArn: pulumi.Output<string>;
  readonly queueUrls: pulumi.Output<{
    save: string;
    saveDlq: string;
    retention: string;
    retentionDlq: string;
  }>;
  readonly functionNames: pulumi.Output<string[]>;
  /** The DR region's vault key, when a DR region is configured. */
  readonly drVaultKeyArn?: pulumi.Output<string>;

  constructor(name: string, args: SaveSideArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:save:SaveSide", name, {}, opts);
    if (!args.provider) {
      throw new Error("SaveSide: [provider] must be the failsafe account's aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const accounts = {
      region: args.region,
      prod: args.prodAccountIds,
      failsafe: args.failsafeAccountId,
    };
    const arns = regionArns(args.region);

    const vaultKey = new aws.kms.Key(
      "vault",
      {
        description:
          "rds-failsafe vault key: encrypts every failsafe copy; only break-glass may delete, disable or re-write its policy",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument(
          vaultKeyPolicy(args.region, args.failsafeAccountId, args.breakGlassPrincipalArn),
        ),
        // The policy denies kms:PutKeyPolicy to everyone but break-glass, the deploy role
        // included: KMS's lock-out check would refuse to create such a key otherwise. That is the
        // point (README "The vault key"): changing this policy is a break-glass operation.
        bypassPolicyLockoutSafetyCheck: true,
      },
      // protect, not retainOnDelete: `pulumi destroy` must stop here, loudly, rather than drop
      // the key from the state and leave it (and its alias, which would then block the next
      // deploy) behind. `pulumi destroy --exclude-protected` removes everything else and keeps
      // both in the state, so a later `pulumi up` takes them up again; deleting the key is a
      // break-glass operation (docs/deploy.md, "Tear down").
      { ...child, protect: true },
    );
    new aws.kms.Alias(
      "vault",
      { name: NAMES.keyAlias.vault, targetKeyId: vaultKey.keyId },
      { ...child, protect: true },
    );

    const publishers = handoffPublishers(args.region, args.prodAccountIds);
    const messaging = new Messaging(
      "messaging",
      {
        provider: args.provider,
        region: args.region,
        account: args.failsafeAccountId,
        keyAlias: NAMES.keyAlias.messaging,
        opsTopicName: NAMES.opsTopic.save,
        notificationEmail: args.notificationEmail,
        crossAccountPublishers: publishers,
        deployRoleArn: args.deployRoleArn,
      },
      { parent: this },
    );
    const alarmTopicArn = messaging.opsTopic.arn;

    const handoffArn = arns.topic(args.failsafeAccountId, NAMES.handoffTopic);
    const handoff = new aws.sns.Topic(
      "handoff",
      { name: NAMES.handoffTopic, kmsMasterKeyId: messaging.key.arn },
      child,
    );
    new aws.sns.TopicPolicy(
      "handoff",
      {
        arn: handoff.arn,
        policy: policyDocument([
          {
            // The accounts as principals plus aws:PrincipalArn, not the role ARNs as principals: a
            // re-created prod role then keeps working (a role principal is pinned to the role's
            // unique id when the policy is saved).
            Sid: "OnlyProdShareRolesPublish",
            Effect: "Allow",
            Principal: { AWS: args.prodAccountIds.map((account) => arns.root(account)) },
            Action: "sns:Publish",
            Resource: handoffArn,
            Condition: { ArnEquals: { "aws:PrincipalArn": publishers } },
          },
        ]),
      },
      child,
    );

    const common = {
      provider: args.provider,
      region: args.region,
      account: args.failsafeAccountId,
      consumerTimeoutSeconds: 60,
      alarmTopicArn,
    };
    const saveQueue = new QueueWithDlq(
      "save",
      {
        ...common,
        senderService: "sns",
        senderArn: handoffArn,
        // The same in-flight copy limit applies to the failsafe account's copies.
        maxReceiveCount: COPY_QUEUE_MAX_RECEIVES,
      },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      "handoff-to-save",
      { topic: handoff.arn, protocol: "sqs", endpoint: saveQueue.queue.arn },
      child,
    );
    const ready = new aws.cloudwatch.EventRule(
      "failsafe-copy-ready",
      {
        name: NAMES.rule.failsafeCopyReady,
        description: "A failsafe copy finished: apply retention to its source",
        eventPattern: JSON.stringify(
          managedSnapshotReadyPattern(args.region, args.failsafeAccountId),
        ),
      },
      child,
    );
    const retentionQueue = new QueueWithDlq(
      "retention",
      {
        ...common,
        senderService: "events",
        senderArn: arns.rule(args.failsafeAccountId, NAMES.rule.failsafeCopyReady),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      "failsafe-copy-ready",
      { rule: ready.name, arn: retentionQueue.queue.arn },
      child,
    );

    // --- DR region: its vault key first (the settings name it), the rest after the functions ---
    const drAccounts = args.dr && { ...accounts, drRegion: args.dr.region };
    const drVault =
      args.dr &&
      new DrVault(
        "dr-vault",
        {
          provider: args.dr.provider,
          drRegion: args.dr.region,
          failsafeAccountId: args.failsafeAccountId,
          breakGlassPrincipalArn: args.breakGlassPrincipalArn,
        },
        { parent: this },
      );
    const settings: pulumi.Output<FailsafeSettingsInput> = pulumi.output({
      ...(args.dr && drVault ? { drRegion: args.dr.region, drVaultKmsKeyArn: drVault.keyArn } : {}),
      region: args.region,
      prodAccountIds: [...args.prodAccountIds],
      failsafeAccountId: args.failsafeAccountId,
      vaultKmsKeyArn: vaultKey.arn,
      handoffTopicArn: handoff.arn,
      retentionDays: args.retentionDays,
      minCopies: args.minCopies,
      freezeAfterHours: args.freezeAfterHours,
      rpoHours: args.rpoHours,
      opsTopicArn: alarmTopicArn,
      notifyOn: args.notifyOn,
      // recovery (issue 12): tiers, and the drill block (the sweep counts overdue drills)
      keepWeekly: args.keepWeekly,
      keepMonthly: args.keepMonthly,
      ...(args.drills
        ? {
            drills: {
              drillsPerRun: args.drills.drillsPerRun,
              drillMaxAgeDays: args.drills.drillMaxAgeDays,
              maxInstanceClass: { ...args.drills.maxInstanceClass },
              ...(args.drills.subnetGroup ? { subnetGroup: args.drills.subnetGroup } : {}),
              securityGroupIds: [...args.drills.securityGroupIds],
            },
          }
        : {}),
    });
    const fn = {
      provider: args.provider,
      region: args.region,
      account: args.failsafeAccountId,
      side: "failsafe" as const,
      settings,
      logRetentionDays: args.logRetentionDays,
      alarmTopicArn,
      permissionsBoundaryArn: args.permissionsBoundaryArn,
    };
    const functions = [
      new SnapshotFunction(
        "save",
        {
          ...fn,
          functionName: NAMES.fn.save,
          description:
            "Copies snapshots shared by prod into the failsafe account with the vault key",
          entry: "save",
          statements: saveStatements(accounts),
          // At most 20 copies started at once: RDS's in-flight copy limit per account and region.
          trigger: { queue: saveQueue, ...FUNCTION_SCALING.save },
        },
        { parent: this },
      ),
      new SnapshotFunction(
        "retention",
        {
          ...fn,
          functionName: NAMES.fn.retention,
          description:
            "Deletes failsafe copies past retention, keeping minCopies and frozen sources",
          entry: "retention",
          statements: [
            ...retentionStatements(accounts),
            ...(drAccounts ? drRetentionStatements(drAccounts) : []),
          ],
          trigger: { queue: retentionQueue, ...FUNCTION_SCALING.retention },
        },
        { parent: this },
      ),
      new SnapshotFunction(
        "failsafe-sweep",
        {
          ...fn,
          functionName: NAMES.fn.failsafeSweep,
          description: "Saves shared snapshots missed by hand-offs; RPO metrics; retention",
          entry: "sweep",
          statements: [
            ...failsafeSweepStatements(accounts),
            ...(drAccounts ? drSweepStatements(drAccounts) : []),
          ],
          trigger: { schedule: args.sweepSchedule },
        },
        { parent: this },
      ),
    ];

    const drCopy =
      drAccounts &&
      new DrCopy(
        "dr",
        {
          provider: args.provider,
          region: args.region,
          drRegion: drAccounts.drRegion,
          failsafeAccountId: args.failsafeAccountId,
          settings,
          copyReadyRuleName: ready.name,
          rpoHours: args.rpoHours,
          logRetentionDays: args.logRetentionDays,
          alarmTopicArn,
          permissionsBoundaryArn: args.permissionsBoundaryArn,
        },
        { parent: this },
      );
    // --- end DR region ---

    const metric = {
      namespace: METRICS_NAMESPACE,
      dimensions: { service: FAILSAFE_METRICS_SERVICE },
    };
    // One alarm for "some lineage is in breach"; each lineage entering breach is also told on its
    // own by the sweep (a second breach while the first lasts would not move this alarm).
    // No figure means the sweep did not run: the heartbeat alarm below says that, so this one
    // stays OK after a deploy instead of going red before the first sweep.
    anyAboveZeroAlarm(
      "rpo",
      {
        name: "rds-failsafe-rpo-breach",
        description: `At least one protected database has no failsafe copy newer than ${args.rpoHours} h. The sweep told ops which (one message per database entering breach); its log names them all (rpoBreaches).`,
        ...metric,
        metricName: "RpoBreaches",
        statistic: "Maximum",
        periodSeconds: 3600,
        topicArn: alarmTopicArn,
      },
      child,
    );
    heartbeatAlarm(
      "failsafe-sweep-stopped",
      {
        name: "rds-failsafe-failsafe-sweep-stopped",
        description: `The failsafe sweep has not completed a run for ${heartbeatHours(args.sweepSchedule)} h (INSUFFICIENT_DATA): nothing checks the RPO or saves missed snapshots. See rds-failsafe-failsafe-sweep's logs and errors alarm.`,
        ...metric,
        metricName: "SweepCompleted",
        // its schedule's longest gap and an hour (components/schedule.ts)
        hours: heartbeatHours(args.sweepSchedule),
        topicArn: alarmTopicArn,
      },
      child,
    );
    anyAboveZeroAlarm(
      "rejected-handoffs",
      {
        name: "rds-failsafe-rejected-handoffs",
        description:
          "The save function rejected hand-offs (forged, malformed, or naming snapshots not shared by a configured prod account). Nothing was copied for them; its log says why per message.",
        ...metric,
        metricName: "RejectedHandoffs",
        statistic: "Sum",
        topicArn: alarmTopicArn,
      },
      child,
    );

    // recovery (issue 12): restore drills, their own component.
    const drills = args.drills
      ? new Drills(
          "drills",
          {
            provider: args.provider,
            region: args.region,
            failsafeAccountId: args.failsafeAccountId,
            prodAccountIds: args.prodAccountIds,
            drill: args.drills,
            settings,
            logRetentionDays: args.logRetentionDays,
            alarmTopicArn,
            permissionsBoundaryArn: args.permissionsBoundaryArn,
          },
          { parent: this },
        )
      : undefined;
    // Operations (docs/operations.md): the manual-snapshot quota alarm and the account's dashboard.
    snapshotQuotaAlarm(
      "failsafe-snapshot-quota",
      { account: "failsafe", service: FAILSAFE_METRICS_SERVICE, topicArn: alarmTopicArn },
      child,
    );
    opsDashboard(
      "failsafe-dashboard",
      {
        region: args.region,
        account: args.failsafeAccountId,
        side: "failsafe",
        rpoHours: args.rpoHours,
        // recovery (issue 12): the drills' figures (handlers/drill.ts, drill-verify.ts)
        ...(args.drills
          ? {
              drills: {
                metrics: ["DrillsStarted", "DrillsCompleted", "DrillFailures"],
                perSource: "DrillRtoSeconds",
              },
            }
          : {}),
      },
      child,
    );

    this.vaultKeyArn = vaultKey.arn;
    this.handoffTopicArn = handoff.arn;
    this.opsTopicArn = alarmTopicArn;
    this.queueUrls = pulumi.output({
      save: saveQueue.queue.url,
      saveDlq: saveQueue.dlq.url,
      retention: retentionQueue.queue.url,
      retentionDlq: retentionQueue.dlq.url,
    });
    this.functionNames = pulumi
      .all([
        pulumi.all([
          ...functions.map((f) => f.function.name),
          ...(drCopy ? [drCopy.functionName] : []),
        ]),
        drills?.functionNames ?? [],
      ])
      .apply(([own, drill]) => [...own, ...drill]);
    this.drVaultKeyArn = drVault?.keyArn;
    if (args.requestSnapshotQuota !== undefined) {
      new SnapshotQuotaRequest(
        "snapshot-quota",
        { provider: args.provider, value: args.requestSnapshotQuota },
        { parent: this },
      );
    }
    this.registerOutputs({
      vaultKeyArn: this.vaultKeyArn,
      handoffTopicArn: this.handoffTopicArn,
      opsTopicArn: this.opsTopicArn,
      queueUrls: this.queueUrls,
      functionNames: this.functionNames,
      drVaultKeyArn: this.drVaultKeyArn,
    });
  }
}
