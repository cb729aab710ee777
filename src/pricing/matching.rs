//! How a model id, written as people write it, is matched to an entry of the table.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde::Serialize;

use super::PriceTable;
use super::normalize::{normalize, strip_date_suffix};
use super::table::ModelPrice;

/// Why a model has no price.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnpricedReason {
    /// No entry of the table matches the id.
    UnknownModel,
    /// Entries match but none can be chosen: resellers that disagree on the price, or only
    /// $0 entries the id does not name.
    AmbiguousPrice,
}

/// What a normalized id resolves to.
#[derive(Clone, Debug)]
enum Choice {
    Key(Box<str>),
    Ambiguous,
}

/// The ways to find an entry other than its exact key.
#[derive(Clone, Debug, Default)]
pub(super) struct Index {
    /// Lowercased key -> the key (the smallest of keys that differ only in case).
    lowercase: HashMap<Box<str>, Box<str>>,
    /// Normalized id -> the entry chosen for it (see [`PriceTable::resolve`], step 4).
    normalized: HashMap<Box<str>, Choice>,
}

impl Index {
    pub(super) fn build(entries: &HashMap<Box<str>, ModelPrice>) -> Index {
        let mut lowercase: HashMap<Box<str>, Box<str>> = HashMap::with_capacity(entries.len());
        let mut groups: HashMap<String, Vec<&str>> = HashMap::with_capacity(entries.len());
        for key in entries.keys() {
            match lowercase.entry(key.to_ascii_lowercase().into()) {
                Entry::Occupied(mut slot) if **key < **slot.get() => {
                    slot.insert(key.clone());
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(slot) => {
                    slot.insert(key.clone());
                }
            }
            let id = normalize(key);
            if !id.is_empty() {
                groups.entry(id).or_default().push(key);
            }
        }
        let normalized = groups
            .into_iter()
            .map(|(id, keys)| (id.into(), choose(entries, keys)))
            .collect();
        Index {
            lowercase,
            normalized,
        }
    }
}

/// The entry that prices an id matched by several keys (rules in [`PriceTable::resolve`]).
fn choose(entries: &HashMap<Box<str>, ModelPrice>, keys: Vec<&str>) -> Choice {
    let mut priced: Vec<(&str, &ModelPrice)> = keys
        .into_iter()
        .filter_map(|key| entries.get_key_value(key))
        .map(|(key, price)| (&**key, price))
        .filter(|(_, price)| !price.is_free())
        .collect();
    let best = priced
        .iter()
        .filter_map(|(_, price)| provider_rank(&price.provider))
        .min();
    if best.is_some() {
        priced.retain(|(_, price)| provider_rank(&price.provider) == best);
    }
    let Some(&(_, first)) = priced.first() else {
        return Choice::Ambiguous;
    };
    if !priced.iter().all(|(_, price)| price.same_prices(first)) {
        return Choice::Ambiguous;
    }
    priced
        .iter()
        .map(|(key, _)| *key)
        .min_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)))
        .map_or(Choice::Ambiguous, |key| Choice::Key(key.into()))
}

/// Place of a provider in the order that decides between entries of one id: `openai`,
/// `anthropic`, `mistral`, `deepseek`, `xai`, `cohere`/`cohere_chat`, `gemini`,
/// `vertex_ai*`, `moonshot` (Kimi's maker), `dashscope` (Alibaba's, Qwen's maker); `None`
/// for every other provider (resellers, clouds, local servers).
fn provider_rank(provider: &str) -> Option<u8> {
    match provider {
        "openai" => Some(0),
        "anthropic" => Some(1),
        "mistral" => Some(2),
        "deepseek" => Some(3),
        "xai" => Some(4),
        "cohere" | "cohere_chat" => Some(5),
        "gemini" => Some(6),
        p if p.starts_with("vertex_ai") => Some(7),
        "moonshot" => Some(8),
        "dashscope" => Some(9),
        _ => None,
    }
}

