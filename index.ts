/**
 * rds-failsafe: config → providers → components → outputs. The only place that reads config.
 *
 * `sides` picks what this stack builds: `copy` (prod stack), `save` (failsafe stack, deploy it
 * first) or `both` (one stack, two providers; see the README for why split stacks are safer), or
 * `bootstrap-prod` / `bootstrap-failsafe`: the deploy roles of one account (docs/deploy.md).
 */
import * as pulumi from "@pulumi/pulumi";
import {
  accountProvider,
  administratorProvider,
  boundaryArn,
  CONFIG_KEYS,
  DeployRoles,
  CopySide,
  handoffTopicArn as fixedHandoffTopicArn,
  OrgGuard,
  parseStackConfig,
  previewRoleArnOf,
  PROJECT,
  SaveSide,
} from "./components";
import { quotaWarnings } from "./components/quota-check";

const cfg = new pulumi.Config();
// Every `rds-failsafe:` key the engine passed (stack config plus Pulumi.yaml defaults): a key the
// program does not know is a typo that would otherwise be ignored (config.ts names the closest).
const present = Object.keys(pulumi.runtime.allConfig())
  .filter((key) => key.startsWith(`${PROJECT}:`))
  .map((key) => key.slice(PROJECT.length + 1));
const config = parseStackConfig(
  Object.fromEntries(CONFIG_KEYS.map((key) => [key, cfg.get(key)])),
  present,
);
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
  requestSnapshotQuota: config.requestSnapshotQuota,
};

// Pull-request previews in CI (.github/workflows/infra.yml) set RDS_FAILSAFE_PREVIEW_ONLY: the
// providers then assume each account's read-only preview role instead of its deploy role, and
// anything but a preview is refused (a pull request's code runs during its preview).
const previewOnly = process.env.RDS_FAILSAFE_PREVIEW_ONLY === "true";
if (previewOnly && !pulumi.runtime.isDryRun()) {
  throw new Error(
    "RDS_FAILSAFE_PREVIEW_ONLY is set: this run may only preview (pulumi preview), it holds the read-only preview role",
  );
}
const providerRole = (deployRoleArn: string) =>
  previewOnly ? previewRoleArnOf(deployRoleArn) : deployRoleArn;
const boundaryIn = (account: string) =>
  config.permissionsBoundary
    ? boundaryArn(config.region, account, config.permissionsBoundary)
    : undefined;

const buildSave = config.sides === "save" || config.sides === "both";
const buildCopy = config.sides === "copy" || config.sides === "both";

const save =
  buildSave && config.failsafeRoleArn && config.breakGlassPrincipalArn
    ? new SaveSide("save", {
        ...common,
        provider: accountProvider("failsafe", {
          accountId: config.failsafeAccountId,
          roleArn: providerRole(config.failsafeRoleArn),
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
        // recovery (issue 12)
        keepWeekly: config.keepWeekly,
        keepMonthly: config.keepMonthly,
        drills: config.drills
          ? {
              schedule: config.drillSchedule,
              drillsPerRun: config.drillsPerRun,
              drillMaxAgeDays: config.drillMaxAgeDays,
              maxInstanceClass: config.drillMaxInstanceClass,
              subnetGroup: config.drillSubnetGroup,
              securityGroupIds: config.drillSecurityGroupIds,
            }
          : undefined,
        permissionsBoundaryArn: boundaryIn(config.failsafeAccountId),
        deployRoleArn: config.failsafeRoleArn,
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
          roleArn: providerRole(config.prodRoleArn),
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
        permissionsBoundaryArn: boundaryIn(config.prodAccountId),
        deployRoleArn: config.prodRoleArn,
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
// The bootstrap stacks: one account's deploy, preview and CI roles and the permissions boundary.
const bootstrapKind =
  config.sides === "bootstrap-prod"
    ? "prod"
    : config.sides === "bootstrap-failsafe"
      ? "failsafe"
      : undefined;
const bootstrapAccount = bootstrapKind === "prod" ? config.prodAccountId : config.failsafeAccountId;
const bootstrap = bootstrapKind
  ? new DeployRoles("bootstrap", {
      provider: administratorProvider(`${bootstrapKind}-bootstrap`, {
        accountId: bootstrapAccount,
        region: config.region,
        tags: { ...tags, Side: `bootstrap-${bootstrapKind}` },
      }),
      context: {
        region: config.region,
        account: bootstrapAccount,
        kind: bootstrapKind,
        failsafeAccountId: config.failsafeAccountId,
        boundaryName: config.permissionsBoundary,
        breakGlassPrincipalArn: config.breakGlassPrincipalArn,
        // bootstrap-failsafe only (the config check): the boundary and the deploy role cover it
        drRegion: config.drRegion,
      },
      githubRepository: config.githubRepository,
      githubOidcProviderArn: config.githubOidcProviderArn,
      deployEnvironment: config.deployEnvironment,
      trustedPrincipalArns: config.trustedPrincipalArns,
    })
  : undefined;
export const roles = bootstrap
  ? {
      deploy: bootstrap.deployRoleArn,
      preview: bootstrap.previewRoleArn,
      boundary: bootstrap.boundaryArn,
      githubDeploy: bootstrap.githubDeployRoleArn,
      githubPreview: bootstrap.githubPreviewRoleArn,
    }
  : undefined;

export const orgGuardPolicyIds = orgGuard
  ? { scp: orgGuard.scpId, rcp: orgGuard.rcpId }
  : undefined;
