//! LiteLLM's logging payload (`StandardLoggingPayload`, formats.md §5.2), one JSON object
//! per line as its file, S3 or GCS loggers and custom callbacks write it. Recognized by
//! a top-level `litellm_call_id` with `prompt_tokens`.
//!
//! - Identity: the key's alias (`metadata.user_api_key_alias`), else its hash
//!   (`metadata.user_api_key_hash`, never the key itself), else `end_user`; the team from
//!   `metadata.user_api_key_team_id` (the identity's team unless a rule gives one);
//!   `end_user` is the user. Rules match the hash as
//!   `api_key_id`.
//! - Counts: `prompt_tokens` holds every input class (LiteLLM counts cache reads and writes
//!   in it, the OpenAI way); cache reads and writes come from `metadata.usage_object` when it
//!   is there (`prompt_tokens_details.cached_tokens` or `cache_read_input_tokens`, and
//!   `cache_creation_input_tokens`) and are taken out of it only when it holds them;
//!   otherwise all of it counts as uncached input.
//! - `response_cost` is the request's cost, as LiteLLM priced it; `id` the dedup key;
//!   `startTime`/`endTime` are epoch seconds (floats); a failed call (`status` other than
//!   `success`) used no tokens worth counting and carries none.
//! - An MCP tool call (`metadata.mcp_tool_call_metadata.name`) is a tool call.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
};

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    call_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    response_cost: Option<f64>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
    #[serde(rename = "startTime")]
    start_time: Option<f64>,
    #[serde(rename = "endTime")]
    end_time: Option<f64>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    custom_llm_provider: Option<Cow<'a, str>>,
    #[serde(borrow)]
    end_user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    metadata: Metadata<'a>,
}

#[derive(Deserialize, Default)]
struct Metadata<'a> {
    #[serde(borrow)]
    user_api_key_alias: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_api_key_hash: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_api_key_team_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user_api_key_project_id: Option<Cow<'a, str>>,
    usage_object: Option<UsageObject>,
    #[serde(borrow)]
    mcp_tool_call_metadata: Option<McpTool<'a>>,
}

#[derive(Deserialize, Default)]
struct UsageObject {
    prompt_tokens_details: Option<PromptDetails>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct PromptDetails {
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct McpTool<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// Whether a line may be a LiteLLM payload: cheap byte tests before any parsing.
pub(super) fn may_be_payload(text: &str) -> bool {
    text.contains("\"litellm_call_id\"") && text.contains("\"prompt_tokens\"")
}

fn owned(s: Option<Cow<'_, str>>) -> Option<String> {
    s.map(Cow::into_owned).filter(|s| !s.is_empty())
}

fn millis(seconds: f64) -> Option<TimeMs> {
    (seconds.is_finite() && seconds > 0.0).then(|| (seconds * 1000.0).round() as TimeMs)
}

pub(super) fn parse(text: &str) -> Parsed {
    let p: Payload = match serde_json::from_str(text) {
        Ok(p) => p,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    if p.status.as_deref().is_some_and(|s| s != "success") {
        return Parsed::NoUsage;
    }
    let (Some(start), Some(model)) = (p.start_time, owned(p.model)) else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let Some(time) = millis(start) else {
        return Parsed::Rejected(RejectReason::InvalidField);
    };
    if p.response_cost
        .is_some_and(|c| !(c.is_finite() && c >= 0.0))
    {
        return Parsed::Rejected(RejectReason::InvalidField);
    }
    let meta = p.metadata;
    let usage = meta.usage_object.unwrap_or_default();
    let cache_read = usage
        .prompt_tokens_details
        .and_then(|d| d.cached_tokens)
        .or(usage.cache_read_input_tokens)
        .unwrap_or(0);
    let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
    let prompt = p.prompt_tokens.unwrap_or(0);
    // Cache counts that the prompt does not hold cannot be taken out of it (nor can two
    // whose sum overflows, which no prompt holds).
    let cached = cache_read.checked_add(cache_write);
    let (input, cache_read, cache_write) = match cached.and_then(|c| prompt.checked_sub(c)) {
        Some(uncached) => (uncached, cache_read, cache_write),
        None => (prompt, 0, 0),
    };
    let key_hash = owned(meta.user_api_key_hash);
    let end_user = owned(p.end_user);
    let identity = owned(meta.user_api_key_alias)
        .or_else(|| key_hash.clone())
        .or_else(|| end_user.clone());
    let Some(identity) = identity else {
        return Parsed::Rejected(RejectReason::MissingField);
    };
    let kind = match p.call_type.as_deref() {
        Some(t) if t.contains("embedding") => Kind::Embedding,
        _ => Kind::Completion,
    };
    let tools = meta
        .mcp_tool_call_metadata
        .and_then(|m| owned(m.name))
        .map(|name| vec![ToolCall::new(None, name)])
        .unwrap_or_default();
    Parsed::Event(Box::new(Event {
        time,
        identity,
        identity_kind: IdentityKind::ApiKey,
        attrs: IdentityAttrs {
            api_key_id: key_hash,
            user: end_user,
            project: owned(meta.user_api_key_project_id),
            session: owned(p.session_id),
            agent: None,
            team: owned(meta.user_api_key_team_id),
        },
        format: Format::LiteLlm,
        provider: owned(p.custom_llm_provider).unwrap_or_else(|| "unknown".to_string()),
        model,
        kind,
        tokens: Tokens {
            input,
            cache_read,
            cache_write_5m: cache_write,
            cache_write_1h: 0,
            output: p.completion_tokens.unwrap_or(0),
            reasoning: 0,
        },
        tools,
        dedup_key: owned(p.id).as_deref().map(DedupKey::from),
        latency_ms: p
            .end_time
            .and_then(millis)
            .and_then(|end| u64::try_from(end - time).ok()),
        record_cost_usd: p.response_cost,
        cumulative: None,
        origin: None,
        line: None,
        secrets: None,
        flags: Flags {
            final_copy: true,
            ..Flags::default()
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the property tests: cache counts whose sum overflows panicked in debug
    /// builds (and wrapped in release); they are counted as input, as any cache count the
    /// prompt cannot hold.
    #[test]
    fn cache_counts_whose_sum_overflows_are_not_taken_out_of_the_prompt() {
        let line = format!(
            r#"{{"id":"c","litellm_call_id":"c","startTime":1767260000.0,"model":"gpt-4o","prompt_tokens":10,"completion_tokens":1,"metadata":{{"user_api_key_alias":"a","usage_object":{{"cache_read_input_tokens":{},"cache_creation_input_tokens":2}}}}}}"#,
            u64::MAX
        );
        let Parsed::Event(event) = parse(&line) else {
            panic!("{:?}", parse(&line));
        };
        let t = event.tokens;
        assert_eq!((t.input, t.cache_read, t.cache_write()), (10, 0, 0));
    }
}
