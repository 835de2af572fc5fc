#!/usr/bin/env bash
# Proves that `pulumi up` needs only the production `dependencies`: copies the project (tracked
# files) to a temporary directory, installs it with `npm ci --omit=dev` (from npm's cache when it
# can), and runs the program there under Pulumi mocks the way the Pulumi language host loads it
# (ts-node, tsconfig.pulumi.json: transpile only). The program builds both Lambda bundles with
# esbuild and serializes every CallbackFunction; the script prints each archive's files and size.
# Usage: npm run deploy-deps   (network to the npm registry only when the cache lacks a package)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/rds-failsafe-deploy-deps-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$root"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$work" 2>/dev/null || true
cd "$work"
start=$(date +%s)
npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null
echo "npm ci --omit=dev: $(( $(date +%s) - start )) s, $(ls node_modules | wc -l) top-level packages, $(du -sm node_modules | cut -f1) MB"
for dev in mocha @types/mocha commander @aws-sdk/client-rds fast-check; do
  if [ -e "node_modules/$dev" ]; then echo "unexpected dev dependency installed: $dev"; exit 1; fi
done
config='{"sides":"both","region":"eu-west-1","prodAccountId":"111111111111","failsafeAccountId":"222222222222","prodRoleArn":"arn:aws:iam::111111111111:role/rds-failsafe-deploy","failsafeRoleArn":"arn:aws:iam::222222222222:role/rds-failsafe-deploy","breakGlassPrincipalArn":"arn:aws:iam::222222222222:role/break-glass","notifications":"none"}'
TS_NODE_PROJECT=tsconfig.pulumi.json TS_NODE_TRANSPILE_ONLY=true \
  node -r ts-node/register test/program/evaluate.ts "$config" "$work/out" >/dev/null
echo "program evaluated with the production dependencies only: $(node -e 'console.log(require(process.argv[1]).length)' "$work/out/resources.json") resources"
for dir in "$work"/out/archives/*/; do
  files=$(cd "$dir" && find . -type f | sort | tr '\n' ' ')
  bytes=$(cd "$dir" && find . -type f -exec cat {} + | wc -c)
  echo "  $(basename "$dir"): ${files}(${bytes} bytes unzipped)"
done
