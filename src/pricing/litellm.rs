//! LiteLLM's price map format (`model_prices_and_context_window.json`), read with the same
//! rules as `scripts/gen_prices.py`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::table::{ModelPrice, PRICE_COLUMNS};
use super::{PriceTable, PricingError};

/// Modes of the LiteLLM map that bill tokens the way [`Tokens`] counts them.
const MODES: &[&str] = &["chat", "completion", "responses", "embedding"];

impl PriceTable {
    /// Parses a LiteLLM-format JSON map (`model_prices_and_context_window.json`) with the
    /// rules of `scripts/gen_prices.py` (module docs). An alias whose target is missing or
    /// that loops is skipped; a price field that is neither a number >= 0 nor null is an
    /// error naming the entry.
    pub fn from_litellm_json(text: &str) -> Result<PriceTable, PricingError> {
        let value: Value = serde_json::from_str(text)?;
        let Value::Object(map) = value else {
            return Err(PricingError::JsonNotObject);
        };
        let mut entries = HashMap::new();
        for (key, value) in &map {
            if key == "sample_spec" || !value.is_object() {
                continue;
            }
            let Some(entry) = resolve_alias(&map, key) else {
                continue;
            };
            let mode_ok = match entry.get("mode") {
                None | Some(Value::Null) => true,
                Some(Value::String(mode)) => MODES.contains(&mode.as_str()),
                Some(_) => false,
            };
            if !mode_ok {
                continue;
            }
            let mut prices = [None; 10];
            for (slot, (_, field)) in prices.iter_mut().zip(PRICE_COLUMNS.iter()) {
                *slot = json_price(key, entry, field)?;
            }
            let provider = entry
                .get("litellm_provider")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let tiers = super::tiers::from_json(entry);
            if let Some(price) = ModelPrice::from_columns(provider, prices, tiers) {
                entries.insert(key.as_str().into(), price);
            }
        }
        Ok(PriceTable::with_entries(entries))
    }
}

/// Follows `alias_of` from `key` to the entry that holds the prices.
fn resolve_alias<'a>(map: &'a Map<String, Value>, key: &'a str) -> Option<&'a Map<String, Value>> {
    let mut seen: Vec<&str> = vec![key];
    let mut entry = map.get(key)?.as_object()?;
    while let Some(target) = entry.get("alias_of") {
        let target = target.as_str()?;
        if seen.contains(&target) {
            return None;
        }
        seen.push(target);
        entry = map.get(target)?.as_object()?;
    }
    Some(entry)
}

/// A price field of a LiteLLM entry: `None` when absent or null.
fn json_price(
    key: &str,
    entry: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<f64>, PricingError> {
    let bad = |message: String| PricingError::JsonField {
        key: key.to_string(),
        field,
        message,
    };
    match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(bad(format!("{n} is not a price (a number >= 0)"))),
        },
        Some(other) => Err(bad(format!("{other} is not a number"))),
    }
}

