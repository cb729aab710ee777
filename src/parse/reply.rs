//! A provider's reply to one request (an OpenAI or Anthropic response object), read into
//! what it says about the request before the identity is decided: a bare logged object and
//! the wrapper both go through here, so both normalize alike.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{LineContext, Parsed, RejectReason, anthropic, openai, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
};

/// One response object, read.
pub(crate) struct Reply<'a> {
    pub provider: &'static str,
    pub format: Format,
    pub model: Option<Cow<'a, str>>,
    pub kind: Kind,
    /// `None` when the object reports no counts (`usage` missing or null).
    pub tokens: Option<Tokens>,
    pub tools: Vec<ToolCall>,
    pub time: Option<TimeMs>,
    /// OpenAI's end-user field, an identity of last resort.
    pub user: Option<Cow<'a, str>>,
    /// The provider's response id: copies of one response count once.
    pub id: Option<Cow<'a, str>>,
    pub final_copy: bool,
    /// Generated text, used only to estimate counts the object does not report.
    pub text: Texts<'a>,
}

/// What a line holding `"usage"` is, from its top-level `object` / `type` / `message`.
pub(crate) enum Shape {
    ClaudeCode,
    OpenAi(openai::Object),
    AnthropicMessage,
    Unknown,
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow)]
    object: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    message: Option<IgnoredAny>,
}

/// Reads only the keys that tell the formats apart (the rest is skipped, not copied).
pub(crate) fn shape(text: &str) -> Result<Shape, RejectReason> {
    let probe: Probe = serde_json::from_str(text).map_err(|e| reason_of(&e))?;
    if let Some(object) = openai::Object::detect(probe.object.as_deref(), probe.kind.as_deref()) {
        return Ok(Shape::OpenAi(object));
    }
    Ok(match (probe.kind.as_deref(), probe.message) {
        (Some("message"), _) => Shape::AnthropicMessage,
        (_, Some(_)) => Shape::ClaudeCode,
        _ => Shape::Unknown,
    })
}

/// Reads a response object of any known shape; anything else is `UnknownFormat`.
pub(crate) fn read(text: &str) -> Result<Reply<'_>, RejectReason> {
    match shape(text)? {
        Shape::OpenAi(object) => object.read(text),
        Shape::AnthropicMessage => anthropic::message(text),
        Shape::ClaudeCode | Shape::Unknown => Err(RejectReason::UnknownFormat),
    }
}

/// A response object logged on its own line: no identity but OpenAI's `user`, and no time
/// unless the object has one (then the read time, flagged).
pub(crate) fn bare(text: &str, ctx: &LineContext) -> Parsed {
    let reply = match read(text) {
        Ok(reply) => reply,
        Err(reason) => return Parsed::Rejected(reason),
    };
    let Some(tokens) = reply.tokens else {
        return Parsed::NoUsage;
    };
    let (identity, identity_kind) =
        identity(None, None, None, reply.user.as_deref(), reply.provider);
    let attrs = IdentityAttrs {
        user: reply.user.as_deref().map(str::to_string),
        ..IdentityAttrs::default()
    };
    let provider = reply.provider;
    match reply.into_event(Who {
        identity,
        identity_kind,
        attrs,
        provider,
        format: None,
        time: None,
        ctx,
        tokens,
        estimated: false,
        latency_ms: None,
    }) {
        Ok(event) => Parsed::Event(Box::new(event)),
        Err(reason) => Parsed::Rejected(reason),
    }
}

/// What the caller adds to a reply to make an event.
pub(crate) struct Who<'c> {
    pub identity: String,
    pub identity_kind: IdentityKind,
    pub attrs: IdentityAttrs,
    pub provider: &'c str,
    /// Overrides the reply's own format (the wrapper).
    pub format: Option<Format>,
    /// Wins over the reply's time; with neither, the read time is used and flagged.
    pub time: Option<TimeMs>,
    pub ctx: &'c LineContext<'c>,
    pub tokens: Tokens,
    pub estimated: bool,
    pub latency_ms: Option<u64>,
}

