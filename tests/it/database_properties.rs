//! Property tests over the rows of the agents' databases (OpenCode `message.data`, Goose
//! `sessions` and `usage_ledger` rows as JSON objects of their columns), with the random
//! fields, missing fields and broken bytes of [`crate::properties`].

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use tokentop::engine::usage::Usage;
use tokentop::event::Event;
use tokentop::parse::plausible::vet;
use tokentop::parse::{Parsed, goose, opencode};

use crate::common::{NOON, engine};
use crate::properties::{Fields, classes, fields, iso, runner, thin, total_tokens};

/// An OpenCode message row's `data`, finished or still streaming.
fn opencode_data(f: &Fields, done: bool) -> Value {
    let [input, output, reasoning, read, write] = f.counts;
    let mut time = json!({"created": f.time});
    if done {
        time["completed"] = json!(f.time.saturating_add(4_000));
    }
    json!({
        "role": "assistant", "time": time, "modelID": f.model, "providerID": "anthropic",
        "agent": f.who, "path": {"cwd": f.content, "root": f.content}, "cost": f.cost,
        "tokens": {"input": input, "output": output, "reasoning": reasoning,
                   "cache": {"read": read, "write": write}},
    })
}

fn goose_session(f: &Fields) -> Value {
    let [input, output, total, read, write] = f.counts;
    json!({
        "id": f.id, "working_dir": f.content, "updated_at": iso(f.time),
        "provider_name": f.who, "model_config_json": json!({"model_name": f.model}).to_string(),
        "accumulated_input_tokens": input, "accumulated_output_tokens": output,
        "accumulated_total_tokens": total, "accumulated_cache_read_tokens": read,
        "accumulated_cache_write_tokens": write, "accumulated_cost": f.cost,
    })
}

fn goose_ledger(f: &Fields, id: i64) -> Value {
    let [input, output, total, read, write] = f.counts;
    json!({
        "id": id, "session_id": f.id, "created_timestamp": f.time / 1000, "model": f.model,
        "input_tokens": input, "output_tokens": output, "total_tokens": total,
        "cache_read_tokens": read, "cache_write_tokens": write, "cost": f.cost,
        "working_dir": f.content,
    })
}

/// One row of either agent, as the source hands it over.
#[derive(Clone, Debug)]
enum Row {
    /// Message id (from a few, so that versions of one row follow each other) and data.
    Message(String, String),
    Session(String),
    Ledger(String),
}

/// Rows read in order into fresh parser state: the events that count.
fn decode(rows: &[Row]) -> Vec<Event> {
    let mut messages = opencode::State::default();
    let mut sessions = goose::State::default();
    let mut events = Vec::new();
    for row in rows {
        let parsed = match row {
            Row::Message(id, data) => {
                let row = opencode::MessageRow {
                    id,
                    session_id: Some("ses_1"),
                    time_created: None,
                    data,
                    directory: None,
                };
                messages.message(&row, Vec::new(), NOON)
            }
            Row::Session(row) => sessions.session(row, NOON),
            Row::Ledger(row) => goose::ledger(row, NOON),
        };
        if let Parsed::Event(e) = vet(parsed, NOON) {
            events.push(*e);
        }
    }
    events
}

/// A row's text: whole, thinned, cut short, one byte changed, or any text at all.
fn mangled(value: Value) -> BoxedStrategy<String> {
    let text = value.to_string();
    prop_oneof![
        3 => Just(text.clone()),
        1 => prop::collection::vec(any::<Index>(), 1..3)
            .prop_map(move |drops| thin(value.clone(), &drops).to_string()),
        1 => any::<Index>().prop_map({
            let text = text.clone();
            move |cut| String::from_utf8_lossy(&text.as_bytes()[..cut.index(text.len() + 1)]).into_owned()
        }),
        1 => (any::<Index>(), any::<u8>()).prop_map(move |(at, byte)| {
            let mut bytes = text.clone().into_bytes();
            let at = at.index(bytes.len());
            bytes[at] = byte;
            String::from_utf8_lossy(&bytes).into_owned()
        }),
        1 => ".{0,80}".boxed(),
    ]
    .boxed()
}

fn any_row() -> impl Strategy<Value = Row> {
    let ids = prop::sample::select(vec!["msg_a", "msg_b", "msg_c"]);
    let picks = (any::<bool>(), any::<u8>(), any::<u32>());
    (fields(), picks, ids).prop_flat_map(|(f, (done, pick, key), id)| match pick % 3 {
        0 => mangled(opencode_data(&f, done))
            .prop_map(move |data| Row::Message(id.to_string(), data))
            .boxed(),
        1 => mangled(goose_session(&f)).prop_map(Row::Session).boxed(),
        _ => mangled(goose_ledger(&f, i64::from(key)))
            .prop_map(Row::Ledger)
            .boxed(),
    })
}

/// Decoding any row never panics, and what it makes is an event the engine can count.
#[test]
fn decoding_random_rows_never_panics() {
    runner()
        .run(&prop::collection::vec(any_row(), 1..12), |rows| {
            for event in decode(&rows) {
                prop_assert!(event.tokens.reasoning <= event.tokens.output, "{:?}", event);
                prop_assert!(event.record_cost_usd.is_none_or(|c| c > 0.0), "{:?}", event);
            }
            Ok(())
        })
        .unwrap();
}

fn totals(events: &[Event]) -> Usage {
    let mut engine = engine();
    engine.keep_whole_range();
    for event in events {
        engine.ingest(event);
    }
    engine.advance(NOON);
    engine.snapshot(None).totals
}

/// Adding a row never takes anything away: a newer version of a message or a newer
/// snapshot of a session replaces the older (tokens and requests never go down), and
/// ledger rows with ids of their own never lower any class.
#[test]
fn totals_never_decrease_as_rows_are_added() {
    let rows = prop::collection::vec(any_row(), 1..10);
    runner()
        .run(&rows, |rows| {
            let before = totals(&decode(&rows[..rows.len() - 1]));
            let after = totals(&decode(&rows));
            let change = format!("{before:?} -> {after:?}");
            prop_assert!(total_tokens(&after) >= total_tokens(&before), "{}", change);
            prop_assert!(after.requests >= before.requests, "{}", change);
            if matches!(rows.last(), Some(Row::Ledger(_))) {
                for (was, is) in classes(&before).into_iter().zip(classes(&after)) {
                    prop_assert!(is >= was, "{}", change);
                }
            }
            Ok(())
        })
        .unwrap();
}
