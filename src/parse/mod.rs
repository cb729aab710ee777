//! Parsers: pure functions from one log line to normalized [`Event`]s, one module per
//! format, chosen per line by [`LineParser::parse`]. A line is one record, except in OTLP
//! JSON lines, where it is an export request of many ([`Parsed::Records`]). A line or
//! record that cannot be used is counted under a [`RejectReason`], never a panic.

pub mod anthropic;
pub mod claude_code;
pub mod codex;
mod copilot_events;
mod copilot_otel;
pub use copilot_otel::session_usage as copilot_export_usage;
mod detect;
pub mod estimate;
pub mod gemini;
pub mod goose;
mod json_scan;
pub mod kimi;
mod litellm;
mod markers;
pub mod openai;
pub mod opencode;
pub mod otlp;
pub mod pi;
pub mod plausible;
pub mod provider;
pub mod qwen;
mod reply;
#[cfg(test)]
pub(crate) mod testing;
pub mod tokentop;
mod usage_metadata;
pub mod wrapper;

use std::sync::{Arc, LazyLock};

use serde::Serialize;

use self::detect::Detected;
use self::markers::without_markers;
use crate::event::{Event, TimeMs};
use crate::secrets::Scanner;

/// Lines longer than this are skipped (and counted) without being held in memory whole.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What the source knows about a line besides its bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct LineContext<'a> {
    /// The Claude Code project folder (`projects/<this>/...`) the file lives in, if any.
    pub project_dir: Option<&'a str>,
    /// The project root the source found for the file in the agent's own records (Gemini
    /// CLI's `.project_root` marker or `projects.json`), for records that name none.
    pub project_root: Option<&'a str>,
    /// What the source found beside the file about it (see [`FileFacts`]).
    pub facts: Option<&'a FileFacts>,
    /// When the line was read: the time given to records that carry none (and flagged so).
    pub read_time: TimeMs,
}

/// What an agent keeps about a log file outside its lines (Kimi CLI: the work folder in
/// `kimi.json`, the model in its config), read by the source and handed to the parser so
/// that parsers stay free of file IO.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileFacts {
    /// The project's path, when the agent's records map the file to one.
    pub project: Option<String>,
    /// The session the file belongs to (a folder name).
    pub session: Option<String>,
    /// The model the agent is configured with, for records that name none.
    pub model: Option<String>,
    /// The sub-agent whose own log the file is.
    pub subagent: Option<String>,
    /// When (sorted) the agent's telemetry export holds usage of this file's session, per
    /// call (Copilot CLI's OpenTelemetry file): a session summary whose segment has some
    /// is counted from there, not again.
    pub exported: Vec<TimeMs>,
}

/// Parses the lines of one file in order. Formats whose lines depend on earlier lines of
/// the same file keep that memory here (Codex: session, model and the last cumulative
/// count; Anthropic streams: the message being streamed); one parser per file, never
/// shared, and replaced when the file is truncated or replaced.
#[derive(Debug, Default)]
pub struct LineParser {
    codex: codex::State,
    gemini: gemini::State,
    stream: anthropic::Stream,
    pi: pi::State,
    copilot_otel: copilot_otel::State,
    copilot_events: copilot_events::State,
    /// Scans the records of a line of many (OTLP) one by one, so that each finding goes
    /// with its own record's identity; other lines are scanned whole by the reader.
    scanner: Option<Arc<Scanner>>,
}

impl LineParser {
    /// A parser whose lines of many records (OTLP) are scanned record by record.
    pub fn scanning(scanner: Option<Arc<Scanner>>) -> Self {
        LineParser {
            scanner,
            ..LineParser::default()
        }
    }

    /// Detects the line's format and parses it.
    ///
    /// Cheap byte tests come first so that the many lines without usage (Claude Code user
    /// turns and tool results, Codex messages, stream text deltas) are never JSON-parsed:
    /// such a line is only checked to look like one whole JSON object, which catches
    /// truncation. Each format is told apart by its top-level keys and `type` (see
    /// [`detect`]).
    pub fn parse(&mut self, line: &[u8], ctx: &LineContext) -> Parsed {
        // Control bytes are looked for only in lines that failed: JSON text never holds
        // them, so a line that parsed has none worth reporting.
        match self.parse_text(line, ctx) {
            Parsed::Rejected(RejectReason::InvalidJson) if has_control_bytes(line) => {
                Parsed::Rejected(RejectReason::Binary)
            }
            Parsed::Event(event) => match plausible::check(&event) {
                Some(reason) => Parsed::Rejected(reason),
                None => Parsed::Event(event),
            },
            parsed => parsed,
        }
    }

