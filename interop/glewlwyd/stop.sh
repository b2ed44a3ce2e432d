#!/usr/bin/env bash
# Stop the glewlwyd that start.sh started on PORT (default 3300), by the pid in
# artifacts/server-$PORT.pid, and remove that run's database and configuration.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3300}"
run_dir="${here}/artifacts"
stop_server "${run_dir}/server-${port}.pid" "glewlwyd -c ${run_dir}/glewlwyd-${port}.conf"
rm -f "${run_dir}/db-${port}.sqlite3"{,-wal,-shm} "${run_dir}/glewlwyd-${port}.conf"
