import { buildSync } from "esbuild";
import * as fs from "node:fs";
import * as path from "node:path";

export type Side = "prod" | "failsafe";

const ROOT = path.resolve(__dirname, "..");
const built = new Map<Side, string>();

/**
 * Bundles one side's handlers (handlers/prod.ts or handlers/failsafe.ts) into a single minified
 * CommonJS file and returns its path relative to the project directory, for a CallbackFunction's
 * `extraIncludePaths` and the `require` in its callbackFactory.
 *
 * Why a bundle: Pulumi's closure serializer copies local modules by value and ships every
 * production dependency whole; zod's package exports cannot be serialized by value at all, and
 * shipping node_modules would make each zip megabytes. The bundle keeps only what the handlers
 * use (the AWS SDK is left out: the Lambda runtime provides it). esbuild's output is deterministic,
 * so an unchanged handler does not produce a diff on `pulumi preview`.
 */
export function lambdaBundle(side: Side): string {
  const cached = built.get(side);
  if (cached) {
    return cached;
  }
  const outfile = path.join(ROOT, "bin", "lambda", `${side}.js`);
  buildSync({
    entryPoints: [path.join(ROOT, "handlers", `${side}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    external: ["@aws-sdk/*"],
    logLevel: "error",
  });
  // Archive paths are relative to the program's working directory, which Pulumi sets to the project.
  const relative = path.relative(process.cwd(), outfile);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    throw new Error(`run the program from the project directory ${ROOT} (cwd is ${process.cwd()})`);
  }
  built.set(side, relative.split(path.sep).join("/"));
  return built.get(side) as string;
}

/**
 * Packages never to put in a Lambda zip. Pulumi's closure serializer copies every production
 * dependency (package.json `dependencies`) into each CallbackFunction's archive unless told not
 * to; those are what `pulumi up` needs to build the program and the bundles (the Pulumi SDKs,
 * esbuild, the handlers' own packages that esbuild inlines, and the TypeScript toolchain the
 * Pulumi language host loads), none of which a function needs at run time: the handlers ship as
 * one bundle. Listed explicitly: test/program/serialized.test.ts fails when a dependency is added
 * without being listed here (it would land in every zip).
 */
export const DEPLOY_TIME_PACKAGES = [
  "@aws-lambda-powertools/batch",
  "@aws-lambda-powertools/logger",
  "@aws-lambda-powertools/metrics",
  "@pulumi/aws",
  "@pulumi/pulumi",
  "esbuild",
  "ts-node",
  "typescript",
  "zod",
] as const;

export function excludedPackages(): string[] {
  return [...DEPLOY_TIME_PACKAGES];
}

/** package.json's `dependencies`, for the check that each is excluded. */
export function productionDependencies(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {});
}
