#!/usr/bin/env bash
# Stop the server that start.sh started on PORT (default 3100),
# using the pid in artifacts/server-$PORT.pid.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3100}"
stop_server "${here}/artifacts/server-${port}.pid" 'server.mjs'
