//! Small tables for the detail panel: columns give way by priority, only the rows that fit
//! are formatted, and rows that do not fit are counted on a last "… N more" line (when
//! there is room for it besides one row).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Text;
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::layout::table::{columns, first_row, shown};
use crate::theme::Theme;

pub struct Col {
    pub title: &'static str,
    /// The width, or for the `flex` column its least width (it takes what is left).
    pub width: u16,
    /// Lower drops out first; the flex column never does.
    pub priority: u8,
    pub align: Alignment,
    /// Takes a share of the width left over (names); at least `width`.
    pub flex: bool,
}

impl Col {
    /// A right-aligned number column.
    pub const fn num(title: &'static str, width: u16, priority: u8) -> Col {
        Col {
            title,
            width,
            priority,
            align: Alignment::Right,
            flex: false,
        }
    }

    /// A left-aligned text column.
    pub const fn text(title: &'static str, width: u16, priority: u8) -> Col {
        Col {
            title,
            width,
            priority,
            align: Alignment::Left,
            flex: false,
        }
    }

    /// A left-aligned column that takes a share of the width left over.
    pub const fn flex(title: &'static str, min: u16) -> Col {
        Col {
            title,
            width: min,
            priority: u8::MAX,
            align: Alignment::Left,
            flex: true,
        }
    }
}

/// One cell: its text and how it is drawn.
pub type Cells = Vec<(String, Style)>;

/// `text` in at most `width` characters: cut visibly, with `…`, never silently.
pub(super) fn cut(text: String, width: usize) -> String {
    if text.chars().count() <= width {
        return text;
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        out.push('…');
    }
    out
}

/// Draws `count` rows under a header line; `row(i)` formats row `i` with one cell per
/// column in `cols`, and is only called for the rows on screen.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    count: usize,
    row: impl Fn(usize) -> Cells,
    theme: &Theme,
) {
    render_selected(frame, area, cols, count, None, row, theme);
}

/// [`render`] with row `selected` highlighted and scrolled into view.
pub fn render_selected(
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    count: usize,
    selected: Option<usize>,
    row: impl Fn(usize) -> Cells,
    theme: &Theme,
) {
    let visible = columns(cols, area.width, 0, |c| c.width, |c| c.priority);
    // The flex columns share what the others and the spacing leave (rounded down: a cell
    // is cut a column early rather than silently).
    let fixed: u16 = visible
        .iter()
        .filter(|&&j| !cols[j].flex)
        .map(|&j| cols[j].width + 1)
        .sum();
    let flexes = visible.iter().filter(|&&j| cols[j].flex).count().max(1) as u16;
    let spacing = flexes.saturating_sub(1);
    let flex_width = area.width.saturating_sub(fixed + spacing) / flexes;
    let room = |col: &Col| usize::from(if col.flex { flex_width } else { col.width });
    let body = area.height.saturating_sub(1) as usize;
    let shown = shown(count, area.height);
    let offset = selected.map_or(0, |s| first_row(shown, s));
    let cell = |text: String, style: Style, col: &Col| {
        Cell::from(Text::from(text).alignment(col.align)).style(style)
    };
    let rows: Vec<Row> = (offset..offset + shown)
        .map(|i| {
            let mut cells = row(i);
            if selected == Some(i) {
                // The selection's own colours win over each cell's.
                for (_, style) in &mut cells {
                    *style = theme.row(true);
                }
            }
            Row::new(visible.iter().map(|&j| {
                let (text, style) = cells.get_mut(j).map(std::mem::take).unwrap_or_default();
                cell(cut(text, room(&cols[j])), style, &cols[j])
            }))
            .style(if selected == Some(i) {
                theme.row(true)
            } else {
                Style::new()
            })
        })
        .collect();
    let widths = visible.iter().map(|&j| {
        if cols[j].flex {
            Constraint::Fill(1)
        } else {
            Constraint::Length(cols[j].width)
        }
    });
    let header = Row::new(
        visible
            .iter()
            .map(|&j| cell(cols[j].title.to_string(), Style::new(), &cols[j])),
    );
    let table = Table::new(rows, widths)
        .header(header.style(theme.table_header()))
        .column_spacing(1);
    let table_rows = 1 + shown as u16;
    frame.render_widget(
        table,
        Rect {
            height: table_rows.min(area.height),
            ..area
        },
    );
    let below = count - (offset + shown).min(count);
    if below > 0 && body >= 2 {
        let more = Paragraph::new(format!("… {below} more")).style(theme.muted());
        let y = area.y + table_rows;
        frame.render_widget(
            more,
            Rect {
                y,
                height: 1,
                ..area
            },
        );
    }
}
