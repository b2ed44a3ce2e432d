#!/usr/bin/env bash
# Build the npm packages of the fake server into packages/npm/dist:
#   @oauth-conformance/fake-server                 the JavaScript entry (startFakeServer, the CLI shim)
#   @oauth-conformance/fake-server-<os>-<cpu>      the prebuilt binary for one platform
#
#   packages/npm/build.sh BINARY [OS-CPU]
#
# BINARY is an oauth-fake-server executable built for OS-CPU (Node's process.platform and
# process.arch; this machine's by default). The version is the workspace's (Cargo.toml). The
# release workflow runs this once per platform and publishes every tarball.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${1:?usage: build.sh BINARY [OS-CPU]}"
platform="${2:-$(node -p 'process.platform + "-" + process.arch')}"
[[ -x "$binary" ]] || { echo "build.sh: $binary is not an executable" >&2; exit 2; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)"
os="${platform%-*}"
cpu="${platform#*-}"

dist="$here/dist"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$dist"

# The platform package: the binary and a package.json that npm installs only on its platform.
pkg="$work/fake-server-$platform"
mkdir -p "$pkg/bin"
cp "$binary" "$pkg/bin/oauth-fake-server"
chmod 755 "$pkg/bin/oauth-fake-server"
cat > "$pkg/package.json" <<JSON
{
  "name": "@oauth-conformance/fake-server-$platform",
  "version": "$version",
  "description": "The oauth-fake-server binary for $platform (installed by @oauth-conformance/fake-server)",
  "license": "MIT OR Apache-2.0",
  "os": ["$os"],
  "cpu": ["$cpu"],
  "files": ["bin/oauth-fake-server"],
  "preferUnplugged": true
}
JSON
printf 'The `oauth-fake-server` executable for %s. Install `@oauth-conformance/fake-server`, which picks it.\n' \
  "$platform" > "$pkg/README.md"

# The entry package, with its optional dependencies at this version.
entry="$work/fake-server"
cp -r "$here/fake-server" "$entry"
node -e '
  const fs = require("fs"), file = process.argv[1], version = process.argv[2];
  const p = JSON.parse(fs.readFileSync(file, "utf8"));
  p.version = version;
  for (const k of Object.keys(p.optionalDependencies)) p.optionalDependencies[k] = version;
  fs.writeFileSync(file, JSON.stringify(p, null, 2) + "\n");
' "$entry/package.json" "$version"

(cd "$dist" && npm pack --silent "$pkg" "$entry")
ls -1 "$dist"
