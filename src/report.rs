//! `tokentop report`: read everything, print totals (table or JSON), exit.

use std::io::Write;
use std::sync::Arc;

use anyhow::bail;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::config::Config;
use crate::engine::budget::BudgetState;
use crate::engine::usage::Usage;
use crate::engine::{Engine, GroupRow, IngestStats, ModelPricing, Snapshot};
use crate::event::{Event, TimeMs};
use crate::format;
use crate::pricing::PriceTable;
use crate::source::discover::SourceSpec;
use crate::source::follow::Follower;
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::source::stdin;

/// What one report reads and how it groups it, resolved from the command line at the edge.
#[derive(Debug)]
pub struct ReportRequest {
    pub specs: Vec<SourceSpec>,
    pub config: Config,
    pub tz: TimeZone,
    pub prices: Arc<PriceTable>,
    /// Events in `[since, until)`.
    pub range: (Option<TimeMs>, Option<TimeMs>),
    pub by: GroupBy,
}

/// What a report has one row per.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Identity,
    Model,
    Day,
}

/// Usage of one group with the derived totals spelled out.
#[derive(Debug, Serialize)]
pub struct ReportRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(flatten)]
    pub usage: Usage,
    pub cache_write: u64,
    pub total_tokens: u64,
    /// Rows by model: `price_key`, the price table entry, and `unpriced_reason`.
    #[serde(flatten)]
    pub pricing: Option<ModelPricing>,
}

