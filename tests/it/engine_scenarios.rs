//! Engine scenarios: events in at their own time, an injected clock, snapshot out.

use tokentop::engine::SETTLE_MS;
use tokentop::engine::recent::RECENT_EVENTS;
use tokentop::engine::snapshot::TREND_MINUTES;
use tokentop::engine::snapshot::{RateWindow, View};
use tokentop::event::ToolCall;

use crate::common::{MIN, NOON, copy, engine, event};

fn row<'a>(s: &'a tokentop::engine::Snapshot, name: &str) -> &'a tokentop::engine::IdentityRow {
    s.identities
        .iter()
        .find(|r| r.name == name)
        .expect("identity in snapshot")
}

#[test]
fn windows_roll_with_the_clock() {
    let mut e = engine();
    e.ingest(&event("svc", NOON - 30_000, 1000, 100));
    e.ingest(&event("svc", NOON - 4 * MIN, 2000, 200));
    e.advance(NOON);
    let s = e.snapshot(None);
    let r = row(&s, "svc");
    assert_eq!(s.window, RateWindow::OneMinute, "the default window");
    assert_eq!(r.rates.requests_per_min, 1.0);
    assert_eq!(r.rates.input_per_min, 1000.0);
    assert_eq!(r.rates.output_per_min, 100.0);
    // gpt-4o-mini: $0.15 / $0.60 per million; only the first request is in the last minute.
    let minute_cost = (1000.0 * 0.15 + 100.0 * 0.60) / 1e6;
    assert!((r.rates.cost_per_hour - minute_cost * 60.0).abs() < 1e-12);

    // Over 5 minutes both requests count, averaged per minute and scaled to an hour.
    let five = e.snapshot_with(&View {
        window: RateWindow::FiveMinutes,
        ..View::default()
    });
    let r = row(&five, "svc");
    assert_eq!(five.window, RateWindow::FiveMinutes);
    assert_eq!(r.rates.requests_per_min, 2.0 / 5.0);
    assert_eq!(r.rates.input_per_min, 3000.0 / 5.0);
    let five_min_cost = (3000.0 * 0.15 + 300.0 * 0.60) / 1e6;
    assert!((r.rates.cost_per_hour - five_min_cost * 12.0).abs() < 1e-12);
    assert!((five.rates.cost_per_hour - five_min_cost * 12.0).abs() < 1e-12);

    e.advance(NOON + 2 * MIN);
    let s = e.snapshot(None);
    assert_eq!(row(&s, "svc").rates.requests_per_min, 0.0);
    for (window, hours) in [(RateWindow::OneHour, 1.0), (RateWindow::OneDay, 24.0)] {
        let s = e.snapshot_with(&View {
            window,
            ..View::default()
        });
        let r = row(&s, "svc");
        assert!((r.rates.cost_per_hour - five_min_cost / hours).abs() < 1e-12);
    }

    e.advance(NOON + 10 * MIN);
    let s = e.snapshot(None);
    assert_eq!(row(&s, "svc").rates.cost_per_hour, 0.0);
    assert_eq!(s.totals.requests, 2, "totals never roll");
    assert_eq!(s.today_usage.requests, 2);
}

