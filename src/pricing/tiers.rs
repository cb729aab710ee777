//! Prices by the size of a request's prompt (LiteLLM's `tiered_pricing`, e.g. Alibaba's
//! `qwen3-coder-plus`: one price up to 32,000 tokens, another up to 128,000, ...): read from
//! the TSV's `tiers` column or the JSON map with the rules of `scripts/gen_prices.py`.

use serde_json::{Map, Value};

/// The prices of requests whose whole input (uncached + cache) is above `from` tokens, up
/// to the next tier's `from`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tier {
    pub from: u64,
    pub input: f64,
    pub output: f64,
    /// Missing: the tier's input price.
    pub cache_read: Option<f64>,
    /// Missing: the tier's input price (the 1-hour write: twice it).
    pub cache_write: Option<f64>,
}

/// The tier that prices a request whose whole input is `whole_input` tokens: the last one
/// whose `from` it passes, else the first.
pub(super) fn tier_for(tiers: &[Tier], whole_input: u64) -> Option<&Tier> {
    tiers
        .iter()
        .rev()
        .find(|t| whole_input > t.from)
        .or(tiers.first())
}

/// The TSV `tiers` column: `from,input,output,cache_read,cache_write` per tier, `;`
/// between them (empty: none); why not, for the error naming the line.
pub(super) fn parse_column(text: &str) -> Result<Vec<Tier>, String> {
    let mut tiers: Vec<Tier> = Vec::new();
    for tier in text.split(';').filter(|t| !t.trim().is_empty()) {
        let f: Vec<&str> = tier.split(',').map(str::trim).collect();
        let bad = || format!("tier {tier:?} is not `from,input,output,cache_read,cache_write`");
        if f.len() != 5 {
            return Err(bad());
        }
        let from: u64 = f[0].parse().map_err(|_| bad())?;
        let price = |text: &str| -> Result<Option<f64>, String> {
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
                _ => Err(bad()),
            }
        };
        let (Some(input), Some(output)) = (price(f[1])?, price(f[2])?) else {
            return Err(bad());
        };
        if tiers.last().is_some_and(|t| t.from >= from) || (tiers.is_empty() && from != 0) {
            return Err(format!(
                "tier {tier:?}: tiers start at 0 and go up in `from`"
            ));
        }
        tiers.push(Tier {
            from,
            input,
            output,
            cache_read: price(f[3])?,
            cache_write: price(f[4])?,
        });
    }
    Ok(tiers)
}

/// A LiteLLM entry's `tiered_pricing`, when tokentop can apply it: `range`s of whole
/// numbers that follow each other from 0, each tier with an input and an output price,
/// maybe cache read and cache write prices, and no other price (a reasoning price equal to
/// the output price is none). Anything else: no tiers.
pub(super) fn from_json(entry: &Map<String, Value>) -> Vec<Tier> {
    let Some(Value::Array(list)) = entry.get("tiered_pricing") else {
        return Vec::new();
    };
    let mut tiers = Vec::with_capacity(list.len());
    let mut next_from = 0;
    for tier in list {
        match json_tier(tier, next_from) {
            Some((tier, to)) => {
                tiers.push(tier);
                next_from = to;
            }
            None => return Vec::new(),
        }
    }
    tiers
}

const INPUT: &str = "input_cost_per_token";
const OUTPUT: &str = "output_cost_per_token";
const CACHE_READ: &str = "cache_read_input_token_cost";
const CACHE_WRITE: &str = "cache_creation_input_token_cost";
const REASONING: &str = "output_cost_per_reasoning_token";

