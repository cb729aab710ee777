//! `tokentop incident`: one identity over a window, written down for whoever asks after the
//! fact ("was this burst legitimate automation or token misuse?"). The logs are read again
//! as `report` reads them, with the seven days before the window for the alerts' warm-up
//! and the identity's usual rate, and fed to the engine in event time, a minute at a time,
//! so that its alerts come out as they did live. The window's numbers come from the same
//! tally as `report --identity NAME --since T --until T`: they are that report's numbers.

mod files;
mod lines;
mod markdown;
mod parts;

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::config::Config;
use crate::engine::Engine;
use crate::engine::mapping::Pattern;
use crate::engine::responses::Responses;
use crate::engine::tally::{Dimension, Filter, Sum, Tally};
use crate::event::{Event, TimeMs};
use crate::pricing::PriceTable;
use crate::report::{Keys, ReportRow, ensure_read, read_events};
use crate::secrets::Scanner;
use crate::source::discover::SourceSpec;
use crate::source::origin::Origins;
use crate::usage::usage_error;

pub use self::files::{file_stem, write_files};
pub use self::parts::{
    AlertLine, Baseline, BudgetLine, MinuteLine, ModelLine, Place, RequestLine, SecretLine,
    SourceLine, ToolLine,
};

/// Requests listed by cost.
pub const COSTLIEST: usize = 20;
/// How far before the window the logs are read: the usual rate is the rate over it, and
/// the burst detector warms up in it.
pub const BASELINE_MS: TimeMs = 7 * 24 * HOUR_MS;
const MINUTE_MS: TimeMs = 60_000;
const HOUR_MS: TimeMs = 60 * MINUTE_MS;
/// Quiet minutes the clock steps through one by one between events (alert episodes end
/// after ten); past these it jumps to the next event.
const STEPPED_MINUTES: i64 = 15;

/// What one incident report reads and is about, resolved from the command line at the edge.
#[derive(Debug)]
pub struct IncidentRequest {
    pub specs: Vec<SourceSpec>,
    pub config: Config,
    pub tz: TimeZone,
    pub prices: Arc<PriceTable>,
    /// The identity's `report` key (the name `report --by identity` rows show, or a raw one).
    pub identity: String,
    /// The window: events in `[since, until)`.
    pub range: (Option<TimeMs>, Option<TimeMs>),
    /// Scans the records for secrets (`None`: no scan).
    pub scanner: Option<Arc<Scanner>>,
}

/// The report, as its JSON prints it; the Markdown says the same.
#[derive(Debug, Serialize)]
pub struct Incident {
    /// The identity's key, as `report` names it.
    pub identity: String,
    /// A Claude Code project's path beside its folder's dashed name.
    pub display: Option<String>,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    pub time_zone: String,
    /// `--since` and `--until` as given (RFC 3339, UTC), `None` when open.
    pub since: Option<String>,
    pub until: Option<String>,
    /// The window as reported: `--since` (else the identity's first minute in the logs) to
    /// `--until` (else when the report was made).
    pub start: String,
    pub end: String,
    /// Requests, tokens by class, tool calls and `cost_usd` over the window: the totals of
    /// `report --identity NAME --since T --until T`.
    pub totals: ReportRow,
    /// The window's spend per hour.
    pub cost_per_hour: f64,
    /// The identity's usual rate before the window (`None`: no record of it there).
    pub baseline: Option<Baseline>,
    /// Minutes with a request or a tool call, oldest first.
    pub timeline: Vec<MinuteLine>,
    pub alerts: Vec<AlertLine>,
    pub tools: Vec<ToolLine>,
    pub models: Vec<ModelLine>,
    pub budgets: Vec<BudgetLine>,
    pub costliest: Vec<RequestLine>,
    /// Distinct secrets by type.
    pub secret_types: BTreeMap<String, u64>,
    pub secrets: Vec<SecretLine>,
    pub sources: Vec<SourceLine>,
    #[serde(skip)]
    tz: TimeZone,
    #[serde(skip)]
    window: (TimeMs, TimeMs),
}

impl Incident {
    /// The JSON document written to the `.json` file.
    pub fn to_json(&self) -> anyhow::Result<String> {
        Ok(crate::sanitize::json_safe(serde_json::to_string_pretty(
            self,
        )?))
    }

    /// The Markdown document written to the `.md` file.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }
}

