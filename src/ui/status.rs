//! The bottom line: the sort in effect (or that the detail panel is open) and the keys,
//! generated from the keymap table. Keys that do not fit drop out from the end of the table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::keymap::{KEYMAP, Shown};
use crate::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (lead, screen) = match app.focus() {
        Some(_) => (" detail ".to_string(), Shown::Detail),
        None => {
            let arrow = if app.sort_descending() { "▼" } else { "▲" };
            (
                format!(" sort: {} {arrow} ", app.sort.label()),
                Shown::Table,
            )
        }
    };
    let mut used = lead.chars().count();
    let mut spans = vec![Span::styled(lead, theme.accent())];
    let room = area.width as usize;
    let shown = KEYMAP
        .iter()
        .filter(|b| b.status == Shown::Always || b.status == screen);
    for binding in shown {
        let key = format!(" {}", binding.label);
        let help = format!(" {}", binding.help);
        let width = key.chars().count() + help.chars().count();
        if used + width > room {
            break;
        }
        used += width;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(help, theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
