//! OpenAI response objects logged one per line: Chat Completions (`chat.completion`, and the
//! last `chat.completion.chunk` of a stream asked for `include_usage`), the Responses API
//! (`response`, and the `response.completed` / `.incomplete` / `.failed` stream events that
//! carry one) and Embeddings (`list`).
//!
//! OpenAI's prompt count includes cache reads (and the new cache writes) and its output
//! count includes reasoning: both are split into the disjoint classes of [`Tokens`].
//!
//! Tool calls: `choices[].message.tool_calls[]` (function or custom) for chat; for responses,
//! every output item whose type ends in `_call`: `function_call` / `custom_tool_call` by name,
//! built-in tools (`web_search_call`, `file_search_call`, ...) by their type. Built-in calls
//! stay tool calls of a completion (kind `completion`): the usage is the model's, and kind
//! `tool` is for records whose usage is a tool's own.

use std::borrow::Cow;

use serde::Deserialize;

use super::reply::{Reply, Texts, call_item, openai_tokens, unix_seconds};
use super::{RejectReason, reason_of};
use crate::event::{Format, Kind, Tokens, ToolCall};

const PROVIDER: &str = "openai";

/// The OpenAI object types this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Object {
    Chat,
    Response,
    /// A Responses API stream event whose `response` carries the usage.
    ResponseEvent,
    Embeddings,
}

impl Object {
    pub(crate) fn detect(object: Option<&str>, kind: Option<&str>) -> Option<Object> {
        match (object, kind) {
            (Some("chat.completion" | "chat.completion.chunk"), _) => Some(Object::Chat),
            (Some("response"), _) => Some(Object::Response),
            (Some("list"), _) => Some(Object::Embeddings),
            (_, Some("response.completed" | "response.incomplete" | "response.failed")) => {
                Some(Object::ResponseEvent)
            }
            _ => None,
        }
    }

    pub(crate) fn read(self, text: &str) -> Result<Reply<'_>, RejectReason> {
        let reply = match self {
            Object::Chat => serde_json::from_str::<Chat>(text).map(Chat::reply),
            Object::Response => serde_json::from_str::<Response>(text).map(Response::reply),
            Object::ResponseEvent => {
                serde_json::from_str::<ResponseEvent>(text).map(|e| e.response.reply())
            }
            Object::Embeddings => serde_json::from_str::<Embeddings>(text).map(Embeddings::reply),
        };
        reply.map_err(|e| reason_of(&e))?
    }
}

fn reply<'a>(model: Option<Cow<'a, str>>, kind: Kind) -> Reply<'a> {
    Reply {
        provider: PROVIDER,
        format: Format::OpenAi,
        model,
        kind,
        tokens: None,
        tools: Vec::new(),
        time: None,
        user: None,
        id: None,
        final_copy: true,
        text: Texts::default(),
    }
}

#[derive(Deserialize)]
struct Chat<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    created: Option<f64>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    choices: Option<Vec<Choice<'a>>>,
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow)]
    message: Option<ChatMessage<'a>>,
}

#[derive(Deserialize)]
struct ChatMessage<'a> {
    #[serde(default, borrow)]
    content: Texts<'a>,
    #[serde(borrow)]
    tool_calls: Option<Vec<ChatToolCall<'a>>>,
}

#[derive(Deserialize)]
struct ChatToolCall<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    function: Option<Named<'a>>,
    #[serde(borrow)]
    custom: Option<Named<'a>>,
}

/// `function: {name, arguments}` or `custom: {name, input}`.
#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "input")]
    arguments: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ChatUsage {
    prompt_tokens: u64,
    completion_tokens: Option<u64>,
    prompt_tokens_details: Option<InputDetails>,
    completion_tokens_details: Option<OutputDetails>,
}

/// `prompt_tokens_details` (chat) and `input_tokens_details` (responses).
#[derive(Deserialize)]
struct InputDetails {
    cached_tokens: Option<u64>,
    cache_write_tokens: Option<u64>,
}

/// `completion_tokens_details` (chat) and `output_tokens_details` (responses).
#[derive(Deserialize)]
struct OutputDetails {
    reasoning_tokens: Option<u64>,
}

