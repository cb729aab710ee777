//! Codex CLI: session rollouts (`~/.codex/sessions/**/rollout-*.jsonl`, lines
//! `{"timestamp", "type", "payload"}`) and the `codex exec --json` event stream.
//!
//! A rollout's `token_count` events carry the session's *cumulative* usage, and Codex writes
//! the same count more than once: each event counts the growth of the cumulative counter
//! since the previous count in the same file (summing `last_token_usage` overcounts, as peer
//! tools found). Session id, working folder and model come from earlier lines and are kept
//! in [`State`]; tool calls (`response_item` calls) ride on the next count.
//!
//! Counts are OpenAI-style: `input_tokens` includes `cached_input_tokens` and
//! `output_tokens` includes `reasoning_output_tokens`.

use std::borrow::Cow;

use serde::Deserialize;

use super::reply::{call_item, openai_tokens};
use super::{LineContext, Parsed, RejectReason, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, Running, TimeMs, Tokens,
    ToolCall,
};
use crate::timefmt::parse_rfc3339_ms;

/// The identity of usage whose session folder is unknown (file read from the middle, or
/// `codex exec --json`, which names no folder).
const FALLBACK_IDENTITY: &str = "codex";
/// The model of counts no `turn_context` named: unpriced, never guessed.
const UNKNOWN_MODEL: &str = "unknown";
/// Tool calls held for the next count: bounded even for a file of calls and no counts.
const MAX_PENDING_TOOLS: usize = 1024;

/// Memory of one rollout (or exec stream) so far.
#[derive(Debug, Default)]
pub struct State {
    session: Option<String>,
    /// The folder from `session_meta`, which wins over the per-turn one.
    meta_cwd: Option<String>,
    turn_cwd: Option<String>,
    model: Option<String>,
    /// The last cumulative count seen.
    total: Counts,
    tools: Vec<ToolCall>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
struct Counts {
    input_tokens: u64,
    cached_input_tokens: u64,
    output_tokens: u64,
    reasoning_output_tokens: u64,
}

impl Counts {
    /// The growth since `prev`; a counter that went down was reset, so all of it is new.
    fn since(self, prev: Counts) -> Counts {
        let grew = self.input_tokens >= prev.input_tokens
            && self.cached_input_tokens >= prev.cached_input_tokens
            && self.output_tokens >= prev.output_tokens
            && self.reasoning_output_tokens >= prev.reasoning_output_tokens;
        if !grew {
            return self;
        }
        Counts {
            input_tokens: self.input_tokens - prev.input_tokens,
            cached_input_tokens: self.cached_input_tokens - prev.cached_input_tokens,
            output_tokens: self.output_tokens - prev.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens - prev.reasoning_output_tokens,
        }
    }

    fn tokens(self) -> Result<Tokens, RejectReason> {
        openai_tokens(
            self.input_tokens,
            self.cached_input_tokens,
            0,
            self.output_tokens,
            self.reasoning_output_tokens,
        )
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    payload: Option<Payload<'a>>,
}

/// The payload fields of every line type read here (each type uses a few).
#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    info: Option<Info<'a>>,
}

#[derive(Deserialize)]
struct Info<'a> {
    total_token_usage: Option<Counts>,
    /// The latest response's own counts: with the session, what its OTel `sse_event`
    /// carries too.
    last_token_usage: Option<Counts>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
}

/// A `codex exec --json` event.
#[derive(Deserialize)]
struct ExecLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    thread_id: Option<Cow<'a, str>>,
    usage: Option<Counts>,
}

/// The words every rollout line worth parsing holds (cheap test, before any parsing):
/// metadata, counts, and tool-call items. Other `response_item` lines (messages,
/// reasoning, call outputs) are most of the bytes.
pub(super) fn may_be_rollout_line(text: &str) -> bool {
    if !text.contains("\"payload\"") {
        return false;
    }
    let has = |marker: &str| text.contains(marker);
    has("\"session_meta\"")
        || has("\"turn_context\"")
        || has("\"token_count\"")
        || (has("\"response_item\"") && CALLS.iter().any(|quoted| has(quoted)))
}

/// The `payload.type` of the `response_item` lines read here (tool calls), quoted.
const CALLS: [&str; 4] = [
    "\"function_call\"",
    "\"custom_tool_call\"",
    "\"local_shell_call\"",
    "\"web_search_call\"",
];

