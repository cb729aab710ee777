//! `serve`'s exposition as a pure function: the engine's journal into the counters, the
//! counters into text.

use std::net::SocketAddr;

use tokentop::access::{SERVE, Token, token_for};
use tokentop::engine::Engine;
use tokentop::event::{Event, ToolCall};
use tokentop::serve::counters::Counters;
use tokentop::serve::expose::{escape, render};

use super::common::{NOON, copy, engine, event};

/// The text of what `engine` counted, labels bounded to `max`.
fn exposition(engine: &mut Engine, max: usize) -> String {
    let mut counters = Counters::new(max);
    counters.take(engine.take_journal());
    render(&counters.exposition(&[], &[], &[], NOON))
}

fn journaled() -> Engine {
    let mut engine = engine();
    engine.keep_journal();
    engine.advance(NOON);
    engine
}

/// The lines of `text` that start with `prefix`.
fn lines<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn one_request_reads_exactly_so() {
    let mut engine = journaled();
    let mut e: Event = event("ana\"\\\n", NOON, 1000, 300);
    e.tokens.cache_read = 50;
    e.tokens.cache_write_1h = 7;
    e.tokens.reasoning = 100;
    e.record_cost_usd = Some(0.25);
    e.tools = vec![
        ToolCall::new(Some("t1".into()), "mcp__github__create_issue".into()),
        ToolCall::new(Some("t2".into()), "Bash".into()),
    ];
    engine.ingest(&e);
    engine.finish();
    let text = exposition(&mut engine, 200);
    let id = r#"identity="ana\"\\\n""#;
    let expected = format!(
        r#"# HELP tokentop_tokens_total Tokens since start by class; the classes sum to the total (output includes reasoning).
# TYPE tokentop_tokens_total counter
tokentop_tokens_total{{{id},class="input",model="gpt-4o-mini"}} 1000
tokentop_tokens_total{{{id},class="cache_read",model="gpt-4o-mini"}} 50
tokentop_tokens_total{{{id},class="cache_write_5m",model="gpt-4o-mini"}} 0
tokentop_tokens_total{{{id},class="cache_write_1h",model="gpt-4o-mini"}} 7
tokentop_tokens_total{{{id},class="output",model="gpt-4o-mini"}} 300
# HELP tokentop_reasoning_tokens_total Reasoning tokens since start (already inside the output class).
# TYPE tokentop_reasoning_tokens_total counter
tokentop_reasoning_tokens_total{{{id},model="gpt-4o-mini"}} 100
# HELP tokentop_cost_usd_total Cost in US dollars since start, of the priced requests (provider estimates left out).
# TYPE tokentop_cost_usd_total counter
tokentop_cost_usd_total{{{id},model="gpt-4o-mini"}} 0.25
# HELP tokentop_requests_total Requests since start, each response once.
# TYPE tokentop_requests_total counter
tokentop_requests_total{{{id}}} 1
# HELP tokentop_unpriced_requests_total Requests since start that no price covers (their cost is not in tokentop_cost_usd_total).
# TYPE tokentop_unpriced_requests_total counter
tokentop_unpriced_requests_total{{{id}}} 0
# HELP tokentop_tool_calls_total Tool calls since start, each call once; mcp_server is empty for tools of no MCP server.
# TYPE tokentop_tool_calls_total counter
tokentop_tool_calls_total{{{id},tool="Bash",mcp_server=""}} 1
tokentop_tool_calls_total{{{id},tool="mcp__github__create_issue",mcp_server="github"}} 1
# HELP tokentop_budget_used_ratio A budget's use in its current period over its limit (1 = at the limit).
# TYPE tokentop_budget_used_ratio gauge
# HELP tokentop_budget_limit A budget's limit per period, in its unit.
# TYPE tokentop_budget_limit gauge
# HELP tokentop_alerts_active Alerts open now.
# TYPE tokentop_alerts_active gauge
# HELP tokentop_alerts_total Alerts started since start, by their severity when they started.
# TYPE tokentop_alerts_total counter
# HELP tokentop_request_input_tokens Input tokens per request (every input class), since start.
# TYPE tokentop_request_input_tokens histogram
tokentop_request_input_tokens_bucket{{{id},le="1"}} 0
tokentop_request_input_tokens_bucket{{{id},le="4"}} 0
tokentop_request_input_tokens_bucket{{{id},le="16"}} 0
tokentop_request_input_tokens_bucket{{{id},le="64"}} 0
tokentop_request_input_tokens_bucket{{{id},le="256"}} 0
tokentop_request_input_tokens_bucket{{{id},le="1024"}} 0
tokentop_request_input_tokens_bucket{{{id},le="4096"}} 1
tokentop_request_input_tokens_bucket{{{id},le="16384"}} 1
tokentop_request_input_tokens_bucket{{{id},le="65536"}} 1
tokentop_request_input_tokens_bucket{{{id},le="262144"}} 1
tokentop_request_input_tokens_bucket{{{id},le="1048576"}} 1
tokentop_request_input_tokens_bucket{{{id},le="+Inf"}} 1
tokentop_request_input_tokens_sum{{{id}}} 1057
tokentop_request_input_tokens_count{{{id}}} 1
# HELP tokentop_request_output_tokens Output tokens per request (reasoning included), since start.
# TYPE tokentop_request_output_tokens histogram
tokentop_request_output_tokens_bucket{{{id},le="1"}} 0
tokentop_request_output_tokens_bucket{{{id},le="4"}} 0
tokentop_request_output_tokens_bucket{{{id},le="16"}} 0
tokentop_request_output_tokens_bucket{{{id},le="64"}} 0
tokentop_request_output_tokens_bucket{{{id},le="256"}} 0
tokentop_request_output_tokens_bucket{{{id},le="1024"}} 1
tokentop_request_output_tokens_bucket{{{id},le="4096"}} 1
tokentop_request_output_tokens_bucket{{{id},le="16384"}} 1
tokentop_request_output_tokens_bucket{{{id},le="65536"}} 1
tokentop_request_output_tokens_bucket{{{id},le="262144"}} 1
tokentop_request_output_tokens_bucket{{{id},le="1048576"}} 1
tokentop_request_output_tokens_bucket{{{id},le="+Inf"}} 1
tokentop_request_output_tokens_sum{{{id}}} 300
tokentop_request_output_tokens_count{{{id}}} 1
# HELP tokentop_request_tool_calls Tool calls per request, since start.
# TYPE tokentop_request_tool_calls histogram
tokentop_request_tool_calls_bucket{{{id},le="0"}} 0
tokentop_request_tool_calls_bucket{{{id},le="1"}} 0
tokentop_request_tool_calls_bucket{{{id},le="2"}} 1
tokentop_request_tool_calls_bucket{{{id},le="4"}} 1
tokentop_request_tool_calls_bucket{{{id},le="8"}} 1
tokentop_request_tool_calls_bucket{{{id},le="16"}} 1
tokentop_request_tool_calls_bucket{{{id},le="32"}} 1
tokentop_request_tool_calls_bucket{{{id},le="64"}} 1
tokentop_request_tool_calls_bucket{{{id},le="128"}} 1
tokentop_request_tool_calls_bucket{{{id},le="+Inf"}} 1
tokentop_request_tool_calls_sum{{{id}}} 2
tokentop_request_tool_calls_count{{{id}}} 1
# HELP tokentop_source_lines_total Lines read per source by outcome (event, without_usage, rejected with its reason).
# TYPE tokentop_source_lines_total counter
# HELP tokentop_ingest_lag_seconds Now minus the time of the newest event read from the source.
# TYPE tokentop_ingest_lag_seconds gauge
"#
    );
    assert_eq!(text, expected);
}

