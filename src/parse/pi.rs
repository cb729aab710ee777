//! pi session logs (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`): a header
//! `{"type":"session","id","cwd",...}`, then entries `{"type","id","parentId","timestamp"}`;
//! a `message` entry whose message is the assistant's carries `usage` (`input`, `output`,
//! `cacheRead`, `cacheWrite`, disjoint as tokentop's classes are) and pi's own price of it
//! in USD (`usage.cost.total`), which wins over the price table when positive.
//!
//! Every assistant entry counts, abandoned branches of the entry tree too (they were
//! billed). Forking a session copies entries verbatim into a new file, same `id` and
//! `timestamp`: an entry's dedup key is those two, so a copy counts once.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{LineContext, Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
    agent_identity,
};
use crate::timefmt::parse_rfc3339_ms;

/// The agent's label, and the identity of usage before a header names the folder.
pub const LABEL: &str = "pi";
/// Tool calls kept from one message: a bound on what a hostile line can make us hold.
const MAX_TOOLS: usize = 256;

/// What a file's header said: the session and its folder.
#[derive(Debug, Default)]
pub(super) struct State {
    session: Option<String>,
    cwd: Option<String>,
}

#[derive(Deserialize)]
struct Header<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    role: Option<Cow<'a, str>>,
    #[serde(borrow)]
    provider: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
    /// Milliseconds; the entry's own ISO time comes first.
    timestamp: Option<f64>,
    #[serde(borrow)]
    content: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    input: u64,
    #[serde(default)]
    output: u64,
    #[serde(default)]
    cache_read: u64,
    #[serde(default)]
    cache_write: u64,
    cost: Option<Cost>,
}

#[derive(Deserialize)]
struct Cost {
    total: Option<f64>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// Whether a line may be a pi header or entry (cheap test): entries name their parent,
/// and the header starts with its type.
pub(super) fn may_be_line(text: &str) -> bool {
    text.contains("\"parentId\"") || text.starts_with("{\"type\":\"session\"")
}

/// A pi header (`Some(true)`) or message entry (`Some(false)`), by its top-level `type`
/// and whether it holds a `message` (an Anthropic message object is `type: "message"`
/// too, with no `message` inside) or a `cwd`.
pub(super) fn line_kind(kind: Option<&str>, has_message: bool, text: &str) -> Option<bool> {
    match kind {
        Some("message") if has_message => Some(false),
        Some("session") if text.contains("\"cwd\"") => Some(true),
        _ => None,
    }
}

impl State {
    /// Parses a header (`header`) or an entry.
    pub(super) fn parse(&mut self, text: &str, header: bool, ctx: &LineContext) -> Parsed {
        if header {
            return match serde_json::from_str::<Header>(text) {
                Ok(header) => {
                    self.session = header.id.map(Cow::into_owned);
                    self.cwd = header.cwd.map(Cow::into_owned);
                    Parsed::NoUsage
                }
                Err(e) => Parsed::Rejected(reason_of(&e)),
            };
        }
        let entry: Entry = match serde_json::from_str(text) {
            Ok(entry) => entry,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let Some(message) = entry.message else {
            return Parsed::NoUsage;
        };
        let (Some("assistant"), Some(usage)) = (message.role.as_deref(), message.usage) else {
            return Parsed::NoUsage;
        };
        let time = match (entry.timestamp.as_deref(), message.timestamp) {
            (Some(iso), _) => match parse_rfc3339_ms(iso) {
                Some(time) => Some(time),
                None => return Parsed::Rejected(RejectReason::InvalidField),
            },
            (None, Some(ms)) if ms.is_finite() && (0.0..1e15).contains(&ms) => Some(ms as TimeMs),
            (None, Some(_)) => return Parsed::Rejected(RejectReason::InvalidField),
            (None, None) => None,
        };
        let tokens = Tokens {
            input: usage.input,
            cache_read: usage.cache_read,
            cache_write_5m: usage.cache_write,
            output: usage.output,
            ..Tokens::default()
        };
        // pi's own price: it wins when positive; zero means "not priced by pi".
        let cost = usage.cost.and_then(|c| c.total).filter(|&c| c != 0.0);
        if tokens.total() == 0 && cost.is_none() {
            // An aborted or failed call that used nothing.
            return Parsed::NoUsage;
        }
        let Some(model) = message.model.filter(|m| !m.is_empty()) else {
            return Parsed::Rejected(RejectReason::MissingField);
        };
        let dedup_key = match (entry.id.as_deref(), entry.timestamp.as_deref()) {
            (Some(id), Some(ts)) => Some(DedupKey::of(&["pi:", id, "@", ts])),
            _ => None,
        };
        let identity = agent_identity(LABEL, self.cwd.as_deref());
        Parsed::Event(Box::new(Event {
            time: time.unwrap_or(ctx.read_time),
            identity,
            identity_kind: IdentityKind::Agent,
            attrs: IdentityAttrs {
                project: self.cwd.clone(),
                session: self.session.clone(),
                ..IdentityAttrs::default()
            },
            format: Format::Pi,
            provider: message
                .provider
                .map_or_else(|| "unknown".to_string(), Cow::into_owned),
            model: model.into_owned(),
            kind: Kind::Completion,
            tokens,
            tools: message.content.map(tool_calls).unwrap_or_default(),
            dedup_key,
            latency_ms: None,
            record_cost_usd: cost,
            cumulative: None,
            flags: Flags {
                final_copy: true,
                time_from_read: time.is_none(),
                ..Flags::default()
            },
            origin: None,
            line: None,
            secrets: None,
        }))
    }
}

/// The `toolCall` blocks of an assistant message's content.
fn tool_calls(content: &RawValue) -> Vec<ToolCall> {
    let blocks: Vec<Option<Block>> = serde_json::from_str(content.get()).unwrap_or_default();
    blocks
        .into_iter()
        .flatten()
        .filter(|b| b.kind.as_deref() == Some("toolCall"))
        .filter_map(|b| {
            Some(ToolCall::new(
                b.id.map(Cow::into_owned),
                b.name?.into_owned(),
            ))
        })
        .take(MAX_TOOLS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::testing::{parse_in_order, the_event};

    const HEADER: &str = r#"{"type":"session","version":3,"id":"3f2a","timestamp":"2026-03-01T10:00:00.000Z","cwd":"/home/u/proj"}"#;
    const USER: &str = r#"{"type":"message","id":"a1b2c3d4","parentId":null,"timestamp":"2026-03-01T10:00:01.000Z","message":{"role":"user","content":"hi","timestamp":1772359201000}}"#;
    const ASSISTANT: &str = r#"{"type":"message","id":"b2c3d4e5","parentId":"a1b2c3d4","timestamp":"2026-03-01T10:00:04.000Z","message":{"role":"assistant","content":[{"type":"text","text":"…"},{"type":"toolCall","id":"toolu_01","name":"bash","arguments":{"command":"ls"}}],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-5","usage":{"input":12,"output":210,"cacheRead":9000,"cacheWrite":400,"totalTokens":9622,"cost":{"input":0.000036,"output":0.00315,"cacheRead":0.0027,"cacheWrite":0.0015,"total":0.007386}},"stopReason":"toolUse","timestamp":1772359204000}}"#;

    fn run(lines: &[&str]) -> Vec<Parsed> {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 1_772_400_000_000,
        };
        parse_in_order(lines, &ctx)
    }

    #[test]
    fn an_assistant_entry_counts_at_pis_own_cost() {
        let parsed = run(&[HEADER, USER, ASSISTANT]);
        assert_eq!(parsed[0], Parsed::NoUsage);
        assert_eq!(parsed[1], Parsed::NoUsage);
        let e = the_event(&parsed[2]);
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.cache_write_5m, t.output),
            (12, 9000, 400, 210)
        );
        assert_eq!(e.record_cost_usd, Some(0.007386));
        assert_eq!(e.identity, "pi:/home/u/proj");
        assert_eq!(e.attrs.project.as_deref(), Some("/home/u/proj"));
        assert_eq!(e.attrs.session.as_deref(), Some("3f2a"));
        assert_eq!(
            (e.provider.as_str(), e.model.as_str()),
            ("anthropic", "claude-sonnet-4-5")
        );
        assert_eq!(e.time, 1_772_359_204_000);
        assert_eq!(e.format, Format::Pi);
        assert_eq!(e.tools.len(), 1);
        assert_eq!(e.tools[0].id.as_deref(), Some("toolu_01"));
        assert_eq!(
            e.dedup_key,
            Some(DedupKey::from("pi:b2c3d4e5@2026-03-01T10:00:04.000Z"))
        );
    }

