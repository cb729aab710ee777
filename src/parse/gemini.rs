//! Gemini CLI chat recordings: `<root>/tmp/<project>/chats/session-*.jsonl` (subagents in
//! `chats/<parent session>/<session>.jsonl`), and the legacy `session-*.json` documents
//! (one `ConversationRecord`, rewritten whole on every update; the source reads such a
//! file whole, as one record of many messages).
//!
//! A JSONL file starts with a metadata line (`sessionId`, `projectHash`, `kind`), then holds
//! messages (objects with an `id`), `$set` metadata patches and `$rewindTo` marks. Only
//! `type: "gemini"` messages carry usage (`tokens`, one API response's `usageMetadata`) and
//! tool calls (`toolCalls[]`).
//!
//! Traps handled here:
//! - A message is appended again, with the same `id`, as its tokens and tool calls arrive:
//!   every copy is an event keyed by (`sessionId`, `id`), and the engine keeps one. Gemini
//!   CLI writes a message's tokens once (only onto a message without them), so a later
//!   copy is never smaller and the largest copy the engine keeps is the last one.
//! - Resuming a legacy `.json` session copies it whole into a `.jsonl` beside it, and the
//!   `.json` stays: the same key in both files, so each message counts once.
//! - A `$set` that carries `messages` is a checkpoint of messages already written, and
//!   `$rewindTo` drops messages from the conversation, not from the bill: both count
//!   nothing, and a rewound response stays counted.
//! - `tokens.input` includes `tokens.cached`, and thoughts are beside the candidates (see
//!   [`super::usage_metadata`]): input is `input - cached` (+ `tool`), the cache is a
//!   cache read, output is `output + thoughts`, reasoning is `thoughts`.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::usage_metadata::Counts;
use super::{LineContext, Parsed, Records, RejectReason, plausible, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, ToolCall, agent_identity,
};
use crate::timefmt::parse_rfc3339_ms;

/// The agent's label, and the identity of usage whose project is unknown.
const AGENT: &str = "gemini-cli";
/// The model of a response that names none: unpriced, never guessed.
const UNKNOWN_MODEL: &str = "unknown";
const PROVIDER: &str = "google";

/// Memory of one file: the session its messages belong to.
#[derive(Debug, Default)]
pub struct State {
    session: Option<String>,
    subagent: bool,
}

/// Any record of the file: the metadata line, a message, a legacy document (metadata and
/// `messages`), or a patch (`$set`, `$rewindTo`, whose keys are not read).
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "projectHash")]
    project_hash: Option<IgnoredAny>,
    /// `main` or `subagent`, on the metadata.
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    messages: Option<Vec<Record<'a>>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    message_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    tokens: Option<TokensSummary>,
    #[serde(rename = "toolCalls", borrow)]
    tool_calls: Option<Vec<Call<'a>>>,
}

/// `TokensSummary`: one API response's `usageMetadata`, renamed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct TokensSummary {
    input: u64,
    output: u64,
    cached: u64,
    thoughts: u64,
    tool: u64,
    total: u64,
}

#[derive(Deserialize)]
struct Call<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

/// The words one of the records read here holds (cheap test, before any parsing): a
/// model response's type, or the metadata's project hash.
pub(super) fn may_be_line(text: &str) -> bool {
    text.contains("\"gemini\"") || text.contains("\"projectHash\"")
}

/// Whether a line is Gemini CLI's, by its top-level keys: the metadata (and a legacy
/// document) has `projectHash`, a model response is `type: "gemini"`.
pub(super) fn is_line(has_project_hash: bool, kind: Option<&str>) -> bool {
    has_project_hash || kind == Some("gemini")
}

/// The identity of a file's records: `gemini-cli:<project root>`, else `gemini-cli`.
fn identity(ctx: &LineContext) -> String {
    agent_identity(AGENT, ctx.project_root)
}

/// The key of one response across copies and files: (`sessionId`, message `id`).
pub fn message_key(session: &str, id: &str) -> DedupKey {
    DedupKey::of(&["gemini-cli:", session, ":", id])
}

/// The messages of a legacy document by their key (those with an `id`), each as its JSON
/// text: for the event popup to show one response of a document read whole.
pub fn messages_by_key(document: &str) -> Vec<(DedupKey, &str)> {
    #[derive(Deserialize)]
    struct Document<'a> {
        #[serde(rename = "sessionId", borrow)]
        session_id: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        messages: Vec<&'a serde_json::value::RawValue>,
    }
    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    let Ok(document) = serde_json::from_str::<Document>(document) else {
        return Vec::new();
    };
    let session = document.session_id.as_deref().unwrap_or("");
    document
        .messages
        .into_iter()
        .filter_map(|raw| {
            let message: Message = serde_json::from_str(raw.get()).ok()?;
            Some((message_key(session, &message.id?), raw.get()))
        })
        .collect()
}

