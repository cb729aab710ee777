//! Provider usage and cost reports (OpenAI organization Usage and Costs APIs, Anthropic
//! Admin API): pure parsers from one response page to normalized [`ProviderBucket`]s and
//! the page's cursor. No IO here; the pollers in `source::provider` fetch the pages.
//!
//! Provider usage is a ledger of its own: these buckets never become log [`Event`]s.
//!
//! [`Event`]: crate::event::Event

pub mod anthropic;
pub mod openai;
mod update;

pub use update::{Family, ProviderUpdate, Width};

use serde::{Deserialize, Serialize};

use crate::event::{TimeMs, Tokens};

/// Whose API a bucket came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    OpenAi,
    Anthropic,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }
}

/// Which report a bucket came from: usage (tokens), a bill (USD), or Claude Code's per-user
/// analytics (tokens that the messages report already counts by key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Usage,
    Cost,
    ClaudeCode,
}

/// One group of one time bucket, in the classes the logs use.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProviderBucket {
    pub provider: Provider,
    pub report: Report,
    /// `[start, end)`, UTC milliseconds.
    pub start: TimeMs,
    pub end: TimeMs,
    /// OpenAI `api_key_id`, Anthropic `api_key_id`.
    pub api_key_id: Option<String>,
    /// OpenAI `project_id`, Anthropic `workspace_id`.
    pub project: Option<String>,
    /// OpenAI `user_id`; Claude Code's user e-mail or API key name.
    pub user: Option<String>,
    pub model: Option<String>,
    pub service_tier: Option<String>,
    /// Uncached input, cache reads, cache writes (5 min, 1 h) and output.
    pub tokens: Tokens,
    /// Model requests; `None` where the report has no count (Anthropic).
    pub requests: Option<u64>,
    /// What the provider billed, in USD; `None` on usage buckets.
    pub billed_usd: Option<f64>,
}

impl ProviderBucket {
    /// An empty bucket of `[start, end)`; the parsers fill in what the report gives.
    fn new(provider: Provider, report: Report, start: TimeMs, end: TimeMs) -> Self {
        ProviderBucket {
            provider,
            report,
            start,
            end,
            api_key_id: None,
            project: None,
            user: None,
            model: None,
            service_tier: None,
            tokens: Tokens::default(),
            requests: None,
            billed_usd: None,
        }
    }
}

/// One response page: its buckets and where the next page is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub buckets: Vec<ProviderBucket>,
    pub has_more: bool,
    pub next_page: Option<String>,
    /// Results of kinds this version does not read (new result objects), skipped.
    pub skipped: usize,
}

/// Why a page could not be read. Never carries the body: it may echo what was sent.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PageError {
    #[error("the response is not the JSON page expected: {0}")]
    Shape(String),
    #[error("a bucket's time {0:?} is not RFC 3339")]
    Time(String),
    #[error("an amount {0:?} is not a decimal number")]
    Amount(String),
}

/// The page envelope both providers share.
#[derive(Deserialize)]
struct Envelope<T> {
    data: Vec<T>,
    has_more: bool,
    next_page: Option<String>,
}

fn envelope<'a, T: Deserialize<'a>>(body: &'a str) -> Result<Envelope<T>, PageError> {
    serde_json::from_str(body).map_err(|e| PageError::Shape(e.to_string()))
}

/// A number that may arrive as a JSON string (`"0.94519"`, `"0E-6176"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Decimal {
    Number(f64),
    Text(String),
}

impl Decimal {
    fn value(&self) -> Result<f64, PageError> {
        match self {
            Decimal::Number(x) => Ok(*x),
            Decimal::Text(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| PageError::Amount(crate::sanitize::sanitize(s, 40))),
        }
    }
}

const DAY_MS: TimeMs = 86_400_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_read_from_numbers_and_strings() {
        let d = |j: &str| serde_json::from_str::<Decimal>(j).unwrap().value();
        assert_eq!(d("0.5"), Ok(0.5));
        assert_eq!(d("\"0E-6176\""), Ok(0.0));
        assert_eq!(
            d("\"1.234567890123456789012345678901234567890\""),
            Ok(1.2345678901234568)
        );
        assert!(matches!(d("\"abc\""), Err(PageError::Amount(_))));
        assert!(matches!(d("\"inf\""), Err(PageError::Amount(_))));
    }
}