impl Reply<'_> {
    pub(crate) fn into_event(self, who: Who) -> Result<Event, RejectReason> {
        let model = self.model.ok_or(RejectReason::MissingField)?;
        let (time, time_from_read) = match who.time.or(self.time) {
            Some(time) => (time, false),
            None => (who.ctx.read_time, true),
        };
        Ok(Event {
            time,
            identity: who.identity,
            identity_kind: who.identity_kind,
            attrs: who.attrs,
            format: who.format.unwrap_or(self.format),
            provider: who.provider.to_string(),
            model: model.into_owned(),
            kind: self.kind,
            tokens: who.tokens,
            tools: self.tools,
            dedup_key: self.id.as_deref().map(DedupKey::from),
            latency_ms: who.latency_ms,
            record_cost_usd: None,
            cumulative: None,
            origin: None,
            line: None,
            secrets: None,
            flags: Flags {
                estimated: who.estimated,
                sidechain: false,
                no_cost: false,
                final_copy: self.final_copy,
                time_from_read,
                ..Flags::default()
            },
        })
    }
}

/// Who usage is attributed to: the given identity; else the API key; else OpenAI's `user`;
/// else `<provider>:unknown`. The kind is the given one, else `ApiKey` for a key, else
/// `Unknown`. Empty strings count as absent.
pub(crate) fn identity(
    given: Option<&str>,
    kind: Option<IdentityKind>,
    api_key: Option<&str>,
    user: Option<&str>,
    provider: &str,
) -> (String, IdentityKind) {
    let present = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    let (name, inferred) = if let Some(name) = present(given) {
        (name, IdentityKind::Unknown)
    } else if let Some(key) = present(api_key) {
        (key, IdentityKind::ApiKey)
    } else if let Some(user) = present(user) {
        (user, IdentityKind::Unknown)
    } else {
        (format!("{provider}:unknown"), IdentityKind::Unknown)
    };
    (name, kind.unwrap_or(inferred))
}

/// OpenAI-style counts, where the prompt total includes cache reads and writes and the
/// output includes reasoning, split into the disjoint classes of [`Tokens`]. A part larger
/// than its whole is an impossible record.
pub(crate) fn openai_tokens(
    prompt: u64,
    cached: u64,
    cache_write: u64,
    output: u64,
    reasoning: u64,
) -> Result<Tokens, RejectReason> {
    let input = prompt
        .checked_sub(cached)
        .and_then(|rest| rest.checked_sub(cache_write))
        .ok_or(RejectReason::InvalidField)?;
    if reasoning > output {
        return Err(RejectReason::InvalidField);
    }
    Ok(Tokens {
        input,
        cache_read: cached,
        cache_write_5m: cache_write,
        cache_write_1h: 0,
        output,
        reasoning,
    })
}

/// Unix seconds (OpenAI's `created`, `created_at`) to milliseconds.
pub(crate) fn unix_seconds(secs: f64) -> Result<TimeMs, RejectReason> {
    // Up to the year 5138: anything larger is not seconds.
    if secs.is_finite() && (0.0..1e11).contains(&secs) {
        Ok((secs * 1000.0).round() as TimeMs)
    } else {
        Err(RejectReason::InvalidField)
    }
}

/// A tool call from a Responses-style item (OpenAI output items, Codex rollout items):
/// `function_call` / `custom_tool_call` by their name, built-in `*_call` items by their type
/// (`web_search_call` is `web_search`), `mcp_call` as `mcp__<server>__<tool>` so the MCP
/// server is kept. `None` for items that are not calls.
pub(crate) fn call_item(
    kind: &str,
    name: Option<&str>,
    server: Option<&str>,
    id: Option<&str>,
) -> Option<ToolCall> {
    let builtin = kind.strip_suffix("_call")?;
    let name = match (kind, name, server) {
        ("mcp_call", Some(name), Some(server)) => format!("mcp__{server}__{name}"),
        (_, Some(name), _) => name.to_string(),
        _ => builtin.to_string(),
    };
    Some(ToolCall::new(id.map(str::to_string), name))
}

/// The text in a content value, borrowed where possible: a string, a list, or blocks and
/// messages whose text is under `text` or (nested) `content`. Images, numbers and the like
/// hold no text. Read only to estimate counts a record does not report.
#[derive(Default)]
pub(crate) struct Texts<'a>(pub Vec<Cow<'a, str>>);

/// The keys of a block or message that hold text.
enum TextKey {
    Text,
    Other,
}

