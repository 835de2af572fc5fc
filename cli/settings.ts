/**
 * The settings in force, for `status` and `report`: what the deployed sweeps were given (each
 * function's RDS_FAILSAFE_SETTINGS environment, read with lambda:GetFunctionConfiguration — the
 * same JSON the handlers parse at cold start, so status judges with exactly the deployed
 * rpoHours, retention and selection tag), then `--set key=value` overrides (to ask "what if",
 * or when a function cannot be read), then the handlers' own defaults. Every value says where it
 * came from.
 */
import { GetFunctionConfigurationCommand } from "@aws-sdk/client-lambda";
import { NAMES } from "../components/names";
import {
  failsafeSettingsSchema,
  parseFailsafeSettings,
  parseProdSettings,
  prodSettingsSchema,
  SETTINGS_ENV,
  type FailsafeSettings,
  type ProdSettings,
} from "../handlers/settings";
import { regionArns } from "../components/names";
import { UsageError, type AccountClients } from "./accounts";

export type Origin = "deployed" | "override" | "default";

export interface SideSettings<T> {
  readonly values: T;
  /** Where each key's value came from. */
  readonly origin: Readonly<Record<string, Origin>>;
  /** The function read, and what happened (deployed, or why the defaults are used). */
  readonly source: string;
  readonly deployed: boolean;
}

export interface SettingsInForce {
  readonly failsafe: SideSettings<FailsafeSettings>;
  readonly prod: SideSettings<ProdSettings>;
}

const FAILSAFE_KEYS = Object.keys(shapeOf(failsafeSettingsSchema));
const PROD_KEYS = Object.keys(shapeOf(prodSettingsSchema));

function shapeOf(schema: unknown): Record<string, unknown> {
  return (schema as { def: { shape: Record<string, unknown> } }).def.shape;
}

/**
 * `--set key=value` pairs: numbers and JSON arrays are parsed (`rpoHours=12`,
 * `prodAccountIds=["111111111111"]`, or comma-separated ids); keys must be settings of a side.
 */
export function parseOverrides(pairs: readonly string[]): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq > 0 ? pair.slice(0, eq).trim() : "";
    const raw = eq > 0 ? pair.slice(eq + 1).trim() : "";
    if (!key || !raw) {
      throw new UsageError(
        `--set ${JSON.stringify(pair)} must be key=value, e.g. --set rpoHours=12`,
      );
    }
    if (!FAILSAFE_KEYS.includes(key) && !PROD_KEYS.includes(key)) {
      throw new UsageError(
        `--set ${key}: no such setting; the settings are ${[...new Set([...FAILSAFE_KEYS, ...PROD_KEYS])].sort().join(", ")}`,
      );
    }
    overrides[key] =
      key === "prodAccountIds" && !raw.startsWith("[")
        ? raw.split(",").map((a) => a.trim())
        : /^-?\d+(\.\d+)?$/.test(raw)
          ? Number(raw)
          : raw.startsWith("[")
            ? parseJson(key, raw)
            : raw;
  }
  return overrides;
}

function parseJson(key: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new UsageError(`--set ${key}=${raw}: not a JSON list`);
  }
}

interface Deployed {
  readonly settings?: Record<string, unknown>;
  readonly source: string;
}

/** The settings a deployed function was given, or why they could not be read. */
async function deployedSettings(account: AccountClients, functionName: string): Promise<Deployed> {
  try {
    const fn = await account.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: functionName }),
    );
    const raw = fn.Environment?.Variables?.[SETTINGS_ENV];
    if (!raw) {
      return { source: `${functionName} has no ${SETTINGS_ENV} in its environment` };
    }
    return {
      settings: JSON.parse(raw) as Record<string, unknown>,
      source: `deployed ${functionName} (${SETTINGS_ENV})`,
    };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    const why =
      name === "ResourceNotFoundException"
        ? "is not deployed in this account"
        : name === "AccessDeniedException" || name === "AccessDenied"
          ? "cannot be read (lambda:GetFunctionConfiguration denied)"
          : `cannot be read (${err instanceof Error ? `${name}: ${err.message}` : String(err)})`;
    return { source: `${functionName} ${why}` };
  }
}

function resolve<T>(
  side: "failsafe" | "prod",
  keys: readonly string[],
  defaults: Record<string, unknown>,
  deployed: Deployed,
  overrides: Record<string, unknown>,
  parse: (input: unknown) => T,
): SideSettings<T> {
  const mine = Object.fromEntries(Object.entries(overrides).filter(([k]) => keys.includes(k)));
  const merged = { ...defaults, ...(deployed.settings ?? {}), ...mine };
  let values: T;
  try {
    values = parse(merged);
  } catch (err) {
    throw new UsageError(
      `the ${side} settings in force are invalid (${deployed.source}${Object.keys(mine).length ? `, with --set ${Object.keys(mine).join(", ")}` : ""}): ${(err as Error).message}`,
    );
  }
  const origin: Record<string, Origin> = {};
  for (const key of keys) {
    origin[key] =
      key in mine
        ? "override"
        : deployed.settings && key in deployed.settings
          ? "deployed"
          : "default";
  }
  return { values, origin, source: deployed.source, deployed: deployed.settings !== undefined };
}

/**
 * Reads both sweeps' settings (read-only) and applies the overrides. Without a deployed function,
 * the accounts come from the identities and everything else from the handlers' defaults; ARNs the
 * program would have given (vault key, topics) are then unknown and shown as such.
 */
export async function settingsInForce(
  prod: AccountClients,
  failsafe: AccountClients,
  region: string,
  overrides: Record<string, unknown>,
): Promise<SettingsInForce> {
  const [prodIdentity, failsafeIdentity, failsafeDeployed, prodDeployed] = await Promise.all([
    prod.identity(),
    failsafe.identity(),
    deployedSettings(failsafe, NAMES.fn.failsafeSweep),
    deployedSettings(prod, NAMES.fn.prodSweep),
  ]);
  const arns = regionArns(region);
  // Placeholders only so the schemas can fill their defaults; never shown as facts (origin
  // "default" and the `deployed` flag say so).
  const unknownKey = arns.keys(failsafeIdentity.account).replace("key/*", "key/not-deployed");
  const failsafeDefaults = {
    region,
    failsafeAccountId: failsafeIdentity.account,
    prodAccountIds: [prodIdentity.account],
    vaultKmsKeyArn: unknownKey,
  };
  const prodDefaults = {
    region,
    prodAccountId: prodIdentity.account,
    failsafeAccountId: failsafeIdentity.account,
    transitKmsKeyArn: arns.keys(prodIdentity.account).replace("key/*", "key/not-deployed"),
    handoffTopicArn: arns.topic(failsafeIdentity.account, NAMES.handoffTopic),
  };
  return {
    failsafe: resolve(
      "failsafe",
      FAILSAFE_KEYS,
      failsafeDefaults,
      failsafeDeployed,
      overrides,
      parseFailsafeSettings,
    ),
    prod: resolve("prod", PROD_KEYS, prodDefaults, prodDeployed, overrides, parseProdSettings),
  };
}