#[test]
fn label_values_escape_backslash_quote_and_newline() {
    assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    assert_eq!(escape("plain@example.com"), "plain@example.com");
}

#[test]
fn identities_past_the_bound_share_other_and_keep_their_labels() {
    let mut engine = journaled();
    let mut counters = Counters::new(2);
    for (who, output) in [("a", 1), ("b", 2), ("c", 4), ("d", 8)] {
        engine.ingest(&event(who, NOON, 0, output));
    }
    counters.take(engine.take_journal());
    // `a` comes back after the bound is reached: it keeps its own series.
    engine.ingest(&event("a", NOON, 0, 16));
    counters.take(engine.take_journal());
    let text = render(&counters.exposition(&[], &[], &[], NOON));
    assert_eq!(
        lines(&text, "tokentop_requests_total{"),
        [
            r#"tokentop_requests_total{identity="a"} 2"#,
            r#"tokentop_requests_total{identity="b"} 1"#,
            r#"tokentop_requests_total{identity="other"} 2"#,
        ]
    );
    let output = lines(&text, "tokentop_tokens_total{").into_iter();
    let output: Vec<&str> = output.filter(|l| l.contains("class=\"output\"")).collect();
    assert_eq!(
        output,
        [
            r#"tokentop_tokens_total{identity="a",class="output",model="gpt-4o-mini"} 17"#,
            r#"tokentop_tokens_total{identity="b",class="output",model="gpt-4o-mini"} 2"#,
            r#"tokentop_tokens_total{identity="other",class="output",model="gpt-4o-mini"} 12"#,
        ]
    );
}

