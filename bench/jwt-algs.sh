#!/usr/bin/env bash
# JWT access tokens per signing algorithm: the client_credentials token rate of fake servers
# started with `--jwt --jwt-alg RS256|ES256|EdDSA`, next to the axum hello-world, with the same
# wrk command as the JWT row of bench/run.sh. Each measurement runs ROUNDS times (default 2),
# one after the other, and the load average is printed before each round, so a busy machine
# shows in the output.
#
#   bench/jwt-algs.sh
#   DURATION=20 ROUNDS=3 bench/jwt-algs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONN=${CONN:-32}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-2}

if ! command -v wrk >/dev/null; then
  echo "bench: wrk is missing: apt-get install wrk" >&2
  exit 2
fi
cargo build --release -q -p fake-server -p bench-tools
BIN=target/release
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_up() { for _ in $(seq 1 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 never answered" >&2; exit 1; }
basic() { python3 -c 'import base64,sys,urllib.parse as u; q=lambda s: u.quote_plus(s); print("Basic " + base64.b64encode(f"{q(sys.argv[1])}:{q(sys.argv[2])}".encode()).decode())' "$1" "$2"; }

ALGS=(RS256 ES256 EdDSA)
"$BIN/hello" 9300 >/dev/null & pids+=($!)
wait_up http://127.0.0.1:9300/
for i in "${!ALGS[@]}"; do
  port=$((9431 + i))
  "$BIN/oauth-fake-server" --port "$port" --quiet --jwt --jwt-alg "${ALGS[$i]}" >/dev/null & pids+=($!)
  wait_up "http://127.0.0.1:$port/.well-known/oauth-authorization-server"
done

# One wrk run: prints "rate p50 p99 non200".
run_wrk() {
  local url=$1 script=${2:-}
  local out
  if [[ -n $script ]]; then
    out=$(wrk -t"$THREADS" -c"$CONN" -d"${DURATION}s" --latency -s "$script" "$url")
  else
    out=$(wrk -t"$THREADS" -c"$CONN" -d"${DURATION}s" --latency "$url")
  fi
  awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /non-200 answers/ {bad=$3}
       END {print r, p50, p99, (bad == "" ? 0 : bad)}' <<<"$out"
}

export BODY="grant_type=client_credentials" AUTH
AUTH=$(basic demo-web demo-web-secret)
# Each token must be a JWS of the algorithm asked for, or the figures mean nothing.
for i in "${!ALGS[@]}"; do
  header=$(curl -fs -H "Authorization: $AUTH" -d grant_type=client_credentials "http://127.0.0.1:$((9431 + i))/token" |
    python3 -c 'import base64,json,sys; h=json.load(sys.stdin)["access_token"].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"])')
  if [[ $header != "${ALGS[$i]}" ]]; then
    echo "bench: the ${ALGS[$i]} server signs with $header" >&2
    exit 1
  fi
done

echo "| round | load average (1 min) | measurement | req/s | p50 | p99 | × hello-world | non-200 |"
echo "|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r h_rate h50 h99 _ < <(run_wrk http://127.0.0.1:9300/)
  printf '| %s | %s | axum hello-world | %.0f | %s | %s | 1.00 | 0 |\n' "$round" "$load" "$h_rate" "$h50" "$h99"
  for i in "${!ALGS[@]}"; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    read -r r p50 p99 bad < <(run_wrk "http://127.0.0.1:$((9431 + i))/token" bench/lua/post.lua)
    ratio=$(awk -v a="$r" -v b="$h_rate" 'BEGIN { printf "%.2f", a / b }')
    printf '| %s | %s | token, client_credentials, JWT (%s) | %.0f | %s | %s | %s | %s |\n' \
      "$round" "$load" "${ALGS[$i]}" "$r" "$p50" "$p99" "$ratio" "$bad"
  done
done
