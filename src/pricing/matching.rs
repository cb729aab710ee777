//! How a model id, written as people write it, is matched to an entry of the table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::PriceTable;
use super::table::ModelPrice;

/// Providers whose entries win when several keys normalize to the same id.
const FIRST_PARTY: &[&str] = &["anthropic", "openai"];

/// Bedrock cross-region inference prefixes, stripped when a dotted vendor follows.
const REGION_PREFIXES: &[&str] = &[
    "us.", "eu.", "apac.", "global.", "au.", "jp.", "us-gov.", "ca.", "in.",
];

impl PriceTable {
    /// The price of `model`, matched as people write ids. In order:
    /// 1. the exact key (a hash lookup, no allocation);
    /// 2. the exact key equal to the part after the last `/` (`bedrock/us.anthropic.x-v1:0`
    ///    finds `us.anthropic.x-v1:0` with its regional price);
    /// 3. the normalized id, looked up among the table's keys normalized the same way:
    ///    lowercase; everything up to the last `/` dropped (`anthropic/`, `openrouter/anthropic/`,
    ///    `vertex_ai/`, ...); a Bedrock region prefix (`us.`, `eu.`, `apac.`, `global.`, `au.`,
    ///    `jp.`, `us-gov.`, `ca.`, `in.`, when a dotted vendor follows) and then `anthropic.`
    ///    dropped; a Bedrock version suffix `-vN:0`, or else `:0`, dropped; a Vertex date
    ///    `@20240620` turned into `-20240620`. When several keys normalize to the same id, the
    ///    first-party entry (provider `anthropic` or `openai`) wins, then the shortest key, then
    ///    the lexically smallest. So `claude-sonnet-4-20250514`, which has no first-party
    ///    entry, is priced as `anthropic.claude-sonnet-4-20250514-v1:0`;
    /// 4. the only approximation: when the normalized id ends in a date (`-YYYYMMDD` or
    ///    `-YYYY-MM-DD`) and nothing matched, the id without that date (a dated release priced
    ///    as its undated alias, e.g. `gpt-4o-2099-01-01` as `gpt-4o`).
    ///
    /// Nothing else is matched by prefix. Steps 3 and 4 allocate; callers on a hot path should
    /// memoize misses of step 1.
    pub fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        self.resolve(model).map(|(_, price)| price)
    }

    /// Like [`PriceTable::lookup`], also giving the table key the model was priced as.
    pub fn resolve(&self, model: &str) -> Option<(&str, &ModelPrice)> {
        if let Some((key, price)) = self.entries.get_key_value(model) {
            return Some((key, price));
        }
        if let Some((_, tail)) = model.rsplit_once('/') {
            if let Some((key, price)) = self.entries.get_key_value(tail) {
                return Some((key, price));
            }
        }
        let id = normalize(model);
        if id.is_empty() {
            return None;
        }
        self.by_normalized(&id)
            .or_else(|| strip_date_suffix(&id).and_then(|undated| self.by_normalized(undated)))
    }

    fn by_normalized(&self, id: &str) -> Option<(&str, &ModelPrice)> {
        let key = self.normalized.get(id)?;
        self.entries
            .get_key_value(&**key)
            .map(|(key, price)| (&**key, price))
    }
}

/// The normalized-id index: each normalized key maps to its best original key.
pub(super) fn build_index(entries: &HashMap<Box<str>, ModelPrice>) -> HashMap<Box<str>, Box<str>> {
    let rank = |key: &str| {
        let provider = entries.get(key).map_or("", |p| p.provider.as_str());
        (!FIRST_PARTY.contains(&provider), key.len())
    };
    let mut index: HashMap<Box<str>, Box<str>> = HashMap::with_capacity(entries.len());
    for key in entries.keys() {
        let id = normalize(key);
        if id.is_empty() {
            continue;
        }
        match index.entry(id.into()) {
            Entry::Vacant(slot) => {
                slot.insert(key.clone());
            }
            Entry::Occupied(mut slot) => {
                let current: &str = slot.get();
                if (rank(key), &**key) < (rank(current), current) {
                    slot.insert(key.clone());
                }
            }
        }
    }
    index
}

