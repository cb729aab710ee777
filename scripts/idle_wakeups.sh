#!/usr/bin/env bash
# How often the live monitor's engine thread wakes while its sources are idle: starts tokentop
# on PATH (default: the shared real Claude Code logs) in a detached tmux session, lets the
# backfill finish, then counts the engine thread's voluntary context switches and CPU ticks
# over 10 s. Figures are quoted in docs/benchmarks.md.
#
#   cargo build --release
#   scripts/idle_wakeups.sh [PATH]
#
# Environment: TOKENTOP_BIN (default target/release/tokentop). Needs tmux and Linux /proc.
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${TOKENTOP_BIN:-target/release/tokentop}"
path="${1:-${TOKENTOP_SHARED:-../shared}/data/claude-code-real/projects}"
[ -x "$bin" ] || { echo "error: no binary at $bin; run cargo build --release" >&2; exit 1; }
[ -e "$path" ] || { echo "error: nothing at $path; pass a folder of logs" >&2; exit 1; }
command -v tmux >/dev/null || { echo "error: tmux is not installed" >&2; exit 1; }

socket="tokentop-idle-$$"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT
tmux -L "$socket" -f /dev/null new-session -d -x 120 -y 40 "exec $bin $path"
sleep 6
pid=$(tmux -L "$socket" list-panes -F '#{pane_pid}')
tid=$(grep -lx engine /proc/"$pid"/task/*/comm | head -1 | cut -d/ -f5)
[ -n "$tid" ] || { echo "error: no engine thread in process $pid" >&2; exit 1; }
switches() { awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$pid"/task/"$tid"/status; }
ticks() { awk '{print $14 + $15}' /proc/"$pid"/task/"$tid"/stat; }
s0=$(switches); t0=$(ticks)
sleep 10
s1=$(switches); t1=$(ticks)
echo "engine thread over 10 s idle: $((s1 - s0)) wake-ups, $((t1 - t0)) CPU ticks"
