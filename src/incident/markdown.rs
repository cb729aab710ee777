//! The incident report as Markdown that reads well pasted into a ticket: a summary, then
//! one table per section, every string from the logs sanitized and its pipes escaped.

use std::fmt::Write;

use super::Incident;
use crate::engine::budget::{BudgetLevel, BudgetUnit};
use crate::engine::incident::ToolPolicy;
use crate::format::{count, int, usd, usd_lower_bound};
use crate::sanitize::sanitize;

/// Minutes listed in the Markdown timeline; the JSON has them all.
const TIMELINE_ROWS: usize = 120;

/// A table cell: sanitized, pipes escaped, so a log's string cannot open a column.
fn cell(text: &str) -> String {
    sanitize(text, 200)
        .replace('\\', "\\\\")
        .replace('|', "\\|")
}

/// Dollars to the micro-dollar, as the JSON has them.
fn exact_usd(x: f64) -> String {
    format!("${x:.6}")
}

pub fn render(r: &Incident) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write(r, &mut out);
    out
}

/// A time in the report's zone, to the minute (RFC 3339 input).
fn local(r: &Incident, rfc3339: &str) -> String {
    crate::timefmt::parse_rfc3339_ms(rfc3339)
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| {
            t.to_zoned_datetime(r.tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| rfc3339.to_string())
}

fn table(out: &mut String, header: &[&str]) -> std::fmt::Result {
    writeln!(out, "| {} |", header.join(" | "))?;
    let rule: Vec<&str> = header.iter().map(|_| "---").collect();
    writeln!(out, "|{}|", rule.join("|"))
}

fn row(out: &mut String, cells: &[String]) -> std::fmt::Result {
    writeln!(out, "| {} |", cells.join(" | "))
}

fn write(r: &Incident, out: &mut String) -> std::fmt::Result {
    let who = match &r.display {
        Some(path) => format!("`{}` ({})", cell(&r.identity), cell(path)),
        None => format!("`{}`", cell(&r.identity)),
    };
    writeln!(out, "# Incident report: {who}\n")?;
    let minutes = (r.window.1 - r.window.0) / 60_000;
    let zone = &r.time_zone;
    writeln!(
        out,
        "Window {} to {} {zone} ({} minutes). Generated {} {zone} by tokentop {}.\n",
        local(r, &r.start),
        local(r, &r.end),
        int(minutes.max(0) as u64),
        local(r, &r.generated_at),
        env!("CARGO_PKG_VERSION")
    )?;
    summary(r, out)?;
    timeline(r, out)?;
    alerts(r, out)?;
    tools(r, out)?;
    models(r, out)?;
    budgets(r, out)?;
    costliest(r, out)?;
    secrets(r, out)?;
    sources(r, out)
}

fn summary(r: &Incident, out: &mut String) -> std::fmt::Result {
    let t = &r.totals;
    let u = &t.usage;
    writeln!(out, "## Summary\n")?;
    let unpriced = match u.unpriced_requests {
        0 => String::new(),
        n => format!(" ({} without a price, not in it)", int(n)),
    };
    writeln!(
        out,
        "- **Spend:** {} ({}){unpriced}",
        usd_lower_bound(u.cost_usd, u.unpriced_requests),
        exact_usd(u.cost_usd)
    )?;
    writeln!(
        out,
        "- **Requests:** {} · **tool calls:** {}",
        int(u.requests),
        int(u.tool_calls)
    )?;
    writeln!(
        out,
        "- **Tokens:** {} (input {} · cache read {} · cache write {} · output {}, reasoning {} of it)",
        int(t.total_tokens),
        int(u.input),
        int(u.cache_read),
        int(t.cache_write),
        int(u.output),
        int(u.reasoning)
    )?;
    let rate = format!("{}/h over the window", usd(r.cost_per_hour));
    match &r.baseline {
        Some(b) => {
            let ratio = match b.cost_per_hour > 0.0 {
                true => format!(": {:.1}x its usual rate", r.cost_per_hour / b.cost_per_hour),
                false => String::new(),
            };
            writeln!(
                out,
                "- **Rate:** {rate}, against a usual {}/h ({} requests/h, {} tokens/h over the {:.1} hours before it, from {}){ratio}",
                usd(b.cost_per_hour),
                int(b.requests_per_hour.round() as u64),
                int(b.tokens_per_hour.round() as u64),
                b.hours,
                local(r, &b.from),
            )?;
        }
        None if r.since.is_none() => writeln!(
            out,
            "- **Rate:** {rate}; no usual rate: without --since the window starts at the identity's first record"
        )?,
        None => writeln!(
            out,
            "- **Rate:** {rate}; no usual rate: the logs hold no record of it in the 7 days before the window"
        )?,
    }
    writeln!(
        out,
        "- **Findings:** {}, {} called ({} denied, {} new), {} exposed\n",
        count(r.alerts.len() as u64, "alert", "alerts"),
        count(r.tools.len() as u64, "tool", "tools"),
        r.tools
            .iter()
            .filter(|t| t.policy == ToolPolicy::Denied)
            .count(),
        r.tools.iter().filter(|t| t.new_in_window).count(),
        count(r.secrets.len() as u64, "secret", "secrets")
    )
}

fn timeline(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Timeline\n")?;
    if r.timeline.is_empty() {
        return writeln!(out, "No request in the window.\n");
    }
    writeln!(
        out,
        "Minutes with a request or a tool call ({}):\n",
        r.time_zone
    )?;
    table(out, &["minute", "requests", "tokens", "cost", "tool calls"])?;
    for m in r.timeline.iter().take(TIMELINE_ROWS) {
        row(
            out,
            &[
                m.minute.clone(),
                int(m.requests),
                int(m.total_tokens),
                usd(m.cost_usd),
                int(m.tool_calls),
            ],
        )?;
    }
    if r.timeline.len() > TIMELINE_ROWS {
        writeln!(
            out,
            "\n{} more minutes are in the JSON report.",
            r.timeline.len() - TIMELINE_ROWS
        )?;
    }
    writeln!(out)
}

fn alerts(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Alerts\n")?;
    if r.alerts.is_empty() {
        return writeln!(out, "None concerning this identity in the window.\n");
    }
    table(out, &["started", "ended", "kind", "severity", "reason"])?;
    for a in &r.alerts {
        let ended = a
            .ended_at
            .as_deref()
            .map_or("open".to_string(), |e| local(r, e));
        row(
            out,
            &[
                local(r, &a.started_at),
                ended,
                a.kind.label().to_string(),
                a.severity.label().to_string(),
                cell(&a.reason),
            ],
        )?;
    }
    writeln!(out)
}

fn tools(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Tools called\n")?;
    if r.tools.is_empty() {
        return writeln!(out, "None in the window.\n");
    }
    table(out, &["tool", "calls", "first seen", "policy"])?;
    for t in &r.tools {
        let first = t.first_seen.as_deref().map_or("?".into(), |f| local(r, f));
        let first = match t.new_in_window {
            true => format!("{first} (new)"),
            false => first,
        };
        let policy = match &t.policy_reason {
            Some(why) => format!("{}: {}", t.policy.label(), cell(why)),
            None => t.policy.label().to_string(),
        };
        row(
            out,
            &[format!("`{}`", cell(&t.tool)), int(t.calls), first, policy],
        )?;
    }
    writeln!(out)
}

fn models(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Models\n")?;
    table(out, &["model", "requests", "tokens", "cost"])?;
    for m in &r.models {
        row(
            out,
            &[
                cell(&m.model),
                int(m.requests),
                int(m.total_tokens),
                usd_lower_bound(m.cost_usd, m.unpriced_requests),
            ],
        )?;
    }
    writeln!(out)
}

fn budgets(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Budgets\n")?;
    if r.budgets.is_empty() {
        return writeln!(out, "No budget covers this identity.\n");
    }
    writeln!(out, "As of the window's end, over the records read:\n")?;
    table(
        out,
        &["budget", "scope", "period", "used", "limit", "level"],
    )?;
    for b in &r.budgets {
        let amount = |x: f64| match b.unit {
            BudgetUnit::Usd => usd(x),
            BudgetUnit::Tokens => format!("{} tokens", int(x.round() as u64)),
        };
        let level = match b.level {
            BudgetLevel::Ok => "ok",
            BudgetLevel::Warn => "warn",
            BudgetLevel::Over => "over",
        };
        row(
            out,
            &[
                cell(&b.name),
                cell(&b.scope),
                cell(&b.period),
                format!("{} ({:.0}%)", amount(b.used), b.percent),
                amount(b.limit),
                level.to_string(),
            ],
        )?;
    }
    writeln!(out)
}

/// `file:line`, or what is known of it.
fn place(p: &super::Place) -> String {
    match (&p.file, p.line) {
        (Some(f), Some(l)) => format!("`{}:{l}`", cell(f)),
        (Some(f), None) => format!("`{}`", cell(f)),
        (None, Some(l)) => format!("stdin line {l}"),
        (None, None) => "not from a file".to_string(),
    }
}

fn costliest(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Costliest requests\n")?;
    if r.costliest.is_empty() {
        return writeln!(out, "None in the window.\n");
    }
    table(out, &["#", "time", "model", "tokens", "cost", "source"])?;
    for (i, q) in r.costliest.iter().enumerate() {
        row(
            out,
            &[
                (i + 1).to_string(),
                local(r, &q.time),
                cell(&q.model),
                int(q.total_tokens),
                usd_lower_bound(q.cost_usd, u64::from(q.unpriced)),
                place(&q.source),
            ],
        )?;
    }
    writeln!(out)
}

fn secrets(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Secrets exposed\n")?;
    if r.secrets.is_empty() {
        return writeln!(out, "None found in the window's records.\n");
    }
    let types: Vec<String> = r
        .secret_types
        .iter()
        .map(|(t, n)| format!("{} × {n}", cell(t)))
        .collect();
    writeln!(
        out,
        "{} (fingerprints only, never values):\n",
        types.join(", ")
    )?;
    table(
        out,
        &["type", "where", "fingerprint", "first seen", "source"],
    )?;
    for s in &r.secrets {
        row(
            out,
            &[
                cell(&s.secret_type),
                format!("`{}`", cell(&s.place)),
                format!("`{}`", s.fingerprint),
                local(r, &s.first_seen),
                place(&s.source),
            ],
        )?;
    }
    writeln!(out)
}

fn sources(r: &Incident, out: &mut String) -> std::fmt::Result {
    writeln!(out, "## Sources read\n")?;
    if r.since.is_some() {
        writeln!(
            out,
            "Read from 7 days before the window (the usual rate, the alerts' warm-up); lines and events count all of it:\n"
        )?;
    }
    table(out, &["source", "files", "lines", "events", "rejected"])?;
    for s in &r.sources {
        let mut path = format!("`{}`", cell(&s.path));
        if let Some(e) = &s.error {
            let _ = write!(path, " (not read in full: {})", cell(e));
        }
        row(
            out,
            &[
                path,
                int(s.files as u64),
                int(s.lines),
                int(s.events),
                int(s.rejected),
            ],
        )?;
    }
    Ok(())
}
