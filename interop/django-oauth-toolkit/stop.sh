#!/usr/bin/env bash
# Stop the server that start.sh started on PORT (default 3200), by the pid in
# artifacts/server-$PORT.pid, and remove that run's database copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3200}"
db="${here}/artifacts/db-${port}.sqlite3"
stop_server "${here}/artifacts/server-${port}.pid" 'manage.py runserver'
rm -f "${db}" "${db}-wal" "${db}-shm"
