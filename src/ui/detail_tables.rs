//! The tables of the identity view: request sizes, models, kinds of call, tools and the
//! latest requests.

use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use crate::engine::hist::{BINS, Quantiles};
use crate::engine::recent::RecentEvent;
use crate::engine::snapshot::IdentityDetail;
use crate::engine::usage::Usage;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::detail::Draw;
use crate::ui::spark;
use crate::ui::table::{self, Cells, Col};

/// One muted line in place of an empty table.
fn note<'a>(text: &'static str, theme: &'a Theme) -> Draw<'a> {
    Box::new(move |frame, area| {
        frame.render_widget(Paragraph::new(text).style(theme.muted()), area)
    })
}

/// `·` for nothing, so zeros do not crowd the numbers that matter.
fn count(n: u64, theme: &Theme) -> (String, Style) {
    match n {
        0 => ("·".into(), theme.muted()),
        n => (format::si(n as f64), theme.text()),
    }
}

/// Spend that is a lower bound when some requests have no price.
fn cost(u: &Usage, theme: &Theme) -> (String, Style) {
    let style = match u.unpriced_requests {
        0 => theme.text(),
        _ => theme.unpriced(),
    };
    (
        format::usd_lower_bound(u.cost_usd, u.unpriced_requests),
        style,
    )
}

/// The window's quantiles, then the day's (the usual), then the window's shape: p90 now
/// against p90 usual gives way last.
const SIZE_COLS: [Col; 10] = [
    Col::flex("PER REQUEST", 14),
    Col::num("N", 7, 3),
    Col::num("P50", 7, 9),
    Col::num("P90", 7, 8),
    Col::num("P99", 7, 6),
    Col::num("MAX", 7, 7),
    Col::num("24H P50", 7, 4),
    Col::num("24H P90", 7, 8),
    Col::num("24H P99", 7, 2),
    Col::text("SHAPE", BINS as u16, 5),
];

/// The distribution as one bar per log-spaced bin, smallest values on the left.
fn shape(q: &Quantiles) -> String {
    let counts: Vec<u64> = q.bins.iter().map(|b| b.count).collect();
    spark::bars(&counts)
}

/// p50 / p90 / p99 / max per request (tokens, tool calls, latency when logged) and per
/// active minute over the view's window, beside the same quantiles over the last day.
pub fn sizes<'a>(d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    let lines = d.sizes.rows();
    if lines.is_empty() {
        return note("No finished request in the last day to size.", theme);
    }
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let line = lines[i];
            let n = |q: Option<&Quantiles>, v: fn(&Quantiles) -> u64| match q {
                Some(q) => (format::si(v(q) as f64), theme.text()),
                None => ("·".into(), theme.muted()),
            };
            let (now, usual) = (line.now, line.usual);
            let muted = |(text, _): (String, Style)| (text, theme.muted());
            vec![
                (line.label.to_string(), theme.text()),
                (format::int(now.map_or(0, |q| q.count)), theme.muted()),
                n(now, |q| q.p50),
                n(now, |q| q.p90),
                n(now, |q| q.p99),
                n(now, |q| q.max),
                muted(n(usual, |q| q.p50)),
                muted(n(usual, |q| q.p90)),
                muted(n(usual, |q| q.p99)),
                (now.map(shape).unwrap_or_default(), theme.trend()),
            ]
        };
        let fits = lines.len().min(area.height.saturating_sub(1) as usize);
        table::render(frame, area, &SIZE_COLS, fits, row, theme);
    })
}

const MODEL_COLS: [Col; 5] = [
    Col::flex("MODEL (ALL LOADED)", 18),
    Col::num("REQ", 6, 5),
    Col::num("TOKENS", 7, 6),
    Col::num("COST", 10, 9),
    Col::num("SHARE", 5, 8),
];

/// Requests, tokens and cost per model, with each model's share of the priced cost.
pub fn models<'a>(d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    if d.by_model.is_empty() {
        return note("No model used yet.", theme);
    }
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let m = &d.by_model[i];
            vec![
                (sanitize(&m.model, 60), theme.text()),
                count(m.usage.requests, theme),
                count(m.usage.total_tokens(), theme),
                cost(&m.usage, theme),
                match m.cost_share {
                    Some(share) => (format::percent(share), theme.text()),
                    None => ("·".into(), theme.muted()),
                },
            ]
        };
        table::render(frame, area, &MODEL_COLS, d.by_model.len(), row, theme);
    })
}

const KIND_COLS: [Col; 5] = [
    Col::flex("KIND (ALL LOADED)", 17),
    Col::num("REQ", 6, 5),
    Col::num("TOKENS", 7, 6),
    Col::num("COST", 10, 9),
    Col::num("TOKEN%", 6, 8),
];