impl ReportRow {
    fn new(key: Option<String>, usage: Usage, pricing: Option<ModelPricing>) -> Self {
        ReportRow {
            key,
            cache_write: usage.cache_write(),
            total_tokens: usage.total_tokens(),
            usage,
            pricing,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub by: GroupBy,
    pub time_zone: String,
    pub since: Option<String>,
    pub until: Option<String>,
    pub totals: ReportRow,
    pub rows: Vec<ReportRow>,
    /// The config's budgets at the time of the report (left out when there are none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<BudgetState>,
    pub sources: Vec<SourceHealth>,
    pub ingest: IngestStats,
}

/// Reads every source once into a fresh engine with no config.
pub fn read_all(
    specs: Vec<SourceSpec>,
    prices: Arc<PriceTable>,
    tz: TimeZone,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
) -> (Engine, Vec<SourceHealth>) {
    let mut engine = Engine::new(prices, tz);
    let health = read_into(&mut engine, specs, range, now, now);
    (engine, health)
}

/// Reads every source once into `engine`, keeping events in `[since, until)`, and moves
/// its clock to `at`. Records are read at `now`, the wall clock: one stamped more than a
/// day ahead of it is rejected as `future_time`, while one after an earlier `at` (`check
/// --at`) is only outside the range.
pub fn read_into(
    engine: &mut Engine,
    specs: Vec<SourceSpec>,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
    at: TimeMs,
) -> Vec<SourceHealth> {
    let (since, until) = range;
    // The clock first, as live: a record stamped ahead of it is clamped and counted.
    engine.advance(at);
    let mut ingest = |event: Event| {
        let after_start = since.is_none_or(|s| event.time >= s);
        let before_end = until.is_none_or(|u| event.time < u);
        if after_start && before_end {
            engine.ingest(&event);
        }
    };
    let streams: Vec<SourceSpec> = specs.iter().filter(|s| s.is_stream()).cloned().collect();
    // Reports show no raw records: the registry is filled and dropped.
    let mut follower = Follower::new(specs, Origins::default());
    follower.rescan(now, &mut ingest);
    follower.poll(now, &mut ingest);
    follower.finish(now, &mut ingest);
    let mut health = follower.health();
    for spec in &streams {
        health.push(stdin::read_spec(spec, false, &|| now, |events, _| {
            events.into_iter().for_each(&mut ingest);
            true
        }));
    }
    engine.advance(at);
    engine.finish();
    health
}

/// Fails, saying why for each source, when not one file or byte could be read.
pub fn ensure_read(sources: &[SourceHealth]) -> anyhow::Result<()> {
    if sources.iter().all(|s| s.files == 0 && s.bytes == 0) {
        let reasons: Vec<String> = sources
            .iter()
            .map(|s| {
                s.last_error
                    .clone()
                    .unwrap_or_else(|| format!("{}: no .jsonl or .ndjson files found", s.path))
            })
            .collect();
        bail!("nothing could be read:\n  {}", reasons.join("\n  "));
    }
    Ok(())
}

/// Warns on `err` about every source that could not be read in full: the totals leave
/// out what it could not read.
pub fn warn_unread(sources: &[SourceHealth], err: &mut dyn Write) -> std::io::Result<()> {
    for s in sources {
        if let Some(e) = &s.last_error {
            let e = crate::sanitize::sanitize(e, 300);
            writeln!(err, "tokentop: warning: not everything could be read: {e}")?;
        }
    }
    Ok(())
}

fn rows(snapshot: &Snapshot, by: GroupBy) -> Vec<ReportRow> {
    let groups: Vec<GroupRow> = match by {
        GroupBy::Model => snapshot.by_model.clone(),
        GroupBy::Day => snapshot.by_day.clone(),
        GroupBy::Identity => {
            let mut rows: Vec<GroupRow> = snapshot
                .identities
                .iter()
                .map(|r| GroupRow {
                    key: r.name.clone(),
                    usage: r.totals,
                    pricing: None,
                })
                .collect();
            GroupRow::sort_by_cost(&mut rows);
            rows
        }
    };
    groups
        .into_iter()
        .map(|g| ReportRow::new(Some(g.key), g.usage, g.pricing))
        .collect()
}

/// Reads the request's sources at `now` into an engine with its config, and totals them.
pub fn build(request: ReportRequest, now: TimeMs) -> anyhow::Result<Report> {
    let ReportRequest {
        specs,
        config,
        tz,
        prices,
        range,
        by,
    } = request;
    let (since, until) = range;
    let mut engine = Engine::with_config(prices, tz, &config);
    let sources = read_into(&mut engine, specs, range, now, now);
    ensure_read(&sources)?;
    let snapshot = engine.snapshot(None);
    Ok(Report {
        by,
        time_zone: snapshot.time_zone.clone(),
        since: since.map(crate::timefmt::format_rfc3339_ms),
        until: until.map(crate::timefmt::format_rfc3339_ms),
        totals: ReportRow::new(None, snapshot.totals, None),
        rows: rows(&snapshot, by),
        budgets: snapshot.budgets,
        sources,
        ingest: snapshot.ingest,
    })
}

fn cost_cell(u: &Usage) -> String {
    match u.unpriced_requests {
        0 => format::usd(u.cost_usd),
        n => format!("{} +{n} unpriced", format::usd(u.cost_usd)),
    }
}

/// The table form: the same numbers as the JSON.
pub fn write_table(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let head = match report.by {
        GroupBy::Identity => "IDENTITY",
        GroupBy::Model => "MODEL",
        GroupBy::Day => "DAY",
    };
    let cells = |key: &str, r: &ReportRow| -> [String; 8] {
        let u = &r.usage;
        [
            key.to_string(),
            format::int(u.requests),
            format::int(u.input),
            format::int(u.output),
            format::int(r.cache_write),
            format::int(u.cache_read),
            format::int(r.total_tokens),
            cost_cell(u),
        ]
    };
    let header = [
        head,
        "REQUESTS",
        "INPUT",
        "OUTPUT",
        "CACHE WRITE",
        "CACHE READ",
        "TOTAL TOKENS",
        "COST",
    ]
    .map(String::from);
    let mut table: Vec<[String; 8]> = vec![header];
    table.extend(report.rows.iter().map(|r| {
        cells(
            &crate::sanitize::sanitize(r.key.as_deref().unwrap_or(""), 60),
            r,
        )
    }));
    table.push(cells("TOTAL", &report.totals));
    let mut widths = [0; 8];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in table.iter().enumerate() {
        if i + 1 == table.len() {
            writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * 7))?;
        }
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (cell, w) in row.iter().zip(widths).skip(1) {
            line.push_str(&format!("  {cell:>w$}"));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out)?;
    for s in &report.sources {
        let mut line = format!(
            "source {}: {} files, {} lines, {} events",
            crate::sanitize::sanitize(&s.path, 200),
            s.files,
            format::int(s.lines),
            format::int(s.events)
        );
        for (reason, r) in &s.rejected {
            line.push_str(&format!(", {} {}", r.count, reason.label()));
        }
        if let Some(e) = &s.last_error {
            line.push_str(&format!("; error: {}", crate::sanitize::sanitize(e, 300)));
        }
        writeln!(out, "{line}")?;
    }
    // What the engine, not a source, set apart.
    let ingest = &report.ingest;
    if ingest.future > 0 || ingest.implausible > 0 {
        writeln!(
            out,
            "all sources: {} ahead of the clock (counted at it), {} implausible at their price (left out)",
            format::int(ingest.future),
            format::int(ingest.implausible)
        )?;
    }
    Ok(())
}
