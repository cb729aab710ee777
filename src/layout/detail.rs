//! The identity view's shape: which parts it shows, in which column, and the rows each
//! gets. Parts are stacked (two columns on wide terminals); when rows run short, whole
//! parts give way, least telling first, rather than all being cut. The view draws each
//! part where this places it, and a click on the latest requests is found here too.

use ratatui::layout::{Constraint, Layout, Position, Rect};

use super::{Hit, ruled, table};
use crate::app::App;
use crate::engine::snapshot::IdentityDetail;

/// From this inner width the latest requests get a column of their own.
const TWO_COLUMNS: u16 = 120;
/// The left column's least width: every column of the tools table fits in it.
const LEFT_MIN: u16 = 64;
/// Chart rows of the token and cost timelines (each has a label line too; the token
/// chart a legend and a line of markers).
const TOKEN_ROWS: u16 = 8;
const COST_ROWS: u16 = 3;

/// One stacked part of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// What it costs and how fast it goes now: one line.
    Summary,
    /// Cache use and when it was seen: one line.
    Activity,
    TokenTimeline,
    /// Its spend by token class, under the tokens by class: one line.
    CostSplit,
    CostTimeline,
    Sizes,
    Models,
    Kinds,
    Tools,
    Budgets,
    Alerts,
    /// Its findings (policy, new tool, secret, unattributed spend): `f` moves into them.
    Findings,
    /// The latest requests: always the last part of the last column.
    Recent,
}

/// The rows one part can use.
#[derive(Clone, Copy, Debug)]
struct Rows {
    /// Lower gives way first when rows run short, and grows last.
    priority: u8,
    min: u16,
    want: u16,
    /// Takes the rows still left once every part has what it wants.
    fill: bool,
}

impl Rows {
    /// One line, and nothing more.
    fn line(priority: u8) -> Self {
        Rows {
            priority,
            min: 1,
            want: 1,
            fill: false,
        }
    }

    /// A heading line and `count` lines under it, at least one of them shown.
    fn listing(priority: u8, count: usize, fill: bool) -> Self {
        Rows {
            priority,
            min: 2,
            want: u16::try_from(count.saturating_add(1)).unwrap_or(u16::MAX),
            fill,
        }
    }
}

/// The sizes shown: those with a value in the last day.
fn size_count(d: &IdentityDetail) -> usize {
    d.sizes.rows().len()
}

/// The rows `part` can use for the identity `d`.
fn rows(part: Part, d: &IdentityDetail) -> Rows {
    match part {
        Part::Summary => Rows::line(10),
        Part::Activity => Rows::line(6),
        Part::TokenTimeline => Rows {
            priority: 6,
            min: 4,
            want: TOKEN_ROWS + 3,
            fill: false,
        },
        // Gives way before the sizes on a short terminal.
        Part::CostSplit => Rows::line(2),
        Part::CostTimeline => Rows {
            priority: 5,
            min: 2,
            want: COST_ROWS + 1,
            fill: false,
        },
        // Input and output at least; latency when there is room.
        Part::Sizes => match size_count(d) {
            0 => Rows::line(3),
            n => Rows {
                min: 1 + n.min(2) as u16,
                ..Rows::listing(3, n, false)
            },
        },
        // An empty listing is one line that says so (the kinds table keeps its header).
        Part::Models if d.by_model.is_empty() => Rows::line(7),
        Part::Models => Rows::listing(7, d.by_model.len(), false),
        Part::Kinds => Rows::listing(3, d.by_kind.len(), false),
        Part::Tools if d.tools.is_empty() => Rows::line(4),
        Part::Tools => Rows::listing(4, d.tools.len(), false),
        Part::Budgets => Rows::listing(9, d.budgets.len(), false),
        Part::Alerts => Rows::listing(9, d.alerts.len(), false),
        // What it did that it should not have: kept before its spend's details.
        Part::Findings => Rows::listing(9, d.findings.len(), false),
        Part::Recent => match d.recent.len() {
            0 => Rows::line(8),
            n => Rows {
                want: 6,
                ..Rows::listing(8, n, true)
            },
        },
    }
}

/// Heights for parts stacked in `height` rows: parts drop out, lowest priority first,
/// until their minimums fit; spare rows then go, highest priority first, to the parts
/// that want more, and what is left to the filling ones. A height of 0 means the part is
/// not drawn.
fn allocate(height: u16, parts: &[Rows]) -> Vec<u16> {
    let mut kept = vec![true; parts.len()];
    let need = |kept: &[bool]| -> u32 {
        parts
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(p, _)| u32::from(p.min))
            .sum()
    };
    while need(&kept) > u32::from(height) {
        let lowest = (0..parts.len())
            .filter(|&i| kept[i])
            .min_by_key(|&i| parts[i].priority);
        match lowest {
            Some(i) => kept[i] = false,
            None => break,
        }
    }
    let mut heights: Vec<u16> = parts
        .iter()
        .zip(&kept)
        .map(|(p, &k)| if k { p.min } else { 0 })
        .collect();
    let mut spare = height.saturating_sub(heights.iter().sum());
    let mut by_priority: Vec<usize> = (0..parts.len()).filter(|&i| kept[i]).collect();
    by_priority.sort_by_key(|&i| std::cmp::Reverse(parts[i].priority));
    for &i in &by_priority {
        let grow = parts[i].want.saturating_sub(parts[i].min).min(spare);
        heights[i] += grow;
        spare -= grow;
    }
    if let Some(&i) = by_priority.iter().find(|&&i| parts[i].fill) {
        heights[i] += spare;
    }
    heights
}

