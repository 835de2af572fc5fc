/**
 * Names of everything one stack refers to in the other account. They are fixed, not generated, so
 * re-creating one stack does not change what the other stack's policies point at (a pain of the
 * seed design, where the CLI wiring had to be redone after every re-deploy).
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
  },
} as const;

/** The managed snapshot name prefix (handlers/naming.ts MANAGED_PREFIX), for IAM resource ARNs. */
export const SNAPSHOT_PREFIX = "failsafe-";

export const roleArn = (account: string, name: string): string =>
  `arn:aws:iam::${account}:role/${name}`;

export const topicArn = (region: string, account: string, name: string): string =>
  `arn:aws:sns:${region}:${account}:${name}`;

export const rdsArn = (region: string, account: string, resource: string): string =>
  `arn:aws:rds:${region}:${account}:${resource}`;

/** Every KMS key of an account and region; narrowed by key policies and kms:ViaService. */
export const accountKeys = (region: string, account: string): string =>
  `arn:aws:kms:${region}:${account}:key/*`;

/** The roles in prod that publish hand-offs: the share function and the prod sweep (which shares). */
export const handoffPublishers = (prodAccount: string): string[] => [
  roleArn(prodAccount, NAMES.fn.share),
  roleArn(prodAccount, NAMES.fn.prodSweep),
];