/// One tier starting at `from`, and where the next starts.
fn json_tier(tier: &Value, from: u64) -> Option<(Tier, u64)> {
    let tier = tier.as_object()?;
    let whole = |v: &Value| {
        let n = v.as_f64()?;
        (n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n < u64::MAX as f64).then_some(n as u64)
    };
    let [lo, hi] = tier.get("range")?.as_array()?.as_slice() else {
        return None;
    };
    let (lo, hi) = (whole(lo)?, whole(hi)?);
    if lo != from || hi <= lo {
        return None;
    }
    for (field, value) in tier {
        let modelled = [INPUT, OUTPUT, CACHE_READ, CACHE_WRITE].contains(&field.as_str());
        let same_as_output = field == REASONING && Some(value) == tier.get(OUTPUT);
        if field.contains("cost") && !modelled && !same_as_output {
            return None;
        }
    }
    let price = |field: &str| -> Result<Option<f64>, ()> {
        match tier.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(p) if p.is_finite() && p >= 0.0 && !v.is_boolean() => Ok(Some(p)),
                _ => Err(()),
            },
        }
    };
    let tier = Tier {
        from: lo,
        input: price(INPUT).ok()??,
        output: price(OUTPUT).ok()??,
        cache_read: price(CACHE_READ).ok()?,
        cache_write: price(CACHE_WRITE).ok()?,
    };
    Some((tier, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(from: u64, input: f64) -> Tier {
        Tier {
            from,
            input,
            output: 2.0 * input,
            cache_read: None,
            cache_write: None,
        }
    }

    #[test]
    fn a_request_pays_the_tier_its_prompt_is_in() {
        let tiers = [tier(0, 1.0), tier(32_000, 2.0), tier(128_000, 3.0)];
        let at = |n| tier_for(&tiers, n).map(|t| t.input);
        assert_eq!(at(0), Some(1.0));
        assert_eq!(at(32_000), Some(1.0), "up to 32,000 included");
        assert_eq!(at(32_001), Some(2.0));
        assert_eq!(
            at(10_000_000),
            Some(3.0),
            "past the last range: the last tier"
        );
        assert_eq!(tier_for(&[], 5), None);
    }

    #[test]
    fn the_column_is_read_and_checked() {
        let tiers = parse_column("0,1e-06,5e-06,1e-07,;32000,1.8e-06,9e-06,,2e-06").expect("ok");
        assert_eq!(tiers.len(), 2);
        assert_eq!((tiers[1].from, tiers[1].cache_read), (32_000, None));
        assert_eq!(tiers[1].cache_write, Some(2e-6));
        assert_eq!(parse_column(""), Ok(Vec::new()));
        for bad in [
            "5,1,1,,",
            "0,1,1,,;0,2,2,,",
            "0,,1,,",
            "0,1,1",
            "0,-1,1,,",
            "x,1,1,,",
        ] {
            assert!(parse_column(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_tiers_only_when_they_can_be_applied() {
        let entry = |tiers: &str| -> Map<String, Value> {
            serde_json::from_str(&format!(r#"{{"tiered_pricing": {tiers}}}"#)).expect("json")
        };
        let ok = entry(
            r#"[{"range":[0,32000.0],"input_cost_per_token":1e-06,"output_cost_per_token":5e-06,"cache_read_input_token_cost":1e-07},
                {"range":[32000.0,128000.0],"input_cost_per_token":2e-06,"output_cost_per_token":9e-06,"output_cost_per_reasoning_token":9e-06}]"#,
        );
        let tiers = from_json(&ok);
        assert_eq!(tiers.len(), 2);
        assert_eq!((tiers[1].from, tiers[1].input), (32_000, 2e-6));
        assert_eq!(tiers[0].cache_read, Some(1e-7));
        for bad in [
            // A reasoning price of its own, a gap, no output price, a query price.
            r#"[{"range":[0,10],"input_cost_per_token":1,"output_cost_per_token":2,"output_cost_per_reasoning_token":3}]"#,
            r#"[{"range":[0,10],"input_cost_per_token":1,"output_cost_per_token":2},{"range":[20,30],"input_cost_per_token":1,"output_cost_per_token":2}]"#,
            r#"[{"range":[0,10],"input_cost_per_token":1}]"#,
            r#"[{"range":null,"input_cost_per_query":1}]"#,
            r#"[{"range":[0,10],"input_cost_per_token":"1","output_cost_per_token":2}]"#,
        ] {
            assert!(from_json(&entry(bad)).is_empty(), "{bad}");
        }
    }
}
