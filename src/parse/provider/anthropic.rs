//! Anthropic Admin API pages (formats.md §2): `usage_report/messages` (no request count),
//! `cost_report` (cents as decimal strings, never by key) and `usage_report/claude_code`
//! (one record per actor and day). Times are RFC 3339.

use serde::Deserialize;

use super::{DAY_MS, Decimal, Page, PageError, Provider, ProviderBucket, Report, envelope};
use crate::event::TimeMs;

#[derive(Deserialize)]
struct Bucket<T> {
    starting_at: String,
    ending_at: String,
    results: Vec<T>,
}

#[derive(Deserialize)]
struct MessagesResult {
    uncached_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    cache_read_input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    api_key_id: Option<String>,
    workspace_id: Option<String>,
    model: Option<String>,
    service_tier: Option<String>,
}

#[derive(Deserialize)]
struct CacheCreation {
    ephemeral_1h_input_tokens: Option<u64>,
    ephemeral_5m_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CostResult {
    amount: Decimal,
    currency: Option<String>,
    workspace_id: Option<String>,
    model: Option<String>,
    service_tier: Option<String>,
}

fn time(text: &str) -> Result<TimeMs, PageError> {
    crate::timefmt::parse_rfc3339_ms(text)
        .ok_or_else(|| PageError::Time(crate::sanitize::sanitize(text, 40)))
}

fn page_of<T, F>(body: &str, mut bucket: F) -> Result<Page, PageError>
where
    T: for<'de> Deserialize<'de>,
    F: FnMut(T, TimeMs, TimeMs) -> Result<ProviderBucket, PageError>,
{
    let env = envelope::<Bucket<T>>(body)?;
    let mut page = Page {
        has_more: env.has_more,
        next_page: env.next_page,
        ..Page::default()
    };
    for b in env.data {
        let (start, end) = (time(&b.starting_at)?, time(&b.ending_at)?);
        for r in b.results {
            page.buckets.push(bucket(r, start, end)?);
        }
    }
    Ok(page)
}

/// Parses a page of `/v1/organizations/usage_report/messages`.
pub fn messages_page(body: &str) -> Result<Page, PageError> {
    page_of(body, |r: MessagesResult, start, end| {
        let mut b = ProviderBucket::new(Provider::Anthropic, Report::Usage, start, end);
        let cache = r.cache_creation.as_ref();
        b.tokens.input = r.uncached_input_tokens.unwrap_or(0);
        b.tokens.cache_read = r.cache_read_input_tokens.unwrap_or(0);
        b.tokens.cache_write_5m = cache.and_then(|c| c.ephemeral_5m_input_tokens).unwrap_or(0);
        b.tokens.cache_write_1h = cache.and_then(|c| c.ephemeral_1h_input_tokens).unwrap_or(0);
        b.tokens.output = r.output_tokens.unwrap_or(0);
        b.api_key_id = r.api_key_id;
        b.project = r.workspace_id;
        b.model = r.model;
        b.service_tier = r.service_tier;
        Ok(b)
    })
}

/// Parses a page of `/v1/organizations/cost_report`: amounts in cents, billed in USD.
pub fn cost_page(body: &str) -> Result<Page, PageError> {
    page_of(body, |r: CostResult, start, end| {
        if let Some(c) = r
            .currency
            .as_deref()
            .filter(|c| !c.eq_ignore_ascii_case("usd"))
        {
            return Err(PageError::Amount(format!(
                "in {}, not USD",
                crate::sanitize::sanitize(c, 10)
            )));
        }
        let mut b = ProviderBucket::new(Provider::Anthropic, Report::Cost, start, end);
        b.billed_usd = Some(r.amount.value()? / 100.0);
        b.project = r.workspace_id;
        b.model = r.model;
        b.service_tier = r.service_tier;
        Ok(b)
    })
}

#[derive(Deserialize)]
struct ClaudeCodeRecord {
    date: String,
    actor: Actor,
    #[serde(default)]
    model_breakdown: Vec<ModelBreakdown>,
}

#[derive(Deserialize)]
struct Actor {
    email_address: Option<String>,
    api_key_name: Option<String>,
}

#[derive(Deserialize)]
struct ModelBreakdown {
    model: Option<String>,
    tokens: ClaudeCodeTokens,
}

#[derive(Deserialize)]
struct ClaudeCodeTokens {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_creation: Option<u64>,
}

/// Parses a page of `/v1/organizations/usage_report/claude_code`: one bucket per actor,
/// day and model, the actor (e-mail or API key name) as the user.
pub fn claude_code_page(body: &str) -> Result<Page, PageError> {
    let env = envelope::<ClaudeCodeRecord>(body)?;
    let mut page = Page {
        has_more: env.has_more,
        next_page: env.next_page,
        ..Page::default()
    };
    for record in env.data {
        // `2026-08-01T00:00:00Z`, or a bare date in older examples.
        let start = crate::timefmt::parse_rfc3339_ms(&record.date)
            .or_else(|| time(&format!("{}T00:00:00Z", record.date)).ok())
            .ok_or_else(|| PageError::Time(crate::sanitize::sanitize(&record.date, 40)))?;
        let user = record.actor.email_address.or(record.actor.api_key_name);
        for m in record.model_breakdown {
            let mut b = ProviderBucket::new(
                Provider::Anthropic,
                Report::ClaudeCode,
                start,
                start + DAY_MS,
            );
            b.tokens.input = m.tokens.input.unwrap_or(0);
            b.tokens.output = m.tokens.output.unwrap_or(0);
            b.tokens.cache_read = m.tokens.cache_read.unwrap_or(0);
            // The analytics report gives no cache lifetime: the API's default, 5 minutes.
            b.tokens.cache_write_5m = m.tokens.cache_creation.unwrap_or(0);
            b.user = user.clone();
            b.model = m.model;
            page.buckets.push(b);
        }
    }
    Ok(page)
}

#[cfg(test)]
#[path = "anthropic_tests.rs"]
mod tests;
