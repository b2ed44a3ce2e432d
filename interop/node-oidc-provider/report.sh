#!/usr/bin/env bash
# Regenerate the committed conformance reports:
#   reports/node-oidc-provider.md, .json   the harness against node-oidc-provider (this folder)
#   reports/fake-server.md, .json          the harness against the bundled fake server
# Both runs use `--stable` (no times, exchanges, ports or generated values), so the files change
# only when behaviour does. The node-oidc-provider run checks baseline.toml (`--fail-on should`):
# every scenario that does not pass must be recorded there with its reason, and those reasons
# head the report. The hand-written introductions are notes.md and fake-server-notes.md here.
#
#   interop/node-oidc-provider/report.sh           write the reports
#   interop/node-oidc-provider/report.sh --check   write nothing; fail if they are out of date
#
# Environment: PORT (default 3100) for node-oidc-provider; OAUTH_CONFORMANCE_BIN to use a built
# `oauth-conformance` instead of `cargo build -p harness`. Runs `npm ci` here when node_modules
# is missing or older than the lock file. The server is always stopped again.
# Exit: 0 reports written (or, with --check, up to date); 1 a run disagreed with the baseline or
# the fake server failed (the reports are written anyway, to show what changed), or --check found
# a difference; 2 usage; 3 a run had errors.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=../lib/report.sh
source "${here}/../lib/report.sh"
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
port="${PORT:-3100}"

bin="$(harness_bin "${root}")"

if [[ ! -d "${here}/node_modules" || "${here}/package-lock.json" -nt "${here}/node_modules" ]]; then
  (cd "${here}" && npm ci --no-audit --no-fund)
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# start.sh refuses when a server already runs on the port; only a server started here is
# stopped by the trap.
PORT="${port}" "${here}/start.sh" >/dev/null
trap 'PORT="${port}" "${here}/stop.sh" >/dev/null || true; rm -rf "${work}"' EXIT

common=(run --stable --fail-on should --color never)
status=0
"${bin}" "${common[@]}" --profile node-oidc-provider --issuer "http://127.0.0.1:${port}" \
  --baseline "${here}/baseline.toml" --report-dir "${work}/node-oidc-provider" >"${work}/node.txt" || status=$?
PORT="${port}" "${here}/stop.sh" >/dev/null
fake_status=0
"${bin}" "${common[@]}" --report-dir "${work}/fake-server" >"${work}/fake.txt" || fake_status=$?

out="${work}/out"
mkdir -p "${out}"
for name in node-oidc-provider fake-server; do
  notes="${here}/notes.md"
  [[ "${name}" == fake-server ]] && notes="${here}/fake-server-notes.md"
  { cat "${notes}"; printf '\n---\n\n'; cat "${work}/${name}/report.md"; } >"${out}/${name}.md"
  cp "${work}/${name}/report.json" "${out}/${name}.json"
done

for name in node fake; do
  tail -n 2 "${work}/${name}.txt" | sed "s/^/${name}: /"
done
if [[ "${status}" -ne 0 ]]; then
  grep -E '^  (FAIL|WARN|ERROR|STALE) ' -A4 "${work}/node.txt" >&2 || true
  echo "report.sh: node-oidc-provider disagrees with baseline.toml (exit ${status}): record or fix the scenarios above" >&2
fi
if [[ "${fake_status}" -ne 0 ]]; then
  grep -E '^  (FAIL|WARN|ERROR) ' -A4 "${work}/fake.txt" >&2 || true
  echo "report.sh: the fake server does not pass every scenario (exit ${fake_status})" >&2
fi

publish_reports "${root}" "${out}" "${check}" interop/node-oidc-provider/report.sh \
  node-oidc-provider.md node-oidc-provider.json fake-server.md fake-server.json || exit 1

for s in "${status}" "${fake_status}"; do
  if [[ "${s}" -ne 0 ]]; then exit "${s}"; fi
done