#[test]
fn tools_past_the_bound_share_other_with_their_server() {
    let mut engine = journaled();
    let mut e = event("a", NOON, 0, 1);
    e.tools = vec![
        ToolCall::new(Some("1".into()), "Bash".into()),
        ToolCall::new(Some("2".into()), "mcp__jira__search".into()),
        ToolCall::new(Some("3".into()), "Read".into()),
    ];
    engine.ingest(&e);
    let text = exposition(&mut engine, 1);
    assert_eq!(
        lines(&text, "tokentop_tool_calls_total{"),
        [
            r#"tokentop_tool_calls_total{identity="a",tool="Bash",mcp_server=""} 1"#,
            r#"tokentop_tool_calls_total{identity="a",tool="other",mcp_server=""} 1"#,
            r#"tokentop_tool_calls_total{identity="a",tool="other",mcp_server="other"} 1"#,
        ]
    );
}

/// A response counted under one identity, then replaced by a larger copy under another
/// (a resumed session): the engine moves it, the first identity's counters stay.
#[test]
fn counters_never_go_down_when_a_copy_moves_to_another_identity() {
    let mut engine = journaled();
    let mut counters = Counters::new(200);
    engine.ingest(&copy("first", NOON, "msg_1", 40, None, false));
    counters.take(engine.take_journal());
    let before = render(&counters.exposition(&[], &[], &[], NOON));
    engine.ingest(&copy("second", NOON + 1, "msg_1", 90, None, true));
    counters.take(engine.take_journal());
    let after = render(&counters.exposition(&[], &[], &[], NOON));
    let output = |text: &str| {
        lines(text, "tokentop_tokens_total{")
            .into_iter()
            .filter(|l| l.contains("class=\"output\""))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        output(&before),
        [
            r#"tokentop_tokens_total{identity="first",class="output",model="claude-sonnet-4-20250514"} 40"#
        ]
    );
    assert_eq!(
        output(&after),
        [
            r#"tokentop_tokens_total{identity="first",class="output",model="claude-sonnet-4-20250514"} 40"#,
            r#"tokentop_tokens_total{identity="second",class="output",model="claude-sonnet-4-20250514"} 90"#,
        ]
    );
    assert_eq!(
        lines(&after, "tokentop_requests_total{"),
        [
            r#"tokentop_requests_total{identity="first"} 1"#,
            r#"tokentop_requests_total{identity="second"} 1"#,
        ]
    );
    assert_eq!(
        engine.snapshot(None).totals.requests,
        1,
        "the engine counts it once"
    );
}

