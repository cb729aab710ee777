//! A long run keeps whole only the latest responses and a 16-byte fingerprint of the older
//! ones for the retention horizon: copies are still counted once inside it. Sums by day,
//! by model and by tool, remembered prices and Codex running totals are bounded too.

use tokentop::engine::identity::{MAX_TOOLS, OTHER_TOOLS};
use tokentop::engine::{ACTIVE_RESPONSES, Engine, MAX_MODELS, OTHER_MODEL, RETENTION_MS};
use tokentop::event::{DedupKey, Event, Running, TimeMs, Tokens, ToolCall};

use crate::common::{MIN, NOON, copy, engine, event};

const DAY: TimeMs = 86_400_000;

/// Enough other responses (one a millisecond after `from`) that the earlier ones are let go.
fn flood(engine: &mut Engine, from: TimeMs, tag: &str) {
    for i in 0..ACTIVE_RESPONSES as i64 + 100 {
        engine.ingest(&copy(
            "busy",
            from + i,
            &format!("{tag}-{i}"),
            5,
            None,
            true,
        ));
    }
}

fn requests_and_tools(engine: &Engine, name: &str) -> (u64, u64) {
    let snapshot = engine.snapshot(None);
    let row = snapshot.identities.iter().find(|r| r.name == name);
    row.map_or((0, 0), |r| (r.totals.requests, r.totals.tool_calls))
}

#[test]
fn the_dedup_table_keeps_the_latest_responses_whole_and_fingerprints_the_rest() {
    let mut engine = engine();
    engine.advance(NOON);
    flood(&mut engine, NOON, "a");
    flood(&mut engine, NOON, "b");
    let retained = engine.retained();
    assert_eq!(retained.whole, ACTIVE_RESPONSES);
    assert_eq!(retained.fingerprints, ACTIVE_RESPONSES + 200);
    // Past the horizon the fingerprints go too.
    engine.advance(NOON + RETENTION_MS + DAY);
    assert_eq!(engine.retained().fingerprints, 0);
}

#[test]
fn a_copy_minutes_apart_counts_once_after_its_response_was_let_go() {
    let mut engine = engine();
    engine.advance(NOON);
    engine.ingest(&copy("agent", NOON, "r1", 40, Some("toolu_1"), true));
    flood(&mut engine, NOON, "busy");
    engine.advance(NOON + 5 * MIN);
    engine.ingest(&copy("agent", NOON, "r1", 40, Some("toolu_1"), true));
    assert_eq!(requests_and_tools(&engine, "agent"), (1, 1));
}

#[test]
fn a_resumed_session_copying_lines_days_old_counts_once() {
    let mut engine = engine();
    engine.advance(NOON);
    engine.ingest(&copy("agent", NOON, "r1", 40, Some("toolu_1"), true));
    flood(&mut engine, NOON, "busy");
    // Six days later, inside the horizon, a resumed session copies the old line.
    let later = NOON + RETENTION_MS - DAY;
    engine.advance(later);
    engine.ingest(&copy("agent", NOON, "r1", 40, Some("toolu_1"), true));
    engine.ingest(&copy("resumed", NOON, "r1", 40, Some("toolu_1"), true));
    assert_eq!(requests_and_tools(&engine, "agent"), (1, 1));
    assert_eq!(requests_and_tools(&engine, "resumed"), (0, 0));
    assert_eq!(engine.stats().copies_merged, 2);
}

/// As documented in the README: a response read more than the horizon ago is forgotten, so
/// a copy of it read later counts again.
#[test]
fn beyond_the_horizon_a_copy_counts_again() {
    let mut engine = engine();
    engine.advance(NOON);
    engine.ingest(&copy("agent", NOON, "r1", 40, None, true));
    flood(&mut engine, NOON, "busy");
    engine.advance(NOON + RETENTION_MS + DAY);
    engine.ingest(&copy("agent", NOON, "r1", 40, None, true));
    assert_eq!(requests_and_tools(&engine, "agent"), (2, 0));
}

/// The overview's longest totals range is 30 calendar days: an identity keeps its sums
/// of those days, no more.
#[test]
fn an_identity_keeps_its_sums_by_day_for_the_longest_range_only() {
    let mut engine = engine();
    for day in 0..40 {
        engine.ingest(&event("svc", NOON + day * DAY, 10, 1));
    }
    engine.advance(NOON + 39 * DAY);
    // The 29 days before today's, and today's.
    assert_eq!(engine.retained().identity_days, 30);
    let snapshot = engine.snapshot(None);
    assert_eq!(snapshot.identities[0].totals.requests, 40);
    assert_eq!(snapshot.identities[0].today.requests, 1);
    assert_eq!(snapshot.by_day.len(), 40, "the report's days stay");
}

