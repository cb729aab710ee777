#!/usr/bin/env python3
"""Generate a large, deterministic Claude Code log tree for benchmarks.

    python3 scripts/gen_claude_tree.py /tmp/cc-tree                 # 200,000 responses, ~470 MB
    python3 scripts/gen_claude_tree.py /tmp/cc-small --responses 2000 --verify

Writes ``<out>/projects/<project>/<session>.jsonl`` (and sub-agent files
``<out>/projects/<project>/<session>/subagents/agent-<id>.jsonl``) shaped like
real Claude Code 2.x logs (see shared/reference/agent-logs.md):

* every API response is written as 1-4 ``assistant`` lines, one content block
  each (thinking / text / tool_use), sharing ``message.id`` + ``requestId`` and
  the same input/cache counts; earlier copies carry a small placeholder
  ``output_tokens`` and ``stop_reason: null``, the last copy the real count and
  ``stop_reason`` (``tool_use`` or ``end_turn``);
* each tool_use is answered by a ``user`` line with a ``tool_result`` block and
  a ``toolUseResult`` (a few hundred bytes to tens of KB; Task results carry a
  nested ``usage`` object, as real ones do, which must not be counted);
* ``Task`` calls start sub-agents written to ``<session>/subagents/`` with
  ``isSidechain: true`` and an ``agentId``;
* resumed sessions: a new session file that starts with a copy of a prefix of
  an earlier session's lines (same uuids, message ids and request ids; the
  ``sessionId`` rewritten), then continues with new responses;
* context grows along a session (cache reads), with compaction when it nears
  170k tokens, so no request passes 200k input tokens (no long-context tier);
* models: claude-sonnet-4-20250514 and claude-opus-4-5-20251101 for most main
  sessions, claude-haiku-4-5-20251001 for many sub-agents and a few sessions.

With the defaults (seed 1): 4,499 files (2,757 sessions of which 323 resumed,
1,742 sub-agent files), 579,430 lines, 473.7 MB, ~45 s; 288,956 usage lines
(1.44 per response: 1-4, mostly 1-2, kept below the real logs' ~1.95 and tool
results kept mostly small so the tree stays near the ~2.2 KB per response of
the tree peers were measured on), 12,589 message ids in more than one file.

Output is a pure function of the arguments (default seed 1). The script prints
the tree's size and the expected totals after deduplication by
(message.id, requestId), keeping the largest copy, and writes them to
``<out>/truth.json`` (outside ``projects/``, so no log reader picks it up).
``expected cost`` uses the LiteLLM rates of the three models (USD per token,
copied below); all cache writes are 5-minute writes. ``tool_calls`` counts
unique tool_use ids. --verify re-reads the tree and recomputes the totals.

Standard library only.
"""

import argparse
import datetime as dt
import json
import math
import os
import random
import shutil
import sys
import time
import uuid

MARKER = ".gen_claude_tree"

# USD per token: input, output, cache write (5 min), cache read. From LiteLLM's
# map (claude-sonnet-4-20250514 only has Bedrock entries there, same rates).
PRICES = {
    "claude-sonnet-4-20250514": (3e-06, 1.5e-05, 3.75e-06, 3e-07),
    "claude-opus-4-5-20251101": (5e-06, 2.5e-05, 6.25e-06, 5e-07),
    "claude-haiku-4-5-20251001": (1e-06, 5e-06, 1.25e-06, 1e-07),
}
SONNET, OPUS, HAIKU = "claude-sonnet-4-20250514", "claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B64 = B62 + "+/"
HEX = "0123456789abcdef"