/// The columns of the view and their parts, top to bottom: from [`TWO_COLUMNS`] the
/// budgets, alerts, findings and latest requests go right.
fn columns(inner: Rect, d: &IdentityDetail) -> Vec<(Rect, Vec<Part>)> {
    let mut main = vec![
        Part::Summary,
        Part::Activity,
        Part::TokenTimeline,
        Part::CostSplit,
        Part::CostTimeline,
        Part::Sizes,
        Part::Models,
        Part::Kinds,
        Part::Tools,
    ];
    if d.row.totals.requests == 0 && d.tools.is_empty() {
        main.truncate(2);
    }
    let mut at_stake = Vec::new();
    if !d.budgets.is_empty() {
        at_stake.push(Part::Budgets);
    }
    if !d.alerts.is_empty() {
        at_stake.push(Part::Alerts);
    }
    if !d.findings.is_empty() {
        at_stake.push(Part::Findings);
    }
    if inner.width >= TWO_COLUMNS {
        let [left, _, right] = Layout::horizontal([
            Constraint::Length((inner.width * 9 / 20).max(LEFT_MIN)),
            Constraint::Length(2),
            Constraint::Fill(1),
        ])
        .areas(inner);
        at_stake.push(Part::Recent);
        vec![(left, main), (right, at_stake)]
    } else {
        main.splice(1..1, at_stake);
        main.push(Part::Recent);
        vec![(inner, main)]
    }
}

/// Where each part of `d`'s view goes inside the view's frame (`inner`); parts that do
/// not fit are left out.
pub fn places(inner: Rect, d: &IdentityDetail) -> Vec<(Part, Rect)> {
    let mut placed = Vec::new();
    for (column, parts) in columns(inner, d) {
        let wanted: Vec<Rows> = parts.iter().map(|&p| rows(p, d)).collect();
        let mut y = column.y;
        for (part, height) in parts.into_iter().zip(allocate(column.height, &wanted)) {
            if height > 0 {
                placed.push((part, Rect::new(column.x, y, column.width, height)));
            }
            y += height;
        }
    }
    placed
}

/// What a click at `at` in the view (drawn in `area`) lands on: one of the latest
/// requests or findings, or elsewhere in the view (where the wheel still scrolls them).
pub fn hit(area: Rect, app: &App, at: Position) -> Option<Hit> {
    if app.event_popup().is_some() || app.finding_popup().is_some() || !area.contains(at) {
        return None;
    }
    let row = |part: Part, cursor: usize| {
        part_area(area, app, part)
            .filter(|(r, _)| r.contains(at) && at.y > r.y)
            .and_then(|(r, count)| {
                let line = usize::from(at.y - r.y - 1);
                let shown = table::shown(count, r.height);
                (line < shown).then(|| table::first_row(shown, cursor) + line)
            })
    };
    let finding = row(Part::Findings, app.finding_cursor()).map(Hit::Finding);
    let event = || row(Part::Recent, app.event_cursor()).map(Hit::Event);
    Some(finding.or_else(event).unwrap_or(Hit::Identity))
}

/// Rows in sight of the list the keys move in (the latest requests, or the findings
/// after `f`) in the identity view drawn in `area`: its page.
pub fn page_rows(area: Rect, app: &App) -> usize {
    let part = if app.in_findings() {
        Part::Findings
    } else {
        Part::Recent
    };
    part_area(area, app, part).map_or(0, |(r, count)| table::shown(count, r.height))
}

/// Where a listing part is drawn in the view's `area` (its title line first), and how many
/// rows it lists.
fn part_area(area: Rect, app: &App, part: Part) -> Option<(Rect, usize)> {
    let detail = app.detail()?;
    let (_, place) = places(ruled().inner(area), detail)
        .into_iter()
        .find(|(p, _)| *p == part)?;
    let count = match part {
        Part::Findings => detail.findings.len(),
        _ => detail.recent.len(),
    };
    Some((place, count))
}

#[cfg(test)]
mod tests {
    use super::{Rows, allocate};

    fn rows(priority: u8, min: u16, want: u16, fill: bool) -> Rows {
        Rows {
            priority,
            min,
            want,
            fill,
        }
    }

    #[test]
    fn parts_give_way_lowest_priority_first() {
        let parts = [
            rows(10, 1, 1, false),
            rows(5, 2, 4, false),
            rows(8, 2, 6, true),
            rows(3, 2, 6, false),
        ];
        assert_eq!(allocate(40, &parts), vec![1, 4, 29, 6]);
        assert_eq!(allocate(12, &parts), vec![1, 3, 6, 2]);
        assert_eq!(allocate(7, &parts), vec![1, 2, 2, 2]);
        assert_eq!(allocate(6, &parts), vec![1, 2, 3, 0]);
        assert_eq!(allocate(3, &parts), vec![1, 0, 2, 0]);
        assert_eq!(allocate(1, &parts), vec![1, 0, 0, 0]);
        assert_eq!(allocate(0, &parts), vec![0, 0, 0, 0]);
    }
}
