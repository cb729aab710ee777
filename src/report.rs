//! `tokentop report`: read everything, print totals (table or JSON), exit.

use std::io::Write;
use std::sync::Arc;

use anyhow::bail;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::config::Config;
use crate::engine::budget::BudgetState;
use crate::engine::snapshot::{QuantileSummary, RangeDetail, RequestSummary};
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
    /// The priced cost by token class, summing to `cost_usd` (rows by identity and by
    /// model, and the totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd_by_class: Option<crate::pricing::ClassCost>,
    /// Sizes per request over the report's range (rows by identity, and the totals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_request: Option<RequestSummary>,
}

impl ReportRow {
    fn new(key: Option<String>, group: GroupRow, range: Option<RangeDetail>) -> Self {
        let usage = group.usage;
        ReportRow {
            key,
            cache_write: usage.cache_write(),
            total_tokens: usage.total_tokens(),
            usage,
            pricing: group.pricing,
            cost_usd_by_class: group
                .cost_usd_by_class
                .or(range.map(|r| r.cost_usd_by_class)),
            per_request: range.map(|r| r.per_request),
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
    let groups: Vec<(GroupRow, Option<RangeDetail>)> = match by {
        GroupBy::Model => snapshot
            .by_model
            .iter()
            .map(|g| (g.clone(), None))
            .collect(),
        GroupBy::Day => snapshot.by_day.iter().map(|g| (g.clone(), None)).collect(),
        GroupBy::Identity => {
            let mut rows: Vec<(GroupRow, Option<RangeDetail>)> = snapshot
                .identities
                .iter()
                .map(|r| {
                    let group = GroupRow {
                        key: r.name.clone(),
                        usage: r.totals,
                        pricing: None,
                        cost_usd_by_class: None,
                    };
                    (group, r.range)
                })
                .collect();
            rows.sort_by(|a, b| GroupRow::by_cost(&a.0, &b.0));
            rows
        }
    };
    groups
        .into_iter()
        .map(|(g, range)| ReportRow::new(Some(g.key.clone()), g, range))
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
    engine.keep_whole_range();
    let sources = read_into(&mut engine, specs, range, now, now);
    ensure_read(&sources)?;
    let snapshot = engine.snapshot(None);
    Ok(Report {
        by,
        time_zone: snapshot.time_zone.clone(),
        since: since.map(crate::timefmt::format_rfc3339_ms),
        until: until.map(crate::timefmt::format_rfc3339_ms),
        totals: ReportRow::new(
            None,
            GroupRow {
                key: String::new(),
                usage: snapshot.totals,
                pricing: None,
                cost_usd_by_class: None,
            },
            snapshot.range,
        ),
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

/// The `--percentiles` columns: p50, p90, p99 and max per request of each size.
const PERCENTILE_HEADS: [&str; 16] = [
    "IN P50",
    "IN P90",
    "IN P99",
    "IN MAX",
    "OUT P50",
    "OUT P90",
    "OUT P99",
    "OUT MAX",
    "TOOLS P50",
    "TOOLS P90",
    "TOOLS P99",
    "TOOLS MAX",
    "MS P50",
    "MS P90",
    "MS P99",
    "MS MAX",
];

/// The `--percentiles` cells of a row: `-` where the row has no sizes (rows by model or
/// day) or no request logged that size.
fn percentile_cells(r: &ReportRow) -> Vec<String> {
    let sizes = r
        .per_request
        .map(|p| [p.input, p.output, p.tool_calls, p.latency_ms]);
    sizes
        .unwrap_or_default()
        .iter()
        .flat_map(|q: &Option<QuantileSummary>| match q {
            Some(q) => [q.p50, q.p90, q.p99, q.max].map(format::int),
            None => std::array::from_fn(|_| "-".to_string()),
        })
        .collect()
}

/// The table form: the same numbers as the JSON; `percentiles` adds the sizes per request.
pub fn write_table(report: &Report, percentiles: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let head = match report.by {
        GroupBy::Identity => "IDENTITY",
        GroupBy::Model => "MODEL",
        GroupBy::Day => "DAY",
    };
    let cells = |key: &str, r: &ReportRow| -> Vec<String> {
        let u = &r.usage;
        let mut cells = vec![
            key.to_string(),
            format::int(u.requests),
            format::int(u.input),
            format::int(u.output),
            format::int(r.cache_write),
            format::int(u.cache_read),
            format::int(r.total_tokens),
            cost_cell(u),
        ];
        if percentiles {
            cells.extend(percentile_cells(r));
        }
        cells
    };
    let mut header: Vec<String> = [
        head,
        "REQUESTS",
        "INPUT",
        "OUTPUT",
        "CACHE WRITE",
        "CACHE READ",
        "TOTAL TOKENS",
        "COST",
    ]
    .map(String::from)
    .to_vec();
    if percentiles {
        header.extend(PERCENTILE_HEADS.map(String::from));
    }
    let mut table: Vec<Vec<String>> = vec![header];
    table.extend(report.rows.iter().map(|r| {
        cells(
            &crate::sanitize::sanitize(r.key.as_deref().unwrap_or(""), 60),
            r,
        )
    }));
    table.push(cells("TOTAL", &report.totals));
    let mut widths = vec![0; table[0].len()];
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    for (i, row) in table.iter().enumerate() {
        if i + 1 == table.len() {
            writeln!(out, "{}", "-".repeat(rule))?;
        }
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (cell, &w) in row.iter().zip(&widths).skip(1) {
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
