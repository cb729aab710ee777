//! One event of the identity view in full: every normalized field the engine kept and
//! the raw record it came from (read back by the loop, secrets redacted, its keys in the
//! order the log wrote them), over the view. Enter opens it, ↑↓ PgUp PgDn g G scroll the
//! record, `[` `]` step to the previous or next request, Esc closes it. The finding popup
//! shows its record the same way (`record_header`, `record_body`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::App;
use crate::engine::recent::{CostSource, RecentEvent};
use crate::event::{Format, Origin};
use crate::format;
use crate::layout::event_popup::{self as shape, FIELD_LINES};
use crate::pricing::UnpricedReason;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};

/// Width of the field names.
const LABEL: usize = 14;

pub(super) fn field<'a>(label: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme.muted()),
        Span::styled(value, theme.text()),
    ])
}

/// `2026-01-01T12:00:05.250Z`: the event's own time, to the millisecond, in UTC.
pub(super) fn timestamp(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| format!("{t:.3}"))
        .unwrap_or_else(|_| ms.to_string())
}

/// Every field of one event, one per line: [`FIELD_LINES`] of them.
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
        Format::LiteLlm => "LiteLLM",
        Format::GeminiCli => "Gemini CLI",
        Format::QwenCode => "Qwen Code",
        Format::OpenCode => "OpenCode",
        Format::Goose => "Goose",
        Format::KimiCli => "Kimi CLI",
        Format::Pi => "pi",
        Format::CopilotCli => "GitHub Copilot CLI",
    }
}

/// Where the record is (its lines follow, from the layout), or `missing` when there is
/// none to read back, or why it cannot be shown.
pub(super) fn record_header<'a>(
    app: &App,
    origin: Option<Origin>,
    missing: &str,
    theme: &Theme,
) -> Line<'a> {
    let Some(origin) = origin else {
        return field("record", missing.to_string(), theme);
    };
    match app.popup_record() {
        None => field("record", "reading…".into(), theme),
        Some(Err(why)) => Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "record"), theme.muted()),
            Span::styled(sanitize(why, 400), theme.level(Level::Warn)),
        ]),
        Some(Ok(record)) => {
            let cut = if record.truncated {
                ", first 64 KiB"
            } else {
                ""
            };
            field(
                "record",
                format!(
                    "{}, byte {}{cut} (secrets redacted)",
                    sanitize(&record.source, 200),
                    format::int(origin.offset)
                ),
                theme,
            )
        }
    }
}

/// A popup over the identity view: `body` (its fields and record header), then the record
/// scrolled as far as the app says (within what there is); `other` names what `[` `]`
/// step through.
pub(super) fn draw_popup(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    (title, style): (String, Style),
    mut body: Vec<Line<'_>>,
    other: &str,
    theme: &Theme,
) {
    let popup = shape::area(app, area);
    let inner = shape::inner(popup);
    let record = shape::record_lines(app, inner.width);
    let rows = shape::record_rows(app, popup);
    let top = app.record_scroll().min(record.len().saturating_sub(rows));
    let shown = record.iter().skip(top).take(rows);
    body.extend(shown.map(|l| Line::styled(l.clone(), theme.text())));
    let keys = if record.len() > rows {
        format!(
            " lines {}-{} of {} · ↑↓ PgUp PgDn g G scroll · [ ] {other} · Esc closes ",
            top + 1,
            (top + rows).min(record.len()),
            record.len()
        )
    } else {
        format!(" [ ] {other} · Esc closes ")
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::styled(title, style))
        .title_bottom(Line::styled(keys, theme.muted()).right_aligned());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(body).block(block), popup);
}

/// Draws the popup of the selected event, centred over the identity view.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (Some(event), Some(detail)) = (app.event_popup(), app.detail()) else {
        return;
    };
    let mut body = lines(event, app.snapshot.now, &detail.row.name, theme);
    debug_assert_eq!(body.len(), usize::from(FIELD_LINES));
    let missing = "not kept: stdin and OTLP records cannot be read back";
    body.push(record_header(app, event.origin, missing, theme));
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
    let title = (title, theme.title());
    draw_popup(frame, area, app, title, body, "other requests", theme);
}
