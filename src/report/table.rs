//! The report for people: an aligned table for the terminal, or a Markdown table that
//! pastes into a ticket. Both lay out the same cells; widths are terminal columns, so
//! wide characters (`名前🔥`) keep the columns straight.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

use super::Report;
use super::rows::ReportRow;
use super::sizes;
use crate::engine::tally::Dimension;
use crate::format;
use crate::sanitize::sanitize;

/// Longest key shown, in characters (cut with `…`).
const KEY_CHARS: usize = 60;

const FIGURES: [&str; 8] = [
    "REQUESTS",
    "INPUT",
    "OUTPUT",
    "CACHE WRITE",
    "CACHE READ",
    "TOTAL TOKENS",
    "TOOL CALLS",
    "COST",
];

/// The header, the rows and the totals as text cells: one column per dimension, then
/// the figures.
struct Grid {
    keys: usize,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    total: Vec<String>,
}

fn cost_cell(r: &ReportRow) -> String {
    match r.usage.unpriced_requests {
        0 => format::usd(r.usage.cost_usd),
        n => format!("{} +{n} unpriced", format::usd(r.usage.cost_usd)),
    }
}

fn figures(r: &ReportRow) -> [String; 8] {
    let u = &r.usage;
    [
        format::int(u.requests),
        format::int(u.input),
        format::int(u.output),
        format::int(r.cache_write),
        format::int(u.cache_read),
        format::int(r.total_tokens),
        format::int(u.tool_calls),
        cost_cell(r),
    ]
}

impl Grid {
    /// `percentiles` adds the sizes per request after the figures.
    fn of(report: &Report, percentiles: bool) -> Grid {
        let dims = &report.by.0;
        let mut header: Vec<String> = dims
            .iter()
            .map(|d| d.name().replace('_', " ").to_uppercase())
            .collect();
        header.extend(FIGURES.map(String::from));
        if percentiles {
            header.extend(sizes::HEADS.map(String::from));
        }
        let figures = |r: &ReportRow| -> Vec<String> {
            let mut cells = figures(r).to_vec();
            if percentiles {
                cells.extend(sizes::table_cells(r));
            }
            cells
        };
        let rows = report
            .rows
            .iter()
            .map(|r| {
                let mut cells: Vec<String> = r
                    .keys
                    .0
                    .iter()
                    .map(|(_, v)| sanitize(v, KEY_CHARS))
                    .collect();
                cells.extend(figures(r));
                cells
            })
            .collect();
        let mut total = vec![String::new(); dims.len()];
        if let Some(first) = total.first_mut() {
            *first = "TOTAL".into();
        }
        total.extend(figures(&report.totals));
        Grid {
            keys: dims.len(),
            header,
            rows,
            total,
        }
    }
}

/// What the footer says when rows overlap.
fn overlap_note(report: &Report) -> Option<String> {
    let per_tool: Vec<&str> = report
        .by
        .0
        .iter()
        .filter(|d| d.is_per_tool())
        .map(|d| d.flag())
        .collect();
    (!per_tool.is_empty()).then(|| {
        format!(
            "Rows by {} overlap: a response counts in the row of every {} it called, so they do not sum to the total.",
            per_tool.join(" and "),
            if report.by.0.contains(&Dimension::Tool) { "tool" } else { "MCP server" }
        )
    })
}

pub(super) fn pad(cell: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.width()));
    if right {
        format!("{fill}{cell}")
    } else {
        format!("{cell}{fill}")
    }
}

/// The table form: the same numbers as the JSON, then the sources.
pub fn write_table(report: &Report, percentiles: bool, out: &mut dyn Write) -> std::io::Result<()> {
    let grid = Grid::of(report, percentiles);
    let mut widths = vec![0; grid.header.len()];
    for row in std::iter::once(&grid.header)
        .chain(&grid.rows)
        .chain(std::iter::once(&grid.total))
    {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let line = |row: &[String]| -> String {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (cell, &w))| pad(cell, w, i >= grid.keys))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(&grid.header))?;
    for row in &grid.rows {
        writeln!(out, "{}", line(row))?;
    }
    let rule = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    writeln!(out, "{}", "-".repeat(rule))?;
    writeln!(out, "{}", line(&grid.total))?;
    if let Some(note) = overlap_note(report) {
        writeln!(out, "{note}")?;
    }
    writeln!(out)?;
    for s in &report.sources {
        let mut line = format!(
            "source {}: {}, {}, {}",
            sanitize(&s.path, 200),
            format::count(s.files as u64, "file", "files"),
            format::count(s.lines, "line", "lines"),
            format::count(s.events, "event", "events"),
        );
        for (reason, r) in &s.rejected {
            line.push_str(&format!(", {} {}", r.count, reason.label()));
        }
        if let Some(e) = &s.last_error {
            line.push_str(&format!("; error: {}", sanitize(e, 300)));
        }
        writeln!(out, "{line}")?;
    }
    for p in &report.providers {
        writeln!(out, "{}", provider_line(p))?;
    }
    if let Some(r) = &report.reconciliation {
        super::reconcile::write_section(r, out)?;
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

/// A provider's ledger on one line, apart from the log totals above.
fn provider_line(p: &super::providers::ProviderReport) -> String {
    let u = &p.usage;
    let mut line = format!(
        "provider {}: input {}, cache read {}, cache write {}, output {}",
        p.provider.name(),
        format::int(u.input),
        format::int(u.cache_read),
        format::int(u.cache_write_5m + u.cache_write_1h),
        format::int(u.output),
    );
    if let Some(n) = u.requests {
        line.push_str(&format!(", {}", format::count(n, "request", "requests")));
    }
    if let Some(billed) = p.billed_cost_usd {
        line.push_str(&format!(", billed {}", format::usd(billed)));
    }
    line.push_str(&format!(
        ", estimated {}",
        format::usd(p.estimated_cost_usd)
    ));
    if p.unpriced_rows > 0 {
        line.push_str(&format!(
            " (+{} unpriced)",
            format::count(p.unpriced_rows, "row", "rows")
        ));
    }
    if let Some(e) = &p.health.last_error {
        line.push_str(&format!("; error: {}", sanitize(e, 300)));
    }
    line
}

/// A Markdown cell: pipes escaped, so a key cannot open a column.
pub(super) fn md(cell: &str) -> String {
    cell.replace('\\', "\\\\").replace('|', "\\|")
}

/// The Markdown form: a GitHub-flavoured table (figures right-aligned), the totals in
/// bold, and the overlap note under it.
pub fn write_markdown(
    report: &Report,
    percentiles: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let grid = Grid::of(report, percentiles);
    let row = |cells: &[String]| {
        format!(
            "| {} |",
            cells.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
        )
    };
    writeln!(out, "{}", row(&grid.header))?;
    let align: Vec<String> = (0..grid.header.len())
        .map(|i| if i < grid.keys { "---" } else { "---:" }.to_string())
        .collect();
    writeln!(out, "| {} |", align.join(" | "))?;
    for cells in &grid.rows {
        writeln!(out, "{}", row(cells))?;
    }
    let total: Vec<String> = grid
        .total
        .iter()
        .map(|c| {
            if c.is_empty() {
                String::new()
            } else {
                format!("**{c}**")
            }
        })
        .collect();
    writeln!(out, "{}", row(&total))?;
    if let Some(note) = overlap_note(report) {
        writeln!(out, "\n{note}")?;
    }
    Ok(())
}
