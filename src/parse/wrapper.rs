//! tokentop's wrapper, version 1: a provider response logged together with who made the
//! request and when (by a proxy, a gateway or the application itself). Recognized by
//! `"tokentop_wrap": 1`, a key the own schema (`"tokentop"`) never matches.
//!
//! Time, identity and latency come from the wrapper; counts, model, tool calls and the dedup
//! key from `response`, which is any object the bare formats read (chat completion,
//! responses, embeddings, Anthropic message). When the response reports no counts, or
//! there is no response but `prompt` / `completion` text, the counts are estimated from the
//! request and response text (see [`super::estimate`]) and flagged.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::reply::{self, Reply, Texts, Who};
use super::tokentop::Time;
use super::{LineContext, Parsed, RejectReason, estimate, reason_of};
use crate::event::{Event, Format, IdentityAttrs, IdentityKind, Kind, Tokens};

/// The wrapper version this build reads.
pub const VERSION: u32 = 1;

#[derive(Deserialize)]
struct Wrapper<'a> {
    tokentop_wrap: u32,
    #[serde(borrow)]
    ts: Option<Time<'a>>,
    #[serde(borrow)]
    identity: Option<Cow<'a, str>>,
    identity_kind: Option<IdentityKind>,
    #[serde(borrow)]
    api_key_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    project: Option<Cow<'a, str>>,
    #[serde(borrow)]
    session: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    team: Option<Cow<'a, str>>,
    #[serde(borrow)]
    provider: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    latency_ms: Option<u64>,
    /// Read only when its text or model is needed.
    #[serde(borrow)]
    request: Option<&'a RawValue>,
    #[serde(borrow)]
    response: Option<&'a RawValue>,
    #[serde(default, borrow)]
    prompt: Texts<'a>,
    #[serde(default, borrow)]
    completion: Texts<'a>,
}

/// The request fields that hold prompt text, across the APIs: chat `messages` (+ Anthropic
/// `system`), Responses `input` + `instructions`, Embeddings `input`, legacy `prompt`.
#[derive(Deserialize, Default)]
struct Request<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    system: Texts<'a>,
    #[serde(default, borrow)]
    instructions: Texts<'a>,
    #[serde(default, borrow)]
    messages: Texts<'a>,
    #[serde(default, borrow)]
    input: Texts<'a>,
    #[serde(default, borrow)]
    prompt: Texts<'a>,
}

pub fn parse(text: &str, ctx: &LineContext) -> Parsed {
    match read(text, ctx) {
        Ok(event) => Parsed::Event(Box::new(event)),
        Err(reason) => Parsed::Rejected(reason),
    }
}

fn read(text: &str, ctx: &LineContext) -> Result<Event, RejectReason> {
    let w: Wrapper = serde_json::from_str(text).map_err(|e| reason_of(&e))?;
    if w.tokentop_wrap != VERSION {
        return Err(RejectReason::UnsupportedVersion);
    }
    let time = match &w.ts {
        Some(ts) => Some(ts.millis().ok_or(RejectReason::InvalidField)?),
        None => None,
    };
    let mut reply = match w.response {
        Some(raw) => reply::read(raw.get())?,
        None => Reply {
            provider: "unknown",
            format: Format::Wrapper,
            model: None,
            kind: Kind::Completion,
            tokens: None,
            tools: Vec::new(),
            time: None,
            user: None,
            id: None,
            final_copy: true,
            text: Texts::default(),
        },
    };
    let needs_request = reply.tokens.is_none() || (reply.model.is_none() && w.model.is_none());
    let request = match (needs_request, w.request) {
        (true, Some(raw)) => {
            serde_json::from_str::<Request>(raw.get()).map_err(|e| reason_of(&e))?
        }
        _ => Request::default(),
    };
    reply.model = reply.model.take().or(w.model).or(request.model.clone());
    let (tokens, estimated) = match reply.tokens {
        Some(tokens) => (tokens, false),
        None => (estimated(&reply, &request, &w.prompt, &w.completion)?, true),
    };
    let provider = w.provider.as_deref().unwrap_or(reply.provider);
    let user = w.user.or_else(|| reply.user.take());
    let (identity, identity_kind) = reply::identity(
        w.identity.as_deref(),
        w.identity_kind,
        w.api_key_id.as_deref(),
        user.as_deref(),
        provider,
    );
    let owned = |s: Option<Cow<'_, str>>| s.map(Cow::into_owned);
    let attrs = IdentityAttrs {
        api_key_id: owned(w.api_key_id),
        user: owned(user),
        project: owned(w.project),
        session: owned(w.session),
        agent: owned(w.agent),
        team: owned(w.team),
    };
    reply.into_event(Who {
        identity,
        identity_kind,
        attrs,
        provider,
        format: Some(Format::Wrapper),
        time,
        ctx,
        tokens,
        estimated,
        latency_ms: w.latency_ms,
    })
}

