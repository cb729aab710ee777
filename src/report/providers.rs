//! The providers' own ledger in a report: usage by class, what was billed, what usage x
//! price estimates where no bill covers it, the rows, and each provider's health. Never
//! added to the log totals: a request in a log and on a bill is one request.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::event::Tokens;
use crate::format::micro_usd;
use crate::parse::provider::{Provider, Report};
use crate::pricing::PriceTable;
use crate::source::provider::{Fetched, ProviderHealth};
use crate::timefmt::utc_day;

/// Usage by class over a provider's usage rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProviderUsage {
    /// Uncached input.
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    /// `null` where the API gives no count (Anthropic).
    pub requests: Option<u64>,
}

impl ProviderUsage {
    fn add(&mut self, t: &Tokens, requests: Option<u64>) {
        self.input += t.input;
        self.cache_read += t.cache_read;
        self.cache_write_5m += t.cache_write_5m;
        self.cache_write_1h += t.cache_write_1h;
        self.output += t.output;
        if let Some(n) = requests {
            self.requests = Some(self.requests.unwrap_or(0) + n);
        }
    }
}

/// One row: a bucket of one report, by key, project or workspace, user and model, on a day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderRow {
    /// The bucket's UTC day (`YYYY-MM-DD`).
    pub day: String,
    /// `usage`, `cost` (a bill) or `claude_code` (per user; already inside `usage`).
    pub report: Report,
    pub api_key_id: Option<String>,
    /// OpenAI project, Anthropic workspace.
    pub project: Option<String>,
    pub user: Option<String>,
    pub model: Option<String>,
    pub service_tier: Option<String>,
    #[serde(flatten)]
    pub usage: ProviderUsage,
    pub billed_cost_usd: Option<f64>,
    /// Usage x price from the offline table; `null` on bills and unpriced models.
    pub estimated_cost_usd: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderReport {
    pub provider: Provider,
    /// Usage rows only: Claude Code's rows count the same tokens again, by user.
    pub usage: ProviderUsage,
    /// The sum of the bills read; `null` when none was.
    pub billed_cost_usd: Option<f64>,
    /// Usage x price over the days no bill covers (costs come a day late, in 1d buckets).
    pub estimated_cost_usd: f64,
    /// Usage rows whose model the price table does not know: not in the estimate.
    pub unpriced_rows: u64,
    pub rows: Vec<ProviderRow>,
    pub health: ProviderHealth,
}

/// A provider's ledger from what was fetched, priced with `prices`.
pub fn provider_report(fetched: Fetched, prices: &PriceTable) -> ProviderReport {
    let billed_days: BTreeSet<String> = fetched
        .buckets
        .iter()
        .filter(|b| b.report == Report::Cost)
        .map(|b| utc_day(b.start))
        .collect();
    let mut usage = ProviderUsage::default();
    let (mut billed, mut estimated, mut unpriced) = (None::<f64>, 0.0, 0);
    let mut rows = Vec::with_capacity(fetched.buckets.len());
    for b in fetched.buckets {
        let mut row_usage = ProviderUsage::default();
        row_usage.add(&b.tokens, b.requests);
        let estimate = match b.report {
            Report::Cost => None,
            _ => b.model.as_deref().and_then(|m| prices.cost(m, &b.tokens)),
        };
        let day = utc_day(b.start);
        match b.report {
            Report::Cost => *billed.get_or_insert(0.0) += b.billed_usd.unwrap_or(0.0),
            Report::Usage => {
                usage.add(&b.tokens, b.requests);
                match estimate {
                    Some(usd) if !billed_days.contains(&day) => estimated += usd,
                    Some(_) => {}
                    None => unpriced += 1,
                }
            }
            Report::ClaudeCode => {}
        }
        rows.push(ProviderRow {
            day,
            report: b.report,
            api_key_id: b.api_key_id,
            project: b.project,
            user: b.user,
            model: b.model,
            service_tier: b.service_tier,
            usage: row_usage,
            billed_cost_usd: b.billed_usd.map(micro_usd),
            estimated_cost_usd: estimate.map(micro_usd),
        });
    }
    if fetched.provider == Provider::OpenAi && usage.requests.is_none() {
        usage.requests = Some(0);
    }
    ProviderReport {
        provider: fetched.provider,
        usage,
        billed_cost_usd: billed.map(micro_usd),
        estimated_cost_usd: micro_usd(estimated),
        unpriced_rows: unpriced,
        rows,
        health: fetched.health,
    }
}
