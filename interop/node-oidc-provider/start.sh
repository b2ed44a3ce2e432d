#!/usr/bin/env bash
# Start the oidc-provider interop target in the background.
#   PORT (default 3100)  port on 127.0.0.1; the issuer is http://127.0.0.1:$PORT
#   NODE (default node)  the node binary to run
# Installs nothing: run `npm ci` in this folder first.
# Writes artifacts/server-$PORT.pid and artifacts/server-$PORT.log beside this script,
# waits up to ~20 s for the discovery document, then prints the issuer.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
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

if [[ -f "${pid_file}" ]] && kill -0 "$(cat "${pid_file}")" 2>/dev/null \
  && tr '\0' ' ' <"/proc/$(cat "${pid_file}")/cmdline" 2>/dev/null | grep -q 'server.mjs'; then
  echo "start.sh: already running with pid $(cat "${pid_file}") (run stop.sh first)" >&2
  exit 1
fi

if curl -s -o /dev/null --max-time 2 "${issuer}/.well-known/openid-configuration"; then
  echo "start.sh: something already answers on ${issuer}" >&2
  exit 1
fi

cd "${here}"
PORT="${port}" nohup "${node_bin}" server.mjs >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"

for _ in $(seq 1 80); do
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

echo "start.sh: no discovery document at ${issuer} after 20 s; stopping pid ${pid}" >&2
kill "${pid}" 2>/dev/null || true
rm -f "${pid_file}"
cat "${log_file}" >&2
exit 1
