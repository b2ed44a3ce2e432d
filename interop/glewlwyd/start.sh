#!/usr/bin/env bash
# Start glewlwyd on 127.0.0.1 in the background and wait until its OIDC plugin answers.
#   PORT (default 3300)  the issuer is http://127.0.0.1:$PORT/api/oidc
# Needs setup.sh first (the package, artifacts/seed.sqlite3 and artifacts/webapp); installs
# nothing. Each start uses a fresh copy of the seeded database, artifacts/db-$PORT.sqlite3, in
# which the issuer is set to this port, and the configuration glewlwyd.conf made concrete as
# artifacts/glewlwyd-$PORT.conf. Writes artifacts/server-$PORT.pid and
# artifacts/server-$PORT.log, waits up to ~30 s for the discovery document, then prints the
# issuer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3300}"
issuer="http://127.0.0.1:${port}/api/oidc"
run_dir="${here}/artifacts"
pid_file="${run_dir}/server-${port}.pid"
log_file="${run_dir}/server-${port}.log"
db="${run_dir}/db-${port}.sqlite3"
conf="${run_dir}/glewlwyd-${port}.conf"

if ! command -v glewlwyd >/dev/null || [[ ! -f "${run_dir}/seed.sqlite3" || ! -d "${run_dir}/webapp" ]]; then
  echo "start.sh: not set up; run ${here}/setup.sh first" >&2
  exit 1
fi

refuse_if_running "${pid_file}" "glewlwyd -c ${conf}" "${issuer}"

rm -f "${db}"
cp "${run_dir}/seed.sqlite3" "${db}"
# WAL: the run is concurrent, and with the default rollback journal glewlwyd's writes now and
# then fail with "Error executing sql query" (a 500) while another request holds the database.
sqlite3 "${db}" "PRAGMA journal_mode=WAL;" >/dev/null
sqlite3 "${db}" "UPDATE g_plugin_module_instance SET gpmi_parameters = replace(gpmi_parameters, '127.0.0.1:@PORT@', '127.0.0.1:${port}');"
sed -e "s#@PORT@#${port}#g" -e "s#@RUN@#${run_dir}#g" "${here}/glewlwyd.conf" >"${conf}"

nohup glewlwyd -c "${conf}" >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"

wait_ready "${pid}" "${pid_file}" "${log_file}" "${issuer}" 120
