//! Alerts on screen: the pane under the table (open by itself while there is room, else a
//! one-line strip; `a` chooses) and the full-screen list (`A`), in the snapshot's order
//! (active first, critical first, newest first). Active alerts are coloured by severity,
//! acknowledged ones dimmed, ended ones muted.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::engine::alerts::Alert;
use crate::format;
use crate::layout::alerts::{Pane, REASON_AT, list_offset, reason_lines, reason_width};
use crate::layout::ruled;
use crate::sanitize::sanitize;
use crate::theme::Theme;
use crate::ui::table::{self, Col};

/// Longest reason drawn (they are one line; the list's column cuts them further).
const REASON_CHARS: usize = 240;
const NO_ALERTS: &str = "No alerts. Bursts are judged against each identity's own usual pace, \
                         once it has enough history; budgets alert at their thresholds.";

fn style(app: &App, alert: &Alert, theme: &Theme) -> Style {
    if !alert.active() {
        theme.muted()
    } else if app.is_acknowledged(alert) {
        theme.acknowledged()
    } else {
        theme.alert(alert.severity)
    }
}

fn marker(app: &App, alert: &Alert) -> &'static str {
    match (alert.active(), app.is_acknowledged(alert)) {
        (true, false) => "▲",
        (true, true) => "△",
        (false, _) => "·",
    }
}

fn state(alert: &Alert, now: i64) -> String {
    match alert.ended_at {
        None => "active".to_string(),
        Some(t) => format!("ended {}", format::ago(now - t)),
    }
}

fn title(app: &App) -> String {
    let active = app.snapshot.active_alerts.total();
    format!(" alerts: {active} active ")
}

/// The alerts under the table, as `pane` (from the layout) says: the strip or the pane.
pub fn render_pane(frame: &mut Frame, area: Rect, pane: Pane, app: &App, theme: &Theme) {
    match pane {
        Pane::Hidden => {}
        Pane::Strip => render_strip(frame, area, app, theme),
        Pane::Open(_) => render_open(frame, area, app, theme),
    }
}

/// One line: the worst active alert (the first), cut with `…`, and how many more.
fn render_strip(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let alerts = &app.snapshot.alerts;
    let Some(worst) = alerts.first() else {
        return;
    };
    let style = style(app, worst, theme);
    let more = app.snapshot.active_alerts.total().saturating_sub(1);
    let tail = if more > 0 {
        format!(" +{more} more: a, A ")
    } else {
        " a, A ".to_string()
    };
    let head = format!(
        "{} {} {} ",
        marker(app, worst),
        worst.severity.label(),
        worst.kind.label()
    );
    let room = usize::from(area.width)
        .saturating_sub(head.chars().count() + tail.chars().count())
        .max(1);
    let line = Line::from(vec![
        Span::styled(head, style),
        Span::styled(sanitize(&worst.reason, room.saturating_sub(1)), style),
        Span::styled(tail, theme.muted()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The pane: each alert on a line, its reason wrapped under itself, as many as fit.
fn render_open(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let hint = match app.alerts_pane() {
        Some(_) => " a hides · A lists ",
        None => " a hides · A lists all ",
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Line::styled(title(app), theme.title()))
        .title(Line::styled(hint, theme.muted()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let alerts = &app.snapshot.alerts;
    if alerts.is_empty() {
        frame.render_widget(Paragraph::new(NO_ALERTS).style(theme.muted()), inner);
        return;
    }
    let now = app.snapshot.now;
    let width = reason_width(inner.width);
    let indent = " ".repeat(usize::from(REASON_AT));
    let mut lines: Vec<Line> = Vec::new();
    for a in alerts {
        if lines.len() >= usize::from(inner.height) {
            break;
        }
        let style = style(app, a, theme);
        let mut reason = reason_lines(a, width).into_iter();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", marker(app, a)), style),
            Span::styled(format!("{:<5}", a.severity.label()), style),
            Span::styled(format!("{:<13}", a.kind.label()), style),
            Span::styled(format!("{:<14} ", state(a, now)), theme.muted()),
            Span::styled(reason.next().unwrap_or_default(), style),
        ]));
        lines
            .extend(reason.map(|more| {
                Line::from(vec![Span::raw(indent.clone()), Span::styled(more, style)])
            }));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

const LIST: &[Col] = &[
    Col::text("", 1, 10),
    Col::text("SEV", 4, 9),
    Col::text("KIND", 12, 8),
    Col::num("STARTED", 8, 5),
    Col::text("STATE", 13, 6),
    Col::flex("REASON", 20),
];

/// The full-screen list, with the selected alert highlighted and kept in view.
pub fn render_list(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let alerts = &app.snapshot.alerts;
    let position = format!(
        " {} of {} ",
        (app.alert_cursor() + 1).min(alerts.len()),
        alerts.len()
    );
    let block = ruled()
        .border_style(theme.border())
        .title(Line::styled(title(app), theme.title()))
        .title_bottom(Line::styled(position, theme.muted()).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if alerts.is_empty() {
        let none = Paragraph::new(Text::from(vec!["".into(), NO_ALERTS.into()]))
            .alignment(Alignment::Center)
            .style(theme.muted());
        frame.render_widget(none, inner);
        return;
    }
    let offset = list_offset(app, inner);
    let now = app.snapshot.now;
    let row = |i: usize| {
        let Some(a) = alerts.get(offset + i) else {
            return Vec::new();
        };
        let selected = offset + i == app.alert_cursor();
        let style = if selected {
            theme.row(true)
        } else {
            style(app, a, theme)
        };
        let plain = if selected { style } else { theme.muted() };
        vec![
            (marker(app, a).to_string(), style),
            (a.severity.label().to_string(), style),
            (a.kind.label().to_string(), style),
            (format::ago(now - a.started_at), plain),
            (state(a, now), plain),
            (sanitize(&a.reason, REASON_CHARS), style),
        ]
    };
    table::render(frame, inner, LIST, alerts.len() - offset, row, theme);
}
