//! Goose: rows of `sessions.db`, each handed over as a JSON object of its columns (the
//! source reads them; older schemas lack some columns, which are then absent).
//!
//! Newer schemas keep a per-request ledger (`usage_ledger`): one event per row. Without
//! it, only the session's running totals exist (`accumulated_*`, else the plain counts):
//! each read of a session is a snapshot that replaces the one before, so [`State`] turns
//! it into what grew since the previous snapshot, stamped when the session was updated,
//! with the snapshot as the event's `cumulative` total (the engine counts a session's
//! growth once, whatever is read twice). Input counts are taken to include the cache (as
//! Goose sums them); one below its cache counts is taken as the uncached part.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

use super::{Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, Running, TimeMs, Tokens,
    agent_identity,
};
use crate::timefmt::parse_rfc3339_ms;

/// The label usage of an unknown folder is shown under.
const LABEL: &str = "goose";
/// The model of a session whose config names none: unpriced, never guessed.
const UNKNOWN_MODEL: &str = "unknown";

/// One `sessions` row (columns as named in Goose's schema).
#[derive(Deserialize)]
struct SessionRow<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    working_dir: Option<Cow<'a, str>>,
    created_at: Option<Stamp<'a>>,
    updated_at: Option<Stamp<'a>>,
    #[serde(borrow)]
    provider_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model_config_json: Option<Cow<'a, str>>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    accumulated_input_tokens: Option<u64>,
    accumulated_output_tokens: Option<u64>,
    accumulated_total_tokens: Option<u64>,
    accumulated_cache_read_tokens: Option<u64>,
    accumulated_cache_write_tokens: Option<u64>,
    accumulated_cost: Option<f64>,
}

/// One `usage_ledger` row, with its session's folder and provider joined in.
#[derive(Deserialize)]
struct LedgerRow<'a> {
    id: Option<i64>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    created_timestamp: Option<Stamp<'a>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    total_tokens: Option<u64>,
    cache_read_tokens: Option<u64>,
    cache_write_tokens: Option<u64>,
    cost: Option<f64>,
    #[serde(borrow)]
    working_dir: Option<Cow<'a, str>>,
    #[serde(borrow)]
    provider_name: Option<Cow<'a, str>>,
}