/// Reads the request's sources at `now` (the wall clock, also the time the report says it
/// was made) and writes the identity's window down.
pub fn build(request: IncidentRequest, now: TimeMs) -> anyhow::Result<Incident> {
    let IncidentRequest {
        specs,
        config,
        tz,
        prices,
        identity,
        range: (since, until),
        scanner,
    } = request;
    let filter = Filter {
        identities: vec![Pattern::new(&identity)],
        models: Vec::new(),
        from: since,
    };
    let mut engine = Engine::with_config(prices, tz.clone(), &config);
    let dims = vec![Dimension::Identity, Dimension::Minute, Dimension::Model];
    engine.keep_tally(Tally::new(dims, filter.clone(), tz.clone()));
    engine.keep_responses(Responses::new(filter, since, COSTLIEST));
    let origins = Origins::default();
    let mut events = Vec::new();
    let read_from = since.map(|s| s.saturating_sub(BASELINE_MS));
    let sources = read_events(
        specs,
        scanner,
        origins.clone(),
        (read_from, until),
        now,
        &mut |e| events.push(e),
    );
    ensure_read(&sources)?;
    feed(&mut engine, events, until.unwrap_or(now));
    let tally = engine.tally().context("the incident's tally")?;
    let name = the_identity(tally, &identity, since, until)?;
    let first_minute = first_minute(tally, &tz);
    let window = (since.or(first_minute).unwrap_or(now), until.unwrap_or(now));
    let snapshot = engine.snapshot(Some(&name));
    // Every alert about the identity, findings included (the identity view lists those
    // apart from its alerts).
    let alerts: Vec<_> = snapshot
        .alerts
        .iter()
        .filter(|a| a.concerns(&name))
        .cloned()
        .collect();
    let detail = snapshot
        .detail
        .with_context(|| format!("identity {name} is not in the engine"))?;
    let totals = ReportRow::new(Keys::default(), &tally.total(), None);
    let hours = ((window.1 - window.0).max(MINUTE_MS)) as f64 / HOUR_MS as f64;
    let parts = parts::Parts {
        engine: &engine,
        name: &name,
        window,
        origins: &origins,
    };
    Ok(Incident {
        display: detail.row.display.clone(),
        generated_at: crate::timefmt::format_rfc3339_ms(now),
        time_zone: tz.iana_name().unwrap_or("UTC").to_string(),
        since: since.map(crate::timefmt::format_rfc3339_ms),
        until: until.map(crate::timefmt::format_rfc3339_ms),
        start: crate::timefmt::format_rfc3339_ms(window.0),
        end: crate::timefmt::format_rfc3339_ms(window.1),
        cost_per_hour: crate::format::micro_usd(totals.usage.cost_usd / hours),
        baseline: since.and_then(|since| parts.baseline(since)),
        timeline: parts::timeline(tally),
        alerts: parts.alerts(&alerts),
        tools: parts.tools(&detail.tools, &alerts),
        models: parts::models(tally),
        budgets: parts.budgets(),
        costliest: parts.costliest(),
        secret_types: parts.secret_types(),
        secrets: parts.secrets(),
        sources: sources.iter().map(SourceLine::of).collect(),
        totals,
        identity: name,
        tz,
        window,
    })
}

/// Ingests `events` in event time, moving the clock to each event's minute first, then to
/// `end`: the engine sees the history as it would have live, bursts and episodes included.
fn feed(engine: &mut Engine, mut events: Vec<Event>, end: TimeMs) {
    events.sort_by_key(|e| e.time);
    let mut clock: Option<TimeMs> = None;
    for event in events {
        let minute = event.time.div_euclid(MINUTE_MS) * MINUTE_MS;
        if clock.is_none_or(|c| minute > c) {
            step(engine, clock, minute);
            clock = Some(minute);
        }
        engine.ingest(&event);
    }
    step(engine, clock, end.max(clock.unwrap_or(end)));
    engine.finish();
}

/// Moves the clock from `from` to `to` through the quiet minutes between, one by one up to
/// [`STEPPED_MINUTES`] (alerts end after quiet minutes, seen a minute at a time), then at once.
fn step(engine: &mut Engine, from: Option<TimeMs>, to: TimeMs) {
    if let Some(mut at) = from {
        for _ in 0..STEPPED_MINUTES {
            at += MINUTE_MS;
            if at >= to {
                break;
            }
            engine.advance(at);
        }
    }
    engine.advance(to);
}

/// The one identity `wanted` names in the window, by its key; none or several is an error
/// that says what to do.
fn the_identity(
    tally: &Tally,
    wanted: &str,
    since: Option<TimeMs>,
    until: Option<TimeMs>,
) -> anyhow::Result<String> {
    let mut names: Vec<&str> = tally.rows().map(|(values, _)| values[0]).collect();
    names.sort_unstable();
    names.dedup();
    let range = match (since, until) {
        (None, None) => "in the logs read".to_string(),
        (s, u) => format!(
            "between {} and {}",
            s.map_or("the start".into(), crate::timefmt::format_rfc3339_ms),
            u.map_or("now".into(), crate::timefmt::format_rfc3339_ms)
        ),
    };
    match names.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(usage_error(format!(
            "no request or tool call of identity {wanted:?} {range}: `tokentop report --by identity` with the same --since/--until lists the names to give"
        ))),
        many => Err(usage_error(format!(
            "--identity {wanted:?} matches {} identities {range} ({}): give one of them",
            many.len(),
            many.join(", ")
        ))),
    }
}

/// The first minute the tally counts, as a time.
fn first_minute(tally: &Tally, tz: &TimeZone) -> Option<TimeMs> {
    tally
        .rows()
        .map(|(values, _)| values[1])
        .min()
        .and_then(|m| minute_time(m, tz))
}

/// A tally minute (`2026-01-01 12:05` in `tz`) as a time.
fn minute_time(minute: &str, tz: &TimeZone) -> Option<TimeMs> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", minute).ok()?;
    Some(
        civil
            .to_zoned_datetime(tz.clone())
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

/// A sum's usage with its cost in dollars, as report rows print it.
fn usage_of(sum: &Sum) -> crate::engine::usage::Usage {
    crate::engine::usage::Usage {
        cost_usd: sum.cost_usd(),
        ..sum.usage
    }
}