impl PriceTable {
    /// The price of `model`, matched as people write ids ([`PriceTable::resolve`]).
    pub fn lookup(&self, model: &str) -> Option<&ModelPrice> {
        self.resolve(model).ok().map(|(_, price)| price)
    }

    /// The entry that prices `model` and its key, or why there is none. In order:
    /// 1. the entry the config names for this id (`[prices]`), whatever else matches;
    /// 2. the exact key (a hash lookup, no allocation);
    /// 3. a key that the id names: the same key in another case, or the part after the
    ///    id's last `/` (`bedrock/us.anthropic.x-v1:0` finds `us.anthropic.x-v1:0` with its
    ///    regional price);
    /// 4. the normalized id, looked up among the table's keys normalized the same way:
    ///    lowercase; everything up to the last `/` dropped (`anthropic/`, `openrouter/anthropic/`,
    ///    `vertex_ai/`, ...); a Bedrock region prefix (`us.`, `eu.`, `apac.`, `global.`, `au.`,
    ///    `jp.`, `us-gov.`, `ca.`, `in.`, when a dotted vendor follows) and then `anthropic.`
    ///    dropped; a Bedrock version suffix `-vN:0`, or else `:0`, dropped; a Vertex date
    ///    `@20240620` turned into `-20240620`. Of the keys that normalize alike, $0 entries
    ///    are left out (they price only ids that name them); then the entries of the first
    ///    provider in this order that has any are kept: `openai`, `anthropic`, `mistral`,
    ///    `deepseek`, `xai`, `cohere`/`cohere_chat`, `gemini`, `vertex_ai*`, `moonshot`,
    ///    `dashscope`. When those agree on
    ///    every price, the shortest key (then the lexically smallest) is the one shown;
    ///    when they disagree, or only $0 entries matched, the model is
    ///    [`UnpricedReason::AmbiguousPrice`]. So `claude-sonnet-4-20250514`, whose Bedrock
    ///    entries all agree, is priced as `anthropic.claude-sonnet-4-20250514-v1:0`;
    /// 5. the only approximation: when the normalized id ends in a date (`-YYYYMMDD` or
    ///    `-YYYY-MM-DD`) and no key matched it, the id without that date, as in step 4 (a
    ///    dated release priced as its undated alias, e.g. `gpt-4o-2099-01-01` as `gpt-4o`).
    ///
    /// Nothing else is matched by prefix. Steps 3 to 5 allocate; callers on a hot path
    /// should memoize.
    pub fn resolve(&self, model: &str) -> Result<(&str, &ModelPrice), UnpricedReason> {
        let named = self.named.get(model).map(|key| &**key);
        if let Some(found) = self.entry(named.unwrap_or(model)) {
            return Ok(found);
        }
        let tail = model.rsplit_once('/').map(|(_, tail)| tail);
        for id in [Some(model), tail].into_iter().flatten() {
            let key = self.index.lowercase.get(id.to_ascii_lowercase().as_str());
            if let Some(found) = key.and_then(|key| self.entry(key)) {
                return Ok(found);
            }
        }
        let id = normalize(model);
        let choice = self.index.normalized.get(id.as_str()).or_else(|| {
            strip_date_suffix(&id).and_then(|undated| self.index.normalized.get(undated))
        });
        match choice {
            Some(Choice::Key(key)) => self.entry(key).ok_or(UnpricedReason::UnknownModel),
            Some(Choice::Ambiguous) => Err(UnpricedReason::AmbiguousPrice),
            None => Err(UnpricedReason::UnknownModel),
        }
    }

    fn entry(&self, key: &str) -> Option<(&str, &ModelPrice)> {
        self.entries
            .get_key_value(key)
            .map(|(key, price)| (&**key, price))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{close, tokens};
    use super::*;

    const M: f64 = 1e-6; // USD per token for $1 per million

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
        assert_eq!(table.resolve("openai/gpt-4o").map(|(k, _)| k), Ok("gpt-4o"));
    }

