#!/usr/bin/env bash
# Key latency of the live monitor while OTLP streams in: starts `tokentop --otlp` (no logs,
# an empty HOME) in a detached tmux session (120x40), starts the paced Rust client of
# `benches/otlp.rs` sending RATE GenAI spans a second (100 per request) for DURATION seconds, and
# meanwhile presses `s` (next sort column) again and again, 10-100 ms apart, polling
# `tmux capture-pane` until the status line shows the new sort (each capture adds a few
# ms). Prints each key, p50/p90/max, the client's achieved rate and 503s, and the request
# count the monitor shows at the end (every event counted once: RATE x DURATION).
#
#   cargo build --release && cargo bench --bench otlp --no-run
#   RATE=20000 DURATION=30 scripts/ui_latency_during_otlp.sh
#
# Environment: TOKENTOP_BIN (default target/release/tokentop), OTLP_CLIENT (default the
# newest target/release/deps/otlp-*), RATE (20000), DURATION in seconds (30), PORT (4319).
# Needs tmux and bash 5 (EPOCHREALTIME). Figures are quoted in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${TOKENTOP_BIN:-target/release/tokentop}"
client="${OTLP_CLIENT:-$(ls -t target/release/deps/otlp-* 2>/dev/null | grep -v '\.d$' | head -1 || true)}"
rate="${RATE:-20000}"
seconds="${DURATION:-30}"
port="${PORT:-4319}"
[ -x "$bin" ] || { echo "error: no binary at $bin; run cargo build --release" >&2; exit 1; }
[ -n "$client" ] && [ -x "$client" ] || { echo "error: no OTLP client; run cargo bench --bench otlp --no-run" >&2; exit 1; }
command -v tmux >/dev/null || { echo "error: tmux is not installed" >&2; exit 1; }

work=$(mktemp -d)
sock="$work/tmux"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

now_us() { local t="${EPOCHREALTIME//[!0-9]/}"; echo "$((10#$t))"; }
screen() { tm capture-pane -p -t bench; }
requests_of() { grep -o '[0-9,]* requests' <<<"$1" | head -1 | tr -d ', requests' || true; }
# The sort the status line shows (`s` steps to the next column shown, skipping hidden ones).
sort_of() { grep -o 'sort: [^▲▼]*' <<<"$1" | head -1 || true; }

mkdir -p "$work/home"
tm new-session -d -s bench -x 120 -y 40 \
  "HOME=$work/home XDG_CONFIG_HOME=$work/home $bin --no-state --otlp=127.0.0.1:$port"
start=$(now_us)
until cap=$(screen 2>/dev/null) && [[ $cap == *"sort: attention "* ]]; do
  (( $(now_us) - start < 30000000 )) || { echo "error: no first frame in 30 s" >&2; screen >&2; exit 1; }
  sleep 0.01
done

"$client" --to "127.0.0.1:$port" --rate "$rate" --seconds "$seconds" >"$work/client.out" 2>&1 &
sender=$!
sleep 1
declare -a latencies=()
printf '%4s %9s %10s\n' key ms requests
k=0
while kill -0 "$sender" 2>/dev/null; do
  k=$((k + 1))
  was=$(sort_of "$(screen)")
  sent=$(now_us)
  tm send-keys -t bench s
  until cap=$(screen) && [[ $(sort_of "$cap") != "$was" ]]; do
    (( $(now_us) - sent < 10000000 )) || { echo "error: key $k not shown in 10 s" >&2; exit 1; }
  done
  latencies+=("$(awk -v us=$(($(now_us) - sent)) 'BEGIN { printf "%.1f", us / 1000 }')")
  printf '%4d %9s %10s\n' "$k" "${latencies[-1]}" "$(requests_of "$cap")"
  sleep "0.0$((RANDOM % 90 + 10))"
done
wait "$sender" || { cat "$work/client.out" >&2; exit 1; }
cat "$work/client.out"
# The final count: unchanged for 2 s.
final=$(requests_of "$(screen)")
stable=$(now_us)
while (( $(now_us) - stable < 2000000 )); do
  sleep 0.1
  r=$(requests_of "$(screen)")
  if [ "$r" != "$final" ]; then final=$r; stable=$(now_us); fi
done
echo "monitor: $final requests counted (sent $((rate * seconds / 100 * 100)))"
printf '%s\n' "${latencies[@]}" | sort -n | awk '
  { v[NR] = $1 }
  function at(q) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return v[i] }
  END { printf "keys while OTLP streamed: %d; latency ms p50 %.1f  p90 %.1f  max %.1f\n", NR, at(0.5), at(0.9), v[NR] }'
