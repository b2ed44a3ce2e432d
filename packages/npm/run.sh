#!/usr/bin/env bash
# Build the npm packages from a fake-server binary, install the tarballs as a user would, and
# run the node:test suite in packages/npm/test against them.
#
#   packages/npm/run.sh [BINARY]     default: FAKE_SERVER_BIN, else target/debug/oauth-fake-server
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${1:-${FAKE_SERVER_BIN:-$root/target/debug/oauth-fake-server}}"
if [[ ! -x "$binary" ]]; then
  echo "packages/npm: no fake server at $binary; run cargo build -p fake-server" >&2
  exit 1
fi
rm -rf "$here/dist"
"$here/build.sh" "$binary" >/dev/null
platform="$(node -p 'process.platform + "-" + process.arch')"
cd "$here/test"
npm ci --no-audit --no-fund --loglevel=error
# The two tarballs, not the registry: the platform package first-hand, the entry beside it.
npm install --no-save --no-audit --no-fund --loglevel=error \
  "$here/dist/oauth-conformance-fake-server-$platform-"*.tgz "$here/dist/oauth-conformance-fake-server-0"*.tgz
npm test
