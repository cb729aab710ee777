//! Kimi CLI wire logs (`~/.kimi/sessions/<md5(work folder)>/<session>/wire.jsonl`): lines
//! `{"timestamp": <unix seconds>, "message": {"type", "payload"}}` after a metadata line.
//!
//! Usage is on `StatusUpdate` messages, one per model step, in `token_usage`:
//! `input_other` (input without the cache), `input_cache_read`, `input_cache_creation` and
//! `output`, disjoint as tokentop's classes are. The log names no model and no folder: both
//! come from the source ([`FileFacts`]: `config.toml` and `kimi.json`).
//!
//! One step's usage can be written more than once: a `message_id` repeated in one log, a
//! forked session's copy of its parent's lines in another folder, and a sub-agent's steps
//! both in its own `subagents/<id>/wire.jsonl` and nested in its parent's log as a
//! `SubagentEvent`. Every copy is keyed by the step's `message_id` alone, so the engine
//! counts each step once, keeping its largest copy. A step without one (its provider gave
//! the response no id) is keyed by its session and its line's exact timestamp, so a log
//! read again (a copy, a re-read after truncation) counts it once; with no timestamp
//! either, nothing tells the step apart and it has no key.

use std::borrow::Cow;

use serde::Deserialize;

use super::{FileFacts, LineContext, Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, Tokens, agent_identity,
};

/// The agent's label, and the identity of usage with no known work folder.
pub const LABEL: &str = "kimi-cli";
/// Model of usage whose config names none.
const UNKNOWN_MODEL: &str = "unknown";
/// How deep `SubagentEvent`s are unwrapped (a sub-agent's sub-agent, ...).
const MAX_NESTING: usize = 8;

#[derive(Deserialize)]
struct Line<'a> {
    timestamp: Option<f64>,
    #[serde(borrow)]
    message: Option<Envelope<'a>>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    payload: Option<&'a serde_json::value::RawValue>,
}

#[derive(Deserialize)]
struct Status<'a> {
    token_usage: Option<TokenUsage>,
    #[serde(borrow)]
    message_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct TokenUsage {
    #[serde(default)]
    input_other: u64,
    #[serde(default)]
    output: u64,
    #[serde(default)]
    input_cache_read: u64,
    #[serde(default)]
    input_cache_creation: u64,
}

#[derive(Deserialize)]
struct Subagent<'a> {
    #[serde(borrow)]
    agent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    subagent_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Envelope<'a>>,
}

/// Whether a line may be a wire record with usage (cheap test): every such line names
/// its message type.
pub(super) fn may_be_wire_line(text: &str) -> bool {
    text.contains("\"StatusUpdate\"")
}

