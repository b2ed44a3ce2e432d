#!/usr/bin/env bash
# Reproduces every figure in bench/README.md: request rates and latency percentiles for the
# fake server, node-oidc-provider and an axum hello-world on this machine, complete
# authorization-code flows per second, start-to-ready time, memory with 100k live tokens and
# after they expire, and the harness suite's wall time. Prints a Markdown table.
#
#   bench/run.sh                 # everything (needs wrk; node-oidc-provider when npm is present)
#   DURATION=20 CONN=64 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONN=${CONN:-32}
THREADS=${THREADS:-1}
NODE_OIDC=${NODE_OIDC:-auto}
NODE_PORT=${NODE_PORT:-3110}

if ! command -v wrk >/dev/null; then
  echo "bench: wrk is missing: apt-get install wrk" >&2
  exit 2
fi
cargo build --release -q -p fake-server -p harness -p bench-tools
BIN=target/release
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ $NODE_OIDC == yes ]]; then PORT=$NODE_PORT interop/node-oidc-provider/stop.sh >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

wait_up() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 never answered" >&2; exit 1; }
# HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1).
basic() { python3 -c 'import base64,sys,urllib.parse as u; q=lambda s: u.quote_plus(s); print("Basic " + base64.b64encode(f"{q(sys.argv[1])}:{q(sys.argv[2])}".encode()).decode())' "$1" "$2"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

"$BIN/hello" 9300 >/dev/null & pids+=($!)
"$BIN/oauth-fake-server" --port 9400 --quiet >/dev/null & pids+=($!)
"$BIN/oauth-fake-server" --port 9401 --quiet --jwt >/dev/null & pids+=($!)
"$BIN/oauth-fake-server" --port 9402 --quiet --jwt --jwt-alg ES256 >/dev/null & pids+=($!)
"$BIN/oauth-fake-server" --port 9403 --quiet --jwt --jwt-alg EdDSA >/dev/null & pids+=($!)
wait_up http://127.0.0.1:9300/
wait_up http://127.0.0.1:9400/.well-known/oauth-authorization-server
wait_up http://127.0.0.1:9401/.well-known/oauth-authorization-server
wait_up http://127.0.0.1:9402/.well-known/oauth-authorization-server
wait_up http://127.0.0.1:9403/.well-known/oauth-authorization-server

if [[ $NODE_OIDC == auto ]]; then
  if command -v npm >/dev/null && (cd interop/node-oidc-provider && { [[ -d node_modules ]] || npm ci --silent; }); then NODE_OIDC=yes; else NODE_OIDC=no; fi
fi
if [[ $NODE_OIDC == yes ]]; then
  PORT=$NODE_PORT interop/node-oidc-provider/start.sh >/dev/null
fi

# One wrk run: prints "rate p50 p99 non200".
run_wrk() {
  local url=$1 script=${2:-}
  local out
  if [[ -n $script ]]; then
    out=$(wrk -t"$THREADS" -c"$CONN" -d"${DURATION}s" --latency -s "$script" "$url")
  else
    out=$(wrk -t"$THREADS" -c"$CONN" -d"${DURATION}s" --latency "$url")
  fi
  local rate p50 p99 bad
  rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  bad=$(awk '/non-200 answers/ {print $3}' <<<"$out")
  echo "$rate $p50 $p99 ${bad:-0}"
}

row() { # label rate p50 p99 non200 ceiling
  local ratio
  ratio=$(awk -v a="$2" -v b="$6" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  printf '| %s | %.0f | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$ratio" "$5"
}

echo "| measurement | req/s | p50 | p99 | × hello-world | non-200 |"
echo "|---|---|---|---|---|---|"
read -r h_rate h50 h99 _ < <(run_wrk http://127.0.0.1:9300/)
row "axum hello-world (ceiling)" "$h_rate" "$h50" "$h99" 0 "$h_rate"

read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9400/.well-known/oauth-authorization-server)
row "fake server: metadata" "$r" "$p50" "$p99" "$bad" "$h_rate"

FS_AUTH=$(basic demo-web demo-web-secret)
export BODY="grant_type=client_credentials" AUTH="$FS_AUTH"
read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9400/token bench/lua/post.lua)
row "fake server: token (client_credentials, opaque)" "$r" "$p50" "$p99" "$bad" "$h_rate"
read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9401/token bench/lua/post.lua)
row "fake server: token (client_credentials, JWT RS256)" "$r" "$p50" "$p99" "$bad" "$h_rate"
read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9402/token bench/lua/post.lua)
row "fake server: token (client_credentials, JWT ES256)" "$r" "$p50" "$p99" "$bad" "$h_rate"
read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9403/token bench/lua/post.lua)
row "fake server: token (client_credentials, JWT EdDSA)" "$r" "$p50" "$p99" "$bad" "$h_rate"

