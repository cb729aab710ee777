//! tokentop's own JSONL schema, version 1: every field of [`Event`], flat and explicit.
//! Documented in README.md ("Own schema"); a line is recognized by its `"tokentop": 1` key.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
};
use crate::timefmt::parse_rfc3339_ms;

/// The schema version this build reads.
pub const VERSION: u32 = 1;

#[derive(Deserialize)]
struct Line<'a> {
    tokentop: u32,
    #[serde(borrow)]
    ts: Time<'a>,
    #[serde(borrow)]
    identity: Cow<'a, str>,
    #[serde(default)]
    identity_kind: IdentityKind,
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
    model: Cow<'a, str>,
    #[serde(default)]
    kind: Kind,
    #[serde(default)]
    tokens: Tokens,
    #[serde(default, borrow)]
    tools: Vec<Tool<'a>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    latency_ms: Option<u64>,
    cost_usd: Option<f64>,
    #[serde(default)]
    estimated: bool,
    #[serde(default)]
    sidechain: bool,
    #[serde(rename = "final")]
    final_copy: Option<bool>,
}

/// `ts` as RFC 3339 text or as epoch milliseconds (also read by the wrapper format).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Time<'a> {
    Millis(i64),
    #[serde(borrow)]
    Text(Cow<'a, str>),
}

impl Time<'_> {
    /// Milliseconds since the epoch; `None` when the text is not a time.
    pub(super) fn millis(&self) -> Option<TimeMs> {
        match self {
            Time::Millis(ms) => Some(*ms),
            Time::Text(text) => parse_rfc3339_ms(text),
        }
    }
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
}

fn owned(s: Option<Cow<'_, str>>) -> Option<String> {
    s.map(Cow::into_owned)
}

pub fn parse(text: &str) -> Parsed {
    let line: Line = match serde_json::from_str(text) {
        Ok(line) => line,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    if line.tokentop != VERSION {
        return Parsed::Rejected(RejectReason::UnsupportedVersion);
    }
    let Some(time) = line.ts.millis() else {
        return Parsed::Rejected(RejectReason::InvalidField);
    };
    let valid_cost = line.cost_usd.is_none_or(|c| c.is_finite() && c >= 0.0);
    if line.identity.is_empty() || line.tokens.reasoning > line.tokens.output || !valid_cost {
        return Parsed::Rejected(RejectReason::InvalidField);
    }
    Parsed::Event(Box::new(Event {
        time,
        identity: line.identity.into_owned(),
        identity_kind: line.identity_kind,
        attrs: IdentityAttrs {
            api_key_id: owned(line.api_key_id),
            user: owned(line.user),
            project: owned(line.project),
            session: owned(line.session),
            agent: owned(line.agent),
            team: owned(line.team),
        },
        format: Format::Tokentop,
        provider: owned(line.provider).unwrap_or_else(|| "unknown".to_string()),
        model: line.model.into_owned(),
        kind: line.kind,
        tokens: line.tokens,
        tools: line
            .tools
            .into_iter()
            .map(|t| ToolCall::new(owned(t.id), t.name.into_owned()))
            .collect(),
        dedup_key: line.request_id.as_deref().map(DedupKey::from),
        latency_ms: line.latency_ms,
        record_cost_usd: line.cost_usd,
        cumulative: None,
        origin: None,
        line: None,
        secrets: None,
        flags: Flags {
            estimated: line.estimated,
            sidechain: line.sidechain,
            no_cost: false,
            final_copy: line.final_copy.unwrap_or(true),
            time_from_read: false,
            ..Flags::default()
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LineContext, parse_line};

    const FULL: &str = r#"{"tokentop":1,"ts":"2026-01-01T00:00:01.250Z","identity":"svc-checkout","identity_kind":"service-account","api_key_id":"key_1","project":"checkout","provider":"openai","model":"gpt-4o-mini","kind":"retrieval","tokens":{"input":812,"cache_read":1024,"output":211,"reasoning":11},"tools":[{"name":"lookup_order","id":"call_1"}],"request_id":"req_1","latency_ms":812,"cost_usd":0.5,"estimated":true}"#;

    fn parsed(line: &str) -> Parsed {
        parse_line(line.as_bytes(), &LineContext::default())
    }

    #[test]
    fn every_field_is_read() {
        let Parsed::Event(e) = parsed(FULL) else {
            panic!("no event")
        };
        assert_eq!(e.identity, "svc-checkout");
        assert_eq!(e.identity_kind, IdentityKind::ServiceAccount);
        assert_eq!(e.attrs.api_key_id.as_deref(), Some("key_1"));
        assert_eq!(e.kind, Kind::Retrieval);
        assert_eq!(e.tokens.input, 812);
        assert_eq!(e.tokens.cache_read, 1024);
        assert_eq!(e.tokens.output, 211);
        assert_eq!(e.tokens.reasoning, 11);
        assert_eq!(e.tools[0].name, "lookup_order");
        assert_eq!(e.dedup_key, Some("req_1".into()));
        assert_eq!(e.latency_ms, Some(812));
        assert_eq!(e.record_cost_usd, Some(0.5));
        assert!(e.flags.estimated && e.flags.final_copy);
    }

    #[test]
    fn minimal_line_with_millis() {
        let line = r#"{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m"}"#;
        let Parsed::Event(e) = parsed(line) else {
            panic!("no event")
        };
        assert_eq!(e.time, 1_767_225_600_000);
        assert_eq!(e.provider, "unknown");
        assert_eq!(e.tokens, Tokens::default());
    }

    #[test]
    fn bad_records_are_rejected_by_reason() {
        let cases = [
            (
                FULL.replace(r#""tokentop":1"#, r#""tokentop":2"#),
                RejectReason::UnsupportedVersion,
            ),
            (
                FULL.replace(r#""model":"gpt-4o-mini","#, ""),
                RejectReason::MissingField,
            ),
            (
                FULL.replace(r#""output":211"#, r#""output":-3"#),
                RejectReason::InvalidField,
            ),
            (
                FULL.replace(r#""reasoning":11"#, r#""reasoning":500"#),
                RejectReason::InvalidField,
            ),
            (
                FULL.replace("2026-01-01T00:00:01.250Z", "soon"),
                RejectReason::InvalidField,
            ),
            (
                FULL.replace(r#""kind":"retrieval""#, r#""kind":"poetry""#),
                RejectReason::InvalidField,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(parsed(&line), Parsed::Rejected(want), "{line}");
        }
    }
}