fn tokens(
    input: u64,
    input_details: Option<InputDetails>,
    output: u64,
    output_details: Option<OutputDetails>,
) -> Result<Tokens, RejectReason> {
    let (cached, cache_write) = input_details.map_or((0, 0), |d| {
        (
            d.cached_tokens.unwrap_or(0),
            d.cache_write_tokens.unwrap_or(0),
        )
    });
    let reasoning = output_details.and_then(|d| d.reasoning_tokens).unwrap_or(0);
    openai_tokens(input, cached, cache_write, output, reasoning)
}

impl<'a> Chat<'a> {
    fn reply(self) -> Result<Reply<'a>, RejectReason> {
        let mut reply = reply(self.model, Kind::Completion);
        reply.time = self.created.map(unix_seconds).transpose()?;
        reply.user = self.user;
        reply.id = self.id;
        if let Some(u) = self.usage {
            let output = u.completion_tokens.unwrap_or(0);
            reply.tokens = Some(tokens(
                u.prompt_tokens,
                u.prompt_tokens_details,
                output,
                u.completion_tokens_details,
            )?);
        }
        for message in self.choices.into_iter().flatten().filter_map(|c| c.message) {
            reply.text.0.extend(message.content.0);
            for call in message.tool_calls.into_iter().flatten() {
                let Some(named) = call.function.or(call.custom) else {
                    continue;
                };
                reply.text.0.extend(named.arguments);
                if let Some(name) = named.name {
                    let id = call.id.map(Cow::into_owned);
                    reply.tools.push(ToolCall::new(id, name.into_owned()));
                }
            }
        }
        Ok(reply)
    }
}

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    created_at: Option<f64>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow)]
    output: Option<Vec<OutputItem<'a>>>,
    usage: Option<ResponseUsage>,
}

#[derive(Deserialize)]
struct ResponseEvent<'a> {
    #[serde(borrow)]
    response: Response<'a>,
}

#[derive(Deserialize)]
struct OutputItem<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    server_label: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "input")]
    arguments: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    content: Texts<'a>,
}

#[derive(Deserialize)]
struct ResponseUsage {
    input_tokens: u64,
    input_tokens_details: Option<InputDetails>,
    output_tokens: Option<u64>,
    output_tokens_details: Option<OutputDetails>,
}

impl<'a> Response<'a> {
    fn reply(self) -> Result<Reply<'a>, RejectReason> {
        let mut reply = reply(self.model, Kind::Completion);
        reply.time = self.created_at.map(unix_seconds).transpose()?;
        reply.user = self.user;
        reply.id = self.id;
        reply.final_copy = !matches!(self.status.as_deref(), Some("in_progress" | "queued"));
        if let Some(u) = self.usage {
            let output = u.output_tokens.unwrap_or(0);
            reply.tokens = Some(tokens(
                u.input_tokens,
                u.input_tokens_details,
                output,
                u.output_tokens_details,
            )?);
        }
        for item in self.output.into_iter().flatten() {
            reply.text.0.extend(item.content.0);
            let Some(kind) = item.kind.as_deref() else {
                continue;
            };
            let id = item.call_id.as_deref().or(item.id.as_deref());
            let call = call_item(kind, item.name.as_deref(), item.server_label.as_deref(), id);
            if let Some(call) = call {
                reply.text.0.extend(item.arguments);
                reply.tools.push(call);
            }
        }
        Ok(reply)
    }
}

#[derive(Deserialize)]
struct Embeddings<'a> {
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<EmbeddingUsage>,
}

#[derive(Deserialize)]
struct EmbeddingUsage {
    prompt_tokens: u64,
}