/// A rollout line worth parsing, by its top-level `type` and `payload.type` (the line
/// has a `payload`).
pub(super) fn is_rollout(kind: Option<&str>, payload_kind: Option<&str>) -> bool {
    match (kind, payload_kind) {
        (Some("session_meta" | "turn_context"), _) => true,
        (Some("event_msg"), Some("token_count")) => true,
        (Some("response_item"), Some(call)) => {
            CALLS.iter().any(|quoted| quoted.trim_matches('"') == call)
        }
        _ => false,
    }
}

/// The words of the `codex exec --json` lines worth parsing (cheap test).
pub(super) fn may_be_exec_line(text: &str) -> bool {
    text.contains("\"turn.completed\"") || text.contains("\"thread.started\"")
}

/// A `codex exec --json` line worth parsing, by its top-level `type`.
pub(super) fn is_exec(kind: Option<&str>) -> bool {
    matches!(kind, Some("turn.completed" | "thread.started"))
}

/// The key of one Codex response that its rollout `token_count` (session id and
/// `last_token_usage`) and its OTel `codex.sse_event` (`conversation.id`, the same id, and
/// the response's `input`, `cached`, `output` and `reasoning` token counts, which Codex
/// takes from the same usage) both give. Codex names no response id in either. Within one
/// session every response reads the whole conversation so far, so its input (cached
/// included) grows from one response to the next: two responses of a session with all four
/// counts equal, which this key would count once, do not occur in practice.
pub fn response_key(session: &str, [input, cached, output, reasoning]: [u64; 4]) -> DedupKey {
    let key = format!("codex-response:{session}:{input}:{cached}:{output}:{reasoning}");
    DedupKey::from(key.as_str())
}

fn owned(s: Option<Cow<'_, str>>) -> Option<String> {
    s.map(Cow::into_owned)
}

impl State {
    pub(super) fn parse_rollout(&mut self, text: &str, ctx: &LineContext) -> Parsed {
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let Some(p) = line.payload else {
            return Parsed::Rejected(RejectReason::MissingField);
        };
        match (line.kind.as_ref(), p.kind.as_deref()) {
            ("session_meta", _) => {
                let session = owned(p.id);
                if self.session.is_some() && session != self.session {
                    // Another session's counter starts from zero.
                    self.total = Counts::default();
                }
                self.session = session;
                self.meta_cwd = owned(p.cwd);
                Parsed::NoUsage
            }
            ("turn_context", _) => {
                self.model = owned(p.model).or(self.model.take());
                self.turn_cwd = owned(p.cwd).or(self.turn_cwd.take());
                Parsed::NoUsage
            }
            ("event_msg", Some("token_count")) => {
                // `info: null`: a rate-limit update with no usage.
                let Some(info) = p.info else {
                    return Parsed::NoUsage;
                };
                let Some(total) = info.total_token_usage else {
                    return Parsed::Rejected(RejectReason::MissingField);
                };
                let time = match line.timestamp.as_deref().map(parse_rfc3339_ms) {
                    Some(Some(time)) => Some(time),
                    Some(None) => return Parsed::Rejected(RejectReason::InvalidField),
                    None => None,
                };
                self.count(total, info.last_token_usage, time, owned(info.model), ctx)
            }
            ("response_item", Some(kind)) => {
                let id = p.call_id.as_deref().or(p.id.as_deref());
                if let Some(call) = call_item(kind, p.name.as_deref(), None, id)
                    && self.tools.len() < MAX_PENDING_TOOLS
                {
                    self.tools.push(call);
                }
                Parsed::NoUsage
            }
            _ => Parsed::NoUsage,
        }
    }

    pub(super) fn parse_exec(&mut self, text: &str, ctx: &LineContext) -> Parsed {
        let line: ExecLine = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        match line.kind.as_ref() {
            "thread.started" => {
                self.session = owned(line.thread_id);
                Parsed::NoUsage
            }
            "turn.completed" => {
                // Per-turn counts, not cumulative: each turn counts as it is.
                let Some(usage) = line.usage else {
                    return Parsed::Rejected(RejectReason::MissingField);
                };
                match usage.tokens() {
                    Ok(tokens) => self.event(tokens, None, None, None, ctx),
                    Err(reason) => Parsed::Rejected(reason),
                }
            }
            _ => Parsed::NoUsage,
        }
    }

