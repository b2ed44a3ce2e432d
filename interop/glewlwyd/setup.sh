#!/usr/bin/env bash
# Install glewlwyd and make its seeded database:
#   apt-get install glewlwyd sqlite3 openssl curl     only what is missing (Debian 12: glewlwyd 2.7.5)
#   artifacts/webapp/          the package's login SPA (/usr/share/glewlwyd/webapp) with its
#                              config.json, copied: glewlwyd serves no symlinks
#   artifacts/seed.sqlite3     the package's schema, then seeded through the admin API (seed.sh):
#                              the OIDC plugin instance, scopes, users and clients
#   artifacts/key.pem, pub.pem the RSA key pair that signs ID tokens and access tokens
# start.sh copies the seeded database for every start, so each run begins from the same state.
# Safe to run again: it installs only what is missing and always rebuilds the artifacts.
# Needs root (or sudo) when a package is missing; binds only 127.0.0.1 (port SEED_PORT, default
# 3399, while seeding).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/server.sh
source "${here}/../lib/server.sh"
run_dir="${here}/artifacts"
seed_port="${SEED_PORT:-3399}"

missing=()
command -v glewlwyd >/dev/null || missing+=(glewlwyd)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if [[ "${#missing[@]}" -gt 0 ]]; then
  sudo=()
  [[ "$(id -u)" -eq 0 ]] || sudo=(sudo)
  # The package's maintainer scripts would start the system service (on port 4593, with
  # /etc/glewlwyd's configuration); a policy-rc.d that says no keeps it from starting, as
  # Debian's container images already do.
  policy=/usr/sbin/policy-rc.d
  added_policy=false
  if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "${policy}" >/dev/null
    "${sudo[@]}" chmod 755 "${policy}"
    added_policy=true
  fi
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  if "${added_policy}"; then "${sudo[@]}" rm -f "${policy}"; fi
fi

schema=/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3
[[ -f "${schema}" ]] || { echo "setup.sh: ${schema} is missing (glewlwyd package?)" >&2; exit 1; }

mkdir -p "${run_dir}"
rm -rf "${run_dir}/webapp"
mkdir "${run_dir}/webapp"
# config.json is a symlink to /etc/glewlwyd/config-2.7.json, which the Debian package makes a
# folder holding config.json; copy the file itself.
for f in /usr/share/glewlwyd/webapp/*; do
  [[ "$(basename "${f}")" == config.json ]] || cp -rL "${f}" "${run_dir}/webapp/"
done
cp /etc/glewlwyd/config-2.7.json/config.json "${run_dir}/webapp/config.json"

openssl genrsa -out "${run_dir}/key.pem" 2048 2>/dev/null
openssl rsa -in "${run_dir}/key.pem" -pubout -out "${run_dir}/pub.pem" 2>/dev/null

seed="${run_dir}/seed.sqlite3"
db="${run_dir}/db-${seed_port}.sqlite3"
rm -f "${seed}" "${db}"
sqlite3 "${db}" <"${schema}"

conf="${run_dir}/glewlwyd-${seed_port}.conf"
sed -e "s#@PORT@#${seed_port}#g" -e "s#@RUN@#${run_dir}#g" "${here}/glewlwyd.conf" >"${conf}"
pid_file="${run_dir}/seed-${seed_port}.pid"
log_file="${run_dir}/seed-${seed_port}.log"
base="http://127.0.0.1:${seed_port}"
if curl -s -o /dev/null --max-time 2 "${base}/"; then
  echo "setup.sh: something already answers on ${base} (SEED_PORT)" >&2
  exit 1
fi
nohup glewlwyd -c "${conf}" >"${log_file}" 2>&1 </dev/null &
pid=$!
echo "${pid}" >"${pid_file}"
trap 'stop_server "${pid_file}" "glewlwyd -c ${conf}" >/dev/null' EXIT
for _ in $(seq 1 80); do
  curl -s -o /dev/null --max-time 2 "${base}/config.json" && break
  kill -0 "${pid}" 2>/dev/null || { cat "${log_file}" >&2; exit 1; }
  sleep 0.25
done
# The issuer's port is a placeholder, set by start.sh in each run's copy.
"${here}/seed.sh" "${base}" @PORT@ "${run_dir}/key.pem" "${run_dir}/pub.pem" >/dev/null
stop_server "${pid_file}" "glewlwyd -c ${conf}" >/dev/null
trap - EXIT
mv "${db}" "${seed}"
rm -f "${conf}" "${log_file}"
echo "setup.sh: ${seed} is ready"
