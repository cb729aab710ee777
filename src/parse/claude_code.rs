//! Claude Code session logs (`~/.claude/projects/<project>/<session>.jsonl`).
//!
//! Each API response is written as several lines (one per content block) that share
//! `message.id` + `requestId`; this parser turns every copy into an event with a dedup key
//! and leaves "largest copy wins, tool ids unioned" to the engine (see agent-logs.md).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

mod scan;

use super::{LineContext, Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, Tokens, ToolCall,
};
use crate::timefmt::parse_rfc3339_ms;

/// Model name Claude Code writes on lines it made itself, with no API call behind them.
const SYNTHETIC_MODEL: &str = "<synthetic>";

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "agentId", borrow)]
    agent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(rename = "costUSD")]
    cost_usd: Option<f64>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
    #[serde(default)]
    content: ToolUses,
    #[serde(borrow)]
    stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Usage {
    input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    output_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct CacheCreation {
    ephemeral_1h_input_tokens: Option<u64>,
}

/// The `tool_use` blocks of `message.content`; text, thinking and tool inputs are skipped
/// without being copied. `content` may also be a plain string.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct ToolUses(Vec<ToolCall>);

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for ToolUses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ToolUses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of content blocks")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ToolUses, E> {
                Ok(ToolUses::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<ToolUses, E> {
                Ok(ToolUses::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ToolUses, A::Error> {
                let mut tools = Vec::new();
                while let Some(block) = seq.next_element::<Option<Block<'de>>>()? {
                    let Some(block) = block else { continue };
                    tools.extend(tool_call(block));
                }
                Ok(ToolUses(tools))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ToolUses, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(ToolUses::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// The call a content block makes, if it is a tool use with a name.
fn tool_call(block: Block) -> Option<ToolCall> {
    let is_tool = matches!(block.kind.as_deref(), Some("tool_use" | "server_tool_use"));
    let name = block.name.filter(|_| is_tool)?;
    Some(ToolCall::new(
        block.id.map(Cow::into_owned),
        name.into_owned(),
    ))
}

/// The name Claude Code gives a project's folder under `projects`: its path with every
/// character but ASCII letters and digits made a dash (`/home/me/my_app` ->
/// `-home-me-my-app`).
pub fn project_folder(cwd: &str) -> String {
    cwd.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Parses one Claude Code line that mentions `"usage"`.
pub fn parse(text: &str, ctx: &LineContext) -> Parsed {
    // The scanner reads the common shape; serde reads the rest and says what is wrong.
    let line = match scan::line(text) {
        Ok(line) => line,
        Err(scan::Off) => match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        },
    };
    let Some(message) = line.message else {
        return Parsed::NoUsage;
    };
    let Some(usage) = message.usage else {
        return Parsed::NoUsage;
    };
    let Some(time) = line.timestamp.as_deref().map(parse_rfc3339_ms) else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let Some(time) = time else {
        return Parsed::Rejected(RejectReason::InvalidField);
    };
    let Some(model) = message.model else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let cache = usage.cache_creation.unwrap_or_default();
    let cache_write_total = usage.cache_creation_input_tokens.unwrap_or(0);
    // Old versions give only the total: all of it was a 5-minute write then.
    let cache_write_1h = cache
        .ephemeral_1h_input_tokens
        .unwrap_or(0)
        .min(cache_write_total);
    let tokens = Tokens {
        input: usage.input_tokens.unwrap_or(0),
        cache_read: usage.cache_read_input_tokens.unwrap_or(0),
        cache_write_5m: cache_write_total - cache_write_1h,
        cache_write_1h,
        output: usage.output_tokens.unwrap_or(0),
        reasoning: 0,
    };
    // By the API request id, which names one response: the same key as the request's
    // OTel `api_request` event, so the two are one request.
    let dedup_key = match (&message.id, &line.request_id) {
        (Some(_), Some(req)) => Some(DedupKey::from(req.as_ref())),
        (Some(id), None) => Some(DedupKey::from(id.as_ref())),
        (None, _) => None,
    };
    let sidechain = line.is_sidechain.unwrap_or(false);
    let identity = identity(ctx, line.cwd.as_deref());
    Parsed::Event(Box::new(Event {
        time,
        identity,
        identity_kind: IdentityKind::Agent,
        attrs: attrs(line.cwd, line.session_id, line.agent_id),
        format: Format::ClaudeCode,
        provider: "anthropic".to_string(),
        flags: Flags {
            sidechain,
            no_cost: model == SYNTHETIC_MODEL,
            final_copy: message.stop_reason.is_some(),
            ..Flags::default()
        },
        model: model.into_owned(),
        kind: Kind::Completion,
        tokens,
        tools: message.content.0,
        dedup_key,
        latency_ms: None,
        record_cost_usd: line.cost_usd,
        cumulative: None,
        origin: None,
        line: None,
        secrets: None,
    }))
}

/// A file copied out of its `projects` folder keeps its project: the folder's name is the
/// `cwd` as Claude Code writes it, every character but letters and digits a dash.
fn identity(ctx: &LineContext, cwd: Option<&str>) -> String {
    ctx.project_dir
        .map(str::to_string)
        .or_else(|| cwd.map(project_folder))
        .unwrap_or_else(|| "claude-code".to_string())
}

fn attrs(
    cwd: Option<Cow<'_, str>>,
    session: Option<Cow<'_, str>>,
    agent: Option<Cow<'_, str>>,
) -> IdentityAttrs {
    IdentityAttrs {
        project: cwd.map(Cow::into_owned),
        session: session.map(Cow::into_owned),
        agent: agent.map(Cow::into_owned),
        ..IdentityAttrs::default()
    }
}

/// The who and when of a turn without usage (a prompt, a tool result), as an event that
/// counts nothing ([`Flags::no_usage`]); `None` for a line that is no turn (it names no
/// session).
pub fn carrier(text: &str, ctx: &LineContext) -> Option<Event> {
    let line: Line = serde_json::from_str(text).ok()?;
    line.session_id.as_ref()?;
    let time = line.timestamp.as_deref().and_then(parse_rfc3339_ms);
    let mut event = Event::carrier(
        time,
        ctx.read_time,
        identity(ctx, line.cwd.as_deref()),
        attrs(line.cwd, line.session_id, line.agent_id),
        Format::ClaudeCode,
        "anthropic",
    );
    event.flags.sidechain = line.is_sidechain.unwrap_or(false);
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    const LINE: &str = r#"{"parentUuid":"p","isSidechain":false,"userType":"external","cwd":"/Users/chip/dev/ai-music","sessionId":"ba79","version":"1.0.17","message":{"id":"msg_014K","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{"type":"tool_use","id":"toolu_01L","name":"mcp__github__get_file","input":{"path":"/x"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,"cache_creation_input_tokens":3877,"cache_read_input_tokens":10215,"output_tokens":5,"service_tier":"standard"}},"requestId":"req_011C","type":"assistant","uuid":"d3e5","timestamp":"2025-06-08T10:47:11.734Z"}"#;

    fn event(line: &str, ctx: &LineContext) -> Event {
        match parse_line(line.as_bytes(), ctx) {
            Parsed::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn assistant_line_becomes_an_event() {
        let ctx = LineContext {
            project_dir: Some("-Users-chip-dev-ai-music"),
            project_root: None,
            facts: None,
            read_time: 0,
        };
        let e = event(LINE, &ctx);
        assert_eq!(e.identity, "-Users-chip-dev-ai-music");
        assert_eq!(e.model, "claude-sonnet-4-20250514");
        assert_eq!(
            e.dedup_key,
            Some("req_011C".into()),
            "by the API request id"
        );
        assert_eq!(e.tokens.input, 4);
        assert_eq!(e.tokens.cache_write_5m, 3877);
        assert_eq!(e.tokens.cache_read, 10215);
        assert_eq!(e.tokens.output, 5);
        assert!(!e.flags.final_copy);
        assert_eq!(e.tools.len(), 1);
        assert_eq!(e.tools[0].id.as_deref(), Some("toolu_01L"));
        assert_eq!(e.tools[0].mcp_server.as_deref(), Some("github"));
        assert_eq!(e.attrs.session.as_deref(), Some("ba79"));
        assert_eq!(
            e.time,
            parse_rfc3339_ms("2025-06-08T10:47:11.734Z").unwrap()
        );
    }

    /// A log copied out of its `projects` folder keeps the identity it had in it.
    #[test]
    fn outside_a_projects_folder_the_identity_is_the_cwds_folder_name() {
        let e = event(LINE, &LineContext::default());
        assert_eq!(e.identity, "-Users-chip-dev-ai-music");
        assert_eq!(e.attrs.project.as_deref(), Some("/Users/chip/dev/ai-music"));
        assert_eq!(project_folder("/home/me/my_app.v2"), "-home-me-my-app-v2");
    }

    #[test]
    fn one_hour_cache_writes_are_split_out() {
        let line = LINE.replace(
            r#""output_tokens":5"#,
            r#""output_tokens":5,"cache_creation":{"ephemeral_5m_input_tokens":877,"ephemeral_1h_input_tokens":3000}"#,
        );
        let e = event(&line, &LineContext::default());
        assert_eq!(e.tokens.cache_write_5m, 877);
        assert_eq!(e.tokens.cache_write_1h, 3000);
    }

    #[test]
    fn synthetic_lines_have_no_cost_and_keys_fall_back() {
        let line = LINE
            .replace("claude-sonnet-4-20250514", "<synthetic>")
            .replace(r#""requestId":"req_011C","#, "")
            .replace(r#""stop_reason":null"#, r#""stop_reason":"end_turn""#);
        let e = event(&line, &LineContext::default());
        assert!(e.flags.no_cost);
        assert!(e.flags.final_copy);
        assert_eq!(e.dedup_key, Some("msg_014K".into()));
    }

    #[test]
    fn string_content_and_lines_without_usage() {
        let user = r#"{"type":"user","message":{"role":"user","content":"what is my usage?"},"timestamp":"2025-06-08T10:47:11.734Z"}"#;
        assert_eq!(
            parse_line(user.as_bytes(), &LineContext::default()),
            Parsed::NoUsage
        );
    }

    #[test]
    fn broken_records_are_rejected_by_reason() {
        let ctx = LineContext::default();
        let no_time = LINE.replace(r#","timestamp":"2025-06-08T10:47:11.734Z""#, "");
        assert_eq!(
            parse_line(no_time.as_bytes(), &ctx),
            Parsed::Rejected(RejectReason::MissingField)
        );
        let bad_time = LINE.replace("2025-06-08T10:47:11.734Z", "last tuesday");
        assert_eq!(
            parse_line(bad_time.as_bytes(), &ctx),
            Parsed::Rejected(RejectReason::InvalidField)
        );
        let bad_count = LINE.replace(r#""output_tokens":5"#, r#""output_tokens":"five""#);
        assert_eq!(
            parse_line(bad_count.as_bytes(), &ctx),
            Parsed::Rejected(RejectReason::InvalidField)
        );
        let cut = &LINE[..LINE.find("\"output_tokens\"").unwrap()];
        assert_eq!(
            parse_line(format!("{cut}}}").as_bytes(), &ctx),
            Parsed::Rejected(RejectReason::InvalidJson)
        );
    }

    /// A turn without usage carries a finding to the project's identity, also when its
    /// tool result holds a `payload` key of its own (a decoded JWT), which a Codex rollout
    /// line has at the top.
    #[test]
    fn a_turn_without_usage_is_carried_to_its_project() {
        let turn = r#"{"parentUuid":"p","isSidechain":true,"cwd":"/srv/app","sessionId":"s9","type":"user","message":{"role":"user","content":"ok"},"toolUseResult":{"header":{"alg":"HS256"},"payload":{"sub":"1"}},"timestamp":"2026-01-01T10:00:00.000Z"}"#;
        let parser = crate::parse::LineParser::default();
        let carrier = parser
            .carrier(turn.as_bytes(), &LineContext::default())
            .expect("a carrier");
        assert_eq!(carrier.identity, "-srv-app");
        assert_eq!(carrier.format, Format::ClaudeCode);
        assert_eq!(carrier.attrs.session.as_deref(), Some("s9"));
        assert!(carrier.flags.no_usage && carrier.flags.sidechain);
        assert_eq!(
            carrier.time,
            parse_rfc3339_ms("2026-01-01T10:00:00.000Z").unwrap()
        );
        let summary = r#"{"type":"summary","summary":"x","leafUuid":"u"}"#;
        assert_eq!(
            parser.carrier(summary.as_bytes(), &LineContext::default()),
            None
        );
    }
}
