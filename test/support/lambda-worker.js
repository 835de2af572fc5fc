// Runs one deployed function's archive like the Lambda Node.js runtime: load the handler once,
// then invoke it per event (sent over IPC by test/support/lambda-runtime.ts). Plain JavaScript so
// that nothing from the project's tooling is loaded into the function's process.
"use strict";
const path = require("node:path");

const archiveDir = process.argv[2];
let handler;
try {
  handler = require(path.join(archiveDir, "__index.js")).handler;
} catch (err) {
  process.stderr.write(`cold start failed: ${err && err.stack}\n`);
}
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  awsRequestId: "local",
  getRemainingTimeInMillis: () => 60000,
};

process.on("message", async ({ id, event }) => {
  try {
    if (!handler) {
      throw new Error("the handler did not load (see stderr)");
    }
    const result = await handler(event, context);
    process.send({ id, result: result === undefined ? null : result });
  } catch (err) {
    process.send({ id, error: String((err && err.stack) || err) });
  }
});