WORDS = (
    "the a to of and in is for that this with on be it as are we not use if fn let mut self return "
    "value error result file path line test config build request response token cache model session "
    "agent user data struct impl match some none ok err string vec map key len index read write parse "
    "check update handle async await client server log event window total cost price input output "
    "should would could now then first next also because so but when where which while after before "
    "function method module crate package import export const type interface class new old fix bug "
    "add remove change refactor rename move copy split merge run call loop iterate filter sort"
).split()
PROJECT_NAMES = (
    "payments-api infra-terraform web-frontend mobile-app data-pipeline auth-service search-rag "
    "billing-worker docs-site ml-training analytics-dashboard notification-service gateway "
    "inventory orders catalog checkout support-bot admin-panel cli-tools sdk-python sdk-go "
    "sdk-rust terraform-modules k8s-manifests observability etl-jobs feature-flags recommendations "
    "email-templates pdf-renderer image-resizer chat-backend ledger fraud-detector crawler "
    "scheduler cache-proxy blog marketing-site experiments legacy-monolith"
).split()
BRANCHES = ["main", "main", "main", "master", "develop", "feature/cache", "fix/timeouts", "refactor-io"]
VERSIONS = ["2.0.76", "2.1.3", "2.1.9", "2.1.14"]
TOOLS = [  # (name, weight, typical result bytes)
    ("Read", 30, 900), ("Bash", 25, 350), ("Edit", 12, 160), ("Grep", 8, 450), ("Glob", 5, 300),
    ("Write", 4, 120), ("TodoWrite", 4, 150), ("WebFetch", 2, 1500), ("Task", 1, 1200),
    ("mcp__github__get_issue", 2, 1400), ("mcp__playwright__browser_snapshot", 1, 2500),
    ("mcp__postgres__query", 1, 800),
]
SUB_TOOLS = [t for t in TOOLS if t[0] != "Task"]
TYPICAL = {t[0]: t[2] for t in TOOLS}


