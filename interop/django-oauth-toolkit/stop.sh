#!/usr/bin/env bash
# Stop the server that start.sh started on PORT (default 3200), by the pid in
# artifacts/server-$PORT.pid, and remove that run's database copy.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${PORT:-3200}"
pid_file="${here}/artifacts/server-${port}.pid"
db="${here}/artifacts/db-${port}.sqlite3"

if [[ ! -f "${pid_file}" ]]; then
  echo "stop.sh: not running (no ${pid_file})"
  exit 0
fi

pid="$(cat "${pid_file}")"
# only signal the pid if it is still our server (pids get reused)
if kill -0 "${pid}" 2>/dev/null && tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -q 'manage.py runserver'; then
  kill -TERM "${pid}"
  for _ in $(seq 1 40); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "${pid}" 2>/dev/null; then
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  echo "stop.sh: stopped pid ${pid}"
else
  echo "stop.sh: pid ${pid} was not running (stale pid file removed)"
fi
rm -f "${pid_file}" "${db}" "${db}-wal" "${db}-shm"
