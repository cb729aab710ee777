//! The top two lines: spend and rates now, each with its change over the last minute (from
//! the snapshot), whether the sources (polled providers among them) are healthy, how many
//! alerts are active, by severity, and how many requests were read.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::app::{App, provider_degraded};
use crate::engine::alerts::Severity;
use crate::engine::budget::BudgetLevel;
use crate::engine::snapshot::TotalsRange;
use crate::format;
use crate::sanitize::sanitize;
use crate::theme::{Level, Theme};
use crate::ui::fit::{Segment, line};
use crate::ui::spark;

/// The count of requests read gives way only to the sources' health, the alerts and a
/// filter's count.
const REQUESTS_PRIORITY: u8 = u8::MAX - 3;

/// What a running total grew by over the last minute: ` +$3.05`, nothing when nothing.
fn spent(usd: f64) -> String {
    if usd > 0.0 {
        format!(" +{}", format::usd(usd))
    } else {
        String::new()
    }
}

/// How the spend rate moved over the last minute: ` ▲$2.10`, ` ▼$0.40`, nothing when
/// it did not move by a cent.
fn rate_change(per_hour: f64) -> String {
    if per_hour.abs() < 0.005 {
        return String::new();
    }
    let arrow = if per_hour > 0.0 { '▲' } else { '▼' };
    format!(" {arrow}{}", format::usd(per_hour.abs()))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let s = &app.snapshot;
    let one = |priority: u8, text: String, style: Style| Segment {
        priority,
        spans: vec![Span::styled(text, style)],
    };
    let mut today = Segment {
        priority: 10,
        spans: vec![
            Span::styled("today ", theme.muted()),
            Span::styled(format::usd(s.today_usage.cost_usd), theme.accent()),
        ],
    };
    // Old logs: $0 today would read as nothing read at all.
    let nothing_today = s.today_usage.requests == 0 && s.totals.requests > 0;
    if nothing_today {
        today.spans = vec![
            Span::styled("nothing today · loaded ", theme.muted()),
            Span::styled(
                format::usd_lower_bound(s.totals.cost_usd, s.totals.unpriced_requests),
                theme.accent(),
            ),
        ];
    }
    if s.today_usage.unpriced_requests > 0 {
        let unpriced = format::si(s.today_usage.unpriced_requests as f64);
        today.spans.push(Span::styled(
            format!(" +{unpriced} unpriced"),
            theme.unpriced(),
        ));
    }
    let mut rate = Segment {
        priority: 9,
        spans: vec![
            Span::styled(
                format!("{}/h", format::usd(s.rates.cost_per_hour)),
                theme.text(),
            ),
            Span::styled(format!(" ({})", s.window.long_label()), theme.key()),
        ],
    };
    if s.rates.unpriced_requests > 0 {
        let unpriced = format::si(s.rates.unpriced_requests as f64);
        rate.spans.push(Span::styled(
            format!(" +{unpriced} unpriced"),
            theme.unpriced(),
        ));
    }
    // The last minute's changes, unless they would push the rate or the clock off the line.
    let (spent, change) = (
        spent(s.last_minute.cost_usd),
        rate_change(s.last_minute.cost_per_hour),
    );
    let clock = clock(app, theme);
    let essential = [
        " tokentop".len(),
        today.width(),
        rate.width(),
        clock.width(),
    ];
    let needed = essential.iter().sum::<usize>() + 3 * 3;
    if needed + spent.chars().count() + change.chars().count() <= area.width as usize {
        // After the figure, before its unpriced note.
        today.spans.insert(2, Span::styled(spent, theme.muted()));
        rate.spans.insert(2, Span::styled(change, theme.muted()));
    }
    let mut first = vec![
        one(u8::MAX, " tokentop".into(), theme.title()),
        one(3, sanitize(&app.title, 40), theme.muted()),
        today,
    ];
    // The table's totals range, when it is not today's (nor the loaded total just said).
    let said = nothing_today && s.range == TotalsRange::All;
    if s.range != TotalsRange::Today && !said {
        let total = &s.range_usage;
        first.push(Segment {
            priority: 8,
            spans: vec![
                Span::styled(format!("{} ", s.range.label()), theme.muted()),
                Span::styled(
                    format::usd_lower_bound(total.cost_usd, total.unpriced_requests),
                    theme.accent(),
                ),
            ],
        });
    }
    first.extend([
        rate,
        one(
            7,
            format!("{} tok/min", format::si(s.rates.tokens_per_min())),
            theme.text(),
        ),
        one(
            5,
            format!("{} ev/s", format::si(s.ingest_per_sec)),
            theme.text(),
        ),
        clock,
    ]);

    // The global trend, unless there is nothing to draw yet: before the ev/s and the clock.
    if s.trend.iter().any(|&v| v > 0) {
        first.insert(
            first.len() - 2,
            Segment {
                priority: 1,
                spans: vec![
                    Span::styled(spark::bars(&s.trend), theme.trend()),
                    Span::styled(" 30 min", theme.muted()),
                ],
            },
        );
    }

    // A polled provider is a source too: one that stopped or failed its last poll is
    // degraded.
    let failing: Vec<Option<&str>> = app
        .sources
        .iter()
        .filter(|h| !h.is_ok())
        .map(|h| h.last_error.as_deref())
        .chain(
            app.providers
                .iter()
                .filter(|p| provider_degraded(p))
                .map(|p| p.health.last_error.as_deref()),
        )
        .collect();
    let sources = app.sources.len() + app.providers.len();
    let health = match failing.first() {
        None if sources == 0 => one(u8::MAX, " sources starting".into(), theme.muted()),
        None => one(
            u8::MAX,
            format!(" sources ok ({sources})"),
            theme.level(Level::Ok),
        ),
        Some(first) => {
            let error = sanitize(first.unwrap_or(""), 80);
            // Degraded, not down: the sources with errors still read what they can.
            let text = format!(" {} of {sources} sources degraded: {error}", failing.len());
            one(u8::MAX, text, theme.level(Level::Critical))
        }
    };
    let mut second = vec![health, alerts(app, theme)];
    second.extend(fleet_budgets(app, theme));
    let rejected: u64 = app.sources.iter().map(|h| h.rejected_lines()).sum();
    if rejected > 0 {
        second.push(one(
            9,
            format!("{} rejected", format::count(rejected, "line", "lines")),
            theme.level(Level::Warn),
        ));
    }
    // While a filter is on, what it lets through outranks even the request count.
    let shown = if app.filter().is_empty() {
        one(
            5,
            format::count(s.identities.len() as u64, "identity", "identities"),
            theme.muted(),
        )
    } else {
        let text = format!("{} of {} identities", app.order.len(), s.identities.len());
        one(REQUESTS_PRIORITY + 1, text, theme.muted())
    };
    second.push(shown);
    // The fleet's request size over the rate window, once there is a request in it.
    if let Some(q) = &s.sizes.input {
        let text = format!("p90 {} in/req", format::si(q.p90 as f64));
        second.push(one(4, text, theme.muted()));
    }
    // How much was read stays in sight on a wide terminal, whatever else the line holds.
    let mut requests = one(
        REQUESTS_PRIORITY,
        format::count(s.totals.requests, "request", "requests"),
        theme.muted(),
    );
    if s.last_minute.requests > 0 {
        let change = format!(" +{}", format::si(s.last_minute.requests as f64));
        requests.spans.push(Span::styled(change, theme.muted()));
    }
    second.push(requests);

    let width = area.width as usize;
    let lines = vec![line(first, width, theme), line(second, width, theme)];
    frame.render_widget(Paragraph::new(lines).style(theme.header()), area);
}

