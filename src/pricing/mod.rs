//! Model prices: the table, how a model id is matched to an entry, and what a request costs.
//!
//! # The table
//! Prices are USD per token. The built-in table (`pricing/model-prices.tsv`, embedded with
//! `include_str!`) is derived from LiteLLM's price map (litellm 1.110.2,
//! `model_prices_and_context_window_backup.json`, MIT licence, see `pricing/NOTICE`) by
//! `scripts/gen_prices.py` (`table.rs`). [`PriceTable::from_litellm_json`] (`litellm.rs`) applies the same rules to a
//! LiteLLM-format map given at run time: `sample_spec` and non-object values are skipped,
//! `alias_of` entries take their target's prices, and only entries whose `mode` is chat,
//! completion, responses or embedding (or that have no mode) with an input or output token price
//! (or prices by prompt size) are kept.
//!
//! # Cost of one request
//! With the disjoint token classes of [`Tokens`]:
//!
//! `cost = input*in + cache_read*cr + cache_write_5m*cw + cache_write_1h*cw1h + output*out`
//!
//! `reasoning` is part of `output` and is not added again. Missing prices:
//! - `in` or `out` missing: 0 (the map gives only one of them, e.g. for embeddings);
//! - `cr` (cache read) missing: the input price;
//! - `cw` (5-minute cache write) missing: the input price;
//! - `cw1h` (1-hour cache write) missing: twice the input price (Anthropic's rule).
//!
//! Long-context tier: when the request's whole input (`input + cache_read + cache_write_5m +
//! cache_write_1h`) is more than 200,000 tokens and the entry has `*_above_200k_tokens` prices,
//! each class that has an above-200k price is billed at it; a class without one keeps its
//! ordinary price (including the fallbacks above). Note that for entries that list no
//! above-200k 1-hour cache-write price this keeps the ordinary 1-hour price, although Anthropic
//! doubles that too. Prices by prompt size (`tiered_pricing`, e.g. Alibaba's Qwen models)
//! are used when the map gives them in a form tokentop can apply (see [`Tier`]): the tier
//! the request's whole input falls in prices every class, over the above-200k prices. Other
//! tiers in the map (`_above_128k`, `_above_272k`, ...) and batch, priority or flex prices are
//! not used. A model the table cannot price has no cost
//! ([`PriceTable::cost`] returns `None`); the caller shows it as unpriced, never as $0.
//!
//! # Matching a model id
//! See [`PriceTable::resolve`]: the entry the config names, the exact key, a key the id names
//! (another case, or the part after its last `/`), then a normalized id, where a first-party
//! provider's entry wins, resellers are taken only when they agree, and $0 entries are left
//! out; then (the only approximation) the normalized id without a trailing date. An id with no
//! entry is [`UnpricedReason::UnknownModel`]; one whose entries cannot be chosen between is
//! [`UnpricedReason::AmbiguousPrice`].

mod class_cost;
mod litellm;
mod matching;
mod normalize;
mod table;
mod tiers;

/// What the pricing tests share: costs compared to the femto-dollar, and tokens by class.
#[cfg(test)]
mod test_support {
    use crate::event::Tokens;

    pub fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    pub fn tokens(input: u64, cr: u64, cw5: u64, cw1: u64, output: u64) -> Tokens {
        Tokens {
            input,
            cache_read: cr,
            cache_write_5m: cw5,
            cache_write_1h: cw1,
            output,
            reasoning: 0,
        }
    }
}

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::event::Tokens;

pub use self::class_cost::ClassCost;
use self::matching::Index;
pub use self::matching::UnpricedReason;
use self::table::BUILTIN_TSV;
pub use self::table::{ModelPrice, TIER_THRESHOLD_TOKENS, TierPrices};
pub use self::tiers::Tier;

/// Why a price table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("price table line {line}: {message}")]
    Tsv { line: usize, message: String },
    #[error("price map is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("price map: the top level must be a JSON object of model entries")]
    JsonNotObject,
    #[error("price map entry {key:?}: field {field}: {message}")]
    JsonField {
        key: String,
        field: &'static str,
        message: String,
    },
    #[error("{model:?} is priced as {key:?}, which is not an entry of the price table")]
    UnknownEntry { model: String, key: String },
}

/// Model prices by model id, with an index of normalized ids for ids written other ways.
#[derive(Clone, Debug, Default)]
pub struct PriceTable {
    entries: HashMap<Box<str>, ModelPrice>,
    index: Index,
    /// Model id -> the key the config names for it (`[prices]`).
    named: HashMap<Box<str>, Box<str>>,
}

impl PriceTable {
    /// The table embedded at build time, parsed once.
    ///
    /// The embedded table is checked by the unit tests; should it ever fail to parse, debug
    /// builds panic and release builds get an empty table (every model then shows unpriced).
    pub fn builtin() -> &'static PriceTable {
        static TABLE: OnceLock<PriceTable> = OnceLock::new();
        TABLE.get_or_init(|| match PriceTable::from_tsv(BUILTIN_TSV) {
            Ok(table) => table,
            Err(err) => {
                debug_assert!(false, "built-in price table: {err}");
                PriceTable::default()
            }
        })
    }

    /// Adds `other`'s entries, replacing entries of the same key.
    pub fn overlay(&mut self, other: PriceTable) {
        self.entries.extend(other.entries);
        self.index = Index::build(&self.entries);
    }

    /// Prices `model` (exactly as written in logs) as the entry `key`, whatever else matches
    /// it: the config's `[prices]`. Fails when the table has no entry `key`.
    pub fn name_entry(&mut self, model: &str, key: &str) -> Result<(), PricingError> {
        if !self.entries.contains_key(key) {
            return Err(PricingError::UnknownEntry {
                model: model.to_string(),
                key: key.to_string(),
            });
        }
        self.named.insert(model.into(), key.into());
        Ok(())
    }

    /// Cost in USD of one request of `model`, or `None` when the model is unknown (the caller
    /// flags it unpriced; it is never $0). Rules in the module docs.
    pub fn cost(&self, model: &str, tokens: &Tokens) -> Option<f64> {
        self.lookup(model).map(|price| price.cost(tokens))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(super) fn with_entries(entries: HashMap<Box<str>, ModelPrice>) -> PriceTable {
        PriceTable {
            index: Index::build(&entries),
            entries,
            named: HashMap::new(),
        }
    }
}