/// The test suites' access to the shared data, with their skip rule.
#[cfg(test)]
#[path = "../../tests/it/shared_data.rs"]
mod shared_data;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litellm_json_rules() {
        let json = r#"{
            "sample_spec": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "mode": "one of: chat"},
            "not-a-dict": 3,
            "claude-x-1": {"litellm_provider": "anthropic", "mode": "chat",
                "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": null,
                "input_cost_per_token_above_200k_tokens": 6e-06},
            "claude-x-latest": {"alias_of": "claude-x-1"},
            "dangling": {"alias_of": "nowhere"},
            "loop-a": {"alias_of": "loop-b"},
            "loop-b": {"alias_of": "loop-a"},
            "img": {"mode": "image_generation", "input_cost_per_token": 1e-06},
            "embed": {"mode": "embedding", "input_cost_per_token": 1e-07},
            "nomode": {"output_cost_per_token": 2},
            "noprice": {"mode": "chat", "litellm_provider": "x"}
        }"#;
        let table = PriceTable::from_litellm_json(json).expect("parses");
        assert_eq!(table.len(), 4, "claude-x-1, claude-x-latest, embed, nomode");
        let alias = table.lookup("claude-x-latest").expect("alias resolved");
        assert_eq!(Some(alias), table.lookup("claude-x-1"));
        assert_eq!(alias.provider, "anthropic");
        assert_eq!(alias.cache_read, Some(3e-7));
        assert_eq!(alias.cache_write_5m, None);
        assert_eq!(alias.above_200k.and_then(|t| t.input), Some(6e-6));
        assert!(table.lookup("sample_spec").is_none());
        assert!(table.lookup("img").is_none());
        assert!(table.lookup("dangling").is_none());
        assert_eq!(table.lookup("nomode").map(|p| p.output), Some(2.0));

        let err = PriceTable::from_litellm_json(r#"{"m": {"input_cost_per_token": "3e-6"}}"#)
            .expect_err("string price");
        assert!(err.to_string().contains("\"m\""), "{err}");
        assert!(err.to_string().contains("input_cost_per_token"), "{err}");
        assert!(matches!(
            PriceTable::from_litellm_json("[1]"),
            Err(PricingError::JsonNotObject)
        ));
        assert!(matches!(
            PriceTable::from_litellm_json("{"),
            Err(PricingError::Json(_))
        ));
    }

    /// The TSV and a direct parse of the LiteLLM map agree (the script and Rust share rules).
    /// The map: `$TOKENTOP_LITELLM_JSON`, else `data/litellm-model-prices.json` in the shared
    /// folder; without it the test skips, saying so, or fails under CI (see `shared_data`).
    #[test]
    fn tsv_matches_litellm_json() {
        let path = match std::env::var_os("TOKENTOP_LITELLM_JSON") {
            Some(path) => std::path::PathBuf::from(path),
            None => match super::shared_data::shared_or_skip(
                "data/litellm-model-prices.json",
                "pricing::litellm::tests::tsv_matches_litellm_json",
            ) {
                Some(path) => path,
                None => return,
            },
        };
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let json = PriceTable::from_litellm_json(&text).expect("map parses");
        let tsv = PriceTable::builtin();
        assert_eq!(json.len(), tsv.len());
        // serde_json without its `float_roundtrip` feature may parse a float 1 ulp off the
        // correctly rounded value that Python's repr() wrote, so compare within a few ulps.
        let near = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs());
        let near_opt = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => near(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        for (key, j) in &json.entries {
            let t = tsv
                .entries
                .get(key)
                .unwrap_or_else(|| panic!("{key} not in TSV"));
            let (jt, tt) = (
                j.above_200k.unwrap_or_default(),
                t.above_200k.unwrap_or_default(),
            );
            let tiers_near = j.tiers.len() == t.tiers.len()
                && j.tiers.iter().zip(&t.tiers).all(|(a, b)| {
                    a.from == b.from
                        && near(a.input, b.input)
                        && near(a.output, b.output)
                        && near_opt(a.cache_read, b.cache_read)
                        && near_opt(a.cache_write, b.cache_write)
                });
            let same = tiers_near
                && j.provider == t.provider
                && j.above_200k.is_some() == t.above_200k.is_some()
                && near(j.input, t.input)
                && near(j.output, t.output)
                && near_opt(j.cache_read, t.cache_read)
                && near_opt(j.cache_write_5m, t.cache_write_5m)
                && near_opt(j.cache_write_1h, t.cache_write_1h)
                && near_opt(jt.input, tt.input)
                && near_opt(jt.output, tt.output)
                && near_opt(jt.cache_read, tt.cache_read)
                && near_opt(jt.cache_write_5m, tt.cache_write_5m)
                && near_opt(jt.cache_write_1h, tt.cache_write_1h);
            assert!(same, "{key}: {j:?} != {t:?}");
        }
    }
}
