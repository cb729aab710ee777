//! The detail panel of one identity: what it spends and how fast, its trend, how big its
//! requests are, its models and tools, and its latest requests. Drawn from the snapshot's
//! `detail` alone. Sections are stacked (two columns on wide terminals); when rows run
//! short, whole sections give way, least telling first, rather than all being cut.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::App;
use crate::engine::snapshot::IdentityDetail;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::Theme;
use crate::ui::detail_side as side;
use crate::ui::detail_tables as tables;
use crate::ui::fit::{self, Segment};
use crate::ui::hit::Hit;
use crate::ui::table;
use crate::ui::timeline;

/// From this inner width the latest requests get a column of their own.
const TWO_COLUMNS: u16 = 120;
/// The left column's least width: every column of the tools table fits in it.
const LEFT_MIN: u16 = 64;

/// The rows one section can use.
#[derive(Clone, Copy, Debug)]
pub struct Rows {
    /// Lower gives way first when rows run short, and grows last.
    pub priority: u8,
    pub min: u16,
    pub want: u16,
    /// Takes the rows still left once every section has what it wants.
    pub fill: bool,
}

impl Rows {
    /// One line, and nothing more.
    pub fn line(priority: u8) -> Self {
        Rows {
            priority,
            min: 1,
            want: 1,
            fill: false,
        }
    }

    /// A heading line and `count` lines under it, at least one of them shown.
    pub fn listing(priority: u8, count: usize, fill: bool) -> Self {
        Rows {
            priority,
            min: 2,
            want: u16::try_from(count.saturating_add(1)).unwrap_or(u16::MAX),
            fill,
        }
    }
}

/// Draws a section into the rows it was given (known only once every section is placed).
pub type Draw<'a> = Box<dyn FnOnce(&mut Frame, Rect) + 'a>;

/// One stacked part of the panel.
pub struct Section<'a> {
    pub rows: Rows,
    pub draw: Draw<'a>,
}

/// Heights for sections stacked in `height` rows: sections drop out, lowest priority
/// first, until their minimums fit; spare rows then go, highest priority first, to the
/// sections that want more, and what is left to the filling ones. A height of 0 means
/// the section is not drawn.
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

/// Where each section goes in `area`: `None` for those that do not fit.
fn places(area: Rect, parts: &[Rows]) -> Vec<Option<Rect>> {
    let mut y = area.y;
    allocate(area.height, parts)
        .into_iter()
        .map(|height| {
            let place = (height > 0).then(|| Rect::new(area.x, y, area.width, height));
            y += height;
            place
        })
        .collect()
}

/// Draws sections top to bottom in `area`, as many as fit.
fn stack(frame: &mut Frame, area: Rect, sections: Vec<Section>) {
    let parts: Vec<Rows> = sections.iter().map(|s| s.rows).collect();
    for (section, place) in sections.into_iter().zip(places(area, &parts)) {
        if let Some(place) = place {
            (section.draw)(frame, place);
        }
    }
}

/// The panel's frame: a rule above with the identity's name, and one below.
fn block<'a>(app: &App, theme: &Theme) -> Block<'a> {
    let name = sanitize(app.focus().unwrap_or_default(), 60);
    let title = Line::from(vec![
        Span::styled(format!(" {name} "), theme.title()),
        Span::styled(format!("timeline {} (w) ", app.span.label()), theme.muted()),
    ]);
    Block::default()
        .borders(Borders::TOP | Borders::BOTTOM)
        .border_style(theme.border())
        .title(title)
}

