#!/usr/bin/env bash
# Install the server and make its seeded database:
#   .venv/                    python3 -m venv, then pip install -r requirements.txt (exact versions)
#   artifacts/seed.sqlite3    migrated, with the test users and clients (manage.py seed)
# start.sh copies the seeded database for every start, so each run begins from the same state.
# Environment: PYTHON (default python3, 3.10 or later). Safe to run again: it reinstalls only
# when requirements.txt is newer than the venv, and always rebuilds the seeded database.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python_bin="${PYTHON:-python3}"
venv="${here}/.venv"
stamp="${venv}/.installed"

if [[ ! -f "${stamp}" || "${here}/requirements.txt" -nt "${stamp}" ]]; then
  rm -rf "${venv}"
  "${python_bin}" -m venv "${venv}"
  "${venv}/bin/pip" install --quiet --disable-pip-version-check --no-input -r "${here}/requirements.txt"
  touch "${stamp}"
fi

mkdir -p "${here}/artifacts"
seed="${here}/artifacts/seed.sqlite3"
rm -f "${seed}" "${seed}-wal" "${seed}-shm"
cd "${here}/site"
DOT_DB="${seed}" "${venv}/bin/python" manage.py migrate --no-input -v 0
DOT_DB="${seed}" "${venv}/bin/python" manage.py seed
# fold the write-ahead log into the file, so a plain copy of seed.sqlite3 is complete
"${venv}/bin/python" - "${seed}" <<'PY'
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
con.execute("PRAGMA journal_mode=DELETE")
con.close()
PY
echo "setup.sh: ${venv} and ${seed} are ready"
