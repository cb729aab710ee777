//! The identity table's shape: which columns fit the width, how many rows fit the height,
//! which row is at the top, and what a click lands on. Columns drop out by priority when
//! the terminal is narrow; the view draws the cells of the columns kept here.

use ratatui::layout::{Constraint, Flex, Layout, Position, Rect};

use super::{Hit, ruled};
use crate::app::{App, SortKey};
use crate::engine::snapshot::{Filled, TREND_MINUTES};

/// The identity column never gets narrower than this.
const NAME_MIN: u16 = 12;
/// How the columns are spaced and placed: the drawing and hit-testing share these.
pub const COLUMN_SPACING: u16 = 1;
pub const COLUMN_FLEX: Flex = Flex::Start;

/// A column beside the identity: its title and the room it takes.
pub struct Column {
    pub title: &'static str,
    /// Room for the widest value and for the title with its sort marker.
    pub width: u16,
    /// Lower drops out first when space runs short.
    pub priority: u8,
    /// What it sorts by, which also names it.
    pub sort: SortKey,
}

const fn column(title: &'static str, width: u16, priority: u8, sort: SortKey) -> Column {
    Column {
        title,
        width,
        priority,
        sort,
    }
}

/// The columns beside the identity, in display order.
const COLUMNS: &[Column] = &[
    column("KIND", 8, 2, SortKey::Kind),
    column("REQ/MIN", 8, 5, SortKey::Requests),
    column("IN/MIN", 7, 6, SortKey::Input),
    column("OUT/MIN", 8, 6, SortKey::Output),
    column("P90 IN", 7, 2, SortKey::InputP90),
    column("CACHE%", 7, 3, SortKey::Cache),
    column("$/H", 8, 9, SortKey::Rate),
    column("TODAY", 10, 10, SortKey::Spend),
    column("RISK", 7, 9, SortKey::Risk),
    column("BUDGET", 7, 8, SortKey::Budget),
    column("ETA", 6, 7, SortKey::Eta),
    column("TOOLS/MIN", 10, 4, SortKey::Tools),
    column(
        "TOKENS/MIN, 30 MIN",
        TREND_MINUTES as u16,
        1,
        SortKey::Trend,
    ),
];

/// Whether the column that sorts by `key` holds anything on some row (the identity, KIND
/// and the totals are always shown): `s` skips the others, which are not shown.
pub fn is_filled(key: SortKey, filled: &Filled) -> bool {
    match key {
        SortKey::Requests => filled.requests,
        SortKey::Input => filled.input,
        SortKey::Output => filled.output,
        SortKey::Cache => filled.cache,
        SortKey::Rate => filled.rate,
        SortKey::Budget | SortKey::Eta => filled.budget,
        SortKey::Tools => filled.tools,
        SortKey::Risk => filled.risk,
        SortKey::Trend => filled.trend,
        SortKey::InputP90 => filled.p90_input,
        // The totals column stays, empty or not: its title names the range `t` cycles.
        SortKey::Attention | SortKey::Name | SortKey::Kind | SortKey::Spend => true,
    }
}

/// The columns that fit in `width` next to the identity column, in display order: those
/// that are empty on every row give their room to the names, and those that would squeeze
/// the longest name (up to `NAME_WANTED`) give way by priority.
fn visible_columns(width: u16, filled: &Filled) -> Vec<&'static Column> {
    let shown: Vec<&'static Column> = COLUMNS
        .iter()
        .filter(|c| is_filled(c.sort, filled))
        .collect();
    let name = filled.name.max(NAME_MIN);
    super::table::columns(&shown, width, name, |c| c.width, |c| c.priority)
        .into_iter()
        .map(|i| shown[i])
        .collect()
}

/// Rows of identities that fit in the table area (inside the border, below the header).
pub fn body_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// How the table is laid out in `area`: what the drawing and hit-testing both go by.
pub struct Shape {
    /// The columns shown beside the identity.
    pub columns: Vec<&'static Column>,
    /// The identity column's width: names longer are cut with `…`.
    pub name_width: u16,
    /// The identity's width, then each column's.
    pub widths: Vec<Constraint>,
    pub rows_fit: usize,
    /// Position in `app.order` of the first row shown.
    pub offset: usize,
}

pub fn shape(app: &App, area: Rect) -> Shape {
    let columns = visible_columns(area.width, &app.snapshot.filled);
    let rows_fit = body_rows(area).max(1);
    let others: u16 = columns.iter().map(|c| c.width + COLUMN_SPACING).sum();
    let mut widths = vec![Constraint::Min(NAME_MIN)];
    widths.extend(columns.iter().map(|c| Constraint::Length(c.width)));
    Shape {
        columns,
        name_width: area.width.saturating_sub(others),
        widths,
        rows_fit,
        offset: app
            .table_top()
            .clamp((app.selected + 1).saturating_sub(rows_fit), app.selected),
    }
}

/// What is drawn at `at` in the table's `area`: a row, a column title, or the table.
pub fn hit(area: Rect, app: &App, at: Position) -> Option<Hit> {
    if !area.contains(at) {
        return None;
    }
    let inner = ruled().inner(area);
    if app.order.is_empty() || !inner.contains(at) {
        return Some(Hit::Table);
    }
    let shape = shape(app, area);
    let line = usize::from(at.y - inner.y);
    if line == 0 {
        // The split ratatui's Table makes of its width (it has no selection column).
        let cells = Layout::horizontal(shape.widths)
            .flex(COLUMN_FLEX)
            .spacing(COLUMN_SPACING)
            .split(Rect::new(0, 0, inner.width, 1));
        let x = at.x - inner.x;
        let column = cells.iter().position(|c| c.x <= x && x < c.right());
        let key = column.map(|i| match i.checked_sub(1) {
            None => SortKey::Name,
            Some(i) => shape.columns[i].sort,
        });
        return Some(key.map_or(Hit::Table, Hit::Title));
    }
    let position = shape.offset + line - 1;
    if line - 1 < shape.rows_fit && position < app.order.len() {
        Some(Hit::Row(position))
    } else {
        Some(Hit::Table)
    }
}
