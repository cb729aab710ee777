//! The top two lines: spend and rates now, and whether the sources are healthy.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &app.snapshot;
    let sep = || Span::styled(" │ ", theme.muted());
    let mut today = vec![Span::styled(
        format::usd(s.today_usage.cost_usd),
        theme.accent(),
    )];
    if s.today_usage.unpriced_requests > 0 {
        today.push(Span::styled(
            format!(
                " +{} unpriced",
                format::si(s.today_usage.unpriced_requests as f64)
            ),
            theme.unpriced(),
        ));
    }
    let mut first = vec![
        Span::styled(" tokentop ", theme.title()),
        Span::styled(sanitize(&app.title, 40), theme.muted()),
        sep(),
        Span::styled("today ", theme.muted()),
    ];
    first.extend(today);
    first.extend([
        sep(),
        Span::styled(
            format!("{}/h", format::usd(s.rates.cost_per_hour)),
            theme.text(),
        ),
        sep(),
        Span::styled(
            format!("{} tok/min", format::si(s.rates.tokens_per_min())),
            theme.text(),
        ),
        sep(),
        Span::styled(
            format!("{} ev/s", format::si(s.ingest_per_sec)),
            theme.text(),
        ),
        sep(),
        Span::styled(s.clock.clone(), theme.text()),
    ]);

    let failing: Vec<_> = app.sources.iter().filter(|h| !h.is_ok()).collect();
    let rejected: u64 = app.sources.iter().map(|h| h.rejected_lines()).sum();
    let mut second = vec![Span::raw(" ")];
    match failing.first() {
        None if app.sources.is_empty() => {
            second.push(Span::styled("sources starting", theme.muted()))
        }
        None => second.push(Span::styled(
            format!("sources ok ({})", app.sources.len()),
            theme.level(Level::Ok),
        )),
        Some(first) => second.push(Span::styled(
            format!(
                "{} of {} sources failing: {}",
                failing.len(),
                app.sources.len(),
                sanitize(first.last_error.as_deref().unwrap_or(""), 80)
            ),
            theme.level(Level::Critical),
        )),
    }
    if rejected > 0 {
        second.push(sep());
        second.push(Span::styled(
            format!("{} lines rejected", format::int(rejected)),
            theme.level(Level::Warn),
        ));
    }
    second.extend([
        sep(),
        Span::styled(format!("{} identities", s.identities.len()), theme.muted()),
        sep(),
        Span::styled(
            format!("{} requests", format::int(s.totals.requests)),
            theme.muted(),
        ),
    ]);
    let lines = vec![Line::from(first), Line::from(second)];
    frame.render_widget(Paragraph::new(lines).style(theme.header()), area);
}