impl<'de> Deserialize<'de> for TextKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = TextKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<TextKey, E> {
                Ok(match key {
                    "text" | "content" => TextKey::Text,
                    _ => TextKey::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Texts<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<Texts<'a>>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Texts<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text, a list, or content blocks")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Texts<'a>, E> {
                Ok(Texts(vec![Cow::Borrowed(s)]))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Texts<'a>, E> {
                Ok(Texts(vec![Cow::Owned(s.to_string())]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Texts<'a>, E> {
                Ok(Texts::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Texts<'a>, E> {
                Ok(Texts::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Texts<'a>, E> {
                Ok(Texts::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Texts<'a>, E> {
                Ok(Texts::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Texts<'a>, E> {
                Ok(Texts::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Texts<'a>, A::Error> {
                let mut all = Vec::new();
                while let Some(Texts(part)) = seq.next_element::<Texts<'a>>()? {
                    all.extend(part);
                }
                Ok(Texts(all))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Texts<'a>, A::Error> {
                let mut all = Vec::new();
                while let Some(key) = map.next_key()? {
                    match key {
                        TextKey::Text => all.extend(map.next_value::<Texts<'a>>()?.0),
                        TextKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Texts(all))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(json: &str) -> Vec<String> {
        let t: Texts = serde_json::from_str(json).expect("texts");
        t.0.into_iter().map(Cow::into_owned).collect()
    }

    #[test]
    fn text_is_found_in_every_content_shape() {
        assert_eq!(texts(r#""plain""#), vec!["plain"]);
        assert_eq!(texts("null"), Vec::<String>::new());
        assert_eq!(
            texts(
                r#"[{"role":"system","content":"be brief"},
                    {"role":"user","content":[{"type":"text","text":"a \"quote\""},
                                              {"type":"image_url","image_url":{"url":"x"}}]},
                    "bare", 7]"#
            ),
            vec!["be brief", "a \"quote\"", "bare"]
        );
    }

    #[test]
    fn identity_falls_back_in_order() {
        let id = |given, key, user| identity(given, None, key, user, "openai");
        assert_eq!(
            id(Some("svc"), Some("k"), Some("u")),
            ("svc".into(), IdentityKind::Unknown)
        );
        assert_eq!(
            id(None, Some("k"), Some("u")),
            ("k".into(), IdentityKind::ApiKey)
        );
        assert_eq!(
            id(Some(""), None, Some("u")),
            ("u".into(), IdentityKind::Unknown)
        );
        assert_eq!(
            id(None, None, None),
            ("openai:unknown".into(), IdentityKind::Unknown)
        );
        let given = identity(None, Some(IdentityKind::Agent), Some("k"), None, "x");
        assert_eq!(given, ("k".into(), IdentityKind::Agent));
    }

    #[test]
    fn openai_counts_split_into_disjoint_classes() {
        let t = openai_tokens(100, 60, 10, 50, 20).expect("valid");
        assert_eq!((t.input, t.cache_read, t.cache_write_5m), (30, 60, 10));
        assert_eq!((t.output, t.reasoning), (50, 20));
        assert_eq!(t.total(), 150);
        assert_eq!(
            openai_tokens(10, 11, 0, 0, 0),
            Err(RejectReason::InvalidField)
        );
        assert_eq!(
            openai_tokens(10, 0, 0, 1, 2),
            Err(RejectReason::InvalidField)
        );
    }

    #[test]
    fn call_items_are_named() {
        let name = |kind, name, server| call_item(kind, name, server, None).map(|t| t.name);
        assert_eq!(name("function_call", Some("f"), None).as_deref(), Some("f"));
        assert_eq!(
            name("web_search_call", None, None).as_deref(),
            Some("web_search")
        );
        let mcp = call_item("mcp_call", Some("search"), Some("gh"), Some("mcp_1")).expect("call");
        assert_eq!(mcp.name, "mcp__gh__search");
        assert_eq!(mcp.mcp_server.as_deref(), Some("gh"));
        assert_eq!(mcp.id.as_deref(), Some("mcp_1"));
        assert!(name("message", None, None).is_none());
        assert!(name("function_call_output", None, None).is_none());
    }

    #[test]
    fn seconds_become_milliseconds() {
        assert_eq!(unix_seconds(1_699_896_916.0), Ok(1_699_896_916_000));
        assert_eq!(unix_seconds(-1.0), Err(RejectReason::InvalidField));
        assert_eq!(unix_seconds(f64::NAN), Err(RejectReason::InvalidField));
    }
}
