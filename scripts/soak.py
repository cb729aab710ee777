#!/usr/bin/env python3
"""Soak: the live monitor under a steady stream for N minutes (run by scripts/soak.sh).

Starts `tokentop --no-state --otlp=127.0.0.1:PORT LOGS` in a detached tmux session of its
own (120x40, an empty HOME), then at once:
- a generator process appends own-schema lines (each with its own `request_id`) at RATE a
  second to LOGS/app.jsonl, in batches every 50 ms, and rotates it every ROTATE seconds:
  the file is renamed to app-N.jsonl (a name tokentop reads, as logrotate's copies keep
  theirs) and a new app.jsonl begins; the rotated file is deleted DELETE_AFTER seconds later;
- the paced OTLP client of benches/otlp.rs sends OTLP_RATE GenAI spans a second;
- every SAMPLE seconds the sampler reads the monitor's VmRSS and VmHWM, presses `h` and
  times until the sources view is drawn (reading its `dedup N keys SIZE` title), presses `h`
  again and times until the overview is back (reading its request count).
At the end it waits for the count to settle and checks that every event written or sent
was counted once: lost = sent - counted (negative would be double counting).

Writes one CSV row per sample (plot-ready) and prints a summary. Needs tmux.
"""

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MODELS = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5-20250929", "o3"]


def line(n, identities, now_ms):
    """One own-schema request; every 7th calls a tool."""
    tools = f',"tools":[{{"name":"tool_{n % 20}","id":"call_{n}"}}]' if n % 7 == 0 else ""
    return (
        f'{{"tokentop":1,"ts":{now_ms},"identity":"svc-{n % identities:03d}",'
        f'"identity_kind":"service-account","provider":"openai","model":"{MODELS[n % 4]}",'
        f'"tokens":{{"input":{500 + n % 3000},"cache_read":{n % 2048},"output":{50 + n % 700}}},'
        f'"request_id":"soak_{n:010d}","latency_ms":{100 + n % 5000}{tools}}}\n'
    )


def generate(logs, rate, seconds, rotate, delete_after, identities, written):
    """Appends `rate` lines a second for `seconds`, rotating and deleting as it goes."""
    path = os.path.join(logs, "app.jsonl")
    out = open(path, "a")
    start = time.monotonic()
    n = 0
    rotations = 0
    doomed = []  # (when, rotated path)
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        if elapsed >= (rotations + 1) * rotate:
            out.close()
            rotations += 1
            rotated = os.path.join(logs, f"app-{rotations}.jsonl")
            os.rename(path, rotated)
            doomed.append((elapsed + delete_after, rotated))
            out = open(path, "a")
        while doomed and doomed[0][0] <= elapsed:
            os.unlink(doomed.pop(0)[1])
        due = min(int(elapsed * rate), int(seconds * rate))
        if due > n:
            now_ms = int(time.time() * 1000)
            out.write("".join(line(i, identities, now_ms) for i in range(n, due)))
            out.flush()
            n = due
            written.value = n
        time.sleep(0.05)
    due = int(seconds * rate)
    if due > n:
        now_ms = int(time.time() * 1000)
        out.write("".join(line(i, identities, now_ms) for i in range(n, due)))
        n = due
    out.close()
    written.value = n
    if doomed:
        time.sleep(max(0.0, doomed[-1][0] - (time.monotonic() - start)))
    for _, rotated in doomed:
        os.unlink(rotated)


class Monitor:
    def __init__(self, sock):
        self.sock = sock

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "soak").stdout

    def press(self, key):
        self.tmux("send-keys", "-t", "soak", key)

    def pid(self):
        return int(self.tmux("list-panes", "-t", "soak", "-F", "#{pane_pid}").stdout.split()[0])

    def until(self, shown, limit=30.0):
        """Polls the pane until `shown(text)`; returns (ms waited, text)."""
        start = time.monotonic()
        while True:
            text = self.screen()
            if shown(text):
                return (time.monotonic() - start) * 1000, text
            if time.monotonic() - start > limit:
                raise SystemExit(f"error: the screen did not change within {limit:.0f} s:\n{text}")


def in_sources(text):
    return re.search(r"^\W*\s+parsed\s+events", text, re.M) is not None


def in_overview(text):
    return "sort:" in text and not in_sources(text)


def requests_of(text):
    m = re.search(r"([0-9][0-9,]*) requests?\b", text)
    return int(m.group(1).replace(",", "")) if m else None


UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
SI = {"": 1, "k": 1e3, "M": 1e6, "B": 1e9}


def dedup_of(text):
    """(keys, bytes) from the sources view's title, or (0, 0) before any is held."""
    m = re.search(r"dedup ([0-9.]+)([kMB]?) keys ([0-9.]+) (B|KiB|MiB|GiB|TiB)", text)
    if not m:
        return 0, 0
    return float(m.group(1)) * SI[m.group(2)], float(m.group(3)) * UNITS[m.group(4)]


