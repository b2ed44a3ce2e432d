#!/usr/bin/env bash
# Unauthenticated memory growth: COUNT (default 100,000) GET /authorize requests for a valid
# client, each with a 4 KiB state and a 2 KiB nonce (the largest the server accepts), none
# followed by a login. Every one parks a pending authorization request; the caps
# ([server.limits] max_pending_authorizations = 4096, max_pending_per_client = 1024) evict
# the oldest, so the server's memory stops growing. Prints VmRSS before, after, and a minute
# later.
#
#   bench/flood.sh
#   COUNT=20000 bench/flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-100000}
CONN=${CONN:-32}
PORT=${PORT:-9440}
FIXTURES=${FIXTURES:-bench/fixtures-bench.toml}

cargo build --release -q -p fake-server -p bench-tools
BIN=target/release
"$BIN/oauth-fake-server" --port "$PORT" --quiet --fixtures "$FIXTURES" >/dev/null &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/.well-known/oauth-authorization-server" && break
  sleep 0.05
done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }

echo "Unauthenticated /authorize flood, $COUNT requests, $CONN at once:"
"$BIN/flood" --issuer "http://127.0.0.1:$PORT" --client-id bench \
  --redirect-uri https://client.example.test/callback --count "$COUNT" --concurrency "$CONN" \
  --pid "$pid" | sed 's/^/  /'
sleep 60
echo "  server RSS a minute later: $(rss)"
