// Runs one deployed function's archive like the Lambda Node.js runtime: load the handler once,
// then invoke it per event (sent over IPC by test/support/lambda-runtime.ts). Plain JavaScript so
// that nothing from the project's tooling is loaded into the function's process.
"use strict";
const path = require("node:path");

const archiveDir = process.argv[2];
// Fault scenarios run a function "days later" (the sweeps' keep windows): shift its clock.
const clockOffset = Number(process.env.TEST_CLOCK_OFFSET_MS || 0);
if (clockOffset) {
  const RealDate = Date;
  global.Date = class extends RealDate {
    constructor(...args) {
      super(...(args.length ? args : [RealDate.now() + clockOffset]));
    }
    static now() {
      return RealDate.now() + clockOffset;
    }
  };
}
let handler;
// Lambda reports the init phase (loading the code, the factory's setup) apart from each
// invocation's Duration; so do we.
const initStarted = performance.now();
let initMs;
try {
  handler = require(path.join(archiveDir, "__index.js")).handler;
  initMs = performance.now() - initStarted;
} catch (err) {
  process.stderr.write(`cold start failed: ${err && err.stack}\n`);
}
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  awsRequestId: "local",
  getRemainingTimeInMillis: () => 60000,
};

// The invocation's log lines are all on stdout before the end marker; the parent waits for both.
// Powertools writes warn and error lines to stderr, the others to stdout: mark both streams.
function done(id, message) {
  const marker = `${JSON.stringify({ __invocationEnd: id })}\n`;
  process.stdout.write(marker, () => process.stderr.write(marker, () => process.send(message)));
}

process.on("message", async ({ id, event }) => {
  try {
    if (!handler) {
      throw new Error("the handler did not load (see stderr)");
    }
    const started = performance.now();
    const result = await handler(event, context);
    const durationMs = performance.now() - started;
    done(id, {
      id,
      result: result === undefined ? null : result,
      durationMs,
      initMs,
      nodeVersion: process.version,
    });
  } catch (err) {
    done(id, { id, error: String((err && err.stack) || err) });
  }
});
