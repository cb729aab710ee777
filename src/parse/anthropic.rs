//! Anthropic Messages responses (`"type": "message"`) and streaming events, logged one per
//! line.
//!
//! Anthropic's `input_tokens` is already the uncached part; cache reads and writes are
//! separate (writes split into 5-minute and 1-hour by `cache_creation`), and
//! `output_tokens_details.thinking_tokens` is the reasoning inside `output_tokens`.
//!
//! A stream is `message_start` (id, model, first usage), `content_block_*` events, then
//! `message_delta` events whose usage is *cumulative*, then `message_stop`. Every
//! `message_start` and `message_delta` becomes a copy keyed by the message id with the usage
//! so far, and the engine keeps the largest copy: the last value, never a sum. The start is
//! counted too, so a stream cut short still counts its input. A `message_delta` with a
//! `stop_reason`, or the `message_stop`, marks the copy final. Tool calls come from the
//! `tool_use` blocks of `content_block_start` and ride on every later copy.

use std::borrow::Cow;

use serde::Deserialize;

use super::reply::{self, Reply, Texts, Who};
use super::{LineContext, Parsed, RejectReason, reason_of};
use crate::event::{Format, IdentityAttrs, Kind, Tokens, ToolCall};

const PROVIDER: &str = "anthropic";
/// Tool calls kept for one streamed message: bounded even for a hostile file.
const MAX_STREAM_TOOLS: usize = 1024;

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
struct OutputDetails {
    thinking_tokens: Option<u64>,
}

impl Usage {
    /// A later, cumulative usage: the fields it carries replace the ones known so far.
    fn overlay(&mut self, newer: Usage) {
        fn take<T>(old: &mut Option<T>, new: Option<T>) {
            if new.is_some() {
                *old = new;
            }
        }
        take(&mut self.input_tokens, newer.input_tokens);
        take(&mut self.output_tokens, newer.output_tokens);
        take(
            &mut self.cache_creation_input_tokens,
            newer.cache_creation_input_tokens,
        );
        take(
            &mut self.cache_read_input_tokens,
            newer.cache_read_input_tokens,
        );
        take(&mut self.cache_creation, newer.cache_creation);
        take(&mut self.output_tokens_details, newer.output_tokens_details);
    }

    fn tokens(&self) -> Result<Tokens, RejectReason> {
        let split = self.cache_creation.unwrap_or_default();
        let (five, hour) = (
            split.ephemeral_5m_input_tokens.unwrap_or(0),
            split.ephemeral_1h_input_tokens.unwrap_or(0),
        );
        // Older responses give only the total: all of it was 5-minute writes then.
        let writes = self
            .cache_creation_input_tokens
            .unwrap_or(five.saturating_add(hour));
        let hour = hour.min(writes);
        let output = self.output_tokens.unwrap_or(0);
        let reasoning = self
            .output_tokens_details
            .and_then(|d| d.thinking_tokens)
            .unwrap_or(0);
        if reasoning > output {
            return Err(RejectReason::InvalidField);
        }
        Ok(Tokens {
            input: self.input_tokens.unwrap_or(0),
            cache_read: self.cache_read_input_tokens.unwrap_or(0),
            cache_write_5m: writes - hour,
            cache_write_1h: hour,
            output,
            reasoning,
        })
    }
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Option<Vec<Block<'a>>>,
    #[serde(borrow)]
    stop_reason: Option<Cow<'a, str>>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    server_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    text: Option<Cow<'a, str>>,
}

impl Block<'_> {
    /// `tool_use` and `server_tool_use` blocks by name; MCP connector calls
    /// (`mcp_tool_use`) as `mcp__<server>__<tool>`.
    fn tool(&self) -> Option<ToolCall> {
        let name = self.name.as_deref()?;
        let name = match (self.kind.as_deref()?, self.server_name.as_deref()) {
            ("tool_use" | "server_tool_use", _) => name.to_string(),
            ("mcp_tool_use", Some(server)) => format!("mcp__{server}__{name}"),
            _ => return None,
        };
        Some(ToolCall::new(self.id.as_deref().map(str::to_string), name))
    }
}

