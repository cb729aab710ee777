//! Qwen Code chat records (`~/.qwen/projects/<project>/chats/<session>.jsonl`): one
//! `type: "assistant"` line per model API call, with the Gemini API's `usageMetadata`, the
//! working folder (`cwd`) and the tool calls (`message.parts[].functionCall`).
//!
//! Traps handled here:
//! - `/branch` copies records verbatim, `uuid` included, into a new session: the key is the
//!   record's `uuid` alone, so a branch copy counts once.
//! - Whether `promptTokenCount` includes `cachedContentTokenCount` is not documented for
//!   Qwen Code and peers disagree: each record is read the way its `totalTokenCount` adds
//!   up, and a record whose total cannot tell is read as the Gemini API documents it (cache
//!   inside the prompt) and flagged estimated (see [`super::usage_metadata`]).
//! - `system` records (`ui_telemetry` among them) are never counted: only assistant lines.

use std::borrow::Cow;

use serde::Deserialize;

use super::usage_metadata::Counts;
use super::{LineContext, Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, ToolCall, agent_identity,
};
use crate::timefmt::parse_rfc3339_ms;

/// The agent's label, and the identity of usage whose folder is unknown.
const AGENT: &str = "qwen-code";
/// The model of a response that names none: unpriced, never guessed.
const UNKNOWN_MODEL: &str = "unknown";
/// Qwen Code talks to Qwen's API or any OpenAI-compatible one: the agent's name it is.
const PROVIDER: &str = "qwen";

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "agentName", borrow)]
    agent_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Content<'a>>,
    #[serde(rename = "usageMetadata")]
    usage: Option<UsageMetadata>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    parts: Option<Vec<Part<'a>>>,
}

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(rename = "functionCall", borrow)]
    function_call: Option<FunctionCall<'a>>,
}

#[derive(Deserialize)]
struct FunctionCall<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct UsageMetadata {
    prompt_token_count: u64,
    candidates_token_count: u64,
    thoughts_token_count: u64,
    cached_content_token_count: u64,
    total_token_count: u64,
}

/// The word every line read here holds (cheap test, before any parsing).
pub(super) fn may_be_line(text: &str) -> bool {
    text.contains("\"usageMetadata\"")
}

/// Whether a line is a Qwen Code model response, by its top-level keys.
pub(super) fn is_line(has_usage_metadata: bool, kind: Option<&str>) -> bool {
    has_usage_metadata && kind == Some("assistant")
}

/// The identity of a record from its folder: `qwen-code:<cwd>`, else `qwen-code`.
fn identity(cwd: Option<&str>) -> String {
    agent_identity(AGENT, cwd)
}

/// The who and when of a record without usage (a prompt, a tool result), as an event that
/// counts nothing ([`Flags::no_usage`]); `None` for a line that is no Qwen Code record
/// (its message has no `parts`: Claude Code's turns have `content`).
pub(super) fn carrier(text: &str, ctx: &LineContext) -> Option<Event> {
    if !text.contains("\"parts\"") {
        return None;
    }
    let line: Line = serde_json::from_str(text).ok()?;
    line.message.as_ref()?.parts.as_ref()?;
    line.session_id.as_ref()?;
    let time = line.timestamp.as_deref().and_then(parse_rfc3339_ms);
    let project = line.cwd.map(Cow::into_owned);
    let mut event = Event::carrier(
        time,
        ctx.read_time,
        identity(project.as_deref()),
        IdentityAttrs {
            session: line.session_id.map(Cow::into_owned),
            agent: line.agent_name.map(Cow::into_owned),
            project,
            ..IdentityAttrs::default()
        },
        Format::QwenCode,
        PROVIDER,
    );
    event.flags.sidechain = line.is_sidechain.unwrap_or(false);
    Some(event)
}

/// The key of one response wherever it is copied: its record's `uuid`.
pub fn record_key(uuid: &str) -> DedupKey {
    DedupKey::of(&["qwen-code:", uuid])
}

