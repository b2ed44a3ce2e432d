#!/usr/bin/env bash
# Start the oidc-provider interop target in the background.
#   PORT (default 3100)  port on 127.0.0.1; the issuer is http://127.0.0.1:$PORT
#   NODE (default node)  the node binary to run
# Installs nothing: run `npm ci` in this folder first.
# Writes artifacts/server-$PORT.pid and artifacts/server-$PORT.log beside this script,
# waits up to ~20 s for the discovery document, then prints the issuer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
port="${PORT:-3100}"
node_bin="${NODE:-node}"
issuer="http://127.0.0.1:${port}"
run_dir="${here}/artifacts"
pid_file="${run_dir}/server-${port}.pid"
log_file="${run_dir}/server-${port}.log"

if [[ ! -d "${here}/node_modules/oidc-provider" ]]; then
  echo "start.sh: ${here}/node_modules is missing; run: (cd '${here}' && npm ci)" >&2
  exit 1
fi

mkdir -p "${run_dir}"

refuse_if_running "${pid_file}" 'server.mjs' "${issuer}"

cd "${here}"
PORT="${port}" nohup "${node_bin}" server.mjs >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"

wait_ready "${pid}" "${pid_file}" "${log_file}" "${issuer}" 80
