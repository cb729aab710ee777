//! Parse + ingest throughput on one core: tokentop's own schema (events/s), Claude Code
//! logs (MB/s), OTLP JSON lines (MB/s), and Kimi CLI, pi and Copilot CLI logs (calls/s),
//! from bytes to engine, through the same line reader files go through.
//! Run: `cargo bench --bench ingest`. Figures are quoted in docs/benchmarks.md.

use std::hint::black_box;
use std::sync::Arc;

#[path = "ingest/agents3.rs"]
mod agents3;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentop::engine::Engine;
use tokentop::event::SourceId;
use tokentop::parse::FileFacts;
use tokentop::pricing::PriceTable;
use tokentop::source::health::SourceHealth;
use tokentop::source::lines::LineReader;

const OWN_LINES: usize = 100_000;
const CLAUDE_RESPONSES: usize = 10_000;
/// OTLP lines of [`OTLP_RECORDS_PER_LINE`] Claude Code `api_request` records each, as the
/// Collector's `file` exporter batches them.
const OTLP_LINES: usize = 2_000;
const OTLP_RECORDS_PER_LINE: usize = 10;

/// RFC 3339 time of line `i` when `lines` lines are spread over one minute, as a live
/// stream of that rate would write them.
fn stamp(i: usize, lines: usize) -> String {
    let ms = i * 60_000 / lines;
    format!("2026-01-01T12:00:{:02}.{:03}Z", ms / 1000, ms % 1000)
}

fn own_schema_lines() -> Vec<u8> {
    let models = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5-20250929", "o3"];
    let mut out = Vec::new();
    for i in 0..OWN_LINES {
        let line = format!(
            r#"{{"tokentop":1,"ts":"{}","identity":"svc-{}","identity_kind":"service-account","provider":"openai","model":"{}","kind":"completion","tokens":{{"input":{},"cache_read":{},"output":{},"reasoning":0}},"request_id":"req_{i}","latency_ms":{}}}"#,
            stamp(i, OWN_LINES),
            i % 1000,
            models[i % models.len()],
            500 + i % 3000,
            i % 2048,
            50 + i % 700,
            100 + i % 5000,
        );
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Claude Code lines shaped like real ones: a user turn with a tool result, then the
/// response split into copies (text, tool_use) sharing message.id + requestId.
fn claude_code_lines() -> Vec<u8> {
    let result = "x".repeat(1500);
    let text = "Let me look at the failing test and the module it covers. ".repeat(4);
    let mut out = String::new();
    for i in 0..CLAUDE_RESPONSES {
        let ts = stamp(i, CLAUDE_RESPONSES);
        out.push_str(&format!(
            r#"{{"parentUuid":"p{i}","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s1","version":"2.0.76","gitBranch":"main","type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{i}","type":"tool_result","content":"{result}"}}]}},"uuid":"u{i}","timestamp":"{ts}"}}"#
        ));
        out.push('\n');
        for (copy, (block, output, stop)) in [
            (format!(r#"{{"type":"text","text":"{text}"}}"#), 3, "null"),
            (format!(r#"{{"type":"tool_use","id":"toolu_b{i}","name":"Bash","input":{{"command":"cargo test --lib parse"}}}}"#), 412, "\"tool_use\""),
        ]
        .into_iter()
        .enumerate()
        {
            out.push_str(&format!(
                r#"{{"parentUuid":"u{i}","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s1","version":"2.0.76","gitBranch":"main","message":{{"model":"claude-sonnet-4-20250514","id":"msg_{i}","type":"message","role":"assistant","content":[{block}],"stop_reason":{stop},"stop_sequence":null,"usage":{{"input_tokens":4,"cache_creation_input_tokens":{},"cache_read_input_tokens":{},"cache_creation":{{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}},"output_tokens":{output},"service_tier":"standard"}}}},"requestId":"req_{i}","type":"assistant","uuid":"a{i}-{copy}","timestamp":"{ts}"}}"#,
                i % 5000,
                20_000 + i % 90_000,
            ));
            out.push('\n');
        }
    }
    out.into_bytes()
}

/// Claude Code telemetry as the Collector's `file` exporter writes it: one export request
/// per line, the attributes Claude Code sends on each `api_request`.
fn otlp_lines() -> Vec<u8> {
    let mut out = String::new();
    for line in 0..OTLP_LINES {
        let records: Vec<String> = (0..OTLP_RECORDS_PER_LINE)
            .map(|r| {
                let i = line * OTLP_RECORDS_PER_LINE + r;
                let ns = 1_767_268_800_000_000_000u64 + i as u64 * 6_000_000;
                format!(
                    r#"{{"timeUnixNano":"{ns}","observedTimeUnixNano":"{ns}","body":{{"stringValue":"claude_code.api_request"}},"attributes":[{{"key":"event.name","value":{{"stringValue":"api_request"}}}},{{"key":"event.timestamp","value":{{"stringValue":"2026-01-01T12:00:00.000Z"}}}},{{"key":"session.id","value":{{"stringValue":"s{}"}}}},{{"key":"user.email","value":{{"stringValue":"dev{}@example.com"}}}},{{"key":"model","value":{{"stringValue":"claude-sonnet-4-5-20250929"}}}},{{"key":"cost_usd","value":{{"doubleValue":0.0416}}}},{{"key":"duration_ms","value":{{"intValue":"3120"}}}},{{"key":"input_tokens","value":{{"intValue":"{}"}}}},{{"key":"output_tokens","value":{{"intValue":"{}"}}}},{{"key":"cache_read_tokens","value":{{"intValue":"{}"}}}},{{"key":"cache_creation_tokens","value":{{"intValue":"{}"}}}},{{"key":"request_id","value":{{"stringValue":"req_{i}"}}}}]}}"#,
                    i % 50,
                    i % 200,
                    4 + i % 100,
                    50 + i % 700,
                    20_000 + i % 90_000,
                    i % 5000,
                )
            })
            .collect();
        out.push_str(&format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"claude-code"}}}},{{"key":"service.version","value":{{"stringValue":"2.0.76"}}}}]}},"scopeLogs":[{{"scope":{{"name":"com.anthropic.claude_code.events","version":"2.0.76"}},"logRecords":[{}]}}]}}]}}"#,
            records.join(",")
        ));
        out.push('\n');
    }
    out.into_bytes()
}

