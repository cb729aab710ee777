//! The report's tally beside the engine: copies of a response count once, under the copy
//! the engine counts and every tool any copy called; a response let go leaves it too.

use tokentop::engine::ACTIVE_RESPONSES;
use tokentop::engine::tally::{Dimension, Filter, Tally};

use crate::common::{MIN, NOON, copy, engine};

fn tallied(dims: &[Dimension]) -> tokentop::engine::Engine {
    let mut e = engine();
    e.keep_tally(Tally::new(
        dims.to_vec(),
        Filter::default(),
        jiff::tz::TimeZone::UTC,
    ));
    e
}

fn rows(e: &tokentop::engine::Engine) -> Vec<(Vec<String>, u64, u64, u64)> {
    let mut rows: Vec<_> = e
        .tally()
        .expect("tally")
        .rows()
        .filter(|(_, s)| s.usage.requests > 0 || s.usage.tool_calls > 0)
        .map(|(keys, s)| {
            let keys = keys.iter().map(|k| k.to_string()).collect();
            (keys, s.usage.requests, s.usage.output, s.usage.tool_calls)
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn a_larger_copy_moves_the_response_and_tools_gather_over_copies() {
    let mut e = tallied(&[Dimension::Identity, Dimension::Tool]);
    e.ingest(&copy("a", NOON, "r1", 5, Some("t1"), false));
    // A resumed session: the larger copy is under another identity, with another call.
    e.ingest(&copy("b", NOON + MIN, "r1", 9, Some("t2"), true));
    e.ingest(&copy("b", NOON + MIN, "r1", 3, None, false));
    assert_eq!(
        rows(&e),
        vec![(vec!["b".to_string(), "Bash".to_string()], 1, 9, 2)],
        "one response, at its largest copy's identity, both calls"
    );
    let total = e.tally().unwrap().total();
    let snap = e.snapshot(None);
    assert_eq!(
        (
            total.usage.requests,
            total.usage.output,
            total.usage.tool_calls
        ),
        (
            snap.totals.requests,
            snap.totals.output,
            snap.totals.tool_calls
        )
    );
}

#[test]
fn responses_let_go_leave_the_tally_and_late_copies_count_nothing() {
    let mut e = tallied(&[Dimension::Identity]);
    let n = ACTIVE_RESPONSES + 100;
    for i in 0..n {
        e.ingest(&copy("a", NOON + i as i64, &format!("r{i}"), 5, None, true));
    }
    let tally = e.tally().unwrap();
    assert!(
        tally.responses_kept() <= ACTIVE_RESPONSES,
        "{}",
        tally.responses_kept()
    );
    // A larger copy of the first response, long let go: the engine leaves it out.
    e.ingest(&copy("a", NOON + n as i64, "r0", 50, Some("late"), true));
    let total = e.tally().unwrap().total();
    let snap = e.snapshot(None);
    assert_eq!(total.usage.requests, n as u64);
    assert_eq!(
        (total.usage.output, total.usage.tool_calls),
        (snap.totals.output, snap.totals.tool_calls)
    );
}
