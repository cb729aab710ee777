//! The identity view's data: its timeline, kinds of call, tool cost shares, budgets with
//! their pace, and its alerts, as the engine works them out.

use crossterm::event::KeyCode;
use tokentop::engine::snapshot::{TimelineSpan, View};
use tokentop::event::{Kind, ToolCall};

use crate::budgets::{at, engine_with, spend};
use crate::common::{MIN, NOON, copy, engine, event};
use crate::views::Screen;

fn detail_at(
    e: &tokentop::engine::Engine,
    name: &str,
    span: TimelineSpan,
) -> tokentop::engine::IdentityDetail {
    e.snapshot_with(&View {
        focus: Some(name),
        span,
        ..View::default()
    })
    .detail
    .expect("detail of a known identity")
}

#[test]
fn the_timeline_stacks_token_classes_per_minute_over_the_span() {
    let mut e = engine();
    let mut a = event("svc", NOON - 30_000, 1_000, 400);
    a.tokens.cache_read = 5_000;
    a.tokens.cache_write_5m = 200;
    a.tokens.reasoning = 150;
    e.ingest(&a);
    e.ingest(&event("svc", NOON - 10 * MIN, 600, 60));
    e.advance(NOON);

    let d = detail_at(&e, "svc", TimelineSpan::FifteenMinutes);
    let t = &d.timeline;
    assert_eq!((t.bucket_ms, t.points.len()), (MIN, 15));
    assert_eq!(
        t.start,
        NOON - 14 * MIN,
        "the last bucket is the current minute"
    );
    let last = t.points[14];
    assert_eq!(
        (
            last.input,
            last.cache_read,
            last.cache_write,
            last.output,
            last.reasoning
        ),
        (0.0, 0.0, 0.0, 0.0, 0.0),
        "NOON starts a new minute"
    );
    let p = t.points[13];
    assert_eq!(
        (p.input, p.cache_read, p.cache_write),
        (1_000.0, 5_000.0, 200.0)
    );
    assert_eq!(
        (p.output, p.reasoning),
        (250.0, 150.0),
        "output without reasoning"
    );
    assert_eq!(p.tokens(), 6_600.0);
    assert_eq!(t.points[4].input, 600.0);
    assert!(p.cost > 0.0);

    // Six hours: 15-minute buckets, values still per minute.
    let d = detail_at(&e, "svc", TimelineSpan::SixHours);
    let t = &d.timeline;
    assert_eq!((t.bucket_ms, t.points.len()), (15 * MIN, 24));
    let last = t.points[23];
    assert_eq!(last.input, 0.0, "NOON starts a new quarter hour");
    let q = t.points[22];
    assert!((q.input - 1_600.0 / 15.0).abs() < 1e-9, "{q:?}");
    assert!((q.requests - 2.0 / 15.0).abs() < 1e-9);
}

#[test]
fn kinds_of_call_are_split_and_follow_a_replaced_copy() {
    let mut e = engine();
    e.ingest(&event("rag", NOON - 5_000, 2_000, 300));
    let mut retrieval = event("rag", NOON - 4_000, 800, 0);
    retrieval.kind = Kind::Retrieval;
    e.ingest(&retrieval);
    let mut embed = event("rag", NOON - 3_000, 50, 0);
    embed.kind = Kind::Embedding;
    embed.dedup_key = Some("emb-1".into());
    e.ingest(&embed);
    let mut bigger = embed.clone();
    bigger.tokens.input = 90;
    e.ingest(&bigger);
    e.advance(NOON);

    let d = e.detail("rag").expect("detail");
    let kinds: Vec<(Kind, u64, u64)> = d
        .by_kind
        .iter()
        .map(|k| (k.kind, k.usage.requests, k.usage.input))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Kind::Completion, 1, 2_000),
            (Kind::Embedding, 1, 90),
            (Kind::Retrieval, 1, 800),
        ],
        "tool calls never seen are left out; the larger copy replaced the smaller"
    );
}

