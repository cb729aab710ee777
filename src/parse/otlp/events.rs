//! Records into events: Claude Code and Codex log events, GenAI spans (and GenAI log
//! events, which carry the same attributes). One outcome per record, as for a log line.

use std::collections::HashMap;

use super::value::{Value, get, text};
use super::{Batch, Record, Signal, millis_of};
use crate::event::{
    DedupKey, Event, Exposed, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens,
    ToolCall,
};
use crate::parse::{Parsed, RejectReason, codex, plausible};
use crate::secrets::Scanner;

/// Identity attributes in the order they win, looked for on the record, then its
/// resource, unless `[otlp] identity` names others.
pub const DEFAULT_IDENTITY: [&str; 6] = [
    "user.email",
    "enduser.id",
    "user.account_uuid",
    "user.id",
    "gen_ai.agent.name",
    "service.name",
];
/// Resource attributes naming a team.
const TEAM_KEYS: [&str; 2] = ["team.id", "department"];
/// How far up a span's parents an `invoke_agent` span is looked for.
const MAX_AGENT_DEPTH: usize = 32;

/// What became of one record.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    /// The record's name, for the example a rejection shows.
    pub name: String,
    pub parsed: Parsed,
    /// GenAI input tokens below their cache tokens: taken as uncached (and counted).
    pub uncached_input: bool,
    /// A record without usage that exposed a secret (a prompt, tool parameters): an event
    /// that counts nothing and carries the finding to the record's identity.
    pub carrier: Option<Event>,
}

/// The outcome of every record of `batch`, in order; `read_time` stands for records
/// without a time, and the first of the `identity` attributes present names who.
/// `scanner` scans each record's text attributes for secrets.
pub fn outcomes(
    batch: &Batch,
    read_time: TimeMs,
    identity: &[String],
    scanner: Option<&Scanner>,
) -> Vec<Outcome> {
    let agents = agents_by_span(&batch.records);
    batch
        .records
        .iter()
        .map(|r| {
            let mut uncached_input = false;
            let mut parsed = match record(r, read_time, identity, &agents, &mut uncached_input) {
                Parsed::Event(e) => match plausible::check(&e) {
                    Some(reason) => Parsed::Rejected(reason),
                    None if !plausible::time_is_plausible(&e, read_time) => {
                        Parsed::Rejected(RejectReason::FutureTime)
                    }
                    None => Parsed::Event(e),
                },
                other => other,
            };
            let mut carrier = None;
            if let Some(exposed) = scanner.and_then(|s| exposed(s, r)) {
                match &mut parsed {
                    Parsed::Event(e) => e.secrets = Some(exposed),
                    Parsed::NoUsage => {
                        let mut e = carrier_of(r, read_time, identity, agents.of(r));
                        e.secrets = Some(exposed);
                        carrier = Some(e);
                    }
                    Parsed::Rejected(_) | Parsed::Records(_) => {}
                }
            }
            Outcome {
                name: r.name.clone(),
                parsed,
                uncached_input,
                carrier,
            }
        })
        .collect()
}

/// The secrets in a record's text attributes (`attributes.prompt`,
/// `attributes.tool_parameters`), if any.
fn exposed(scanner: &Scanner, r: &Record) -> Option<Box<Exposed>> {
    let fields = r
        .attrs
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.as_str()?)));
    let found = scanner.scan_fields(fields, "attributes.");
    (!found.is_empty()).then(|| Box::new(Exposed { found }))
}