/// Completions against retrieval and embeddings (and tool events that carry tokens of
/// their own): what the identity's tokens went to.
pub fn kinds<'a>(d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    let all: u64 = d.by_kind.iter().map(|k| k.usage.total_tokens()).sum();
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let k = &d.by_kind[i];
            let share = k.usage.total_tokens() as f64 / all.max(1) as f64;
            vec![
                (k.kind.label().to_string(), theme.text()),
                count(k.usage.requests, theme),
                count(k.usage.total_tokens(), theme),
                cost(&k.usage, theme),
                (format::percent(share), theme.text()),
            ]
        };
        table::render(frame, area, &KIND_COLS, d.by_kind.len(), row, theme);
    })
}

const TOOL_COLS: [Col; 7] = [
    Col::flex("TOOL", 12),
    Col::text("MCP", 10, 10),
    Col::num("CALLS", 6, 9),
    Col::num("/MIN", 5, 8),
    Col::num("COST%", 5, 6),
    Col::num("FIRST USE", 9, 4),
    Col::num("LAST USE", 9, 7),
];

/// The tool's own name: the MCP column already says `mcp__<server>__`.
fn tool_name(name: &str, mcp_server: Option<&str>) -> String {
    let own = mcp_server
        .and_then(|server| {
            name.strip_prefix("mcp__")?
                .strip_prefix(server)?
                .strip_prefix("__")
        })
        .unwrap_or(name);
    sanitize(own, 60)
}

/// Calls per tool, the MCP server it belongs to, calls in the last minute, the share of
/// the identity's cost spent in responses that called it, and when it was used.
pub fn tools<'a>(d: &'a IdentityDetail, now: i64, theme: &'a Theme) -> Draw<'a> {
    if d.tools.is_empty() {
        return note("No tool calls.", theme);
    }
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let t = &d.tools[i];
            vec![
                (tool_name(&t.name, t.mcp_server.as_deref()), theme.text()),
                match &t.mcp_server {
                    Some(server) => (sanitize(server, 30), theme.text()),
                    None => ("·".into(), theme.muted()),
                },
                count(t.calls, theme),
                count(t.calls_last_min, theme),
                match t.cost_share {
                    Some(share) => (format::percent(share), theme.text()),
                    None => ("·".into(), theme.muted()),
                },
                (format::ago(now - t.first_seen), theme.muted()),
                (format::ago(now - t.last_seen), theme.text()),
            ]
        };
        table::render(frame, area, &TOOL_COLS, d.tools.len(), row, theme);
    })
}

const RECENT_COLS: [Col; 7] = [
    Col::text("WHEN", 7, 10),
    Col::flex("MODEL", 10),
    Col::num("TOKENS", 7, 9),
    Col::num("IN", 6, 5),
    Col::num("OUT", 6, 6),
    Col::num("COST", 9, 8),
    Col {
        priority: 4,
        ..Col::flex("TOOLS", 16)
    },
];

/// `Bash×2, Read +3`: tools by name, with the calls past the listed names counted.
fn tool_list(e: &RecentEvent) -> String {
    let mut names: Vec<String> = e
        .tools
        .iter()
        .map(|t| match t.calls {
            1 => sanitize(&t.name, 40),
            n => format!("{}×{n}", sanitize(&t.name, 40)),
        })
        .collect();
    if e.tools_unlisted > 0 {
        names.push(format!("+{}", e.tools_unlisted));
    }
    names.join(", ")
}

/// The latest requests, newest first, the selected one highlighted (Enter opens it); `~`
/// marks estimated token counts.
pub fn recent<'a>(d: &'a IdentityDetail, now: i64, selected: usize, theme: &'a Theme) -> Draw<'a> {
    if d.recent.is_empty() {
        return note("No request yet.", theme);
    }
    Box::new(move |frame, area| {
        let row = |i: usize| -> Cells {
            let e = &d.recent[i];
            let tokens = |n: u64| {
                let text = format::si(n as f64);
                if e.estimated {
                    (format!("~{text}"), theme.level(Level::Warn))
                } else {
                    (text, theme.text())
                }
            };
            vec![
                (format::ago(now - e.time), theme.muted()),
                (sanitize(&e.model, 60), theme.text()),
                tokens(e.tokens.total()),
                tokens(e.tokens.all_input()),
                tokens(e.tokens.output),
                match e.cost_usd {
                    Some(c) => (format::usd(c), theme.text()),
                    None => ("unpriced".into(), theme.unpriced()),
                },
                (tool_list(e), theme.muted()),
            ]
        };
        let count = d.recent.len();
        table::render_selected(frame, area, &RECENT_COLS, count, Some(selected), row, theme);
    })
}

#[cfg(test)]
mod tests {
    use super::tool_name;

    #[test]
    fn mcp_tools_are_named_without_their_server_prefix() {
        assert_eq!(
            tool_name("mcp__github__create_issue", Some("github")),
            "create_issue"
        );
        assert_eq!(tool_name("Bash", None), "Bash");
        assert_eq!(tool_name("mcp__odd", Some("github")), "mcp__odd");
    }
}
