//! The help overlay: every binding of the keymap table the loop looks keys up in, grouped
//! by the screen it belongs to, so the help can never disagree with the keys. When the
//! groups are too tall for the terminal they are set side by side. A legend of the
//! table's columns and marks closes it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crossterm::event::KeyModifiers;

use crate::keymap::{Action, KEYMAP, Screen, key_name, key_names};
use crate::replay::controls::CONTROLS;
use crate::theme::Theme;

/// The groups, in the order shown; a group without keys is left out.
const GROUPS: [(Option<Screen>, &str); 4] = [
    (None, "everywhere"),
    (Some(Screen::Table), "identity table"),
    (Some(Screen::Detail), "identity view"),
    (Some(Screen::Alerts), "alert list"),
];

/// What the table's less obvious columns and marks mean, kept short to share a column
/// with the keys.
const LEGEND: &[(&str, &str)] = &[
    ("▲", "active alert: crit, warn"),
    ("△", "its alerts acknowledged (x)"),
    ("CACHE%", "input read from the cache"),
    ("BUDGET", "tightest budget's share used"),
    ("*", "a budget shared with others"),
    ("ETA", "till it runs out at this pace"),
    ("$/H", "spend per hour in the window"),
    ("+?", "some requests have no price"),
    ("·", "none"),
];

const NONE: KeyModifiers = KeyModifiers::NONE;

/// Columns of groups set side by side are this far apart.
const GAP: u16 = 2;

/// Each group's lines: its title, then one line per binding, keys padded to the widest.
/// A replay lists its own keys first, and not live's pause, which they replace.
fn groups(theme: &Theme, replay: bool) -> Vec<Vec<Line<'static>>> {
    let keys_width = KEYMAP
        .iter()
        .map(|b| key_names(b).chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let key_line = |keys: String, help: &'static str| {
        Line::from(vec![
            Span::styled(format!("  {keys:<keys_width$}"), theme.key()),
            Span::styled(help, theme.text()),
        ])
    };
    let mut replay_group = vec![Line::styled("replay", theme.table_header())];
    replay_group.extend(CONTROLS.iter().map(|b| {
        let keys: Vec<String> = b.keys.iter().map(|&k| key_name(k, NONE)).collect();
        key_line(keys.join(" "), b.help)
    }));
    let live = GROUPS.iter().filter_map(|&(screen, title)| {
        let mut lines = vec![Line::styled(title, theme.table_header())];
        let bindings = KEYMAP.iter().filter(|b| b.screen == screen);
        for binding in bindings.filter(|b| !(replay && b.action == Action::Pause)) {
            lines.push(key_line(key_names(binding), binding.help));
        }
        (lines.len() > 1).then_some(lines)
    });
    replay
        .then_some(replay_group)
        .into_iter()
        .chain(live)
        .chain(std::iter::once(legend(keys_width, theme)))
        .collect()
}

fn legend(keys_width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("columns and marks", theme.table_header())];
    lines.extend(LEGEND.iter().map(|&(mark, meaning)| {
        Line::from(vec![
            Span::styled(format!("  {mark:<keys_width$}"), theme.text()),
            Span::styled(meaning, theme.muted()),
        ])
    }));
    lines
}