    #[test]
    fn a_zero_cost_is_priced_from_the_table() {
        let free = ASSISTANT.replace("\"total\":0.007386", "\"total\":0");
        let parsed = run(&[HEADER, &free]);
        assert_eq!(the_event(&parsed[1]).record_cost_usd, None);
        let negative = ASSISTANT.replace("\"total\":0.007386", "\"total\":-1");
        let parsed = run(&[HEADER, &negative]);
        assert_eq!(parsed[1], Parsed::Rejected(RejectReason::InvalidField));
    }

    #[test]
    fn without_a_header_the_label_is_the_identity() {
        let parsed = run(&[ASSISTANT]);
        let e = the_event(&parsed[0]);
        assert_eq!(e.identity, "pi");
        assert_eq!(e.attrs.project, None);
    }

    #[test]
    fn an_anthropic_message_object_is_not_a_pi_entry() {
        let message = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":3}}"#;
        let parsed = run(&[message]);
        assert_eq!(the_event(&parsed[0]).format, Format::Anthropic);
    }

    #[test]
    fn empty_and_broken_entries() {
        let aborted = ASSISTANT
            .replace(
                r#""input":12,"output":210,"cacheRead":9000,"cacheWrite":400"#,
                r#""input":0,"output":0,"cacheRead":0,"cacheWrite":0"#,
            )
            .replace("\"total\":0.007386", "\"total\":0");
        let no_model = ASSISTANT.replace(r#""model":"claude-sonnet-4-5","#, "");
        let bad_time = ASSISTANT.replace("2026-03-01T10:00:04.000Z", "soon");
        let parsed = run(&[HEADER, &aborted, &no_model, &bad_time]);
        assert_eq!(parsed[1], Parsed::NoUsage);
        assert_eq!(parsed[2], Parsed::Rejected(RejectReason::MissingField));
        assert_eq!(parsed[3], Parsed::Rejected(RejectReason::InvalidField));
    }
}