    fn parse_text(&mut self, line: &[u8], ctx: &LineContext) -> Parsed {
        if line.trim_ascii_start().starts_with(CLAUDE_CODE_TURN) {
            return claude_code_turn(line, ctx);
        }
        if let Some(outcome) = without_markers(line) {
            return outcome;
        }
        let text = match json_object_text(line) {
            Ok(text) => text,
            Err(parsed) => return parsed,
        };
        match detect::detect(text) {
            Ok(Detected::Wrapper) => wrapper::parse(text, ctx),
            Ok(Detected::LiteLlm) => litellm::parse(text),
            Ok(Detected::Otlp) => otlp::json_line(text, ctx.read_time, self.scanner.as_deref()),
            Ok(Detected::Own) => tokentop::parse(text),
            Ok(Detected::Rollout) => self.codex.parse_rollout(text, ctx),
            Ok(Detected::Exec) => self.codex.parse_exec(text, ctx),
            Ok(Detected::Stream) => self.stream.parse(text, ctx),
            Ok(Detected::Gemini) => self.gemini.parse(text, ctx),
            Ok(Detected::Qwen) => qwen::parse(text),
            Ok(Detected::Kimi) => kimi::parse(text, ctx),
            Ok(Detected::Pi(header)) => self.pi.parse(text, header, ctx),
            Ok(Detected::CopilotOtel) => self.copilot_otel.parse(text, ctx.read_time),
            Ok(Detected::CopilotEvents) => self.copilot_events.parse(text, ctx),
            Ok(Detected::Usage) => usage_line(text, ctx),
            Ok(Detected::NoUsage) => Parsed::NoUsage,
            Err(reason) => Parsed::Rejected(reason),
        }
    }
}

impl LineParser {
    /// The who and when of a record without usage, as an event that counts nothing
    /// ([`crate::event::Flags::no_usage`]): how a secret in a prompt or a tool result
    /// reaches its record's identity. Claude Code turns, Codex rollout lines, Gemini CLI
    /// and Qwen Code messages; the records of other formats that hold no usage name no
    /// identity.
    pub fn carrier(&self, line: &[u8], ctx: &LineContext) -> Option<Event> {
        let text = std::str::from_utf8(line).ok()?.trim();
        // A Claude Code tool result may hold a `payload` key of its own (a decoded JWT):
        // only a line with a top-level one is Codex's.
        if text.contains("\"payload\"")
            && let Some(carrier) = self.codex.carrier(text, ctx)
        {
            return Some(carrier);
        }
        // Qwen Code's records name a session and a folder as Claude Code's do: told apart
        // by their message's `parts`.
        self.gemini
            .carrier(text, ctx)
            .or_else(|| qwen::carrier(text, ctx))
            .or_else(|| claude_code::carrier(text, ctx))
    }
}

/// Whether `quoted` (a name in quotes) appears as an object key, that is followed by `:`;
/// a value that happens to be the same word is not a key.
fn has_key(text: &str, quoted: &str) -> bool {
    text.match_indices(quoted)
        .any(|(at, _)| text[at + quoted.len()..].trim_start().starts_with(':'))
}

/// One line on its own, with no memory of earlier lines: right for every format but the
/// stateful ones (a Codex count then counts its whole cumulative total, a stream
/// `message_delta` has no message). Files go through a [`LineParser`].
pub fn parse_line(line: &[u8], ctx: &LineContext) -> Parsed {
    LineParser::default().parse(line, ctx)
}

/// Why a line was not turned into an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Control bytes (NUL and the like) that JSON text never contains.
    Binary,
    InvalidUtf8,
    /// Not a complete JSON object: malformed or cut short.
    InvalidJson,
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// A recognized record without a field it needs (time, model, identity).
    MissingField,
    /// A recognized record with a field of the wrong type or an impossible value.
    InvalidField,
    /// An own-schema or wrapper line of a version this build does not know.
    UnsupportedVersion,
    /// A JSON object with a `"usage"` key in no format this build reads.
    UnknownFormat,
    /// More tokens or a higher cost than one request can have (see [`plausible`]).
    Implausible,
    /// Stamped more than [`plausible::MAX_AHEAD_MS`] past the clock it was read by.
    FutureTime,
    /// An OTLP signal or part this build does not turn into events (metric points).
    Unsupported,
    /// Counted, not dropped: OTLP GenAI input tokens below their cache tokens, taken as
    /// uncached input (the sender did not include the cache in the input, as the
    /// conventions ask).
    InputBelowCache,
    /// An OTLP request whose body could not be read at all (answered 400).
    InvalidBody,
}

