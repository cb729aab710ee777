//! The identity view's timeline: tokens per minute stacked by class, cost per minute, a
//! line at each budget's pace and a marker under the minute each of the identity's alerts
//! started. For a budget of this identity alone, spend above its line runs the budget out
//! before its period ends; a budget it shares (team, label, model, all) is paced for all
//! its members together, and its line is labelled `shared`. Pace lines cross the whole
//! chart over the bars (a bar over its pace shows it), each labelled on its own line, so
//! the labels fit however narrow the chart; the time axis ends under the last bar.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::alerts::Severity;
use crate::engine::budget::BudgetUnit;
use crate::engine::snapshot::{IdentityDetail, Timeline, TimelinePoint, TimelineSpan};
use crate::format;
use crate::theme::{CLASSES, Theme};
use crate::ui::detail::Draw;

/// Eighths of a cell, bottom up.
const EIGHTHS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// A budget line further above the data than this many times its peak is not drawn
/// (the bars would flatten to nothing); the legend says it is off the scale.
const LINE_HEADROOM: f64 = 4.0;

/// Bars as drawn: the timeline's buckets averaged in groups when there are more buckets
/// than columns, each bar `width` columns wide.
struct Bars {
    values: Vec<Vec<f64>>,
    /// Buckets per bar, columns per bar.
    group: usize,
    width: u16,
}

impl Bars {
    fn of(
        points: &[TimelinePoint],
        columns: u16,
        value: impl Fn(&TimelinePoint) -> Vec<f64>,
    ) -> Self {
        let columns = usize::from(columns.max(1));
        let group = points.len().div_ceil(columns).max(1);
        let values: Vec<Vec<f64>> = points
            .chunks(group)
            .map(|chunk| {
                let mut sum = vec![0.0; value(&chunk[0]).len()];
                for point in chunk {
                    for (s, v) in sum.iter_mut().zip(value(point)) {
                        *s += v;
                    }
                }
                sum.iter().map(|s| s / chunk.len() as f64).collect()
            })
            .collect();
        let width = u16::try_from(columns / values.len().max(1))
            .unwrap_or(1)
            .clamp(1, 4);
        Bars {
            values,
            group,
            width,
        }
    }

    fn peak(&self) -> f64 {
        self.values
            .iter()
            .map(|v| v.iter().sum::<f64>())
            .fold(0.0, f64::max)
    }
}

/// A level line across a chart: a budget's pace, in the chart's unit.
struct Pace {
    value: f64,
    label: String,
}

/// Stacks each bar's values bottom up, scaled so that `top` fills `area`; each cell takes
/// the class that covers the middle of its filled part, and the top cell of a bar shows
/// its fraction in eighths. Then a line at each of `paces` crosses the whole chart, over
/// the bars (where it crosses one, on the bar's colour), labelled with `labels` from its
/// left end.
fn draw_stacked(
    buf: &mut Buffer,
    area: Rect,
    bars: &Bars,
    top: f64,
    class: &dyn Fn(usize) -> (Style, char),
    paces: &[(f64, &str)],
    line_style: Style,
) {
    if top <= 0.0 || area.height == 0 {
        return;
    }
    let levels = f64::from(area.height) * 8.0;
    let level = |v: f64| ((v / top) * levels).round().clamp(0.0, levels) as u32;
    for (i, values) in bars.values.iter().enumerate() {
        let mut bounds = Vec::with_capacity(values.len());
        let mut sum = 0.0;
        for v in values {
            sum += v;
            bounds.push(level(sum));
        }
        let filled = bounds.last().copied().unwrap_or(0);
        let x0 = area.x + (i as u16) * bars.width;
        for row in 0..area.height {
            let base = u32::from(row) * 8;
            let y = area.y + area.height - 1 - row;
            let height = filled.saturating_sub(base).min(8);
            if height == 0 {
                continue;
            }
            let middle = base + height / 2;
            let at = bounds.iter().position(|&b| b > middle).unwrap_or(0);
            let (style, fill) = class(at);
            let glyph = if height == 8 {
                fill
            } else {
                EIGHTHS[height as usize - 1]
            };
            for dx in 0..bars.width {
                let x = x0 + dx;
                if x < area.right() {
                    buf[(x, y)].set_char(glyph).set_style(style);
                }
            }
        }
    }
    let row_of = |p: f64| {
        let l = level(p);
        (l > 0).then(|| (((l - 1) / 8) as u16).min(area.height - 1))
    };
    for &(p, _) in paces {
        let Some(row) = row_of(p) else { continue };
        let y = area.y + area.height - 1 - row;
        for x in area.x..area.right() {
            let cell = &mut buf[(x, y)];
            let bar = (cell.symbol() != " ").then_some(cell.fg);
            cell.set_char('─').set_style(line_style);
            if let Some(colour) = bar {
                cell.set_bg(colour);
            }
        }
    }
    // Each row's labels so far end here (two paces may share a row).
    let mut used: Vec<u16> = vec![area.x; usize::from(area.height)];
    for &(p, label) in paces {
        let Some(row) = row_of(p) else { continue };
        let y = area.y + area.height - 1 - row;
        let at = &mut used[usize::from(row)];
        let start = at.saturating_add(1);
        let room = usize::from(area.right().saturating_sub(start).saturating_sub(1));
        if label.is_empty() || room < 3 {
            continue;
        }
        let text = format!(" {} ", fit(label, room - 2));
        *at = buf.set_stringn(start, y, &text, room, line_style).0;
    }
}

