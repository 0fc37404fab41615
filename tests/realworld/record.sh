#!/usr/bin/env bash
# Refreshes the Newman goldens of the real-world differential test (tests/realworld/main.rs).
#
#   tests/realworld/record.sh                      record every collection
#   tests/realworld/record.sh repo/file.json ...   record only these
#   tests/realworld/record.sh --import DIR         first copy DIR/<repo>/ (collections, LICENSE,
#                                                  SOURCE.md) into tests/fixtures/realworld/
#
# Newman 6.2.2 is installed with npm into tests/realworld/.newman (git-ignored). Each collection
# runs through the proxy stand-in (HTTP_PROXY/HTTPS_PROXY, -k), so no request leaves the machine.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
fixtures="$root/tests/fixtures/realworld"
newman_dir="$here/.newman"
newman="$newman_dir/node_modules/.bin/newman"

if [ "${1:-}" = "--import" ]; then
  source_dir="${2:?--import needs a folder}"
  shift 2
  for repo in "$source_dir"/*/; do
    name="$(basename "$repo")"
    mkdir -p "$fixtures/$name"
    cp "$repo"/*.json "$fixtures/$name/"
    for extra in LICENSE SOURCE.md; do
      [ -f "$repo/$extra" ] && cp "$repo/$extra" "$fixtures/$name/"
    done
  done
  [ -f "$source_dir/README.md" ] && cp "$source_dir/README.md" "$fixtures/"
fi

if [ ! -x "$newman" ]; then
  mkdir -p "$newman_dir"
  npm install --prefix "$newman_dir" --no-audit --no-fund newman@6.2.2
fi
version="$("$newman" --version)"
if [ "$version" != "6.2.2" ]; then
  echo "record.sh: expected Newman 6.2.2 in $newman_dir, found $version" >&2
  exit 1
fi

only="$(IFS=,; echo "$*")"
cd "$root"
SNAPMAN_NEWMAN="$newman" SNAPMAN_REALWORLD_ONLY="$only" \
  cargo test --test realworld -- --ignored --exact record_newman_goldens --nocapture
