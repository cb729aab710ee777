//! The bottom line: the keys, generated from the keymap table, and the sort in effect.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::keymap::KEYMAP;
use crate::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let arrow = if app.reverse { "↑" } else { "↓" };
    let mut spans = vec![Span::styled(
        format!(" sort: {} {arrow} ", app.sort.label()),
        theme.accent(),
    )];
    for binding in KEYMAP.iter().filter(|b| b.status) {
        spans.push(Span::styled(format!(" {}", binding.label), theme.key()));
        spans.push(Span::styled(format!(" {}", binding.help), theme.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