/// `text` in at most `width` characters, cut with `…`.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The paces of the budgets in `unit` that fit on a chart whose data peaks at `peak`
/// (each with its label), and the chart's top; the others are named as off the scale.
fn fit_paces(paces: &[Pace], peak: f64) -> (f64, Vec<(f64, &str)>, Vec<&Pace>) {
    let mut top = peak;
    let mut drawn = Vec::new();
    let mut off = Vec::new();
    for p in paces {
        if peak > 0.0 && p.value > peak * LINE_HEADROOM {
            off.push(p);
        } else {
            top = top.max(p.value * 1.05);
            drawn.push((p.value, p.label.as_str()));
        }
    }
    (top, drawn, off)
}

/// Off-scale budgets after a chart's heading, as many named as fit in `room` columns
/// (the heading uses `used`), the rest counted.
fn off_scale<'a>(off: &[&Pace], used: usize, room: usize, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let mut used = used;
    for (i, p) in off.iter().enumerate() {
        let named = format!("  ─ {} (off scale)", p.label);
        let rest = off.len() - i - 1;
        let tail = if rest > 0 { 16 } else { 0 };
        if used + named.chars().count() + tail <= room {
            used += named.chars().count();
            spans.push(Span::styled(named, theme.budget_line()));
        } else {
            let n = off.len() - i;
            spans.push(Span::styled(
                format!("  +{n} off scale"),
                theme.budget_line(),
            ));
            break;
        }
    }
    spans
}

fn paces(d: &IdentityDetail, unit: BudgetUnit, per: &dyn Fn(f64) -> String) -> Vec<Pace> {
    d.budgets
        .iter()
        .filter(|b| b.state.unit == unit)
        .filter_map(|b| {
            let value = b.pace_per_min?;
            // A budget of a team, label, model or several identities is paced for all of
            // them together: against this one identity's rate it is only an upper line.
            let own = b.state.scope.starts_with("identity ") && b.state.members.len() <= 1;
            let shared = if own { "" } else { " shared" };
            let name = crate::sanitize::sanitize(&b.state.name, 24);
            Some(Pace {
                value,
                label: format!("{name} {}/min{shared}", per(value)),
            })
        })
        .collect()
}

/// `last 1h` and the keys that change it.
fn span_label(span: TimelineSpan) -> String {
    format!("last {}", span.label())
}

