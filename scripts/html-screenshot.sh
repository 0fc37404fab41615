#!/bin/sh
# Renders a snapman HTML report in headless Chromium (Debian's `chromium` package) and writes a
# PNG screenshot, so the page can be checked by eye after changing the template.
#
#   scripts/html-screenshot.sh [REPORT.html] [OUT.png] [WIDTH,HEIGHT]
#
# Without a report, one is made first: the report-shape collection (tests/fixtures/newman-shape)
# run against the built-in emulator, with one failed assertion and one script error.
# Chromium runs with a throwaway profile and every background network feature off: the page
# must render from the file alone.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
report=${1:-}
out=${2:-snapman-report.png}
size=${3:-1280,2400}

if [ -z "$report" ]; then
    snapman=${SNAPMAN:-$root/target/debug/snapman}
    [ -x "$snapman" ] || (cd "$root" && cargo build --quiet)
    report=$(mktemp -d)/report.html
    "$snapman" run "$root/tests/fixtures/newman-shape/shape.postman_collection.json" \
        --emulator -n 2 -r html --reporter-html-export "$report" >/dev/null || true
fi
[ -f "$report" ] || { echo "no report at $report" >&2; exit 2; }

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$browser" ] || { echo "chromium not found: apt-get install chromium" >&2; exit 2; }

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size="$size" \
    --screenshot="$(realpath "$out" 2>/dev/null || echo "$PWD/$out")" \
    "file://$(realpath "$report")" 2>/dev/null
echo "$out (from $report)"
