//! Tool calls per request from every format that carries them, each response counted
//! once (Claude Code writes one response as several copies, some repeating a call).

use assert_cmd::Command;
use serde_json::Value;

/// `report -` over `lines`: the totals' tool calls per request (p50, p90, p99, max, n)
/// and the tool calls counted.
fn tool_calls(lines: &[String]) -> ([u64; 5], u64) {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .args(["report", "-", "--json"])
        .write_stdin(lines.join("\n"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let q = &r["totals"]["per_request"]["tool_calls"];
    let get = |k: &str| q[k].as_u64().unwrap_or_else(|| panic!("{k} in {r}"));
    let calls = r["totals"]["tool_calls"].as_u64().expect("tool calls");
    (["p50", "p90", "p99", "max", "n"].map(get), calls)
}

/// Two requests, one with `n` tool calls and one with none.
fn n_and_none(n: u64) -> [u64; 5] {
    [0, n, n, n, 2]
}

fn claude_code(id: &str, stop: &str, output: u64, block: &str) -> String {
    format!(
        r#"{{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s1","version":"2.0.76","message":{{"id":"msg_{id}","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{block}],"stop_reason":{stop},"stop_sequence":null,"usage":{{"input_tokens":4,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":{output},"service_tier":"standard"}}}},"requestId":"req_{id}","type":"assistant","uuid":"u{id}{output}","timestamp":"2026-01-01T10:00:0{output}.000Z"}}"#
    )
}

fn tool_use(id: &str, name: &str) -> String {
    format!(r#"{{"type":"tool_use","id":"{id}","name":"{name}","input":{{}}}}"#)
}

#[test]
fn claude_code_copies_count_each_call_once() {
    let text = r#"{"type":"text","text":"Done."}"#;
    let lines = [
        claude_code("A", "null", 1, &tool_use("toolu_1", "Bash")),
        claude_code("A", "null", 2, &tool_use("toolu_1", "Bash")),
        claude_code("A", r#""tool_use""#, 3, &tool_use("toolu_2", "Read")),
        claude_code("B", r#""end_turn""#, 4, text),
    ];
    assert_eq!(tool_calls(&lines), (n_and_none(2), 2));
}

#[test]
fn codex_calls_go_to_the_turn_whose_tokens_follow_them() {
    let item = |second: u32, call: &str| {
        format!(
            r#"{{"timestamp":"2026-01-01T10:00:{second:02}.000Z","type":"response_item","payload":{{"type":"function_call","name":"shell","arguments":"{{}}","call_id":"{call}"}}}}"#
        )
    };
    let tokens = |second: u32, input: u64| {
        format!(
            r#"{{"timestamp":"2026-01-01T10:00:{second:02}.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"output_tokens":10}},"last_token_usage":{{"input_tokens":{input},"output_tokens":10}}}}}}}}"#
        )
    };
    let meta = r#"{"timestamp":"2026-01-01T10:00:00.000Z","type":"session_meta","payload":{"id":"sess-1","timestamp":"2026-01-01T10:00:00.000Z","cwd":"/home/dev/payments","originator":"codex_cli_rs","cli_version":"0.40.0"}}"#;
    let lines = [
        meta.to_string(),
        item(1, "call_a"),
        item(2, "call_b"),
        tokens(3, 1_000),
        tokens(9, 2_000),
    ];
    let (sizes, calls) = tool_calls(&lines);
    assert_eq!((sizes, calls), (n_and_none(2), 2));
}

#[test]
fn openai_chat_and_responses_objects() {
    let chat = |id: &str, calls: &str| {
        format!(
            r#"{{"id":"{id}","object":"chat.completion","created":1767268000,"model":"gpt-4o-mini","choices":[{{"index":0,"message":{{"role":"assistant","content":null{calls}}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}}}}"#
        )
    };
    let two = r#","tool_calls":[{"id":"call_1","type":"function","function":{"name":"a","arguments":"{}"}},{"id":"call_2","type":"function","function":{"name":"b","arguments":"{}"}}]"#;
    // The same object twice is one response.
    let lines = [
        chat("chatcmpl-T1", two),
        chat("chatcmpl-T1", two),
        chat("chatcmpl-T2", ""),
    ];
    assert_eq!(tool_calls(&lines), (n_and_none(2), 2));

    let response = |id: &str, items: &str| {
        format!(
            r#"{{"id":"{id}","object":"response","created_at":1767268030,"status":"completed","model":"gpt-5","output":[{items}{{"type":"message","id":"m","content":[{{"type":"output_text","text":"ok"}}]}}],"usage":{{"input_tokens":291,"output_tokens":23,"total_tokens":314}}}}"#
        )
    };
    let calls = r#"{"type":"function_call","id":"fc_1","call_id":"call_un","name":"get_weather","arguments":"{}","status":"completed"},{"type":"web_search_call","id":"ws_1","status":"completed"},"#;
    let lines = [response("resp_1", calls), response("resp_2", "")];
    assert_eq!(tool_calls(&lines), (n_and_none(2), 2));
}

#[test]
fn anthropic_messages_and_the_wrapper() {
    let message = |id: &str, content: &str| {
        format!(
            r#"{{"id":"{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{content}],"stop_reason":"end_turn","stop_sequence":null,"usage":{{"input_tokens":50,"output_tokens":93}}}}"#
        )
    };
    let three = r#"{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},{"type":"mcp_tool_use","id":"mcptoolu_1","name":"search","server_name":"gh","input":{}}"#;
    let lines = [
        message("msg_1", three),
        message("msg_2", r#"{"type":"text","text":"ok"}"#),
    ];
    assert_eq!(tool_calls(&lines), (n_and_none(3), 3));

    let wrapped = |id: &str, message: &str| {
        format!(
            r#"{{"tokentop_wrap":1,"ts":"2026-01-01T11:55:00Z","api_key_id":"key_prod_web","latency_ms":640,"response":{{"id":"{id}","object":"chat.completion","created":1767268100,"model":"gpt-4o-mini","choices":[{{"index":0,"message":{message}}}],"usage":{{"prompt_tokens":1200,"completion_tokens":150,"total_tokens":1350}}}}}}"#
        )
    };
    let lines = [
        wrapped(
            "chatcmpl-W1",
            r#"{"role":"assistant","content":null,"tool_calls":[{"id":"call_w1","type":"function","function":{"name":"lookup_order","arguments":"{}"}}]}"#,
        ),
        wrapped("chatcmpl-W2", r#"{"role":"assistant","content":"ok"}"#),
    ];
    assert_eq!(tool_calls(&lines), (n_and_none(1), 1));
}

#[test]
fn tokentop_lines_name_their_tools() {
    let line = |id: &str, tools: &str| {
        format!(
            r#"{{"tokentop":1,"ts":"2026-01-01T00:00:02.000Z","identity":"key_b","provider":"openai","model":"gpt-4o-mini","tokens":{{"input":1000,"output":200}},"request_id":"{id}","tools":[{tools}]}}"#
        )
    };
    let four = r#"{"name":"a","id":"c1"},{"name":"b","id":"c2"},{"name":"a","id":"c3"},{"name":"mcp__github__search","id":"c4"}"#;
    assert_eq!(
        tool_calls(&[line("r1", four), line("r2", "")]),
        (n_and_none(4), 4)
    );
}
