//! Lines of Kimi CLI, pi and GitHub Copilot CLI (issue 19), shaped like the reference's
//! examples, for the parse + ingest benchmark.

use tokentop::parse::FileFacts;

/// Kimi steps: each a `StatusUpdate` after a `StepBegin` and a `ToolCall`, as a session
/// writes them.
pub const KIMI_STEPS: usize = 20_000;

/// What the source reads beside a Kimi log (`kimi.json`, `config.toml`).
pub fn kimi_facts() -> FileFacts {
    FileFacts {
        project: Some("/home/dev/app".into()),
        session: Some("s1".into()),
        model: Some("kimi-k2-0905-preview".into()),
        subagent: None,
        exported: Vec::new(),
    }
}

pub fn kimi_lines() -> Vec<u8> {
    let mut out = String::from("{\"type\":\"metadata\",\"protocol_version\":\"1.3\"}\n");
    for i in 0..KIMI_STEPS {
        let secs = 1_767_268_800.0 + i as f64 * 60.0 / KIMI_STEPS as f64;
        out.push_str(&format!(
            r#"{{"timestamp":{secs:.3},"message":{{"type":"StepBegin","payload":{{"n":{i}}}}}}}"#
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"timestamp":{secs:.3},"message":{{"type":"StatusUpdate","payload":{{"context_usage":0.024,"context_tokens":6372,"max_context_tokens":262144,"token_usage":{{"input_other":{},"output":{},"input_cache_read":{},"input_cache_creation":0}},"message_id":"chatcmpl-{i}","plan_mode":false}}}}}}"#,
            500 + i % 3000,
            50 + i % 700,
            4000 + i % 9000,
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"timestamp":{secs:.3},"message":{{"type":"ToolCall","payload":{{"type":"function","id":"ReadFile:{i}","function":{{"name":"ReadFile","arguments":"{{\"path\":\"src/lib.rs\"}}"}}}}}}}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}

/// pi calls: each an assistant entry after a user entry and a tool result.
pub const PI_CALLS: usize = 20_000;

pub fn pi_lines() -> Vec<u8> {
    let mut out = String::from(
        "{\"type\":\"session\",\"version\":3,\"id\":\"3f2a\",\"timestamp\":\"2026-01-01T12:00:00.000Z\",\"cwd\":\"/home/dev/app\"}\n",
    );
    for i in 0..PI_CALLS {
        let ms = i * 60_000 / PI_CALLS;
        let ts = format!("2026-01-01T12:00:{:02}.{:03}Z", ms / 1000, ms % 1000);
        out.push_str(&format!(
            r#"{{"type":"message","id":"u{i:07x}","parentId":"t{i:07x}","timestamp":"{ts}","message":{{"role":"user","content":"run the tests","timestamp":1767268800000}}}}"#
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"type":"message","id":"a{i:07x}","parentId":"u{i:07x}","timestamp":"{ts}","message":{{"role":"assistant","content":[{{"type":"text","text":"Running them."}},{{"type":"toolCall","id":"toolu_{i}","name":"bash","arguments":{{"command":"cargo test"}}}}],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-5","usage":{{"input":{},"output":{},"cacheRead":{},"cacheWrite":0,"totalTokens":0,"cost":{{"input":0,"output":0,"cacheRead":0,"cacheWrite":0,"total":0.004}}}},"stopReason":"toolUse","timestamp":1767268800000}}}}"#,
            4 + i % 100,
            50 + i % 700,
            20_000 + i % 90_000,
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"type":"message","id":"t{i:07x}","parentId":"a{i:07x}","timestamp":"{ts}","message":{{"role":"toolResult","toolCallId":"toolu_{i}","toolName":"bash","content":[{{"type":"text","text":"ok"}}],"isError":false,"timestamp":1767268800000}}}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}

/// Copilot calls in its OpenTelemetry export: per call an inference log, its chat span and
/// a tool span; per ten calls an agent-turn log and an `invoke_agent` span.
pub const COPILOT_CALLS: usize = 20_000;

pub fn copilot_lines() -> Vec<u8> {
    let mut out = String::new();
    for i in 0..COPILOT_CALLS {
        let trace = format!("{:032x}", i / 10);
        let secs = 1_767_268_800 + (i * 60 / COPILOT_CALLS) as u64;
        let usage = format!(
            r#""gen_ai.conversation.id":"c0ffee12","gen_ai.usage.input_tokens":{},"gen_ai.usage.output_tokens":{},"gen_ai.usage.cache_read.input_tokens":20000"#,
            20_000 + i % 90_000,
            50 + i % 700,
        );
        out.push_str(&format!(
            r#"{{"hrTime":[{secs},0],"spanContext":{{"traceId":"{trace}","spanId":"{i:016x}"}},"attributes":{{"event.name":"gen_ai.client.inference.operation.details","gen_ai.response.model":"claude-sonnet-4.5",{usage}}}}}"#
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"type":"span","traceId":"{trace}","spanId":"{i:016x}","parentSpanId":"{:016x}","name":"chat claude-sonnet-4.5","startTime":[{secs},0],"endTime":[{secs},500000000],"attributes":{{"gen_ai.operation.name":"chat","gen_ai.response.model":"claude-sonnet-4.5",{usage}}},"status":{{"code":0}}}}"#,
            i / 10
        ));
        out.push('\n');
        out.push_str(&format!(
            r#"{{"type":"span","traceId":"{trace}","spanId":"f{i:015x}","parentSpanId":"{:016x}","name":"execute_tool bash","startTime":[{secs},0],"endTime":[{secs},900000000],"attributes":{{"gen_ai.operation.name":"execute_tool","gen_ai.tool.name":"bash","gen_ai.tool.call.id":"call_{i}"}}}}"#,
            i / 10
        ));
        out.push('\n');
        if i % 10 == 9 {
            out.push_str(&format!(
                r#"{{"type":"span","traceId":"{trace}","spanId":"{:016x}","name":"invoke_agent copilot","startTime":[{secs},0],"endTime":[{secs},990000000],"attributes":{{"gen_ai.operation.name":"invoke_agent","gen_ai.request.model":"claude-sonnet-4.5",{usage}}}}}"#,
                i / 10
            ));
            out.push('\n');
        }
    }
    out.into_bytes()
}
