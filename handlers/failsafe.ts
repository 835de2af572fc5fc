/**
 * The failsafe (save) side's Lambda entry points, built once per cold start. Also the root of the
 * failsafe Lambda bundle.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { SNSClient } from "@aws-sdk/client-sns";
import { CLIENT_DEFAULTS, type FailsafeDeps, type Injected } from "./context";
import { drillHandler } from "./drill";
import { drillVerifyHandler } from "./drill-verify";
import { drCopyHandler } from "./dr";
import { failsafeSweepHandler } from "./failsafe-sweep";
import { createLogger } from "./log";
import { FAILSAFE_METRICS_SERVICE, powertoolsMetrics } from "./metrics";
import { retentionHandler } from "./retention";
import { saveHandler } from "./save";
import { parseFailsafeSettings, type FailsafeSettingsInput, settingsFromEnv } from "./settings";

export type { FailsafeSettingsInput } from "./settings";

export function failsafeHandlers(
  input: FailsafeSettingsInput,
  inject: Injected<FailsafeDeps> = {},
) {
  const settings = parseFailsafeSettings(input);
  const deps: FailsafeDeps = {
    rds: inject.rds ?? new RDSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    sns: inject.sns ?? new SNSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    metrics: inject.metrics ?? powertoolsMetrics(FAILSAFE_METRICS_SERVICE),
    // The DR region's RDS (same account, same credentials): its own client, its own region.
    drRds:
      inject.drRds ??
      (settings.drRegion
        ? new RDSClient({ region: settings.drRegion, ...CLIENT_DEFAULTS })
        : undefined),
    log: inject.log ?? createLogger(FAILSAFE_METRICS_SERVICE),
    clock: inject.clock ?? (() => new Date()),
    settings,
  };
  return {
    save: saveHandler(deps),
    retention: retentionHandler(deps),
    sweep: failsafeSweepHandler(deps),
    // restore drills (issue 12)
    drill: drillHandler(deps),
    drillVerify: drillVerifyHandler(deps),
    drCopy: drCopyHandler(deps),
  };
}

export type FailsafeHandlers = ReturnType<typeof failsafeHandlers>;

/** What the deployed Lambda calls once per cold start: settings from RDS_FAILSAFE_SETTINGS. */
export function failsafeHandlersFromEnv(): FailsafeHandlers {
  return failsafeHandlers(settingsFromEnv() as Parameters<typeof failsafeHandlers>[0]);
}