#[test]
fn a_tool_is_charged_the_cost_of_the_responses_that_called_it_once_each() {
    let mut e = engine();
    // Response 1: two copies, Bash on the second, with two Read calls on the first.
    let mut first = copy("agent", NOON - 9_000, "msg_1:req_1", 100, None, false);
    first.tools = vec![
        ToolCall::new(Some("toolu_r1".into()), "Read".into()),
        ToolCall::new(Some("toolu_r2".into()), "Read".into()),
    ];
    e.ingest(&first);
    e.ingest(&copy(
        "agent",
        NOON - 8_000,
        "msg_1:req_1",
        100,
        Some("toolu_b1"),
        true,
    ));
    // Response 2 calls no tool.
    e.ingest(&copy("agent", NOON - 5_000, "msg_2:req_2", 300, None, true));
    e.advance(NOON);

    let d = e.detail("agent").expect("detail");
    let total = d.row.totals.cost_usd;
    let tool = |name: &str| d.tools.iter().find(|t| t.name == name).expect("tool");
    let (read, bash) = (tool("Read"), tool("Bash"));
    assert_eq!((read.calls, bash.calls), (2, 1));
    // Both tools were called in response 1 only: each carries its cost once.
    assert!((read.cost_usd - bash.cost_usd).abs() < 1e-12);
    assert!(read.cost_usd > 0.0 && read.cost_usd < total);
    let share = read.cost_share.expect("priced");
    assert!((share - read.cost_usd / total).abs() < 1e-12);
    assert!(share > 0.2 && share < 0.6, "{share}");
}

#[test]
fn the_budgets_covering_an_identity_come_with_their_pace_and_its_alerts_with_it() {
    let mut e = engine_with(
        r#"
[[budget]]
name = "svc daily"
identity = "svc"
period = "day"
limit_usd = 14.4

[[budget]]
name = "other hourly"
identity = "other"
period = "hour"
limit_tokens = 1000

[[budget]]
name = "all rolling"
all = true
rolling = "2h"
limit_tokens = 1200
"#,
    );
    let now = at("2026-01-02T12:00:00Z");
    e.ingest(&spend("svc", now - 30 * MIN, 20.0));
    e.ingest(&spend("other", now - 30 * MIN, 0.5));
    e.advance(now);
    let d = e.detail("svc").expect("detail");
    let names: Vec<&str> = d.budgets.iter().map(|b| b.state.name.as_str()).collect();
    assert_eq!(names, vec!["svc daily", "all rolling"]);
    // $14.40 a day is one cent a minute; 1,200 tokens over 2 hours, 10 a minute.
    assert!((d.budgets[0].pace_per_min.expect("pace") - 0.01).abs() < 1e-12);
    assert!((d.budgets[1].pace_per_min.expect("pace") - 10.0).abs() < 1e-12);
    assert!(
        d.alerts.iter().any(|a| a.subject.contains("svc daily")),
        "the over-budget alert is listed with the identity: {:?}",
        d.alerts
    );
    assert!(d.alerts.iter().all(|a| a.concerns("svc")));
}