/// The who and when of a record without usage, as an event that counts nothing; a span
/// under an `invoke_agent` span is that agent's, as its usage is.
fn carrier_of(
    r: &Record,
    read_time: TimeMs,
    identity: &[String],
    parent_agent: Option<&str>,
) -> Event {
    let name = event_name(r);
    let (format, provider) = if name.starts_with("claude_code.") {
        (Format::ClaudeCode, "anthropic")
    } else if name.starts_with("codex.") {
        (Format::Codex, "openai")
    } else {
        let provider =
            first_text(r, &["gen_ai.provider.name", "gen_ai.system"]).unwrap_or("unknown");
        (genai_format(provider), provider)
    };
    let mut e = base(r, format, provider, "");
    if e.attrs.agent.is_none() {
        e.attrs.agent = parent_agent.map(str::to_string);
    }
    identify(&mut e, r, identity);
    e.flags.no_usage = true;
    match millis_of(r.time_ns).or_else(|| millis_of(r.start_ns)) {
        Some(time) => e.time = time,
        None => {
            e.time = read_time;
            e.flags.time_from_read = true;
        }
    }
    e
}

/// `invoke_agent` spans by span id (their agent names), with each span's parent.
struct Agents<'a> {
    names: HashMap<&'a str, &'a str>,
    parents: HashMap<&'a str, &'a str>,
}

impl Agents<'_> {
    /// The agent a span runs under: the nearest `invoke_agent` among its parents.
    fn of(&self, record: &Record) -> Option<&str> {
        let mut at = record.parent_span_id.as_str();
        for _ in 0..MAX_AGENT_DEPTH {
            if at.is_empty() {
                return None;
            }
            if let Some(name) = self.names.get(at) {
                return Some(name);
            }
            at = self.parents.get(at)?;
        }
        None
    }
}

fn agents_by_span(records: &[Record]) -> Agents<'_> {
    let mut agents = Agents {
        names: HashMap::new(),
        parents: HashMap::new(),
    };
    for r in records.iter().filter(|r| r.signal == Signal::Traces) {
        if !r.span_id.is_empty() && !r.parent_span_id.is_empty() {
            agents.parents.insert(&r.span_id, &r.parent_span_id);
        }
        if operation(r) == "invoke_agent"
            && let Some(name) = text(&r.attrs, "gen_ai.agent.name")
        {
            agents.names.insert(&r.span_id, name);
        }
    }
    agents
}

/// `gen_ai.operation.name`, else the span name's first word.
fn operation(r: &Record) -> &str {
    text(&r.attrs, "gen_ai.operation.name")
        .unwrap_or_else(|| r.name.split(' ').next().unwrap_or(""))
}

/// The event name of a log record: `eventName`, the body or the `event.name` attribute,
/// the short form (`api_request`) qualified by the service that sent it.
fn event_name(r: &Record) -> String {
    if r.name.starts_with("claude_code.") || r.name.starts_with("codex.") {
        return r.name.clone();
    }
    let short = text(&r.attrs, "event.name").unwrap_or(&r.name);
    if short.contains('.') {
        return short.to_string();
    }
    match text(&r.resource, "service.name") {
        Some("claude-code") => format!("claude_code.{short}"),
        Some(s) if s.starts_with("codex") => format!("codex.{short}"),
        _ => short.to_string(),
    }
}

fn record(
    r: &Record,
    read_time: TimeMs,
    identity: &[String],
    agents: &Agents,
    uncached_input: &mut bool,
) -> Parsed {
    let built = match r.signal {
        Signal::Logs => match event_name(r).as_str() {
            "claude_code.api_request" => claude_code_request(r),
            "claude_code.tool_result" => tool_call(r, Format::ClaudeCode, "tool_use_id"),
            "codex.sse_event" => codex_completed(r),
            "codex.tool_result" => tool_call(r, Format::Codex, "call_id"),
            _ if has_genai_usage(r) => genai(r, None, uncached_input),
            _ => return Parsed::NoUsage,
        },
        Signal::Traces => match operation(r) {
            "execute_tool" => genai_tool(r),
            "chat" | "text_completion" | "generate_content" | "embeddings" | "retrieval"
            | "invoke_agent"
                if has_genai_usage(r) =>
            {
                genai(r, agents.of(r), uncached_input)
            }
            _ => return Parsed::NoUsage,
        },
        Signal::Metrics => Err(RejectReason::Unsupported),
    };
    match built {
        Ok(Some(mut event)) => {
            identify(&mut event, r, identity);
            match millis_of(r.time_ns).or_else(|| millis_of(r.start_ns)) {
                Some(time) => event.time = time,
                None => {
                    event.time = read_time;
                    event.flags.time_from_read = true;
                }
            }
            Parsed::Event(Box::new(event))
        }
        Ok(None) => Parsed::NoUsage,
        Err(reason) => Parsed::Rejected(reason),
    }
}

