//! OpenAI `/organization/usage/completions`, `/organization/usage/embeddings` and
//! `/organization/costs` pages (formats.md §1). Times are Unix seconds; every counter may be
//! missing on older responses; cost amounts may be JSON strings.

use serde::Deserialize;

use super::{Decimal, Page, PageError, Provider, ProviderBucket, Report, envelope};

#[derive(Deserialize)]
struct Bucket {
    start_time: i64,
    end_time: i64,
    results: Vec<serde_json::Value>,
}

/// The dimensions and counters of a usage or cost result; all optional (`null` unless
/// grouped, or absent on older responses).
#[derive(Deserialize)]
struct Result {
    object: String,
    input_tokens: Option<u64>,
    input_cached_tokens: Option<u64>,
    input_cache_write_tokens: Option<u64>,
    input_uncached_tokens: Option<u64>,
    output_tokens: Option<u64>,
    num_model_requests: Option<u64>,
    amount: Option<Amount>,
    project_id: Option<String>,
    user_id: Option<String>,
    api_key_id: Option<String>,
    model: Option<String>,
    service_tier: Option<String>,
}

#[derive(Deserialize)]
struct Amount {
    value: Decimal,
    currency: Option<String>,
}

const COMPLETIONS: &str = "organization.usage.completions.result";
const EMBEDDINGS: &str = "organization.usage.embeddings.result";
const COSTS: &str = "organization.costs.result";

/// Parses a page of `/organization/usage/completions`, `/embeddings` or `/costs`. Results
/// of other kinds are counted in `skipped`.
pub fn page(body: &str) -> std::result::Result<Page, PageError> {
    let env = envelope::<Bucket>(body)?;
    let mut page = Page {
        has_more: env.has_more,
        next_page: env.next_page,
        ..Page::default()
    };
    for bucket in env.data {
        let (start, end) = (seconds(bucket.start_time)?, seconds(bucket.end_time)?);
        for value in bucket.results {
            let r: Result =
                serde_json::from_value(value).map_err(|e| PageError::Shape(e.to_string()))?;
            let report = match r.object.as_str() {
                COMPLETIONS | EMBEDDINGS => Report::Usage,
                COSTS => Report::Cost,
                _ => {
                    page.skipped += 1;
                    continue;
                }
            };
            page.buckets.push(bucket_of(r, report, start, end)?);
        }
    }
    Ok(page)
}

fn seconds(s: i64) -> std::result::Result<i64, PageError> {
    s.checked_mul(1000)
        .ok_or_else(|| PageError::Time(s.to_string()))
}

fn bucket_of(
    r: Result,
    report: Report,
    start: i64,
    end: i64,
) -> std::result::Result<ProviderBucket, PageError> {
    let mut b = ProviderBucket::new(Provider::OpenAi, report, start, end);
    if report == Report::Cost {
        let amount = r
            .amount
            .ok_or_else(|| PageError::Shape("a cost result has no amount".into()))?;
        if let Some(c) = amount.currency.filter(|c| !c.eq_ignore_ascii_case("usd")) {
            return Err(PageError::Amount(format!(
                "in {}, not USD",
                crate::sanitize::sanitize(&c, 10)
            )));
        }
        b.billed_usd = Some(amount.value.value()?);
    } else {
        let cached = r.input_cached_tokens.unwrap_or(0);
        let written = r.input_cache_write_tokens.unwrap_or(0);
        // `input_tokens` includes cached and cache-write tokens (formats.md §1.5).
        b.tokens.input = r.input_uncached_tokens.unwrap_or_else(|| {
            r.input_tokens
                .unwrap_or(0)
                .saturating_sub(cached)
                .saturating_sub(written)
        });
        b.tokens.cache_read = cached;
        b.tokens.cache_write_5m = written;
        b.tokens.output = r.output_tokens.unwrap_or(0);
        b.requests = Some(r.num_model_requests.unwrap_or(0));
    }
    b.api_key_id = r.api_key_id;
    b.project = r.project_id;
    b.user = r.user_id;
    b.model = r.model;
    b.service_tier = r.service_tier;
    Ok(b)
}

#[cfg(test)]
#[path = "openai_tests.rs"]
mod tests;