/// Reads a complete `"type": "message"` object.
pub(crate) fn message(text: &str) -> Result<Reply<'_>, RejectReason> {
    let m: Message = serde_json::from_str(text).map_err(|e| reason_of(&e))?;
    let mut reply = Reply {
        provider: PROVIDER,
        format: Format::Anthropic,
        model: m.model,
        kind: Kind::Completion,
        tokens: m.usage.as_ref().map(Usage::tokens).transpose()?,
        tools: Vec::new(),
        time: None,
        user: None,
        id: m.id,
        final_copy: m.stop_reason.is_some(),
        text: Texts::default(),
    };
    for block in m.content.into_iter().flatten() {
        reply.tools.extend(block.tool());
        reply.text.0.extend(block.text);
    }
    Ok(reply)
}

/// The streamed message being read in one file.
#[derive(Debug)]
struct Current {
    id: String,
    model: String,
    usage: Usage,
    tools: Vec<ToolCall>,
    final_sent: bool,
}

/// Memory of the stream so far in one file: the message a `message_delta` belongs to.
#[derive(Debug, Default)]
pub struct Stream {
    current: Option<Current>,
}

#[derive(Deserialize)]
struct StreamLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
    usage: Option<Usage>,
    #[serde(borrow)]
    delta: Option<Delta<'a>>,
    #[serde(borrow)]
    content_block: Option<Block<'a>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    stop_reason: Option<Cow<'a, str>>,
}

/// The lines of a stream that this module reads (cheap test, before any parsing).
pub(super) fn may_be_stream_event(text: &str) -> bool {
    STREAM_EVENTS.iter().any(|quoted| text.contains(quoted))
}

/// The `type` of the stream events read here, quoted.
const STREAM_EVENTS: [&str; 4] = [
    "\"message_start\"",
    "\"message_delta\"",
    "\"message_stop\"",
    "\"content_block_start\"",
];

/// A stream event this module reads, by its top-level `type`.
pub(super) fn is_stream_event(kind: Option<&str>) -> bool {
    kind.is_some_and(|kind| {
        STREAM_EVENTS
            .iter()
            .any(|quoted| quoted.trim_matches('"') == kind)
    })
}

impl Stream {
    pub(super) fn parse(&mut self, text: &str, ctx: &LineContext) -> Parsed {
        let line: StreamLine = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        match line.kind.as_ref() {
            "message_start" => {
                let Some(m) = line.message else {
                    return Parsed::Rejected(RejectReason::MissingField);
                };
                let (Some(id), Some(model)) = (m.id, m.model) else {
                    return Parsed::Rejected(RejectReason::MissingField);
                };
                let tools = m.content.iter().flatten().filter_map(Block::tool);
                self.current = Some(Current {
                    id: id.into_owned(),
                    model: model.into_owned(),
                    usage: m.usage.unwrap_or_default(),
                    tools: tools.take(MAX_STREAM_TOOLS).collect(),
                    final_sent: false,
                });
                self.emit(ctx, false)
            }
            "content_block_start" => {
                let tool = line.content_block.as_ref().and_then(Block::tool);
                if let (Some(cur), Some(tool)) = (self.current.as_mut(), tool)
                    && cur.tools.len() < MAX_STREAM_TOOLS
                {
                    cur.tools.push(tool);
                }
                Parsed::NoUsage
            }
            "message_delta" => {
                // A delta with no start before it in this file belongs to no known message.
                let Some(cur) = self.current.as_mut() else {
                    return Parsed::Rejected(RejectReason::MissingField);
                };
                if let Some(usage) = line.usage {
                    cur.usage.overlay(usage);
                }
                let stopped = line.delta.is_some_and(|d| d.stop_reason.is_some());
                self.emit(ctx, stopped)
            }
            "message_stop" => {
                let unfinished = self.current.as_ref().is_some_and(|c| !c.final_sent);
                let parsed = if unfinished {
                    self.emit(ctx, true)
                } else {
                    Parsed::NoUsage
                };
                self.current = None;
                parsed
            }
            _ => Parsed::NoUsage,
        }
    }