type Built = Result<Option<Event>, RejectReason>;

/// The value of the first of `keys` present, on the record then on its resource.
fn first<'a>(r: &'a Record, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| get(&r.attrs, k))
        .or_else(|| keys.iter().find_map(|k| get(&r.resource, k)))
}

fn first_text<'a>(r: &'a Record, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| text(&r.attrs, k))
        .or_else(|| keys.iter().find_map(|k| text(&r.resource, k)))
}

/// A count under the first of `keys`: 0 when absent, rejected when it is no count.
fn count(r: &Record, keys: &[&str]) -> Result<u64, RejectReason> {
    first(r, keys).map_or(Ok(0), |v| {
        v.as_count().map_err(|_| RejectReason::InvalidField)
    })
}

fn amount(r: &Record, key: &str) -> Result<Option<f64>, RejectReason> {
    first(r, &[key])
        .map(|v| v.as_amount().map_err(|_| RejectReason::InvalidField))
        .transpose()
}

/// The kind of identity an attribute names.
fn kind_of(key: &str) -> IdentityKind {
    if key.starts_with("user.") || key.starts_with("enduser.") {
        IdentityKind::Human
    } else if key.starts_with("gen_ai.agent.") || key == "agent.name" {
        IdentityKind::Agent
    } else if key.starts_with("service.") {
        IdentityKind::ServiceAccount
    } else {
        IdentityKind::Unknown
    }
}

/// Names who `event` is: the first of the `keys` on the record, then on its resource.
pub(super) fn identify(event: &mut Event, r: &Record, keys: &[String]) {
    let found = keys
        .iter()
        .find_map(|k| text(&r.attrs, k).map(|v| (v, k)))
        .or_else(|| {
            keys.iter()
                .find_map(|k| text(&r.resource, k).map(|v| (v, k)))
        });
    (event.identity, event.identity_kind) = match found {
        Some((value, key)) => (value.to_string(), kind_of(key)),
        None => ("unknown".to_string(), IdentityKind::Unknown),
    };
}

/// An event with every field a builder fills left at rest (its identity is named by
/// [`identify`]).
pub(super) fn base(r: &Record, format: Format, provider: &str, model: &str) -> Event {
    let user = first_text(
        r,
        &["user.email", "enduser.id", "user.account_uuid", "user.id"],
    );
    let team = TEAM_KEYS.iter().find_map(|k| text(&r.resource, k));
    Event {
        time: 0,
        identity: String::new(),
        identity_kind: IdentityKind::Unknown,
        attrs: IdentityAttrs {
            api_key_id: None,
            user: user.map(str::to_string),
            project: None,
            team: team.map(str::to_string),
            session: first_text(
                r,
                &["session.id", "conversation.id", "gen_ai.conversation.id"],
            )
            .map(str::to_string),
            agent: first_text(r, &["agent.name", "gen_ai.agent.name"]).map(str::to_string),
        },
        format,
        provider: provider.to_string(),
        model: model.to_string(),
        kind: Kind::Completion,
        tokens: Tokens::default(),
        tools: Vec::new(),
        dedup_key: None,
        latency_ms: None,
        record_cost_usd: None,
        cumulative: None,
        flags: Flags {
            final_copy: true,
            ..Flags::default()
        },
        origin: None,
        line: None,
        secrets: None,
    }
}

fn latency(r: &Record) -> Result<Option<u64>, RejectReason> {
    Ok(amount(r, "duration_ms")?.map(|ms| ms.round() as u64))
}