impl State {
    pub(super) fn parse(&mut self, text: &str, ctx: &LineContext) -> Parsed {
        let record: Record = match serde_json::from_str(text) {
            Ok(record) => record,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        if record.project_hash.is_some() && record.id.is_none() {
            self.session = record.session_id.map(Cow::into_owned);
            self.subagent = record.kind.as_deref() == Some("subagent");
            if let Some(messages) = record.messages {
                return self.document(messages, ctx);
            }
            return Parsed::NoUsage;
        }
        match self.message(record, ctx) {
            None => Parsed::NoUsage,
            Some(Ok(event)) => Parsed::Event(Box::new(event)),
            Some(Err(reason)) => Parsed::Rejected(reason),
        }
    }

    fn attrs(&self, ctx: &LineContext) -> IdentityAttrs {
        IdentityAttrs {
            project: ctx.project_root.map(str::to_string),
            session: self.session.clone(),
            ..IdentityAttrs::default()
        }
    }

    /// The who and when of a message without usage in a Gemini CLI file (a prompt, an info
    /// line), as an event that counts nothing ([`Flags::no_usage`]); `None` before the
    /// file's metadata, or for a line that is no message.
    pub(super) fn carrier(&self, text: &str, ctx: &LineContext) -> Option<Event> {
        self.session.as_ref()?;
        let record: Record = serde_json::from_str(text).ok()?;
        record.id.as_ref()?;
        record.message_type.as_ref()?;
        let time = record.timestamp.as_deref().and_then(parse_rfc3339_ms);
        let mut event = Event::carrier(
            time,
            ctx.read_time,
            identity(ctx),
            self.attrs(ctx),
            Format::GeminiCli,
            PROVIDER,
        );
        event.flags.sidechain = self.subagent;
        Some(event)
    }

    /// A legacy document: each message a record of the line. They are checked here as
    /// the reader checks a line's event.
    fn document(&self, messages: Vec<Record>, ctx: &LineContext) -> Parsed {
        let mut records = Records::default();
        for message in messages {
            let example = message.id.as_deref().unwrap_or("message").to_string();
            match self.message(message, ctx) {
                None => records.without_usage += 1,
                Some(Err(reason)) => records.reject(reason, 1, &example),
                Some(Ok(event)) => {
                    let reason = plausible::check(&event).or_else(|| {
                        (!plausible::time_is_plausible(&event, ctx.read_time))
                            .then_some(RejectReason::FutureTime)
                    });
                    match reason {
                        Some(reason) => records.reject(reason, 1, &example),
                        None => records.events.push(event),
                    }
                }
            }
        }
        Parsed::Records(Box::new(records))
    }

    /// A model response's copy as an event; `None` for a message without usage (a user
    /// turn, an info line, a response with neither tokens nor tool calls yet).
    fn message(&self, m: Record, ctx: &LineContext) -> Option<Result<Event, RejectReason>> {
        if m.message_type.as_deref() != Some("gemini") {
            return None;
        }
        let calls = m.tool_calls.unwrap_or_default();
        if m.tokens.is_none() && calls.is_empty() {
            return None;
        }
        Some(self.event(m.id, m.timestamp, m.model, m.tokens, calls, ctx))
    }

    fn event(
        &self,
        id: Option<Cow<str>>,
        timestamp: Option<Cow<str>>,
        model: Option<Cow<str>>,
        tokens: Option<TokensSummary>,
        calls: Vec<Call>,
        ctx: &LineContext,
    ) -> Result<Event, RejectReason> {
        let id = id.ok_or(RejectReason::MissingField)?;
        let time = timestamp.ok_or(RejectReason::MissingField)?;
        let time = parse_rfc3339_ms(&time).ok_or(RejectReason::InvalidField)?;
        let final_copy = tokens.is_some();
        let t = tokens.unwrap_or_default();
        let counts = Counts {
            prompt: t.input,
            cached: t.cached,
            candidates: t.output,
            thoughts: t.thoughts,
            tool: t.tool,
            total: t.total,
        };
        // Gemini's counts are the API's own, whose meaning is documented: a total that
        // cannot tell is no guess here.
        let tokens = counts.split()?.tokens;
        let tools = calls
            .into_iter()
            .filter_map(|c| {
                Some(ToolCall::new(
                    c.id.map(Cow::into_owned),
                    c.name?.into_owned(),
                ))
            })
            .collect();
        Ok(Event {
            time,
            identity: identity(ctx),
            identity_kind: IdentityKind::Agent,
            attrs: self.attrs(ctx),
            format: Format::GeminiCli,
            provider: PROVIDER.to_string(),
            model: model.map_or_else(|| UNKNOWN_MODEL.to_string(), Cow::into_owned),
            kind: Kind::Completion,
            tokens,
            tools,
            dedup_key: Some(message_key(self.session.as_deref().unwrap_or(""), &id)),
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            flags: Flags {
                sidechain: self.subagent,
                final_copy,
                ..Flags::default()
            },
            origin: None,
            line: None,
            secrets: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::LineParser;
    use crate::parse::testing::{parse_in_order, the_event};

    const META: &str = r#"{"sessionId":"8f0c2a1e-5b6d","projectHash":"3b1f","startTime":"2026-05-17T11:07:00.000Z","lastUpdated":"2026-05-17T11:07:00.000Z","kind":"main"}"#;
    const USER: &str = r#"{"id":"u1","timestamp":"2026-05-17T11:07:05.000Z","type":"user","content":[{"text":"fix the failing test"}]}"#;
    const GEM: &str = r#"{"id":"g1","timestamp":"2026-05-17T11:07:32.000Z","type":"gemini","content":"","thoughts":[],"tokens":{"input":15327,"output":23,"cached":11526,"thoughts":919,"tool":0,"total":16269},"model":"gemini-3-flash-preview"}"#;

    fn run(lines: &[&str], root: Option<&str>) -> Vec<Parsed> {
        let ctx = LineContext {
            project_root: root,
            read_time: 1_900_000_000_000,
            ..LineContext::default()
        };
        parse_in_order(lines, &ctx)
    }

    #[test]
    fn a_response_counts_its_cache_apart_and_its_thoughts_as_output() {
        let parsed = run(&[META, USER, GEM], Some("/home/ana/proj"));
        assert_eq!(parsed[0], Parsed::NoUsage);
        assert_eq!(parsed[1], Parsed::NoUsage);
        let mut parser = LineParser::default();
        let ctx = LineContext::default();
        assert!(
            parser.carrier(USER.as_bytes(), &ctx).is_none(),
            "before the metadata"
        );
        parser.parse(META.as_bytes(), &ctx);
        let carrier = parser.carrier(USER.as_bytes(), &ctx).expect("a carrier");
        assert_eq!(carrier.identity, "gemini-cli");
        assert_eq!(carrier.attrs.session.as_deref(), Some("8f0c2a1e-5b6d"));
        let e = the_event(&parsed[2]);
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (3801, 11526, 942, 919)
        );
        assert_eq!(e.identity, "gemini-cli:/home/ana/proj");
        assert_eq!(e.attrs.project.as_deref(), Some("/home/ana/proj"));
        assert_eq!(e.attrs.session.as_deref(), Some("8f0c2a1e-5b6d"));
        assert_eq!(e.model, "gemini-3-flash-preview");
        assert_eq!(e.format, Format::GeminiCli);
        assert_eq!(e.dedup_key, Some(message_key("8f0c2a1e-5b6d", "g1")));
        assert!(e.flags.final_copy && !e.flags.sidechain);
    }

    #[test]
    fn patches_and_rewinds_count_nothing_and_a_subagent_is_a_sidechain() {
        let checkpoint = format!(r#"{{"$set":{{"messages":[{USER},{GEM}]}}}}"#);
        let meta = META.replace(r#""kind":"main""#, r#""kind":"subagent""#);
        let calls = r#"{"id":"g2","timestamp":"2026-05-17T11:08:00.000Z","type":"gemini","content":"","model":"gemini-3-flash-preview","toolCalls":[{"id":"read_file-1","name":"read_file","args":{},"status":"success"}]}"#;
        let parsed = run(&[&meta, &checkpoint, r#"{"$rewindTo":"g1"}"#, calls], None);
        assert_eq!(parsed[1], Parsed::NoUsage);
        assert_eq!(parsed[2], Parsed::NoUsage);
        let e = the_event(&parsed[3]);
        assert_eq!(e.identity, "gemini-cli");
        assert_eq!(e.tokens.total(), 0, "tool calls before the tokens");
        assert!(!e.flags.final_copy);
        assert!(e.flags.sidechain);
        assert_eq!(e.tools[0].name, "read_file");
    }

    #[test]
    fn a_legacy_document_gives_each_response_as_a_record() {
        let doc = format!(
            r#"{{"sessionId":"8f0c2a1e-5b6d","projectHash":"3b1f","startTime":"x","messages":[{USER},{GEM},{{"id":"g3","type":"gemini","tokens":{{"input":1}}}}]}}"#
        );
        let parsed = run(&[&doc], None);
        let Parsed::Records(records) = &parsed[0] else {
            panic!("{parsed:?}")
        };
        assert_eq!(records.events.len(), 1);
        assert_eq!(records.without_usage, 1);
        assert_eq!(records.rejected[0].reason, RejectReason::MissingField);
        assert_eq!(
            records.events[0].dedup_key,
            Some(message_key("8f0c2a1e-5b6d", "g1")),
            "the same key as the message's copy in the .jsonl"
        );
    }

    #[test]
    fn broken_responses_are_rejected() {
        let bad_time = GEM.replace("2026-05-17T11:07:32.000Z", "noon");
        let negative = GEM.replace(r#""input":15327"#, r#""input":-1"#);
        let parsed = run(&[META, &bad_time, &negative], None);
        assert_eq!(parsed[1], Parsed::Rejected(RejectReason::InvalidField));
        assert_eq!(parsed[2], Parsed::Rejected(RejectReason::InvalidField));
    }
}
