//! Parse + ingest throughput on one core: tokentop's own schema (events/s), Claude Code
//! logs (MB/s), OTLP JSON lines (MB/s), Gemini CLI and Qwen Code sessions (responses/s),
//! Kimi CLI, pi and Copilot CLI logs (calls/s), from bytes to engine, through the same line
//! reader files go through; and the agents' SQLite stores (OpenCode messages with their
//! parts, Goose ledger rows: events/s), from a database file to engine, through the same
//! follower the monitor polls them with.
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
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::Follower;
use tokentop::source::health::SourceHealth;
use tokentop::source::lines::LineReader;
use tokentop::source::origin::Origins;

const OWN_LINES: usize = 100_000;
const CLAUDE_RESPONSES: usize = 10_000;
/// OTLP lines of [`OTLP_RECORDS_PER_LINE`] Claude Code `api_request` records each, as the
/// Collector's `file` exporter batches them.
const OTLP_LINES: usize = 2_000;
const OTLP_RECORDS_PER_LINE: usize = 10;
/// Model responses in the Gemini CLI and Qwen Code sessions.
const AGENT_RESPONSES: usize = 10_000;
/// OpenCode assistant messages (each with a tool part and a text part) and user messages.
const OPENCODE_MESSAGES: usize = 20_000;
const GOOSE_LEDGER_ROWS: usize = 20_000;

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

/// A Gemini CLI session as it writes one: per response, the user's turn, the response
/// with its tokens, the response again with its tool call, and a `$set` patch.
fn gemini_cli_lines() -> Vec<u8> {
    let text = "Let me look at the failing test and the module it covers. ".repeat(4);
    let mut out = String::from(
        r#"{"sessionId":"8f0c2a1e-5b6d","projectHash":"3b1f","startTime":"2026-01-01T12:00:00.000Z","lastUpdated":"2026-01-01T12:00:00.000Z","kind":"main"}"#,
    );
    out.push('\n');
    for i in 0..AGENT_RESPONSES {
        let ts = stamp(i, AGENT_RESPONSES);
        let (input, cached) = (20_000 + i % 90_000, i % 5000);
        let response = format!(
            r#"{{"id":"g{i}","timestamp":"{ts}","type":"gemini","content":"{text}","thoughts":[{{"subject":"Plan","description":"{text}","timestamp":"{ts}"}}],"tokens":{{"input":{input},"output":{},"cached":{cached},"thoughts":{},"tool":0,"total":{}}},"model":"gemini-2.5-flash""#,
            50 + i % 700,
            i % 300,
            input + 50 + i % 700 + i % 300,
        );
        out.push_str(&format!(
            r#"{{"id":"u{i}","timestamp":"{ts}","type":"user","content":[{{"text":"{text}"}}]}}"#
        ));
        out.push('\n');
        out.push_str(&response);
        out.push_str("}\n");
        out.push_str(&response);
        out.push_str(&format!(
            r#","toolCalls":[{{"id":"run_shell_command-{i}","name":"run_shell_command","args":{{"command":"cargo test"}},"status":"success","timestamp":"{ts}"}}]}}"#
        ));
        out.push('\n');
        out.push_str(&format!(r#"{{"$set":{{"lastUpdated":"{ts}"}}}}"#));
        out.push('\n');
    }
    out.into_bytes()
}

/// A Qwen Code session: per response, the user's turn, the assistant record with its
/// usage and a tool call, and the tool's result.
fn qwen_code_lines() -> Vec<u8> {
    let result = "x".repeat(1500);
    let mut out = String::new();
    for i in 0..AGENT_RESPONSES {
        let ts = stamp(i, AGENT_RESPONSES);
        let head = format!(
            r#""sessionId":"d96bf338","timestamp":"{ts}","cwd":"/home/dev/app","version":"0.10.0","gitBranch":"main""#
        );
        let (prompt, cached, out_tokens) = (20_000 + i % 90_000, i % 5000, 50 + i % 700);
        out.push_str(&format!(
            r#"{{"uuid":"u{i}","parentUuid":"t{}",{head},"type":"user","message":{{"role":"user","parts":[{{"text":"go on"}}]}}}}"#,
            i.saturating_sub(1)
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"uuid":"a{i}","parentUuid":"u{i}",{head},"type":"assistant","model":"qwen3-coder-plus","message":{{"role":"model","parts":[{{"text":"Checking","thought":true}},{{"functionCall":{{"id":"call_{i}","name":"read_file","args":{{"absolute_path":"/home/dev/app/a.rs"}}}}}}]}},"usageMetadata":{{"promptTokenCount":{prompt},"candidatesTokenCount":{out_tokens},"thoughtsTokenCount":0,"cachedContentTokenCount":{cached},"totalTokenCount":{}}}}}"#,
            prompt + out_tokens
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"uuid":"t{i}","parentUuid":"a{i}",{head},"type":"tool_result","message":{{"role":"user","parts":[{{"functionResponse":{{"id":"call_{i}","name":"read_file","response":{{"output":"{result}"}}}}}}]}}}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}

/// An `opencode.db` of [`OPENCODE_MESSAGES`] assistant turns (after a user message each),
/// with the schema of shared/reference/agent-logs-more.md section 2.
fn opencode_db(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("opencode.db");
    let mut conn = rusqlite::Connection::open(&path).expect("create");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT NOT NULL);
         CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
             time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
         CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL,
             session_id TEXT NOT NULL, data TEXT NOT NULL);
         CREATE INDEX part_message_idx ON part (message_id);
         INSERT INTO session VALUES ('ses_1', '/home/dev/app');",
    )
    .expect("schema");
    let tx = conn.transaction().expect("transaction");
    for i in 0..OPENCODE_MESSAGES {
        let t = 1_767_268_800_000 + i as i64 * 3_000;
        let (user, assistant) = (format!("msg_{:08}a", i), format!("msg_{:08}b", i));
        let insert = "INSERT INTO message VALUES (?1, 'ses_1', ?2, ?2, ?3)";
        let prompt = format!(r#"{{"role":"user","time":{{"created":{t}}},"agent":"build"}}"#);
        tx.execute(insert, rusqlite::params![user, t, prompt])
            .expect("user");
        let data = format!(
            r#"{{"role":"assistant","time":{{"created":{t},"completed":{}}},"parentID":"{user}","modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","agent":"build","path":{{"cwd":"/home/dev/app","root":"/home/dev/app"}},"cost":0.0123,"tokens":{{"total":13420,"input":{},"output":300,"reasoning":0,"cache":{{"read":12800,"write":200}}}},"finish":"tool-calls"}}"#,
            t + 2_000,
            100 + i % 50
        );
        tx.execute(insert, rusqlite::params![assistant, t, data])
            .expect("assistant");
        let tool = format!(
            r#"{{"type":"tool","callID":"toolu_{i}","tool":"bash","state":{{"status":"completed","input":{{"command":"npm test"}},"output":"ok","metadata":{{"exit":0}}}}}}"#
        );
        let text = r#"{"type":"text","text":"All tests pass."}"#;
        for (n, part) in [tool.as_str(), text].into_iter().enumerate() {
            tx.execute(
                "INSERT INTO part VALUES (?1, ?2, 'ses_1', ?3)",
                rusqlite::params![format!("prt_{i:08}{n}"), assistant, part],
            )
            .expect("part");
        }
    }
    tx.commit().expect("commit");
    path
}