TOKEN=$(curl -fs -H "Authorization: $FS_AUTH" -d grant_type=client_credentials http://127.0.0.1:9400/token | json_field access_token)
export BODY="token=$TOKEN"
read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:9400/introspect bench/lua/post.lua)
row "fake server: introspection" "$r" "$p50" "$p99" "$bad" "$h_rate"

if [[ $NODE_OIDC == yes ]]; then
  read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:$NODE_PORT/.well-known/oauth-authorization-server)
  row "node-oidc-provider: metadata" "$r" "$p50" "$p99" "$bad" "$h_rate"
  N_AUTH=$(basic conformance-confidential 's3cr:t+/%val')
  export BODY="grant_type=client_credentials" AUTH="$N_AUTH"
  read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:$NODE_PORT/token bench/lua/post.lua)
  row "node-oidc-provider: token (client_credentials)" "$r" "$p50" "$p99" "$bad" "$h_rate"
  NTOKEN=$(curl -fs -H "Authorization: $N_AUTH" -d grant_type=client_credentials http://127.0.0.1:$NODE_PORT/token | json_field access_token)
  export BODY="token=$NTOKEN"
  read -r r p50 p99 bad < <(run_wrk http://127.0.0.1:$NODE_PORT/token/introspection bench/lua/post.lua)
  row "node-oidc-provider: introspection" "$r" "$p50" "$p99" "$bad" "$h_rate"
fi

echo
echo "Complete authorization-code flows (authorize → login → consent → token), $CONN at once:"
"$BIN/flows" --issuer http://127.0.0.1:9400 --client-id conformance-confidential --secret 's3cr:t+/%val ue' \
  --redirect-uri https://client.example.test/callback --username alice --password alice-password \
  --prompt-consent --concurrency "$CONN" --seconds "$DURATION" | sed 's/^/  fake server: /'
if [[ $NODE_OIDC == yes ]]; then
  "$BIN/flows" --issuer http://127.0.0.1:$NODE_PORT --client-id conformance-confidential --secret 's3cr:t+/%val' \
    --redirect-uri https://client.example.test/callback --username alice --password alice-password \
    --interaction node-oidc-provider --concurrency "$CONN" --seconds "$DURATION" | sed 's/^/  node-oidc-provider: /'
fi

echo
echo "Start to first successful metadata response (20 starts):"
"$BIN/startup" --runs 20 --url http://127.0.0.1:9410/.well-known/oauth-authorization-server -- \
  "$BIN/oauth-fake-server" --port 9410 --quiet | sed 's/^/  fake server: /'

echo
echo "Memory (VmRSS) of a fake server whose tokens live 20 s:"
"$BIN/oauth-fake-server" --port 9420 --quiet --fixtures bench/fixtures-bench.toml >/dev/null & mem_pid=$!
pids+=($mem_pid)
wait_up http://127.0.0.1:9420/.well-known/oauth-authorization-server
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$mem_pid/status"; }
echo "  idle: $(rss)"
"$BIN/mint" --token-url http://127.0.0.1:9420/token --client-id bench --secret bench-secret --count 100000 --concurrency "$CONN" | sed 's/^/  /'
echo "  with 100k live tokens: $(rss)"
# The tokens expire after 20 s (retention 0, bench/fixtures-bench.toml); the sweep runs every
# 15 s, and jemalloc's background threads hand the freed pages back over the following seconds.
for wait in 30 60 90; do
  sleep 30
  echo "  ${wait} s after minting (expired and swept): $(rss)"
done

echo
echo "The harness's full built-in suite against the embedded fake server:"
start=$(date +%s.%N)
"$BIN/oauth-conformance" run >/dev/null || true
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "  wall time %.2f s\n", b - a }'
