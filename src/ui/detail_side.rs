//! The identity view's budgets, as gauges, and its alerts: what is at stake for this
//! identity right now.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::budget::{BudgetState, BudgetUnit};
use crate::engine::snapshot::IdentityDetail;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::detail::Draw;

/// Cells of a gauge's bar, at most and at least (a sixth of the width in between).
const GAUGE: (usize, usize) = (16, 6);

fn amount(unit: BudgetUnit, value: f64) -> String {
    match unit {
        BudgetUnit::Usd => format::usd(value),
        BudgetUnit::Tokens => format::si(value),
    }
}

/// `[██████░░░░] 62% $6.20 +3 unpriced of $10 · day · out in 3h`: one budget on one line
/// (`+N unpriced` only when a USD budget has requests no price covers); a budget whose scope
/// matches nothing read says so instead (`no members · identity cctrace-agent`).
fn gauge<'a>(b: &BudgetState, now: i64, width: u16, theme: &'a Theme) -> Line<'a> {
    let name = Span::styled(format!("{:<18} ", sanitize(&b.name, 18)), theme.text());
    if !b.matched {
        return Line::from(vec![
            name,
            Span::styled("no members", theme.level(Level::Warn)),
            Span::styled(
                format!(" · {} matches nothing read", sanitize(&b.scope, 60)),
                theme.muted(),
            ),
        ]);
    }
    let cells = (usize::from(width) / 6).clamp(GAUGE.1, GAUGE.0);
    let filled = ((b.percent / 100.0).clamp(0.0, 1.0) * cells as f64).round() as usize;
    let style = theme.level(Level::from(b.level));
    let eta = match b.exhausted_at {
        _ if b.percent >= 100.0 => " · over".to_string(),
        Some(at) => format!(" · out in {}", format::span(at - now)),
        None => String::new(),
    };
    // A USD budget's requests with no price: their cost is not in the amount.
    let unpriced = match b.unpriced_requests {
        0 => Span::raw(""),
        n => Span::styled(format!(" +{} unpriced", format::int(n)), theme.unpriced()),
    };
    Line::from(vec![
        name,
        Span::styled("█".repeat(filled), style),
        Span::styled("░".repeat(cells - filled), theme.muted()),
        Span::styled(format!(" {:>4.0}% ", b.percent), style),
        Span::styled(amount(b.unit, b.used), theme.muted()),
        unpriced,
        Span::styled(
            format!(" of {} · {}{eta}", amount(b.unit, b.limit), b.period),
            theme.muted(),
        ),
    ])
}

/// One gauge per budget covering the identity.
pub fn budgets<'a>(d: &'a IdentityDetail, now: i64, theme: &'a Theme) -> Draw<'a> {
    Box::new(move |frame, area| {
        let mut lines = vec![Line::styled("BUDGETS", theme.table_header())];
        lines.extend(
            d.budgets
                .iter()
                .map(|b| gauge(&b.state, now, area.width, theme)),
        );
        lines.truncate(area.height as usize);
        frame.render_widget(Paragraph::new(lines), area);
    })
}

/// The identity's alerts, newest first: open ones loud, ended ones muted.
pub fn alerts<'a>(d: &'a IdentityDetail, now: i64, theme: &'a Theme) -> Draw<'a> {
    Box::new(move |frame, area: Rect| {
        let mut lines = vec![Line::styled("ALERTS", theme.table_header())];
        for a in &d.alerts {
            let (state, style) = match a.ended_at {
                None => ("open", theme.alert(a.severity)),
                Some(_) => ("ended", theme.muted()),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<8} ", a.severity.label()), style),
                Span::styled(
                    format!("{:<5} {:>7} ", state, format::ago(now - a.started_at)),
                    theme.muted(),
                ),
                Span::styled(sanitize(&a.reason, 200), style),
            ]));
        }
        if lines.len() > area.height as usize && area.height >= 3 {
            let more = lines.len() - area.height as usize + 1;
            lines.truncate(area.height as usize - 1);
            lines.push(Line::styled(format!("… {more} more"), theme.muted()));
        }
        lines.truncate(area.height as usize);
        frame.render_widget(Paragraph::new(lines), area);
    })
}
