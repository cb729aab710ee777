//! The help overlay: every binding of the keymap table the loop looks keys up in, grouped
//! by the screen it belongs to, so the help can never disagree with the keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::keymap::{KEYMAP, Screen, key_names};
use crate::theme::Theme;

/// The groups, in the order shown; a group without keys is left out.
const GROUPS: [(Option<Screen>, &str); 4] = [
    (None, "everywhere"),
    (Some(Screen::Table), "identity table"),
    (Some(Screen::Detail), "detail panel"),
    (Some(Screen::Alerts), "alert list"),
];

/// Width of the keys column.
const KEYS_WIDTH: usize = 16;

/// The overlay's lines; `spaced` puts a blank line between groups (left out when the
/// terminal is too short for them).
fn help_lines(theme: &Theme, spaced: bool) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (screen, title) in GROUPS {
        let mut group = KEYMAP.iter().filter(|b| b.screen == screen).peekable();
        if group.peek().is_none() {
            continue;
        }
        if spaced && !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(title, theme.table_header()));
        for binding in group {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<KEYS_WIDTH$}", key_names(binding)),
                    theme.key(),
                ),
                Span::styled(binding.help, theme.text()),
            ]));
        }
    }
    lines
}

/// Draws the overlay centred over whatever is on screen, clipped to it on small terminals.
pub fn render(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = help_lines(theme, true);
    if lines.len() + 2 > usize::from(area.height) {
        lines = help_lines(theme, false);
    }
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let width = lines.iter().map(Line::width).max().unwrap_or(0) + 4;
    let width = u16::try_from(width).unwrap_or(u16::MAX);
    let [row] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(row);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::styled(" keys ", theme.title()))
        .title_bottom(Line::styled(" ? or Esc closes ", theme.muted()).right_aligned());
    frame.render_widget(Clear, popup);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
