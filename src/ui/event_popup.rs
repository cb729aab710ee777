//! One event of the identity view in full: every normalized field the engine kept and
//! the raw record it came from (read back by the loop, secrets redacted), over the view
//! (Enter opens it, ↑↓ step through the events, Esc closes it).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::App;
use crate::engine::recent::{CostSource, RecentEvent};
use crate::event::Format;
use crate::format;
use crate::pricing::UnpricedReason;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};

/// Width of the field names.
const LABEL: usize = 14;

fn field<'a>(label: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme.muted()),
        Span::styled(value, theme.text()),
    ])
}

/// `2026-01-01T12:00:05.250Z`: the event's own time, to the millisecond, in UTC.
fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_else(|_| ms.to_string())
}

/// Every field of one event, one per line.
fn lines<'a>(e: &RecentEvent, now: i64, identity: &str, theme: &Theme) -> Vec<Line<'a>> {
    let t = &e.tokens;
    let n = |v: u64| format::int(v);
    let estimated = if e.estimated { " (estimated)" } else { "" };
    let tools = if e.tools.is_empty() {
        "none".to_string()
    } else {
        let mut names: Vec<String> = e
            .tools
            .iter()
            .map(|t| format!("{} ×{}", sanitize(&t.name, 60), t.calls))
            .collect();
        if e.tools_unlisted > 0 {
            names.push(format!("+{} more calls", e.tools_unlisted));
        }
        names.join(", ")
    };
    vec![
        field(
            "time",
            format!("{} ({})", timestamp(e.time), format::ago(now - e.time)),
            theme,
        ),
        field("identity", sanitize(identity, 80), theme),
        field("model", sanitize(&e.model, 80), theme),
        field("cost", cost(e), theme),
        field(
            "tokens",
            format!("{} in total{estimated}", n(t.total())),
            theme,
        ),
        field("  input", n(t.input), theme),
        field("  cache read", n(t.cache_read), theme),
        field(
            "  cache wr.",
            format!(
                "{} (5 min {}, 1 h {})",
                n(t.cache_write()),
                n(t.cache_write_5m),
                n(t.cache_write_1h)
            ),
            theme,
        ),
        field(
            "  output",
            format!("{} (reasoning {})", n(t.output), n(t.reasoning)),
            theme,
        ),
        field("tools", tools, theme),
        field(
            "latency",
            e.latency_ms
                .map_or("not logged".into(), |ms| format!("{} ms", format::int(ms))),
            theme,
        ),
        field(
            "call",
            format!("{} · {} log", e.kind.label(), format_label(e.format)),
            theme,
        ),
    ]
}

/// The cost and where it came from: the price table's entry, the record, or why neither.
fn cost(e: &RecentEvent) -> String {
    match (e.cost_usd, &e.cost_source) {
        (Some(c), CostSource::Table(key)) => {
            format!("{} · priced as {}", format::usd(c), sanitize(key, 80))
        }
        (Some(c), _) => format!("{} · the record's own cost", format::usd(c)),
        (None, CostSource::Unpriced(UnpricedReason::AmbiguousPrice)) => {
            "unpriced: its price table entries disagree; name one in the config's [prices]".into()
        }
        (None, _) => "unpriced: the model is not in the price table".into(),
    }
}

fn format_label(format: Format) -> &'static str {
    match format {
        Format::ClaudeCode => "Claude Code",
        Format::Tokentop => "tokentop",
        Format::Codex => "Codex",
        Format::OpenAi => "OpenAI",
        Format::Anthropic => "Anthropic",
        Format::Wrapper => "wrapped provider",
    }
}

/// Where the record is and its text (redacted by the app, sanitized here), or why it
/// cannot be shown.
fn raw<'a>(app: &App, e: &RecentEvent, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let Some(origin) = e.origin else {
        lines.push(field(
            "record",
            "not kept: records read from standard input cannot be read back".into(),
            theme,
        ));
        return lines;
    };
    match app.popup_record() {
        None => lines.push(field("record", "reading…".into(), theme)),
        Some(Err(why)) => lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "record"), theme.muted()),
            Span::styled(sanitize(why, 400), theme.level(Level::Warn)),
        ])),
        Some(Ok(record)) => {
            let cut = if record.truncated {
                ", first 64 KiB"
            } else {
                ""
            };
            lines.push(field(
                "record",
                format!(
                    "{}, byte {}{cut} (secrets redacted)",
                    sanitize(&record.source, 200),
                    format::int(origin.offset)
                ),
                theme,
            ));
            lines.extend(
                record
                    .lines
                    .iter()
                    .map(|l| Line::styled(sanitize(l, width.max(1) * 4), theme.text())),
            );
        }
    }
    lines
}

/// Draws the popup of the selected event, centred over the identity view.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (Some(event), Some(detail)) = (app.event_popup(), app.detail()) else {
        return;
    };
    let width = area.width.saturating_sub(4).min(120);
    let mut body = lines(event, app.snapshot.now, &detail.row.name, theme);
    body.extend(raw(app, event, usize::from(width), theme));
    // A record's lines wrap: it takes the whole height.
    let height = if matches!(app.popup_record(), Some(Ok(_))) {
        area.height
    } else {
        u16::try_from(body.len() + 2)
            .unwrap_or(u16::MAX)
            .min(area.height)
    };
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    let title = if app.popup_listed() {
        format!(
            " event {} of {} ",
            app.event_cursor() + 1,
            detail.recent.len()
        )
    } else {
        format!(
            " event (no longer among the latest {}) ",
            detail.recent.len()
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::styled(title, theme.title()))
        .title_bottom(
            Line::styled(" ↑↓ other events · Esc closes ", theme.muted()).right_aligned(),
        );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(body).block(block).wrap(Wrap { trim: false }),
        popup,
    );
}