fn claude_code_request(r: &Record) -> Built {
    let model = text(&r.attrs, "model").ok_or(RejectReason::MissingField)?;
    let mut e = base(r, Format::ClaudeCode, "anthropic", model);
    e.tokens = Tokens {
        input: count(r, &["input_tokens"])?,
        cache_read: count(r, &["cache_read_tokens"])?,
        cache_write_5m: count(r, &["cache_creation_tokens"])?,
        output: count(r, &["output_tokens"])?,
        ..Tokens::default()
    };
    e.record_cost_usd = match amount(r, "cost_usd")? {
        Some(cost) => Some(cost),
        None => amount(r, "cost_usd_micros")?.map(|m| m / 1e6),
    };
    e.dedup_key = text(&r.attrs, "request_id").map(DedupKey::from);
    e.latency_ms = latency(r)?;
    e.flags.sidechain = text(&r.attrs, "query_source") == Some("subagent");
    e.flags.telemetry = true;
    Ok(Some(e))
}

/// A tool call as an event of its own: no tokens, no cost.
fn tool_event(r: &Record, format: Format, provider: &str, call: ToolCall) -> Event {
    let model = text(&r.attrs, "model").unwrap_or("");
    let mut e = base(r, format, provider, model);
    e.kind = Kind::Tool;
    e.flags.no_cost = true;
    e.dedup_key = call.id.as_deref().map(|id| DedupKey::of(&["tool:", id]));
    e.tools = vec![call];
    e
}

fn tool_call(r: &Record, format: Format, id_key: &str) -> Built {
    let name = text(&r.attrs, "tool_name").ok_or(RejectReason::MissingField)?;
    let id = text(&r.attrs, id_key).map(str::to_string);
    let mut call = ToolCall::new(id, name.to_string());
    // Claude Code names an MCP tool `mcp_tool` and says which in `tool_parameters`.
    if let Some(params) = text(&r.attrs, "tool_parameters")
        && let Ok(serde_json::Value::Object(p)) = serde_json::from_str(params)
    {
        if let Some(server) = p.get("mcp_server_name").and_then(|v| v.as_str()) {
            call.mcp_server = Some(server.to_string());
        }
        if let Some(tool) = p.get("mcp_tool_name").and_then(|v| v.as_str()) {
            call.name = tool.to_string();
        }
    }
    let provider = if format == Format::Codex {
        "openai"
    } else {
        "anthropic"
    };
    let mut e = tool_event(r, format, provider, call);
    // The agent's own telemetry of the call: it moves a transcript's copy to the user.
    e.flags.telemetry = true;
    e.latency_ms = latency(r)?;
    Ok(Some(e))
}

/// Codex's `sse_event`: only `response.completed` carries token counts (OpenAI style:
/// cached tokens inside input, reasoning inside output). The agent's own telemetry of the
/// response: it wins over the rollout's copy, keyed alike ([`codex::response_key`]).
fn codex_completed(r: &Record) -> Built {
    if !["input_token_count", "output_token_count"]
        .iter()
        .any(|k| get(&r.attrs, k).is_some())
    {
        return Ok(None);
    }
    let model = text(&r.attrs, "model")
        .or_else(|| text(&r.attrs, "slug"))
        .ok_or(RejectReason::MissingField)?;
    let input = count(r, &["input_token_count"])?;
    let cached = count(r, &["cached_token_count"])?;
    let output = count(r, &["output_token_count"])?;
    let reasoning = count(r, &["reasoning_token_count"])?;
    let mut e = base(r, Format::Codex, "openai", model);
    e.tokens = Tokens {
        input: input.saturating_sub(cached),
        cache_read: cached.min(input),
        output,
        reasoning: reasoning.min(output),
        ..Tokens::default()
    };
    e.dedup_key = first_text(r, &["conversation.id"])
        .map(|s| codex::response_key(s, [input, cached, output, reasoning]));
    e.flags.telemetry = true;
    e.latency_ms = latency(r)?;
    Ok(Some(e))
}

