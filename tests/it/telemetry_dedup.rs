//! One request or tool call seen in an agent's log and in its OpenTelemetry events counts
//! once, through the real parsers (transcripts, rollouts, OTLP JSON) and the engine.

use std::sync::Arc;

use tokentop::engine::Engine;
use tokentop::engine::journal::Entry;
use tokentop::engine::snapshot::Snapshot;
use tokentop::engine::tally::{Dimension, Filter, Tally};
use tokentop::event::{Event, TimeMs};
use tokentop::parse::otlp::{Encoding, Signal, decode, outcomes};
use tokentop::parse::{LineContext, LineParser, Parsed};
use tokentop::pricing::PriceTable;

/// 2026-08-01T13:05:14Z, the time of every record here.
const NOW: TimeMs = 1_785_589_514_000;

pub fn engine() -> Engine {
    let mut engine = Engine::new(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    );
    engine.keep_whole_range();
    engine
}

/// An OTLP JSON logs body of `records` sent by `service` for `ada@example.com`.
pub fn logs_body(service: &str, records: &[String]) -> Vec<u8> {
    format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[
        {{"key":"service.name","value":{{"stringValue":"{service}"}}}},
        {{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}}]}},
        "scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    )
    .into_bytes()
}

/// The events of [`logs_body`] as the OTLP parser gives them.
fn otel(service: &str, records: &[String]) -> Vec<Event> {
    let body = logs_body(service, records);
    let batch = decode(Signal::Logs, Encoding::Json, &body).expect("OTLP JSON");
    let identity = tokentop::parse::otlp::DEFAULT_IDENTITY.map(String::from);
    outcomes(&batch, NOW, &identity, None)
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
pub fn api_request() -> String {
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
pub fn tool_result(id: &str, name: &str) -> String {
    record(
        "claude_code.tool_result",
        &[
            ("tool_name", s(name)),
            ("tool_use_id", s(id)),
            ("success", s("true")),
        ],
    )
}

pub fn claude_code(records: &[String]) -> Vec<Event> {
    otel("claude-code", records)
}

/// The totals' requests and tool calls, and how many requests are in the distributions.
pub fn counts(engine: &mut Engine) -> (u64, u64, u64) {
    engine.finish();
    let snap = engine.snapshot(None);
    let sized = snap
        .whole_range
        .and_then(|r| r.per_request.input)
        .map_or(0, |q| q.n);
    (snap.totals.requests, snap.totals.tool_calls, sized)
}

pub fn identity(snap: &Snapshot, name: &str) -> (u64, u64, u64) {
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
        project_root: None,
        facts: None,
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

/// Claude Code's transcript line of request `req_1` in project `-home-dev-app` (path
/// `/home/dev/app`), calling `tools` (id, name); final, with placeholder-free counts.
pub fn transcript(tools: &[(&str, &str)]) -> Event {
    let blocks: Vec<String> = tools
        .iter()
        .map(|(id, name)| {
            format!(r#"{{"type":"tool_use","id":"{id}","name":"{name}","input":{{}}}}"#)
        })
        .collect();
    let line = format!(
        r#"{{"parentUuid":"p","isSidechain":false,"cwd":"/home/dev/app","sessionId":"s","message":{{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{}],"stop_reason":"tool_use","usage":{{"input_tokens":50,"output_tokens":90,"cache_read_input_tokens":14265}}}},"requestId":"req_1","type":"assistant","uuid":"u","timestamp":"2026-08-01T13:05:14Z"}}"#,
        blocks.join(",")
    );
    let ctx = LineContext {
        project_dir: Some("-home-dev-app"),
        project_root: None,
        facts: None,
        read_time: NOW,
    };
    match tokentop::parse::parse_line(line.as_bytes(), &ctx) {
        Parsed::Event(e) => *e,
        other => panic!("{other:?}"),
    }
}

/// Tool calls counted in the engine's journal (what `serve` exports: added less taken
/// out) and its tally.
pub fn exported_calls(engine: &mut Engine) -> (i64, u64) {
    let journal = engine
        .take_journal()
        .into_iter()
        .map(|e| match e {
            Entry::ToolCall { add: true, .. } => 1,
            Entry::ToolCall { add: false, .. } => -1,
            _ => 0,
        })
        .sum();
    let tally = engine.tally().expect("tally kept").total().usage.tool_calls;
    (journal, tally)
}

pub fn tracked_engine() -> Engine {
    let mut engine = engine();
    engine.keep_journal();
    engine.keep_tally(Tally::new(
        vec![Dimension::Identity, Dimension::Tool],
        Filter::default(),
        jiff::tz::TimeZone::UTC,
    ));
    engine
}

/// A call in a transcript and as the agent's `tool_result` is one call, whichever comes
/// first, under the telemetry's identity (as its request).
#[test]
fn a_claude_code_call_in_a_transcript_and_in_telemetry_counts_once() {
    let calls = [("toolu_1", "Bash"), ("toolu_2", "Read")];
    let log = vec![transcript(&calls)];
    let otel = claude_code(&[
        api_request(),
        tool_result("toolu_1", "Bash"),
        tool_result("toolu_2", "Read"),
    ]);
    // The `api_request` is final: read first, it goes into the per-request sizes at
    // once, before the transcript names the request's calls.
    for (first, second, order, sized_calls) in [
        (&log, &otel, "transcript first", 2),
        (&otel, &log, "telemetry first", 0),
    ] {
        let mut engine = tracked_engine();
        for e in first.iter().chain(second.iter()) {
            engine.ingest(e);
        }
        assert_eq!(counts(&mut engine), (1, 2, 1), "{order}");
        assert_eq!(exported_calls(&mut engine), (2, 2), "{order}");
        let snap = engine.snapshot(None);
        let per_request = snap.whole_range.and_then(|r| r.per_request.tool_calls);
        assert_eq!(per_request.map(|q| (q.n, q.max)), Some((1, sized_calls)));
        // The request counts under the telemetry's identity with its counts either way.
        let (ada, app) = (
            identity(&snap, "ada@example.com"),
            identity(&snap, "-home-dev-app"),
        );
        assert_eq!((ada.0, ada.2, app.0, app.2), (1, 93, 0, 0));
        assert_eq!((ada.1, app.1), (2, 0), "{order}");
        let calls = |name| {
            let tools = engine.detail(name).map(|d| d.tools).unwrap_or_default();
            tools
                .iter()
                .map(|t| (t.name.clone(), t.calls))
                .collect::<Vec<_>>()
        };
        let mut ada_tools = calls("ada@example.com");
        ada_tools.sort();
        assert_eq!(
            ada_tools,
            [("Bash".into(), 1), ("Read".into(), 1)],
            "{order}"
        );
        let moved_out = calls("-home-dev-app").iter().all(|(_, n)| *n == 0);
        assert!(moved_out, "{order}: {:?}", calls("-home-dev-app"));
        let tally = engine.tally().expect("tally kept");
        let rows: Vec<_> = tally
            .rows()
            .filter(|(_, sum)| sum.usage.tool_calls > 0)
            .map(|(key, sum)| (key[0].to_string(), sum.usage.tool_calls))
            .collect();
        assert_eq!(rows.len(), 2, "{order}: {rows:?}");
        assert!(
            rows.iter().all(|(who, _)| who == "ada@example.com"),
            "{rows:?}"
        );
    }
}

/// The Codex session of the rollouts and telemetry here.
const SESSION: &str = "0199a213-81c0-7800-8aa1-bbab2a035a53";

/// The events of a Codex rollout (in `/home/dev/api`, model `gpt-5-codex`) made of `lines`
/// after its session and turn lines. Written from the documented shape (agent-logs.md).
pub fn rollout(lines: &[String]) -> Vec<Event> {
    let head = [
        format!(
            r#"{{"timestamp":"2026-08-01T13:00:00.000Z","type":"session_meta","payload":{{"id":"{SESSION}","cwd":"/home/dev/api","originator":"codex_cli_rs","cli_version":"0.46.0"}}}}"#
        ),
        r#"{"timestamp":"2026-08-01T13:00:01.000Z","type":"turn_context","payload":{"cwd":"/home/dev/api","model":"gpt-5-codex"}}"#.to_string(),
    ];
    let mut parser = LineParser::default();
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: None,
        read_time: NOW,
    };
    head.iter()
        .chain(lines)
        .filter_map(|l| match parser.parse(l.as_bytes(), &ctx) {
            Parsed::Event(e) => Some(*e),
            Parsed::NoUsage => None,
            other => panic!("{l}: {other:?}"),
        })
        .collect()
}

/// A rollout's function call `id` (the `shell` tool).
pub fn function_call(id: &str) -> String {
    format!(
        r#"{{"timestamp":"2026-08-01T13:05:10.000Z","type":"response_item","payload":{{"type":"function_call","name":"shell","arguments":"{{}}","call_id":"{id}"}}}}"#
    )
}

/// Counts as Codex writes them: input (cached included), cached, output (reasoning
/// included), reasoning.
pub type Counts = [u64; 4];

fn usage_json([input, cached, output, reasoning]: Counts) -> String {
    format!(
        r#"{{"input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"reasoning_output_tokens":{reasoning},"total_tokens":{}}}"#,
        input + output
    )
}

/// A rollout's `token_count`: the session's running `total` and the latest response's.
pub fn token_count(total: Counts, last: Counts) -> String {
    format!(
        r#"{{"timestamp":"2026-08-01T13:05:14.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{},"last_token_usage":{},"model_context_window":272000}}}}}}"#,
        usage_json(total),
        usage_json(last)
    )
}

/// Codex's `tool_result` for call `id`.
pub fn codex_tool_result(id: &str) -> String {
    record(
        "codex.tool_result",
        &[
            ("conversation.id", s(SESSION)),
            ("tool_name", s("shell")),
            ("call_id", s(id)),
            ("success", s("true")),
        ],
    )
}

fn codex(records: &[String]) -> Vec<Event> {
    otel("codex-cli", records)
}

#[test]
fn a_codex_call_in_a_rollout_and_in_telemetry_counts_once() {
    let counts_1 = [1000, 600, 100, 40];
    let log = rollout(&[function_call("call_1"), token_count(counts_1, counts_1)]);
    let otel = codex(&[codex_tool_result("call_1")]);
    for (first, second, order) in [
        (&log, &otel, "rollout first"),
        (&otel, &log, "telemetry first"),
    ] {
        let mut engine = tracked_engine();
        for e in first.iter().chain(second.iter()) {
            engine.ingest(e);
        }
        assert_eq!(counts(&mut engine), (1, 1, 1), "{order}");
        assert_eq!(exported_calls(&mut engine), (1, 1), "{order}");
        let snap = engine.snapshot(None);
        assert_eq!(identity(&snap, "ada@example.com").1, 1, "{order}");
        assert_eq!(identity(&snap, "/home/dev/api").1, 0, "{order}");
    }
}

/// Outside Claude Code and Codex a call id is only unique within its response (servers
/// number calls `call_0`, `call_1`, ... in each): two responses' `call_0` are two calls.
#[test]
fn other_formats_count_call_ids_per_response() {
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: None,
        read_time: NOW,
    };
    let mut engine = engine();
    for request in ["req_a", "req_b"] {
        let line = format!(
            r#"{{"tokentop":1,"ts":1785589514000,"identity":"svc","model":"gpt-4o-mini","tokens":{{"input":100,"output":10}},"tools":[{{"name":"search","id":"call_0"}}],"request_id":"{request}"}}"#
        );
        let Parsed::Event(event) = tokentop::parse::parse_line(line.as_bytes(), &ctx) else {
            panic!("own schema line not read")
        };
        engine.ingest(&event);
    }
    assert_eq!(counts(&mut engine), (2, 2, 2));
}

/// Codex's `sse_event` on `response.completed` with a response's own counts.
pub fn sse_event([input, cached, output, reasoning]: Counts) -> String {
    record(
        "codex.sse_event",
        &[
            ("event.kind", s("response.completed")),
            ("conversation.id", s(SESSION)),
            ("model", s("gpt-5-codex")),
            ("input_token_count", int(input)),
            ("cached_token_count", int(cached)),
            ("output_token_count", int(output)),
            ("reasoning_token_count", int(reasoning)),
            ("tool_token_count", int(input + output)),
        ],
    )
}

/// Two responses of the session: each one's counts, and the running totals after each.
pub const FIRST: Counts = [12_000, 8_000, 500, 200];
pub const SECOND: Counts = [14_000, 11_000, 300, 100];
const AFTER_SECOND: Counts = [26_000, 19_000, 800, 300];

/// The rollout of both responses, the first one calling `call_1`.
pub fn codex_rollout() -> Vec<Event> {
    rollout(&[
        function_call("call_1"),
        token_count(FIRST, FIRST),
        token_count(FIRST, FIRST), // Codex writes a count again
        token_count(AFTER_SECOND, SECOND),
    ])
}

/// Totals' (input, cache read, output, reasoning): uncached input apart, as tokentop sums.
fn tokens(engine: &Engine) -> [u64; 4] {
    let t = engine.snapshot(None).totals;
    [t.input, t.cache_read, t.output, t.reasoning]
}

/// One response in a rollout and as the agent's `sse_event` counts once, under the
/// telemetry's identity, whichever comes first; so do the rollout's copies and a
/// telemetry batch sent twice.
#[test]
fn a_codex_response_in_a_rollout_and_in_telemetry_counts_once_as_the_telemetry_says() {
    let log = codex_rollout();
    let copy = codex_rollout();
    let otel = codex(&[
        sse_event(FIRST),
        sse_event(SECOND),
        codex_tool_result("call_1"),
    ]);
    let retried = codex(&[sse_event(SECOND)]);
    assert_eq!(log.len(), 2, "two counts in the rollout");
    let orders: [(&str, Vec<&[Event]>); 4] = [
        ("rollout first", vec![&log, &otel]),
        ("telemetry first", vec![&otel, &log]),
        ("copy after", vec![&log, &otel, &copy, &retried]),
        ("between copies", vec![&log, &retried, &otel, &copy]),
    ];
    for (order, batches) in orders {
        let mut engine = tracked_engine();
        for e in batches.into_iter().flatten() {
            engine.ingest(e);
        }
        assert_eq!(counts(&mut engine), (2, 1, 2), "{order}");
        // 26,000 input of which 19,000 cached; 800 output of which 300 reasoning.
        assert_eq!(tokens(&engine), [7_000, 19_000, 800, 300], "{order}");
        let snap = engine.snapshot(None);
        assert_eq!(identity(&snap, "ada@example.com").0, 2, "{order}");
        assert_eq!(identity(&snap, "/home/dev/api").0, 0, "{order}");
        assert_eq!(exported_calls(&mut engine), (1, 1), "{order}");
    }
}
