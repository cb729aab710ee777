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
    (Some(Screen::Detail), "identity view"),
    (Some(Screen::Alerts), "alert list"),
];

/// Width of the keys column.
const KEYS_WIDTH: usize = 13;

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

/// Splits the lines in two columns at the group boundary nearest the middle.
fn two_columns(lines: Vec<Line<'static>>) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let middle = lines.len().div_ceil(2);
    // A group starts at a line without the keys' indent.
    let starts = |i: &usize| {
        !lines[*i]
            .spans
            .first()
            .is_some_and(|s| s.content.starts_with("  "))
    };
    let split = (1..lines.len())
        .filter(starts)
        .min_by_key(|&i| i.abs_diff(middle))
        .unwrap_or(middle);
    let mut left = lines;
    let right = left.split_off(split.min(left.len()));
    (left, right)
}

/// Draws the overlay centred over whatever is on screen: in two columns when one is
/// too tall, clipped to the screen on very small terminals.
pub fn render(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = help_lines(theme, true);
    if lines.len() + 2 > usize::from(area.height) {
        lines = help_lines(theme, false);
    }
    let columns = if lines.len() + 2 > usize::from(area.height) {
        let (left, right) = two_columns(lines);
        vec![left, right]
    } else {
        vec![lines]
    };
    let widths: Vec<u16> = columns
        .iter()
        .map(|c| {
            let w = c.iter().map(Line::width).max().unwrap_or(0) + 2;
            u16::try_from(w).unwrap_or(u16::MAX)
        })
        .collect();
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX);
    let width = widths.iter().sum::<u16>() + 2;
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
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let areas = Layout::horizontal(widths.iter().map(|&w| Constraint::Length(w))).split(inner);
    for (column, area) in columns.into_iter().zip(areas.iter()) {
        let padded = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(1),
            ..*area
        };
        frame.render_widget(Paragraph::new(column), padded);
    }
}