#[test]
fn a_budget_whose_scope_matches_nothing_says_no_members_on_its_gauge() {
    let mut e = engine_with(
        r#"
[[budget]]
name = "cctrace daily"
identity = "cctrace-agent"
period = "day"
limit_usd = 10

[[budget]]
name = "agent daily"
identity = "cctrace agent"
period = "day"
limit_usd = 10
"#,
    );
    e.ingest(&spend("cctrace agent", NOON - 30 * MIN, 20.0));
    e.advance(NOON);
    let d = e.detail("cctrace agent").expect("detail");
    let shown: Vec<_> = d
        .budgets
        .iter()
        .map(|b| {
            (
                b.state.name.as_str(),
                b.state.matched,
                b.pace_per_min.is_some(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [("cctrace daily", false, false), ("agent daily", true, true)],
        "shown where it was expected, with no pace line"
    );
    let mut screen = Screen::new("logs", e, 48);
    screen.key(KeyCode::Enter);
    let drawn = format!("{}", screen.draw(160, 48).backend());
    assert!(
        drawn.contains(
            "cctrace daily      no members · identity cctrace-agent matches nothing read"
        ),
        "{drawn}"
    );
}

#[test]
fn a_usd_gauge_says_how_many_requests_it_leaves_unpriced() {
    let mut e = engine_with(
        r#"
[[budget]]
name = "svc daily"
identity = "svc"
period = "day"
limit_usd = 10
"#,
    );
    e.ingest(&spend("svc", NOON - 30 * MIN, 2.0));
    for i in 1..=3 {
        let mut unknown = event("svc", NOON - i * MIN, 1_000, 100);
        unknown.model = "acme-internal-llm-v2".into();
        e.ingest(&unknown);
    }
    e.advance(NOON);
    let mut screen = Screen::new("logs", e, 48);
    screen.key(KeyCode::Enter);
    let drawn = format!("{}", screen.draw(160, 48).backend());
    assert!(
        drawn.contains("$2.00 +3 unpriced of $10.00 · day"),
        "{drawn}"
    );
}

#[test]
fn a_tool_on_several_copies_is_charged_the_final_cost_of_its_response_once() {
    let mut e = engine();
    // Response 1 in three copies: Bash on the first two (two calls), output growing.
    e.ingest(&copy(
        "agent",
        NOON - 9_000,
        "msg_1:req_1",
        100,
        Some("toolu_a"),
        false,
    ));
    e.ingest(&copy(
        "agent",
        NOON - 8_500,
        "msg_1:req_1",
        100,
        Some("toolu_b"),
        false,
    ));
    e.ingest(&copy("agent", NOON - 8_000, "msg_1:req_1", 900, None, true));
    e.ingest(&copy("agent", NOON - 5_000, "msg_2:req_2", 300, None, true));
    e.advance(NOON);

    let d = e.detail("agent").expect("detail");
    let cost_of = |time: i64| {
        d.recent
            .iter()
            .find(|r| r.time == time)
            .and_then(|r| r.cost_usd)
            .expect("priced response")
    };
    let (first, second) = (cost_of(NOON - 8_000), cost_of(NOON - 5_000));
    let bash = d.tools.iter().find(|t| t.name == "Bash").expect("Bash");
    assert_eq!(bash.calls, 2);
    assert!(
        (bash.cost_usd - first).abs() < 1e-12,
        "{} vs {first}",
        bash.cost_usd
    );
    let share = bash.cost_share.expect("priced");
    assert!((share - first / (first + second)).abs() < 1e-9, "{share}");
    assert!(share < 0.99, "never the whole cost: {share}");
}

#[test]
fn a_replaced_copy_of_another_kind_is_taken_out_of_its_own_kind() {
    let mut e = engine();
    let mut first = event("rag", NOON - 3_000, 50, 0);
    first.kind = Kind::Retrieval;
    first.dedup_key = Some("r-1".into());
    e.ingest(&first);
    let mut larger = first.clone();
    larger.kind = Kind::Completion;
    larger.tokens.input = 90;
    e.ingest(&larger);
    e.advance(NOON);
    let d = e.detail("rag").expect("detail");
    let kinds: Vec<(Kind, u64)> = d.by_kind.iter().map(|k| (k.kind, k.usage.input)).collect();
    assert_eq!(kinds, vec![(Kind::Completion, 90)]);
}

#[test]
fn the_current_bucket_is_a_rate_over_the_time_it_has_had() {
    let mut e = engine();
    e.ingest(&event("svc", NOON + 10_000, 600, 0));
    e.advance(NOON + 30_000);
    let d = detail_at(&e, "svc", TimelineSpan::FifteenMinutes);
    let last = d.timeline.points.last().copied().expect("points");
    assert_eq!(last.input, 1_200.0, "600 tokens in half a minute");
    // One second into a bucket, a tenth of it is the least it counts over.
    e.advance(NOON + 60_000 + 1_000);
    e.ingest(&event("svc", NOON + 60_500, 60, 0));
    let d = detail_at(&e, "svc", TimelineSpan::FifteenMinutes);
    let last = d.timeline.points.last().copied().expect("points");
    assert_eq!(last.input, 600.0);
    assert_eq!(
        d.timeline.points[13].input, 600.0,
        "a full minute: as it was"
    );
}

#[test]
fn a_calendar_budget_is_paced_over_the_period_it_is_in() {
    let mut e = engine_with(
        r#"
time_zone = "America/New_York"
[[budget]]
name = "svc daily"
identity = "svc"
period = "day"
limit_usd = 23

[[budget]]
name = "svc monthly"
identity = "svc"
period = "month"
limit_usd = 31
"#,
    );
    // 8 March 2026 in New York is 23 hours long (clocks go forward); March has 31 days
    // (less that hour).
    let now = at("2026-03-08T18:00:00Z");
    e.ingest(&spend("svc", now - MIN, 1.0));
    e.advance(now);
    let d = e.detail("svc").expect("detail");
    let pace = |name: &str| {
        d.budgets
            .iter()
            .find(|b| b.state.name == name)
            .and_then(|b| b.pace_per_min)
            .expect("pace")
    };
    assert!((pace("svc daily") - 23.0 / (23.0 * 60.0)).abs() < 1e-12);
    let march_minutes = (31.0 * 24.0 - 1.0) * 60.0;
    assert!((pace("svc monthly") - 31.0 / march_minutes).abs() < 1e-12);
}
