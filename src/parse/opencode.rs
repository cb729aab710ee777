//! OpenCode: assistant messages, as the `message` table of `opencode.db` stores them (the
//! row's `data` JSON) or as a legacy `storage/message/<session>/<message>.json` file. The
//! source reads the rows and files; this module turns their values into events.
//!
//! `tokens.input` already leaves out the cache (OpenCode subtracts it before storing);
//! `tokens.reasoning` is stored beside `tokens.output`, not inside it, so the event's output
//! is their sum and its reasoning the part (OpenCode prices reasoning at the output rate
//! the same way). A message row is rewritten as its counts arrive: every version carries
//! the message id as its dedup key, so the engine counts the latest, largest one. A fork
//! copies finished messages into another session under new ids: [`State`] gives a copy
//! the key of the message it copies (same times, model, counts and cost), so it counts once.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
    agent_identity,
};

/// The label usage of an unknown folder is shown under.
const LABEL: &str = "opencode";
/// Finished messages whose fingerprint is kept to recognise fork copies: past this, the
/// oldest is forgotten (a fork copies a session's messages at once, soon after they exist).
pub const MAX_FINGERPRINTS: usize = 1 << 18;

/// One message as stored: the row's columns, or a legacy file's name and text.
#[derive(Clone, Copy, Debug)]
pub struct MessageRow<'a> {
    /// `message.id` (a legacy file: its `id`, else the file's stem).
    pub id: &'a str,
    /// `message.session_id` (a legacy file: its `sessionID`).
    pub session_id: Option<&'a str>,
    /// `message.time_created` (ms), for data without `time.created`.
    pub time_created: Option<TimeMs>,
    /// The `data` JSON (a legacy file: the whole file).
    pub data: &'a str,
    /// The session's folder (`session.directory`), for data without `path`.
    pub directory: Option<&'a str>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "sessionID", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    role: Option<Cow<'a, str>>,
    time: Option<Times>,
    #[serde(rename = "modelID", borrow)]
    model_id: Option<Cow<'a, str>>,
    #[serde(rename = "providerID", borrow)]
    provider_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow)]
    path: Option<Paths<'a>>,
    cost: Option<f64>,
    tokens: Option<Counts>,
}

#[derive(Deserialize)]
struct Times {
    created: Option<f64>,
    completed: Option<f64>,
}

#[derive(Deserialize)]
struct Paths<'a> {
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    root: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Counts {
    input: u64,
    output: u64,
    reasoning: u64,
    cache: Cache,
    #[serde(rename = "total")]
    _total: Option<IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Cache {
    read: u64,
    write: u64,
}

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "callID", borrow)]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    tool: Option<Cow<'a, str>>,
}

/// Fingerprints of finished messages, to give a fork's copies the original's key.
#[derive(Debug, Default)]
pub struct State {
    keys: HashMap<DedupKey, DedupKey>,
    order: VecDeque<DedupKey>,
}