impl RejectReason {
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::Binary => "binary",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::TooLong => "too_long",
            RejectReason::MissingField => "missing_field",
            RejectReason::InvalidField => "invalid_field",
            RejectReason::UnsupportedVersion => "unsupported_version",
            RejectReason::UnknownFormat => "unknown_format",
            RejectReason::Implausible => "implausible",
            RejectReason::FutureTime => "future_time",
            RejectReason::Unsupported => "unsupported",
            RejectReason::InputBelowCache => "input_below_cache",
            RejectReason::InvalidBody => "invalid_body",
        }
    }
}

/// The outcome of one line.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Event(Box<Event>),
    /// A well-formed line that carries no usage (user turns, summaries, blank lines...).
    NoUsage,
    Rejected(RejectReason),
    /// A line of many records (an OTLP export request), each counted as a line would be.
    /// Boxed so that the common one-event line moves no more bytes than before.
    Records(Box<Records>),
}

/// What became of the records of one line that holds many.
#[derive(Debug, Default, PartialEq)]
pub struct Records {
    /// Already checked for plausibility and a future time, as one line's event is.
    pub events: Vec<Event>,
    pub without_usage: u64,
    /// Records not used, one entry per reason.
    pub rejected: Vec<Counted>,
    /// Records used as events and also counted under a reason so that they are seen (OTLP
    /// GenAI input tokens below their cache tokens); one entry per reason.
    pub noted: Vec<Counted>,
    /// Records without usage that exposed a secret, as events that count nothing
    /// ([`crate::event::Flags::no_usage`]); each is also counted in `without_usage`.
    pub carriers: Vec<Event>,
}

/// Records counted under one reason, with the example shown for them: a record's name or
/// what they were, since the line itself (the start of an export request) says nothing.
#[derive(Debug, PartialEq)]
pub struct Counted {
    pub reason: RejectReason,
    pub count: u64,
    pub example: String,
}

impl Records {
    /// How many records the line held: each counts as a line in the source's health.
    pub fn len(&self) -> u64 {
        let rejected: u64 = self.rejected.iter().map(|c| c.count).sum();
        self.events.len() as u64 + self.without_usage + rejected
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counts `count` more records under `reason`; the first example of a reason stays.
    pub fn reject(&mut self, reason: RejectReason, count: u64, example: &str) {
        add(&mut self.rejected, reason, count, example);
    }

    /// Notes one record, counted as an event too, under `reason`.
    pub fn note(&mut self, reason: RejectReason, example: &str) {
        add(&mut self.noted, reason, 1, example);
    }
}

fn add(list: &mut Vec<Counted>, reason: RejectReason, count: u64, example: &str) {
    if count == 0 {
        return;
    }
    match list.iter_mut().find(|c| c.reason == reason) {
        Some(c) => c.count += count,
        None => list.push(Counted {
            reason,
            count,
            example: example.to_string(),
        }),
    }
}

/// The line as text if it looks like one whole JSON object; else its outcome.
/// How Claude Code starts every turn line (user, assistant, system): by far the most common
/// line, so it gets a path of its own with a single vectorized search for `"usage"`.
const CLAUDE_CODE_TURN: &[u8] = b"{\"parentUuid\":";

/// A Claude Code turn line: parsed only when it has a usage object.
fn claude_code_turn(line: &[u8], ctx: &LineContext) -> Parsed {
    static USAGE: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"\"usage\""));
    let trimmed = line.trim_ascii();
    if trimmed.len() <= MAX_LINE_BYTES && trimmed.ends_with(b"}") && USAGE.find(trimmed).is_none() {
        return Parsed::NoUsage;
    }
    match json_object_text(line) {
        Ok(text) => claude_code::parse(text, ctx),
        Err(parsed) => parsed,
    }
}

