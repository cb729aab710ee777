#!/usr/bin/env python3
"""Generate pricing/model-prices.tsv from LiteLLM's model price map.

Usage: python3 scripts/gen_prices.py [LITELLM_JSON [OUTPUT_TSV]]

LITELLM_JSON defaults to ../shared/data/litellm-model-prices.json relative to the repository root
(a copy of litellm 1.110.2's litellm/model_prices_and_context_window_backup.json); OUTPUT_TSV
defaults to pricing/model-prices.tsv. Standard library only; the output is deterministic (sorted
by key, floats written with repr() so they parse back to the same f64).

The rules here must stay in step with PriceTable::from_litellm_json in src/pricing/litellm.rs:
- skip `sample_spec` and every value that is not an object;
- resolve `alias_of` entries to their target's prices (following chains; a missing target or a
  loop is reported and the alias skipped);
- keep entries whose mode is chat, completion, responses or embedding, or that have no mode,
  and that have input_cost_per_token or output_cost_per_token;
- a price field is a number >= 0, or null/absent (no price); anything else is an error;
- `tiered_pricing` (prices by the size of the request's prompt) is kept, as the `tiers` column,
  when tokentop can apply it: a list of objects whose `range`s are [from, to] pairs of whole
  numbers that follow each other from 0, each with input_cost_per_token and
  output_cost_per_token (numbers >= 0), maybe cache_read_input_token_cost and
  cache_creation_input_token_cost, and no other cost field (an
  output_cost_per_reasoning_token equal to the output price is no other price). Otherwise
  it is left out. An entry with such tiers and no flat input or output price is kept, its
  flat prices those of its first tier.
"""

import json
import math
import os
import sys

MODES = {"chat", "completion", "responses", "embedding"}

# (TSV column, LiteLLM field)
PRICE_COLUMNS = [
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
    ("cache_write_1h", "cache_creation_input_token_cost_above_1hr"),
    ("input_above_200k", "input_cost_per_token_above_200k_tokens"),
    ("output_above_200k", "output_cost_per_token_above_200k_tokens"),
    ("cache_read_above_200k", "cache_read_input_token_cost_above_200k_tokens"),
    ("cache_write_above_200k", "cache_creation_input_token_cost_above_200k_tokens"),
    ("cache_write_1h_above_200k", "cache_creation_input_token_cost_above_1hr_above_200k_tokens"),
]

# (tier field, LiteLLM field) in a tier; the first two are required.
TIER_FIELDS = [
    ("input", "input_cost_per_token"),
    ("output", "output_cost_per_token"),
    ("cache_read", "cache_read_input_token_cost"),
    ("cache_write", "cache_creation_input_token_cost"),
]

HEADER = (
    "# tokentop model prices, USD per token. Derived from litellm 1.110.2"
    " model_prices_and_context_window_backup.json (MIT licence, Copyright (c) 2023 Berri AI:"
    " see pricing/NOTICE). Regenerate with: python3 scripts/gen_prices.py\n"
    "# Tab-separated; empty or missing trailing columns mean the map gives no price.\n"
    "# tiers: `from,input,output,cache_read,cache_write` per tier, `;` between tiers; a request\n"
    "# whose whole input is above a tier's `from` (and no later one's) pays that tier's prices.\n"
    "#" + "\t".join(["key", "litellm_provider"] + [c for c, _ in PRICE_COLUMNS] + ["tiers"]) + "\n"
)


def die(msg):
    sys.stderr.write("gen_prices: " + msg + "\n")
    sys.exit(1)


def price(key, entry, field):
    """The field's value as a float, or None when absent or null."""
    v = entry.get(field)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        die("entry %r: field %s is not a number: %r" % (key, field, v))
    v = float(v)
    if not math.isfinite(v) or v < 0:
        die("entry %r: field %s is not a finite price >= 0: %r" % (key, field, v))
    return v


def is_price(v):
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and v >= 0