/// Counts from the text when the record reports none: every prompt-side text is input
/// (uncached), every response text output. A record with no text at all is missing its
/// counts.
fn estimated(
    reply: &Reply,
    request: &Request,
    prompt: &Texts,
    completion: &Texts,
) -> Result<Tokens, RejectReason> {
    let model = reply.model.as_deref().ok_or(RejectReason::MissingField)?;
    let prompt_side = [
        &request.system,
        &request.instructions,
        &request.messages,
        &request.input,
        &request.prompt,
        prompt,
    ];
    let completion_side = [&reply.text, completion];
    let no_text = prompt_side
        .iter()
        .chain(&completion_side)
        .all(|t| t.0.is_empty());
    if no_text {
        return Err(RejectReason::MissingField);
    }
    let texts = |side: &[&Texts]| {
        side.iter()
            .map(|t| estimate::count(model, t.0.iter().map(|s| &**s)))
            .sum()
    };
    Ok(Tokens {
        input: texts(&prompt_side),
        output: texts(&completion_side),
        ..Tokens::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    const CHAT: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","user":"end-user-9","choices":[{"index":0,"message":{"role":"assistant","content":"It is sunny."}}],"usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":40}}}"#;

    fn parsed(line: &str) -> Parsed {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 5,
        };
        parse_line(line.as_bytes(), &ctx)
    }

    fn event(line: &str) -> Event {
        match parsed(line) {
            Parsed::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn the_wrapper_gives_who_and_when_the_response_gives_counts() {
        let line = format!(
            r#"{{"tokentop_wrap":1,"ts":"2026-01-01T00:00:01.250Z","identity":"tokentop","identity_kind":"service-account","project":"p","latency_ms":812,"response":{CHAT}}}"#
        );
        let e = event(&line);
        assert_eq!(e.format, Format::Wrapper);
        assert_eq!(e.identity, "tokentop", "a value, not the own schema's key");
        assert_eq!(e.identity_kind, IdentityKind::ServiceAccount);
        assert_eq!(e.time, 1_767_225_601_250);
        assert_eq!(e.latency_ms, Some(812));
        assert_eq!(e.provider, "openai");
        assert_eq!(e.model, "gpt-4o-mini");
        assert_eq!(
            (e.tokens.input, e.tokens.cache_read, e.tokens.output),
            (60, 40, 20)
        );
        assert_eq!(e.attrs.user.as_deref(), Some("end-user-9"));
        assert_eq!(e.attrs.project.as_deref(), Some("p"));
        assert_eq!(e.dedup_key, Some("chatcmpl-1".into()));
        assert!(!e.flags.estimated && !e.flags.time_from_read);
    }

    #[test]
    fn identity_falls_back_to_the_key_then_the_user_then_the_provider() {
        let with = |fields: &str, response: &str| {
            let e = event(&format!(
                r#"{{"tokentop_wrap":1,{fields}"response":{response}}}"#
            ));
            (e.identity, e.identity_kind, e.time, e.flags.time_from_read)
        };
        assert_eq!(
            with(r#""api_key_id":"key_7","ts":1767225600000,"#, CHAT),
            (
                "key_7".into(),
                IdentityKind::ApiKey,
                1_767_225_600_000,
                false
            )
        );
        assert_eq!(
            with("", CHAT),
            (
                "end-user-9".into(),
                IdentityKind::Unknown,
                1_699_896_916_000,
                false
            ),
            "no ts: the response's own time"
        );
        let anonymous = CHAT
            .replace(r#""user":"end-user-9","#, "")
            .replace(r#""created":1699896916,"#, "");
        assert_eq!(
            with(r#""provider":"azure","#, &anonymous),
            ("azure:unknown".into(), IdentityKind::Unknown, 5, true)
        );
    }

    #[test]
    fn counts_are_estimated_from_text_when_missing() {
        let no_usage = CHAT.replace(r#","usage":{"prompt_tokens":100,"completion_tokens":20,"prompt_tokens_details":{"cached_tokens":40}}"#, "");
        let line = format!(
            r#"{{"tokentop_wrap":1,"ts":1767225600000,"identity":"svc","request":{{"model":"gpt-4o-mini","messages":[{{"role":"system","content":"Be brief."}},{{"role":"user","content":[{{"type":"text","text":"What is the weather in Paris?"}}]}}]}},"response":{no_usage}}}"#
        );
        let e = event(&line);
        assert!(e.flags.estimated);
        // "Be brief." 3 + "What is the weather in Paris?" 7; "It is sunny." 4 (o200k).
        assert_eq!(
            (e.tokens.input, e.tokens.output, e.tokens.cache_read),
            (10, 4, 0)
        );
        let plain = r#"{"tokentop_wrap":1,"ts":1767225600000,"model":"gpt-4","provider":"openai","prompt":"привет мир, как дела?","completion":"Hello, world!"}"#;
        let e = event(plain);
        assert!(e.flags.estimated);
        assert_eq!(
            (e.tokens.input, e.tokens.output),
            (11, 4),
            "cl100k for gpt-4"
        );
        assert_eq!(e.identity, "openai:unknown");
    }

    #[test]
    fn bad_wrappers_are_rejected_by_reason() {
        let ok = format!(r#"{{"tokentop_wrap":1,"ts":1,"identity":"a","response":{CHAT}}}"#);
        assert!(matches!(parsed(&ok), Parsed::Event(_)));
        let cases = [
            (
                ok.replace(r#""tokentop_wrap":1"#, r#""tokentop_wrap":2"#),
                RejectReason::UnsupportedVersion,
            ),
            (
                ok.replace(r#""ts":1"#, r#""ts":"yesterday""#),
                RejectReason::InvalidField,
            ),
            (
                ok.replace(r#""object":"chat.completion""#, r#""object":"thing""#),
                RejectReason::UnknownFormat,
            ),
            (
                r#"{"tokentop_wrap":1,"ts":1,"identity":"a","response":null}"#.to_string(),
                RejectReason::MissingField,
            ),
            (
                r#"{"tokentop_wrap":1,"ts":1,"prompt":"hi"}"#.to_string(),
                RejectReason::MissingField,
            ),
            (
                ok.replace(r#""completion_tokens":20"#, r#""completion_tokens":"x""#),
                RejectReason::InvalidField,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parsed(&line), Parsed::Rejected(want), "{line}");
        }
    }
}