#[test]
fn model_names_past_the_cap_are_summed_as_one_and_still_priced() {
    let mut engine = engine();
    for i in 0..MAX_MODELS {
        let mut e = event("svc", NOON - 1_000, 10, 1);
        e.model = format!("junk-{i}");
        engine.ingest(&e);
    }
    for model in ["junk-late-1", "gpt-4o-mini"] {
        let mut e = event("svc", NOON - 1_000, 1_000_000, 0);
        e.model = model.into();
        engine.ingest(&e);
    }
    engine.advance(NOON);
    let snapshot = engine.snapshot(Some("svc"));
    assert_eq!(snapshot.by_model.len(), MAX_MODELS + 1);
    let other = snapshot.by_model.iter().find(|g| g.key == OTHER_MODEL);
    let other = other.expect("the (other models) row");
    // No verdict of its own: not an unknown model, its requests were priced by name.
    let pricing = other.pricing.as_ref().expect("a model row's pricing");
    assert_eq!((&pricing.price_key, pricing.unpriced_reason), (&None, None));
    let other = other.usage;
    assert_eq!(other.requests, 2);
    // gpt-4o-mini is priced by its own name: $0.15 per million input tokens.
    assert!((other.cost_usd - 0.15).abs() < 1e-9, "{other:?}");
    let detail = snapshot.detail.expect("detail");
    assert_eq!(detail.by_model.len(), MAX_MODELS + 1);
}

#[test]
fn tools_past_the_cap_are_counted_as_one() {
    let mut engine = engine();
    for i in 0..MAX_TOOLS + 3 {
        let mut e = event("svc", NOON - 1_000, 10, 1);
        e.tools = vec![ToolCall::new(None, format!("tool_{i}"))];
        engine.ingest(&e);
    }
    engine.advance(NOON);
    let detail = engine.snapshot(Some("svc")).detail.expect("detail");
    assert_eq!(detail.tools.len(), MAX_TOOLS + 1);
    let other = detail.tools.iter().find(|t| t.name == OTHER_TOOLS);
    assert_eq!(other.map(|t| t.calls), Some(3));
}

#[test]
fn prices_are_remembered_for_the_model_cap_only() {
    let mut engine = engine();
    for i in 0..MAX_MODELS + 100 {
        let mut e = event("svc", NOON - 1_000, 10, 1);
        e.model = format!("junk-{i}");
        engine.ingest(&e);
    }
    assert_eq!(engine.retained().priced_models, MAX_MODELS);
    // A name past the cap is still priced, matched again each time.
    let mut e = event("svc", NOON - 1_000, 1_000_000, 0);
    e.model = "openai/gpt-4o-mini".into();
    engine.ingest(&e);
    engine.ingest(&e);
    assert_eq!(engine.retained().priced_models, MAX_MODELS);
    engine.advance(NOON);
    let totals = engine.snapshot(None).totals;
    assert_eq!(
        totals.unpriced_requests,
        MAX_MODELS as u64 + 100,
        "the junk"
    );
    // Twice $0.15 per million input tokens.
    assert!((totals.cost_usd - 0.3).abs() < 1e-9, "{totals:?}");
}

/// A Codex count of `session`: its running `total` input, of which `in_file` grew since
/// the previous count of its file.
fn codex(session: &str, time: TimeMs, total: u64, in_file: u64) -> Event {
    let mut e = event("codex", time, in_file, 0);
    e.cumulative = Some(Running {
        series: DedupKey::from(session),
        total: Tokens {
            input: total,
            ..Tokens::default()
        },
    });
    e.attrs.session = Some(session.into());
    e
}

fn input(engine: &Engine) -> u64 {
    engine.snapshot(None).totals.input
}

#[test]
fn codex_sessions_idle_past_the_horizon_are_let_go() {
    let mut engine = engine();
    engine.advance(NOON);
    for i in 0..1_000 {
        engine.ingest(&codex(&format!("s{i}"), NOON, 100, 100));
    }
    engine.ingest(&codex("busy", NOON, 100, 100));
    assert_eq!(engine.retained().running_sessions, 1_001);
    // Inside the horizon a copy of a rollout (its first count whole) adds nothing, and a
    // session still being read stays.
    let later = NOON + RETENTION_MS - DAY;
    engine.advance(later);
    engine.ingest(&codex("s0", later, 100, 100));
    engine.ingest(&codex("busy", later, 150, 50));
    assert_eq!(input(&engine), 1_001 * 100 + 50);
    // Past the horizon of their last count the idle sessions go; "s0" was read again.
    engine.advance(NOON + RETENTION_MS + DAY);
    assert_eq!(engine.retained().running_sessions, 2);
    engine.ingest(&codex("busy", later, 150, 150));
    assert_eq!(
        input(&engine),
        1_001 * 100 + 50,
        "a copy of busy still counts once"
    );
    // As a response read more than the horizon ago: a copy read later counts again.
    engine.ingest(&codex("s1", NOON, 100, 100));
    assert_eq!(input(&engine), 1_002 * 100 + 50);
}
