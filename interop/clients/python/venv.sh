#!/usr/bin/env bash
# Make (or refresh) the venv of the Python interop clients from requirements.txt and print its
# python. Used by run.sh and by drivers/report.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
if [[ ! -f "$venv/installed" || "$here/requirements.txt" -nt "$venv/installed" ]]; then
  echo "interop/clients/python: creating $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$here/requirements.txt" >&2
  touch "$venv/installed"
fi
echo "$venv/bin/python"
