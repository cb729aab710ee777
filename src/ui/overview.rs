//! The identity table. Columns drop out by priority when the terminal is narrow, and only
//! the rows on screen are formatted (there may be thousands of identities). Every column
//! sorts (the order itself is the app's); the sorted one's title carries ▼ or ▲. Rows with
//! an active alert are coloured by its severity and marked ▲ (△ once acknowledged).

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use crate::app::{App, SortKey};
use crate::engine::alerts::Severity;
use crate::engine::budget::BudgetLevel;
use crate::engine::snapshot::{IdentityRow, Rates};
use crate::engine::{MAX_IDENTITIES, OTHER_IDENTITY};
use crate::event::TimeMs;
use crate::format;
use crate::layout::identity_table::{COLUMN_FLEX, COLUMN_SPACING, Shape, shape};
use crate::layout::ruled;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::spark;

/// After a row's BUDGET: the budget is shared (a team's, a label's, a model's), so its
/// percentage is not the identity's spend alone.
pub const SHARED: &str = "*";

/// An identity with no event for this long is drawn muted.
const IDLE_MS: i64 = 5 * 60_000;

/// How a cell wants to be drawn.
enum Tone {
    Normal,
    Muted,
    Unpriced,
    Trend,
    /// A budget's level, in its theme colour.
    Budget(Level),
    /// A finding's severity, in its alert colour.
    Alert(Severity),
}

impl From<BudgetLevel> for Tone {
    fn from(level: BudgetLevel) -> Self {
        Tone::Budget(level.into())
    }
}

fn rate(x: f64) -> (String, Tone) {
    if x == 0.0 {
        ("·".into(), Tone::Muted)
    } else {
        (format::si(x), Tone::Normal)
    }
}