fn run(bytes: &[u8], prices: &Arc<PriceTable>, project: Option<&str>) -> u64 {
    run_with(bytes, prices, project, None)
}

/// [`run`] with the facts a source reads beside the file (Kimi CLI's folder and model).
fn run_with(
    bytes: &[u8],
    prices: &Arc<PriceTable>,
    project: Option<&str>,
    facts: Option<FileFacts>,
) -> u64 {
    let mut engine = Engine::new(prices.clone(), jiff::tz::TimeZone::UTC);
    // Stamped with an origin, as lines read from files are.
    let mut lines =
        LineReader::new(project.map(str::to_string), Some(SourceId(0))).with_facts(facts);
    let mut health = SourceHealth::new("bench");
    lines.feed(bytes, 0, &mut health, &mut |e| engine.ingest(&e));
    engine.finish();
    engine.stats().events
}

fn benches(c: &mut Criterion) {
    let prices = Arc::new(PriceTable::builtin().clone());
    let own = own_schema_lines();
    let claude = claude_code_lines();
    let otlp = otlp_lines();

    let mut group = c.benchmark_group("parse+ingest");
    group.sample_size(10);
    group.throughput(Throughput::Elements(OWN_LINES as u64));
    group.bench_function("own schema (events)", |b| {
        b.iter(|| black_box(run(&own, &prices, None)))
    });
    group.throughput(Throughput::Bytes(claude.len() as u64));
    group.bench_function("claude code (bytes)", |b| {
        b.iter(|| black_box(run(&claude, &prices, Some("-home-dev-app"))))
    });
    group.throughput(Throughput::Bytes(otlp.len() as u64));
    group.bench_function("otlp json lines (bytes)", |b| {
        b.iter(|| black_box(run(&otlp, &prices, None)))
    });
    let kimi = agents3::kimi_lines();
    group.throughput(Throughput::Elements(agents3::KIMI_STEPS as u64));
    group.bench_function("kimi cli (events)", |b| {
        b.iter(|| black_box(run_with(&kimi, &prices, None, Some(agents3::kimi_facts()))))
    });
    let pi = agents3::pi_lines();
    group.throughput(Throughput::Elements(agents3::PI_CALLS as u64));
    group.bench_function("pi (events)", |b| {
        b.iter(|| black_box(run(&pi, &prices, None)))
    });
    let copilot = agents3::copilot_lines();
    group.throughput(Throughput::Elements(agents3::COPILOT_CALLS as u64));
    group.bench_function("copilot cli otel (events)", |b| {
        b.iter(|| black_box(run(&copilot, &prices, None)))
    });
    group.finish();
}

criterion_group!(ingest, benches);
criterion_main!(ingest);
