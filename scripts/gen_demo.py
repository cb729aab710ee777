#!/usr/bin/env python3
"""Generate the deterministic demo data that `tokentop --demo` replays.

Run from the repository root:   python3 scripts/gen_demo.py

Writes sample-data/demo/ (tokentop's own JSONL schema plus Claude Code 2.0 session logs).
Python 3.11, stdlib only, seeded with random.Random(42): the output is byte-identical on
every run. Every line carries its time ("ts" or "timestamp", RFC 3339 UTC with ms and Z),
all times lie in [2026-01-01T00:00:00.000Z, +600 s), and each file is sorted by time. The
replayer shifts the times so the 10-minute loop ends at "now".

Output of the last run (printed again at the end of every run; keep in sync):

  lines     bytes  file
   3454 1,453,738  tokentop.jsonl
    270   212,202  claude/projects/-home-dev-payments-api/58e3159e-18fb-4bcb-a332-b5f8a4617393.jsonl
    195   153,311  claude/projects/-home-dev-payments-api/2486b2ef-12e9-4f7d-b62a-264b167be2f8.jsonl
    188   145,948  claude/projects/-home-dev-infra-terraform/ecc20bda-ac1d-4cbe-883b-1c4b0ec90059.jsonl
  total 1,965,199 bytes

  responses  identity
        583  svc-checkout
        916  svc-search-rag  (652 embedding, 264 retrieval)
        302  svc-support-bot
        117  batch-nightly-summarizer
        406  key_prod_web
        476  key_mobile_ios
        129  key_partner_acme
        166  agent-triage
        290  agent-loop-runner  (241 in the two bursts)
         69  svc-labs-experimental  (unpriced model)
         84  claude-code -home-dev-payments-api session 58e3159e (claude-sonnet-4-5-20250929, 10 sub-agent a1b2c3)
         63  claude-code -home-dev-payments-api session 2486b2ef (claude-sonnet-4-5-20250929)
         62  claude-code -home-dev-infra-terraform session ecc20bda (claude-opus-4-5-20251101)
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone

SEED = 42
SPAN_MS = 600_000
BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample-data", "demo")
# Claude Code 2.x really writes sub-agent lines to <session>/subagents/agent-<id>.jsonl; the demo
# keeps them in the session file (as 1.0.x did) so the embedded file list stays fixed.
SUBAGENT_SEPARATE_FILE = False

rng = random.Random(SEED)

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
HEX = "0123456789abcdef"


def rand_str(alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def ts(ms: int) -> str:
    assert 0 <= ms < SPAN_MS, ms
    return (BASE + timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def new_uuid() -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def jitter(lo: int, hi: int) -> int:
    return rng.randint(lo, hi)


def lognorm_int(median: float, sigma: float, lo: int, hi: int) -> int:
    """Right-skewed sizes, like real prompt and completion lengths."""
    v = int(rng.lognormvariate(0.0, sigma) * median)
    return max(lo, min(hi, v))


# --------------------------------------------------------------------------------------------
# Format 1: tokentop's own schema
# --------------------------------------------------------------------------------------------


def poisson_times(rate_per_s: float, start_ms: int = 0, end_ms: int = SPAN_MS) -> list[int]:
    out = []
    t = start_ms + rng.expovariate(rate_per_s) * 1000.0
    while t < end_ms:
        out.append(int(t))
        t += rng.expovariate(rate_per_s) * 1000.0
    return out


def oa_call_id() -> str:
    return "call_" + rand_str(ALNUM, 24)


def oa_req_id() -> str:
    return "req_" + rand_str(HEX, 24)


def an_tool_id() -> str:
    return "toolu_01" + rand_str(B58, 22)


def an_req_id() -> str:
    return "req_011C" + rand_str(B58, 20)


def openai_cached(prompt: int) -> int:
    """OpenAI caches prompts of 1024+ tokens in 128-token steps; often a hit, sometimes not."""
    if prompt < 1024 or rng.random() < 0.35:
        return 0
    return 1024 + 128 * rng.randint(0, max(0, (prompt - 1024) // 128))


def tok(inp=0, cr=0, cw5=0, cw1=0, out=0, reas=0) -> dict:
    assert reas <= out
    return {"input": inp, "cache_read": cr, "cache_write_5m": cw5, "cache_write_1h": cw1,
            "output": out, "reasoning": reas}


def record(ms, ident, kind_of_identity, provider, model, kind, tokens, *, key=None, project=None,
           agent=None, session=None, user=None, tools=None, latency=None, req=None) -> dict:
    r = {"tokentop": 1, "ts": ts(ms), "identity": ident, "identity_kind": kind_of_identity}
    if key:
        r["api_key_id"] = key
    if user:
        r["user"] = user
    if project:
        r["project"] = project
    if session:
        r["session"] = session
    if agent:
        r["agent"] = agent
    r.update({"provider": provider, "model": model, "kind": kind, "tokens": tokens})
    if tools:
        r["tools"] = tools
    r["request_id"] = req or (an_req_id() if provider == "anthropic" else oa_req_id())
    if latency is not None:
        r["latency_ms"] = max(30, latency)
    r["final"] = True
    return r


def gen_tokentop() -> tuple[list[dict], Counter, Counter]:
    recs: list[dict] = []
    per_ident: Counter = Counter()
    detail: Counter = Counter()
    key_ids = {name: "key_" + rand_str(HEX, 12) for name in
               ["svc-checkout", "svc-search-rag", "svc-support-bot", "batch-nightly-summarizer",
                "agent-triage", "agent-loop-runner", "svc-labs-experimental"]}

    # 1. svc-checkout: gpt-4o-mini, ~1 req/s, order tools sometimes.
    for ms in poisson_times(1.0):
        prompt = lognorm_int(1400, 0.35, 400, 4000)
        cr = openai_cached(prompt)
        tools = []
        u = rng.random()
        if u < 0.25:
            tools.append({"name": "lookup_order", "id": oa_call_id()})
        elif u < 0.31:
            tools.append({"name": "lookup_order", "id": oa_call_id()})
            tools.append({"name": "issue_refund", "id": oa_call_id()})
        out = lognorm_int(180, 0.5, 20, 900) if not tools else jitter(18, 60) * len(tools)
        recs.append(record(ms, "svc-checkout", "service-account", "openai", "gpt-4o-mini",
                           "completion", tok(prompt - cr, cr, out=out),
                           key=key_ids["svc-checkout"], project="checkout", tools=tools,
                           latency=int(250 + out * 9 + rng.gauss(0, 80)) if out else 300))
        per_ident["svc-checkout"] += 1

    # 2. svc-search-rag: embeddings (~70%) and gpt-4o retrieval answers (~30%), ~1.5 req/s.
    for ms in poisson_times(1.5):
        if rng.random() < 0.7:
            recs.append(record(ms, "svc-search-rag", "service-account", "openai",
                               "text-embedding-3-small", "embedding",
                               tok(lognorm_int(220, 0.7, 8, 2048)),
                               key=key_ids["svc-search-rag"], project="search",
                               latency=jitter(35, 180)))
            detail["svc-search-rag/embedding"] += 1
        else:
            prompt = lognorm_int(3800, 0.3, 1500, 9000)
            cr = openai_cached(prompt) if rng.random() < 0.5 else 0
            out = lognorm_int(260, 0.45, 60, 900)
            recs.append(record(ms, "svc-search-rag", "service-account", "openai", "gpt-4o",
                               "retrieval", tok(prompt - cr, cr, out=out),
                               key=key_ids["svc-search-rag"], project="search",
                               latency=int(400 + out * 14 + rng.gauss(0, 150))))
            detail["svc-search-rag/retrieval"] += 1
        per_ident["svc-search-rag"] += 1

    # 3. svc-support-bot: sonnet 4.5, cache-read heavy, 5m cache writes, ~0.5 req/s.
    for ms in poisson_times(0.5):
        if rng.random() < 0.08:  # cache expired: write the whole system prompt again
            cr, cw = 0, jitter(11000, 14000)
        else:
            cr, cw = jitter(14000, 26000), jitter(0, 1800)
        tools = []
        u = rng.random()
        if u < 0.4:
            tools.append({"name": "search_kb", "id": an_tool_id()})
        elif u < 0.5:
            tools.append({"name": "create_ticket", "id": an_tool_id()})
        out = lognorm_int(320, 0.45, 60, 1500)
        recs.append(record(ms, "svc-support-bot", "service-account", "anthropic",
                           "claude-sonnet-4-5-20250929", "completion",
                           tok(jitter(20, 400), cr, cw, out=out),
                           key=key_ids["svc-support-bot"], project="support", tools=tools,
                           latency=int(900 + out * 18 + rng.gauss(0, 200))))
        per_ident["svc-support-bot"] += 1

    # 4. batch-nightly-summarizer: haiku 4.5, 20-60k inputs, ~0.2 req/s.
    for ms in poisson_times(0.2):
        out = lognorm_int(900, 0.4, 300, 2500)
        recs.append(record(ms, "batch-nightly-summarizer", "service-account", "anthropic",
                           "claude-haiku-4-5-20251001", "completion",
                           tok(jitter(20000, 60000), out=out),
                           key=key_ids["batch-nightly-summarizer"], project="reporting",
                           latency=int(2500 + out * 6 + rng.gauss(0, 400))))
        per_ident["batch-nightly-summarizer"] += 1

    # 5. key_prod_web: gpt-4.1, ~0.7 req/s.
    for ms in poisson_times(0.7):
        prompt = lognorm_int(2200, 0.45, 600, 9000)
        cr = openai_cached(prompt)
        out = lognorm_int(450, 0.5, 80, 2000)
        recs.append(record(ms, "key_prod_web", "api-key", "openai", "gpt-4.1", "completion",
                           tok(prompt - cr, cr, out=out), key="key_prod_web", project="web",
                           latency=int(500 + out * 12 + rng.gauss(0, 150))))
        per_ident["key_prod_web"] += 1

    # 6. key_mobile_ios: gpt-4o-mini, short, ~0.8 req/s.
    for ms in poisson_times(0.8):
        out = lognorm_int(70, 0.5, 8, 300)
        recs.append(record(ms, "key_mobile_ios", "api-key", "openai", "gpt-4o-mini",
                           "completion", tok(lognorm_int(260, 0.5, 40, 900), out=out),
                           key="key_mobile_ios", project="mobile",
                           latency=int(200 + out * 8 + rng.gauss(0, 40))))
        per_ident["key_mobile_ios"] += 1

    # 7. key_partner_acme: o3, reasoning ~60% of output, ~0.2 req/s.
    for ms in poisson_times(0.2):
        prompt = lognorm_int(2600, 0.45, 800, 9000)
        cr = openai_cached(prompt)
        out = lognorm_int(2200, 0.55, 400, 9000)
        reas = min(out, int(out * rng.uniform(0.52, 0.68)))
        recs.append(record(ms, "key_partner_acme", "api-key", "openai", "o3", "completion",
                           tok(prompt - cr, cr, out=out, reas=reas), key="key_partner_acme",
                           project="partner-acme", latency=int(3000 + out * 7 + rng.gauss(0, 500))))
        per_ident["key_partner_acme"] += 1

    # 8. agent-triage: sonnet 4.5 with MCP tools, ~0.3 req/s; context grows, cache refreshed.
    mcp = ["mcp__github__search_issues", "mcp__github__create_issue", "mcp__jira__get_ticket"]
    ctx = 12000
    for ms in poisson_times(0.3):
        cw = jitter(400, 3000)
        tools = []
        if rng.random() < 0.75:
            for _ in range(1 if rng.random() < 0.7 else 2):
                tools.append({"name": rng.choices(mcp, weights=[5, 2, 3])[0], "id": an_tool_id()})
        out = lognorm_int(260, 0.5, 40, 1400)
        recs.append(record(ms, "agent-triage", "agent", "anthropic", "claude-sonnet-4-5-20250929",
                           "completion", tok(jitter(3, 400), ctx, cw, out=out),
                           key=key_ids["agent-triage"], project="triage", agent="agent-triage",
                           tools=tools, latency=int(1100 + out * 16 + rng.gauss(0, 250))))
        ctx += cw
        if ctx > 60000:  # a new triage task starts from the system prompt again
            ctx = jitter(10000, 14000)
        per_ident["agent-triage"] += 1

    # 9. agent-loop-runner: gpt-4.1-mini, quiet ~0.1 req/s, runaway bursts of ~3 req/s with
    #    run_shell on every request during [120, 160) s and [420, 460) s.
    segments = [(0, 120_000, 0.1, False), (120_000, 160_000, 3.0, True),
                (160_000, 420_000, 0.1, False), (420_000, 460_000, 3.0, True),
                (460_000, SPAN_MS, 0.1, False)]
    for start, end, rate, burst in segments:
        ctx = 2500
        for ms in poisson_times(rate, start, end):
            if burst:
                prompt = ctx + jitter(150, 600)
                ctx = prompt + jitter(60, 200)  # every retry re-sends the growing transcript
                out = jitter(40, 140)
                tools = [{"name": "run_shell", "id": oa_call_id()}]
                detail["agent-loop-runner/burst"] += 1
            else:
                prompt = lognorm_int(2200, 0.4, 800, 6000)
                out = lognorm_int(180, 0.5, 30, 800)
                tools = [{"name": "run_shell", "id": oa_call_id()}] if rng.random() < 0.3 else []
            cr = openai_cached(prompt) if not burst else (prompt // 128 - 4) * 128
            recs.append(record(ms, "agent-loop-runner", "agent", "openai", "gpt-4.1-mini",
                               "completion", tok(prompt - cr, cr, out=out),
                               key=key_ids["agent-loop-runner"], project="ops-automation",
                               agent="agent-loop-runner", tools=tools,
                               latency=int(300 + out * 7 + rng.gauss(0, 60))))
            per_ident["agent-loop-runner"] += 1

    # 10. svc-labs-experimental: an in-house model with no price, ~0.1 req/s.
    for ms in poisson_times(0.1):
        out = lognorm_int(300, 0.5, 60, 1200)
        recs.append(record(ms, "svc-labs-experimental", "service-account", "acme",
                           "acme-internal-llm-v2", "completion",
                           tok(lognorm_int(900, 0.5, 150, 3000), out=out),
                           key=key_ids["svc-labs-experimental"], project="labs",
                           req="req_" + rand_str(HEX, 20), latency=int(700 + out * 20)))
        per_ident["svc-labs-experimental"] += 1

    recs.sort(key=lambda r: r["ts"])  # stable: equal times keep generation order
    return recs, per_ident, detail


# --------------------------------------------------------------------------------------------
# Format 2: Claude Code 2.0 session logs
# --------------------------------------------------------------------------------------------

SLUG_A = ["brisk", "quiet", "amber", "lucid", "mellow", "nimble", "cobalt", "sunny"]
SLUG_B = ["harbor", "meadow", "falcon", "lantern", "orchard", "comet", "willow", "glacier"]
SLUG_C = ["otter", "heron", "badger", "lynx", "puffin", "marten", "ibis", "vole"]


class Session:
    """One Claude Code session file: a chain of user/assistant lines with parentUuid links."""

    def __init__(self, project_dir: str, cwd: str, branch: str, model: str, cache_ttl: str):
        self.project_dir = project_dir
        self.cwd = cwd
        self.branch = branch
        self.model = model
        self.cache_ttl = cache_ttl  # "5m" or "1h": which ephemeral class cache writes go to
        self.session_id = new_uuid()
        self.slug = f"{rng.choice(SLUG_A)}-{rng.choice(SLUG_B)}-{rng.choice(SLUG_C)}"
        self.lines: list[tuple[int, dict]] = []
        self.parent: str | None = None
        self.ctx = 0  # cached prefix length (cache_read of the next request)
        self.responses = 0
        self.sidechain_responses = 0
        self.tool_counts: Counter = Counter()

    def common(self, sidechain: bool, parent: str | None) -> dict:
        d = {"parentUuid": parent, "isSidechain": sidechain, "userType": "external",
             "cwd": self.cwd, "sessionId": self.session_id, "version": "2.0.76",
             "gitBranch": self.branch}
        if sidechain:
            d["agentId"] = SUBAGENT_ID
        d["slug"] = self.slug
        return d

    def add(self, ms: int, line: dict) -> None:
        self.lines.append((ms, line))

    # ---- non-usage lines ----
    def snapshot(self, ms: int, message_id: str) -> None:
        self.add(ms, {"type": "file-history-snapshot", "messageId": message_id,
                      "snapshot": {"messageId": message_id, "trackedFileBackups": {},
                                   "timestamp": ts(ms)},
                      "isSnapshotUpdate": False, "timestamp": ts(ms)})

    def summary(self, ms: int, text: str, leaf: str) -> None:
        # Real summary lines have no time; the demo replayer needs one on every line.
        self.add(ms, {"type": "summary", "summary": text, "leafUuid": leaf, "timestamp": ts(ms)})

    def compact_boundary(self, ms: int, pre_tokens: int) -> None:
        u = new_uuid()
        line = self.common(False, None)
        line.update({"type": "system", "subtype": "compact_boundary",
                     "content": "Conversation compacted", "isMeta": False, "timestamp": ts(ms),
                     "uuid": u, "level": "info",
                     "compactMetadata": {"trigger": "auto", "preTokens": pre_tokens},
                     "logicalParentUuid": self.parent})
        self.add(ms, line)
        self.parent = u

    def user_prompt(self, ms: int, text: str, sidechain: bool = False,
                    parent: str | None = None) -> str:
        u = new_uuid()
        if not sidechain:
            self.snapshot(ms, u)
        line = self.common(sidechain, parent if sidechain else self.parent)
        line.update({"type": "user", "message": {"role": "user", "content": text},
                     "uuid": u, "timestamp": ts(ms)})
        self.add(ms, line)
        return u

    def tool_result(self, ms: int, parent: str, tool_id: str, content: str, result,
                    sidechain: bool = False) -> str:
        u = new_uuid()
        line = self.common(sidechain, parent)
        line.update({"type": "user",
                     "message": {"role": "user", "content": [
                         {"tool_use_id": tool_id, "type": "tool_result", "content": content}]},
                     "uuid": u, "timestamp": ts(ms), "toolUseResult": result})
        self.add(ms, line)
        return u

    # ---- one API response, written as one line per content block ----
    def response(self, ms: int, parent: str, blocks: list[dict], stop: str, usage_in: tuple,
                 output: int, sidechain: bool = False) -> tuple[int, str]:
        msg_id = "msg_01" + rand_str(B58, 22)
        req_id = an_req_id()
        inp, cr, cw = usage_in
        cw5, cw1 = (cw, 0) if self.cache_ttl == "5m" else (0, cw)
        for i, block in enumerate(blocks):
            last = i == len(blocks) - 1
            u = new_uuid()
            line = self.common(sidechain, parent)
            line["message"] = {
                "model": self.model, "id": msg_id, "type": "message", "role": "assistant",
                "content": [block], "stop_reason": stop if last else None, "stop_sequence": None,
                "usage": {"input_tokens": inp, "cache_creation_input_tokens": cw,
                          "cache_read_input_tokens": cr,
                          "cache_creation": {"ephemeral_5m_input_tokens": cw5,
                                             "ephemeral_1h_input_tokens": cw1},
                          "output_tokens": output if last else jitter(1, 12),
                          "service_tier": "standard"}}
            line.update({"requestId": req_id, "type": "assistant", "uuid": u,
                         "timestamp": ts(ms)})
            self.add(ms, line)
            parent = u
            if block["type"] == "tool_use":
                self.tool_counts[block["name"]] += 1
            if not last:
                ms += jitter(100, 900)
        if sidechain:
            self.sidechain_responses += 1
        else:
            self.responses += 1
        return ms, parent


SUBAGENT_ID = "a1b2c3"

THOUGHTS = {
    "payments": [
        "The failing assertion points at the rounding in the fee calculation; check it first.",
        "I should look at how the retry wrapper is configured before touching the client.",
        "Two call sites build the idempotency key differently; that explains the double charge.",
        "Before editing, confirm which module owns the webhook signature check.",
    ],
    "infra": [
        "The plan output shows a replacement, probably because the tag map changed order.",
        "The state lock error means another run holds it; do not force-unlock blindly.",
        "Pinning the provider needs a constraint in versions.tf, then a fresh init.",
    ],
}
TEXTS = [
    "Let me look at the relevant files first.",
    "I'll check the test output to see what is failing.",
    "Found it: the currency amount is rounded before the fee is applied.",
    "I'll update the handler and rerun the tests.",
    "The change is in place; running the suite again.",
    "Let me search for other callers of this function.",
    "Now I'll verify the plan has no unexpected replacements.",
]
END_TEXTS = [
    "All tests pass now. The fix rounds only after the fee is added.",
    "Done: the module now pins the provider version and the plan is clean.",
    "I updated the handler and added a regression test for the duplicate webhook.",
    "The refactor is complete; no behaviour changed and the suite is green.",
]
PROMPTS = {
    "payments": [
        "The refund test is failing on main, can you take a look?",
        "Add idempotency keys to the charge endpoint.",
        "Why does the webhook handler sometimes process an event twice?",
        "Refactor the fee calculation into its own module and keep the tests green.",
        "Write a regression test for the currency rounding bug.",
    ],
    "infra": [
        "Pin the AWS provider version and make sure the plan is clean.",
        "Why does terraform want to replace the NAT gateway?",
        "Add a lifecycle rule to the logs bucket that expires objects after 30 days.",
    ],
}
FILES = {
    "payments": ["src/payments/charge.py", "src/payments/refund.py", "src/payments/fees.py",
                 "src/webhooks/handler.py", "tests/test_refund.py", "tests/test_fees.py"],
    "infra": ["main.tf", "modules/network/nat.tf", "modules/storage/logs_bucket.tf",
              "versions.tf", "variables.tf"],
}
COMMANDS = {
    "payments": ["pytest -q tests/test_refund.py", "pytest -q", "git diff --stat",
                 "ruff check src", "git log --oneline -5"],
    "infra": ["terraform plan -no-color", "terraform validate", "terraform fmt -check",
              "git diff --stat"],
}


def tool_call(kind: str, name: str) -> tuple[dict, str, object]:
    """A tool_use block plus the short result text and toolUseResult it gets back."""
    tid = an_tool_id()
    f = rng.choice(FILES[kind])
    if name == "Bash":
        cmd = rng.choice(COMMANDS[kind])
        inp = {"command": cmd, "description": "Run " + cmd.split()[0]}
        out = rng.choice(["12 passed in 1.84s", "1 failed, 11 passed in 2.10s",
                          "No changes. Your infrastructure matches the configuration.",
                          "Plan: 0 to add, 1 to change, 0 to destroy.", "All checks passed!"])
        res = {"stdout": out, "stderr": "", "interrupted": False, "isImage": False}
    elif name == "Read":
        inp = {"file_path": f"{CWDS[kind]}/{f}"}
        out = "     1\u2192# (file contents elided in demo data)"
        res = {"type": "text", "file": {"filePath": inp["file_path"], "numLines": jitter(20, 300)}}
    elif name == "Edit":
        inp = {"file_path": f"{CWDS[kind]}/{f}", "old_string": "round(amount)",
               "new_string": "round(amount + fee)"}
        out = f"The file {inp['file_path']} has been updated."
        res = {"filePath": inp["file_path"], "oldString": inp["old_string"],
               "newString": inp["new_string"], "userModified": False}
    elif name == "Grep":
        inp = {"pattern": rng.choice(["idempotency_key", "def refund", "aws_nat_gateway",
                                      "round\\("]), "path": CWDS[kind]}
        out = f"Found {jitter(1, 6)} files"
        res = {"mode": "files_with_matches", "numFiles": jitter(1, 6)}
    elif name == "Glob":
        inp = {"pattern": "**/*.py" if kind == "payments" else "**/*.tf"}
        out = f
        res = {"filenames": [f"{CWDS[kind]}/{f}"], "numFiles": 1, "truncated": False}
    elif name == "mcp__github__get_file":
        inp = {"owner": "example-org", "repo": "payments-api" if kind == "payments"
               else "infra-terraform", "path": f}
        out = "(file contents elided in demo data)"
        res = [{"type": "text", "text": out}]
    else:
        raise ValueError(name)
    return {"type": "tool_use", "id": tid, "name": name, "input": inp}, out, res


CWDS = {"payments": "/home/dev/payments-api", "infra": "/home/dev/infra-terraform"}
TOOLS = ["Bash", "Read", "Edit", "Grep", "Glob", "mcp__github__get_file"]
TOOL_WEIGHTS = [30, 28, 14, 12, 8, 8]


def thinking_block(kind: str) -> dict:
    return {"type": "thinking", "thinking": rng.choice(THOUGHTS[kind]),
            "signature": "Eo" + rand_str(ALNUM + "+/", 30) + "=="}


def next_usage(s: Session, added: int) -> tuple[int, int, int]:
    """input/cache_read/cache_write of the next request: the previous prompt is now cached."""
    cr = s.ctx
    cw = added
    s.ctx = cr + cw
    return jitter(1, 12), cr, cw


def run_session(s: Session, kind: str, start_ms: int, end_ms: int, think_s: tuple,
                first_block_ms: tuple, subagent_at_ms: int | None = None) -> None:
    """Drive one session from start_ms until end_ms: prompts, tool loops, and an optional
    sub-agent stretch (a Task call) started by the first tool turn after subagent_at_ms."""
    ms = start_ms
    s.ctx = 0
    pending_added = jitter(14000, 19000)  # system prompt + tools on the first request
    sub_done = subagent_at_ms is None
    while True:
        if ms > end_ms - 25_000:
            return
        prompt_uuid = s.user_prompt(ms, rng.choice(PROMPTS[kind]))
        parent = prompt_uuid
        pending_added += jitter(20, 120)
        turns = jitter(4, 14)
        for turn in range(turns):
            ms += jitter(*first_block_ms)  # time to the first streamed block
            if ms > end_ms - 8_000:
                return
            if s.ctx + pending_added > 150_000:  # auto-compact, then a fresh cached prefix
                s.compact_boundary(ms, s.ctx)
                parent = s.parent
                s.ctx = 0
                pending_added = jitter(16000, 22000)
                ms += jitter(8000, 15000)
            usage = next_usage(s, pending_added)
            final_turn = turn == turns - 1
            blocks: list[dict] = []
            if rng.random() < 0.2:
                blocks.append(thinking_block(kind))
            if final_turn:
                blocks.append({"type": "text", "text": rng.choice(END_TEXTS)})
                output = lognorm_int(260, 0.5, 40, 1500)
                ms, parent = s.response(ms, parent, blocks, "end_turn", usage, output)
                s.parent = parent
                pending_added = output + jitter(10, 60)
                break
            if rng.random() < 0.4:
                blocks.append({"type": "text", "text": rng.choice(TEXTS)})
            use_task = not sub_done and ms >= subagent_at_ms
            calls = []
            if use_task:
                sub_done = True
                tid = an_tool_id()
                calls.append(({"type": "tool_use", "id": tid, "name": "Task", "input": {
                    "description": "Trace refund flow",
                    "prompt": "Find every code path that issues a refund and report how the "
                              "idempotency key is built in each.",
                    "subagent_type": "Explore"}}, None, None))
            else:
                n = 1 if rng.random() < 0.75 else jitter(2, 3)
                for _ in range(n):
                    calls.append(tool_call(kind, rng.choices(TOOLS, weights=TOOL_WEIGHTS)[0]))
            blocks.extend(c[0] for c in calls)
            output = lognorm_int(120, 0.6, 20, 1200) + 40 * len(calls)
            ms, parent = s.response(ms, parent, blocks, "tool_use", usage, output)
            pending_added = output
            for block, out, res in calls:
                if block["name"] == "Task":
                    ms, text, res = run_subagent(s, kind, ms, block["input"]["prompt"])
                    out = [{"type": "text", "text": text}]
                else:
                    ms += jitter(50, 1800)
                pending_added += jitter(80, 2400)
                parent = s.tool_result(ms, parent, block["id"], out, res)
                ms += jitter(5, 40)
            s.parent = parent
        ms += int(rng.uniform(*think_s) * 1000)  # the human reads and types the next prompt


def run_subagent(s: Session, kind: str, ms: int, prompt: str) -> tuple[int, str, dict]:
    """A sub-agent stretch: its own chain (isSidechain, agentId), its own cached prefix."""
    t0 = ms
    ms += jitter(150, 400)
    parent = s.user_prompt(ms, prompt, sidechain=True)
    ctx, added = 0, jitter(9000, 13000)
    totals = Counter()
    steps = jitter(9, 13)
    tools_used = 0
    for step in range(steps):
        ms += jitter(1200, 3200)
        cr, cw = ctx, added
        ctx += added
        usage = (jitter(3, 10), cr, cw)
        blocks = []
        last = step == steps - 1
        if last:
            blocks.append({"type": "text", "text": "Refunds are issued in two places; only one "
                                                   "derives the idempotency key from the charge id."})
            output = jitter(300, 700)
            ms, parent = s.response(ms, parent, blocks, "end_turn", usage, output, sidechain=True)
        else:
            if rng.random() < 0.4:
                blocks.append({"type": "text", "text": rng.choice(TEXTS)})
            calls = [tool_call(kind, rng.choice(["Grep", "Read", "Read", "Glob"]))
                     for _ in range(1 if rng.random() < 0.7 else 2)]
            blocks.extend(c[0] for c in calls)
            output = jitter(60, 260)
            ms, parent = s.response(ms, parent, blocks, "tool_use", usage, output, sidechain=True)
            added = output
            for block, out, res in calls:
                ms += jitter(40, 600)
                parent = s.tool_result(ms, parent, block["id"], out, res, sidechain=True)
                added += jitter(200, 2500)
                tools_used += 1
        totals["input_tokens"] += usage[0]
        totals["cache_read_input_tokens"] += cr
        totals["cache_creation_input_tokens"] += cw
        totals["output_tokens"] += output
    text = blocks[-1]["text"]
    ms += jitter(50, 300)
    res = {"status": "completed", "prompt": prompt, "agentId": SUBAGENT_ID,
           "content": [{"type": "text", "text": text}], "totalDurationMs": ms - t0,
           "totalTokens": sum(totals.values()), "totalToolUseCount": tools_used}
    return ms, text, res


def gen_claude() -> list[Session]:
    pay = "-home-dev-payments-api"
    infra = "-home-dev-infra-terraform"
    s1 = Session(pay, CWDS["payments"], "fix/refund-rounding", "claude-sonnet-4-5-20250929", "5m")
    run_session(s1, "payments", jitter(800, 3000), 330_000, (3, 10), (800, 2600),
                subagent_at_ms=180_000)
    s2 = Session(pay, CWDS["payments"], "feat/idempotency-keys", "claude-sonnet-4-5-20250929",
                 "5m")
    start2 = max(ms for ms, _ in s1.lines) + jitter(8000, 15000)
    s2.summary(start2, "Fix refund rounding and trace refund idempotency",
               s1.lines[-1][1].get("uuid", s1.session_id))
    run_session(s2, "payments", start2 + jitter(200, 900), SPAN_MS, (3, 10), (800, 2600))
    s3 = Session(infra, CWDS["infra"], "main", "claude-opus-4-5-20251101", "1h")
    run_session(s3, "infra", jitter(5000, 12000), SPAN_MS, (25, 60), (2500, 5500))
    return [s1, s2, s3]


# --------------------------------------------------------------------------------------------


def write_jsonl(path: str, rows: list[str]) -> int:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = "".join(r + "\n" for r in rows).encode("utf-8")
    with open(path, "wb") as fh:
        fh.write(data)
    return len(data)


def main() -> int:
    out_dir = os.path.normpath(OUT_DIR)
    recs, per_ident, detail = gen_tokentop()
    sessions = gen_claude()

    files: list[tuple[str, int, int]] = []
    rel = "tokentop.jsonl"
    files.append((rel, len(recs), write_jsonl(os.path.join(out_dir, rel),
                                              [dumps(r) for r in recs])))
    # Remove stale session files from earlier runs with other seeds or layouts.
    claude_root = os.path.join(out_dir, "claude")
    for root, _dirs, names in os.walk(claude_root):
        for n in names:
            if n.endswith(".jsonl"):
                os.remove(os.path.join(root, n))
    for s in sessions:
        s.lines.sort(key=lambda x: x[0])  # stable; chains are generated in time order already
        main_rows = [(ms, l) for ms, l in s.lines
                     if not (SUBAGENT_SEPARATE_FILE and l.get("isSidechain"))]
        rel = f"claude/projects/{s.project_dir}/{s.session_id}.jsonl"
        files.append((rel, len(main_rows), write_jsonl(os.path.join(out_dir, rel),
                                                       [dumps(l) for _, l in main_rows])))
        if SUBAGENT_SEPARATE_FILE:
            side = [(ms, l) for ms, l in s.lines if l.get("isSidechain")]
            if side:
                rel = (f"claude/projects/{s.project_dir}/{s.session_id}/subagents/"
                       f"agent-{SUBAGENT_ID}.jsonl")
                files.append((rel, len(side), write_jsonl(os.path.join(out_dir, rel),
                                                          [dumps(l) for _, l in side])))

    validate(out_dir, files)

    total = sum(b for _, _, b in files)
    print("  lines     bytes  file")
    for rel, n, b in files:
        print(f"  {n:5d} {b:9,d}  {rel}")
    print(f"  total {total:,} bytes")
    print()
    print("  responses  identity")
    notes = {
        "svc-search-rag": f"  ({detail['svc-search-rag/embedding']} embedding, "
                          f"{detail['svc-search-rag/retrieval']} retrieval)",
        "agent-loop-runner": f"  ({detail['agent-loop-runner/burst']} in the two bursts)",
        "svc-labs-experimental": "  (unpriced model)",
    }
    for ident, n in per_ident.items():
        print(f"  {n:9d}  {ident}{notes.get(ident, '')}")
    for s in sessions:
        side = f", {s.sidechain_responses} sub-agent {SUBAGENT_ID}" if s.sidechain_responses else ""
        print(f"  {s.responses + s.sidechain_responses:9d}  claude-code {s.project_dir} "
              f"session {s.session_id[:8]} ({s.model}{side})")
    return 0


def validate(out_dir: str, files: list[tuple[str, int, int]]) -> None:
    """The replayer's contract: a time on every line, inside the span, sorted per file."""
    for rel, _, _ in files:
        prev = ""
        with open(os.path.join(out_dir, rel), encoding="utf-8") as fh:
            for i, raw in enumerate(fh, 1):
                obj = json.loads(raw)
                t = obj.get("ts") or obj.get("timestamp")
                assert isinstance(t, str) and len(t) == 24 and t.endswith("Z"), (rel, i, t)
                assert "2026-01-01T00:00:00.000Z" <= t < "2026-01-01T00:10:00.000Z", (rel, i, t)
                assert t >= prev, (rel, i, t, prev)
                prev = t
                tk = obj.get("tokens")
                if tk:
                    assert all(v >= 0 for v in tk.values()) and tk["reasoning"] <= tk["output"]


if __name__ == "__main__":
    sys.exit(main())