/// `text` in `width` columns: cut with `…` when longer, never silently.
fn cut(text: &str, width: usize) -> String {
    let columns = |s: &str| Span::raw(s).width();
    if columns(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = columns(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The cell of a row, given the snapshot's clock.
type CellFn = fn(&IdentityRow, TimeMs) -> (String, Tone);

/// How the column that sorts by `key` draws: numbers line up on the right, the sparkline
/// reads from the left.
fn look(key: SortKey) -> (Alignment, CellFn) {
    let cell: CellFn = match key {
        // The identity is drawn apart, with its alert's marker; this is its bare text.
        SortKey::Name | SortKey::Attention => |r, _| (sanitize(&r.name, 60), Tone::Normal),
        SortKey::Kind => |r, _| (r.kind.short_label().into(), Tone::Muted),
        SortKey::Requests => |r, _| rate(r.rates.requests_per_min),
        SortKey::Input => |r, _| rate(r.rates.input_per_min),
        SortKey::Output => |r, _| rate(r.rates.output_per_min),
        SortKey::InputP90 => |r, _| match r.p90_input {
            Some(p90) => (format::si(p90 as f64), Tone::Normal),
            None => ("·".into(), Tone::Muted),
        },
        SortKey::Cache => |r, _| match r.rates.cache_hit_rate {
            Some(share) => (format::percent(share), Tone::Normal),
            None => ("·".into(), Tone::Muted),
        },
        SortKey::Rate => |r, _| rate_usd(&r.rates),
        SortKey::Spend => |r, _| spend(r),
        SortKey::Risk => |r, _| risk(r),
        SortKey::Budget => |r, _| budget(r),
        SortKey::Eta => eta,
        SortKey::Tools => |r, _| rate(r.rates.tool_calls_per_min),
        SortKey::Trend => |r, _| (spark::bars(&r.trend), Tone::Trend),
    };
    let align = match key {
        SortKey::Name | SortKey::Attention | SortKey::Trend => Alignment::Left,
        _ => Alignment::Right,
    };
    (align, cell)
}

/// Findings over the totals range: how many, and the worst's severity (`2 crit`).
fn risk(r: &IdentityRow) -> (String, Tone) {
    match r.risk.worst {
        None => ("·".into(), Tone::Muted),
        Some(worst) => (
            format!("{} {}", r.risk.findings, worst.label()),
            Tone::Alert(worst),
        ),
    }
}

/// Spend per hour; requests with no price make it a lower bound, marked as `today` is.
fn rate_usd(rates: &Rates) -> (String, Tone) {
    match (rates.unpriced_requests, rates.cost_per_hour) {
        (0, 0.0) => ("·".into(), Tone::Muted),
        (0, x) => (format::usd(x), Tone::Normal),
        (n, x) => (format::usd_lower_bound(x, n), Tone::Unpriced),
    }
}

/// Spend over the totals range; requests with no price make it a lower bound, marked with
/// `+?`; nothing in the range is `·`, not `$0`.
fn spend(r: &IdentityRow) -> (String, Tone) {
    let usage = &r.in_range;
    let tone = match usage.unpriced_requests {
        _ if usage.requests == 0 => return ("·".into(), Tone::Muted),
        0 => Tone::Normal,
        _ => Tone::Unpriced,
    };
    let cost = format::usd_lower_bound(usage.cost_usd, usage.unpriced_requests);
    (cost, tone)
}

/// The tightest budget's share used: `82%`, then `12x` from ten times the limit on;
/// [`SHARED`] after it when other identities draw on that budget too.
fn budget(r: &IdentityRow) -> (String, Tone) {
    let Some(b) = &r.budget else {
        return ("·".into(), Tone::Muted);
    };
    let share = if b.percent >= 1000.0 {
        format!("{:.0}x", b.percent / 100.0)
    } else {
        format!("{:.0}%", b.percent)
    };
    let shared = if b.shared { SHARED } else { "" };
    (format!("{share}{shared}"), b.level.into())
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

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = ruled().border_style(theme.border());
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
        name_width,
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
        Tone::Alert(severity) => base.patch(theme.alert(severity)),
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
            let severity = match (alert, budget_style(r, theme)) {
                (Some(a), _) if a.acknowledged => Some(theme.acknowledged()),
                (Some(a), _) => Some(theme.alert_row(a.severity)),
                (None, Some(state)) => Some(theme.row(false).patch(state)),
                (None, None) => None,
            };
            let base = match severity {
                _ if selected => theme.row(true),
                Some(style) => style,
                None if idle => theme.muted(),
                None => theme.row(false),
            };
            // The selection keeps the identity in its severity's colours, so the cursor
            // never hides that the row is in trouble.
            let name_style = match severity {
                Some(style) if selected => Style::new()
                    .bg(Color::Reset)
                    .remove_modifier(Modifier::REVERSED)
                    .patch(style),
                _ => base,
            };
            // A marker too, for terminals (and people) that do not see the colours.
            let shown = sanitize(r.display.as_deref().unwrap_or(&r.name), 120);
            let name = match alert {
                Some(a) if a.acknowledged => format!("△ {shown}"),
                Some(_) => format!("▲ {shown}"),
                None => shown,
            };
            let name = cut(&name, usize::from(name_width));
            let mut cells = vec![Cell::from(name).style(name_style)];
            cells.extend(columns.iter().map(|c| {
                let (align, cell) = look(c.sort);
                let (text, tone) = cell(r, now);
                // Rows in an alert keep one style across: tones would break the band.
                let style = if selected || alert.is_some() {
                    base
                } else {
                    tone_style(tone, base)
                };
                Cell::from(Text::from(text).alignment(align)).style(style)
            }));
            Row::new(cells).style(base)
        });
    let marker = if app.sort_descending() { "▼" } else { "▲" };
    let title = |text: &str, sort: SortKey| {
        if app.sort() == sort {
            format!("{text}{marker}")
        } else {
            text.to_string()
        }
    };
    let mut header = vec![Cell::from(title("IDENTITY", SortKey::Name))];
    header.extend(columns.iter().map(|c| {
        // The totals column is named after its range: `TODAY`, `7D`, `30D`, `ALL`.
        let text = match c.sort {
            SortKey::Spend => app.snapshot.range.title(),
            _ => c.title,
        };
        Cell::from(Text::from(title(text, c.sort)).alignment(look(c.sort).0))
    }));
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