/// Stacks the groups into columns of at most `rows` lines, in order, each group whole;
/// `spaced` puts a blank line between groups of a column.
fn columns(groups: &[Vec<Line<'static>>], rows: usize, spaced: bool) -> Vec<Vec<Line<'static>>> {
    let mut columns: Vec<Vec<Line<'static>>> = Vec::new();
    for group in groups {
        match columns.last_mut() {
            Some(column) if column.len() + usize::from(spaced) + group.len() <= rows => {
                if spaced {
                    column.push(Line::raw(""));
                }
                column.extend(group.iter().cloned());
            }
            _ => columns.push(group.clone()),
        }
    }
    columns
}

/// Draws the overlay centred over whatever is on screen: one spaced column when it fits,
/// else groups side by side; on a small terminal without the legend, clipped only when
/// even the keys do not fit.
pub fn render(frame: &mut Frame, area: Rect, theme: &Theme, replay: bool) {
    let groups = groups(theme, replay);
    let rows = usize::from(area.height.saturating_sub(2));
    let widths = |columns: &[Vec<Line<'static>>]| -> Vec<u16> {
        columns
            .iter()
            .map(|c| c.iter().map(Line::width).max().unwrap_or(0))
            .map(|w| u16::try_from(w).unwrap_or(u16::MAX))
            .collect()
    };
    // Borders and margins, and the gaps between columns.
    let width_of = |widths: &[u16]| -> u16 {
        let gaps = GAP.saturating_mul(u16::try_from(widths.len().saturating_sub(1)).unwrap_or(0));
        widths
            .iter()
            .fold(gaps, |sum, &w| sum.saturating_add(w))
            .saturating_add(4)
    };
    let fitting = |groups: &[Vec<Line<'static>>]| {
        [
            (usize::MAX, true),
            (usize::MAX, false),
            (rows, true),
            (rows, false),
        ]
        .into_iter()
        .map(|(rows, spaced)| columns(groups, rows, spaced))
        .find(|c| c.iter().all(|lines| lines.len() <= rows) && width_of(&widths(c)) <= area.width)
    };
    // On a small terminal the legend leaves its column for a few wrapped lines under the
    // keys, and goes only when even those do not fit; keys are clipped last.
    let (columns, (gap, strip)) = match fitting(&groups) {
        Some(columns) => (columns, (0, Vec::new())),
        None => match fitting(&groups[..groups.len() - 1]) {
            Some(columns) => {
                let inner = width_of(&widths(&columns)).saturating_sub(4);
                let strip = legend_strip(usize::from(inner), theme);
                let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
                // A blank line above the legend when there is room for one.
                let gap = usize::from(tallest + 1 + strip.len() <= rows);
                let room = tallest + gap + strip.len() <= rows;
                (columns, if room { (gap, strip) } else { (0, Vec::new()) })
            }
            None => (columns(&groups, rows, false), (0, Vec::new())),
        },
    };
    let widths = widths(&columns);
    let keys_height = columns.iter().map(Vec::len).max().unwrap_or(0);
    let tallest = match strip.len() {
        0 => keys_height,
        n => keys_height + gap + n,
    };
    let height = u16::try_from(tallest + 2).unwrap_or(u16::MAX);
    let width = width_of(&widths);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Line::styled(" keys ", theme.title()))
        .title_bottom(Line::styled(" ? or Esc closes ", theme.muted()).right_aligned());
    frame.render_widget(Clear, popup);
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let inner = Rect {
        x: inner.x.saturating_add(1),
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let places = Layout::horizontal(widths.iter().map(|&w| Constraint::Length(w)))
        .spacing(GAP)
        .split(inner);
    for (lines, place) in columns.into_iter().zip(places.iter()) {
        frame.render_widget(Paragraph::new(lines), *place);
    }
    if !strip.is_empty() {
        let below = u16::try_from(keys_height + gap).unwrap_or(u16::MAX);
        let area = Rect {
            y: inner.y.saturating_add(below),
            height: inner.height.saturating_sub(below),
            ..inner
        };
        frame.render_widget(Paragraph::new(strip), area);
    }
}

/// The legend as a few lines of `mark meaning` pairs, wrapped to `width`, for terminals
/// too small to give it a column (no title: the marks speak for themselves).
fn legend_strip(width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for &(mark, meaning) in LEGEND {
        let size = mark.chars().count() + 1 + meaning.chars().count();
        // A pair that would run past the edge starts the next line.
        if !line.is_empty() && used + 3 + size > width {
            lines.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        let gap = if line.is_empty() { 2 } else { 3 };
        line.push(Span::raw(" ".repeat(gap)));
        line.push(Span::styled(format!("{mark} "), theme.text()));
        line.push(Span::styled(meaning, theme.muted()));
        used += gap + size;
    }
    if !line.is_empty() {
        lines.push(Line::from(line));
    }
    lines
}
