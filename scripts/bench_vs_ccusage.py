#!/usr/bin/env python3
"""Benchmark `tokentop report --json` against ccusage on one Claude Code log tree.

Setup (ccusage is installed outside the repo; 20.0.26 has no linux-x64 binary):

    mkdir -p /work/peers && cd /work/peers && npm install ccusage@20.0.24
    cargo build --release
    python3 scripts/gen_claude_tree.py /tmp/cc-tree           # 200k responses, ~470 MB
    CCUSAGE_DIR=/work/peers python3 scripts/bench_vs_ccusage.py /tmp/cc-tree

TREE is a Claude Code config dir: it holds projects/<project>/<session>.jsonl.
The tools are run as

    tokentop report TREE/projects --json
    CLAUDE_CONFIG_DIR=TREE ccusage daily --json --offline -z UTC

each with a minimal environment (PATH, LANG, and HOME set to an empty
temporary folder, so ccusage 20, which reads every coding agent it detects,
finds no other agent's logs). Each tool gets one untimed warm-up run, then
--runs timed runs, the two tools alternating. Wall time is measured around the
process with time.perf_counter; peak RSS is `%M` of `/usr/bin/time -f "%e %M"`
(--meter time, the default when /usr/bin/time exists), else the child's
ru_maxrss from os.wait4 (--meter wait4). Prefer `time`: Linux keeps a
process's peak RSS across exec, so with wait4 a child forked from this Python
process reports at least Python's own RSS (~15 MiB here: tokentop on a small
tree shows 15.6 MiB with wait4, 11.2 MiB with time); on large trees the two
agree. CPU time (user+sys) is read from wait4's rusage either way. ru_maxrss
of a process that waited for its own children covers them too (the max of the
tree, not the sum), so ccusage's Node launcher (node_modules/.bin/ccusage ->
src/cli.js, which spawns the native binary from @ccusage/ccusage-linux-x64)
is measured together with its native child.

Every run's totals are checked: tokens must agree to the token and cost within
0.5% between the tools, and with TREE/truth.json when gen_claude_tree.py wrote
one. The script prints a markdown table (median wall, peak RSS, ratios
ccusage/tokentop) and exits 1 on any disagreement or failed run.

Standard library only.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENS = ("input", "output", "cache_creation", "cache_read")
COST_TOLERANCE = 0.005


def find_ccusage(explicit):
    if explicit:
        return explicit
    d = os.environ.get("CCUSAGE_DIR")
    if d:
        p = os.path.join(d, "node_modules", ".bin", "ccusage")
        if os.path.exists(p):
            return p
    p = shutil.which("ccusage")
    if p:
        return p
    sys.exit("ccusage not found: set CCUSAGE_DIR to the folder where `npm install ccusage@20.0.24` ran, "
             "put it on PATH, or pass --ccusage")


def tokentop_totals(doc):
    t = doc["totals"]
    return {"input": t["input"], "output": t["output"], "cache_creation": t["cache_write"],
            "cache_read": t["cache_read"], "cost_usd": t["cost_usd"], "requests": t["requests"],
            "tool_calls": t.get("tool_calls"),
            "unpriced_requests": t.get("unpriced_requests", 0)}


def ccusage_totals(doc):
    t = doc["totals"]
    agents = set()
    for row in doc.get("daily", []):
        agents.update((row.get("metadata") or {}).get("agents", []))
    return {"input": t["inputTokens"], "output": t["outputTokens"], "cache_creation": t["cacheCreationTokens"],
            "cache_read": t["cacheReadTokens"], "cost_usd": t["totalCost"], "agents": sorted(agents)}


def run_once(cmd, env, meter, tmp):
    """Run cmd; return (wall s, peak RSS KiB, user+sys CPU s, exit code, stdout bytes, stderr text)."""
    out_path = os.path.join(tmp, "stdout")
    err_path = os.path.join(tmp, "stderr")
    time_path = os.path.join(tmp, "time")
    if meter == "time":
        cmd = ["/usr/bin/time", "-f", "%e %M", "-o", time_path] + cmd
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped above; keep Popen from waiting again
    rss_kib = ru.ru_maxrss  # KiB on Linux
    cpu = ru.ru_utime + ru.ru_stime  # the child and the children it waited for
    if meter == "time":
        with open(time_path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        rss_kib = int(lines[-1].split()[1])  # the child's, not /usr/bin/time's own
    with open(out_path, "rb") as f:
        stdout = f.read()
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    return wall, rss_kib, cpu, p.returncode, stdout, stderr


def compare(name_a, a, name_b, b, problems, what):
    for k in TOKENS:
        if a[k] != b[k]:
            problems.append("%s: %s %s=%d but %s %s=%d (diff %+d)" % (what, name_a, k, a[k], name_b, k, b[k], b[k] - a[k]))
    ca, cb = a["cost_usd"], b["cost_usd"]
    if ca is None or cb is None or abs(ca - cb) > COST_TOLERANCE * max(abs(ca), abs(cb), 1e-9):
        problems.append("%s: %s cost %.4f vs %s cost %.4f (more than %.1f%% apart)"
                        % (what, name_a, ca or 0, name_b, cb or 0, COST_TOLERANCE * 100))


def version_of(cmd, env):
    try:
        r = subprocess.run(cmd + ["--version"], env=env, capture_output=True, text=True, timeout=60)
        return (r.stdout.strip().splitlines() or ["?"])[0]
    except (OSError, subprocess.SubprocessError):
        return "?"


def tree_stats(tree):
    files = size = 0
    for root, _dirs, names in os.walk(os.path.join(tree, "projects")):
        for n in names:
            if n.endswith(".jsonl"):
                files += 1
                size += os.path.getsize(os.path.join(root, n))
    return files, size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("tree", help="Claude Code config dir holding projects/ (e.g. made by gen_claude_tree.py)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per tool (default 5)")
    ap.add_argument("--tokentop", default=os.path.join(REPO, "target", "release", "tokentop"),
                    help="tokentop binary (default: target/release/tokentop of this repo)")
    ap.add_argument("--ccusage", help="ccusage executable (default: $CCUSAGE_DIR/node_modules/.bin/ccusage, else PATH)")
    ap.add_argument("--meter", choices=("time", "wait4"),
                    default="time" if os.access("/usr/bin/time", os.X_OK) else "wait4",
                    help="how peak RSS is read: /usr/bin/time -f '%%e %%M' (default when present) "
                         "or the os.wait4 rusage (counts this Python's RSS as a floor)")
    ap.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up run of each tool")
    ap.add_argument("--json-out", help="also write the measurements and totals to this file")
    a = ap.parse_args()

    tree = os.path.abspath(a.tree)
    projects = os.path.join(tree, "projects")
    if not os.path.isdir(projects):
        sys.exit("%s has no projects/ folder" % tree)
    tokentop = os.path.abspath(a.tokentop)
    if not os.access(tokentop, os.X_OK):
        sys.exit("tokentop binary not found at %s (cargo build --release, or pass --tokentop)" % tokentop)
    ccusage = find_ccusage(a.ccusage)
    if a.meter == "time" and not os.access("/usr/bin/time", os.X_OK):
        sys.exit("--meter time needs /usr/bin/time")

    truth = None
    truth_path = os.path.join(tree, "truth.json")
    if os.path.exists(truth_path):
        with open(truth_path) as f:
            truth = json.load(f)

    tmp = tempfile.mkdtemp(prefix="bench-vs-ccusage-")
    home = os.path.join(tmp, "home")
    os.makedirs(home)
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": os.environ.get("LANG", "C.UTF-8"),
                "HOME": home, "TZ": "UTC"}
    cc_env = dict(base_env, CLAUDE_CONFIG_DIR=tree)
    tools = [
        ("tokentop", [tokentop, "report", projects, "--json"], base_env, tokentop_totals),
        ("ccusage", [ccusage, "daily", "--json", "--offline", "-z", "UTC"], cc_env, ccusage_totals),
    ]
    versions = {"tokentop": version_of([tokentop], base_env), "ccusage": version_of([ccusage], cc_env)}
    files, size = tree_stats(tree)
    print("tree: %s (%d files, %.1f MB%s)" % (projects, files, size / 1e6,
                                            ", %d lines" % truth["lines"] if truth and "lines" in truth else ""))
    for name, cmd, env, _ in tools:
        extra = " CLAUDE_CONFIG_DIR=%s" % tree if "CLAUDE_CONFIG_DIR" in env else ""
        print("%s (%s):%s %s" % (name, versions[name], extra, " ".join(cmd)))
    print("meter: %s; %d timed run(s) each%s; %d CPUs, load average %s"
          % (a.meter, a.runs, "" if a.no_warmup else " after one warm-up run", os.cpu_count() or 0,
             " ".join("%.2f" % x for x in os.getloadavg())))
    sys.stdout.flush()

    problems = []
    results = {name: {"wall_s": [], "cpu_s": [], "rss_kib": [], "totals": None} for name, *_ in tools}

    def one(name, cmd, env, parse, timed, k):
        wall, rss, cpu, rc, out, err = run_once(cmd, env, a.meter, tmp)
        label = "%s %s" % (name, "run %d" % k if timed else "warm-up")
        if rc != 0:
            problems.append("%s exited %d: %s" % (label, rc, err.strip()[-500:]))
            return
        try:
            totals = parse(json.loads(out))
        except (ValueError, KeyError, TypeError) as e:
            problems.append("%s: cannot read its JSON totals (%s): %r" % (label, e, out[:300]))
            return
        r = results[name]
        if r["totals"] is None:
            r["totals"] = totals
        elif any(r["totals"][x] != totals[x] for x in TOKENS) or \
                abs(r["totals"]["cost_usd"] - totals["cost_usd"]) > 1e-9 * max(1.0, abs(totals["cost_usd"])):
            problems.append("%s: totals changed between runs: %s vs %s" % (label, r["totals"], totals))
        elif r["totals"]["cost_usd"] != totals["cost_usd"]:
            r.setdefault("cost_jitter", set()).add(totals["cost_usd"])  # float summation order only
        if timed:
            r["wall_s"].append(wall)
            r["rss_kib"].append(rss)
            r["cpu_s"].append(cpu)
        print("  %-18s %7.3f s wall %7.3f s cpu %8.1f MiB" % (label, wall, cpu, rss / 1024.0))
        sys.stdout.flush()

    if not a.no_warmup:
        for name, cmd, env, parse in tools:
            one(name, cmd, env, parse, False, 0)
    for k in range(1, a.runs + 1):
        for name, cmd, env, parse in tools:
            one(name, cmd, env, parse, True, k)
    shutil.rmtree(tmp, ignore_errors=True)

    for name, r in results.items():
        jitter = r.pop("cost_jitter", None)
        if jitter:
            vals = sorted(jitter | {r["totals"]["cost_usd"]})
            print("note: %s's cost differs between runs in the last digits only (%r): float sums in varying order"
                  % (name, vals))
    tt, cc = results["tokentop"]["totals"], results["ccusage"]["totals"]
    if tt and cc:
        compare("tokentop", tt, "ccusage", cc, problems, "tokentop vs ccusage")
        if cc.get("agents") and cc["agents"] != ["claude"]:
            problems.append("ccusage read other agents' logs too: %s" % cc["agents"])
    if truth:
        exp = truth["expected"]
        exp_t = {"input": exp["input"], "output": exp["output"], "cache_creation": exp["cache_creation"],
                 "cache_read": exp["cache_read"], "cost_usd": exp["cost_usd"]}
        for name, got in (("tokentop", tt), ("ccusage", cc)):
            if got:
                compare("truth.json", exp_t, name, got, problems, "%s vs truth" % name)
        if tt and tt["requests"] != exp["requests"]:
            problems.append("tokentop requests %d, truth.json %d" % (tt["requests"], exp["requests"]))
        if tt and "tool_calls" in exp and tt["tool_calls"] != exp["tool_calls"]:
            problems.append("tokentop tool calls %d, truth.json %d" % (tt["tool_calls"], exp["tool_calls"]))

    print()
    if tt:
        print("totals (tokentop): input %d, output %d, cache write %d, cache read %d, cost $%.4f, %d requests"
              % (tt["input"], tt["output"], tt["cache_creation"], tt["cache_read"], tt["cost_usd"], tt["requests"]))
    if cc:
        print("totals (ccusage):  input %d, output %d, cache write %d, cache read %d, cost $%.4f"
              % (cc["input"], cc["output"], cc["cache_creation"], cc["cache_read"], cc["cost_usd"]))
    if truth:
        e = truth["expected"]
        print("totals (truth):    input %d, output %d, cache write %d, cache read %d, cost $%.4f, %d requests"
              % (e["input"], e["output"], e["cache_creation"], e["cache_read"], e["cost_usd"], e["requests"]))
    print("totals agree: %s" % ("yes" if not problems else "NO"))
    print()

    med = {}
    for name in results:
        r = results[name]
        if r["wall_s"]:
            med[name] = (statistics.median(r["wall_s"]), statistics.median(r["rss_kib"]) / 1024.0,
                         min(r["wall_s"]), max(r["wall_s"]), max(r["rss_kib"]) / 1024.0,
                         statistics.median(r["cpu_s"]))
    print("| tool | version | median wall (s) | min-max wall (s) | median CPU user+sys (s) "
          "| peak RSS (MiB, median) | max peak RSS (MiB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name in ("tokentop", "ccusage"):
        if name in med:
            w, m, lo, hi, mx, c = med[name]
            print("| %s | %s | %.3f | %.3f-%.3f | %.3f | %.1f | %.1f |" % (name, versions[name], w, lo, hi, c, m, mx))
    if "tokentop" in med and "ccusage" in med:
        rw = med["ccusage"][0] / med["tokentop"][0]
        rm = med["ccusage"][1] / med["tokentop"][1]
        rc_ = med["ccusage"][5] / med["tokentop"][5]
        print("| ratio ccusage/tokentop | | %.2fx | | %.2fx | %.2fx | |" % (rw, rc_, rm))
    print()
    print("load average at the end: %s (wall times on a busy machine vary; CPU time varies less)"
          % " ".join("%.2f" % x for x in os.getloadavg()))

    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"tree": tree, "files": files, "bytes": size, "meter": a.meter, "runs": a.runs,
                       "versions": versions, "results": results, "truth": truth and truth["expected"],
                       "problems": problems}, f, indent=1)
            f.write("\n")
    if problems:
        print()
        for p in problems:
            print("DISAGREEMENT/FAILURE: " + p)
        sys.exit(1)


if __name__ == "__main__":
    main()