/// Normalizes a model id for matching (rules in [`PriceTable::lookup`], step 3).
fn normalize(model: &str) -> String {
    let lower = model.trim().to_ascii_lowercase();
    let mut id: &str = match lower.rsplit_once('/') {
        Some((_, tail)) => tail,
        None => &lower,
    };
    for prefix in REGION_PREFIXES {
        if let Some(rest) = id.strip_prefix(prefix) {
            if has_dotted_vendor(rest) {
                id = rest;
            }
            break;
        }
    }
    if let Some(rest) = id.strip_prefix("anthropic.") {
        id = rest;
    }
    id = strip_bedrock_version(id);
    if let Some((head, date)) = id.rsplit_once('@') {
        if is_yyyymmdd(date) {
            return format!("{head}-{date}");
        }
    }
    id.to_string()
}

/// `vendor.model...`: a non-empty run of `[a-z0-9_]` followed by a dot.
fn has_dotted_vendor(id: &str) -> bool {
    match id.split_once('.') {
        Some((vendor, rest)) => {
            !vendor.is_empty()
                && !rest.is_empty()
                && vendor
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        }
        None => false,
    }
}

/// Drops a Bedrock version suffix: `-vN:0`, or else `:0`.
fn strip_bedrock_version(id: &str) -> &str {
    let Some(head) = id.strip_suffix(":0") else {
        return id;
    };
    if let Some(pos) = head.rfind("-v") {
        let digits = &head[pos + 2..];
        if pos > 0 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return &head[..pos];
        }
    }
    head
}

/// `YYYYMMDD` with a plausible year (19xx or 20xx), month and day.
fn is_yyyymmdd(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 8 && b.iter().all(u8::is_ascii_digit) && plausible_date(&b[0..4], &b[4..6], &b[6..8])
}

fn plausible_date(year: &[u8], month: &[u8], day: &[u8]) -> bool {
    let num = |d: &[u8]| d.iter().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    (year.starts_with(b"19") || year.starts_with(b"20"))
        && (1..=12).contains(&num(month))
        && (1..=31).contains(&num(day))
}

