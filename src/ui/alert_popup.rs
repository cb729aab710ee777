//! One alert in full, over the alert list (Enter opens it, Enter again goes to its
//! identity, Esc closes it): its whole reason, the figures at its peak against the
//! threshold and the usual rate, every identity it concerns, and when it started, peaked
//! and ended.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::app::App;
use crate::engine::alerts::Alert;
use crate::engine::budget::BudgetUnit;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::Theme;

/// Width of the field names.
const LABEL: usize = 12;
/// Identities named in full before the rest are counted.
const NAMED: usize = 20;

fn field<'a>(label: &str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme.muted()),
        Span::styled(value, theme.text()),
    ])
}

/// `2026-01-01T12:00:05Z (3m ago)`.
fn when(t: i64, now: i64) -> String {
    let stamp = jiff::Timestamp::from_millisecond(t)
        .map(|t| format!("{t:.0}"))
        .unwrap_or_else(|_| t.to_string());
    format!("{stamp} ({})", format::ago(now - t))
}

/// An amount of what the alert measures: a burst's rate, a budget's dollars or tokens.
fn amount(app: &App, alert: &Alert, x: f64) -> String {
    if let Some(signal) = alert.signal {
        return signal.rate(x);
    }
    let unit = app
        .snapshot
        .budgets
        .iter()
        .find(|b| b.name == alert.subject)
        .map(|b| b.unit);
    match unit {
        Some(BudgetUnit::Tokens) => format!("{} tokens", format::si(x)),
        _ => format::usd(x),
    }
}

fn lines<'a>(app: &App, alert: &Alert, theme: &Theme) -> Vec<Line<'a>> {
    let now = app.snapshot.now;
    let mut out = vec![
        Line::styled(sanitize(&alert.reason, 2_000), theme.text()),
        Line::raw(""),
    ];
    let budget = alert.signal.is_none();
    let value = if budget { "used at peak" } else { "peak" };
    out.push(field(value, amount(app, alert, alert.value), theme));
    if let Some(t) = alert.threshold {
        let label = if budget { "limit" } else { "threshold" };
        out.push(field(label, amount(app, alert, t), theme));
    }
    if let Some(usual) = alert.baseline {
        out.push(field("usual", amount(app, alert, usual), theme));
    }
    if let Some(r) = alert.ratio {
        let ratio = if budget {
            format::percent(r)
        } else {
            format!("{r:.1}x its usual")
        };
        out.push(field("ratio", ratio, theme));
    }
    if let Some(n) = alert.units.filter(|&n| n > 1) {
        out.push(field(
            "at once",
            format!("{n} sessions or identities"),
            theme,
        ));
    }
    let mut names: Vec<String> = alert
        .identities
        .iter()
        .take(NAMED)
        .map(|n| sanitize(n, 80))
        .collect();
    if alert.identities.len() > NAMED {
        names.push(format!("+{} more", alert.identities.len() - NAMED));
    }
    let who = if names.is_empty() {
        "every identity".to_string()
    } else {
        names.join(", ")
    };
    out.push(field("identities", who, theme));
    out.push(field("started", when(alert.started_at, now), theme));
    out.push(field("peak at", when(alert.peak_at, now), theme));
    let end = match alert.ended_at {
        Some(t) => when(t, now),
        None => "still active".into(),
    };
    out.push(field("ended", end, theme));
    out
}

/// Draws the selected alert in full, centred over the list.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(alert) = app.alert_popup() else {
        return;
    };
    let width = area.width.saturating_sub(4).min(100);
    let body = lines(app, alert, theme);
    // Long lines (the reason, the identities) wrap: room for each of their lines.
    let inner = usize::from(width.saturating_sub(2).max(1));
    let wrapped: usize = body.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(wrapped + 2)
        .unwrap_or(u16::MAX)
        .min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    let title = format!(
        " {} {} · {} ",
        alert.severity.label(),
        alert.kind.label(),
        sanitize(&alert.subject, 60)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::styled(title, theme.alert(alert.severity)))
        .title_bottom(
            Line::styled(" ⏎ go to identity · Esc closes ", theme.muted()).right_aligned(),
        );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(body).block(block).wrap(Wrap { trim: false }),
        popup,
    );
}