#[test]
fn a_larger_copy_updates_by_its_difference_and_tools_are_unioned() {
    let mut e = engine();
    e.ingest(&copy("proj", NOON - 3_000, "msg_1:req_1", 2, None, false));
    e.ingest(&copy(
        "proj",
        NOON - 2_000,
        "msg_1:req_1",
        2,
        Some("toolu_1"),
        false,
    ));
    e.advance(NOON - 2_000);
    let s = e.snapshot(None);
    assert_eq!(s.rates.output_per_min, 2.0);
    assert_eq!(s.totals.tool_calls, 1);

    e.ingest(&copy(
        "proj",
        NOON - 1_000,
        "msg_1:req_1",
        250,
        Some("toolu_2"),
        true,
    ));
    // A smaller, older copy seen late changes nothing.
    e.ingest(&copy(
        "proj",
        NOON - 500,
        "msg_1:req_1",
        7,
        Some("toolu_1"),
        false,
    ));
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!(s.totals.requests, 1);
    assert_eq!(s.totals.output, 250);
    assert_eq!(s.totals.cache_read, 1000);
    assert_eq!(s.totals.tool_calls, 2);
    assert_eq!(s.rates.output_per_min, 250.0);
    assert_eq!(s.rates.requests_per_min, 1.0);
    assert_eq!(s.ingest.copies_merged, 3);
    let detail = e.detail("proj").expect("detail");
    assert_eq!(detail.tools[0].name, "Bash");
    assert_eq!(detail.tools[0].calls, 2);
    let out = detail.sizes.now.output.expect("recorded once final");
    assert_eq!((out.count, out.max), (1, 250));
}

#[test]
fn a_larger_copy_elsewhere_moves_the_usage() {
    let mut e = engine();
    e.ingest(&copy(
        "resumed",
        NOON - 5_000,
        "msg_9:req_9",
        3,
        None,
        false,
    ));
    e.ingest(&copy(
        "original",
        NOON - 4_000,
        "msg_9:req_9",
        90,
        None,
        true,
    ));
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!(row(&s, "resumed").totals.requests, 0);
    assert_eq!(row(&s, "original").totals.output, 90);
    assert_eq!(s.totals.requests, 1);
}

#[test]
fn responses_without_a_final_copy_settle_into_histograms() {
    let mut e = engine();
    e.ingest(&copy("proj", NOON, "msg_2:req_2", 40, None, false));
    e.advance(NOON + 1_000);
    assert_eq!(e.detail("proj").expect("detail").sizes.now.output, None);
    e.advance(NOON + SETTLE_MS);
    let q = e
        .detail("proj")
        .expect("detail")
        .sizes
        .now
        .output
        .expect("settled");
    assert_eq!((q.count, q.max), (1, 40));
}

#[test]
fn quantiles_of_tokens_and_latency() {
    let mut e = engine();
    for i in 1..=100u64 {
        let mut ev = event("svc", NOON - 50 * MIN + i as i64 * 1000, 10 * i, i);
        ev.latency_ms = Some(100 * i);
        e.ingest(&ev);
    }
    e.advance(NOON);
    let d = e.detail("svc").expect("detail");
    let out = d.sizes.now.output.expect("output");
    assert_eq!(
        (out.count, out.p50, out.p90, out.p99, out.max),
        (100, 50, 90, 98, 100),
        "exact below 64; 99 reads as its bucket's lower edge, 98"
    );
    let input = d.sizes.now.input.expect("input");
    // Quantiles read as their bucket's lower edge, at most 1/32 low: 500 is in [496, 504).
    assert_eq!(input.p50, 496, "{input:?}");
    let lat = d.sizes.now.latency_ms.expect("latency");
    assert!((9_900 - 9_900 / 32..=9_900).contains(&lat.p99), "{lat:?}");
    assert_eq!(lat.max, 10_000, "the max is the largest value itself");
}

#[test]
fn days_follow_the_time_zone() {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").expect("tz database");
    let mut e = tokentop::engine::Engine::new(
        std::sync::Arc::new(tokentop::pricing::PriceTable::builtin().clone()),
        tz,
    );
    // 22:30 and 23:30 UTC on Jan 1 are 23:30 on Jan 1 and 00:30 on Jan 2 in Berlin.
    let jan1_2230 = NOON + 630 * MIN;
    e.ingest(&event("svc", jan1_2230, 100, 10));
    e.ingest(&event("svc", jan1_2230 + 60 * MIN, 200, 20));
    e.advance(jan1_2230 + 61 * MIN);
    let s = e.snapshot(None);
    let days: Vec<(&str, u64)> = s
        .by_day
        .iter()
        .map(|d| (d.key.as_str(), d.usage.input))
        .collect();
    assert_eq!(days, vec![("2026-01-01", 100), ("2026-01-02", 200)]);
    assert_eq!(s.today, "2026-01-02");
    assert_eq!(s.today_usage.input, 200);
    assert_eq!(row(&s, "svc").today.input, 200);
}

