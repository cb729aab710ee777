//! Alerts on screen: the pane under the table (`a`) and the full-screen list (`A`), newest
//! first. Active alerts are coloured by severity, acknowledged ones dimmed, ended ones muted.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::engine::alerts::Alert;
use crate::format;
use crate::layout::{alerts::list_offset, ruled};
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

/// The pane: one line per alert, newest first, as many as fit.
pub fn render_pane(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border())
        .title(Line::styled(title(app), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let alerts = &app.snapshot.alerts;
    if alerts.is_empty() {
        frame.render_widget(Paragraph::new(NO_ALERTS).style(theme.muted()), inner);
        return;
    }
    let now = app.snapshot.now;
    let lines: Vec<Line> = alerts
        .iter()
        .take(inner.height as usize)
        .map(|a| {
            let style = style(app, a, theme);
            Line::from(vec![
                Span::styled(format!("{} ", marker(app, a)), style),
                Span::styled(format!("{:<5}", a.severity.label()), style),
                Span::styled(format!("{:<13}", a.kind.label()), style),
                Span::styled(format!("{:<14} ", state(a, now)), theme.muted()),
                Span::styled(sanitize(&a.reason, REASON_CHARS), style),
            ])
        })
        .collect();
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