/// The columns of the panel and their sections, top to bottom: from [`TWO_COLUMNS`] the
/// budgets, alerts and latest requests go right. The latest requests are always the last
/// section of the last column.
fn columns<'a>(
    inner: Rect,
    app: &'a App,
    d: &'a IdentityDetail,
    theme: &'a Theme,
) -> Vec<(Rect, Vec<Section<'a>>)> {
    let now = app.snapshot.now;
    let window = app.snapshot.window.label();
    let recent = tables::recent(d, now, app.event_cursor(), theme);
    if inner.width >= TWO_COLUMNS {
        let [left, _, right] = Layout::horizontal([
            Constraint::Length((inner.width * 9 / 20).max(LEFT_MIN)),
            Constraint::Length(2),
            Constraint::Fill(1),
        ])
        .areas(inner);
        let mut side = at_stake(d, now, theme);
        side.push(recent);
        vec![
            (left, sections(d, now, window, left.width, theme)),
            (right, side),
        ]
    } else {
        let mut all = sections(d, now, window, inner.width, theme);
        all.splice(1..1, at_stake(d, now, theme));
        all.push(recent);
        vec![(inner, all)]
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = block(app, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(detail) = app.detail() else {
        let waiting = Paragraph::new("No data for this identity yet.").style(theme.muted());
        frame.render_widget(waiting, inner);
        return;
    };
    for (place, sections) in columns(inner, app, detail, theme) {
        stack(frame, place, sections);
    }
}

/// What a click at `at` in the panel (drawn in `area`) lands on: one of the latest
/// requests, or elsewhere in the panel (where the wheel still scrolls them).
pub fn hit(area: Rect, app: &App, at: Position) -> Option<Hit> {
    if app.event_popup().is_some() || !area.contains(at) {
        return None;
    }
    let row = recent_area(area, app)
        .filter(|(r, _)| r.contains(at) && at.y > r.y)
        .and_then(|(r, count)| {
            let line = usize::from(at.y - r.y - 1);
            let shown = table::shown(count, r.height);
            (line < shown).then(|| table::first_row(shown, app.event_cursor()) + line)
        });
    Some(row.map_or(Hit::Identity, Hit::Event))
}

/// Latest requests in sight in the identity view drawn in `area`: its page.
pub fn recent_rows(area: Rect, app: &App) -> usize {
    recent_area(area, app).map_or(0, |(r, count)| table::shown(count, r.height))
}

/// Where the latest requests are drawn in the view's `area` (their title line first), and
/// how many there are.
fn recent_area(area: Rect, app: &App) -> Option<(Rect, usize)> {
    let theme = Theme::builtin();
    let inner = block(app, &theme).inner(area);
    let detail = app.detail()?;
    let (column, sections) = columns(inner, app, detail, &theme).pop()?;
    let parts: Vec<Rows> = sections.iter().map(|s| s.rows).collect();
    let recent = places(column, &parts).pop().flatten()?;
    Some((recent, detail.recent.len()))
}

/// The identity's budgets and alerts, when it has any.
fn at_stake<'a>(d: &'a IdentityDetail, now: i64, theme: &'a Theme) -> Vec<Section<'a>> {
    let mut parts = Vec::new();
    if !d.budgets.is_empty() {
        parts.push(side::budgets(d, now, theme));
    }
    if !d.alerts.is_empty() {
        parts.push(side::alerts(d, now, theme));
    }
    parts
}

/// Everything but the budgets, alerts and latest requests, top to bottom.
fn sections<'a>(
    d: &'a IdentityDetail,
    now: i64,
    window: &str,
    width: u16,
    theme: &'a Theme,
) -> Vec<Section<'a>> {
    let mut all = vec![
        line_section(10, summary(d, width, theme)),
        line_section(6, activity(d, now, window, width, theme)),
        timeline::tokens(d, theme),
        timeline::cost(d, theme),
        tables::sizes(d, theme),
        tables::models(d, theme),
        tables::kinds(d, theme),
        tables::tools(d, now, theme),
    ];
    if d.row.totals.requests == 0 && d.tools.is_empty() {
        all.truncate(2);
    }
    all
}

fn line_section<'a>(priority: u8, line: Line<'a>) -> Section<'a> {
    Section {
        rows: Rows::line(priority),
        draw: Box::new(move |frame, area| frame.render_widget(Paragraph::new(line), area)),
    }
}

/// What it costs and how fast it goes now.
fn summary<'a>(d: &IdentityDetail, width: u16, theme: &'a Theme) -> Line<'a> {
    let r = &d.row;
    let seg = |priority: u8, spans: Vec<Span<'a>>| Segment { priority, spans };
    let mut today = vec![
        Span::styled("today ", theme.muted()),
        Span::styled(format::usd(r.today.cost_usd), theme.accent()),
    ];
    if r.today.unpriced_requests > 0 {
        let unpriced = format!(" +{} unpriced", format::int(r.today.unpriced_requests));
        today.push(Span::styled(unpriced, theme.unpriced()));
    }
    let rate = |text: String| vec![Span::styled(text, theme.text())];
    let unpriced = |n: u64| {
        (n > 0).then(|| Span::styled(format!(" +{} unpriced", format::int(n)), theme.unpriced()))
    };
    let mut per_hour = rate(format!("{}/h", format::usd(r.rates.cost_per_hour)));
    per_hour.extend(unpriced(r.rates.unpriced_requests));
    let segments = vec![
        seg(10, today),
        seg(9, per_hour),
        seg(
            7,
            rate(format!("{} req/min", format::si(r.rates.requests_per_min))),
        ),
        seg(
            6,
            rate(format!("{} tok/min", format::si(r.rates.tokens_per_min()))),
        ),
        seg(
            4,
            vec![
                Span::styled("total ", theme.muted()),
                Span::styled(format::usd(r.totals.cost_usd), theme.text()),
                unpriced(r.totals.unpriced_requests).unwrap_or_default(),
                Span::styled(
                    format!(" over {} requests", format::int(r.totals.requests)),
                    theme.muted(),
                ),
            ],
        ),
        seg(
            3,
            vec![Span::styled(r.kind.label().to_string(), theme.muted())],
        ),
    ];
    fit::line(segments, width as usize, theme)
}

/// Cache use and when it was seen.
fn activity<'a>(
    d: &IdentityDetail,
    now: i64,
    window: &str,
    width: u16,
    theme: &'a Theme,
) -> Line<'a> {
    let r = &d.row;
    let share = |s: Option<f64>| s.map_or("·".to_string(), format::percent);
    let plain = |priority: u8, text: String| Segment {
        priority,
        spans: vec![Span::styled(text, theme.text())],
    };
    let segments = vec![
        plain(
            8,
            format!(
                "cache hit {} over {}, {} overall",
                share(r.rates.cache_hit_rate),
                window,
                share(d.cache_hit_rate_total)
            ),
        ),
        plain(7, format!("last seen {}", format::ago(now - r.last_seen))),
        plain(5, format!("first seen {}", format::ago(now - r.first_seen))),
        plain(
            4,
            format!("{} tool calls", format::int(r.totals.tool_calls)),
        ),
    ];
    fit::line(segments, width as usize, theme)
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
    fn sections_give_way_lowest_priority_first() {
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