/// The row under the chart, as wide as the bars: where alerts and findings started (▲),
/// and the ends
/// of the time axis, moved aside rather than hidden by a marker.
fn markers(frame: &mut Frame, area: Rect, d: &IdentityDetail, bars: &Bars, theme: &Theme) {
    let t: &Timeline = &d.timeline;
    let drawn = u16::try_from(bars.values.len())
        .unwrap_or(u16::MAX)
        .saturating_mul(bars.width);
    let axis = Rect {
        width: area.width.min(drawn),
        ..area
    };
    let end = t.start + t.bucket_ms * t.points.len() as i64;
    // Alerts and findings, oldest first, so the newest one's marker is the one left on a
    // shared column.
    let mut starts: Vec<(i64, Severity)> = d
        .alerts
        .iter()
        .map(|a| (a.started_at, a.severity))
        .collect();
    starts.extend(d.findings.iter().map(|f| (f.started_at, f.severity)));
    starts.sort_by_key(|&(at, _)| at);
    let mut marks: Vec<(u16, Style)> = Vec::new();
    for (started_at, severity) in starts {
        if started_at < t.start || started_at >= end || t.bucket_ms <= 0 {
            continue;
        }
        let bucket = ((started_at - t.start) / t.bucket_ms) as usize;
        let x = axis.x + (bucket / bars.group) as u16 * bars.width;
        if x < axis.right() {
            marks.push((x, theme.alert(severity)));
        }
    }
    let marked = |x: u16| marks.iter().any(|&(m, _)| m == x);
    let buf = frame.buffer_mut();
    let oldest = format!("-{}", t.span.label());
    let width = |s: &str| u16::try_from(s.chars().count()).unwrap_or(u16::MAX);
    // "-1h" from the left, past any marker; "now" ending under the last bar, or just
    // before a marker there.
    let mut x = axis.x;
    while x < axis.right() && (x..x + width(&oldest)).any(marked) {
        x += 1;
    }
    let oldest_end = x + width(&oldest);
    if oldest_end <= axis.right() {
        buf.set_string(x, axis.y, &oldest, theme.muted());
    }
    let mut now_end = axis.right();
    while now_end > oldest_end + width("now") && (now_end - width("now")..now_end).any(marked) {
        now_end -= 1;
    }
    if now_end > oldest_end + width("now") {
        buf.set_string(now_end - width("now"), axis.y, "now", theme.muted());
    }
    for (x, style) in marks {
        buf[(x, axis.y)].set_char('▲').set_style(style);
    }
}

/// Tokens per minute, stacked by class, with token budgets' pace and alert markers.
pub fn tokens<'a>(d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    Box::new(move |frame, area| {
        let [label, legend, chart, marks] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(u16::from(area.height >= 6)),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let points = &d.timeline.points;
        let bars = Bars::of(points, chart.width, |p| {
            vec![p.input, p.cache_read, p.cache_write, p.output, p.reasoning]
        });
        let peak = bars.peak();
        let now = points.last().map_or(0.0, TimelinePoint::tokens);
        let paces = paces(d, BudgetUnit::Tokens, &|v| format::si(v));
        let (top, drawn, off) = fit_paces(&paces, peak);
        let mut head = vec![
            Span::styled("TOKENS/MIN ", theme.table_header()),
            Span::styled(span_label(d.timeline.span), theme.text()),
            Span::styled(
                format!("  peak {}  now {}", format::si(peak), format::si(now)),
                theme.muted(),
            ),
        ];
        let used = Line::from(head.clone()).width();
        head.extend(off_scale(&off, used, usize::from(label.width), theme));
        frame.render_widget(Paragraph::new(Line::from(head)), label);
        let mut key: Vec<Span> = Vec::new();
        for (i, name) in CLASSES.iter().enumerate() {
            key.push(Span::styled(
                format!("{} ", theme.class_fill(i)),
                theme.class(i),
            ));
            key.push(Span::styled(format!("{name}  "), theme.muted()));
        }
        frame.render_widget(Paragraph::new(Line::from(key)), legend);
        let class = |i: usize| (theme.class(i), theme.class_fill(i));
        let buf = frame.buffer_mut();
        draw_stacked(buf, chart, &bars, top, &class, &drawn, theme.budget_line());
        markers(frame, marks, d, &bars, theme);
    })
}

