//! A report's rows: one per combination of the `--by` dimensions' values, from the
//! engine's tally, in the order every output format prints them.

use std::collections::HashMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::engine::snapshot::RequestSummary;
use crate::engine::tally::{Dimension, Sum, Tally};
use crate::engine::usage::Usage;
use crate::engine::{ModelPricing, Snapshot};
use crate::pricing::ClassCost;

/// The values a row is keyed by, one per dimension (none for the totals).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Keys(pub Vec<(Dimension, String)>);

impl Keys {
    pub fn value(&self, dim: Dimension) -> Option<&str> {
        self.0
            .iter()
            .find(|(d, _)| *d == dim)
            .map(|(_, v)| v.as_str())
    }
}

/// One field per dimension; with a single dimension also `key`, as before `--by` took
/// several.
impl Serialize for Keys {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let single = self.0.len() == 1;
        let mut map = s.serialize_map(Some(self.0.len() + usize::from(single)))?;
        if let [(_, value)] = self.0.as_slice() {
            map.serialize_entry("key", value)?;
        }
        for (dim, value) in &self.0 {
            map.serialize_entry(dim.name(), value)?;
        }
        map.end()
    }
}

/// Usage of one group with the derived totals spelled out: the one row type every format
/// prints (the totals are one too, with no keys).
#[derive(Clone, Debug, Serialize)]
pub struct ReportRow {
    #[serde(flatten)]
    pub keys: Keys,
    /// `cost_usd` is the nano-dollar sum rounded to the micro-dollar.
    #[serde(flatten)]
    pub usage: Usage,
    pub cache_write: u64,
    pub total_tokens: u64,
    /// Rows keyed by model: `price_key`, the price table entry, and `unpriced_reason`.
    #[serde(flatten)]
    pub pricing: Option<ModelPricing>,
    /// The priced cost by token class, summing to `cost_usd` (rows by identity or by
    /// model, and the totals, in reports with no filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd_by_class: Option<ClassCost>,
    /// Sizes per request over the report's range (rows by identity, and the totals, in
    /// reports with no filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_request: Option<RequestSummary>,
    /// Rows by identity in a report with `--findings`: its findings of each kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<super::findings::FindingCounts>,
    /// The exact sum, in nano-dollars.
    #[serde(skip)]
    pub cost_nanos: u64,
}

impl ReportRow {
    pub fn new(keys: Keys, sum: &Sum, pricing: Option<ModelPricing>) -> Self {
        let usage = Usage {
            cost_usd: sum.cost_usd(),
            ..sum.usage
        };
        ReportRow {
            keys,
            cache_write: usage.cache_write(),
            total_tokens: usage.total_tokens(),
            usage,
            pricing,
            cost_usd_by_class: None,
            per_request: None,
            findings: None,
            cost_nanos: sum.cost_nanos,
        }
    }
}

/// The rows of `tally`: by time (ascending) for time dimensions, then most spent first,
/// then by the keys.
pub fn rows(tally: &Tally, snapshot: &Snapshot) -> Vec<ReportRow> {
    let dims = tally.dims();
    let by_model = dims.contains(&Dimension::Model);
    let pricing: HashMap<&str, &Option<ModelPricing>> = snapshot
        .by_model
        .iter()
        .map(|g| (g.key.as_str(), &g.pricing))
        .collect();
    let mut rows: Vec<ReportRow> = tally
        .rows()
        .filter(|(_, sum)| sum.usage.requests > 0 || sum.usage.tool_calls > 0)
        .map(|(values, sum)| {
            let keys = Keys(
                dims.iter()
                    .copied()
                    .zip(values.iter().map(|v| v.to_string()))
                    .collect(),
            );
            let price = by_model
                .then(|| keys.value(Dimension::Model))
                .flatten()
                .and_then(|m| pricing.get(m).copied().cloned().flatten());
            ReportRow::new(keys, sum, price)
        })
        .collect();
    let times = |r: &ReportRow| -> Vec<String> {
        r.keys
            .0
            .iter()
            .filter(|(d, _)| d.is_time())
            .map(|(_, v)| v.clone())
            .collect()
    };
    rows.sort_by(|a, b| {
        times(a)
            .cmp(&times(b))
            .then(b.cost_nanos.cmp(&a.cost_nanos))
            .then(b.usage.requests.cmp(&a.usage.requests))
            .then_with(|| {
                a.keys
                    .0
                    .iter()
                    .map(|k| &k.1)
                    .cmp(b.keys.0.iter().map(|k| &k.1))
            })
    });
    rows
}