#[test]
fn unknown_models_are_unpriced_not_free_and_record_costs_win() {
    let mut e = engine();
    let mut unknown = event("lab", NOON, 100, 10);
    unknown.model = "acme-internal-llm-v2".into();
    e.ingest(&unknown);
    let mut billed = event("lab", NOON, 100, 10);
    billed.record_cost_usd = Some(0.25);
    e.ingest(&billed);
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!(s.totals.unpriced_requests, 1);
    assert_eq!(s.totals.cost_usd, 0.25);
    let model = s
        .by_model
        .iter()
        .find(|m| m.key == "acme-internal-llm-v2")
        .expect("model row");
    assert_eq!(model.usage.unpriced_requests, 1);
}

#[test]
fn the_trend_is_tokens_per_minute_oldest_first() {
    let mut e = engine();
    // 29 minutes ago, 10 minutes ago (twice) and in the current minute.
    e.ingest(&event("svc", NOON - 29 * MIN + 1_000, 100, 10));
    e.ingest(&event("svc", NOON - 10 * MIN + 1_000, 200, 20));
    e.ingest(&event("svc", NOON - 10 * MIN + 2_000, 300, 30));
    e.ingest(&event("svc", NOON + 1_000, 1, 1));
    e.ingest(&event("other", NOON - 10 * MIN + 3_000, 1000, 0));
    // Older than the trend: not in it.
    e.ingest(&event("svc", NOON - 31 * MIN, 5000, 5000));
    e.advance(NOON + 30_000);
    let s = e.snapshot(None);
    let t = row(&s, "svc").trend;
    assert_eq!(t.len(), TREND_MINUTES);
    assert_eq!(t[0], 110, "the oldest minute first");
    assert_eq!(t[TREND_MINUTES - 11], 550);
    assert_eq!(t[TREND_MINUTES - 1], 2, "the current minute last");
    assert_eq!(t.iter().sum::<u64>(), 662);
    assert_eq!(
        s.trend[TREND_MINUTES - 11],
        1550,
        "the global series sums identities"
    );

    // 29 minutes on, the current minute of then is the oldest one shown.
    e.advance(NOON + 29 * MIN);
    let s = e.snapshot(None);
    assert_eq!(row(&s, "svc").trend[0], 2);
    assert_eq!(row(&s, "svc").trend.iter().sum::<u64>(), 2);
}

#[test]
fn the_snapshot_carries_the_detail_of_the_focus_only() {
    let mut e = engine();
    e.ingest(&event("svc", NOON, 100, 10));
    e.advance(NOON);
    assert_eq!(e.snapshot(None).detail, None);
    assert_eq!(e.snapshot(Some("nobody")).detail, None);
    let s = e.snapshot(Some("svc"));
    let detail = s.detail.expect("detail of the focus");
    assert_eq!(detail.row.name, "svc");
    assert_eq!(Some(detail), e.detail("svc"));
}

