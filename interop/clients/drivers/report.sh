#!/usr/bin/env bash
# Real clients judged by the client conformance mode: each driver in this folder runs under
# `oauth-conformance client`, and its report goes to reports/clients/NAME.{md,json} (the notes in
# notes/NAME.md, then the report). With --check the reports are compared with the committed ones
# instead, and any difference, or an outcome a baseline does not record, fails.
#
#   interop/clients/drivers/report.sh [--check]
#
# Needs Node 20 or later and the npm packages of interop/clients, and python3 with venv for the
# Python drivers (both installed here when missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
clients="$(cd "${here}/.." && pwd)"
root="$(cd "${here}/../../.." && pwd)"
# shellcheck source=../../lib/report.sh
source "${root}/interop/lib/report.sh"

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

bin="$(harness_bin "${root}")"
if [[ ! -f "${clients}/node_modules/.package-lock.json" || "${clients}/package-lock.json" -nt "${clients}/node_modules/.package-lock.json" ]]; then
  (cd "${clients}" && npm ci --no-audit --no-fund)
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
out="${work}/out"
mkdir -p "${out}/clients"

# The Python drivers run in the venv of interop/clients/python (made here when missing).
python="$("${clients}/python/venv.sh")"

# NAME and the driver file; a NAME.baseline.toml beside the drivers records known outcomes.
drivers=(
  "mcp-client:mcp-client.mjs"
  "mcp-sdk:mcp-sdk.mjs"
  "oauth4webapi:oauth4webapi.mjs"
  "authlib:authlib_client.py"
  "oauth2:oauth2_client_driver"
)

# The Rust driver is an example of the fake-server crate (`cargo test` builds it too).
rust_driver="${CARGO_TARGET_DIR:-${root}/target}/debug/examples/oauth2_client_driver"
if [[ ! -x "${rust_driver}" || -z "${OAUTH_CONFORMANCE_BIN:-}" ]]; then
  (cd "${root}" && cargo build -q -p fake-server --example oauth2_client_driver) >&2
fi
status=0
files=()
for entry in "${drivers[@]}"; do
  name="${entry%%:*}"
  driver="${here}/${entry#*:}"
  args=(client --stable --fail-on should --color never --client-timeout 60 --report-dir "${work}/${name}")
  [[ -f "${here}/${name}.baseline.toml" ]] && args+=(--baseline "${here}/${name}.baseline.toml")
  code=0
  case "${driver}" in
    *.py) run=("${python}" "${driver}") ;;
    *.mjs) run=(node "${driver}") ;;
    *) run=("${rust_driver}") ;;
  esac
  "${bin}" "${args[@]}" -- "${run[@]}" >"${work}/${name}.txt" || code=$?
  tail -n 2 "${work}/${name}.txt" | sed "s/^/${name}: /"
  if [[ "${code}" -ne 0 ]]; then
    grep -E '^  (FAIL|WARN|ERROR|STALE) ' -A4 "${work}/${name}.txt" >&2 || true
    echo "report.sh: ${name} disagrees with its baseline (exit ${code}): record or fix the scenarios above" >&2
    status="${code}"
  fi
  { cat "${here}/notes/${name}.md"; printf '\n---\n\n'; cat "${work}/${name}/report.md"; } >"${out}/clients/${name}.md"
  cp "${work}/${name}/report.json" "${out}/clients/${name}.json"
  files+=("clients/${name}.md" "clients/${name}.json")
done

publish_reports "${root}" "${out}" "${check}" interop/clients/drivers/report.sh "${files[@]}" || exit 1
exit "${status}"