def tiers(entry):
    """The entry's tiered prices as (from, input, output, cache_read, cache_write) tuples, or
    None when it has none tokentop can apply (rules in the module docs)."""
    tiered = entry.get("tiered_pricing")
    if not isinstance(tiered, list) or not tiered:
        return None
    known = {field for _, field in TIER_FIELDS}
    out = []
    for tier in tiered:
        if not isinstance(tier, dict):
            return None
        rng = tier.get("range")
        if not isinstance(rng, list) or len(rng) != 2 or not all(is_price(b) and float(b).is_integer() for b in rng):
            return None
        lo, hi = int(rng[0]), int(rng[1])
        if hi <= lo or lo != (out[-1][-1] if out else 0):
            return None
        for field, value in tier.items():
            if "cost" not in field or field in known:
                continue
            if field == "output_cost_per_reasoning_token" and value == tier.get("output_cost_per_token"):
                continue
            return None
        prices = [tier.get(field) for _, field in TIER_FIELDS]
        if prices[0] is None or prices[1] is None or not all(p is None or is_price(p) for p in prices):
            return None
        out.append([lo] + [None if p is None else float(p) for p in prices] + [hi])
    return [tuple(t[:-1]) for t in out]


def tiers_column(found):
    """The `tiers` TSV column of tiers()."""
    if not found:
        return ""
    return ";".join(
        ",".join([str(t[0])] + ["" if p is None else repr(p) for p in t[1:]]) for t in found
    )


def resolve(data, key):
    """Follow alias_of from key; the target entry, or None (with a warning) if it cannot be."""
    seen = [key]
    entry = data[key]
    while isinstance(entry, dict) and "alias_of" in entry:
        target = entry["alias_of"]
        if not isinstance(target, str) or target not in data:
            sys.stderr.write("gen_prices: warning: alias %r points at missing %r, skipped\n" % (key, target))
            return None
        if target in seen:
            sys.stderr.write("gen_prices: warning: alias loop %s, skipped\n" % " -> ".join(seen + [target]))
            return None
        seen.append(target)
        entry = data[target]
    return entry if isinstance(entry, dict) else None


def rows(data):
    out = []
    for key in sorted(data):
        if key == "sample_spec" or not isinstance(data[key], dict):
            continue
        entry = resolve(data, key)
        if entry is None:
            continue
        mode = entry.get("mode")
        if mode is not None and mode not in MODES:
            continue
        tiered = tiers(entry)
        flat = entry.get("input_cost_per_token") is not None or entry.get("output_cost_per_token") is not None
        if not flat and tiered is None:
            continue
        if any(c in key for c in "\t\r\n") or key != key.strip() or key.startswith("#") or not key:
            die("entry %r: key cannot be written to a TSV line" % key)
        provider = entry.get("litellm_provider") or ""
        if not isinstance(provider, str) or any(c in provider for c in "\t\r\n"):
            die("entry %r: bad litellm_provider %r" % (key, provider))
        fields = [key, provider]
        for _, field in PRICE_COLUMNS:
            v = price(key, entry, field)
            fields.append("" if v is None else repr(v))
        if not flat:
            first = tiered[0]
            for i, v in enumerate(first[1:]):
                fields[2 + i] = "" if v is None else repr(v)
        fields.append(tiers_column(tiered))
        while fields[-1] == "":
            fields.pop()
        out.append("\t".join(fields) + "\n")
    return out


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    src = argv[1] if len(argv) > 1 else os.path.join(root, "..", "shared", "data", "litellm-model-prices.json")
    dst = argv[2] if len(argv) > 2 else os.path.join(root, "pricing", "model-prices.tsv")
    with open(src, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        die("%s: top level is not a JSON object" % src)
    lines = rows(data)
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    with open(dst, "w", encoding="utf-8", newline="\n") as f:
        f.write(HEADER)
        f.writelines(lines)
    sys.stderr.write("gen_prices: wrote %d entries to %s\n" % (len(lines), dst))


if __name__ == "__main__":
    main(sys.argv)