const INPUT: [&str; 2] = ["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OUTPUT: [&str; 2] = [
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];
const CACHE_READ: [&str; 3] = [
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.input_tokens.cached",
];
const CACHE_WRITE: [&str; 3] = [
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.input_tokens.cache_write",
];

fn has_genai_usage(r: &Record) -> bool {
    INPUT
        .iter()
        .chain(&OUTPUT)
        .any(|k| get(&r.attrs, k).is_some())
}

pub(super) fn genai_format(provider: &str) -> Format {
    if provider == "anthropic" || provider.contains("claude") {
        Format::Anthropic
    } else {
        Format::OpenAi
    }
}

/// A GenAI inference span or event. `gen_ai.usage.input_tokens` includes the cache
/// tokens by the conventions; when it is below their sum, the sender did not follow them
/// (Anthropic's own `input_tokens` excludes the cache), so it is taken as uncached.
fn genai(r: &Record, parent_agent: Option<&str>, uncached_input: &mut bool) -> Built {
    let model = first_text(r, &["gen_ai.response.model", "gen_ai.request.model"])
        .or_else(|| {
            r.name
                .split_once(' ')
                .map(|(_, m)| m)
                .filter(|m| !m.is_empty())
        })
        .ok_or(RejectReason::MissingField)?;
    let provider = first_text(r, &["gen_ai.provider.name", "gen_ai.system"]).unwrap_or("unknown");
    let input = count(r, &INPUT)?;
    let cache_read = count(r, &CACHE_READ)?;
    let cache_write = count(r, &CACHE_WRITE)?;
    let output = count(r, &OUTPUT)?;
    let reasoning = count(r, &["gen_ai.usage.reasoning.output_tokens"])?;
    let cached = cache_read.saturating_add(cache_write);
    let uncached = if input >= cached {
        input - cached
    } else {
        *uncached_input = true;
        input
    };
    let mut e = base(r, genai_format(provider), provider, model);
    e.kind = match operation(r) {
        "embeddings" => Kind::Embedding,
        "retrieval" => Kind::Retrieval,
        _ => Kind::Completion,
    };
    e.tokens = Tokens {
        input: uncached,
        cache_read,
        cache_write_5m: cache_write,
        output,
        reasoning: reasoning.min(output),
        ..Tokens::default()
    };
    if e.attrs.agent.is_none() {
        e.attrs.agent = parent_agent.map(str::to_string);
    }
    e.dedup_key = match text(&r.attrs, "gen_ai.response.id") {
        Some(id) => Some(DedupKey::from(id)),
        None if !r.span_id.is_empty() => Some(DedupKey::of(&[&r.trace_id, ":", &r.span_id])),
        None => None,
    };
    e.latency_ms = span_latency(r);
    Ok(Some(e))
}

/// A span's duration in milliseconds, when it has a start no later than its end.
fn span_latency(r: &Record) -> Option<u64> {
    (r.start_ns != 0 && r.time_ns >= r.start_ns).then(|| (r.time_ns - r.start_ns) / 1_000_000)
}

fn genai_tool(r: &Record) -> Built {
    let name = text(&r.attrs, "gen_ai.tool.name")
        .or_else(|| {
            r.name
                .split_once(' ')
                .map(|(_, t)| t)
                .filter(|t| !t.is_empty())
        })
        .ok_or(RejectReason::MissingField)?;
    let id = text(&r.attrs, "gen_ai.tool.call.id").map(str::to_string);
    let call = ToolCall::new(id, name.to_string());
    let provider = first_text(r, &["gen_ai.provider.name", "gen_ai.system"]).unwrap_or("unknown");
    let mut e = tool_event(r, genai_format(provider), provider, call);
    e.latency_ms = span_latency(r);
    Ok(Some(e))
}
