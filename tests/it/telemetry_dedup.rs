//! One request or tool call seen in an agent's log and in its OpenTelemetry events counts
//! once, through the real parsers (transcripts, rollouts, OTLP JSON) and the engine.

use std::sync::Arc;

use tokentop::engine::Engine;
use tokentop::engine::snapshot::Snapshot;
use tokentop::event::{Event, TimeMs};
use tokentop::parse::otlp::{Encoding, Signal, decode, outcomes};
use tokentop::parse::{LineContext, Parsed};
use tokentop::pricing::PriceTable;

/// 2026-08-01T13:05:14Z, the time of every record here.
const NOW: TimeMs = 1_785_589_514_000;

fn engine() -> Engine {
    let mut engine = Engine::new(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    );
    engine.keep_whole_range();
    engine
}

/// The events of one OTLP JSON logs body whose resource is `service` used by `email`.
fn otel(service: &str, records: &[String]) -> Vec<Event> {
    let body = format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[
        {{"key":"service.name","value":{{"stringValue":"{service}"}}}},
        {{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}}]}},
        "scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    );
    let batch = decode(Signal::Logs, Encoding::Json, body.as_bytes()).expect("OTLP JSON");
    outcomes(&batch, NOW)
        .into_iter()
        .map(|o| match o.parsed {
            Parsed::Event(e) => *e,
            other => panic!("{}: {other:?}", o.name),
        })
        .collect()
}

/// A log record named `name` with `attrs` (key, OTLP value JSON).
fn record(name: &str, attrs: &[(&str, String)]) -> String {
    let attrs: Vec<String> = attrs
        .iter()
        .map(|(k, v)| format!(r#"{{"key":"{k}","value":{v}}}"#))
        .collect();
    format!(
        r#"{{"timeUnixNano":"{}000000","body":{{"stringValue":"{name}"}},"attributes":[{}]}}"#,
        NOW,
        attrs.join(",")
    )
}

fn s(text: &str) -> String {
    format!(r#"{{"stringValue":"{text}"}}"#)
}

fn int(n: u64) -> String {
    format!(r#"{{"intValue":"{n}"}}"#)
}

/// Claude Code's `api_request` for `req_1`: 50 in, 93 out, 14,265 cache reads, $0.0416.
fn api_request() -> String {
    record(
        "claude_code.api_request",
        &[
            ("model", s("claude-sonnet-4-5")),
            ("input_tokens", int(50)),
            ("output_tokens", int(93)),
            ("cache_read_tokens", int(14_265)),
            ("cost_usd", r#"{"doubleValue":0.0416}"#.to_string()),
            ("request_id", s("req_1")),
        ],
    )
}

/// Claude Code's `tool_result` for call `id` of tool `name`.
fn tool_result(id: &str, name: &str) -> String {
    record(
        "claude_code.tool_result",
        &[
            ("tool_name", s(name)),
            ("tool_use_id", s(id)),
            ("success", s("true")),
        ],
    )
}

fn claude_code(records: &[String]) -> Vec<Event> {
    otel("claude-code", records)
}

/// The totals' requests and tool calls, and how many requests are in the distributions.
fn counts(engine: &mut Engine) -> (u64, u64, u64) {
    engine.finish();
    let snap = engine.snapshot(None);
    let sized = snap
        .whole_range
        .and_then(|r| r.per_request.input)
        .map_or(0, |q| q.n);
    (snap.totals.requests, snap.totals.tool_calls, sized)
}

fn identity(snap: &Snapshot, name: &str) -> (u64, u64, u64) {
    snap.identities
        .iter()
        .find(|r| r.name == name)
        .map_or((0, 0, 0), |r| {
            (r.totals.requests, r.totals.tool_calls, r.totals.output)
        })
}

#[test]
fn tool_results_are_tool_calls_not_requests() {
    let mut engine = engine();
    let events = claude_code(&[
        api_request(),
        tool_result("toolu_1", "Bash"),
        tool_result("toolu_2", "Read"),
    ]);
    for e in &events {
        engine.ingest(e);
    }
    assert_eq!(counts(&mut engine), (1, 2, 1));
    let snap = engine.snapshot(None);
    assert_eq!(identity(&snap, "ada@example.com"), (1, 2, 93));
    assert_eq!(snap.totals.unpriced_requests, 0);
}

/// The own schema's `kind: "tool"` may carry tokens and a cost: they count, as a tool call
/// and not as a request.
#[test]
fn an_own_schema_tool_event_keeps_its_tokens_and_cost_but_is_no_request() {
    let line = r#"{"tokentop":1,"ts":1785589514000,"identity":"svc","model":"gpt-4o-mini","kind":"tool","tokens":{"input":100,"output":10},"tools":[{"name":"search","id":"call_9"}],"cost_usd":0.25}"#;
    let ctx = LineContext {
        project_dir: None,
        read_time: NOW,
    };
    let Parsed::Event(event) = tokentop::parse::parse_line(line.as_bytes(), &ctx) else {
        panic!("own schema line not read")
    };
    let mut engine = engine();
    engine.ingest(&event);
    assert_eq!(counts(&mut engine), (0, 1, 0));
    let snap = engine.snapshot(None);
    assert_eq!((snap.totals.input, snap.totals.output), (100, 10));
    assert!((snap.totals.cost_usd - 0.25).abs() < 1e-12);
    assert_eq!(snap.totals.unpriced_requests, 0);
}
