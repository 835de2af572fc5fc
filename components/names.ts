import { dnsSuffixOf, partitionOf } from "../handlers/partition";

/**
 * Names of everything one stack refers to in the other account. They are fixed, not generated, so
 * re-creating one stack does not change what the other stack's policies point at (a pain of the
 * seed design, where the CLI wiring had to be redone after every re-deploy). Fixed names also make
 * every ARN computable from config, so every IAM, key, topic and queue document is known when
 * `pulumi preview` runs and the policy pack checks all of them on a pull request.
 */
export const NAMES = {
  handoffTopic: "rds-failsafe-handoff",
  opsTopic: { copy: "rds-failsafe-prod-ops", save: "rds-failsafe-ops" },
  keyAlias: {
    transit: "alias/rds-failsafe-transit",
    vault: "alias/rds-failsafe-vault",
    prodMessaging: "alias/rds-failsafe-prod-messaging",
    messaging: "alias/rds-failsafe-messaging",
  },
  /** Function names; each function's role has the same name. */
  fn: {
    copy: "rds-failsafe-copy",
    share: "rds-failsafe-share",
    prodSweep: "rds-failsafe-prod-sweep",
    save: "rds-failsafe-save",
    retention: "rds-failsafe-retention",
    failsafeSweep: "rds-failsafe-failsafe-sweep",
    // restore drills (issue 12)
    drill: "rds-failsafe-drill",
    drillVerify: "rds-failsafe-drill-verify",
    /** DR region (optional drRegion): copies every failsafe copy there (components/dr-region.ts). */
    drCopy: "rds-failsafe-dr-copy",
  },
  /** EventBridge rules that feed queues (schedule rules are `<function>-schedule`). */
  rule: {
    automatedSnapshotCreated: "rds-failsafe-automated-snapshot-created",
    managedSnapshotReady: "rds-failsafe-managed-snapshot-ready",
    failsafeCopyReady: "rds-failsafe-failsafe-copy-ready",
    /** A drill database was restored, created or failed (issue 12). */
    drillEvents: "rds-failsafe-drill-events",
  },
} as const;

/** The queue of a consumer (`copy`, `share`, `save`, `retention`), and its DLQ. */
export const queueName = (consumer: string): string => `rds-failsafe-${consumer}`;
export const dlqName = (consumer: string): string => `rds-failsafe-${consumer}-dlq`;
export const scheduleRuleName = (functionName: string): string => `${functionName}-schedule`;
export const logGroupName = (functionName: string): string => `/aws/lambda/${functionName}`;

/** The managed snapshot name prefix (handlers/naming.ts MANAGED_PREFIX), for IAM resource ARNs. */
export const SNAPSHOT_PREFIX = "failsafe-";

/**
 * ARNs and service endpoints of one region, in that region's partition (`arn:aws-cn:…` in
 * cn-north-1, `arn:aws-us-gov:…` in us-gov-west-1; `rds.cn-north-1.amazonaws.com.cn`).
 */
export interface RegionArns {
  readonly region: string;
  readonly partition: string;
  root(account: string): string;
  role(account: string, name: string): string;
  topic(account: string, name: string): string;
  queue(account: string, name: string): string;
  rule(account: string, name: string): string;
  logGroup(account: string, name: string): string;
  lambda(account: string, name: string): string;
  rds(account: string, resource: string): string;
  /** Every KMS key of an account (narrowed by conditions and by the key policies). */
  keys(account: string): string;
  /** The `kms:ViaService` value of a service in this region. */
  viaService(service: string): string;
}

export function regionArns(region: string): RegionArns {
  const p = partitionOf(region);
  const arn = (service: string, account: string, resource: string, inRegion = true) =>
    `arn:${p}:${service}:${inRegion ? region : ""}:${account}:${resource}`;
  return {
    region,
    partition: p,
    root: (account) => arn("iam", account, "root", false),
    role: (account, name) => arn("iam", account, `role/${name}`, false),
    topic: (account, name) => arn("sns", account, name),
    queue: (account, name) => arn("sqs", account, name),
    rule: (account, name) => arn("events", account, `rule/${name}`),
    logGroup: (account, name) => arn("logs", account, `log-group:${name}`),
    lambda: (account, name) => arn("lambda", account, `function:${name}`),
    rds: (account, resource) => arn("rds", account, resource),
    keys: (account) => arn("kms", account, "key/*"),
    viaService: (service) => `${service}.${region}.${dnsSuffixOf(region)}`,
  };
}

/** The hand-off topic of a failsafe account (its name is fixed). */
export const handoffTopicArn = (region: string, failsafeAccount: string): string =>
  regionArns(region).topic(failsafeAccount, NAMES.handoffTopic);

/**
 * The roles in each prod account that publish hand-offs: the share function and the prod sweep
 * (which shares too).
 */
export const handoffPublishers = (region: string, prodAccounts: readonly string[]): string[] =>
  prodAccounts.flatMap((account) => [
    regionArns(region).role(account, NAMES.fn.share),
    regionArns(region).role(account, NAMES.fn.prodSweep),
  ]);