    /// One cumulative count: the growth since the last one, or nothing if it did not grow.
    /// `last` is the latest response's own counts, when the line has them.
    fn count(
        &mut self,
        total: Counts,
        last: Option<Counts>,
        time: Option<TimeMs>,
        model: Option<String>,
        ctx: &LineContext,
    ) -> Parsed {
        if total == self.total {
            return Parsed::NoUsage;
        }
        let (tokens, cumulative) = match (total.since(self.total).tokens(), total.tokens()) {
            (Ok(tokens), Ok(cumulative)) => (tokens, cumulative),
            (Err(reason), _) | (_, Err(reason)) => return Parsed::Rejected(reason),
        };
        self.total = total;
        // The same count read from two copies of a rollout is one count, and so is the
        // response's OTel `sse_event` when the line names the response's own counts.
        let key = self.session.as_deref().map(|s| match last {
            Some(last) => response_key(
                s,
                [
                    last.input_tokens,
                    last.cached_input_tokens,
                    last.output_tokens,
                    last.reasoning_output_tokens,
                ],
            ),
            None => {
                let key = format!("codex:{s}:{}:{}", total.input_tokens, total.output_tokens);
                DedupKey::from(key.as_str())
            }
        });
        let mut parsed = self.event(tokens, time, model, key, ctx);
        // Within a named session the engine counts against the session's running maximum:
        // a rollout copied from mid-session then adds nothing before the copy point again.
        if let Parsed::Event(event) = &mut parsed
            && let Some(session) = &self.session
        {
            event.cumulative = Some(Running {
                series: DedupKey::of(&["codex:", session]),
                total: cumulative,
            });
        }
        parsed
    }

    /// The who and when of a rollout line without usage (a message, a call's output), as
    /// an event that counts nothing ([`Flags::no_usage`]): the session's folder and id so
    /// far. `None` for a line that is no rollout line.
    pub(super) fn carrier(&self, text: &str, ctx: &LineContext) -> Option<Event> {
        let line: Line = serde_json::from_str(text).ok()?;
        line.payload.as_ref()?;
        let time = line.timestamp.as_deref().and_then(parse_rfc3339_ms);
        let cwd = self.meta_cwd.as_ref().or(self.turn_cwd.as_ref());
        let attrs = IdentityAttrs {
            project: cwd.cloned(),
            session: self.session.clone(),
            ..IdentityAttrs::default()
        };
        let identity = cwd.map_or(FALLBACK_IDENTITY, String::as_str).to_string();
        Some(Event::carrier(
            time,
            ctx.read_time,
            identity,
            attrs,
            Format::Codex,
            "openai",
        ))
    }

    fn event(
        &mut self,
        tokens: Tokens,
        time: Option<TimeMs>,
        model: Option<String>,
        dedup_key: Option<DedupKey>,
        ctx: &LineContext,
    ) -> Parsed {
        let cwd = self.meta_cwd.as_ref().or(self.turn_cwd.as_ref());
        Parsed::Event(Box::new(Event {
            time: time.unwrap_or(ctx.read_time),
            identity: cwd.map_or(FALLBACK_IDENTITY, String::as_str).to_string(),
            identity_kind: IdentityKind::Agent,
            attrs: IdentityAttrs {
                project: cwd.cloned(),
                session: self.session.clone(),
                ..IdentityAttrs::default()
            },
            format: Format::Codex,
            provider: "openai".to_string(),
            model: model
                .or_else(|| self.model.clone())
                .unwrap_or_else(|| UNKNOWN_MODEL.to_string()),
            kind: Kind::Completion,
            tokens,
            tools: std::mem::take(&mut self.tools),
            dedup_key,
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            origin: None,
            line: None,
            secrets: None,
            flags: Flags {
                final_copy: true,
                time_from_read: time.is_none(),
                ..Flags::default()
            },
        }))
    }
}

#[cfg(test)]
mod tests {
    //! No real third-party Codex rollout with usage exists in public repositories: these
    //! lines are written from the documented shape (shared/reference/agent-logs.md).
    use super::*;
    use crate::parse::testing::parse_in_order;

    fn count_line(input: u64, cached: u64, output: u64, reasoning: u64) -> String {
        format!(
            r#"{{"timestamp":"2025-10-01T10:00:05.000Z","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"reasoning_output_tokens":{reasoning},"total_tokens":{}}},"last_token_usage":{{"input_tokens":{input},"cached_input_tokens":{cached},"output_tokens":{output},"reasoning_output_tokens":{reasoning},"total_tokens":{}}},"model_context_window":272000}},"rate_limits":null}}}}"#,
            input + output,
            input + output
        )
    }

