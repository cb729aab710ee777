//! A headless read hands copies of a response read back to back to the engine as one run
//! (`CopyRuns`): everything the engine shows must be what taking them one at a time gives.

use proptest::prelude::*;
use serde_json::Value;
use tokentop::engine::tally::{Dimension, Filter, Tally};
use tokentop::engine::{CopyRuns, Engine};
use tokentop::event::{Event, ToolCall};

use crate::common::{MIN, NOON, copy, engine};
use crate::properties::runner;

/// One copy: how its output grew over the copy before (mostly up, as Claude Code's
/// copies do, sometimes down), whether it is a sidechain copy, its tool call (an id from a
/// small pool, so calls repeat over copies and responses, or none, or one with no id),
/// its time step in seconds (mostly forward), and whether it is marked final.
type CopySpec = (i64, bool, Option<Option<u8>>, i64, bool);

/// One response read as a run: who, which model (one unpriced), whether its input is huge
/// (an implausible cost), its copies, whether its last copy is final, and whether a
/// telemetry copy ends it.
type RunSpec = (u8, u8, bool, Vec<CopySpec>, bool, bool);

fn copy_spec() -> impl Strategy<Value = CopySpec> {
    let tool = prop_oneof![
        2 => Just(None),
        3 => (0u8..6).prop_map(|id| Some(Some(id))),
        1 => Just(Some(None)),
    ];
    (
        prop_oneof![4 => 0i64..400, 1 => -50i64..0],
        prop::bool::weighted(0.2),
        tool,
        prop_oneof![4 => 0i64..3, 1 => -2i64..0],
        prop::bool::weighted(0.05),
    )
}

fn run_spec() -> impl Strategy<Value = RunSpec> {
    (
        0u8..3,
        prop_oneof![4 => Just(0u8), 1 => 1u8..3],
        prop::bool::weighted(0.05),
        prop::collection::vec(copy_spec(), 1..5),
        prop::bool::weighted(0.6),
        prop::bool::weighted(0.1),
    )
}

/// The events of `runs`, in read order; response `i % 7` keys run `i`, so some runs are
/// later copies of an earlier response (a resumed session), and every fifth run is
/// followed by an event with no key.
fn events(runs: &[RunSpec]) -> Vec<Event> {
    let models = [
        "claude-sonnet-4-20250514",
        "claude-opus-4-1-20250805",
        "no-such-model",
    ];
    let mut out = Vec::new();
    let mut time = NOON;
    for (i, (who, model, huge, copies, ends_final, telemetry_last)) in runs.iter().enumerate() {
        let key = format!("r{}", i % 7);
        let identity = format!("project-{who}");
        let last = copies.len() - 1;
        let mut output = 0i64;
        for (j, &(growth, sidechain, tool, step, final_copy)) in copies.iter().enumerate() {
            time += step * 1_000;
            output = (output + growth).max(0);
            let final_copy = final_copy || (*ends_final && j == last);
            let mut e = copy(&identity, time, &key, output as u64, None, final_copy);
            e.model = models[usize::from(*model)].into();
            e.flags.sidechain = sidechain;
            e.flags.telemetry = *telemetry_last && j == last;
            // Telemetry knows how long the request took; logs do not.
            e.latency_ms = e.flags.telemetry.then_some(900);
            if *huge {
                e.tokens.input = 4_000_000_000_000;
            }
            if let Some(id) = tool {
                let id = id.map(|n| format!("call-{n}"));
                e.tools = vec![ToolCall::new(id, "Bash".into())];
            }
            out.push(e);
        }
        if i % 5 == 4 {
            out.push(crate::common::event("service", time, 50, 20));
        }
    }
    out
}

fn tallied() -> Engine {
    let mut e = engine();
    e.keep_tally(Tally::new(
        vec![Dimension::Identity, Dimension::Model, Dimension::Tool],
        Filter::default(),
        jiff::tz::TimeZone::UTC,
    ));
    e.advance(NOON - MIN);
    e
}

/// What the engine shows: the tally's rows and totals, and the snapshot with each
/// identity's detail; costs summed in floats are compared to the nano-dollar.
fn shown(e: &mut Engine) -> Vec<Value> {
    e.advance(NOON + 60 * MIN);
    e.finish();
    let tally = e.tally().expect("tally");
    // Rows taken back to nothing are not shown (a report leaves them out).
    let mut rows: Vec<String> = tally
        .rows()
        .filter(|(_, sum)| sum.usage.requests > 0 || sum.usage.tool_calls > 0)
        .map(|(keys, sum)| format!("{keys:?} {sum:?}"))
        .collect();
    rows.sort();
    let mut shown = vec![
        serde_json::json!(rows),
        serde_json::json!(format!("{:?}", tally.total())),
    ];
    let snapshot = e.snapshot(None);
    let names: Vec<String> = snapshot.identities.iter().map(|r| r.name.clone()).collect();
    shown.push(rounded(serde_json::to_value(&snapshot).expect("json")));
    for name in names {
        let detail = e.snapshot(Some(&name));
        shown.push(rounded(serde_json::to_value(&detail).expect("json")));
    }
    shown
}

/// Where two shown states first differ, and the two values there.
fn first_difference(a: &[Value], b: &[Value]) -> Option<(String, Value, Value)> {
    fn walk(path: String, a: &Value, b: &Value) -> Option<(String, Value, Value)> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => x.iter().find_map(|(k, v)| {
                walk(format!("{path}.{k}"), v, y.get(k).unwrap_or(&Value::Null))
            }),
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (v, w))| walk(format!("{path}[{i}]"), v, w)),
            _ => (a != b).then(|| (path, a.clone(), b.clone())),
        }
    }
    walk(
        String::new(),
        &Value::from(a.to_vec()),
        &Value::from(b.to_vec()),
    )
}

fn rounded(v: Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(0.0);
            serde_json::json!((x * 1e9).round() / 1e9)
        }
        Value::Array(a) => Value::Array(a.into_iter().map(rounded).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, rounded(v))).collect()),
        other => other,
    }
}

#[test]
fn runs_of_copies_count_as_copies_taken_one_at_a_time() {
    runner()
        .run(&prop::collection::vec(run_spec(), 1..14), |runs| {
            let events = events(&runs);
            let mut one_by_one = tallied();
            events.iter().for_each(|e| one_by_one.ingest(e));
            let mut as_runs = tallied();
            let mut gather = CopyRuns::default();
            for e in events {
                gather.push(&mut as_runs, e);
            }
            gather.flush(&mut as_runs);
            let (a, b) = (shown(&mut one_by_one), shown(&mut as_runs));
            prop_assert!(a == b, "differs at {:?}", first_difference(&a, &b));
            Ok(())
        })
        .expect("a run counts as its copies one at a time");
}

#[test]
fn a_run_counts_its_largest_copy_once() {
    let mut e = tallied();
    let mut gather = CopyRuns::default();
    for c in [
        copy("p", NOON, "r1", 5, None, false),
        copy("p", NOON + 1_000, "r1", 9, None, false),
        copy("p", NOON + 2_000, "r1", 12, Some("t1"), true),
    ] {
        gather.push(&mut e, c);
    }
    gather.flush(&mut e);
    let total = e.tally().expect("tally").total();
    assert_eq!(
        (
            total.usage.requests,
            total.usage.output,
            total.usage.tool_calls
        ),
        (1, 12, 1)
    );
    let stats = e.stats();
    assert_eq!((stats.events, stats.copies_merged), (3, 2));
}
