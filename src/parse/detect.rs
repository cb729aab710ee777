//! Which format a line is, told by its top-level keys and its top-level `type` (for a Codex
//! rollout, `payload.type` too): a value or a nested object that holds another format's
//! word (`"user": "tokentop"`, a tool input `{"type": "message_start"}`, metadata) does not
//! change the format.
//!
//! Cheap byte tests come first: a line holding none of a format's words is not that format,
//! and only a line that holds one has its top level read (keys and those values only).

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::{
    RejectReason, anthropic, codex, copilot_events, copilot_otel, gemini, has_key, kimi, litellm,
    otlp, pi, qwen, reason_of,
};

/// The parser a line goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Detected {
    Wrapper,
    LiteLlm,
    /// An OTLP export request (the Collector's `file` exporter), any signal.
    Otlp,
    Own,
    Rollout,
    Exec,
    Stream,
    /// A Gemini CLI record: session metadata, a legacy whole document, a model response.
    Gemini,
    /// A Qwen Code model response.
    Qwen,
    /// A Kimi CLI wire record (`{"timestamp", "message": {"type", "payload"}}`).
    Kimi,
    /// A pi session header (`true`) or entry.
    Pi(bool),
    /// A span or log record of Copilot CLI's OpenTelemetry file export.
    CopilotOtel,
    /// A Copilot CLI session event (`session.start`, `session.resume`, `session.shutdown`).
    CopilotEvents,
    /// A `"usage"` key somewhere: a response object, Claude Code, or an unknown format.
    Usage,
    NoUsage,
}

/// The top level of a line: the keys that name a format and the values that do.
#[derive(Deserialize)]
struct Top<'a> {
    tokentop_wrap: Option<IgnoredAny>,
    tokentop: Option<IgnoredAny>,
    litellm_call_id: Option<IgnoredAny>,
    #[serde(rename = "resourceLogs")]
    resource_logs: Option<IgnoredAny>,
    #[serde(rename = "resourceSpans")]
    resource_spans: Option<IgnoredAny>,
    #[serde(rename = "resourceMetrics")]
    resource_metrics: Option<IgnoredAny>,
    #[serde(rename = "type", borrow)]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(rename = "projectHash")]
    project_hash: Option<IgnoredAny>,
    #[serde(rename = "usageMetadata")]
    usage_metadata: Option<IgnoredAny>,
    message: Option<IgnoredAny>,
    #[serde(rename = "hrTime")]
    hr_time: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a RawValue>,
}

/// A JSON string without escapes, as text; any other value is `None`.
fn word(raw: Option<&RawValue>) -> Option<&str> {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
}

pub(super) fn detect(text: &str) -> Result<Detected, RejectReason> {
    // The own schema and the wrapper write their key first: no need to read the line.
    if text.starts_with("{\"tokentop_wrap\":") {
        return Ok(Detected::Wrapper);
    }
    if text.starts_with("{\"tokentop\":") {
        return Ok(Detected::Own);
    }
    // The Collector writes the request's one key first.
    if otlp::starts_as_line(text) {
        return Ok(Detected::Otlp);
    }
    let maybe = text.contains("\"tokentop")
        || text.contains("\"resource")
        || litellm::may_be_payload(text)
        || codex::may_be_rollout_line(text)
        || codex::may_be_exec_line(text)
        || anthropic::may_be_stream_event(text)
        || gemini::may_be_line(text)
        || qwen::may_be_line(text)
        || kimi::may_be_wire_line(text)
        || pi::may_be_line(text)
        || copilot_otel::may_be_line(text)
        || copilot_events::may_be_line(text);
    if maybe {
        let top: Top = serde_json::from_str(text).map_err(|e| reason_of(&e))?;
        if top.tokentop_wrap.is_some() {
            return Ok(Detected::Wrapper);
        }
        if top.tokentop.is_some() {
            return Ok(Detected::Own);
        }
        if top.litellm_call_id.is_some() {
            return Ok(Detected::LiteLlm);
        }
        let signals = [
            &top.resource_logs,
            &top.resource_spans,
            &top.resource_metrics,
        ];
        if signals.iter().any(|s| s.is_some()) {
            return Ok(Detected::Otlp);
        }
        let kind = word(top.kind);
        if let Some(payload) = top.payload {
            let inner = serde_json::from_str::<Payload>(payload.get()).ok();
            if codex::is_rollout(kind, word(inner.and_then(|p| p.kind))) {
                return Ok(Detected::Rollout);
            }
        }
        if codex::is_exec(kind) {
            return Ok(Detected::Exec);
        }
        if anthropic::is_stream_event(kind) {
            return Ok(Detected::Stream);
        }
        if gemini::is_line(top.project_hash.is_some(), kind) {
            return Ok(Detected::Gemini);
        }
        if qwen::is_line(top.usage_metadata.is_some(), kind) {
            return Ok(Detected::Qwen);
        }
        if copilot_otel::is_line(kind, top.hr_time.is_some(), text) {
            return Ok(Detected::CopilotOtel);
        }
        if copilot_events::is_line(kind) {
            return Ok(Detected::CopilotEvents);
        }
        if let Some(header) = pi::line_kind(kind, top.message.is_some(), text) {
            return Ok(Detected::Pi(header));
        }
        // Kimi names the type inside `message` only; a Claude Code line has one on top.
        if top.kind.is_none() && top.message.is_some() && kimi::may_be_wire_line(text) {
            return Ok(Detected::Kimi);
        }
    }
    Ok(if has_key(text, "\"usage\"") {
        Detected::Usage
    } else {
        Detected::NoUsage
    })
}
