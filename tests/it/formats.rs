//! One fixture per format (Codex rollout, `codex exec --json`, OpenAI objects, Anthropic
//! messages and streams, the wrapper), read through the real file reader: exact totals,
//! identities, tool calls and rejections, and the flags of each event.
//!
//! No real third-party Codex rollout with usage exists in public repositories: the Codex
//! fixtures are written from the documented shape (shared/reference/agent-logs.md), as are
//! the provider objects (shared/reference/formats.md section 3).

use std::sync::Arc;

use tokentop::engine::{Engine, Snapshot};
use tokentop::event::{Event, Format, IdentityKind};
use tokentop::parse::{LineContext, LineParser, Parsed, RejectReason};
use tokentop::pricing::PriceTable;
use tokentop::report::read_all;
use tokentop::source::discover::SourceSpec;
use tokentop::source::health::SourceHealth;

use crate::common::{NOON, fixture, read_paths};
use crate::fixtures::rejected;

fn read(name: &str) -> (Engine, Snapshot, SourceHealth) {
    let (engine, snapshot, health) = read_paths(&[&fixture(name)]);
    let health = health.into_iter().next().expect("one source");
    (engine, snapshot, health)
}

/// The fixture's events, parsed in order as the reader does (read at NOON).
fn events(name: &str) -> Vec<Event> {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let mut parser = LineParser::default();
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: None,
        read_time: NOON,
    };
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| match parser.parse(line, &ctx) {
            Parsed::Event(e) => Some(*e),
            _ => None,
        })
        .collect()
}

fn names(s: &Snapshot) -> Vec<&str> {
    let mut names: Vec<&str> = s.identities.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names
}

fn tools(engine: &Engine, identity: &str) -> Vec<(String, Option<String>, u64)> {
    let mut tools: Vec<_> = engine
        .detail(identity)
        .expect("identity")
        .tools
        .into_iter()
        .map(|t| (t.name, t.mcp_server, t.calls))
        .collect();
    tools.sort();
    tools
}

