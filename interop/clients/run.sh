#!/usr/bin/env bash
# Real OAuth clients and headless Chromium against oauth-fake-server.
#
#   interop/clients/run.sh            build the fake server if needed, install, run every test
#   interop/clients/run.sh test/mcp-sdk.test.mjs    only some test files
#   interop/clients/run.sh python                   only the Python tests (python/run.sh)
#
# With no arguments it also runs python/run.sh (Clerk's Python SDK, pytest in a venv).
#
# FAKE_SERVER_BIN=/path/to/oauth-fake-server skips the cargo build; CHROMIUM_PATH overrides
# /usr/bin/chromium (Debian: `apt-get install -y --no-install-recommends chromium`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
started=$SECONDS

if [[ -z "${FAKE_SERVER_BIN:-}" ]]; then
  echo "interop/clients: cargo build -p fake-server"
  (cd "$root" && cargo build --quiet -p fake-server)
  export FAKE_SERVER_BIN="$root/target/debug/oauth-fake-server"
fi

cd "$here"
# npm ci when nothing is installed yet, or when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "interop/clients: npm ci"
  npm ci --no-audit --no-fund
fi

# Only the browser test needs Chromium.
if [[ $# -eq 0 || " $* " == *browser* ]]; then
  chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [[ ! -x "$chromium" ]]; then
    echo "interop/clients: $chromium is missing; install it with: apt-get install -y --no-install-recommends chromium" >&2
    exit 1
  fi
fi

status=0
if [[ $# -eq 1 && $1 == python ]]; then
  "$here/python/run.sh" || status=$?
elif [[ $# -gt 0 ]]; then
  node --test --test-concurrency=2 --test-timeout=120000 "$@" || status=$?
else
  npm test || status=$?
  echo "interop/clients: clerk-backend-api (python/run.sh)"
  "$here/python/run.sh" || status=$?
fi
echo "interop/clients: finished in $((SECONDS - started)) s (exit $status)"
exit "$status"