#[test]
fn a_larger_copy_under_the_same_identity_grows_its_counters() {
    let mut engine = journaled();
    let mut counters = Counters::new(200);
    engine.ingest(&copy("a", NOON, "msg_1", 40, None, false));
    engine.ingest(&copy("a", NOON + 1, "msg_1", 90, None, true));
    counters.take(engine.take_journal());
    let text = render(&counters.exposition(&[], &[], &[], NOON));
    let output: Vec<&str> = lines(&text, "tokentop_tokens_total{")
        .into_iter()
        .filter(|l| l.contains("class=\"output\""))
        .collect();
    assert_eq!(
        output,
        [
            r#"tokentop_tokens_total{identity="a",class="output",model="claude-sonnet-4-20250514"} 90"#
        ]
    );
    assert_eq!(
        lines(&text, "tokentop_requests_total{"),
        [r#"tokentop_requests_total{identity="a"} 1"#]
    );
}

#[test]
fn listening_beyond_loopback_needs_consent_and_a_token() {
    let local: SocketAddr = "127.0.0.1:9464".parse().expect("addr");
    let remote: SocketAddr = "0.0.0.0:9464".parse().expect("addr");
    let none = |_: &str| None;
    assert_eq!(token_for(&SERVE, local, false, None, none), Ok(None));
    let refused = token_for(&SERVE, remote, false, None, none).expect_err("refused");
    assert!(refused.contains("--listen-allow-remote"), "{refused}");
    assert!(refused.contains("emails"), "{refused}");
    let no_env = token_for(&SERVE, remote, true, None, none).expect_err("refused");
    assert!(no_env.contains("--listen-token-env NAME"), "{no_env}");
    let unset = token_for(&SERVE, remote, true, Some("TT_TOKEN"), none).expect_err("unset");
    assert!(unset.contains("TT_TOKEN is not set"), "{unset}");
    let set = |name: &str| (name == "TT_TOKEN").then(|| "s3cret".to_string());
    assert_eq!(
        token_for(&SERVE, remote, true, Some("TT_TOKEN"), set),
        Ok(Some(Token::new("s3cret")))
    );
}

#[test]
fn budgets_and_alerts_show_as_gauges_and_counters() {
    let text =
        "[[budget]]\nname = \"daily \\\"ops\\\"\"\nall = true\nperiod = \"day\"\nlimit_usd = 2\n";
    let config =
        tokentop::config::Config::parse(text, std::path::Path::new("t.toml")).expect("config");
    let mut engine = Engine::with_config(
        std::sync::Arc::new(tokentop::pricing::PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        &config,
    );
    engine.keep_journal();
    engine.advance(NOON);
    let mut e = event("a", NOON, 10, 10);
    e.record_cost_usd = Some(3.0);
    engine.ingest(&e);
    engine.advance(NOON + 1_000);
    let mut counters = Counters::new(200);
    counters.alerts(&engine.take_alert_events());
    counters.take(engine.take_journal());
    let open = engine.snapshot(None).alerts;
    let text = render(&counters.exposition(&engine.budgets(), &open, &[], NOON));
    assert_eq!(
        lines(&text, "tokentop_budget"),
        [
            r#"tokentop_budget_used_ratio{budget="daily \"ops\""} 1.5"#,
            r#"tokentop_budget_limit{budget="daily \"ops\"",unit="usd"} 2"#,
        ]
    );
    assert_eq!(
        lines(&text, "tokentop_alerts"),
        [
            r#"tokentop_alerts_active{kind="budget_over",severity="crit"} 1"#,
            r#"tokentop_alerts_total{kind="budget_over",severity="crit"} 1"#,
        ]
    );
}

/// A secret seen in a raw record shows on `/metrics` as a count by kind and severity: no
/// label holds its value, its place or its fingerprint.
#[test]
fn a_secret_finding_is_counted_without_a_label_that_names_it() {
    let mut engine = journaled();
    let value = "sk_live_51Hq8Zr2eZvKYlo2C0a1b2c3d4e5f6g7h8i9j0";
    let line = format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T12:00:00Z","identity":"billing-bot","model":"gpt-4o-mini","tokens":{{"input":10,"output":10}},"request":{{"messages":[{{"content":"STRIPE_SECRET_KEY={value}"}}]}}}}"#
    );
    let events = super::common::scanned(&format!("{line}\n"), None, NOON);
    assert!(events[0].secrets.is_some(), "the scanner found it");
    engine.ingest(&events[0]);
    engine.advance(NOON + 1_000);
    let mut counters = Counters::new(200);
    counters.alerts(&engine.take_alert_events());
    counters.take(engine.take_journal());
    let open = engine.snapshot(None).alerts;
    let text = render(&counters.exposition(&engine.budgets(), &open, &[], NOON));
    assert_eq!(
        lines(&text, "tokentop_alerts"),
        [
            r#"tokentop_alerts_active{kind="secret",severity="crit"} 1"#,
            r#"tokentop_alerts_total{kind="secret",severity="crit"} 1"#,
        ]
    );
    let print = open[0].secret.as_ref().expect("note").fingerprint.clone();
    for hidden in [value, "sk_live", print.as_str(), "request.messages"] {
        assert!(!text.contains(hidden), "{hidden} in /metrics");
    }
}
