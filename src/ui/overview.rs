//! The identity table. Columns drop out by priority when the terminal is narrow, and only
//! the rows on screen are formatted (there may be thousands of identities). Every column
//! sorts (the order itself is the app's); the sorted one's title carries ▼ or ▲. Rows with
//! an active alert are coloured by its severity and marked ▲ (△ once acknowledged).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::Text;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use crate::app::{App, SortKey};
use crate::engine::budget::BudgetLevel;
use crate::engine::snapshot::{IdentityRow, Rates, TREND_MINUTES};
use crate::engine::{MAX_IDENTITIES, OTHER_IDENTITY};
use crate::event::{IdentityKind, TimeMs};
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::hit::Hit;
use crate::ui::{fit, spark};

/// An identity with no event for this long is drawn muted.
const IDLE_MS: i64 = 5 * 60_000;
/// The identity column never gets narrower than this.
const NAME_MIN: u16 = 12;
/// How the columns are spaced and placed: the drawing and hit-testing share these.
const COLUMN_SPACING: u16 = 1;
const COLUMN_FLEX: Flex = Flex::Start;

/// How a cell wants to be drawn.
enum Tone {
    Normal,
    Muted,
    Unpriced,
    Trend,
    /// A budget's level, in its theme colour.
    Budget(Level),
}

impl From<BudgetLevel> for Tone {
    fn from(level: BudgetLevel) -> Self {
        Tone::Budget(level.into())
    }
}

struct Column {
    title: &'static str,
    /// Room for the widest value and for the title with its sort marker.
    width: u16,
    /// Lower drops out first when space runs short.
    priority: u8,
    sort: SortKey,
    /// Numbers line up on the right; the sparkline reads from the left.
    align: Alignment,
    /// The cell of a row, given the snapshot's clock.
    cell: fn(&IdentityRow, TimeMs) -> (String, Tone),
    /// Shown only when the config has budgets (else it would be empty on every row).
    budgets_only: bool,
}

fn kind_label(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::ServiceAccount => "svc-acct",
        other => other.label(),
    }
}

fn rate(x: f64) -> (String, Tone) {
    if x == 0.0 {
        ("·".into(), Tone::Muted)
    } else {
        (format::si(x), Tone::Normal)
    }
}

const COLUMNS: &[Column] = &[
    Column {
        title: "KIND",
        width: 8,
        priority: 2,
        sort: SortKey::Kind,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| (kind_label(r.kind).into(), Tone::Muted),
    },
    Column {
        title: "REQ/MIN",
        width: 8,
        priority: 5,
        sort: SortKey::Requests,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| rate(r.rates.requests_per_min),
    },
    Column {
        title: "IN/MIN",
        width: 7,
        priority: 6,
        sort: SortKey::Input,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| rate(r.rates.input_per_min),
    },
    Column {
        title: "OUT/MIN",
        width: 8,
        priority: 6,
        sort: SortKey::Output,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| rate(r.rates.output_per_min),
    },
    Column {
        title: "CACHE%",
        width: 7,
        priority: 3,
        sort: SortKey::Cache,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| match r.rates.cache_hit_rate {
            Some(share) => (format::percent(share), Tone::Normal),
            None => ("·".into(), Tone::Muted),
        },
    },
    Column {
        title: "$/H",
        width: 8,
        priority: 9,
        sort: SortKey::Rate,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| rate_usd(&r.rates),
    },
    Column {
        title: "TODAY",
        width: 10,
        priority: 10,
        sort: SortKey::Spend,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| today(r),
    },
    Column {
        title: "BUDGET",
        width: 7,
        priority: 8,
        sort: SortKey::Budget,
        align: Alignment::Right,
        budgets_only: true,
        cell: |r, _| budget(r),
    },
    Column {
        title: "ETA",
        width: 6,
        priority: 7,
        sort: SortKey::Eta,
        align: Alignment::Right,
        budgets_only: true,
        cell: eta,
    },
    Column {
        title: "TOOLS/MIN",
        width: 10,
        priority: 4,
        sort: SortKey::Tools,
        align: Alignment::Right,
        budgets_only: false,
        cell: |r, _| rate(r.rates.tool_calls_per_min),
    },
    Column {
        title: "TOKENS/MIN, 30 MIN",
        width: TREND_MINUTES as u16,
        priority: 1,
        sort: SortKey::Trend,
        align: Alignment::Left,
        budgets_only: false,
        cell: |r, _| (spark::bars(&r.trend), Tone::Trend),
    },
];

