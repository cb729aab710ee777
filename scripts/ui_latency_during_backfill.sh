#!/usr/bin/env bash
# Key latency of the live monitor while it backfills a large tree: starts tokentop on TREE
# in a detached tmux session (120x40), waits for the first frame and the first requests
# counted, then presses `s` (next sort column) again and again, 10-100 ms apart, polling
# `tmux capture-pane` until the status line shows the new sort, and records each key's
# latency (send -> seen on screen; each capture adds a few ms). Only keys shown while the
# header's request count was still below its final value count as during the backfill.
# Prints each key, p50/p90/max, and how far the backfill had got. RUNS=N repeats the whole
# run N times (a fresh process each time) and pools the keys, as the machine is noisy.
#
#   python3 scripts/gen_claude_tree.py /tmp/cc-tree-1g --responses 440000   # ~1 GB, minutes
#   cargo build --release
#   RUNS=5 scripts/ui_latency_during_backfill.sh /tmp/cc-tree-1g
#
# Environment: TOKENTOP_BIN (default target/release/tokentop), RUNS (default 1),
# MAX_KEYS per run (default 200). Needs tmux and bash 5 (EPOCHREALTIME).
# Figures are quoted in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."

tree="${1:-/tmp/cc-tree-1g}"
bin="${TOKENTOP_BIN:-target/release/tokentop}"
runs="${RUNS:-1}"
max_keys="${MAX_KEYS:-200}"
[ -d "$tree" ] || { echo "error: no tree at $tree; generate it with scripts/gen_claude_tree.py" >&2; exit 1; }
[ -x "$bin" ] || { echo "error: no binary at $bin; run cargo build --release" >&2; exit 1; }
command -v tmux >/dev/null || { echo "error: tmux is not installed" >&2; exit 1; }

# A tmux server of our own per run, its socket in a temp dir of ours, so no other session
# is touched (and a run never meets the previous run's server on its way out).
work=$(mktemp -d)
sock="$work/tmux-0"
tm() { tmux -S "$sock" "$@"; }
pooled="$work/latencies"
trap 'tm kill-server 2>/dev/null || true; rm -rf "$work"' EXIT

now_us() { local t="${EPOCHREALTIME//[!0-9]/}"; echo "$((10#$t))"; }
ms_since() { awk -v us=$(($(now_us) - $1)) 'BEGIN { printf "%.1f", us / 1000 }'; }
screen() { tm capture-pane -p -t bench; }
requests_of() { grep -o '[0-9,]* requests' <<<"$1" | head -1 | tr -d ', requests' || true; }
evs_of() { grep -o '[0-9.]*[kM]\? ev/s' <<<"$1" | head -1 | cut -d' ' -f1 || true; }

# The sort the status line shows (`s` steps to the next column shown, skipping hidden ones).
sort_of() { grep -o 'sort: [^▲▼]*' <<<"$1" | head -1 || true; }
# The backfill is taken as over once the request count stops growing for this long.
QUIET_US=1500000

run_once() {
  local run=$1 start cap r was k sent seen requests changed last_requests=-1 final stable
  local -a latencies=() shown=()
  sock="$work/tmux-$run"
  start=$(now_us)
  tm new-session -d -s bench -x 120 -y 40 "$bin $tree"
  # The first frame: the header and the status line are drawn.
  until cap=$(screen 2>/dev/null) && [[ $cap == *" tokentop "* && $cap == *"sort: attention "* ]]; do
    (( $(now_us) - start < 30000000 )) || { echo "error: no first frame in 30 s" >&2; screen >&2; exit 1; }
    sleep 0.005
  done
  echo "run $run: first frame after $(ms_since "$start") ms"
  # Files are found and the first batches parsed before the count starts to move.
  until r=$(requests_of "$(screen)") && [ "${r:-0}" -gt 0 ]; do
    (( $(now_us) - start < 60000000 )) || { echo "error: no request counted in 60 s" >&2; exit 1; }
    sleep 0.005
  done
  echo "run $run: first requests counted after $(ms_since "$start") ms"
  printf '%4s %9s %10s %8s\n' key ms requests ev/s
  changed=$(now_us)
  for ((k = 1; k <= max_keys; k++)); do
    was=$(sort_of "$(screen)")
    sent=$(now_us)
    tm send-keys -t bench s
    until cap=$(screen) && [[ $(sort_of "$cap") != "$was" ]]; do
      (( $(now_us) - sent < 10000000 )) || { echo "error: key $k not shown in 10 s" >&2; exit 1; }
    done
    seen=$(now_us)
    requests=$(requests_of "$cap")
    latencies+=("$(awk -v us=$((seen - sent)) 'BEGIN { printf "%.1f", us / 1000 }')")
    shown+=("$requests")
    printf '%4d %9s %10s %8s\n' "$k" "${latencies[-1]}" "$requests" "$(evs_of "$cap")"
    if [ "$requests" != "$last_requests" ]; then
      last_requests=$requests
      changed=$seen
    elif (( seen - changed > QUIET_US )); then
      break
    fi
    # Keys land at random points of the 100 ms render tick.
    sleep "0.0$((RANDOM % 90 + 10))"
  done
  # The final count: unchanged for 3 s.
  final=$(requests_of "$(screen)")
  stable=$changed
  while (( $(now_us) - stable < 3000000 )); do
    sleep 0.1
    r=$(requests_of "$(screen)")
    if [ "$r" != "$final" ]; then final=$r; stable=$(now_us); fi
  done
  echo "run $run: backfill of $final requests done by ~$(( (stable - start) / 1000 )) ms after start"
  for i in "${!latencies[@]}"; do
    if (( shown[i] < final )); then echo "${latencies[i]} ${shown[i]} $final"; fi
  done >>"$pooled"
  tm kill-server
}

for ((run = 1; run <= runs; run++)); do
  run_once "$run"
done

echo
sort -n "$pooled" | awk -v runs="$runs" '
  { v[NR] = $1; pct = 100 * $2 / $3; if (NR == 1 || pct < lo) lo = pct; if (pct > hi) hi = pct }
  function at(q) { i = int(q * NR + 0.999999); if (i < 1) i = 1; return v[i] }
  END {
    if (NR == 0) { print "no key was shown during the backfill"; exit 1 }
    printf "keys during backfill: %d over %d run(s); latency ms p50 %.1f  p90 %.1f  max %.1f\n", NR, runs, at(0.5), at(0.9), v[NR]
    printf "backfill when those keys were shown: %.0f%% to %.0f%% of the final request count\n", lo, hi
  }'