    #[test]
    fn kimi_and_qwen_ids_take_their_makers_price_over_resellers() {
        let table = PriceTable::builtin();
        // Resellers disagree on these; Moonshot's and Alibaba's own entries decide.
        for (id, key, input, output) in [
            ("kimi-k2.5", "moonshot/kimi-k2.5", 0.6, 3.0),
            ("kimi-k2.6", "moonshot/kimi-k2.6", 0.95, 4.0),
            ("kimi-k3", "moonshot/kimi-k3", 3.0, 15.0),
            ("kimi-latest", "moonshot/kimi-latest", 3.0, 15.0),
            (
                "qwen3-next-80b-a3b-instruct",
                "dashscope/qwen3-next-80b-a3b-instruct",
                0.15,
                1.2,
            ),
            // Priced by prompt size: the first tier's prices are the ordinary ones.
            ("qwen3-coder-plus", "dashscope/qwen3-coder-plus", 1.0, 5.0),
            ("qwen3-max", "dashscope/qwen3-max", 1.2, 6.0),
        ] {
            let (k, p) = table.resolve(id).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            assert_eq!(k, key);
            assert!(
                close(p.input, input * M) && close(p.output, output * M),
                "{id}"
            );
        }
        // Neither maker prices these: resellers that disagree leave them unpriced.
        for id in ["kimi-k2-thinking", "qwen3-coder-480b-a35b-instruct"] {
            assert_eq!(
                table.resolve(id).map(|(k, _)| k),
                Err(UnpricedReason::AmbiguousPrice),
                "{id}"
            );
        }
        // Names the table does not hold at all (Qwen's OAuth alias, Kimi's previews).
        for id in [
            "coder-model",
            "kimi-k2-0905-preview",
            "kimi-k2-turbo-preview",
        ] {
            assert_eq!(
                table.resolve(id).map(|(k, _)| k),
                Err(UnpricedReason::UnknownModel),
                "{id}"
            );
        }
    }

