import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { FAILSAFE_METRICS_SERVICE, METRICS_NAMESPACE } from "../handlers/metrics";
import type { FailsafeSettingsInput } from "../handlers/settings";
import { FUNCTION_SCALING } from "./limits";
import { SnapshotFunction } from "./function";
import { drCopyStatements } from "./dr-permissions";
import { policyDocument } from "./iam";
import { vaultKeyPolicy } from "./keys";
import { NAMES, regionArns } from "./names";
import { COPY_QUEUE_MAX_RECEIVES, QueueWithDlq } from "./queue";

/**
 * The DR region (optional `drRegion`, docs/organization.md): a second copy of every failsafe copy,
 * in another region of the same partition, inside the failsafe account. Two components, because
 * the handlers' settings need the DR vault key before the functions exist:
 * - DrVault: the DR region's vault key (through the DR-region provider), with the vault key's
 *   lock-down policy built for that region (kms:ViaService rds.<drRegion>…);
 * - DrCopy: the dr-copy queue and function in the primary region (fed by the failsafe-copy-ready
 *   rule, like retention) and the DR RPO alarm.
 * The IAM statements are in dr-permissions.ts (plain code: the config check sizes them).
 */
export { drCopyStatements, drRetentionStatements, drSweepStatements } from "./dr-permissions";
export type { DrAccounts } from "./dr-permissions";

export interface DrVaultArgs {
  /** Provider of the failsafe account IN THE DR REGION (allowedAccountIds = [failsafe]). */
  readonly provider: aws.Provider;
  readonly drRegion: string;
  readonly failsafeAccountId: string;
  /** The only principal that may delete, disable or change the policy of the DR vault key. */
  readonly breakGlassPrincipalArn: string;
}

/** The DR region's vault key: the same lock-down as the primary vault key, in its own region. */
export class DrVault extends pulumi.ComponentResource {
  readonly keyArn: pulumi.Output<string>;

  constructor(name: string, args: DrVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:dr:DrVault", name, {}, opts);
    if (!args.provider) {
      throw new Error("DrVault: [provider] must be the failsafe account's DR-region aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `rds-failsafe DR vault key (${args.drRegion}): encrypts every DR copy; only break-glass may delete, disable or re-write its policy`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        // KMS keys are regional: a cross-region copy of an encrypted snapshot is encrypted with a
        // key of the destination region (USER_CopySnapshot, "Handling encryption").
        policy: policyDocument(
          vaultKeyPolicy(args.drRegion, args.failsafeAccountId, args.breakGlassPrincipalArn),
        ),
        // As for the vault key (save-side.ts): the policy denies kms:PutKeyPolicy to the deploy
        // role too, which KMS's lock-out check would refuse without this.
        bypassPolicyLockoutSafetyCheck: true,
      },
      child,
    );
    // The same alias as the primary vault key (aliases are per region): the function roles' and
    // the org guard's kms:ResourceAliases conditions name this one too.
    new aws.kms.Alias(`${name}-key`, { name: NAMES.keyAlias.vault, targetKeyId: key.keyId }, child);
    this.keyArn = key.arn;
    this.registerOutputs({ keyArn: this.keyArn });
  }
}

export interface DrCopyArgs {
  /** Provider of the failsafe account in the PRIMARY region (where the function runs). */
  readonly provider: aws.Provider;
  readonly region: string;
  readonly drRegion: string;
  readonly failsafeAccountId: string;
  /** The save side's handler settings (with drRegion and drVaultKmsKeyArn). */
  readonly settings: pulumi.Input<FailsafeSettingsInput>;
  /** The failsafe-copy-ready rule (its name): the dr-copy queue is its second target. */
  readonly copyReadyRuleName: pulumi.Input<string>;
  readonly rpoHours: number;
  readonly logRetentionDays: number;
  readonly alarmTopicArn: pulumi.Input<string>;
  /** Permissions boundary ARN of the dr-copy role (components/deploy-roles.ts); none when undefined. */
  readonly permissionsBoundaryArn?: string;
}

/** The dr-copy function, its queue (a second target of the failsafe-copy-ready rule), the DR alarm. */
export class DrCopy extends pulumi.ComponentResource {
  readonly functionName: pulumi.Output<string>;
  readonly queueUrl: pulumi.Output<string>;
  readonly dlqUrl: pulumi.Output<string>;

  constructor(name: string, args: DrCopyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("rds-failsafe:dr:DrCopy", name, {}, opts);
    if (!args.provider) {
      throw new Error("DrCopy: [provider] must be the failsafe account's aws.Provider");
    }
    const child = { parent: this, provider: args.provider };
    const arns = regionArns(args.region);
    const queue = new QueueWithDlq(
      "dr-copy",
      {
        provider: args.provider,
        region: args.region,
        account: args.failsafeAccountId,
        consumerTimeoutSeconds: 60,
        alarmTopicArn: args.alarmTopicArn,
        senderService: "events",
        senderArn: arns.rule(args.failsafeAccountId, NAMES.rule.failsafeCopyReady),
        // RDS refuses a copy when 20 are in progress to the destination region: the same retries
        // as the other copy queues.
        maxReceiveCount: COPY_QUEUE_MAX_RECEIVES,
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      "failsafe-copy-ready-dr",
      { rule: args.copyReadyRuleName, arn: queue.queue.arn },
      child,
    );
    const fn = new SnapshotFunction(
      "dr-copy",
      {
        provider: args.provider,
        region: args.region,
        account: args.failsafeAccountId,
        side: "failsafe",
        settings: args.settings,
        logRetentionDays: args.logRetentionDays,
        alarmTopicArn: args.alarmTopicArn,
        functionName: NAMES.fn.drCopy,
        permissionsBoundaryArn: args.permissionsBoundaryArn,
        description: `Copies every failsafe copy to the DR region ${args.drRegion}`,
        entry: "drCopy",
        statements: drCopyStatements({
          region: args.region,
          drRegion: args.drRegion,
          failsafe: args.failsafeAccountId,
        }),
        // 4 × 5 records: at most 20 copies started at once, RDS's limit per destination region.
        trigger: { queue, ...FUNCTION_SCALING.drCopy },
      },
      { parent: this },
    );
    new aws.cloudwatch.MetricAlarm(
      "dr-rpo",
      {
        name: "rds-failsafe-dr-rpo-breach",
        alarmDescription: `At least one protected database has no copy in the DR region ${args.drRegion} newer than ${args.rpoHours} h. The failsafe sweep told ops which; its log names them all (dr.rpoBreaches).`,
        namespace: METRICS_NAMESPACE,
        dimensions: { service: FAILSAFE_METRICS_SERVICE },
        metricName: "DrRpoBreaches",
        statistic: "Maximum",
        period: 3600,
        evaluationPeriods: 1,
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        // The failsafe sweep's heartbeat alarm says when no figure comes at all.
        treatMissingData: "notBreaching",
        alarmActions: [args.alarmTopicArn],
        okActions: [args.alarmTopicArn],
      },
      child,
    );
    this.functionName = fn.function.name;
    this.queueUrl = queue.queue.url;
    this.dlqUrl = queue.dlq.url;
    this.registerOutputs({
      functionName: this.functionName,
      queueUrl: this.queueUrl,
      dlqUrl: this.dlqUrl,
    });
  }
}
