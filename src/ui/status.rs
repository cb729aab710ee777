//! The bottom line: the sort in effect (or which panel or list is open) and the keys,
//! generated from the keymap table: `?` and `q` first, then the table's order. Keys that do
//! not fit drop out from the end. A notice (what `E` did) takes the line until the next key.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, provider_degraded};
use crate::keymap::{Action, Binding, KEYMAP, Screen};
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(text) = app.prompt() {
        prompt(frame, area, text, theme);
        return;
    }
    if let Some(notice) = app.notice() {
        let style = match notice.error {
            true => theme.level(Level::Warn),
            false => theme.accent(),
        };
        let text = format!(" {}", sanitize(&notice.text, 1_000));
        frame.render_widget(Paragraph::new(Line::styled(text, style)), area);
        return;
    }
    let screen = app.screen();
    let lead = match screen {
        Screen::Alerts => " alerts ".to_string(),
        Screen::Detail => " identity ".to_string(),
        Screen::Event => " event ".to_string(),
        Screen::Sources => " sources ".to_string(),
        Screen::Providers => " providers ".to_string(),
        Screen::Table => {
            let arrow = if app.sort_descending() { "▼" } else { "▲" };
            format!(" sort: {} {arrow} ", app.sort().label())
        }
    };
    // The filter comes first: a filtered table must never pass for the whole.
    let filter = app.filter();
    let lead = if filter.is_empty() {
        lead
    } else {
        let (shown, all) = (app.order.len(), app.snapshot.identities.len());
        format!(
            " filter {}: {shown} of {all} │{lead}",
            sanitize(filter.text(), 30)
        )
    };
    let mut used = lead.chars().count();
    let mut spans = vec![Span::styled(lead, theme.accent())];
    let room = area.width as usize;
    // While a source fails (the header says so), the key to its details comes first.
    let failing = screen != Screen::Sources
        && (app.sources.iter().any(|s| !s.is_ok()) || app.providers.iter().any(provider_degraded));
    let promoted = |b: &&Binding| failing && b.action == Action::ToggleSources;
    let first = KEYMAP.iter().filter(promoted);
    let mut rest: Vec<&Binding> = KEYMAP
        .iter()
        .filter(|b| b.status.contains(&screen) && !promoted(b))
        .collect();
    // Help and quit come first, so that no width hides how to learn the rest or leave.
    rest.sort_by_key(|b| match b.action {
        Action::Help => 0,
        Action::Quit => 1,
        _ => 2,
    });
    for binding in first.chain(rest) {
        let key = format!(" {}", binding.label);
        let help = format!(" {}", binding.help);
        let width = key.chars().count() + help.chars().count();
        if used + width > room {
            break;
        }
        used += width;
        let help_style = if promoted(&binding) {
            theme.level(Level::Critical)
        } else {
            theme.muted()
        };
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(help, help_style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The filter being typed, with how to finish it; the end of a long filter stays visible.
fn prompt(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    const HINT: &str = "  Enter keep  Esc clear";
    let room = (area.width as usize).saturating_sub(HINT.chars().count() + 4);
    let text = sanitize(text, 200);
    let skip = text.chars().count().saturating_sub(room);
    let shown: String = text.chars().skip(skip).collect();
    let line = Line::from(vec![
        Span::styled(" / ", theme.key()),
        Span::styled(format!("{shown}▏"), theme.text()),
        Span::styled(HINT, theme.muted()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
