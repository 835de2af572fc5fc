/**
 * The program's stack files (Pulumi.<stack>.yaml), read and checked by the program's own config
 * rules (components/config.ts), so the CLI judges an account pair by the configuration that will
 * be deployed to it. Plain code: no @pulumi import.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
  CONFIG_KEYS,
  ConfigError,
  parseStackConfig,
  PROJECT,
  type StackConfig,
} from "../components/config";
import { UsageError } from "./accounts";

export interface StackFile {
  readonly file: string;
  /** The stack name (Pulumi.<stack>.yaml): what the providers' Stack tag says. */
  readonly stack: string;
  /** The parsed config, when it is valid. */
  readonly config?: StackConfig;
  /** What config.ts refused (each names the key and the fix). */
  readonly problems: readonly string[];
}

/** Reads one stack file: its `rds-failsafe:` keys through parseStackConfig. */
export function readStackFile(file: string): StackFile {
  if (!fs.existsSync(file)) {
    throw new UsageError(`stack file ${file} does not exist`);
  }
  const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
  if (!stack) {
    throw new UsageError(`${file} is not a stack file (Pulumi.<stack>.yaml)`);
  }
  const document = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: unknown };
  const config = (document.config ?? {}) as Record<string, unknown>;
  const present: string[] = [];
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!key.startsWith(`${PROJECT}:`)) continue;
    const name = key.slice(PROJECT.length + 1);
    present.push(name);
    // What the engine passes the program: strings, lists and objects as JSON.
    raw[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  try {
    const parsed = parseStackConfig(
      Object.fromEntries(CONFIG_KEYS.map((k) => [k, raw[k]])),
      present,
    );
    return { file, stack, config: parsed, problems: [] };
  } catch (err) {
    if (err instanceof ConfigError) {
      return { file, stack, problems: err.problems };
    }
    throw err;
  }
}

/** The stack files given, or the ones of this directory (Pulumi.failsafe.yaml, Pulumi.prod.yaml). */
export function stackFiles(given: readonly string[] | undefined, dir = process.cwd()): StackFile[] {
  const files =
    given && given.length > 0
      ? [...given]
      : ["Pulumi.failsafe.yaml", "Pulumi.prod.yaml"]
          .map((f) => path.join(dir, f))
          .filter((f) => fs.existsSync(f));
  if (files.length === 0) {
    throw new UsageError(
      "no stack files: give --stack-file Pulumi.failsafe.yaml --stack-file Pulumi.prod.yaml",
    );
  }
  return files.map(readStackFile);
}
