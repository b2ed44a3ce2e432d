#!/usr/bin/env bash
# The GitHub Action's work (action.yml runs this): find or install oauth-conformance, run it
# with the action's inputs, write the Markdown report to the job summary, and exit with the
# harness's exit code. Everything comes from the environment, so it also runs outside GitHub:
#
#   INPUT_ISSUER, INPUT_PROFILE, INPUT_BASELINE, INPUT_FAIL_ON (must|should),
#   INPUT_REPORT_DIR (default oauth-conformance-report), INPUT_ARGS (more arguments, split on
#   spaces), INPUT_VERSION (a release to download, e.g. 0.1.0)
#   OAUTH_CONFORMANCE_BIN   use this binary and install nothing
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT   files the summary and the outputs are appended to
#   GITHUB_ACTION_PATH, GITHUB_ACTION_REPOSITORY   where the action's source is, for installing
set -euo pipefail

say() { printf 'oauth-conformance action: %s\n' "$*" >&2; }

# The release archive's platform name, as the release workflow names its archives.
platform() {
  local arch os
  case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$(uname -s)" in
    Linux) os=unknown-linux-gnu ;;
    Darwin) os=apple-darwin ;;
    *) return 1 ;;
  esac
  printf '%s-%s\n' "$arch" "$os"
}

# Print the path of the binary to run, installing it if need be.
find_or_install() {
  if [[ -n "${OAUTH_CONFORMANCE_BIN:-}" ]]; then
    [[ -x "$OAUTH_CONFORMANCE_BIN" ]] || { say "OAUTH_CONFORMANCE_BIN=$OAUTH_CONFORMANCE_BIN is not executable"; return 2; }
    printf '%s\n' "$OAUTH_CONFORMANCE_BIN"
    return
  fi
  local root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/oauth-conformance"
  local version="${INPUT_VERSION:-}" repo="${GITHUB_ACTION_REPOSITORY:-}"
  mkdir -p "$root/bin"
  if [[ -n "$version" && -n "$repo" ]] && target="$(platform)"; then
    local url="https://github.com/$repo/releases/download/v$version/oauth-conformance-$version-$target.tar.gz"
    say "downloading $url"
    if curl -fsSL --retry 3 "$url" | tar -xz -C "$root/bin" 2>/dev/null && [[ -x "$root/bin/oauth-conformance" ]]; then
      printf '%s\n' "$root/bin/oauth-conformance"
      return
    fi
    say "no release archive for v$version on $target: building from source"
  fi
  if [[ -f "${GITHUB_ACTION_PATH:-}/harness/Cargo.toml" ]]; then
    cargo install --locked --quiet --root "$root" --path "$GITHUB_ACTION_PATH/harness" >&2
  elif [[ -n "$repo" ]]; then
    cargo install --locked --quiet --root "$root" --git "https://github.com/$repo" ${version:+--tag "v$version"} harness >&2
  else
    say "nothing to install from: set OAUTH_CONFORMANCE_BIN, or run this as a GitHub Action"
    return 2
  fi
  printf '%s\n' "$root/bin/oauth-conformance"
}

bin="$(find_or_install)" || exit 2
report_dir="${INPUT_REPORT_DIR:-oauth-conformance-report}"
args=(run --report-dir "$report_dir" --fail-on "${INPUT_FAIL_ON:-must}")
[[ -n "${INPUT_ISSUER:-}" ]] && args+=(--issuer "$INPUT_ISSUER")
[[ -n "${INPUT_PROFILE:-}" ]] && args+=(--profile "$INPUT_PROFILE")
[[ -n "${INPUT_BASELINE:-}" ]] && args+=(--baseline "$INPUT_BASELINE")
if [[ -n "${INPUT_ARGS:-}" ]]; then
  read -r -a extra <<<"$INPUT_ARGS"
  args+=("${extra[@]}")
fi

say "$bin ${args[*]}"
code=0
"$bin" "${args[@]}" || code=$?

if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
  if [[ -f "$report_dir/report.md" ]]; then
    cat "$report_dir/report.md" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '# OAuth conformance: not run\n\n`oauth-conformance` exited %s before writing a report: the log says why.\n' \
      "$code" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  printf 'exit-code=%s\nreport-dir=%s\n' "$code" "$report_dir" >>"$GITHUB_OUTPUT"
fi
exit "$code"