#[test]
fn recent_events_are_bounded_and_newest_first() {
    let mut e = engine();
    for i in 0..RECENT_EVENTS as i64 + 20 {
        e.ingest(&event("svc", NOON - 20 * MIN + i * 1_000, 100, i as u64));
    }
    // Read late (a backfill of an older file): older than all kept, so left out.
    e.ingest(&event("svc", NOON - 30 * MIN, 7, 7));
    // Read late but newer than some kept: kept, in time order.
    e.ingest(&event("svc", NOON - 20 * MIN + 30_500, 9, 9));
    e.advance(NOON);
    let recent = e.detail("svc").expect("detail").recent;
    assert_eq!(recent.len(), RECENT_EVENTS);
    let newest = (RECENT_EVENTS as i64 + 19) * 1_000;
    assert_eq!(recent[0].time, NOON - 20 * MIN + newest);
    assert!(recent.windows(2).all(|w| w[0].time >= w[1].time));
    assert!(recent.iter().all(|r| r.tokens.input != 7));
    assert!(recent.iter().any(|r| r.tokens.input == 9));
    assert_eq!(
        recent.last().map(|r| r.time),
        Some(NOON - 20 * MIN + 21_000)
    );
}

#[test]
fn a_larger_copy_updates_its_recent_entry_in_place() {
    let mut e = engine();
    e.ingest(&copy(
        "proj",
        NOON - 3_000,
        "msg_1:req_1",
        2,
        Some("toolu_1"),
        false,
    ));
    e.ingest(&event("proj", NOON - 2_500, 10, 1));
    e.ingest(&copy(
        "proj",
        NOON - 2_000,
        "msg_1:req_1",
        250,
        Some("toolu_2"),
        true,
    ));
    // A smaller copy seen late still adds its new tool call to the entry.
    let mut late = copy("proj", NOON - 1_500, "msg_1:req_1", 7, None, false);
    late.tools = vec![ToolCall::new(
        Some("toolu_3".into()),
        "mcp__github__create_issue".into(),
    )];
    e.ingest(&late);
    e.advance(NOON);
    let recent = e.detail("proj").expect("detail").recent;
    assert_eq!(recent.len(), 2, "one entry per response");
    let response = &recent[0];
    assert_eq!(
        response.time,
        NOON - 2_000,
        "the larger copy's time: newest"
    );
    assert_eq!(response.tokens.output, 250);
    assert_eq!(&*response.model, "claude-sonnet-4-20250514");
    assert!(response.cost_usd.is_some_and(|c| c > 0.0));
    let tools: Vec<(&str, u32)> = response
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.calls))
        .collect();
    assert_eq!(tools, vec![("Bash", 2), ("mcp__github__create_issue", 1)]);
    assert_eq!(recent[1].tokens.output, 1);
}

#[test]
fn a_copy_under_another_identity_moves_its_recent_entry() {
    let mut e = engine();
    e.ingest(&copy(
        "resumed",
        NOON - 5_000,
        "msg_9:req_9",
        3,
        Some("toolu_9"),
        false,
    ));
    e.ingest(&copy(
        "original",
        NOON - 4_000,
        "msg_9:req_9",
        90,
        None,
        true,
    ));
    e.advance(NOON);
    assert!(e.detail("resumed").expect("detail").recent.is_empty());
    let moved = e.detail("original").expect("detail").recent;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].tokens.output, 90);
    assert_eq!(
        moved[0].tools[0].name, "Bash",
        "tools of the earlier copy come along"
    );
}

#[test]
fn recent_events_say_unpriced_and_estimated() {
    let mut e = engine();
    let mut unknown = event("lab", NOON - 2_000, 100, 10);
    unknown.model = "acme-internal-llm-v2".into();
    e.ingest(&unknown);
    let mut guessed = event("lab", NOON - 1_000, 100, 10);
    guessed.flags.estimated = true;
    e.ingest(&guessed);
    e.advance(NOON);
    let d = e.detail("lab").expect("detail");
    assert!(d.recent[0].estimated);
    assert!(d.recent[0].cost_usd.is_some());
    assert_eq!(d.recent[1].cost_usd, None);
    assert!(!d.recent[1].estimated);
    let shares: Vec<(&str, Option<f64>)> = d
        .by_model
        .iter()
        .map(|m| (m.model.as_str(), m.cost_share))
        .collect();
    assert_eq!(
        shares,
        vec![("gpt-4o-mini", Some(1.0)), ("acme-internal-llm-v2", None)]
    );
}