    /// A copy of the current message with its usage so far.
    fn emit(&mut self, ctx: &LineContext, last: bool) -> Parsed {
        let Some(cur) = self.current.as_mut() else {
            return Parsed::NoUsage;
        };
        let tokens = match cur.usage.tokens() {
            Ok(tokens) => tokens,
            Err(reason) => return Parsed::Rejected(reason),
        };
        cur.final_sent |= last;
        let copy = Reply {
            provider: PROVIDER,
            format: Format::Anthropic,
            model: Some(Cow::Borrowed(cur.model.as_str())),
            kind: Kind::Completion,
            tokens: Some(tokens),
            tools: cur.tools.clone(),
            time: None,
            user: None,
            id: Some(Cow::Borrowed(cur.id.as_str())),
            final_copy: last,
            text: Texts::default(),
        };
        let (identity, identity_kind) = reply::identity(None, None, None, None, PROVIDER);
        let event = copy.into_event(Who {
            identity,
            identity_kind,
            attrs: IdentityAttrs::default(),
            provider: PROVIDER,
            format: None,
            time: None,
            ctx,
            tokens,
            estimated: false,
            latency_ms: None,
        });
        match event {
            Ok(event) => Parsed::Event(Box::new(event)),
            Err(reason) => Parsed::Rejected(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::parse::{LineParser, parse_line};

    const MESSAGE: &str = r#"{"id":"msg_017T","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"location":"SF"}},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}},{"type":"mcp_tool_use","id":"mcptoolu_1","name":"search","server_name":"gh","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":50,"cache_creation_input_tokens":10408,"cache_read_input_tokens":14265,"cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":408},"output_tokens":93,"output_tokens_details":{"thinking_tokens":40},"service_tier":"standard"}}"#;

    fn ctx() -> LineContext<'static> {
        LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 7,
        }
    }

    fn event(parsed: Parsed) -> Event {
        match parsed {
            Parsed::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn message_is_normalized() {
        let e = event(parse_line(MESSAGE.as_bytes(), &ctx()));
        assert_eq!(e.format, Format::Anthropic);
        assert_eq!(e.identity, "anthropic:unknown");
        assert_eq!((e.time, e.flags.time_from_read), (7, true));
        assert!(e.flags.final_copy);
        let t = e.tokens;
        assert_eq!((t.input, t.cache_read), (50, 14265));
        assert_eq!((t.cache_write_5m, t.cache_write_1h), (10000, 408));
        assert_eq!((t.output, t.reasoning), (93, 40));
        let names: Vec<&str> = e.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["get_weather", "web_search", "mcp__gh__search"]);
        assert_eq!(e.dedup_key, Some("msg_017T".into()));
    }

    #[test]
    fn stream_copies_carry_the_cumulative_usage() {
        let lines = [
            r#"{"type":"message_start","message":{"id":"msg_S","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":25,"cache_read_input_tokens":100,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_S","name":"Bash","input":{}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":30}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":25,"output_tokens":42}}"#,
            r#"{"type":"message_stop"}"#,
        ];
        let mut parser = LineParser::default();
        let parsed: Vec<Parsed> = lines
            .iter()
            .map(|l| parser.parse(l.as_bytes(), &ctx()))
            .collect();
        let outputs: Vec<Option<(u64, u64, bool, usize)>> = parsed
            .iter()
            .map(|p| match p {
                Parsed::Event(e) => Some((
                    e.tokens.output,
                    e.tokens.cache_read,
                    e.flags.final_copy,
                    e.tools.len(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            outputs,
            vec![
                Some((1, 100, false, 0)),
                None,
                None,
                Some((30, 100, false, 1)),
                Some((42, 100, true, 1)),
                None
            ],
            "the stop adds nothing once a delta was final"
        );
        // Without a final delta, the stop line sends the final copy.
        let mut parser = LineParser::default();
        parser.parse(lines[0].as_bytes(), &ctx());
        parser.parse(lines[3].as_bytes(), &ctx());
        let stop = event(parser.parse(lines[5].as_bytes(), &ctx()));
        assert!(stop.flags.final_copy);
        assert_eq!(stop.tokens.output, 30);
        assert_eq!(stop.dedup_key, Some("msg_S".into()));
        // A delta with no start in this file cannot be attributed.
        assert_eq!(
            parser.parse(lines[3].as_bytes(), &ctx()),
            Parsed::Rejected(RejectReason::MissingField)
        );
    }
}