/// Cost per minute, with USD budgets' pace.
pub fn cost<'a>(d: &'a IdentityDetail, theme: &'a Theme) -> Draw<'a> {
    Box::new(move |frame, area| {
        let [label, chart] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let points = &d.timeline.points;
        let bars = Bars::of(points, chart.width, |p| vec![p.cost]);
        let peak = bars.peak();
        let now = points.last().map_or(0.0, |p| p.cost);
        let paces = paces(d, BudgetUnit::Usd, &|v| format::usd(v));
        let (top, drawn, off) = fit_paces(&paces, peak);
        let mut head = vec![
            Span::styled("COST/MIN ", theme.table_header()),
            Span::styled(
                format!("peak {}  now {}", format::usd(peak), format::usd(now)),
                theme.muted(),
            ),
        ];
        let unpriced = d.timeline.unpriced_requests;
        if unpriced > 0 {
            let note = format!(" +{} unpriced", format::int(unpriced));
            head.push(Span::styled(note, theme.unpriced()));
        }
        let used = Line::from(head.clone()).width();
        head.extend(off_scale(&off, used, usize::from(label.width), theme));
        frame.render_widget(Paragraph::new(Line::from(head)), label);
        let class = |_: usize| (theme.accent(), theme.class_fill(0));
        let buf = frame.buffer_mut();
        draw_stacked(buf, chart, &bars, top, &class, &drawn, theme.budget_line());
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(input: f64, output: f64) -> TimelinePoint {
        TimelinePoint {
            input,
            output,
            ..TimelinePoint::default()
        }
    }

    fn chart(bars: &Bars, top: f64, paces: &[(f64, &str)], size: (u16, u16)) -> Vec<String> {
        let (width, height) = size;
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        let class = |i: usize| (Style::new(), ['I', 'C', 'W', 'O', 'R'][i]);
        draw_stacked(&mut buf, area, bars, top, &class, paces, Style::new());
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn bars_stack_classes_bottom_up_scaled_to_the_top() {
        let points = [point(8.0, 8.0), point(4.0, 0.0), point(0.0, 0.0)];
        let bars = Bars::of(&points, 6, |p| vec![p.input, 0.0, 0.0, p.output, 0.0]);
        assert_eq!((bars.group, bars.width), (1, 2));
        assert_eq!(
            chart(&bars, 16.0, &[], (6, 2)),
            vec!["OO    ".to_string(), "II▄▄  ".to_string()]
        );
        // Twice the scale: the first bar is one cell, the second a quarter of one.
        assert_eq!(chart(&bars, 32.0, &[], (6, 2)), vec!["      ", "OO▂▂  "]);
    }

    #[test]
    fn more_buckets_than_columns_are_averaged_in_groups() {
        let points: Vec<TimelinePoint> = (0..12).map(|i| point(i as f64, 0.0)).collect();
        let bars = Bars::of(&points, 6, |p| vec![p.input]);
        assert_eq!((bars.group, bars.width, bars.values.len()), (2, 1, 6));
        assert_eq!(bars.values[0], vec![0.5]);
        assert_eq!(bars.peak(), 10.5);
    }

    /// Over the bars: a bar over its pace must show it (the line hid behind the bars, so
    /// an identity over its budget read as under it).
    #[test]
    fn a_pace_line_crosses_the_whole_chart_over_the_bars() {
        let points = [point(16.0, 0.0), point(2.0, 0.0)];
        let bars = Bars::of(&points, 6, |p| vec![p.input]);
        let rows = chart(&bars, 16.0, &[(12.0, "")], (6, 2));
        assert_eq!(rows, ["──────", "III▂▂▂"], "{rows:?}");
    }

    #[test]
    fn pace_labels_sit_on_their_lines_and_are_cut_visibly() {
        let points = [point(16.0, 0.0), point(2.0, 0.0)];
        let bars = Bars::of(&points, 20, |p| vec![p.input]);
        let paces = [
            (12.0, "own daily $0.05/min"),
            (13.0, "team $1.20/min shared"),
        ];
        let rows = chart(&bars, 16.0, &paces, (20, 2));
        assert_eq!(rows[0], "─ own daily $0.05… ─", "{rows:?}");
        let rows = chart(&bars, 16.0, &paces, (40, 2));
        assert_eq!(
            rows[0], "─ own daily $0.05/min ─ team $1.20/mi… ─",
            "two on a row: side by side"
        );
    }

    #[test]
    fn a_pace_far_above_the_data_is_not_drawn() {
        let paces = [
            Pace {
                value: 10.0,
                label: "a".into(),
            },
            Pace {
                value: 1_000.0,
                label: "b".into(),
            },
        ];
        let (top, drawn, off) = fit_paces(&paces, 8.0);
        assert_eq!(drawn, vec![(10.0, "a")]);
        assert_eq!(off.len(), 1);
        assert!((top - 10.5).abs() < 1e-9);
    }
}
