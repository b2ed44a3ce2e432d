#!/usr/bin/env bash
# Build the oauth-fake-server wheel with maturin, install it into a fresh venv as a user would,
# and run the pytest suite in packages/python/tests against it (Authlib, full PKCE flow).
#
#   packages/python/run.sh [pytest args]
#
# maturin compiles the fake server with cargo (the dev profile, so CI reuses the test build);
# MATURIN_PROFILE=release for the wheel that is published.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$here/.venv-build"
venv="$here/.venv"
dist="$here/dist"

if [[ ! -f "$tools/installed" || "$here/requirements-build.txt" -nt "$tools/installed" ]]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements-build.txt"
  touch "$tools/installed"
fi
rm -rf "$dist"
# pyproject.toml names the crate (tool.maturin manifest-path), so maturin runs from here.
(cd "$here" && "$tools/bin/maturin" build --quiet --profile "${MATURIN_PROFILE:-dev}" --out "$dist" \
  --compatibility linux --skip-auditwheel)
wheel="$(ls "$dist"/oauth_fake_server-*.whl)"

rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements-test.txt"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$wheel"
cd "$here/tests"
# Outside the source tree, so the installed package is what gets imported.
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
