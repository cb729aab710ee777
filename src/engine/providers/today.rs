//! One provider's UTC day so far: its usage by class and its spend, billed once the day's
//! bill is in, else usage x price.

use serde::Serialize;

use super::reconcile::Basis;
use crate::event::{TimeMs, Tokens};
use crate::parse::provider::{Provider, ProviderBucket, Report, Width};
use crate::pricing::PriceTable;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderToday {
    pub provider: Provider,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub tokens: Tokens,
    /// `None` where the API counts no requests (Anthropic).
    pub requests: Option<u64>,
    pub usd: f64,
    pub basis: Basis,
    /// Usage rows whose model has no price: not in an estimate.
    pub unpriced_rows: u64,
    /// Distinct API keys with usage today.
    pub keys: usize,
}

/// Each provider's day starting at `day` from the effective buckets.
pub(super) fn today(
    buckets: &[&ProviderBucket],
    prices: &PriceTable,
    day: TimeMs,
) -> Vec<ProviderToday> {
    let mut out: Vec<ProviderToday> = Vec::new();
    let mut billed: Vec<(Provider, f64)> = Vec::new();
    let mut keys: std::collections::BTreeSet<(Provider, &str)> = Default::default();
    let in_day = |b: &&&ProviderBucket| Width::Day.floor(b.start) == day;
    for b in buckets.iter().filter(in_day) {
        let entry = match out.iter_mut().position(|t| t.provider == b.provider) {
            Some(i) => &mut out[i],
            None => {
                out.push(ProviderToday {
                    provider: b.provider,
                    day: crate::timefmt::utc_day(day),
                    tokens: Tokens::default(),
                    requests: None,
                    usd: 0.0,
                    basis: Basis::Estimated,
                    unpriced_rows: 0,
                    keys: 0,
                });
                out.last_mut().expect("just pushed")
            }
        };
        match b.report {
            Report::Usage => {
                entry.tokens = entry.tokens.zip_with(&b.tokens, u64::saturating_add);
                if let Some(n) = b.requests {
                    entry.requests = Some(entry.requests.unwrap_or(0) + n);
                }
                match b.model.as_deref().and_then(|m| prices.cost(m, &b.tokens)) {
                    Some(usd) => entry.usd += usd,
                    None => entry.unpriced_rows += 1,
                }
                if let Some(key) = b.api_key_id.as_deref() {
                    keys.insert((b.provider, key));
                }
            }
            Report::Cost => billed.push((b.provider, b.billed_usd.unwrap_or(0.0))),
            Report::ClaudeCode => {}
        }
    }
    for t in &mut out {
        let bills: Vec<f64> = billed
            .iter()
            .filter(|(p, _)| *p == t.provider)
            .map(|(_, usd)| *usd)
            .collect();
        if !bills.is_empty() {
            t.usd = bills.iter().sum();
            t.basis = Basis::Billed;
        }
        t.keys = keys.iter().filter(|(p, _)| *p == t.provider).count();
    }
    out.sort_by_key(|t| t.provider);
    out
}
