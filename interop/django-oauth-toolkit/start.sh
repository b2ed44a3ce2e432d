#!/usr/bin/env bash
# Start django-oauth-toolkit on 127.0.0.1 in the background and wait until it answers.
#   PORT (default 3200)  the issuer is http://127.0.0.1:$PORT
# Needs setup.sh first (the venv and artifacts/seed.sqlite3); installs nothing.
# Each start uses a fresh copy of the seeded database, artifacts/db-$PORT.sqlite3.
# Writes artifacts/server-$PORT.pid and artifacts/server-$PORT.log, waits up to ~30 s for the
# discovery document, then prints the issuer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3200}"
issuer="http://127.0.0.1:${port}"
run_dir="${here}/artifacts"
pid_file="${run_dir}/server-${port}.pid"
log_file="${run_dir}/server-${port}.log"
db="${run_dir}/db-${port}.sqlite3"
python_bin="${here}/.venv/bin/python"

if [[ ! -x "${python_bin}" || ! -f "${run_dir}/seed.sqlite3" ]]; then
  echo "start.sh: not set up; run ${here}/setup.sh first" >&2
  exit 1
fi

refuse_if_running "${pid_file}" 'manage.py runserver' "${issuer}"

rm -f "${db}" "${db}-wal" "${db}-shm"
cp "${run_dir}/seed.sqlite3" "${db}"

cd "${here}/site"
DOT_PORT="${port}" DOT_DB="${db}" PYTHONUNBUFFERED=1 nohup "${python_bin}" manage.py runserver \
  "127.0.0.1:${port}" --noreload --skip-checks >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"

wait_ready "${pid}" "${pid_file}" "${log_file}" "${issuer}" 120
