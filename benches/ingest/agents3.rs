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
        telemetry_covers: false,
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