#[test]
fn codex_rollout_counts_the_growth_of_the_cumulative_total() {
    let (engine, s, h) = read("codex_rollout.jsonl");
    assert_eq!(h.lines, 16);
    assert_eq!(h.events, 3, "four counts, one of them re-emitted");
    assert_eq!(
        h.lines_without_usage, 11,
        "incl. info: null and a blank line"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    assert_eq!(rejected(&h, RejectReason::InvalidField), 1);
    // The deltas add up to the last cumulative count: 26,000 in (20,000 cached), 1,000 out
    // (300 reasoning). Summing every count's total would give far more.
    let t = s.totals;
    assert_eq!(t.requests, 3);
    assert_eq!((t.input, t.cache_read, t.cache_write()), (6_000, 20_000, 0));
    assert_eq!((t.output, t.reasoning), (1_000, 300));
    assert_eq!(t.unpriced_requests, 0);
    // gpt-5 and gpt-5-codex: $1.25/M in, $0.125/M cached, $10/M out.
    assert!((t.cost_usd - 0.02).abs() < 1e-9, "cost {}", t.cost_usd);
    assert_eq!(names(&s), vec!["/home/dev/payments"]);
    assert_eq!(s.identities[0].kind, IdentityKind::Agent);
    assert_eq!(s.identities[0].format, Format::Codex);
    let mut models: Vec<(&str, u64, u64)> = s
        .by_model
        .iter()
        .map(|r| (r.key.as_str(), r.usage.input, r.usage.output))
        .collect();
    models.sort_unstable();
    assert_eq!(
        models,
        vec![("gpt-5", 1_000, 100), ("gpt-5-codex", 5_000, 900)],
        "the latest turn_context's model"
    );
    assert_eq!(
        tools(&engine, "/home/dev/payments"),
        vec![("apply_patch".into(), None, 1), ("shell".into(), None, 1)]
    );
    let e = events("codex_rollout.jsonl");
    assert!(
        e.iter()
            .all(|e| e.flags.final_copy && !e.flags.time_from_read && !e.flags.estimated)
    );
    assert_eq!(e[0].attrs.session.as_deref(), Some("0199a1b2-sess"));
    assert_eq!(e[0].provider, "openai");
}

#[test]
fn codex_exec_turns_count_at_the_read_time() {
    let (_, s, h) = read("codex_exec.jsonl");
    assert_eq!(h.lines, 8);
    assert_eq!(h.events, 2);
    assert_eq!(h.lines_without_usage, 4);
    assert_eq!(
        rejected(&h, RejectReason::InvalidField),
        1,
        "cached > input"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    let t = s.totals;
    assert_eq!(t.requests, 2);
    assert_eq!(
        (t.input, t.cache_read, t.output, t.reasoning),
        (3_315, 24_448, 172, 64)
    );
    assert_eq!(t.unpriced_requests, 2, "exec output names no model");
    assert_eq!(names(&s), vec!["codex"]);
    assert_eq!(s.identities[0].last_seen, NOON);
    let days: Vec<&str> = s.by_day.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(days, vec!["2026-01-01"]);
    let e = events("codex_exec.jsonl");
    assert!(e.iter().all(|e| e.flags.time_from_read && e.time == NOON));
    assert_eq!(
        e[0].attrs.session.as_deref(),
        Some("0199a213-81c0-7800-8aa1-bbab2a035a53")
    );
}

#[test]
fn openai_objects_are_normalized_and_attributed() {
    let (engine, s, h) = read("openai_objects.jsonl");
    assert_eq!(h.lines, 13);
    assert_eq!(h.events, 7);
    assert_eq!(
        h.lines_without_usage, 2,
        "a chunk with usage: null, a model object"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    assert_eq!(rejected(&h, RejectReason::InvalidField), 1);
    assert_eq!(rejected(&h, RejectReason::MissingField), 1);
    assert_eq!(
        rejected(&h, RejectReason::UnknownFormat),
        1,
        "a batch output line"
    );
    let t = s.totals;
    assert_eq!(t.requests, 6, "the repeated chatcmpl-A1 counts once");
    assert_eq!(s.ingest.copies_merged, 1);
    assert_eq!(
        (t.input, t.cache_read, t.cache_write_5m),
        (1_820, 3_024, 100)
    );
    assert_eq!((t.output, t.reasoning), (870, 320));
    assert_eq!(t.tool_calls, 4);
    assert_eq!(t.unpriced_requests, 0);
    assert_eq!(
        names(&s),
        vec!["agent-triage", "openai:unknown", "svc-checkout"]
    );
    let row = |name: &str| {
        s.identities
            .iter()
            .find(|r| r.name == name)
            .expect("row")
            .totals
    };
    let checkout = row("svc-checkout");
    assert_eq!(
        (
            checkout.requests,
            checkout.input,
            checkout.cache_read,
            checkout.output
        ),
        (2, 556, 1_024, 310)
    );
    let triage = row("agent-triage");
    assert_eq!(
        (triage.input, triage.cache_read, triage.reasoning),
        (1_100, 2_000, 300)
    );
    assert_eq!(
        tools(&engine, "agent-triage"),
        vec![
            ("mcp__github__create_issue".into(), Some("github".into()), 1),
            ("search_docs".into(), None, 1),
            ("web_search".into(), None, 1),
        ]
    );
    let e = events("openai_objects.jsonl");
    let embedding = e.last().expect("events");
    assert_eq!(embedding.kind, tokentop::event::Kind::Embedding);
    assert!(embedding.flags.time_from_read && embedding.time == NOON);
    assert!(e[..6].iter().all(|e| !e.flags.time_from_read));
    assert_eq!(e[0].time, 1_767_268_000_000, "from created");
}

#[test]
fn anthropic_streams_count_the_last_cumulative_value() {
    let (engine, s, h) = read("anthropic_messages.jsonl");
    assert_eq!(h.lines, 17);
    assert_eq!(h.events, 8);
    assert_eq!(
        h.lines_without_usage, 6,
        "block events, ping, a stop after a final delta"
    );
    assert_eq!(
        rejected(&h, RejectReason::MissingField),
        1,
        "a delta after its message stopped"
    );
    assert_eq!(
        rejected(&h, RejectReason::InvalidField),
        1,
        "thinking > output"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    let t = s.totals;
    assert_eq!(t.requests, 3);
    assert_eq!(s.ingest.copies_merged, 5);
    assert_eq!((t.input, t.cache_read), (85, 14_365));
    assert_eq!((t.cache_write_5m, t.cache_write_1h), (10_000, 408));
    assert_eq!(
        (t.output, t.reasoning),
        (140, 40),
        "42 + 5, never 1 + 30 + 42 + ..."
    );
    assert_eq!(t.tool_calls, 3);
    assert_eq!(t.unpriced_requests, 0);
    assert_eq!(names(&s), vec!["anthropic:unknown"]);
    assert_eq!(
        tools(&engine, "anthropic:unknown"),
        vec![
            ("Bash".into(), None, 1),
            ("get_weather".into(), None, 1),
            ("web_search".into(), None, 1),
        ]
    );
    // Each copy as "message id:output so far", "!" when final.
    let copies: Vec<String> = events("anthropic_messages.jsonl")
        .iter()
        .map(|e| {
            assert!(e.flags.time_from_read && e.time == NOON);
            let key = ["msg_01", "msg_02", "msg_03"]
                .into_iter()
                .find(|id| e.dedup_key == Some((*id).into()))
                .unwrap_or("");
            let last = if e.flags.final_copy { "!" } else { "" };
            format!("{key}:{}{last}", e.tokens.output)
        })
        .collect();
    assert_eq!(
        copies,
        vec![
            "msg_01:93!",
            "msg_02:1",
            "msg_02:30",
            "msg_02:42!",
            "msg_03:1",
            "msg_03:5",
            "msg_03:5!",
            "msg_01:93!"
        ]
    );
}

#[test]
fn wrapper_gives_who_and_when_and_estimates_missing_counts() {
    let (engine, s, h) = read("wrapper.jsonl");
    assert_eq!(h.lines, 10);
    assert_eq!(h.events, 6);
    assert_eq!(rejected(&h, RejectReason::UnsupportedVersion), 1);
    assert_eq!(rejected(&h, RejectReason::UnknownFormat), 1);
    assert_eq!(
        rejected(&h, RejectReason::MissingField),
        1,
        "no response, no text"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    let t = s.totals;
    assert_eq!(t.requests, 6);
    assert_eq!((t.input, t.cache_read, t.cache_write_1h), (280, 6_000, 300));
    assert_eq!(t.output, 561);
    assert_eq!(t.tool_calls, 2);
    let mut kinds: Vec<(&str, IdentityKind)> = s
        .identities
        .iter()
        .map(|r| (r.name.as_str(), r.kind))
        .collect();
    kinds.sort_unstable_by_key(|k| k.0);
    assert_eq!(
        kinds,
        vec![
            ("alice", IdentityKind::Unknown),
            ("anthropic:unknown", IdentityKind::Unknown),
            ("key_batch", IdentityKind::ApiKey),
            ("key_prod_web", IdentityKind::ApiKey),
            ("svc-support-bot", IdentityKind::ServiceAccount),
        ]
    );
    assert!(s.identities.iter().all(|r| r.format == Format::Wrapper));
    let latency = engine
        .detail("key_prod_web")
        .and_then(|d| d.sizes.now.latency_ms)
        .expect("latency");
    assert_eq!(latency.count, 1);
    assert_eq!(latency.max, 640, "the max is exact");
    let e = events("wrapper.jsonl");
    let flags: Vec<(bool, bool)> = e
        .iter()
        .map(|e| (e.flags.estimated, e.flags.time_from_read))
        .collect();
    assert_eq!(
        flags,
        vec![
            (false, false),
            (false, false),
            (true, false),
            (true, false),
            (false, false),
            (false, true),
        ]
    );
    // Estimates: "Be brief." + "What is the weather in Paris?" = 3 + 7 and "It is sunny." = 4
    // tokens in o200k (gpt-4o-mini); the Russian prompt is 11 cl100k tokens (gpt-4).
    let counts: Vec<(u64, u64)> = e[2..4]
        .iter()
        .map(|e| (e.tokens.input, e.tokens.output))
        .collect();
    assert_eq!(counts, vec![(10, 4), (11, 4)]);
    assert_eq!(e[1].time, 1_767_268_500_000, "ts in epoch ms");
}

#[test]
fn a_codex_rollout_copied_from_mid_session_counts_once_in_either_order() {
    let head = concat!(
        r#"{"timestamp":"2025-10-01T10:00:00.000Z","type":"session_meta","payload":{"id":"sess-1","cwd":"/home/dev/payments"}}"#,
        "\n",
        r#"{"timestamp":"2025-10-01T10:00:01.000Z","type":"turn_context","payload":{"cwd":"/home/dev/payments","model":"gpt-5"}}"#,
        "\n"
    );
    let count = |second: u32, input: u64, output: u64| {
        format!(
            r#"{{"timestamp":"2025-10-01T10:00:{second:02}.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"output_tokens":{output}}}}}}}}}"#
        ) + "\n"
    };
    let original = [
        head.to_string(),
        count(10, 1_000, 10),
        count(20, 3_000, 30),
        count(30, 6_000, 60),
    ]
    .concat();
    // Copied after the first count (a resumed session): the second and third again.
    let copy = [head.to_string(), count(20, 3_000, 30), count(30, 6_000, 60)].concat();
    for names in [["a.jsonl", "b.jsonl"], ["b.jsonl", "a.jsonl"]] {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join(names[0]), &original).expect("write");
        std::fs::write(dir.path().join(names[1]), &copy).expect("write");
        let (engine, _) = read_all(
            vec![SourceSpec::parse(&dir.path().to_string_lossy())],
            Arc::new(PriceTable::builtin().clone()),
            jiff::tz::TimeZone::UTC,
            (None, None),
            NOON,
        );
        let t = engine.snapshot(None).totals;
        assert_eq!((t.input, t.output), (6_000, 60), "original in {}", names[0]);
        assert_eq!(t.requests, 3, "original in {}", names[0]);
    }
    // Counts before `--since` are left out: the first one after it adds its growth only.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.jsonl"), &original).expect("write");
    let since = tokentop::timefmt::parse_rfc3339_ms("2025-10-01T10:00:15Z");
    let (engine, _) = read_all(
        vec![SourceSpec::parse(&dir.path().to_string_lossy())],
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        (since, None),
        NOON,
    );
    let t = engine.snapshot(None).totals;
    assert_eq!((t.input, t.output, t.requests), (5_000, 50, 2));
}

#[test]
fn litellm_payloads_count_with_their_own_cost_key_alias_and_cache_split() {
    let (engine, s, h) = read("litellm.jsonl");
    assert_eq!(h.lines, 8);
    assert_eq!(
        (h.events, h.lines_without_usage),
        (6, 1),
        "a failed call has no usage"
    );
    assert_eq!(rejected(&h, RejectReason::MissingField), 1);
    assert_eq!(h.rejected_lines(), 1);
    assert_eq!(
        names(&s),
        ["2c26b46b68ffc68f", "checkout-prod", "search-indexer"]
    );
    let checkout = engine.detail("checkout-prod").expect("checkout").row;
    // The retried callback's copy is the same response: counted once.
    assert_eq!(checkout.totals.requests, 3);
    assert_eq!(
        (
            checkout.totals.input,
            checkout.totals.cache_read,
            checkout.totals.output
        ),
        (200 + 10 + 100, 1000, 50 + 5 + 10),
        "cached tokens come out of the prompt only when it holds them"
    );
    assert!((checkout.totals.cost_usd - (0.0012 + 0.001)).abs() < 1e-12);
    assert_eq!(
        tools(&engine, "checkout-prod"),
        [("mcp__github__create_issue".into(), Some("github".into()), 1)]
    );
    let anthropic = engine.detail("2c26b46b68ffc68f").expect("by hash").row;
    assert_eq!(
        (
            anthropic.totals.input,
            anthropic.totals.cache_read,
            anthropic.totals.cache_write()
        ),
        (1000, 3000, 1000)
    );
    let all = events("litellm.jsonl");
    assert!(all.iter().all(|e| e.format == Format::LiteLlm));
    let first = &all[0];
    assert_eq!(first.time, 1_767_260_000_250);
    assert_eq!(first.latency_ms, Some(1500));
    assert_eq!(first.attrs.api_key_id.as_deref(), Some("9f86d081884c7d65"));
    assert_eq!(first.attrs.user.as_deref(), Some("alice@example.com"));
    assert_eq!(first.identity_kind, IdentityKind::ApiKey);
}