/// Spend per hour; requests with no price make it a lower bound, marked as `today` is.
fn rate_usd(rates: &Rates) -> (String, Tone) {
    match (rates.unpriced_requests, rates.cost_per_hour) {
        (0, 0.0) => ("·".into(), Tone::Muted),
        (0, x) => (format::usd(x), Tone::Normal),
        (n, x) => (format::usd_lower_bound(x, n), Tone::Unpriced),
    }
}

/// Spend today; requests with no price make it a lower bound, marked with `+?`.
fn today(r: &IdentityRow) -> (String, Tone) {
    let tone = match r.today.unpriced_requests {
        0 => Tone::Normal,
        _ => Tone::Unpriced,
    };
    let cost = format::usd_lower_bound(r.today.cost_usd, r.today.unpriced_requests);
    (cost, tone)
}

/// The tightest budget's share used: `82%`, then `12x` from ten times the limit on.
fn budget(r: &IdentityRow) -> (String, Tone) {
    match &r.budget {
        None => ("·".into(), Tone::Muted),
        Some(b) if b.percent >= 1000.0 => (format!("{:.0}x", b.percent / 100.0), b.level.into()),
        Some(b) => (format!("{:.0}%", b.percent), b.level.into()),
    }
}

/// How long until the tightest budget runs out at the current rate; `over` once it has.
fn eta(r: &IdentityRow, now: TimeMs) -> (String, Tone) {
    match &r.budget {
        Some(b) if b.level == BudgetLevel::Over => ("over".into(), b.level.into()),
        Some(b) => match b.exhausted_at {
            Some(t) => (format::span(t - now), b.level.into()),
            None => ("·".into(), Tone::Muted),
        },
        None => ("·".into(), Tone::Muted),
    }
}

/// The columns that fit in `width` next to the identity column, in display order; the
/// budget columns only when there are budgets.
fn visible_columns(width: u16, budgets: bool) -> Vec<&'static Column> {
    let shown: Vec<&'static Column> = COLUMNS
        .iter()
        .filter(|c| budgets || !c.budgets_only)
        .collect();
    fit::columns(&shown, width, NAME_MIN, |c| c.width, |c| c.priority)
        .into_iter()
        .map(|i| shown[i])
        .collect()
}

/// A row's style by its tightest budget: over is critical, warn is warn, whatever else.
fn budget_style(r: &IdentityRow, theme: &Theme) -> Option<Style> {
    match r.budget.as_ref()?.level {
        BudgetLevel::Ok => None,
        level => Some(theme.level(level.into())),
    }
}

/// Past the identity cap, the row that folds the rest and how much it folded: in sight
/// whatever the sort and the scroll.
/// The count is the row's own requests (copies of a response counted once), whatever the
/// filter shows.
fn folded_note(app: &App) -> Option<String> {
    let other = app
        .snapshot
        .identities
        .iter()
        .find(|row| row.name == OTHER_IDENTITY)?;
    Some(format!(
        " {OTHER_IDENTITY}: {} requests of identities past the first {} ",
        format::int(other.totals.requests),
        format::int(MAX_IDENTITIES as u64)
    ))
}

