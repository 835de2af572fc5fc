#!/usr/bin/env bash
# The policy pack as an executable analyzer, for `pulumi preview --policy-pack policy/analyzer.sh`.
# The engine runs an executable policy pack with the engine's address as its only argument (and
# reads PulumiPolicy.yaml beside it). Used by `npm run engine` (docs/engine.md): the Node language
# host built there (v3.68, the newest the Go module proxy serves) cannot boot `--policy-pack policy`
# itself. Needs `npm ci` in this folder first, like `--policy-pack policy` does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$1" .
