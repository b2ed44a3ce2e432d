#!/usr/bin/env bash
# Build the fake server's container image from the repository's Dockerfile, start it with a
# published port, and check that it serves its metadata with the issuer it was given; then
# remove the container. Skips (exit 0, with the reason) where no container engine runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
engine=""
for candidate in docker podman; do
  if command -v "$candidate" >/dev/null && "$candidate" info >/dev/null 2>&1; then engine="$candidate"; break; fi
done
if [[ -z "$engine" ]]; then
  echo "packages/container-test.sh: skipped, no container engine answers here (docker info / podman info)"
  exit 0
fi
image="oauth-fake-server:ci-$$"
name="oauth-fake-server-ci-$$"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cleanup() { "$engine" rm -f "$name" >/dev/null 2>&1 || true; "$engine" rmi -f "$image" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$engine" build -q -t "$image" "$root" >/dev/null
"$engine" run -d --name "$name" -p "127.0.0.1:$port:9090" -e "FAKE_OAUTH_ISSUER=http://127.0.0.1:$port" "$image" >/dev/null
for _ in $(seq 50); do
  if body="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/.well-known/oauth-authorization-server" 2>/dev/null)"; then
    python3 - "$body" "$port" <<'PY'
import json, sys
meta = json.loads(sys.argv[1])
want = f"http://127.0.0.1:{sys.argv[2]}"
assert meta["issuer"] == want, (meta["issuer"], want)
assert meta["token_endpoint"].startswith(want), meta["token_endpoint"]
print(f"packages/container-test.sh: the image serves metadata for {want} ({len(meta)} members)")
PY
    exit 0
  fi
  sleep 0.2
done
echo "packages/container-test.sh: the container did not answer; its log:" >&2
"$engine" logs "$name" >&2 || true
exit 1