/// A time as SQLite keeps it: `CURRENT_TIMESTAMP` text (UTC), RFC 3339, or epoch seconds.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stamp<'a> {
    Seconds(f64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl Stamp<'_> {
    fn ms(&self) -> Option<TimeMs> {
        match self {
            Stamp::Seconds(s) if s.is_finite() && (0.0..9.0e12).contains(s) => {
                Some((s * 1000.0) as TimeMs)
            }
            Stamp::Seconds(_) => None,
            Stamp::Text(text) => parse_rfc3339_ms(text).or_else(|| sqlite_utc(text)),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, as SQLite's `CURRENT_TIMESTAMP` writes it.
fn sqlite_utc(text: &str) -> Option<TimeMs> {
    let (date, time) = text.trim().split_once(' ')?;
    parse_rfc3339_ms(&format!("{date}T{time}Z"))
}

#[derive(Deserialize)]
struct ModelConfig<'a> {
    #[serde(borrow)]
    model_name: Option<Cow<'a, str>>,
}

/// A session's last snapshot: its counters as read and its cost.
#[derive(Clone, Copy, Debug, Default)]
struct Last {
    raw: Raw,
    cost: f64,
}

/// Counts as Goose gives them: input with its cache, total with any reasoning.
#[derive(Clone, Copy, Debug, Default)]
struct Raw {
    input: u64,
    output: u64,
    total: Option<u64>,
    cache_read: u64,
    cache_write: u64,
}

impl Raw {
    fn tokens(&self) -> Tokens {
        let cache = self.cache_read.saturating_add(self.cache_write);
        let input = if self.input >= cache {
            self.input - cache
        } else {
            self.input
        };
        // What the total holds beyond input and output is reasoning, billed as output.
        let reasoning = self.total.map_or(0, |t| {
            t.saturating_sub(self.input.saturating_add(self.output))
        });
        Tokens {
            input,
            cache_read: self.cache_read,
            cache_write_5m: self.cache_write,
            cache_write_1h: 0,
            output: self.output.saturating_add(reasoning),
            reasoning,
        }
    }
}

/// The latest snapshot of each session read, in one database.
#[derive(Debug, Default)]
pub struct State {
    last: HashMap<String, Last>,
    /// What names the database (its path): Goose's session ids are a day and a number,
    /// so another database holds the same ids for other sessions.
    database: String,
}

impl State {
    /// The sessions of the database named `database` (its path).
    pub fn in_database(database: &str) -> Self {
        State {
            database: database.to_string(),
            ..State::default()
        }
    }

    /// A `sessions` row (JSON object of its columns): what grew since the session's last
    /// snapshot, [`Parsed::NoUsage`] if nothing did.
    pub fn session(&mut self, row: &str, read_time: TimeMs) -> Parsed {
        let row: SessionRow = match serde_json::from_str(row) {
            Ok(r) => r,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let Some(id) = row.id.as_deref().filter(|id| !id.is_empty()) else {
            return Parsed::Rejected(RejectReason::MissingField);
        };
        let accumulated =
            row.accumulated_input_tokens.is_some() || row.accumulated_output_tokens.is_some();
        let raw = if accumulated {
            Raw {
                input: row.accumulated_input_tokens.unwrap_or(0),
                output: row.accumulated_output_tokens.unwrap_or(0),
                total: row.accumulated_total_tokens,
                cache_read: row.accumulated_cache_read_tokens.unwrap_or(0),
                cache_write: row.accumulated_cache_write_tokens.unwrap_or(0),
            }
        } else {
            Raw {
                input: row.input_tokens.unwrap_or(0),
                output: row.output_tokens.unwrap_or(0),
                total: row.total_tokens,
                cache_read: 0,
                cache_write: 0,
            }
        };
        let cost = row.accumulated_cost.unwrap_or(0.0);
        if !cost.is_finite() || cost < 0.0 {
            return Parsed::Rejected(RejectReason::InvalidField);
        }
        let total = raw.tokens();
        let Last {
            raw: before_raw,
            cost: cost_before,
        } = self.last.get(id).copied().unwrap_or_default();
        let before = before_raw.tokens();
        // A column below the last snapshot's: the counters were reset, all of it is new.
        // A class made by subtraction (input less the cache) may dip while every column
        // grows: that is growth, not a reset.
        let reset = [
            (raw.input, before_raw.input),
            (raw.output, before_raw.output),
            (raw.cache_read, before_raw.cache_read),
            (raw.cache_write, before_raw.cache_write),
        ]
        .iter()
        .any(|(now, was)| now < was);
        let (tokens, cost_grew) = if reset || cost < cost_before {
            (total, cost)
        } else {
            let grew = total.zip_with(&before, u64::saturating_sub);
            let reasoning = grew.reasoning.min(grew.output);
            (Tokens { reasoning, ..grew }, cost - cost_before)
        };
        if tokens == Tokens::default() && cost_grew == 0.0 {
            return Parsed::NoUsage;
        }
        self.last.insert(id.to_string(), Last { raw, cost });
        let model = row
            .model_config_json
            .as_deref()
            .and_then(|c| serde_json::from_str::<ModelConfig>(c).ok())
            .and_then(|c| c.model_name.map(Cow::into_owned))
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| UNKNOWN_MODEL.to_string());
        let time = [&row.updated_at, &row.created_at]
            .into_iter()
            .flatten()
            .find_map(Stamp::ms);
        let mut event = event(
            row.working_dir.as_deref(),
            row.provider_name.as_deref(),
            model,
            tokens,
            (time, read_time),
        );
        event.attrs.session = Some(id.to_string());
        event.cumulative = Some(Running {
            series: DedupKey::of(&["goose:", &self.database, "\0", id]),
            total,
        });
        event.record_cost_usd = (cost_grew > 0.0).then_some(cost_grew);
        Parsed::Event(Box::new(event))
    }
}

/// A `usage_ledger` row (JSON object of its columns, with `working_dir` and
/// `provider_name` of its session): one request.
pub fn ledger(row: &str, read_time: TimeMs) -> Parsed {
    let row: LedgerRow = match serde_json::from_str(row) {
        Ok(r) => r,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    let Some(id) = row.id else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let raw = Raw {
        input: row.input_tokens.unwrap_or(0),
        output: row.output_tokens.unwrap_or(0),
        total: row.total_tokens,
        cache_read: row.cache_read_tokens.unwrap_or(0),
        cache_write: row.cache_write_tokens.unwrap_or(0),
    };
    let model = row
        .model
        .as_deref()
        .filter(|m| !m.is_empty())
        .unwrap_or(UNKNOWN_MODEL)
        .to_string();
    let time = row.created_timestamp.as_ref().and_then(Stamp::ms);
    let mut event = event(
        row.working_dir.as_deref(),
        row.provider_name.as_deref(),
        model,
        raw.tokens(),
        (time, read_time),
    );
    let session = row.session_id.as_deref().unwrap_or("");
    event.dedup_key = Some(DedupKey::of(&[
        "goose-ledger:",
        session,
        ":",
        &id.to_string(),
    ]));
    event.attrs.session = row.session_id.map(Cow::into_owned);
    // Own cost wins when positive.
    event.record_cost_usd = row.cost.filter(|c| *c != 0.0);
    Parsed::Event(Box::new(event))
}

fn event(
    dir: Option<&str>,
    provider: Option<&str>,
    model: String,
    tokens: Tokens,
    (time, read_time): (Option<TimeMs>, TimeMs),
) -> Event {
    let project = dir.filter(|d| !d.is_empty()).map(str::to_string);
    Event {
        time: time.unwrap_or(read_time),
        identity: agent_identity(LABEL, project.as_deref()),
        identity_kind: IdentityKind::Agent,
        attrs: IdentityAttrs {
            project,
            ..IdentityAttrs::default()
        },
        format: Format::Goose,
        provider: provider
            .filter(|p| !p.is_empty())
            .unwrap_or(LABEL)
            .to_string(),
        model,
        kind: Kind::Completion,
        tokens,
        tools: Vec::new(),
        dedup_key: None,
        latency_ms: None,
        record_cost_usd: None,
        cumulative: None,
        flags: Flags {
            final_copy: true,
            time_from_read: time.is_none(),
            ..Flags::default()
        },
        origin: None,
        line: None,
        secrets: None,
    }
}

#[cfg(test)]
#[path = "goose_tests.rs"]
mod tests;
