//! Rolling distributions per identity, with an injected clock: a window holds its own
//! requests and lets older ones go, the day holds the usual, the max is exact.

use tokentop::engine::Engine;
use tokentop::engine::snapshot::{IdentityDetail, RateWindow, TimelineSpan, TotalsRange, View};
use tokentop::event::ToolCall;

use crate::common::{MIN, NOON, copy, engine, event};

const HOUR: i64 = 60 * MIN;

fn detail(e: &Engine, name: &str, span: TimelineSpan) -> IdentityDetail {
    e.snapshot_with(&View {
        focus: Some(name),
        window: RateWindow::OneHour,
        span,
        range: TotalsRange::default(),
    })
    .detail
    .expect("identity")
}

/// Small requests all day, then a burst of large ones: the 15 m window shows the burst,
/// the day mostly the small ones. Sizes are bucket-exact (quantiles read as their
/// bucket's lower edge, at most 1/32 low).
fn day_then_burst(e: &mut Engine, burst_at: i64) {
    for i in 0..96 {
        e.ingest(&event(
            "svc",
            burst_at - 24 * HOUR + 15 * MIN * i + MIN,
            6_144,
            200,
        ));
    }
    for i in 0..10 {
        e.ingest(&event("svc", burst_at + i * 1_000, 49_152, 900));
    }
}

#[test]
fn a_burst_leaves_the_hour_window_after_two_quiet_hours_and_stays_in_the_day() {
    let mut e = engine();
    day_then_burst(&mut e, NOON);
    e.advance(NOON + MIN);
    let now = detail(&e, "svc", TimelineSpan::FifteenMinutes).sizes;
    // Windows take the slots they overlap: from 12:00 less 15 min, one small request too.
    let input = now.now.input.expect("the burst is in the 15 m window");
    assert_eq!(
        (input.count, input.p50, input.max),
        (10 + 1, 49_152, 49_152)
    );
    let usual = now.usual.input.expect("the day");
    assert_eq!(
        (usual.count, usual.p50, usual.max),
        (96 + 10, 6_144, 49_152)
    );

    // Two quiet hours, then one small request: the burst has left the hour, not the day.
    e.advance(NOON + 2 * HOUR);
    e.ingest(&event("svc", NOON + 2 * HOUR, 6_144, 200));
    e.advance(NOON + 2 * HOUR + MIN);
    let d = detail(&e, "svc", TimelineSpan::OneHour).sizes;
    let hour = d.now.input.expect("the last request");
    assert_eq!((hour.count, hour.max), (1, 6_144));
    let day = d.usual.input.expect("the day");
    assert_eq!(day.max, 49_152, "the burst is still in the day");
    // From 22 h before noon: the small requests from the 8th on, the burst, the last.
    assert_eq!(day.count, 88 + 10 + 1, "the oldest requests left the day");
    // From 4 h before noon: the last 16 small requests.
    let six = detail(&e, "svc", TimelineSpan::SixHours).sizes.now.input;
    assert_eq!(six.map(|q| (q.count, q.max)), Some((16 + 10 + 1, 49_152)));

    // A day after the burst it has left every window, and its slots are freed: the new
    // request's one slot is left, for the identity and for the fleet.
    e.advance(NOON + 27 * HOUR);
    e.ingest(&event("svc", NOON + 27 * HOUR, 6_144, 200));
    e.advance(NOON + 27 * HOUR);
    let d = detail(&e, "svc", TimelineSpan::OneDay).sizes;
    assert_eq!(d.usual.input.map(|q| (q.count, q.max)), Some((1, 6_144)));
    assert_eq!(e.retained().histogram_slots, 2);
}

#[test]
fn the_max_is_the_largest_value_not_a_bucket_edge() {
    let mut e = engine();
    e.ingest(&event("svc", NOON - MIN, 100, 4_999));
    let mut slow = event("svc", NOON - 30_000, 100, 7);
    slow.latency_ms = Some(1_234);
    e.ingest(&slow);
    e.advance(NOON);
    let d = detail(&e, "svc", TimelineSpan::FifteenMinutes).sizes;
    let input = d.now.input.expect("input");
    assert_eq!((input.p50, input.p99, input.max), (100, 100, 100));
    assert_eq!(d.now.output.map(|q| q.max), Some(4_999));
    assert_eq!(d.usual.latency_ms.map(|q| q.max), Some(1_234));
}