/// Rows of identities that fit in the table area (inside the border, below the header).
pub fn body_rows(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

/// The table's frame: a rule above and below.
fn frame_block<'a>() -> Block<'a> {
    Block::default().borders(Borders::TOP | Borders::BOTTOM)
}

/// How the table is laid out in `area`: what the drawing and hit-testing both go by.
struct Shape {
    /// The columns shown beside the identity.
    columns: Vec<&'static Column>,
    /// The identity's width, then each column's.
    widths: Vec<Constraint>,
    rows_fit: usize,
    /// Position in `app.order` of the first row shown.
    offset: usize,
}

fn shape(app: &App, area: Rect) -> Shape {
    let columns = visible_columns(area.width, !app.snapshot.budgets.is_empty());
    let rows_fit = body_rows(area).max(1);
    let mut widths = vec![Constraint::Min(NAME_MIN)];
    widths.extend(columns.iter().map(|c| Constraint::Length(c.width)));
    Shape {
        columns,
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
    let inner = frame_block().inner(area);
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

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = frame_block().border_style(theme.border());
    if app.order.is_empty() {
        let waiting = Paragraph::new(Text::from(vec![
            "".into(),
            "Waiting for usage events…".into(),
            "New lines in the followed files appear here as they are written.".into(),
        ]))
        .alignment(Alignment::Center)
        .style(theme.muted())
        .block(block);
        frame.render_widget(waiting, area);
        return;
    }
    let Shape {
        columns,
        widths,
        rows_fit,
        offset,
    } = shape(app, area);
    let now = app.snapshot.now;
    let tone_style = |tone: Tone, base: Style| match tone {
        Tone::Normal => base,
        Tone::Muted => base.patch(theme.muted()),
        Tone::Unpriced => base.patch(theme.unpriced()),
        Tone::Trend => base.patch(theme.trend()),
        Tone::Budget(level) => base.patch(theme.level(level)),
    };
    let rows = app
        .order
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows_fit)
        .filter_map(|(pos, &i)| Some((pos, app.snapshot.identities.get(i)?, app.row_alert(i))))
        .map(|(pos, r, alert)| {
            let selected = pos == app.selected;
            let idle = now - r.last_seen > IDLE_MS;
            // An alert wins over a budget's state, which wins over idleness: an
            // over-budget identity that went quiet is still over.
            let base = match (alert, budget_style(r, theme)) {
                _ if selected => theme.row(true),
                (Some(a), _) if a.acknowledged => theme.acknowledged(),
                (Some(a), _) => theme.alert_row(a.severity),
                (None, Some(state)) => theme.row(false).patch(state),
                (None, None) if idle => theme.muted(),
                (None, None) => theme.row(false),
            };
            // A marker too, for terminals (and people) that do not see the colours.
            let name = match alert {
                Some(a) if a.acknowledged => format!("△ {}", sanitize(&r.name, 60)),
                Some(_) => format!("▲ {}", sanitize(&r.name, 60)),
                None => sanitize(&r.name, 60),
            };
            let mut cells = vec![Cell::from(name).style(base)];
            cells.extend(columns.iter().map(|c| {
                let (text, tone) = (c.cell)(r, now);
                // Rows in an alert keep one style across: tones would break the band.
                let style = if selected || alert.is_some() {
                    base
                } else {
                    tone_style(tone, base)
                };
                Cell::from(Text::from(text).alignment(c.align)).style(style)
            }));
            Row::new(cells).style(base)
        });
    let marker = if app.sort_descending() { "▼" } else { "▲" };
    let title = |text: &str, sort: SortKey| {
        if app.sort == sort {
            format!("{text}{marker}")
        } else {
            text.to_string()
        }
    };
    let mut header = vec![Cell::from(title("IDENTITY", SortKey::Name))];
    header.extend(
        columns
            .iter()
            .map(|c| Cell::from(Text::from(title(c.title, c.sort)).alignment(c.align))),
    );
    let title = format!(
        " {} of {} ",
        (app.selected + 1).min(app.order.len()),
        app.order.len()
    );
    let mut block =
        block.title_bottom(ratatui::text::Line::styled(title, theme.muted()).right_aligned());
    if let Some(folded) = folded_note(app) {
        block = block.title_bottom(ratatui::text::Line::styled(
            folded,
            theme.level(Level::Warn),
        ));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.table_header()))
        .column_spacing(COLUMN_SPACING)
        .flex(COLUMN_FLEX)
        .block(block);
    frame.render_widget(table, area);
}
