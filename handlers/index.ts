/**
 * Entry points: build each side's handlers once per cold start (settings parsed, SDK clients and
 * logger created), so the Lambda wrappers stay one line. Tests inject clients pointed at the
 * emulator, a recording logger and a fixed clock.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { SNSClient } from "@aws-sdk/client-sns";
import type { FailsafeDeps, ProdDeps } from "./context";
import { copyHandler } from "./copy";
import { failsafeSweepHandler } from "./failsafe-sweep";
import { createLogger } from "./log";
import { prodSweepHandler } from "./prod-sweep";
import { retentionHandler } from "./retention";
import { saveHandler } from "./save";
import {
  parseFailsafeSettings,
  parseProdSettings,
  type FailsafeSettingsInput,
  type ProdSettingsInput,
} from "./settings";
import { shareHandler } from "./share";

export type { FailsafeSettingsInput, ProdSettingsInput } from "./settings";

// Adaptive retries add client-side rate limiting on throttling, which RDS Describe* calls hit
// first when many databases snapshot in the same backup window.
const CLIENT_DEFAULTS = { retryMode: "adaptive", maxAttempts: 5 } as const;

export type Injected<T> = Partial<Omit<T, "settings">>;

export function prodHandlers(input: ProdSettingsInput, inject: Injected<ProdDeps> = {}) {
  const settings = parseProdSettings(input);
  const deps: ProdDeps = {
    rds: inject.rds ?? new RDSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    sns: inject.sns ?? new SNSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    log: inject.log ?? createLogger("rds-failsafe-prod"),
    clock: inject.clock ?? (() => new Date()),
    settings,
  };
  return { copy: copyHandler(deps), share: shareHandler(deps), sweep: prodSweepHandler(deps) };
}

export function failsafeHandlers(
  input: FailsafeSettingsInput,
  inject: Injected<FailsafeDeps> = {},
) {
  const settings = parseFailsafeSettings(input);
  const deps: FailsafeDeps = {
    rds: inject.rds ?? new RDSClient({ region: settings.region, ...CLIENT_DEFAULTS }),
    log: inject.log ?? createLogger("rds-failsafe-failsafe"),
    clock: inject.clock ?? (() => new Date()),
    settings,
  };
  return {
    save: saveHandler(deps),
    retention: retentionHandler(deps),
    sweep: failsafeSweepHandler(deps),
  };
}