/// A Goose `sessions.db` with a `usage_ledger` of [`GOOSE_LEDGER_ROWS`] rows.
fn goose_db(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("sessions.db");
    let mut conn = rusqlite::Connection::open(&path).expect("create");
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE sessions (id TEXT PRIMARY KEY, working_dir TEXT, provider_name TEXT);
         CREATE TABLE usage_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT,
             created_timestamp INTEGER, model TEXT, input_tokens INTEGER, output_tokens INTEGER,
             total_tokens INTEGER, cache_read_tokens INTEGER, cache_write_tokens INTEGER,
             cost REAL, cost_source TEXT, is_compaction INTEGER);
         INSERT INTO sessions VALUES ('20260101_1', '/home/dev/app', 'anthropic');",
    )
    .expect("schema");
    let tx = conn.transaction().expect("transaction");
    for i in 0..GOOSE_LEDGER_ROWS {
        tx.execute(
            "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens,
                 output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, cost,
                 cost_source, is_compaction)
             VALUES ('20260101_1', ?1, 'claude-sonnet-4-5', 9800, 420, 10220, 8000, 300, 0.021,
                 'provider_reported', 0)",
            [1_767_268_800 + i as i64],
        )
        .expect("ledger row");
    }
    tx.commit().expect("commit");
    path
}

/// Reads a database through a fresh follower into a fresh engine: the events counted.
fn run_db(path: &std::path::Path, prices: &Arc<PriceTable>) -> u64 {
    let mut engine = Engine::new(prices.clone(), jiff::tz::TimeZone::UTC);
    let spec = SourceSpec::Path(path.to_path_buf());
    let mut follower = Follower::new(vec![spec], Origins::default());
    follower.rescan(0, &mut |e| engine.ingest(&e));
    follower.poll(0, &mut |e| engine.ingest(&e));
    engine.finish();
    engine.stats().events
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
    let gemini = gemini_cli_lines();
    let qwen = qwen_code_lines();
    group.throughput(Throughput::Elements(AGENT_RESPONSES as u64));
    group.bench_function("gemini cli (responses)", |b| {
        b.iter(|| black_box(run(&gemini, &prices, None)))
    });
    group.bench_function("qwen code (responses)", |b| {
        b.iter(|| black_box(run(&qwen, &prices, None)))
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let opencode = opencode_db(dir.path());
    group.throughput(Throughput::Elements(OPENCODE_MESSAGES as u64));
    group.bench_function("opencode db (assistant messages)", |b| {
        b.iter(|| black_box(run_db(&opencode, &prices)))
    });
    let goose = goose_db(dir.path());
    group.throughput(Throughput::Elements(GOOSE_LEDGER_ROWS as u64));
    group.bench_function("goose db (ledger rows)", |b| {
        b.iter(|| black_box(run_db(&goose, &prices)))
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
