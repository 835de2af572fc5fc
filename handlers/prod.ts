/**
 * The prod (copy) side's Lambda entry points, built once per cold start: settings parsed, SDK
 * clients and logger created. This module is also the root of the prod Lambda bundle, so it pulls
 * in nothing of the failsafe side.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { SNSClient } from "@aws-sdk/client-sns";
import { CLIENT_DEFAULTS, type Injected, type ProdDeps } from "./context";
import { copyHandler } from "./copy";
import { createLogger } from "./log";
import { PROD_METRICS_SERVICE, powertoolsMetrics } from "./metrics";
import { prodSweepHandler } from "./prod-sweep";
import { parseProdSettings, type ProdSettingsInput, settingsFromEnv } from "./settings";
import { shareHandler } from "./share";

export type { ProdSettingsInput } from "./settings";

export function prodHandlers(input: ProdSettingsInput, inject: Injected<ProdDeps> = {}) {
  const settings = parseProdSettings(input);
  const deps: ProdDeps = {
    rds: inject.rds ?? new RDSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    sns: inject.sns ?? new SNSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    metrics: inject.metrics ?? powertoolsMetrics(PROD_METRICS_SERVICE),
    log: inject.log ?? createLogger(PROD_METRICS_SERVICE),
    clock: inject.clock ?? (() => new Date()),
    settings,
  };
  return { copy: copyHandler(deps), share: shareHandler(deps), sweep: prodSweepHandler(deps) };
}

export type ProdHandlers = ReturnType<typeof prodHandlers>;

/** What the deployed Lambda calls once per cold start: settings from RDS_FAILSAFE_SETTINGS. */
export function prodHandlersFromEnv(): ProdHandlers {
  return prodHandlers(settingsFromEnv() as Parameters<typeof prodHandlers>[0]);
}