#[test]
fn tool_calls_per_request_count_each_call_once_over_the_copies() {
    let mut e = engine();
    // Claude Code writes a response as copies, one content block each, some repeated.
    e.ingest(&copy(
        "agent",
        NOON - 9_000,
        "m1:r1",
        5,
        Some("toolu_1"),
        false,
    ));
    e.ingest(&copy(
        "agent",
        NOON - 8_000,
        "m1:r1",
        9,
        Some("toolu_1"),
        false,
    ));
    e.ingest(&copy(
        "agent",
        NOON - 7_000,
        "m1:r1",
        30,
        Some("toolu_2"),
        true,
    ));
    e.ingest(&copy("agent", NOON - 6_144, "m2:r2", 40, None, true));
    let mut three = event("agent", NOON - 5_000, 10, 10);
    three.tools = (0..3)
        .map(|i| ToolCall::new(Some(format!("c{i}")), "lookup".into()))
        .collect();
    e.ingest(&three);
    e.advance(NOON);
    let d = detail(&e, "agent", TimelineSpan::FifteenMinutes).sizes;
    let calls = d.now.tool_calls.expect("tool calls per request");
    assert_eq!((calls.count, calls.p50, calls.max), (3, 2, 3));
    assert_eq!(e.snapshot(None).totals.tool_calls, 5);
}

#[test]
fn per_minute_sizes_count_active_minutes_only() {
    let mut e = engine();
    // Two requests in one minute, one in another, nothing in the 28 minutes between.
    e.ingest(&event("svc", NOON - 30 * MIN, 120, 100));
    e.ingest(&event("svc", NOON - 30 * MIN + 10_000, 320, 100));
    e.ingest(&event("svc", NOON - MIN, 1_000, 600));
    e.advance(NOON);
    let d = detail(&e, "svc", TimelineSpan::OneHour).sizes;
    let tokens = d.now.minute_tokens.expect("active minutes");
    assert_eq!((tokens.count, tokens.p50, tokens.max), (2, 640, 1_600));
    // Once the minutes leave the minute ring they are read from the histograms.
    e.advance(NOON + 2 * HOUR);
    e.ingest(&event("svc", NOON + 2 * HOUR, 64, 0));
    e.advance(NOON + 2 * HOUR);
    let d = detail(&e, "svc", TimelineSpan::SixHours).sizes;
    let tokens = d.now.minute_tokens.expect("active minutes");
    assert_eq!((tokens.count, tokens.p50, tokens.max), (3, 640, 1_600));
}

#[test]
fn the_overview_and_the_header_read_p90_input_over_the_rate_window() {
    let mut e = engine();
    for i in 0..10 {
        e.ingest(&event(
            "big",
            NOON - 30 * MIN + i * MIN,
            64 * (i as u64 + 1),
            10,
        ));
        e.ingest(&event("small", NOON - 30 * MIN + i * MIN, 64, 10));
    }
    e.ingest(&event("old", NOON - 3 * HOUR, 50_000, 10));
    e.advance(NOON);
    let s = e.snapshot_with(&View {
        focus: None,
        window: RateWindow::OneHour,
        span: TimelineSpan::OneHour,
        range: TotalsRange::default(),
    });
    let p90 = |name: &str| {
        let row = s.identities.iter().find(|r| r.name == name).expect("row");
        row.p90_input
    };
    assert_eq!(
        (p90("big"), p90("small"), p90("old")),
        (Some(576), Some(64), None)
    );
    let fleet = s.sizes.input.expect("fleet");
    assert_eq!((fleet.count, fleet.max), (20, 640));
}

#[test]
fn a_metric_point_counts_its_tokens_but_is_no_request_and_has_no_size() {
    let mut e = engine();
    e.ingest(&event("ada", NOON - 2 * MIN, 100, 10));
    let mut point = event("ada", NOON - MIN, 5_000, 700);
    point.flags.aggregate = true;
    e.ingest(&point);
    e.advance(NOON);
    let d = detail(&e, "ada", TimelineSpan::FifteenMinutes);
    assert_eq!(d.row.totals.requests, 1, "only the request is one");
    assert_eq!(
        (d.row.totals.input, d.row.totals.output),
        (5_100, 710),
        "the point's tokens count"
    );
    let input = d.sizes.now.input.expect("input");
    assert_eq!(
        (input.count, input.max),
        (1, 100),
        "the point is no request's size"
    );
}
