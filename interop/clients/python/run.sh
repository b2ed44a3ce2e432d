#!/usr/bin/env bash
# Clerk's Python backend SDK (clerk-backend-api) against oauth-fake-server, with pytest.
#
#   interop/clients/python/run.sh                 create the venv if needed, run every test
#   interop/clients/python/run.sh -k revoked      pytest arguments pass through
#
# Needs python3 (3.10 or later, with the venv module) and the fake server binary:
# FAKE_SERVER_BIN, else target/debug/oauth-fake-server (interop/clients/run.sh builds it).
# The venv lives in interop/clients/python/.venv (git-ignored) and is made again whenever
# requirements.txt is newer than it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

export FAKE_SERVER_BIN="${FAKE_SERVER_BIN:-$root/target/debug/oauth-fake-server}"
if [[ ! -x "$FAKE_SERVER_BIN" ]]; then
  echo "interop/clients/python: no fake server at $FAKE_SERVER_BIN; run cargo build -p fake-server" >&2
  exit 1
fi

python="$("$here/venv.sh")"
cd "$here"
exec "$python" -m pytest -q -p no:cacheprovider "$@"
