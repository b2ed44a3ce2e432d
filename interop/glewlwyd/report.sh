#!/usr/bin/env bash
# The harness against glewlwyd (this folder), with the browser driver: writes
#   reports/glewlwyd.md, .json
# The run is `--stable` (no times, exchanges, ports or generated values), so the files change only
# when behaviour does, and checks baseline.toml (`--fail-on should`): every scenario that does not
# pass must be recorded there with its reason, and those reasons head the report. The
# hand-written introduction is notes.md here.
#
#   interop/glewlwyd/report.sh           write the report
#   interop/glewlwyd/report.sh --check   write nothing; fail if it is out of date
#
# Environment: PORT (default 3300); JOBS (default 1: with more scenarios at once glewlwyd now
# and then fails a write to its SQLite database, and outcomes change between runs);
# OAUTH_CONFORMANCE_BIN to use a built `oauth-conformance`
# instead of `cargo build -p harness`; CHROME or `chromium` on PATH for the browser. Runs setup.sh
# first (it installs glewlwyd with apt-get only when it is missing, and always makes a fresh
# seeded database). The server is always stopped again.
# Exit: 0 report written (or, with --check, up to date); 1 the run disagreed with the baseline
# (the report is written anyway, to show what changed) or --check found a difference; 2 usage;
# 3 the run had errors.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=../lib/report.sh
source "${here}/../lib/report.sh"
name="glewlwyd"
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
port="${PORT:-3300}"

bin="$(harness_bin "${root}")"

"${here}/setup.sh" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
# start.sh refuses when a server already runs on the port; only a server started here is
# stopped by the trap.
PORT="${port}" "${here}/start.sh" >/dev/null
trap 'PORT="${port}" "${here}/stop.sh" >/dev/null || true; rm -rf "${work}"' EXIT

status=0
# The profile and its interaction profile are built in; the paths above are from the root.
(cd "${root}" && "${bin}" run --stable --fail-on should --color never \
  --profile "fixtures/profiles/${name}.toml" --issuer "http://127.0.0.1:${port}/api/oidc" --driver browser --jobs "${JOBS:-1}" \
  --baseline "${here}/baseline.toml" --report-dir "${work}/report") >"${work}/run.txt" || status=$?
PORT="${port}" "${here}/stop.sh" >/dev/null

out="${work}/out"
mkdir -p "${out}"
# glewlwyd makes up the ids of registered clients as 16 lowercase letters and digits, which
# `--stable` does not take for generated values (it looks for longer or mixed-case runs);
# where the reports name such a client, the id becomes «client_id».
unstable_ids() { sed -E 's#(/register/|client )[a-z0-9]{16}\b#\1«client_id»#g'; }
{ cat "${here}/notes.md"; printf '\n---\n\n'; unstable_ids <"${work}/report/report.md"; } >"${out}/${name}.md"
unstable_ids <"${work}/report/report.json" >"${out}/${name}.json"

tail -n 2 "${work}/run.txt"
if [[ "${status}" -ne 0 ]]; then
  grep -E '^  (FAIL|WARN|ERROR|STALE) ' -A4 "${work}/run.txt" >&2 || true
  echo "report.sh: ${name} disagrees with baseline.toml (exit ${status}): record or fix the scenarios above" >&2
fi

publish_reports "${root}" "${out}" "${check}" "interop/${name}/report.sh" "${name}.md" "${name}.json" || exit 1

exit "${status}"
