//! A long run keeps whole only the latest responses and a 16-byte fingerprint of the older
//! ones for the retention horizon: copies are still counted once inside it.

use tokentop::engine::{ACTIVE_RESPONSES, Engine, RETENTION_MS};
use tokentop::event::TimeMs;

use crate::common::{MIN, NOON, copy, engine};

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