impl State {
    /// The event of one message with the tool calls of its parts, a user message's
    /// [`Parsed::NoUsage`], or why it cannot be counted. `read_time` stands for a
    /// message with no time at all (flagged).
    pub fn message(&mut self, row: &MessageRow, tools: Vec<ToolCall>, read_time: TimeMs) -> Parsed {
        let mut message: Message = match serde_json::from_str(row.data) {
            Ok(m) => m,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        match message.role.as_deref() {
            Some("assistant") => {}
            Some(_) => return Parsed::NoUsage,
            None => return Parsed::Rejected(RejectReason::MissingField),
        }
        let Some(model) = message.model_id.as_deref().filter(|m| !m.is_empty()) else {
            return Parsed::Rejected(RejectReason::MissingField);
        };
        let counts = message.tokens.take().unwrap_or_default();
        let created = message.time.as_ref().and_then(|t| t.created);
        let completed = message.time.as_ref().and_then(|t| t.completed);
        let (Ok(created), Ok(completed)) = (ms(created), ms(completed)) else {
            return Parsed::Rejected(RejectReason::InvalidField);
        };
        let time = created.or(row.time_created);
        let Some(output) = counts.output.checked_add(counts.reasoning) else {
            return Parsed::Rejected(RejectReason::Implausible);
        };
        let tokens = Tokens {
            input: counts.input,
            cache_read: counts.cache.read,
            cache_write_5m: counts.cache.write,
            cache_write_1h: 0,
            output,
            reasoning: counts.reasoning,
        };
        let own_key = DedupKey::of(&["opencode:", row.id]);
        let dedup_key = match completed {
            Some(done) => {
                let print = fingerprint(&message, model, (time, done), &tokens);
                self.key_of(print, own_key)
            }
            None => own_key,
        };
        let project = [
            message.path.as_ref().and_then(|p| p.cwd.as_deref()),
            message.path.as_ref().and_then(|p| p.root.as_deref()),
            row.directory,
        ]
        .into_iter()
        .flatten()
        .find(|p| !p.is_empty())
        .map(str::to_string);
        let session = row
            .session_id
            .or(message.session_id.as_deref())
            .map(str::to_string);
        let agent = message.agent.as_deref().or(message.mode.as_deref());
        Parsed::Event(Box::new(Event {
            time: time.unwrap_or(read_time),
            identity: agent_identity(LABEL, project.as_deref()),
            identity_kind: IdentityKind::Agent,
            attrs: IdentityAttrs {
                project,
                session,
                agent: agent.map(str::to_string),
                ..IdentityAttrs::default()
            },
            format: Format::OpenCode,
            provider: message.provider_id.as_deref().unwrap_or(LABEL).to_string(),
            model: model.to_string(),
            kind: Kind::Completion,
            tokens,
            tools,
            dedup_key: Some(dedup_key),
            latency_ms: time
                .zip(completed)
                .and_then(|(start, end)| u64::try_from(end - start).ok()),
            // Own cost wins when positive; 0 means OpenCode knew no price.
            record_cost_usd: message.cost.filter(|c| *c != 0.0),
            cumulative: None,
            flags: Flags {
                final_copy: completed.is_some(),
                time_from_read: time.is_none(),
                ..Flags::default()
            },
            origin: None,
            line: None,
            secrets: None,
        }))
    }

    /// A legacy `storage/message/<session>/<stem>.json` file: its `id` (else the stem)
    /// is the message id, as in the database.
    pub fn legacy(
        &mut self,
        stem: &str,
        text: &str,
        tools: Vec<ToolCall>,
        read_time: TimeMs,
    ) -> Parsed {
        let id = legacy_id(text);
        let row = MessageRow {
            id: id.as_deref().unwrap_or(stem),
            session_id: None,
            time_created: None,
            data: text,
            directory: None,
        };
        self.message(&row, tools, read_time)
    }

    /// The key of the first message with this fingerprint (else `own`, remembered).
    fn key_of(&mut self, print: DedupKey, own: DedupKey) -> DedupKey {
        if let Some(first) = self.keys.get(&print) {
            return *first;
        }
        if self.order.len() >= MAX_FINGERPRINTS
            && let Some(oldest) = self.order.pop_front()
        {
            self.keys.remove(&oldest);
        }
        self.keys.insert(print, own);
        self.order.push_back(print);
        own
    }
}

/// The embedded `id` of a legacy file, if it has one.
fn legacy_id(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Id<'a> {
        #[serde(borrow)]
        id: Option<Cow<'a, str>>,
    }
    let id: Id = serde_json::from_str(text).ok()?;
    id.id.map(Cow::into_owned).filter(|id| !id.is_empty())
}

/// What a fork leaves equal between a message and its copy: times, model, counts, cost,
/// agent, and an id embedded in the data (copies with different embedded ids are
/// different messages).
fn fingerprint(
    m: &Message,
    model: &str,
    (created, done): (Option<TimeMs>, TimeMs),
    t: &Tokens,
) -> DedupKey {
    let numbers = format!(
        "{}|{done}|{}|{}|{}|{}|{}|{}",
        created.unwrap_or(-1),
        t.input,
        t.cache_read,
        t.cache_write_5m,
        t.output,
        t.reasoning,
        m.cost.unwrap_or(0.0).to_bits(),
    );
    DedupKey::of(&[
        "opencode-fork|",
        &numbers,
        "|",
        model,
        "|",
        m.provider_id.as_deref().unwrap_or(""),
        "|",
        m.agent.as_deref().or(m.mode.as_deref()).unwrap_or(""),
        "|",
        m.id.as_deref().unwrap_or(""),
    ])
}

/// A time in ms from JSON (a number, maybe written as a float); `Err` if it is not one a
/// clock can have.
fn ms(value: Option<f64>) -> Result<Option<TimeMs>, ()> {
    match value {
        None => Ok(None),
        Some(v) if v.is_finite() && (0.0..9.0e15).contains(&v) => Ok(Some(v as TimeMs)),
        Some(_) => Err(()),
    }
}

/// The tool call of one `part` row's `data` (or legacy part file), if it is a tool part.
pub fn tool_part(data: &str) -> Option<ToolCall> {
    let part: Part = serde_json::from_str(data).ok()?;
    if part.kind.as_deref() != Some("tool") {
        return None;
    }
    let name = part.tool.filter(|t| !t.is_empty())?;
    Some(ToolCall::new(
        part.call_id.map(Cow::into_owned),
        name.into_owned(),
    ))
}

#[cfg(test)]
#[path = "opencode_tests.rs"]
mod tests;