    const META: &str = r#"{"timestamp":"2025-10-01T10:00:00.000Z","type":"session_meta","payload":{"id":"sess-1","timestamp":"2025-10-01T10:00:00.000Z","cwd":"/home/dev/api","originator":"codex_cli_rs","cli_version":"0.46.0","instructions":null}}"#;
    const TURN: &str = r#"{"timestamp":"2025-10-01T10:00:01.000Z","type":"turn_context","payload":{"cwd":"/home/dev/api/sub","approval_policy":"on-request","sandbox_policy":{"type":"workspace-write"},"model":"gpt-5-codex","effort":"medium","summary":"auto"}}"#;
    const CALL: &str = r#"{"timestamp":"2025-10-01T10:00:03.000Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"ls\"]}","call_id":"call_1"}}"#;

    fn run(lines: &[&str]) -> Vec<Parsed> {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 99,
        };
        parse_in_order(lines, &ctx)
    }

    fn events(parsed: Vec<Parsed>) -> Vec<Event> {
        parsed
            .into_iter()
            .filter_map(|p| match p {
                Parsed::Event(e) => Some(*e),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn counts_are_deltas_of_the_cumulative_total() {
        let first = count_line(1000, 600, 100, 40);
        let again = count_line(1000, 600, 100, 40);
        let second = count_line(1500, 1000, 130, 40);
        let parsed = run(&[META, TURN, CALL, &first, &again, &second]);
        assert_eq!(
            parsed[4],
            Parsed::NoUsage,
            "a re-emitted count adds nothing"
        );
        let e = events(parsed);
        assert_eq!(e.len(), 2);
        let t = e[0].tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (400, 600, 100, 40)
        );
        let t = e[1].tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (100, 400, 30, 0)
        );
        assert_eq!(e[0].identity, "/home/dev/api", "session_meta's folder wins");
        assert_eq!(e[0].identity_kind, IdentityKind::Agent);
        assert_eq!(e[0].model, "gpt-5-codex");
        assert_eq!(e[0].attrs.session.as_deref(), Some("sess-1"));
        assert_eq!(e[0].format, Format::Codex);
        assert_eq!(e[0].tools.len(), 1, "the call rides on the next count");
        assert_eq!(e[0].tools[0].id.as_deref(), Some("call_1"));
        assert!(e[1].tools.is_empty());
        // Keyed by the response's own counts, as its OTel `sse_event` is.
        assert_eq!(
            e[0].dedup_key,
            Some(response_key("sess-1", [1000, 600, 100, 40]))
        );
        let no_last = first.replace(r#""last_token_usage""#, r#""other_usage""#);
        let e = events(run(&[META, &no_last]));
        assert_eq!(e[0].dedup_key, Some("codex:sess-1:1000:100".into()));
        assert!(!e[0].flags.time_from_read);
    }

    #[test]
    fn a_file_joined_midway_still_counts() {
        let info_null = r#"{"timestamp":"2025-10-01T10:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{"primary":{"used_percent":3.0}}}}"#;
        let parsed = run(&[
            info_null,
            &count_line(300, 0, 20, 0),
            &count_line(200, 0, 10, 0),
        ]);
        assert_eq!(parsed[0], Parsed::NoUsage);
        let e = events(parsed);
        assert_eq!(e[0].identity, "codex");
        assert_eq!(e[0].model, "unknown");
        assert_eq!(e[0].tokens.input, 300);
        assert_eq!(e[1].tokens.input, 200, "a counter that went down was reset");
        assert_eq!(e[0].dedup_key, None);
    }

    #[test]
    fn exec_json_turns_count_as_they_are() {
        let started = r#"{"type":"thread.started","thread_id":"0199a213"}"#;
        let turn = r#"{"type":"turn.completed","usage":{"input_tokens":24763,"cached_input_tokens":24448,"output_tokens":122,"reasoning_output_tokens":64}}"#;
        let e = events(run(&[started, turn, turn]));
        assert_eq!(e.len(), 2);
        let t = e[1].tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (315, 24448, 122, 64)
        );
        assert_eq!((e[0].time, e[0].flags.time_from_read), (99, true));
        assert_eq!(e[0].attrs.session.as_deref(), Some("0199a213"));
    }

    #[test]
    fn broken_counts_are_rejected() {
        let parsed = run(&[
            &count_line(10, 20, 0, 0),
            &count_line(10, 0, 1, 0).replace("2025-10-01T10:00:05.000Z", "noon"),
            r#"{"type":"turn.completed"}"#,
        ]);
        assert_eq!(parsed[0], Parsed::Rejected(RejectReason::InvalidField));
        assert_eq!(parsed[1], Parsed::Rejected(RejectReason::InvalidField));
        assert_eq!(parsed[2], Parsed::Rejected(RejectReason::MissingField));
    }
}
