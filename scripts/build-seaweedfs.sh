#!/usr/bin/env bash
# Builds the SeaweedFS server (`weed`) that the S3 tests run against, from the Go module proxy, once per machine.
# `go install …/weed@<version>` is refused (its go.mod has a replace directive), so the module source is
# downloaded, copied somewhere writable and built in place. About 5–8 minutes on 2 cores; the binary is cached
# under ~/.cache/semreg and this script returns at once when it is there. Prints the binary's path.
set -euo pipefail

module="github.com/seaweedfs/seaweedfs"
version="v0.0.0-20261109003541-7506e5f91cd6"
cache="${SEMREG_CACHE:-$HOME/.cache/semreg}/seaweedfs-${version}"
binary="$cache/weed"

if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi
command -v go >/dev/null || { echo "build-seaweedfs: the Go toolchain is needed to build SeaweedFS" >&2; exit 1; }

dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "build-seaweedfs: go mod download gave no source directory for $module@$version" >&2; exit 1; }

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -r "$dir/." "$work/src"
chmod -R u+w "$work/src"
echo "build-seaweedfs: building $module@$version (first run on this machine: several minutes)" >&2
(cd "$work/src" && go build -o "$work/weed" ./weed)
mkdir -p "$cache"
mv "$work/weed" "$binary.tmp" && mv "$binary.tmp" "$binary"
echo "$binary"