#[test]
fn a_line_stamped_in_the_future_does_not_empty_the_windows() {
    let mut e = engine();
    e.advance(NOON);
    e.ingest(&event("svc", NOON - 10_000, 1000, 100));
    // A host whose clock runs a day ahead.
    e.ingest(&event("skewed", NOON + 24 * 60 * MIN, 500, 50));
    e.ingest(&event("svc", NOON - 5_000, 1000, 100));
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!(row(&s, "svc").rates.requests_per_min, 2.0);
    assert_eq!(s.ingest.future, 1);
    assert_eq!(s.totals.requests, 3, "the skewed line still counts");
}

#[test]
fn a_request_priced_past_the_bound_is_left_out_and_counted() {
    let mut e = engine();
    let mut normal = event("svc", NOON, 1000, 100);
    normal.model = "claude-opus-4-20250514".into();
    let mut absurd = normal.clone();
    // Within the token bound, but priced far past what one request can cost.
    absurd.tokens.output = tokentop::parse::plausible::MAX_TOKENS_PER_CLASS;
    e.ingest(&normal);
    e.ingest(&absurd);
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!((s.totals.requests, s.totals.output), (1, 100));
    assert!(s.totals.cost_usd > 0.0 && s.totals.cost_usd < 1.0);
    assert_eq!((s.ingest.events, s.ingest.implausible), (1, 1));
}

#[test]
fn window_sums_do_not_saturate_at_32_bits() {
    let mut e = engine();
    // Two requests within the bounds whose sum is past u32::MAX, in one bucket.
    e.ingest(&event("svc", NOON - 2_000, 10, 3_000_000_000));
    e.ingest(&event("svc", NOON - 1_000, 10, 3_000_000_000));
    e.advance(NOON);
    let s = e.snapshot(None);
    let per_min = 6_000_000_000.0;
    assert_eq!(s.rates.output_per_min, per_min, "the global window");
    assert_eq!(
        row(&s, "svc").rates.output_per_min,
        per_min,
        "a row's window"
    );
    assert_eq!(
        s.trend[TREND_MINUTES - 2],
        6_000_000_020,
        "the minute before now"
    );
}

#[test]
fn rates_say_how_many_requests_they_leave_unpriced() {
    let mut e = engine();
    let mut unknown = event("lab", NOON - 1_000, 100, 10);
    unknown.model = "acme-internal-llm-v2".into();
    e.ingest(&unknown);
    e.ingest(&event("lab", NOON - 1_000, 100, 10));
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!(s.rates.unpriced_requests, 1);
    assert_eq!(row(&s, "lab").rates.unpriced_requests, 1);
    assert!(s.rates.cost_per_hour > 0.0);
}

#[test]
fn a_request_left_out_as_implausible_leaves_no_other_trace() {
    let mut e = engine();
    e.advance(NOON);
    // A Codex count: its growth over the session's running maximum is what counts.
    let count = |time, input, output| {
        let mut c = event("codex", time, input, output);
        c.model = "claude-opus-4-20250514".into();
        c.attrs.session = Some("s1".into());
        c.cumulative = Some(tokentop::event::Running {
            series: "s1".into(),
            total: c.tokens,
        });
        c
    };
    // Ahead of the clock, and priced far past what one request can cost.
    let absurd = count(
        NOON + 10 * MIN,
        0,
        tokentop::parse::plausible::MAX_TOKENS_PER_CLASS,
    );
    e.ingest(&absurd);
    e.ingest(&count(NOON, 1000, 100));
    e.advance(NOON);
    let s = e.snapshot(None);
    assert_eq!((s.ingest.implausible, s.ingest.future), (1, 0));
    assert_eq!(
        (s.totals.requests, s.totals.input, s.totals.output),
        (1, 1000, 100),
        "the session's maximum did not move"
    );
}