def iso(ts):
    """Epoch seconds (float) -> ISO 8601 UTC with milliseconds and Z."""
    ms = int(round(ts * 1000))
    d = dt.datetime.fromtimestamp(ms // 1000, dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


class Gen:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        r = self.rng
        # A deterministic filler corpus of words and lines; text is sliced from it.
        parts, n = [], 0
        while n < 1_500_000:
            k = r.randint(4, 14)
            line = " ".join(r.choice(WORDS) for _ in range(k))
            if r.random() < 0.2:
                line = "    " + line + "(" + r.choice(WORDS) + ");"
            parts.append(line)
            n += len(line) + 1
        self.corpus = "\n".join(parts)
        self.base = dt.datetime.strptime(args.start, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc).timestamp()
        nproj = args.projects
        names = [PROJECT_NAMES[i % len(PROJECT_NAMES)] + ("" if i < len(PROJECT_NAMES) else "-%d" % (i // len(PROJECT_NAMES)))
                 for i in range(nproj)]
        self.projects = []
        for i, nm in enumerate(names):
            cwd = "/home/dev/" + nm
            folder = "".join(c if c.isalnum() else "-" for c in cwd)
            self.projects.append((folder, cwd))
        # Zipf-ish activity: a few busy projects, a long tail.
        self.proj_w = [1.0 / (i + 1) ** 0.8 for i in range(nproj)]
        self.recent = {}  # project index -> list of (sid, lines, end_ts, model, branch, slug, version)
        self.truth = {}  # (msg id, request id) -> [model, input, cc, cr, out]
        self.responses = 0
        self.tool_calls = 0  # unique tool_use ids
        self.files = 0
        self.lines = 0
        self.bytes = 0
        self.sessions = self.resumed = self.subagents = 0

    # ---- small random helpers -------------------------------------------------
    def text(self, n):
        n = max(1, int(n))
        c = self.corpus
        if n >= len(c) - 1:
            return (c * (n // len(c) + 1))[:n]
        o = self.rng.randrange(0, len(c) - n)
        return c[o:o + n]

    def lognorm(self, median, sigma, lo, hi):
        v = median * math.exp(self.rng.gauss(0.0, sigma))
        return int(min(hi, max(lo, v)))

    def ident(self, prefix, k):
        return prefix + "".join(self.rng.choices(B62, k=k))

    def uuid4(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ---- one response --------------------------------------------------------
    def response(self, st, out):
        """Append the assistant lines (and tool results) of one new response to `out`.

        st: session state dict (model, ctx, ts, parent, envelope fields, sidechain...).
        Returns the list of (tool name, tool id) it called.
        """
        r = self.rng
        model = st["model"]
        first = st["ctx"] == 0
        if first:
            cr = r.choice((0, 0, r.randint(11000, 19000)))
            cc = r.randint(4000, 22000)
            inp = r.randint(3, 12) if cr or r.random() < 0.5 else r.randint(800, 6000)
        else:
            cr = st["ctx"]
            cc = self.lognorm(900, 1.1, 0, 30000)
            x = r.random()
            inp = r.randint(1, 12) if x < 0.72 else (r.randint(13, 400) if x < 0.96 else r.randint(400, 4000))
        st["ctx"] = cr + cc if not first else (cr or 0) + cc
        if st["ctx"] > 165000:  # compaction: the next response starts from a summary
            st["compact"] = True
        output = self.lognorm(170, 1.15, 1, 16000)
        # Content blocks: thinking?, text?, tool_use x k; 1..4 blocks.
        think_p = {OPUS: 0.2, SONNET: 0.1, HAIKU: 0.05}[model]
        blocks = []
        if r.random() < think_p:
            blocks.append("thinking")
        x = r.random()
        ntools = 0 if x < 0.22 else (1 if x < 0.9 else (2 if x < 0.98 else 3))
        if ntools == 0 or r.random() < 0.12:
            blocks.append("text")
        blocks += ["tool_use"] * ntools
        blocks = blocks[:4]
        msg_id = self.ident("msg_01", 22)
        req_id = self.ident("req_011C", 18)
        usage_common = {"input_tokens": inp, "cache_creation_input_tokens": cc, "cache_read_input_tokens": cr,
                        "cache_creation": {"ephemeral_5m_input_tokens": cc, "ephemeral_1h_input_tokens": 0}}
        tools = []
        tool_pool = st["tool_pool"]
        nb = len(blocks)
        for i, kind in enumerate(blocks):
            last = i == nb - 1
            if kind == "thinking":
                tl = self.lognorm(150, 0.7, 30, 4000)
                block = {"type": "thinking", "thinking": self.text(tl),
                         "signature": "".join(r.choices(B64, k=min(2400, 80 + tl // 4)))}
            elif kind == "text":
                block = {"type": "text", "text": self.text(self.lognorm(80, 0.8, 10, 3000))}
            else:
                name = r.choices([t[0] for t in tool_pool], weights=[t[1] for t in tool_pool])[0]
                tid = self.ident("toolu_01", 22)
                block = {"type": "tool_use", "id": tid, "name": name, "input": self.tool_input(name, st)}
                tools.append((name, tid))
            placeholder = min(output, r.randint(1, 8))
            usage = dict(usage_common)
            usage["output_tokens"] = output if last else placeholder
            usage["service_tier"] = "standard"
            st["ts"] += r.uniform(0.3, 4.0)
            u = self.uuid4()
            line = {"parentUuid": st["parent"], "isSidechain": st["sidechain"], "userType": "external",
                    "cwd": st["cwd"], "sessionId": st["sid"], "version": st["version"], "gitBranch": st["branch"]}
            if st["agent"]:
                line["agentId"] = st["agent"]
            line["slug"] = st["slug"]
            line["message"] = {"model": model, "id": msg_id, "type": "message", "role": "assistant",
                               "content": [block],
                               "stop_reason": (("tool_use" if tools else "end_turn") if last else None),
                               "stop_sequence": None, "usage": usage}
            line["requestId"] = req_id
            line["type"] = "assistant"
            line["uuid"] = u
            line["timestamp"] = iso(st["ts"])
            out.append(self.dump(line))
            st["parent"] = u
        self.truth[(msg_id, req_id)] = [model, inp, cc, cr, output]
        self.tool_calls += len(tools)
        self.responses += 1
        return tools

    def tool_input(self, name, st):
        r = self.rng
        if name in ("Read", "Edit", "Write"):
            p = st["cwd"] + "/src/" + r.choice(WORDS) + "/" + r.choice(WORDS) + r.choice((".rs", ".py", ".ts", ".go"))
            if name == "Read":
                return {"file_path": p}
            if name == "Edit":
                return {"file_path": p, "old_string": self.text(r.randint(20, 200)),
                        "new_string": self.text(r.randint(20, 260))}
            return {"file_path": p, "content": self.text(self.lognorm(300, 0.8, 40, 6000))}
        if name == "Bash":
            return {"command": self.text(r.randint(10, 70)), "description": self.text(r.randint(10, 40))}
        if name in ("Grep", "Glob"):
            return {"pattern": r.choice(WORDS) + ".*" + r.choice(WORDS), "path": st["cwd"]}
        if name == "Task":
            return {"description": self.text(r.randint(15, 40)), "prompt": self.text(self.lognorm(400, 0.5, 80, 2000)),
                    "subagent_type": r.choice(("Explore", "general-purpose", "Plan"))}
        if name == "TodoWrite":
            return {"todos": [{"content": self.text(r.randint(10, 60)), "status": r.choice(("pending", "in_progress", "completed")),
                               "activeForm": self.text(r.randint(10, 40))} for _ in range(r.randint(1, 4))]}
        if name == "WebFetch":
            return {"url": "https://example.com/" + r.choice(WORDS), "prompt": self.text(r.randint(20, 80))}
        return {"query": self.text(r.randint(10, 80))}

    def tool_result(self, st, name, tid, typical, out, sub=None):
        """One user line answering tool call `tid`."""
        r = self.rng
        if r.random() < 0.01:  # the occasional big file read, long build log, web page
            size = self.lognorm(5000 * self.a.result_scale, 0.9, 2000, 60000)
        else:
            size = self.lognorm(typical * 0.025 * self.a.result_scale, 1.1, 20, 8000)
        body = self.text(size)
        if name == "Read":
            numbered = body.replace("\n", "\n     1\u2192")
            content = numbered
            tur = {"type": "text", "file": {"filePath": st["cwd"] + "/src/main.rs", "content": body,
                                            "numLines": body.count("\n") + 1, "startLine": 1,
                                            "totalLines": body.count("\n") + 1}}
        elif name == "Bash":
            content = body
            tur = {"stdout": body, "stderr": "", "interrupted": False, "isImage": False}
        elif name == "Task" and sub is not None:
            agent_id, usage, ntools = sub
            content = [{"type": "text", "text": body},
                       {"type": "text", "text": "agentId: %s (for resuming to continue this agent's work if needed)" % agent_id}]
            tur = {"status": "completed", "prompt": self.text(80), "agentId": agent_id,
                   "content": [{"type": "text", "text": body[: size // 2]}],
                   "totalDurationMs": r.randint(5000, 300000),
                   "totalTokens": usage["input_tokens"] + usage["cache_creation_input_tokens"]
                   + usage["cache_read_input_tokens"] + usage["output_tokens"],
                   "totalToolUseCount": ntools, "usage": usage}
        else:
            content = body
            tur = {"type": "text", "result": body[: size // 3]} if size > 600 else None
        st["ts"] += r.uniform(0.05, 3.0) + (size / 20000.0)
        u = self.uuid4()
        block = {"tool_use_id": tid, "type": "tool_result", "content": content}
        if name in ("Bash", "Edit", "Write"):
            block["is_error"] = r.random() < 0.04
        line = {"parentUuid": st["parent"], "isSidechain": st["sidechain"], "userType": "external",
                "cwd": st["cwd"], "sessionId": st["sid"], "version": st["version"], "gitBranch": st["branch"]}
        if st["agent"]:
            line["agentId"] = st["agent"]
        line["slug"] = st["slug"]
        line["type"] = "user"
        line["message"] = {"role": "user", "content": [block]}
        line["uuid"] = u
        line["timestamp"] = iso(st["ts"])
        if tur is not None:
            line["toolUseResult"] = tur
        out.append(self.dump(line))
        st["parent"] = u

    def prompt(self, st, out, text=None):
        r = self.rng
        u = self.uuid4()
        st["ts"] += r.uniform(5, 240)
        line = {"parentUuid": st["parent"], "isSidechain": st["sidechain"], "userType": "external",
                "cwd": st["cwd"], "sessionId": st["sid"], "version": st["version"], "gitBranch": st["branch"]}
        if st["agent"]:
            line["agentId"] = st["agent"]
        line["slug"] = st["slug"]
        line["type"] = "user"
        line["message"] = {"role": "user", "content": text if text is not None else self.text(self.lognorm(120, 0.9, 8, 3000))}
        line["uuid"] = u
        line["timestamp"] = iso(st["ts"])
        if not st["sidechain"]:
            line["todos"] = []
            out.append(self.dump({"type": "file-history-snapshot", "messageId": u,
                                  "snapshot": {"messageId": u, "trackedFileBackups": {}, "timestamp": iso(st["ts"])},
                                  "isSnapshotUpdate": False}))
        out.append(self.dump(line))
        st["parent"] = u

    def compact(self, st, out):
        r = self.rng
        u = self.uuid4()
        st["ts"] += r.uniform(10, 60)
        out.append(self.dump({"parentUuid": None, "logicalParentUuid": st["parent"], "isSidechain": st["sidechain"],
                              "userType": "external", "cwd": st["cwd"], "sessionId": st["sid"], "version": st["version"],
                              "gitBranch": st["branch"], "slug": st["slug"], "type": "system", "subtype": "compact_boundary",
                              "content": "Conversation compacted", "isMeta": False, "timestamp": iso(st["ts"]), "uuid": u,
                              "level": "info", "compactMetadata": {"trigger": "auto", "preTokens": st["ctx"]}}))
        st["parent"] = u
        st["ctx"] = 0
        st["compact"] = False

    @staticmethod
    def dump(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    # ---- files ---------------------------------------------------------------
    def write(self, rel, lines):
        path = os.path.join(self.a.out, "projects", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with open(path, "wb") as f:
            f.write(data)
        self.files += 1
        self.lines += len(lines)
        self.bytes += len(data)

    def run_conversation(self, st, out, n, subfiles, allow_task):
        """Append n new responses (with tool results and prompts) to `out`."""
        r = self.rng
        done = 0
        self.prompt(st, out)
        while done < n and self.responses < self.a.responses:
            if st.get("compact"):
                self.compact(st, out)
            tools = self.response(st, out)
            done += 1
            for name, tid in tools:
                typical = TYPICAL[name]
                sub = None
                if name == "Task" and allow_task and self.responses < self.a.responses:
                    sub = self.subagent(st, subfiles)
                self.tool_result(st, name, tid, typical, out, sub)
            if not tools and done < n:
                self.prompt(st, out)
        return done

    def subagent(self, parent, subfiles):
        r = self.rng
        agent = "".join(r.choices(HEX, k=7))
        model = HAIKU if r.random() < 0.5 else parent["model"]
        st = dict(parent)
        st.update(model=model, ctx=0, parent=None, sidechain=True, agent=agent, tool_pool=SUB_TOOLS,
                  ts=parent["ts"] + r.uniform(0.5, 3))
        lines = []
        k = self.lognorm(11, 0.6, 2, 60)
        self.run_conversation(st, lines, k, None, False)
        subfiles.append(("%s/subagents/agent-%s.jsonl" % (parent["sid"], agent), lines))
        parent["ts"] = st["ts"] + r.uniform(0.5, 3)
        self.subagents += 1
        usage = {"input_tokens": r.randint(0, 20), "cache_creation_input_tokens": r.randint(200, 4000),
                 "cache_read_input_tokens": r.randint(10000, 60000),
                 "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
                 "output_tokens": r.randint(200, 5000), "service_tier": "standard"}
        usage["cache_creation"]["ephemeral_5m_input_tokens"] = usage["cache_creation_input_tokens"]
        return (agent, usage, k)

    def session(self):
        r = self.rng
        a = self.a
        pi = r.choices(range(len(self.projects)), weights=self.proj_w)[0]
        folder, cwd = self.projects[pi]
        sid = self.uuid4()
        recent = self.recent.setdefault(pi, [])
        out = []
        subfiles = []
        resumed_from = None
        if recent and r.random() < a.resume_rate:
            resumed_from = r.choice(recent)
        if resumed_from:
            osid, olines, oend, model, branch, slug, version = resumed_from
            cut = max(1, int(len(olines) * r.uniform(0.3, 1.0)))
            out = [ln.replace(osid, sid) for ln in olines[:cut]]
            ts = oend + r.uniform(600, 20 * 3600)
            parent = json.loads(out[-1]).get("uuid")
            self.resumed += 1
        else:
            day = r.randrange(a.days)
            hour = min(23.9, max(0.0, r.gauss(14, 4)))
            ts = self.base + day * 86400 + hour * 3600
            x = r.random()
            model = SONNET if x < 0.55 else (OPUS if x < 0.95 else HAIKU)
            branch = r.choice(BRANCHES)
            slug = "-".join(r.choice(WORDS) for _ in range(3))
            version = r.choice(VERSIONS)
            parent = None
            if r.random() < 0.2:
                out.append(self.dump({"type": "summary", "summary": self.text(r.randint(20, 70)),
                                      "leafUuid": self.uuid4()}))
        st = {"model": model, "ctx": 0, "ts": ts, "parent": parent, "sidechain": False, "agent": None,
              "cwd": cwd, "sid": sid, "version": version, "branch": branch, "slug": slug,
              "tool_pool": TOOLS, "compact": False}
        n = self.lognorm(a.session_median, 0.9, 3, 600)
        if resumed_from:
            n = self.lognorm(a.session_median / 2, 0.9, 1, 300)
            st["ctx"] = r.randint(20000, 60000)  # the resumed context is read from cache
        self.run_conversation(st, out, n, subfiles, True)
        self.write("%s/%s.jsonl" % (folder, sid), out)
        for rel, lines in subfiles:
            self.write("%s/%s" % (folder, rel), lines)
        self.sessions += 1
        recent.append((sid, out, st["ts"], model, branch, slug, version))
        if len(recent) > 4:
            recent.pop(0)

    def run(self):
        while self.responses < self.a.responses:
            self.session()


def totals_of(records):
    t = {"requests": 0, "input": 0, "output": 0, "cache_creation": 0, "cache_read": 0, "cost_usd": 0.0}
    by_model = {}
    for model, inp, cc, cr, out in records:
        pi, po, pw, pr = PRICES[model]
        t["requests"] += 1
        t["input"] += inp
        t["output"] += out
        t["cache_creation"] += cc
        t["cache_read"] += cr
        t["cost_usd"] += inp * pi + out * po + cc * pw + cr * pr
        by_model[model] = by_model.get(model, 0) + 1
    t["cost_usd"] = round(t["cost_usd"], 6)
    t["total_tokens"] = t["input"] + t["output"] + t["cache_creation"] + t["cache_read"]
    return t, by_model


def verify(out_dir):
    """Re-read the tree and dedup by (message.id, requestId), keeping the largest copy."""
    best = {}
    tool_ids = set()
    for root, _dirs, files in os.walk(os.path.join(out_dir, "projects")):
        for fn in files:
            if not fn.endswith(".jsonl"):
                continue
            with open(os.path.join(root, fn), encoding="utf-8") as f:
                for ln in f:
                    if '"usage"' not in ln:
                        continue
                    o = json.loads(ln)
                    if o.get("type") != "assistant":
                        continue
                    m = o["message"]
                    u = m["usage"]
                    tool_ids.update(b["id"] for b in m["content"] if b.get("type") == "tool_use")
                    rec = [m["model"], u["input_tokens"], u["cache_creation_input_tokens"],
                           u["cache_read_input_tokens"], u["output_tokens"]]
                    key = (m["id"], o.get("requestId"))
                    old = best.get(key)
                    if old is None or sum(rec[1:]) > sum(old[1:]):
                        best[key] = rec
    t = totals_of(best.values())[0]
    t["tool_calls"] = len(tool_ids)
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="output directory (the tree goes to OUT/projects)")
    p.add_argument("--responses", type=int, default=200000, help="unique API responses (default 200000)")
    p.add_argument("--projects", type=int, default=40, help="project folders (default 40)")
    p.add_argument("--days", type=int, default=30, help="days the sessions start on (default 30)")
    p.add_argument("--start", default="2025-11-01", help="first day, UTC (default 2025-11-01)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--session-median", type=float, default=45, help="median responses per new session")
    p.add_argument("--resume-rate", type=float, default=0.12, help="share of sessions that resume an earlier one")
    p.add_argument("--result-scale", type=float, default=1.0, help="scale of tool-result sizes (default 1)")
    p.add_argument("--verify", action="store_true", help="re-read the tree and check the expected totals")
    a = p.parse_args()

    proj = os.path.join(a.out, "projects")
    if os.path.exists(proj):
        if not os.path.exists(os.path.join(a.out, MARKER)):
            sys.exit("%s exists and was not made by this script (no %s): refusing to overwrite" % (proj, MARKER))
        shutil.rmtree(proj)
    os.makedirs(proj, exist_ok=True)
    with open(os.path.join(a.out, MARKER), "w") as f:
        f.write("made by scripts/gen_claude_tree.py; safe to delete\n")

    t0 = time.time()
    g = Gen(a)
    g.run()
    totals, by_model = totals_of(g.truth.values())
    totals["tool_calls"] = g.tool_calls
    truth = {"args": {k: v for k, v in vars(a).items() if k not in ("out", "verify")},
             "unique_responses": len(g.truth), "files": g.files, "lines": g.lines, "bytes": g.bytes,
             "sessions": g.sessions, "resumed_sessions": g.resumed, "subagent_files": g.subagents,
             "responses_by_model": by_model, "expected": totals}
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s: %d files, %d lines, %.1f MB (%d sessions, %d resumed, %d sub-agent files) in %.0f s"
          % (proj, g.files, g.lines, g.bytes / 1e6, g.sessions, g.resumed, g.subagents, time.time() - t0))
    print("unique responses: %d  (%s)" % (len(g.truth), ", ".join("%s %d" % kv for kv in sorted(by_model.items()))))
    print("expected totals (dedup by message.id+requestId, largest copy):")
    print("  input %d  output %d  cache_creation %d  cache_read %d  cost $%.4f  (tool calls %d)"
          % (totals["input"], totals["output"], totals["cache_creation"], totals["cache_read"], totals["cost_usd"],
             totals["tool_calls"]))
    print("truth: %s" % os.path.join(a.out, "truth.json"))
    if a.verify:
        v = verify(a.out)
        ok = all(v[k] == totals[k] for k in ("requests", "input", "output", "cache_creation", "cache_read", "tool_calls"))
        print("verify (re-read and dedup): %s %s" % ("OK" if ok else "MISMATCH", "" if ok else v))
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
