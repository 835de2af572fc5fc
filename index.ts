/**
 * rds-failsafe: config → providers → components → outputs. The only place that reads config.
 *
 * `sides` picks what this stack builds: `copy` (prod stack), `save` (failsafe stack, deploy it
 * first) or `both` (one stack, two providers; see the README for why split stacks are safer).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  accountProvider,
  CONFIG_KEYS,
  CopySide,
  handoffTopicArn as fixedHandoffTopicArn,
  OrgGuard,
  parseStackConfig,
  SaveSide,
} from "./components";
import { quotaWarnings } from "./components/quota-check";

const cfg = new pulumi.Config();
const config = parseStackConfig(Object.fromEntries(CONFIG_KEYS.map((key) => [key, cfg.get(key)])));
// Would the protected databases' copies fit the manual-snapshot quota? (warnings, components/quota-check.ts)
for (const warning of quotaWarnings(config)) {
  void pulumi.log.warn(warning);
}
const tags = { Application: "rds-failsafe", ManagedBy: "pulumi", Stack: pulumi.getStack() };
const common = {
  region: config.region,
  failsafeAccountId: config.failsafeAccountId,
  logRetentionDays: config.logRetentionDays,
  notificationEmail: config.notificationEmail,
};

const buildSave = config.sides === "save" || config.sides === "both";
const buildCopy = config.sides === "copy" || config.sides === "both";

const save =
  buildSave && config.failsafeRoleArn && config.breakGlassPrincipalArn
    ? new SaveSide("save", {
        ...common,
        provider: accountProvider("failsafe", {
          accountId: config.failsafeAccountId,
          roleArn: config.failsafeRoleArn,
          region: config.region,
          tags: { ...tags, Side: "save" },
        }),
        prodAccountIds: config.prodAccountIds,
        breakGlassPrincipalArn: config.breakGlassPrincipalArn,
        retentionDays: config.retentionDays,
        minCopies: config.minCopies,
        freezeAfterHours: config.freezeAfterHours,
        rpoHours: config.rpoHours,
        sweepSchedule: config.failsafeSweepSchedule,
        notifyOn: config.notifyOn,
        // The DR region: a second provider of the failsafe account, in that region.
        dr: config.drRegion
          ? {
              region: config.drRegion,
              provider: accountProvider("failsafe-dr", {
                accountId: config.failsafeAccountId,
                roleArn: config.failsafeRoleArn,
                region: config.drRegion,
                tags: { ...tags, Side: "save" },
              }),
            }
          : undefined,
      })
    : undefined;

/**
 * The hand-off topic: from this program's save side, from the failsafe stack's outputs, or (its
 * name being fixed) built from the failsafe account id. A referenced stack must say a topic of the
 * configured failsafe account.
 */
function resolveHandoffTopicArn(): pulumi.Input<string> {
  if (save) {
    return save.handoffTopicArn;
  }
  const expected = fixedHandoffTopicArn(config.region, config.failsafeAccountId);
  if (!config.failsafeStack) {
    return expected;
  }
  const stack = config.failsafeStack;
  return new pulumi.StackReference(stack).getOutput("handoffTopicArn").apply((arn: unknown) => {
    if (arn !== expected) {
      const exported =
        arn === undefined
          ? "exports no handoffTopicArn"
          : `exports handoffTopicArn ${JSON.stringify(arn)}`;
      throw readableRunError(
        `rds-failsafe:failsafeStack = "${stack}" ${exported}, but this stack expects "${expected}" (from rds-failsafe:failsafeAccountId and rds-failsafe:region). Fix: point failsafeStack at the failsafe stack of account ${config.failsafeAccountId}, or correct failsafeAccountId / region`,
      );
    }
    return expected;
  });
}

/**
 * A RunError (printed as its message alone) whose message stays as written. @pulumi/pulumi
 * prefixes `error serializing property "<key>": ` to the SAME error object every time a resource
 * input that rejected with it is serialized (runtime/rpc.js, serializeProperties), so one failed
 * check consumed by a dozen resources came out as a 20-level chain (docs/engine.md).
 */
function readableRunError(message: string): pulumi.RunError {
  const error = new pulumi.RunError(message);
  Object.defineProperty(error, "message", { get: () => message, set: () => undefined });
  return error;
}

const copy =
  buildCopy && config.prodRoleArn
    ? new CopySide("copy", {
        ...common,
        provider: accountProvider("prod", {
          accountId: config.prodAccountId,
          roleArn: config.prodRoleArn,
          region: config.region,
          tags: { ...tags, Side: "copy" },
        }),
        prodAccountId: config.prodAccountId,
        handoffTopicArn: resolveHandoffTopicArn(),
        selectionTagKey: config.selectionTagKey,
        selectionTagValue: config.selectionTagValue,
        intermediateKeepHours: config.intermediateKeepHours,
        unprotectedAfterHours: config.rpoHours,
        sweepSchedule: config.prodSweepSchedule,
      })
    : undefined;

// The org guard depends on config only: a third provider, in the organization's management (or
// delegated administrator) account, attaches its SCP and RCP to the failsafe account.
const orgGuard =
  config.orgGuard &&
  config.managementAccountId &&
  config.managementRoleArn &&
  config.failsafeRoleArn &&
  config.breakGlassPrincipalArn
    ? new OrgGuard("org-guard", {
        provider: accountProvider("management", {
          accountId: config.managementAccountId,
          roleArn: config.managementRoleArn,
          region: config.region,
          tags: { ...tags, Side: "org" },
        }),
        region: config.region,
        failsafeAccountId: config.failsafeAccountId,
        failsafeRoleArn: config.failsafeRoleArn,
        breakGlassPrincipalArn: config.breakGlassPrincipalArn,
      })
    : undefined;

export const sides = config.sides;
export const handoffTopicArn = save?.handoffTopicArn;
export const vaultKeyArn = save?.vaultKeyArn;
export const drVaultKeyArn = save?.drVaultKeyArn;
export const transitKeyArn = copy?.transitKeyArn;
export const opsTopicArns = { copy: copy?.opsTopicArn, save: save?.opsTopicArn };
export const queueUrls = { copy: copy?.queueUrls, save: save?.queueUrls };
export const lambdas = pulumi
  .all([copy?.functionNames ?? [], save?.functionNames ?? []])
  .apply(([a, b]) => [...a, ...b]);
export const orgGuardPolicyIds = orgGuard
  ? { scp: orgGuard.scpId, rcp: orgGuard.rcpId }
  : undefined;
