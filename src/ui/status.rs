//! The bottom line: the sort in effect (or which panel or list is open) and the keys,
//! generated from the keymap table. Keys that do not fit drop out from the end of the table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::keymap::{KEYMAP, Screen};
use crate::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let screen = app.screen();
    let lead = match screen {
        Screen::Alerts => " alerts ".to_string(),
        Screen::Detail => " detail ".to_string(),
        Screen::Table => {
            let arrow = if app.sort_descending() { "▼" } else { "▲" };
            format!(" sort: {} {arrow} ", app.sort.label())
        }
    };
    let mut used = lead.chars().count();
    let mut spans = vec![Span::styled(lead, theme.accent())];
    let room = area.width as usize;
    let shown = KEYMAP.iter().filter(|b| b.status.contains(&screen));
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