impl<'a> Embeddings<'a> {
    fn reply(self) -> Result<Reply<'a>, RejectReason> {
        let mut reply = reply(self.model, Kind::Embedding);
        reply.tokens = self.usage.map(|u| Tokens {
            input: u.prompt_tokens,
            ..Tokens::default()
        });
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, IdentityKind};
    use crate::parse::{LineContext, Parsed, parse_line};

    const CHAT: &str = r#"{"id":"chatcmpl-abc123","object":"chat.completion","created":1699896916,"model":"gpt-4o-mini","user":"alice","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_abc123","type":"function","function":{"name":"get_current_weather","arguments":"{}"}},{"id":"call_c","type":"custom","custom":{"name":"grep","input":"x"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0,"cache_write_tokens":8},"completion_tokens_details":{"reasoning_tokens":5}}}"#;

    const RESPONSE: &str = r#"{"id":"resp_67ca","object":"response","created_at":1741294021,"status":"completed","model":"gpt-5.4","output":[{"type":"reasoning","id":"rs_1","summary":[]},{"type":"function_call","id":"fc_1","call_id":"call_un","name":"get_current_weather","arguments":"{}","status":"completed"},{"type":"web_search_call","id":"ws_1","status":"completed"},{"type":"message","id":"msg_1","content":[{"type":"output_text","text":"Sunny."}]}],"usage":{"input_tokens":291,"input_tokens_details":{"cached_tokens":200},"output_tokens":23,"output_tokens_details":{"reasoning_tokens":7},"total_tokens":314},"user":null}"#;

    fn event(line: &str) -> Event {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 42,
        };
        match parse_line(line.as_bytes(), &ctx) {
            Parsed::Event(e) => *e,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[test]
    fn chat_completion_is_normalized() {
        let e = event(CHAT);
        assert_eq!(e.format, Format::OpenAi);
        assert_eq!(e.provider, "openai");
        assert_eq!(e.identity, "alice");
        assert_eq!(e.identity_kind, IdentityKind::Unknown);
        assert_eq!(e.time, 1_699_896_916_000);
        assert!(!e.flags.time_from_read && e.flags.final_copy);
        let t = e.tokens;
        assert_eq!((t.input, t.cache_read, t.cache_write_5m), (10, 64, 8));
        assert_eq!((t.output, t.reasoning), (17, 5));
        let tools: Vec<(&str, Option<&str>)> = e
            .tools
            .iter()
            .map(|t| (t.name.as_str(), t.id.as_deref()))
            .collect();
        assert_eq!(
            tools,
            vec![
                ("get_current_weather", Some("call_abc123")),
                ("grep", Some("call_c"))
            ]
        );
        assert_eq!(e.dedup_key, Some("chatcmpl-abc123".into()));
    }

    #[test]
    fn responses_object_and_its_stream_event() {
        let e = event(RESPONSE);
        assert_eq!(e.identity, "openai:unknown", "user is null");
        assert_eq!(e.time, 1_741_294_021_000);
        let t = e.tokens;
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (91, 200, 23, 7)
        );
        let names: Vec<&str> = e.tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["get_current_weather", "web_search"]);
        assert_eq!(e.tools[0].id.as_deref(), Some("call_un"));
        let wrapped =
            format!(r#"{{"type":"response.completed","sequence_number":9,"response":{RESPONSE}}}"#);
        assert_eq!(event(&wrapped), e);
    }

    #[test]
    fn embeddings_have_no_time_of_their_own() {
        let line = r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;
        let e = event(line);
        assert_eq!(e.kind, Kind::Embedding);
        assert_eq!(e.tokens.input, 8);
        assert_eq!(e.tokens.total(), 8);
        assert_eq!((e.time, e.flags.time_from_read), (42, true));
    }

    #[test]
    fn objects_without_usage_and_broken_ones() {
        let ctx = LineContext::default();
        let chunk = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"content":"hi"}}],"usage":null}"#;
        assert_eq!(parse_line(chunk.as_bytes(), &ctx), Parsed::NoUsage);
        let cases = [
            (
                CHAT.replace(r#""prompt_tokens":82,"#, ""),
                RejectReason::MissingField,
            ),
            (
                CHAT.replace(r#""cached_tokens":64"#, r#""cached_tokens":640"#),
                RejectReason::InvalidField,
            ),
            (
                RESPONSE.replace(r#""reasoning_tokens":7"#, r#""reasoning_tokens":70"#),
                RejectReason::InvalidField,
            ),
            (CHAT.replace("1699896916", "-5"), RejectReason::InvalidField),
            (
                RESPONSE.replace(r#""model":"gpt-5.4","#, ""),
                RejectReason::MissingField,
            ),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_line(line.as_bytes(), &ctx),
                Parsed::Rejected(want),
                "{line}"
            );
        }
    }
}