    #[test]
    fn date_suffix_is_the_only_approximation() {
        let table = PriceTable::builtin();
        assert_eq!(
            table.resolve("gpt-4o-2099-01-01").map(|(k, _)| k),
            Ok("gpt-4o")
        );
        assert_eq!(
            table.resolve("claude-opus-4-5-20991231").map(|(k, _)| k),
            Ok("claude-opus-4-5")
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
        assert_eq!(
            table.resolve("no-such-model-xyz").map(|(k, _)| k),
            Err(UnpricedReason::UnknownModel)
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

    /// The bare id of a key (after its last `/`) is what logs write most often.
    fn bare(key: &str) -> &str {
        key.rsplit_once('/').map_or(key, |(_, tail)| tail)
    }

    #[test]
    fn every_bare_id_resolves_to_itself_a_first_party_entry_or_ambiguous() {
        let table = PriceTable::builtin();
        // A reseller's price is taken only when every priced entry of the id agrees with it.
        let mut priced: HashMap<String, Vec<&ModelPrice>> = HashMap::new();
        for (key, price) in table.entries.iter().filter(|(_, p)| !p.is_free()) {
            priced.entry(normalize(key)).or_default().push(price);
        }
        let agrees = |id: &str, p: &ModelPrice| {
            priced
                .get(&normalize(id))
                .is_some_and(|all| all.iter().all(|q| q.same_prices(p)))
        };
        // The first provider in the order with a priced entry for the id.
        let earliest = |id: &str| {
            let all = priced.get(&normalize(id))?;
            all.iter().filter_map(|q| provider_rank(&q.provider)).min()
        };
        let mut ambiguous = 0;
        for key in table.entries.keys() {
            let id = bare(key);
            match table.resolve(id) {
                Ok((found, p)) => {
                    let names = found.eq_ignore_ascii_case(id);
                    assert!(
                        !p.is_free() || names,
                        "{id} (from {key}) is priced by the $0 entry {found}"
                    );
                    if names {
                        continue;
                    }
                    // The entry's own group: the id's, or its undated alias's (step 5).
                    match earliest(found) {
                        Some(rank) => assert_eq!(
                            provider_rank(&p.provider),
                            Some(rank),
                            "{id} (from {key}) is priced by {found} ({}), not by the first \
                             provider in the order with an entry for it",
                            p.provider
                        ),
                        None => assert!(
                            agrees(found, p),
                            "{id} (from {key}) is priced by {found} ({}), which disagrees",
                            p.provider
                        ),
                    }
                }
                Err(reason) => {
                    assert_eq!(reason, UnpricedReason::AmbiguousPrice, "{id} (from {key})");
                    ambiguous += 1;
                }
            }
        }
        assert!(ambiguous > 100, "only {ambiguous} ambiguous bare ids");
    }

    #[test]
    fn free_entries_price_only_ids_that_name_them() {
        let table = PriceTable::builtin();
        for id in [
            "mixtral-8x7b-instruct-v0.1",
            "gemma-4-31b-it",
            "gemma-3-27b-it",
        ] {
            assert_eq!(
                table.resolve(id).map(|(k, _)| k),
                Err(UnpricedReason::AmbiguousPrice),
                "{id}"
            );
        }
        // Named, in any case, the local entry prices it at $0.
        for id in [
            "ollama/mixtral-8x7B-Instruct-v0.1",
            "ollama/mixtral-8x7b-instruct-v0.1",
        ] {
            let (key, p) = table.resolve(id).expect("named");
            assert_eq!(key, "ollama/mixtral-8x7B-Instruct-v0.1");
            assert!(p.is_free());
        }
        // Only $0 entries match: unpriced, never $0.
        let t = PriceTable::from_tsv("ollama/tiny\tollama\t0\t0\n").expect("parses");
        assert_eq!(
            t.resolve("tiny").map(|(k, _)| k),
            Err(UnpricedReason::AmbiguousPrice)
        );
        assert_eq!(t.resolve("ollama/tiny").map(|(k, _)| k), Ok("ollama/tiny"));
    }

    #[test]
    fn first_party_order_then_agreeing_resellers() {
        let tsv = "\
together_ai/m/foo\ttogether_ai\t1e-06\t1e-06
vertex_ai/foo\tvertex_ai-x\t2e-06\t2e-06
gemini/foo\tgemini\t3e-06\t3e-06
mistral/foo\tmistral\t4e-06\t4e-06
deepinfra/x/bar\tdeepinfra\t1e-06\t1e-06
nebius/bar\tnebius\t1e-06\t1e-06
fireworks_ai/baz\tfireworks_ai\t1e-06\t1e-06
novita/baz\tnovita\t1e-06\t2e-06
";
        let mut t = PriceTable::from_tsv(tsv).expect("parses");
        let key = |t: &PriceTable, id: &str| t.resolve(id).map(|(k, _)| k.to_string());
        assert_eq!(key(&t, "foo").as_deref(), Ok("mistral/foo"));
        assert_eq!(key(&t, "Foo-20250101").as_deref(), Ok("mistral/foo"));
        // Resellers that agree: priced, shown as the shortest key.
        assert_eq!(key(&t, "bar").as_deref(), Ok("nebius/bar"));
        // Resellers that disagree: unpriced until the config names one.
        assert_eq!(key(&t, "baz"), Err(UnpricedReason::AmbiguousPrice));
        t.name_entry("baz", "novita/baz").expect("an entry");
        assert_eq!(key(&t, "baz").as_deref(), Ok("novita/baz"));
        // A name wins over every other match.
        t.name_entry("foo", "vertex_ai/foo").expect("an entry");
        assert_eq!(key(&t, "foo").as_deref(), Ok("vertex_ai/foo"));
        let err = t
            .name_entry("qux", "nowhere/qux")
            .expect_err("no such entry");
        assert!(err.to_string().contains("\"nowhere/qux\""), "{err}");
        // In the built-in table, mistral's own entry beats the resellers'.
        let (_, p) = PriceTable::builtin()
            .resolve("mistral-large-latest")
            .expect("priced");
        assert_eq!(p.provider, "mistral");
    }
}