pub(super) fn parse(text: &str) -> Parsed {
    let line: Line = match serde_json::from_str(text) {
        Ok(line) => line,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    let Some(usage) = line.usage else {
        return Parsed::NoUsage;
    };
    let Some(time) = line.timestamp.as_deref().map(parse_rfc3339_ms) else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let Some(time) = time else {
        return Parsed::Rejected(RejectReason::InvalidField);
    };
    let counts = Counts {
        prompt: usage.prompt_token_count,
        cached: usage.cached_content_token_count,
        candidates: usage.candidates_token_count,
        thoughts: usage.thoughts_token_count,
        tool: 0,
        total: usage.total_token_count,
    };
    let split = match counts.split() {
        Ok(split) => split,
        Err(reason) => return Parsed::Rejected(reason),
    };
    let tools = line
        .message
        .and_then(|m| m.parts)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.function_call)
        .filter_map(|c| {
            Some(ToolCall::new(
                c.id.map(Cow::into_owned),
                c.name?.into_owned(),
            ))
        })
        .collect();
    let project = line.cwd.map(Cow::into_owned);
    Parsed::Event(Box::new(Event {
        time,
        identity: identity(project.as_deref()),
        identity_kind: IdentityKind::Agent,
        attrs: IdentityAttrs {
            project,
            session: line.session_id.map(Cow::into_owned),
            agent: line.agent_name.map(Cow::into_owned),
            ..IdentityAttrs::default()
        },
        format: Format::QwenCode,
        provider: PROVIDER.to_string(),
        model: line
            .model
            .map_or_else(|| UNKNOWN_MODEL.to_string(), Cow::into_owned),
        kind: Kind::Completion,
        tokens: split.tokens,
        tools,
        dedup_key: line.uuid.as_deref().map(record_key),
        latency_ms: None,
        record_cost_usd: None,
        cumulative: None,
        flags: Flags {
            estimated: !split.told,
            sidechain: line.is_sidechain.unwrap_or(false),
            final_copy: true,
            ..Flags::default()
        },
        origin: None,
        line: None,
        secrets: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LineParser, parse_line};

    const LINE: &str = r#"{"uuid":"2f6c","parentUuid":"1a9b","sessionId":"d96bf338","timestamp":"2026-02-23T14:24:56.857Z","type":"assistant","cwd":"/home/u/proj","version":"0.10.0","gitBranch":"main","model":"qwen3-coder-plus","message":{"role":"model","parts":[{"text":"Checking the file","thought":true},{"functionCall":{"id":"call_7f3","name":"read_file","args":{"absolute_path":"/home/u/proj/a.ts"}}}]},"usageMetadata":{"promptTokenCount":12414,"candidatesTokenCount":76,"thoughtsTokenCount":39,"cachedContentTokenCount":0,"totalTokenCount":12529}}"#;

    fn event(line: &str) -> Event {
        match parse_line(line.as_bytes(), &LineContext::default()) {
            Parsed::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn an_assistant_line_becomes_an_event() {
        let e = event(LINE);
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (12414, 0, 115, 39)
        );
        assert_eq!(e.identity, "qwen-code:/home/u/proj");
        assert_eq!(e.attrs.session.as_deref(), Some("d96bf338"));
        assert_eq!(e.model, "qwen3-coder-plus");
        assert_eq!(e.format, Format::QwenCode);
        assert_eq!(e.tools.len(), 1);
        assert_eq!(e.tools[0].id.as_deref(), Some("call_7f3"));
        assert_eq!(e.dedup_key, Some(record_key("2f6c")));
        assert!(!e.flags.estimated);
    }

    #[test]
    fn the_total_decides_the_cache_and_a_silent_total_is_an_estimate() {
        let usage = |prompt: u64, cached: u64, total: u64| {
            LINE.replace(
                r#""promptTokenCount":12414,"candidatesTokenCount":76,"thoughtsTokenCount":39,"cachedContentTokenCount":0,"totalTokenCount":12529"#,
                &format!(
                    r#""promptTokenCount":{prompt},"candidatesTokenCount":100,"cachedContentTokenCount":{cached},"totalTokenCount":{total}"#
                ),
            )
        };
        let inside = event(&usage(1000, 400, 1100));
        assert_eq!((inside.tokens.input, inside.tokens.cache_read), (600, 400));
        assert!(!inside.flags.estimated);
        let beside = event(&usage(1000, 400, 1500));
        assert_eq!((beside.tokens.input, beside.tokens.cache_read), (1000, 400));
        assert!(!beside.flags.estimated);
        let silent = event(&usage(1000, 400, 0));
        assert_eq!((silent.tokens.input, silent.tokens.cache_read), (600, 400));
        assert!(silent.flags.estimated);
    }

    #[test]
    fn other_records_count_nothing_and_broken_ones_are_rejected() {
        let user = r#"{"uuid":"u1","sessionId":"d9","timestamp":"2026-02-23T14:24:50.000Z","type":"user","cwd":"/p","message":{"role":"user","parts":[{"text":"hi"}]}}"#;
        let telemetry = r#"{"uuid":"t1","sessionId":"d9","timestamp":"2026-02-23T14:24:57.000Z","type":"system","subtype":"ui_telemetry","usageMetadata":{"promptTokenCount":5}}"#;
        for line in [user, telemetry] {
            assert_eq!(
                parse_line(line.as_bytes(), &LineContext::default()),
                Parsed::NoUsage
            );
        }
        // A prompt is no usage, but the secret in it is the record's identity's.
        let carrier = LineParser::default()
            .carrier(user.as_bytes(), &LineContext::default())
            .expect("a carrier");
        assert_eq!(carrier.identity, "qwen-code:/p");
        assert_eq!(carrier.format, Format::QwenCode);
        assert!(carrier.flags.no_usage);
        let no_time = LINE.replace(r#""timestamp":"2026-02-23T14:24:56.857Z","#, "");
        assert_eq!(
            parse_line(no_time.as_bytes(), &LineContext::default()),
            Parsed::Rejected(RejectReason::MissingField)
        );
    }
}
