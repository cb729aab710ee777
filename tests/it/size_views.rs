//! The identity view's PER REQUEST table follows the view's window (`w`) beside the last
//! day's quantiles: a burst in the last minutes reads high against the usual day.

use crossterm::event::KeyCode;
use tokentop::engine::snapshot::TimelineSpan;
use tokentop::event::ToolCall;

use crate::common::{MIN, NOON, engine, event};
use crate::views::Screen;

/// A day of small requests every 10 minutes (a tool call on every third), then a burst of
/// large ones with three tool calls each in the last 10 minutes.
fn burst_screen() -> Screen {
    let mut e = engine();
    for i in 0..144i64 {
        let mut small = event(
            "svc-burst",
            NOON - 24 * 60 * MIN + i * 10 * MIN + 30_000,
            6_144,
            200,
        );
        small.latency_ms = Some(800);
        if i % 3 == 0 {
            small.tools = vec![ToolCall::new(Some(format!("s{i}")), "search".into())];
        }
        e.ingest(&small);
    }
    for i in 0..12i64 {
        let mut big = event("svc-burst", NOON - 10 * MIN + i * 45_000, 49_152, 900);
        big.latency_ms = Some(4_000 + 100 * i as u64);
        big.tools = (0..3)
            .map(|c| ToolCall::new(Some(format!("b{i}-{c}")), "lookup_order".into()))
            .collect();
        e.ingest(&big);
    }
    let mut screen = Screen::new("demo", e, 40);
    screen.key(KeyCode::Enter);
    screen
}

/// `w` steps the span 1h, 6h, 24h, 15m.
fn at_span(span: TimelineSpan) -> Screen {
    let mut screen = burst_screen();
    while screen.app.snapshot.detail.as_ref().map(|d| d.timeline.span) != Some(span) {
        screen.press('w');
    }
    screen
}

#[test]
fn identity_sizes_over_15_minutes_120x40() {
    let screen = at_span(TimelineSpan::FifteenMinutes);
    let d = screen.app.snapshot.detail.as_ref().expect("identity view");
    assert_eq!(d.sizes.now.input.as_ref().map(|q| q.p90), Some(49_152));
    assert_eq!(d.sizes.usual.input.as_ref().map(|q| q.p90), Some(6_144));
    insta::assert_snapshot!(screen.draw(120, 40).backend());
}

#[test]
fn identity_sizes_over_24_hours_120x40() {
    let screen = at_span(TimelineSpan::OneDay);
    let d = screen.app.snapshot.detail.as_ref().expect("identity view");
    assert_eq!(d.sizes.now, d.sizes.usual, "the window is the day");
    insta::assert_snapshot!(screen.draw(120, 40).backend());
}
