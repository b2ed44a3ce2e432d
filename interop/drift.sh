#!/usr/bin/env bash
# Snapshots hold against servers that outlive a run: record once, then `diff` the same server
# again and again. Every diff must find no drift, although the server keeps what the earlier
# runs did to it (remembered consent, sessions, its own random values).
#
#   interop/drift.sh [RUNS]      RUNS consecutive diffs per server (default 20)
#
# Servers: a standalone oauth-fake-server (bare `--issuer`, and with the bundled profile) and
# node-oidc-provider (its profile). For the fake server, its client count must also be the same
# after all runs as before: every run removes the clients it registered.
# Environment: OAUTH_CONFORMANCE_BIN / OAUTH_FAKE_SERVER_BIN to use built binaries instead of
# `cargo build`; PORT (default 3101) for node-oidc-provider. Servers started here are stopped.
# Exit: 0 no drift anywhere; 1 drift or a changed client count; 2 usage.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/.." && pwd)"
runs="${1:-20}"
[[ "${runs}" =~ ^[0-9]+$ ]] || { echo "usage: $0 [RUNS]" >&2; exit 2; }
port="${PORT:-3101}"

if [[ -z "${OAUTH_CONFORMANCE_BIN:-}" || -z "${OAUTH_FAKE_SERVER_BIN:-}" ]]; then
  (cd "${root}" && cargo build -q -p harness -p fake-server)
fi
target_dir="${CARGO_TARGET_DIR:-${root}/target}/debug"
bin="${OAUTH_CONFORMANCE_BIN:-${target_dir}/oauth-conformance}"
fake="${OAUTH_FAKE_SERVER_BIN:-${target_dir}/oauth-fake-server}"

work="$(mktemp -d)"
fake_pid=""
node_started=false
cleanup() {
  [[ -n "${fake_pid}" ]] && kill "${fake_pid}" 2>/dev/null || true
  "${node_started}" && PORT="${port}" "${here}/node-oidc-provider/stop.sh" >/dev/null || true
  rm -rf "${work}"
}
trap cleanup EXIT

# The bundled profile, without the scenario that sleeps ten seconds against a server whose
# clock the harness cannot move.
{ echo 'skip = ["TOK-29.rotation"]'; cat "${root}/fixtures/profiles/fake-server.toml"; } >"${work}/fake.toml"

failed=0
# drift NAME ISSUER [ARGS...]: one snapshot, then RUNS diffs that must all be clean.
drift() {
  local name="$1" issuer="$2"
  shift 2
  local dir="${work}/${name}"
  "${bin}" snapshot --issuer "${issuer}" --dir "${dir}" "$@" >"${work}/${name}.log" 2>&1 \
    || { cat "${work}/${name}.log" >&2; echo "drift.sh: ${name}: snapshot failed" >&2; failed=1; return; }
  for i in $(seq 1 "${runs}"); do
    if ! "${bin}" diff --issuer "${issuer}" --dir "${dir}" --color never "$@" >"${work}/${name}.diff" 2>&1; then
      head -n 80 "${work}/${name}.diff" >&2
      echo "drift.sh: ${name}: run ${i} of ${runs} drifted" >&2
      failed=1
      return
    fi
  done
  echo "${name}: ${runs} diffs, no drift"
}

admin_key="drift-$$"
"${fake}" --port 0 --quiet --admin-key "${admin_key}" >"${work}/fake.out" 2>&1 &
fake_pid=$!
for _ in $(seq 1 100); do [[ -s "${work}/fake.out" ]] && break; sleep 0.1; done
fake_issuer="$(head -n 1 "${work}/fake.out")"
clients() {
  curl -sf -H "authorization: Bearer ${admin_key}" "${fake_issuer}/admin/api/applications" \
    | sed -n 's/.*"total_count": *\([0-9]*\).*/\1/p'
}
before="$(clients)"
drift fake-server-bare "${fake_issuer}"
drift fake-server-profile "${fake_issuer}" --profile "${work}/fake.toml"
after="$(clients)"
if [[ "${before}" != "${after}" ]]; then
  echo "drift.sh: the fake server held ${before} clients before the runs and ${after} after" >&2
  failed=1
else
  echo "fake-server: ${after} clients before and after every run"
fi

if [[ ! -d "${here}/node-oidc-provider/node_modules" ]]; then
  (cd "${here}/node-oidc-provider" && npm ci --no-audit --no-fund)
fi
PORT="${port}" "${here}/node-oidc-provider/start.sh" >/dev/null
node_started=true
drift node-oidc-provider "http://127.0.0.1:${port}" --profile node-oidc-provider

exit "${failed}"
