#!/usr/bin/env node
// `npx rds-failsafe`: runs the TypeScript CLI in place (ts-node, types not checked at run time;
// `npm run typecheck` checks them).
"use strict";
require("ts-node").register({
  transpileOnly: true,
  project: require("node:path").join(__dirname, "..", "tsconfig.json"),
});
require("./index.ts")
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