/// Parses one wire line that names `StatusUpdate` (at its top or nested in a
/// `SubagentEvent`).
pub(super) fn parse(text: &str, ctx: &LineContext) -> Parsed {
    let line: Line = match serde_json::from_str(text) {
        Ok(line) => line,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    let Some(mut envelope) = line.message else {
        return Parsed::NoUsage;
    };
    let mut subagent = ctx.facts.and_then(|f| f.subagent.clone());
    for _ in 0..MAX_NESTING {
        match (envelope.kind.as_deref(), envelope.payload) {
            (Some("StatusUpdate"), Some(payload)) => {
                return status(payload.get(), line.timestamp, subagent, ctx);
            }
            (Some("SubagentEvent"), Some(payload)) => {
                let nested: Subagent = match serde_json::from_str(payload.get()) {
                    Ok(nested) => nested,
                    Err(e) => return Parsed::Rejected(reason_of(&e)),
                };
                let Some(inner) = nested.event else {
                    return Parsed::NoUsage;
                };
                subagent = nested
                    .subagent_type
                    .or(nested.agent_id)
                    .map(Cow::into_owned)
                    .or(subagent);
                envelope = inner;
            }
            _ => return Parsed::NoUsage,
        }
    }
    Parsed::NoUsage
}

fn status(
    payload: &str,
    timestamp: Option<f64>,
    subagent: Option<String>,
    ctx: &LineContext,
) -> Parsed {
    let status: Status = match serde_json::from_str(payload) {
        Ok(status) => status,
        Err(e) => return Parsed::Rejected(reason_of(&e)),
    };
    // A status without usage (context size, plan mode, MCP status).
    let Some(usage) = status.token_usage else {
        return Parsed::NoUsage;
    };
    let time = match timestamp {
        Some(secs) if secs.is_finite() && (0.0..1e14).contains(&secs) => {
            Some((secs * 1000.0).round() as i64)
        }
        Some(_) => return Parsed::Rejected(RejectReason::InvalidField),
        None => None,
    };
    let facts = ctx.facts.cloned().unwrap_or_default();
    let FileFacts {
        project,
        session,
        model,
        ..
    } = facts;
    let identity = agent_identity(LABEL, project.as_deref());
    let sidechain = subagent.is_some();
    let dedup_key = key(status.message_id.as_deref(), session.as_deref(), timestamp);
    Parsed::Event(Box::new(Event {
        time: time.unwrap_or(ctx.read_time),
        identity,
        identity_kind: IdentityKind::Agent,
        attrs: IdentityAttrs {
            project,
            session,
            agent: subagent,
            ..IdentityAttrs::default()
        },
        format: Format::KimiCli,
        provider: "moonshot".to_string(),
        model: model.unwrap_or_else(|| UNKNOWN_MODEL.to_string()),
        kind: Kind::Completion,
        tokens: Tokens {
            input: usage.input_other,
            cache_read: usage.input_cache_read,
            cache_write_5m: usage.input_cache_creation,
            output: usage.output,
            ..Tokens::default()
        },
        tools: Vec::new(),
        dedup_key,
        latency_ms: None,
        record_cost_usd: None,
        cumulative: None,
        flags: Flags {
            final_copy: true,
            sidechain,
            time_from_read: time.is_none(),
            ..Flags::default()
        },
        origin: None,
        line: None,
        secrets: None,
    }))
}

/// A step's key: its `message_id`, else its session and the line's timestamp (seconds as
/// written, every bit of them).
fn key(
    message_id: Option<&str>,
    session: Option<&str>,
    timestamp: Option<f64>,
) -> Option<DedupKey> {
    if let Some(id) = message_id {
        return Some(DedupKey::of(&["kimi:", id]));
    }
    let bits = format!("{:016x}", timestamp?.to_bits());
    Some(DedupKey::of(&[
        "kimi-step:",
        session.unwrap_or(""),
        ":",
        &bits,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_line;

    const STATUS: &str = r#"{"timestamp":1770983410.0,"message":{"type":"StatusUpdate","payload":{"context_usage":0.024,"context_tokens":6372,"max_context_tokens":262144,"token_usage":{"input_other":1508,"output":205,"input_cache_read":4864,"input_cache_creation":0},"message_id":"chatcmpl-2tNw2mhUNfdPMP0J","plan_mode":false}}}"#;

    fn facts() -> FileFacts {
        FileFacts {
            project: Some("/home/ana/proj".into()),
            session: Some("s1".into()),
            model: Some("kimi-k2-0905-preview".into()),
            subagent: None,
            exported: Vec::new(),
        }
    }

    fn parse_with(line: &str, facts: Option<&FileFacts>) -> Parsed {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts,
            read_time: 1_770_990_000_000,
        };
        parse_line(line.as_bytes(), &ctx)
    }

    fn event(parsed: Parsed) -> Event {
        match parsed {
            Parsed::Event(e) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_status_update_counts_its_step() {
        let f = facts();
        let e = event(parse_with(STATUS, Some(&f)));
        let t = e.tokens;
        // input_other is already without the cache: nothing is subtracted.
        assert_eq!(
            (t.input, t.cache_read, t.cache_write_5m, t.output),
            (1508, 4864, 0, 205)
        );
        assert_eq!(e.time, 1_770_983_410_000);
        assert_eq!(e.identity, "kimi-cli:/home/ana/proj");
        assert_eq!(e.attrs.project.as_deref(), Some("/home/ana/proj"));
        assert_eq!(e.attrs.session.as_deref(), Some("s1"));
        assert_eq!(e.model, "kimi-k2-0905-preview");
        assert_eq!(e.format, Format::KimiCli);
        assert_eq!(e.format.agent(), Some("kimi-cli"));
        assert_eq!(
            e.dedup_key,
            Some(DedupKey::from("kimi:chatcmpl-2tNw2mhUNfdPMP0J"))
        );
        assert!(!e.flags.sidechain);
    }

    #[test]
    fn a_step_without_message_id_is_keyed_by_its_session_and_time() {
        let f = facts();
        let bare = STATUS.replace(r#","message_id":"chatcmpl-2tNw2mhUNfdPMP0J""#, "");
        let key = event(parse_with(&bare, Some(&f))).dedup_key;
        assert!(key.is_some());
        assert_eq!(event(parse_with(&bare, Some(&f))).dedup_key, key);
        let later = bare.replace("1770983410.0", "1770983410.001");
        assert_ne!(event(parse_with(&later, Some(&f))).dedup_key, key);
        let other = FileFacts {
            session: Some("s2".into()),
            ..facts()
        };
        assert_ne!(event(parse_with(&bare, Some(&other))).dedup_key, key);
        let no_time = bare.replace("\"timestamp\":1770983410.0,", "");
        assert_eq!(event(parse_with(&no_time, Some(&f))).dedup_key, None);
    }

    #[test]
    fn without_facts_the_label_is_the_identity() {
        let e = event(parse_with(STATUS, None));
        assert_eq!(e.identity, "kimi-cli");
        assert_eq!(e.model, "unknown");
        assert_eq!(e.attrs.project, None);
    }

    #[test]
    fn a_nested_sub_agent_step_counts_under_the_same_key() {
        let nested = format!(
            r#"{{"timestamp":1770983411.5,"message":{{"type":"SubagentEvent","payload":{{"parent_tool_call_id":"Agent:0","agent_id":"a7","subagent_type":"coder","event":{}}}}}}}"#,
            &STATUS[STATUS.find(r#"{"type":"StatusUpdate""#).expect("envelope")..STATUS.len() - 1]
        );
        let f = facts();
        let e = event(parse_with(&nested, Some(&f)));
        assert_eq!(e.attrs.agent.as_deref(), Some("coder"));
        assert!(e.flags.sidechain);
        assert_eq!(e.time, 1_770_983_411_500);
        assert_eq!(
            e.dedup_key,
            Some(DedupKey::from("kimi:chatcmpl-2tNw2mhUNfdPMP0J"))
        );
    }

    #[test]
    fn lines_without_usage_and_broken_lines() {
        let metadata = r#"{"type":"metadata","protocol_version":"1.3"}"#;
        let turn = r#"{"timestamp":1770983400.0,"message":{"type":"TurnBegin","payload":{"user_input":"StatusUpdate?"}}}"#;
        let plan = r#"{"timestamp":1770983400.0,"message":{"type":"StatusUpdate","payload":{"plan_mode":true}}}"#;
        assert_eq!(parse_with(metadata, None), Parsed::NoUsage);
        assert_eq!(parse_with(turn, None), Parsed::NoUsage);
        assert_eq!(parse_with(plan, None), Parsed::NoUsage);
        let negative = STATUS.replace("\"output\":205", "\"output\":-5");
        assert_eq!(
            parse_with(&negative, None),
            Parsed::Rejected(RejectReason::InvalidField)
        );
        let time = STATUS.replace("1770983410.0", "-1");
        assert_eq!(
            parse_with(&time, None),
            Parsed::Rejected(RejectReason::InvalidField)
        );
        let no_time = STATUS.replace("\"timestamp\":1770983410.0,", "");
        let e = event(parse_with(&no_time, None));
        assert!(e.flags.time_from_read);
    }
}
