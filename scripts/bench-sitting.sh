#!/usr/bin/env bash
# One sitting of the peer benchmark: Newman, Hurl and snapman on the same two-request flow
# against the same local upstream, with the kit from ../shared/bench (copied and set up once:
# `cp -r ../shared/bench /tmp/bench && /tmp/bench/setup.sh`).
#
# Usage: scripts/bench-sitting.sh [BENCH_DIR=/tmp/bench] [RUNS=3]
#   env: SNAPMAN (default target/release/snapman), PORT (default 18080)
# Prints one line per run and a Markdown table of medians (wall, CPU, peak RSS).
set -euo pipefail
BENCH="${1:-/tmp/bench}"
RUNS="${2:-3}"
SNAPMAN="${SNAPMAN:-$(cd "$(dirname "$0")/.." && pwd)/target/release/snapman}"
PORT="${PORT:-18080}"
export SNAPMAN PORT PATH="$BENCH/.cargo-hurl/bin:$PATH"
[ -x "$SNAPMAN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
[ -x "$BENCH/run_snapman.sh" ] || { echo "no bench kit in $BENCH" >&2; exit 2; }
out="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$out"' EXIT

# One upstream, not recording (the recording costs the upstream CPU); started afresh for the
# parallel runs and the ceilings: after thousands of sequential iterations (each mints a token it
# keeps) the Python upstream answers measurably slower, which the parallel runs would inherit.
start_upstream() {
  if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  python3 "$BENCH/echo_server.py" "$PORT" > "$out/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/__stats" >/dev/null && break; sleep 0.05; done
}
start_upstream

# measure LABEL N CMD...: one line "LABEL N wall cpu rss_mib" per run, to $out/lines
measure() {
  local label="$1" n="$2"; shift 2
  for _ in $(seq 1 "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o "$out/t" "$@" > "$out/log" 2>&1 || true
    read -r w u s m < "$out/t"
    awk -v l="$label" -v n="$n" -v w="$w" -v u="$u" -v s="$s" -v m="$m" \
      'BEGIN{printf "%s %s %.3f %.3f %.1f\n", l, n, w, u + s, m/1024}' | tee -a "$out/lines"
  done
}

data() { # N -> CSV path
  local f="$out/data_$1.csv"
  { head -n $(($1 + 1)) "$BENCH/bench_data.csv"; } > "$f"; echo "$f"
}
env_file="$out/env.json"
sed "s#http://127.0.0.1:18080#http://127.0.0.1:$PORT#g" "$BENCH/bench.postman_environment.json" > "$env_file"
sed "s#http://127.0.0.1:18080#http://127.0.0.1:$PORT#g" "$BENCH/hurl.vars" > "$out/hurl.vars"

for n in 1 100 1000; do
  d="$(data "$n")"
  python3 "$BENCH/gen_hurl.py" "$d" "$out/bench_$n.hurl" > /dev/null
  measure snapman "$n" "$SNAPMAN" run "$BENCH/bench.postman_collection.json" -e "$env_file" -d "$d" -n "$n" -r cli --color off
  measure hurl "$n" hurl --test --jobs 1 --variables-file "$out/hurl.vars" --no-color "$out/bench_$n.hurl"
  measure newman "$n" "$BENCH/node_modules/.bin/newman" run "$BENCH/bench.postman_collection.json" -e "$env_file" -d "$d" -n "$n" -r cli --disable-unicode --color off
done
start_upstream
d="$(data 1000)"
RUNS=$((RUNS < 5 ? 5 : RUNS)) measure snapman-parallel8 1000 "$SNAPMAN" run "$BENCH/bench.postman_collection.json" -e "$env_file" -d "$d" -n 1000 -r cli --color off --parallel 8
echo
echo "Upstream ceiling (wrk, one thread, 5 s): on /get (run_wrk.sh), and on the flow's own two"
echo "requests (token, then get-availability with it; scripts/wrk-flow.lua):"
for c in 1 8; do
  wrk -t1 -c"$c" -d5s "http://127.0.0.1:$PORT/get" | awk -v c="$c" '/Requests\/sec/{print "wrk -c" c " /get: " $2 " req/s"}'
  wrk -t1 -c"$c" -d5s -s "$(dirname "$0")/wrk-flow.lua" "http://127.0.0.1:$PORT" \
    | awk -v c="$c" '/Requests\/sec/{print "wrk -c" c " flow: " $2 " req/s"} /non-200/{print "  " $0}'
done
echo "snapman --parallel 8 at N=1000 sends 2000 requests: req/s = 2000 / its median wall."

echo
echo "N=1 wall with hyperfine (the time(1) figures above have 10 ms resolution):"
d1="$(data 1)"
hyperfine -N -w 5 -r 40 --export-json "$out/n1.json" \
  "$SNAPMAN run $BENCH/bench.postman_collection.json -e $env_file -d $d1 -n 1 -r cli --color off" \
  "hurl --test --jobs 1 --variables-file $out/hurl.vars --no-color $out/bench_1.hurl" > /dev/null
python3 -c "
import json; r = json.load(open('$out/n1.json'))['results']
for name, x in zip(['snapman', 'hurl'], r): print(f'{name} N=1 median {x[\"median\"]*1000:.1f} ms')"


echo
echo "| runner | N | wall (median) | CPU (median) | peak RSS (median) |"
echo "| --- | --- | --- | --- | --- |"
python3 - "$out/lines" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, n, w, c, m = line.split()
    rows.setdefault((label, int(n)), []).append((float(w), float(c), float(m)))
for (label, n), runs in rows.items():
    med = [statistics.median(x[i] for x in runs) for i in range(3)]
    print(f"| {label} | {n} | {med[0]:.3f} s | {med[1]:.3f} s | {med[2]:.0f} MiB |")
EOF