/// Bytes that JSON text never contains (outside the whitespace between tokens).
fn has_control_bytes(line: &[u8]) -> bool {
    line.trim_ascii()
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

fn json_object_text(line: &[u8]) -> Result<&str, Parsed> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Err(Parsed::NoUsage);
    }
    if line.len() > MAX_LINE_BYTES {
        return Err(Parsed::Rejected(RejectReason::TooLong));
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Err(Parsed::Rejected(RejectReason::InvalidUtf8));
    };
    if !(text.starts_with('{') && text.ends_with('}')) {
        return Err(Parsed::Rejected(RejectReason::InvalidJson));
    }
    Ok(text)
}

/// A line with a `"usage"` key and no other format's marker: Claude Code, a bare provider
/// response, or a format tokentop does not know, which is rejected so that it shows in the
/// source's health instead of vanishing as a line without usage. Told apart by their
/// top-level keys only: a response object may carry any field (a `sessionId` too).
fn usage_line(text: &str, ctx: &LineContext) -> Parsed {
    match reply::shape(text) {
        Err(reason) => Parsed::Rejected(reason),
        Ok(reply::Shape::ClaudeCode) => claude_code::parse(text, ctx),
        Ok(reply::Shape::Unknown) => Parsed::Rejected(RejectReason::UnknownFormat),
        Ok(_) => reply::bare(text, ctx),
    }
}

