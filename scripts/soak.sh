#!/usr/bin/env bash
# Soak the live monitor: 20,000 lines a second into followed files rotated every 5 minutes
# (rotated files deleted as it goes) and 2,000 OTLP spans a second beside them, for N
# minutes; samples RSS, what dedup holds and keys-to-frame latency every 10 s, and checks
# at the end that every event was counted once (exit 1 if not). Not run in CI.
#
#   scripts/soak.sh --minutes 60 --csv docs/soak.csv
#
# Every option of scripts/soak.py passes through (--rate, --otlp-rate, --rotate,
# --delete-after, --sample, --identities, --port, --csv). Needs tmux and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
case " $* " in
  *" --minutes "*) ;;
  *) echo "usage: scripts/soak.sh --minutes N [--csv FILE] [options of scripts/soak.py]" >&2; exit 2 ;;
esac
cargo build --release --locked --quiet
cargo bench --bench otlp --locked --no-run --quiet 2>/dev/null
exec python3 scripts/soak.py "$@"
