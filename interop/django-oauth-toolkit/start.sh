#!/usr/bin/env bash
# Start django-oauth-toolkit on 127.0.0.1 in the background and wait until it answers.
#   PORT (default 3200)  the issuer is http://127.0.0.1:$PORT
# Needs setup.sh first (the venv and artifacts/seed.sqlite3); installs nothing.
# Each start uses a fresh copy of the seeded database, artifacts/db-$PORT.sqlite3.
# Writes artifacts/server-$PORT.pid and artifacts/server-$PORT.log, waits up to ~30 s for the
# discovery document, then prints the issuer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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

if [[ -f "${pid_file}" ]] && kill -0 "$(cat "${pid_file}")" 2>/dev/null \
  && tr '\0' ' ' <"/proc/$(cat "${pid_file}")/cmdline" 2>/dev/null | grep -q 'manage.py runserver'; then
  echo "start.sh: already running with pid $(cat "${pid_file}") (run stop.sh first)" >&2
  exit 1
fi

if curl -s -o /dev/null --max-time 2 "${issuer}/.well-known/openid-configuration"; then
  echo "start.sh: something already answers on ${issuer}" >&2
  exit 1
fi

rm -f "${db}" "${db}-wal" "${db}-shm"
cp "${run_dir}/seed.sqlite3" "${db}"

cd "${here}/site"
DOT_PORT="${port}" DOT_DB="${db}" PYTHONUNBUFFERED=1 nohup "${python_bin}" manage.py runserver \
  "127.0.0.1:${port}" --noreload --skip-checks >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"

for _ in $(seq 1 120); do
  if ! kill -0 "${pid}" 2>/dev/null; then
    echo "start.sh: server exited during start-up; log follows" >&2
    cat "${log_file}" >&2
    rm -f "${pid_file}"
    exit 1
  fi
  if curl -sf -o /dev/null --max-time 2 "${issuer}/.well-known/openid-configuration"; then
    echo "${issuer}"
    exit 0
  fi
  sleep 0.25
done

echo "start.sh: no discovery document at ${issuer} after 30 s; stopping pid ${pid}" >&2
kill "${pid}" 2>/dev/null || true
rm -f "${pid_file}"
cat "${log_file}" >&2
exit 1