/// The id without a trailing `-YYYYMMDD` or `-YYYY-MM-DD`, if it has one.
fn strip_date_suffix(id: &str) -> Option<&str> {
    let b = id.as_bytes();
    let n = b.len();
    // `-YYYYMMDD`: the byte before is an ASCII '-', so slicing there is on a char boundary.
    if n > 9 && b[n - 9] == b'-' && is_yyyymmdd(&id[n - 8..]) {
        return Some(&id[..n - 9]);
    }
    // `-YYYY-MM-DD`
    if n > 11 && b[n - 11] == b'-' && b[n - 6] == b'-' && b[n - 3] == b'-' {
        let (year, month, day) = (&b[n - 10..n - 6], &b[n - 5..n - 3], &b[n - 2..]);
        let digits = year.iter().chain(month).chain(day).all(u8::is_ascii_digit);
        if digits && plausible_date(year, month, day) {
            return Some(&id[..n - 11]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Tokens;

    const M: f64 = 1e-6; // USD per token for $1 per million

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn tokens(input: u64, cr: u64, cw5: u64, cw1: u64, output: u64) -> Tokens {
        Tokens {
            input,
            cache_read: cr,
            cache_write_5m: cw5,
            cache_write_1h: cw1,
            output,
            reasoning: 0,
        }
    }

    #[test]
    fn exact_hit() {
        let table = PriceTable::builtin();
        let (key, p) = table.resolve("claude-opus-4-5-20251101").expect("priced");
        assert_eq!(key, "claude-opus-4-5-20251101");
        assert_eq!(p.provider, "anthropic");
        assert!(close(p.input, 5.0 * M) && close(p.output, 25.0 * M));
        // Exactly the map's values (written with repr(), so they round-trip).
        assert_eq!(p.cache_read, Some(5e-7));
        assert_eq!(p.cache_write_5m, Some(6.25e-6));
        assert_eq!(p.cache_write_1h, Some(1e-5));
    }

    #[test]
    fn sonnet_4_resolves_to_the_bedrock_entry() {
        let table = PriceTable::builtin();
        let (key, p) = table.resolve("claude-sonnet-4-20250514").expect("priced");
        assert_eq!(key, "anthropic.claude-sonnet-4-20250514-v1:0");
        assert!(close(p.input, 3.0 * M) && close(p.output, 15.0 * M));
        let cost = table.cost(
            "claude-sonnet-4-20250514",
            &tokens(100_000, 0, 0, 0, 100_000),
        );
        assert!(close(cost.expect("priced"), 1.8));
    }

    #[test]
    fn ids_as_people_write_them() {
        let table = PriceTable::builtin();
        let sonnet4 = table.lookup("anthropic.claude-sonnet-4-20250514-v1:0");
        assert!(sonnet4.is_some());
        for id in [
            "anthropic/claude-sonnet-4-20250514",
            "openrouter/anthropic/claude-sonnet-4-20250514",
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0",
            "bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0",
            "Claude-Sonnet-4-20250514",
            "claude-sonnet-4@20250514",
        ] {
            assert_eq!(table.lookup(id), sonnet4, "{id}");
        }
        let (_, v) = table
            .resolve("claude-3-5-sonnet@20240620")
            .expect("vertex style");
        assert!(close(v.input, 3.0 * M) && close(v.output, 15.0 * M));
        let (key, _) = table
            .resolve("vertex_ai/claude-3-5-sonnet@20240620")
            .expect("exact vertex key");
        assert_eq!(key, "vertex_ai/claude-3-5-sonnet@20240620");
        // A regional Bedrock id behind a provider path keeps its regional price.
        let (key, p) = table
            .resolve("bedrock/us.anthropic.claude-opus-4-5-20251101-v1:0")
            .expect("priced");
        assert_eq!(key, "us.anthropic.claude-opus-4-5-20251101-v1:0");
        assert!(close(p.input, 5.5 * M));
        // A provider-prefixed first-party id.
        assert_eq!(
            table.resolve("openai/gpt-4o").map(|(k, _)| k),
            Some("gpt-4o")
        );
    }

    #[test]
    fn date_suffix_is_the_only_approximation() {
        let table = PriceTable::builtin();
        assert_eq!(
            table.resolve("gpt-4o-2099-01-01").map(|(k, _)| k),
            Some("gpt-4o")
        );
        assert_eq!(
            table.resolve("claude-opus-4-5-20991231").map(|(k, _)| k),
            Some("claude-opus-4-5")
        );
        // No prefix matching otherwise.
        assert!(table.lookup("claude-opus-4-5-turbo").is_none());
        assert!(table.lookup("gpt-4o-20991399").is_none()); // not a date
        assert!(table.lookup("claude-opus").is_none());
    }

    #[test]
    fn unknown_model_has_no_price_and_no_cost() {
        let table = PriceTable::builtin();
        assert!(table.lookup("no-such-model-xyz").is_none());
        assert!(table.lookup("").is_none());
        assert!(table.lookup("vendor/").is_none());
        assert_eq!(
            table.cost("no-such-model-xyz", &tokens(10, 0, 0, 0, 10)),
            None
        );
    }

    #[test]
    fn overlay_overrides_and_reindexes() {
        let mut table = PriceTable::builtin().clone();
        let before = table.len();
        let extra = PriceTable::from_tsv(
            "claude-opus-4-5-20251101\tmine\t1e-06\t2e-06\nmy-model-20250101\tmine\t4e-06\t8e-06\n",
        )
        .expect("parses");
        table.overlay(extra);
        assert_eq!(table.len(), before + 1);
        let p = table.lookup("claude-opus-4-5-20251101").expect("priced");
        assert_eq!((p.input, p.output, p.cache_read), (1e-6, 2e-6, None));
        assert_eq!(p.provider, "mine");
        // New keys are reachable through the normalized index too.
        assert!(table.lookup("proxy/My-Model-20250101").is_some());
    }

    #[test]
    fn normalization() {
        assert_eq!(
            normalize("bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"),
            "claude-sonnet-4-20250514"
        );
        assert_eq!(
            normalize("us-gov.anthropic.claude-opus-4-8"),
            "claude-opus-4-8"
        );
        assert_eq!(
            normalize("vertex_ai/claude-3-5-sonnet@20240620"),
            "claude-3-5-sonnet-20240620"
        );
        assert_eq!(normalize("anthropic.claude-v2:1"), "claude-v2:1");
        assert_eq!(normalize("cohere.rerank-v3-5:0"), "cohere.rerank-v3-5");
        assert_eq!(normalize("jamba-1.5-large@001"), "jamba-1.5-large@001");
        assert_eq!(normalize("us.gpt-4o"), "us.gpt-4o"); // no dotted vendor after the region
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(strip_date_suffix("claude-x-20250514"), Some("claude-x"));
        assert_eq!(strip_date_suffix("claude-x-12345678"), None);
        assert_eq!(strip_date_suffix("-20250514"), None);
    }
}