/// The snapshot's clock; when paused, the indicator, with the frozen snapshot's time;
/// when replaying, REPLAY with the cursor's date and time and how it plays.
fn clock<'a>(app: &App, theme: &Theme) -> Segment<'a> {
    let clock = &app.snapshot.clock;
    if let Some(replay) = app.replay() {
        let how = if replay.playing { "▶" } else { "⏸ paused" };
        let text = format!("REPLAY {} {}x {how}", replay.clock, replay.speed);
        Segment {
            priority: u8::MAX,
            spans: vec![Span::styled(text, theme.paused())],
        }
    } else if app.paused() {
        Segment {
            priority: u8::MAX,
            spans: vec![Span::styled(format!("⏸ PAUSED {clock}"), theme.paused())],
        }
    } else {
        Segment {
            priority: 8,
            spans: vec![Span::styled(clock.clone(), theme.text())],
        }
    }
}

/// Active alerts by severity: loud while any is unacknowledged, dimmed once all are.
fn alerts<'a>(app: &App, theme: &Theme) -> Segment<'a> {
    let active = app.snapshot.active_alerts;
    if active.total() == 0 {
        return Segment {
            priority: 2,
            spans: vec![Span::styled("no alerts", theme.muted())],
        };
    }
    let open = app.unacknowledged();
    let mut spans = vec![Span::styled("alerts", theme.muted())];
    let by_severity = [
        (active.critical, open.critical, Severity::Critical),
        (active.warn, open.warn, Severity::Warn),
        (active.info, open.info, Severity::Info),
    ];
    for (count, unacknowledged, severity) in by_severity {
        if count == 0 {
            continue;
        }
        let style = if unacknowledged > 0 {
            theme.alert(severity)
        } else {
            theme.acknowledged()
        };
        spans.push(Span::styled(
            format!(" {count} {}", severity.label()),
            style,
        ));
    }
    Segment {
        priority: u8::MAX - 1,
        spans,
    }
}

/// The fleet-wide budgets (scoped `all`): once here, not on every row as if each
/// identity's own.
fn fleet_budgets<'a>(app: &'a App, theme: &Theme) -> impl Iterator<Item = Segment<'a>> {
    let now = app.snapshot.now;
    app.snapshot
        .budgets
        .iter()
        .filter(|b| b.fleet)
        .map(move |b| {
            let mut text = format!("fleet budget {:.0}%", b.percent);
            match b.exhausted_at {
                _ if b.level == BudgetLevel::Over => text.push_str(" over"),
                Some(at) => text.push_str(&format!(" · out in {}", format::span(at - now))),
                None => {}
            }
            let style = match b.level {
                BudgetLevel::Ok => theme.muted(),
                level => theme.level(level.into()),
            };
            Segment {
                priority: 8,
                spans: vec![Span::styled(text, style)],
            }
        })
}