/// Maps a serde error to the reason a person can act on.
pub(crate) fn reason_of(err: &serde_json::Error) -> RejectReason {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => RejectReason::InvalidJson,
        Category::Data if err.to_string().starts_with("missing field") => {
            RejectReason::MissingField
        }
        Category::Data => RejectReason::InvalidField,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(line: &[u8]) -> Option<RejectReason> {
        match parse_line(line, &LineContext::default()) {
            Parsed::Rejected(r) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn bad_bytes_are_classified() {
        assert_eq!(reason(b"\x00\x01\x02binary"), Some(RejectReason::Binary));
        assert_eq!(
            reason(b"{\"type\":\"user\",\"usage\":\"\xff\xfe\"}"),
            Some(RejectReason::InvalidUtf8)
        );
        // Lines without a marker are only checked for their shape, not parsed.
        assert_eq!(reason(b"{\"type\":\"user\",\"x\":\"\xff\xfe\"}"), None);
        assert_eq!(
            reason(b"{\"type\":\"assistant\",\"message\":{\"usage\":{"),
            Some(RejectReason::InvalidJson)
        );
        assert_eq!(reason(b"not json at all"), Some(RejectReason::InvalidJson));
        assert_eq!(reason(b"   \r"), None);
        assert_eq!(reason(b"{\"type\":\"summary\",\"summary\":\"x\"}"), None);
    }

    #[test]
    fn usage_in_no_known_format_is_visible() {
        let batch = br#"{"custom_id":"r1","result":{"type":"succeeded","message":{"usage":{"input_tokens":1}}}}"#;
        assert_eq!(reason(batch), Some(RejectReason::UnknownFormat));
        assert_eq!(
            reason(br#"{"usage":{"tokens":5}}"#),
            Some(RejectReason::UnknownFormat)
        );
        assert_eq!(
            reason(br#"{"usage":{"tokens":5},,}"#),
            Some(RejectReason::InvalidJson)
        );
        // Usage-like words in values or other keys are not usage.
        assert_eq!(reason(br#"{"type":"note","text":"usage"}"#), None);
        assert_eq!(reason(br#"{"total_token_usage":1}"#), None);
    }

    #[test]
    fn a_response_with_a_session_id_field_is_still_a_response() {
        let chat = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","sessionId":"s1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#;
        let message = br#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","sessionId":"s1","content":[],"stop_reason":"end_turn","usage":{"input_tokens":7,"output_tokens":3}}"#;
        // Another format's word in a value or a nested object: still a response.
        let user = br#"{"id":"chatcmpl-2","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","user":"tokentop","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":5,"total_tokens":16}}"#;
        let tool_input = br#"{"id":"msg_2","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"toolu_1","name":"emit","input":{"type":"message_start"}}],"stop_reason":"tool_use","usage":{"input_tokens":12,"output_tokens":3}}"#;
        let payload = br#"{"id":"resp_1","object":"response","created_at":1767225600,"model":"gpt-4o-mini","metadata":{"payload":"p","kind":"token_count"},"output":[],"usage":{"input_tokens":13,"output_tokens":2,"total_tokens":15}}"#;
        let event = br#"{"id":"chatcmpl-3","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","metadata":{"event":"turn.completed"},"choices":[],"usage":{"prompt_tokens":14,"completion_tokens":5,"total_tokens":19}}"#;
        let lines = [
            (&chat[..], 10),
            (&message[..], 7),
            (&user[..], 11),
            (&tool_input[..], 12),
            (&payload[..], 13),
            (&event[..], 14),
        ];
        for (line, input) in lines {
            match parse_line(line, &LineContext::default()) {
                Parsed::Event(e) => assert_eq!(e.tokens.input, input),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn negative_and_absurd_values_are_rejected_in_every_format() {
        let cc = |cost: &str, input: &str| {
            format!(
                r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T00:00:00Z","costUSD":{cost},"message":{{"id":"m","model":"claude-sonnet-4-5","usage":{{"input_tokens":{input},"output_tokens":1}}}}}}"#
            )
        };
        let own = |cost: &str, input: &str| {
            format!(
                r#"{{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","cost_usd":{cost},"tokens":{{"input":{input}}}}}"#
            )
        };
        let chat = |input: &str| {
            format!(
                r#"{{"id":"c","object":"chat.completion","created":1767225600,"model":"gpt-4o","choices":[],"usage":{{"prompt_tokens":{input},"completion_tokens":1}}}}"#
            )
        };
        let codex = |input: &str| {
            format!(
                r#"{{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"output_tokens":1}}}}}}}}"#
            )
        };
        // The cache writes split in two, each past the bound (their sum overflowed once).
        let message = |writes: &str| {
            format!(
                r#"{{"id":"m","type":"message","model":"claude-sonnet-4-5","content":[],"usage":{{"input_tokens":1,"output_tokens":1,"cache_creation":{{"ephemeral_5m_input_tokens":{writes},"ephemeral_1h_input_tokens":{writes}}}}}}}"#
            )
        };
        let litellm = |cost: &str, prompt: &str| {
            format!(
                r#"{{"id":"l","litellm_call_id":"l","status":"success","startTime":1767225600.0,"model":"gpt-4o","response_cost":{cost},"prompt_tokens":{prompt},"completion_tokens":1,"metadata":{{"user_api_key_alias":"k"}}}}"#
            )
        };
        let over = (plausible::MAX_TOKENS_PER_CLASS + 1).to_string();
        let cases = [
            (litellm("-0.5", "5"), Some(RejectReason::InvalidField)),
            (litellm("100001", "5"), Some(RejectReason::Implausible)),
            (litellm("0.5", "-5"), Some(RejectReason::InvalidField)),
            (litellm("0.5", &over), Some(RejectReason::Implausible)),
            (litellm("0.5", "5"), None),
            (cc("-1000", "5"), Some(RejectReason::InvalidField)),
            (cc("100001", "5"), Some(RejectReason::Implausible)),
            // JSON has no infinity: the reader refuses a number past f64's range.
            (cc("1e999", "5"), Some(RejectReason::InvalidJson)),
            (cc("0.5", "-5"), Some(RejectReason::InvalidField)),
            (cc("0.5", &over), Some(RejectReason::Implausible)),
            (cc("0.5", "10000000000"), None),
            (own("-1", "5"), Some(RejectReason::InvalidField)),
            (own("100001", "5"), Some(RejectReason::Implausible)),
            (
                own("1", &u64::MAX.to_string()),
                Some(RejectReason::Implausible),
            ),
            (chat(&over), Some(RejectReason::Implausible)),
            (chat("-3"), Some(RejectReason::InvalidField)),
            (
                message(&u64::MAX.to_string()),
                Some(RejectReason::Implausible),
            ),
            (codex(&over), Some(RejectReason::Implausible)),
            (codex("-3"), Some(RejectReason::InvalidField)),
            (codex("3"), None),
        ];
        for (line, want) in cases {
            assert_eq!(reason(line.as_bytes()), want, "{line}");
        }
    }

    #[test]
    fn over_long_lines_are_rejected() {
        let mut line = b"{\"usage\":\"".to_vec();
        line.resize(MAX_LINE_BYTES + 10, b'a');
        line.extend_from_slice(b"\"}");
        assert_eq!(reason(&line), Some(RejectReason::TooLong));
    }
}
