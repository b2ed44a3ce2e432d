#!/usr/bin/env bash
# Mixed load against one fake server on loopback, stopping by itself: complete
# authorization-code flows, client-credentials tokens introspected and revoked, and
# registrations read and deleted, for DURATION seconds (default 60). Prints the work done,
# the error count (the script fails on any error) and the server's memory (VmRSS) idle,
# right after the load, and after the expiry sweep (tokens live 20 s, bench/fixtures-bench.toml).
#
#   bench/load.sh
#   DURATION=20 CONCURRENCY=24 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
CONCURRENCY=${CONCURRENCY:-12}
PORT=${PORT:-9430}

cargo build --release -q -p fake-server -p bench-tools
BIN=target/release
"$BIN/oauth-fake-server" --port "$PORT" --quiet --fixtures bench/fixtures-bench.toml >/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/.well-known/oauth-authorization-server" && break
  sleep 0.05
done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }

echo "Mixed load, ${DURATION} s, ${CONCURRENCY} workers:"
status=0
"$BIN/load" --issuer "http://127.0.0.1:$PORT" --client-id bench --secret bench-secret \
  --redirect-uri https://client.example.test/callback --seconds "$DURATION" \
  --concurrency "$CONCURRENCY" --pid "$pid" | sed 's/^/  /' || status=$?
# Tokens expire after 20 s; the sweep runs every 15 s and drops them (retention 0).
sleep 40
echo "  server RSS after the expiry sweep (40 s later): $(rss)"
exit "$status"
