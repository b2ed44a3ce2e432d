# Shell functions the interop peers' report.sh share: which harness binary to run, and how a
# report is published (written to reports/, or with --check compared with what is there).
# Source it; it sets no shell options.

# The oauth-conformance to run: $OAUTH_CONFORMANCE_BIN, or the debug build (built first).
#   harness_bin ROOT
harness_bin() {
  local root="$1"
  if [[ -n "${OAUTH_CONFORMANCE_BIN:-}" ]]; then
    echo "${OAUTH_CONFORMANCE_BIN}"
  else
    (cd "${root}" && cargo build -q -p harness) >&2
    echo "${CARGO_TARGET_DIR:-${root}/target}/debug/oauth-conformance"
  fi
}

# Publish the files in OUT: with CHECK=true compare each with reports/ and fail (return 1)
# when one is missing or differs, naming SCRIPT to run; otherwise copy them to reports/.
#   publish_reports ROOT OUT CHECK SCRIPT FILE...
publish_reports() {
  local root="$1" out="$2" check="$3" script="$4" stale=0 f
  shift 4
  if "${check}"; then
    for f in "$@"; do
      if [[ ! -f "${root}/reports/${f}" ]]; then
        stale=1
        echo "report.sh: reports/${f} is missing" >&2
      elif ! diff -u "${root}/reports/${f}" "${out}/${f}" >"${out}.diff"; then
        stale=1
        echo "report.sh: reports/${f} is out of date:" >&2
        head -n 40 "${out}.diff" >&2
      fi
    done
    if [[ "${stale}" -ne 0 ]]; then
      echo "report.sh: run ${script} and commit reports/" >&2
      return 1
    fi
  else
    for f in "$@"; do
      mkdir -p "$(dirname "${root}/reports/${f}")"
      cp "${out}/${f}" "${root}/reports/${f}"
    done
    echo "wrote $(printf 'reports/%s ' "$@")"
  fi
}
