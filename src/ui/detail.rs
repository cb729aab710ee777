//! The detail panel of one identity: what it spends and how fast, its trend, how big its
//! requests are, its models and tools, and its latest requests. Drawn from the snapshot's
//! `detail` alone, each part where `layout::detail` places it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::App;
use crate::engine::snapshot::IdentityDetail;
use crate::format;
use crate::layout::detail::{Part, places};
use crate::layout::ruled;
use crate::sanitize::sanitize;
use crate::theme::Theme;
use crate::ui::detail_side as side;
use crate::ui::detail_tables as tables;
use crate::ui::findings;
use crate::ui::fit::{self, Segment};
use crate::ui::timeline;

/// Draws a part into the rows `layout::detail` gave it.
pub type Draw<'a> = Box<dyn FnOnce(&mut Frame, Rect) + 'a>;

/// The panel's frame: a rule above with the identity's name, and one below.
fn block<'a>(app: &App, theme: &Theme) -> Block<'a> {
    let name = sanitize(app.focus().unwrap_or_default(), 60);
    // A project shown by its path in the table is here too, with the folder's name after it.
    let shown = app.detail().and_then(|d| d.row.display.as_deref());
    let name = match shown {
        Some(path) => format!("{} ({name})", sanitize(path, 60)),
        None => name,
    };
    let title = Line::from(vec![
        Span::styled(format!(" {name} "), theme.title()),
        Span::styled(format!("timeline {} (w) ", app.span.label()), theme.muted()),
    ]);
    ruled().border_style(theme.border()).title(title)
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
    for (part, place) in places(inner, detail) {
        draw(part, place.width, app, detail, theme)(frame, place);
    }
}

/// How `part` of the identity `d` is drawn, `width` columns wide.
fn draw<'a>(
    part: Part,
    width: u16,
    app: &'a App,
    d: &'a IdentityDetail,
    theme: &'a Theme,
) -> Draw<'a> {
    let now = app.snapshot.now;
    match part {
        Part::Summary => line(summary(d, width, theme)),
        Part::Activity => line(activity(d, now, app.snapshot.window.label(), width, theme)),
        Part::TokenTimeline => timeline::tokens(d, theme),
        Part::CostSplit => line(cost_split(d, width, theme)),
        Part::CostTimeline => timeline::cost(d, theme),
        Part::Sizes => tables::sizes(d, theme),
        Part::Models => tables::models(d, theme),
        Part::Kinds => tables::kinds(d, theme),
        Part::Tools => tables::tools(d, now, theme),
        Part::Budgets => side::budgets(d, now, theme),
        Part::Alerts => side::alerts(d, now, theme),
        Part::Findings => findings::section(app, d, theme),
        Part::Recent => tables::recent(d, now, app.event_cursor(), theme),
    }
}

fn line(line: Line<'_>) -> Draw<'_> {
    Box::new(move |frame, area| frame.render_widget(Paragraph::new(line), area))
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
                // Named for its range, as the tables under it (all loaded) are.
                Span::styled("all loaded ", theme.muted()),
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

/// Where its priced spend went, by token class, with each class's share.
fn cost_split<'a>(d: &IdentityDetail, width: u16, theme: &'a Theme) -> Line<'a> {
    let c = &d.cost_by_class;
    let total = c.total();
    let mut segments = vec![Segment {
        priority: u8::MAX,
        spans: vec![Span::styled("spend by class", theme.muted())],
    }];
    if total <= 0.0 {
        segments.push(Segment {
            priority: 9,
            spans: vec![Span::styled("none priced", theme.muted())],
        });
    }
    let classes = [
        ("input", c.uncached_input),
        ("cache read", c.cache_read),
        ("cache write", c.cache_write),
        ("output", c.output),
    ];
    // On a narrow line the classes that cost most stay; those that cost nothing go.
    let rank = |cost: f64| classes.iter().filter(|(_, other)| *other > cost).count() as u8;
    let spent = classes
        .into_iter()
        .filter(|&(_, cost)| total > 0.0 && cost > 0.0);
    for (label, cost) in spent {
        let priority = 9 - rank(cost);
        segments.push(Segment {
            priority,
            spans: vec![
                Span::styled(format!("{label} "), theme.muted()),
                Span::styled(format::usd(cost), theme.text()),
                Span::styled(format!(" {}", format::percent(cost / total)), theme.muted()),
            ],
        });
    }
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
