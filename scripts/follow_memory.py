#!/usr/bin/env python3
"""Peak memory of the live monitor following a file that grows by many distinct requests.

Starts `tokentop FILE` in a detached tmux session of its own (160x48), appends REQUESTS
own-schema lines (each a distinct `request_id`, over IDENTITIES identities, one a
millisecond) in chunks, waits until the header counts them all, then reads the monitor's
VmHWM (peak resident set) and VmRSS from /proc/PID/status.

    cargo build --release
    python3 scripts/follow_memory.py                     # 2,000,000 requests over 50 identities
    python3 scripts/follow_memory.py --requests 200000 --identities 10

Figures are quoted in docs/benchmarks.md. Needs tmux.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5-20250929", "o3"]


def line(n, identities):
    record = {
        "tokentop": 1,
        "ts": START_MS + n,
        "identity": f"svc-{n % identities:02d}",
        "identity_kind": "service-account",
        "provider": "openai",
        "model": MODELS[n // identities % len(MODELS)],
        "tokens": {"input": 500 + n % 3000, "cache_read": n % 2048, "output": 50 + n % 700},
        "request_id": f"req_{n:09d}",
        "latency_ms": 100 + n % 5000,
    }
    if n % 7 == 0:
        record["tools"] = [{"name": f"tool_{n % 20}", "id": f"call_{n}"}]
    return json.dumps(record, separators=(",", ":")) + "\n"


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for row in f:
            if row.startswith(field):
                return int(row.split()[1]) / 1024
    return 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2_000_000)
    ap.add_argument("--identities", type=int, default=50)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--bin", default="target/release/tokentop")
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    work = tempfile.mkdtemp(prefix="tokentop-follow-")
    log = os.path.join(work, "requests.jsonl")
    open(log, "w").close()
    sock = os.path.join(work, "tmux")
    tm = ["tmux", "-S", sock]
    subprocess.run(tm + ["new-session", "-d", "-s", "follow", "-x", "160", "-y", "48",
                         f"{args.bin} {log}"], check=True)
    try:
        pid = None
        for _ in range(300):
            out = subprocess.run(["pgrep", "-f", f"{args.bin} {log}"], capture_output=True, text=True)
            pids = [p for p in out.stdout.split()
                    if os.path.realpath(f"/proc/{p}/exe") == os.path.realpath(args.bin)]
            if pids:
                pid = pids[-1]
                break
            time.sleep(0.1)
        if pid is None:
            sys.exit("error: tokentop did not start")
        time.sleep(1)
        print(f"start: VmRSS {status(pid, 'VmRSS:'):.0f} MiB")
        want = f"{args.requests:,} requests"
        started = time.time()
        with open(log, "a") as f:
            for start in range(0, args.requests, args.chunk):
                end = min(start + args.chunk, args.requests)
                f.write("".join(line(n, args.identities) for n in range(start, end)))
                f.flush()
                time.sleep(0.05)
        print(f"written: {args.requests:,} lines, {os.path.getsize(log) / 1e6:.0f} MB, "
              f"{time.time() - started:.0f} s")
        screen = ""
        for _ in range(1200):
            screen = subprocess.run(tm + ["capture-pane", "-p", "-t", "follow"],
                                    capture_output=True, text=True).stdout
            if want in screen:
                break
            time.sleep(0.5)
        else:
            print(screen)
            sys.exit(f"error: the header never showed {want}")
        time.sleep(2)
        counted = re.search(r"[\d,]+ requests", screen).group(0)
        print(f"header: {counted} after {time.time() - started:.0f} s")
        print(f"tokentop: VmHWM {status(pid, 'VmHWM:'):.0f} MiB (peak), "
              f"VmRSS {status(pid, 'VmRSS:'):.0f} MiB (now); target peak <= 200 MB")
    finally:
        subprocess.run(tm + ["kill-server"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