def rejected_of(text):
    return sum(int(float(v) * SI[u]) for v, u in re.findall(r"rejected ([0-9.]+)([kMB]?)", text))


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for row in f:
            key, _, value = row.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def quantile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))] if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--rate", type=int, default=20_000, help="lines a second into followed files")
    ap.add_argument("--otlp-rate", type=int, default=2_000, help="OTLP spans a second (a multiple of 100)")
    ap.add_argument("--rotate", type=float, default=300, help="seconds between rotations")
    ap.add_argument("--delete-after", type=float, default=10, help="seconds a rotated file lives")
    ap.add_argument("--sample", type=float, default=10, help="seconds between samples")
    ap.add_argument("--identities", type=int, default=200)
    ap.add_argument("--port", type=int, default=4327)
    ap.add_argument("--csv", default=None, help="where the samples go (default: a temp file)")
    ap.add_argument("--bin", default="target/release/tokentop")
    ap.add_argument("--client", default=None, help="the paced OTLP client (default: newest target/release/deps/otlp-*)")
    args = ap.parse_args()

    if shutil.which("tmux") is None:
        sys.exit("error: tmux is not installed")
    client = args.client or next(
        (p for p in sorted(
            (os.path.join("target/release/deps", f) for f in os.listdir("target/release/deps")
             if f.startswith("otlp-") and not f.endswith(".d")),
            key=os.path.getmtime, reverse=True)), None)
    if not client or not os.access(client, os.X_OK):
        sys.exit("error: no OTLP client; run cargo bench --bench otlp --no-run")
    seconds = args.minutes * 60
    work = tempfile.mkdtemp(prefix="tokentop-soak-")
    logs, home = os.path.join(work, "logs"), os.path.join(work, "home")
    os.makedirs(logs)
    os.makedirs(home)
    csv_path = args.csv or os.path.join(work, "soak.csv")
    mon = Monitor(os.path.join(work, "tmux"))
    binary = os.path.abspath(args.bin)
    mon.tmux("new-session", "-d", "-s", "soak", "-x", "120", "-y", "40",
             f"exec env HOME={home} XDG_CONFIG_HOME={home} {binary} --no-state "
             f"--otlp=127.0.0.1:{args.port} {logs}")
    try:
        mon.until(in_overview)
        pid = mon.pid()
        written = multiprocessing.Value("q", 0)
        gen = multiprocessing.Process(target=generate, args=(
            logs, args.rate, seconds, args.rotate, args.delete_after, args.identities, written))
        gen.start()
        otlp = subprocess.Popen(
            [client, "--to", f"127.0.0.1:{args.port}", "--rate", str(args.otlp_rate),
             "--seconds", str(int(seconds))], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        start = time.monotonic()
        rows = []
        header = ("elapsed_s,rss_mib,hwm_mib,dedup_keys,dedup_mib,rss_less_dedup_mib,"
                  "open_ms,close_ms,file_events_written,otlp_events_sent,requests_counted,load_1m")
        with open(csv_path, "w") as csv:
            csv.write(header + "\n")
            print(header, flush=True)
            tick = 0
            while gen.is_alive() or otlp.poll() is None:
                tick += 1
                time.sleep(max(0.0, start + tick * args.sample - time.monotonic()))
                elapsed = time.monotonic() - start
                mon.until(in_overview)
                mon.press("h")
                open_ms, text = mon.until(in_sources)
                keys, held = dedup_of(text)
                mon.press("h")
                close_ms, text = mon.until(in_overview)
                rss, hwm = memory(pid)
                otlp_sent = min(int(elapsed * args.otlp_rate), int(seconds * args.otlp_rate))
                row = (f"{elapsed:.0f},{rss:.1f},{hwm:.1f},{keys:.0f},{held / 2**20:.1f},"
                       f"{rss - held / 2**20:.1f},{open_ms:.1f},{close_ms:.1f},{written.value},"
                       f"{otlp_sent},{requests_of(text) or 0},{os.getloadavg()[0]:.2f}")
                rows.append((rss, hwm, held / 2**20, open_ms, close_ms, os.getloadavg()[0]))
                csv.write(row + "\n")
                csv.flush()
                print(row, flush=True)
        gen.join()
        client_out = otlp.communicate()[0]
        print(client_out.strip())
        m = re.search(r"otlp client: (\d+) events", client_out)
        sent_otlp = int(m.group(1)) if m else 0
        # The final count: unchanged for 5 s.
        final, stable = None, time.monotonic()
        while time.monotonic() - stable < 5:
            shown = requests_of(mon.screen())
            if shown != final:
                final, stable = shown, time.monotonic()
            time.sleep(0.2)
        mon.press("h")
        _, text = mon.until(in_sources)
        rejected = rejected_of(text)
        rss, hwm = memory(pid)
        expected = written.value + sent_otlp
        lost = expected - (final or 0)
        opens = [r[3] for r in rows]
        closes = [r[4] for r in rows]
        keys_ms = opens + closes
        print(f"soak: {args.minutes:g} min, {written.value:,} lines into files "
              f"(rotated every {args.rotate:g} s, deleted {args.delete_after:g} s later) "
              f"+ {sent_otlp:,} OTLP spans = {expected:,} events; counted {final:,}; "
              f"lost {lost:,}{' (negative: counted twice)' if lost < 0 else ''}; rejected {rejected:,}")
        print(f"memory MiB: rss first sample {rows[0][0]:.1f}, last {rss:.1f}, peak {hwm:.1f}; "
              f"dedup last {rows[-1][2]:.1f}; rss less dedup first {rows[0][0] - rows[0][2]:.1f}, "
              f"last {rows[-1][0] - rows[-1][2]:.1f}")
        print(f"keys to frame ms ({len(keys_ms)} keys): p50 {quantile(keys_ms, .5):.1f} "
              f"p90 {quantile(keys_ms, .9):.1f} p99 {quantile(keys_ms, .99):.1f} max {max(keys_ms):.1f}")
        loads = [r[5] for r in rows]
        print(f"machine load (1 min average, {os.cpu_count()} CPUs): mean {sum(loads) / len(loads):.2f}, "
              f"max {max(loads):.2f}")
        print(f"csv: {csv_path}")
        if lost != 0:
            sys.exit(1)
    finally:
        mon.tmux("kill-server")
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    main()
