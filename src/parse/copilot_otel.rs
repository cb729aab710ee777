//! GitHub Copilot CLI's OpenTelemetry file export (`COPILOT_OTEL_EXPORTER_TYPE=file`):
//! the JavaScript SDK's own JSON lines, not OTLP JSON. A span is `{"type":"span",
//! "traceId", "spanId", "parentSpanId", "name", "startTime": [s, ns], "endTime": [s, ns],
//! "attributes": {flat}}`; a log record is `{"hrTime": [s, ns], "spanContext": {"traceId",
//! "spanId"}, "attributes": {flat}}`. Each line is decoded into the OTLP decoders' own
//! [`Record`] and read by them (GenAI usage, tools), then named as Copilot's.
//!
//! One model call's usage is written up to four times: on its `chat` span, on the
//! `gen_ai.client.inference.operation.details` log (inside the chat span: same
//! `traceId:spanId` key, which the engine counts once), summed per turn on the
//! `copilot_chat.agent.turn` log, and summed again on the `invoke_agent` span. Per trace
//! the best kind wins, in that order, whatever order the lines come in: spans and logs
//! are exported by separate batch processors, so a turn's sum can be written before the
//! calls it sums. A sum is counted when it is the best kind seen so far, as a running sum
//! per trace and kind under one key (`copilot-turns:<trace>`, `copilot-summary:<trace>`),
//! so each new sum of the kind is a larger copy that replaces the last. When a better kind
//! arrives later, the parser takes each sum it counted out with a copy that carries
//! nothing under the sum's key, marked as the agent's own telemetry, which the engine's
//! copy replacement lets win over the sum whatever the sizes and keeps winning over any
//! later copy of it (a copy of the file read later). A kind worse than one counted is
//! dropped. This is exact in either order and while following a file live, for a trace
//! written into one file, as one Copilot process writes it.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::otlp::{self, Batch, Record, Signal, Value};
use super::{Parsed, Records, RejectReason, plausible, reason_of};
use crate::event::{DedupKey, Event, Flags, Format, IdentityKind, Kind, TimeMs, Tokens};

/// The agent's label, and the identity of its telemetry (which names no folder).
pub const LABEL: &str = "copilot-cli";
/// Traces remembered per file for which kind of record counted their usage (a copy of an
/// older trace's usage of a worse kind then counts again).
const MAX_TRACES: usize = 4096;
/// Session attributes Copilot may use besides the GenAI conventions' own.
const SESSION_KEYS: [&str; 5] = [
    "gen_ai.conversation.id",
    "session.id",
    "copilot_chat.session_id",
    "github.copilot.interaction_id",
    "gen_ai.response.id",
];

/// The kinds of record that carry a call's usage, best first: the call itself (its chat
/// span or its inference log), a turn's sum, the agent invocation's sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Call,
    AgentTurn,
    Summary,
}

impl Layer {
    /// The key a sum of this kind is counted under, per trace (a call has its own).
    fn sum_key(self, trace: &str) -> Option<DedupKey> {
        let kind = match self {
            Layer::Call => return None,
            Layer::AgentTurn => "copilot-turns:",
            Layer::Summary => "copilot-summary:",
        };
        Some(DedupKey::of(&[kind, trace]))
    }
}

/// What one trace counted so far: its best kind, the sums counted (to take out when a
/// better kind comes) and the running sum of the best kind.
#[derive(Debug)]
struct Trace {
    best: Layer,
    counted: Vec<Layer>,
    sum: Tokens,
}

/// The recent traces of the file, for which kind counts their usage.
#[derive(Debug, Default)]
pub(super) struct State {
    traces: HashMap<String, Trace>,
    order: VecDeque<String>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(rename = "traceId")]
    trace_id: Option<String>,
    #[serde(rename = "spanId")]
    span_id: Option<String>,
    #[serde(rename = "parentSpanId")]
    parent_span_id: Option<String>,
    name: Option<String>,
    #[serde(rename = "eventName")]
    event_name: Option<String>,
    #[serde(rename = "startTime")]
    start_time: Option<Json>,
    #[serde(rename = "endTime")]
    end_time: Option<Json>,
    #[serde(rename = "hrTime")]
    hr_time: Option<Json>,
    #[serde(rename = "spanContext")]
    span_context: Option<SpanContext>,
    attributes: Option<Json>,
    resource: Option<Resource>,
}

#[derive(Deserialize)]
struct SpanContext {
    #[serde(rename = "traceId")]
    trace_id: Option<String>,
    #[serde(rename = "spanId")]
    span_id: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    attributes: Option<Json>,
    #[serde(rename = "_attributes")]
    private_attributes: Option<Json>,
}

/// Whether a line may be one of the export's records (cheap test).
pub(super) fn may_be_line(text: &str) -> bool {
    text.contains("\"type\":\"span\"") || text.contains("\"spanContext\"")
}

/// A span (`type: "span"` with a trace id) or a log record (`hrTime`), by its top level.
pub(super) fn is_line(kind: Option<&str>, has_hr_time: bool, text: &str) -> bool {
    (kind == Some("span") && text.contains("\"traceId\"")) || (kind.is_none() && has_hr_time)
}

impl State {
    pub(super) fn parse(&mut self, text: &str, read_time: TimeMs) -> Parsed {
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let record = match record(line) {
            Ok(record) => record,
            Err(reason) => return Parsed::Rejected(reason),
        };
        let layer = usage_copy(&record).filter(|_| !record.trace_id.is_empty());
        if let Some(layer) = layer
            && self
                .traces
                .get(&record.trace_id)
                .is_some_and(|t| t.best < layer)
        {
            return Parsed::NoUsage;
        }
        let batch = Batch {
            records: vec![record],
            ..Batch::default()
        };
        let Some(outcome) = otlp::outcomes(&batch, read_time, &[], None).pop() else {
            return Parsed::NoUsage;
        };
        let record = &batch.records[0];
        let mut event = match outcome.parsed {
            Parsed::Event(event) => event,
            other => return other,
        };
        name_as_copilot(&mut event, record);
        let Some(layer) = layer else {
            return Parsed::Event(event);
        };
        if !plausible::time_is_plausible(&event, read_time) {
            return Parsed::Rejected(RejectReason::FutureTime);
        }
        let takes_out = self.count(&record.trace_id, layer, &mut event);
        if takes_out.is_empty() {
            return Parsed::Event(event);
        }
        let mut events = Vec::with_capacity(takes_out.len() + 1);
        events.extend(takes_out.into_iter().map(|key| nothing_under(&event, key)));
        events.push(*event);
        Parsed::Records(Box::new(Records {
            events,
            ..Records::default()
        }))
    }

    /// Counts `event`, a copy of kind `layer` of usage in `trace` no worse than the
    /// trace's best so far: a sum becomes the running sum of its kind, under its kind's
    /// key. Returns the keys of the sums it takes out (of worse kinds, counted before).
    fn count(&mut self, trace: &str, layer: Layer, event: &mut Event) -> Vec<DedupKey> {
        if !self.traces.contains_key(trace) {
            if self.order.len() >= MAX_TRACES
                && let Some(oldest) = self.order.pop_front()
            {
                self.traces.remove(&oldest);
            }
            self.order.push_back(trace.to_string());
            self.traces.insert(
                trace.to_string(),
                Trace {
                    best: layer,
                    counted: Vec::new(),
                    sum: Tokens::default(),
                },
            );
        }
        let Some(t) = self.traces.get_mut(trace) else {
            return Vec::new();
        };
        let mut taken_out = Vec::new();
        if layer < t.best {
            taken_out = std::mem::take(&mut t.counted);
            t.best = layer;
            t.sum = Tokens::default();
        }
        if let Some(key) = layer.sum_key(trace) {
            t.sum = t.sum.zip_with(&event.tokens, u64::saturating_add);
            event.tokens = t.sum;
            event.dedup_key = Some(key);
            event.flags.aggregate = true;
            if !t.counted.contains(&layer) {
                t.counted.push(layer);
            }
        }
        taken_out
            .into_iter()
            .filter_map(|l| l.sum_key(trace))
            .collect()
    }
}

/// A copy of the sum counted under `key` that carries nothing, so that the engine takes
/// the sum out: the agent's own telemetry wins over it whatever the sizes, and no later
/// copy of the sum (not the agent's telemetry) replaces it. Named as `event`, the call or
/// better sum that counts the usage instead, so that it adds no row, model or price.
pub(super) fn nothing_under(event: &Event, key: DedupKey) -> Event {
    Event {
        tokens: Tokens::default(),
        tools: Vec::new(),
        dedup_key: Some(key),
        latency_ms: None,
        record_cost_usd: None,
        flags: Flags {
            final_copy: true,
            telemetry: true,
            aggregate: true,
            no_cost: true,
            ..Flags::default()
        },
        ..event.clone()
    }
}

/// The session and time of a line of the export that carries usage (any copy of it): what
/// the source indexes per session, to tell which shutdown segments the export holds.
pub fn session_usage(text: &str) -> Option<(String, TimeMs)> {
    if !may_be_line(text) || !text.contains("\"gen_ai.usage.") {
        return None;
    }
    let record = record(serde_json::from_str(text).ok()?).ok()?;
    usage_copy(&record)?;
    let batch = Batch {
        records: vec![record],
        ..Batch::default()
    };
    // Named as the parser names it, so that the session is the one its events carry; read
    // as of the end of time, since only where the usage lies in time is asked.
    let end_of_time = TimeMs::MAX;
    let Parsed::Event(mut event) = otlp::outcomes(&batch, end_of_time, &[], None).pop()?.parsed
    else {
        return None;
    };
    name_as_copilot(&mut event, &batch.records[0]);
    Some((event.attrs.session?, event.time))
}

/// Which copy of a call's usage a record is, if it carries usage.
fn usage_copy(r: &Record) -> Option<Layer> {
    let has_usage = ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"]
        .iter()
        .any(|k| r.attrs.iter().any(|(name, _)| name == k));
    if !has_usage {
        return None;
    }
    let operation = attr(r, "gen_ai.operation.name")
        .or_else(|| r.name.split(' ').next())
        .unwrap_or("");
    match (r.signal, operation) {
        (Signal::Traces, "chat") => Some(Layer::Call),
        (Signal::Traces, "invoke_agent") => Some(Layer::Summary),
        (Signal::Logs, _) => match attr(r, "event.name").unwrap_or(&r.name) {
            "gen_ai.client.inference.operation.details" => Some(Layer::Call),
            "copilot_chat.agent.turn" => Some(Layer::AgentTurn),
            _ => None,
        },
        _ => None,
    }
}

fn attr<'a>(r: &'a Record, key: &str) -> Option<&'a str> {
    r.attrs
        .iter()
        .find(|(name, _)| name == key)
        .and_then(|(_, v)| v.as_str())
}

/// The event as Copilot's: its label as identity, its session, and for usage the key
/// `traceId:spanId` that every copy of one call's record shares.
fn name_as_copilot(event: &mut Event, r: &Record) {
    event.format = Format::CopilotCli;
    event.identity = LABEL.to_string();
    event.identity_kind = IdentityKind::Agent;
    if event.attrs.session.is_none() {
        event.attrs.session = SESSION_KEYS
            .iter()
            .find_map(|k| attr(r, k))
            .map(str::to_string);
    }
    if event.kind != Kind::Tool && !r.span_id.is_empty() {
        event.dedup_key = Some(DedupKey::of(&["copilot:", &r.trace_id, ":", &r.span_id]));
    }
}

/// The line as the OTLP decoders' record.
fn record(line: Line) -> Result<Record, RejectReason> {
    let attrs = attributes(line.attributes)?;
    let resource = line
        .resource
        .and_then(|r| r.attributes.or(r.private_attributes))
        .map(|a| attributes(Some(a)))
        .transpose()?
        .unwrap_or_default();
    let is_span = line.kind.as_deref() == Some("span");
    let context = line.span_context;
    let (trace_id, span_id) = if is_span {
        (line.trace_id, line.span_id)
    } else {
        let context = context.unwrap_or(SpanContext {
            trace_id: None,
            span_id: None,
        });
        (context.trace_id, context.span_id)
    };
    let event_name = line.event_name.or_else(|| {
        attrs
            .iter()
            .find(|(k, _)| k == "event.name")
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    });
    Ok(Record {
        signal: if is_span {
            Signal::Traces
        } else {
            Signal::Logs
        },
        name: if is_span { line.name } else { event_name }.unwrap_or_default(),
        time_ns: hr_time(if is_span { line.end_time } else { line.hr_time })?,
        start_ns: if is_span {
            hr_time(line.start_time)?
        } else {
            0
        },
        trace_id: trace_id.unwrap_or_default().to_ascii_lowercase(),
        span_id: span_id.unwrap_or_default().to_ascii_lowercase(),
        parent_span_id: line.parent_span_id.unwrap_or_default().to_ascii_lowercase(),
        attrs,
        resource: Arc::from(resource),
    })
}

/// A JavaScript high-resolution time `[seconds, nanoseconds]` in nanoseconds (0: none).
fn hr_time(value: Option<Json>) -> Result<u64, RejectReason> {
    let Some(value) = value else { return Ok(0) };
    let parts = match &value {
        Json::Array(parts) if parts.len() == 2 => parts,
        _ => return Err(RejectReason::InvalidField),
    };
    let (Some(secs), Some(nanos)) = (parts[0].as_u64(), parts[1].as_u64()) else {
        return Err(RejectReason::InvalidField);
    };
    secs.checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(nanos))
        .ok_or(RejectReason::InvalidField)
}

/// Flat attributes (`{"key": value}`), or OTLP's list of `{key, value}` pairs.
fn attributes(value: Option<Json>) -> Result<Vec<(String, Value)>, RejectReason> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Object(map)) => Ok(flat(map)),
        Some(Json::Array(pairs)) => Ok(pairs
            .into_iter()
            .filter_map(|pair| {
                let Json::Object(mut pair) = pair else {
                    return None;
                };
                let Some(Json::String(key)) = pair.remove("key") else {
                    return None;
                };
                let value = match pair.remove("value") {
                    Some(Json::Object(v)) => v
                        .into_iter()
                        .next()
                        .map_or(Value::Other, |(_, v)| scalar(v)),
                    _ => Value::Other,
                };
                Some((key, value))
            })
            .collect()),
        Some(_) => Err(RejectReason::InvalidField),
    }
}

fn flat(map: Map<String, Json>) -> Vec<(String, Value)> {
    map.into_iter().map(|(k, v)| (k, scalar(v))).collect()
}

fn scalar(value: Json) -> Value {
    match value {
        Json::String(s) => Value::Str(s),
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Other, Value::Double),
        },
        Json::Null | Json::Array(_) | Json::Object(_) => Value::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::LineContext;
    use crate::parse::testing::{parse_in_order, the_event};

    pub(crate) const CHAT: &str = r#"{"type":"span","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","parentSpanId":"a1a1a1a1a1a1a1a1","name":"chat claude-sonnet-4.5","startTime":[1767261600,133000000],"endTime":[1767261604,967317833],"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"claude-sonnet-4.5","gen_ai.response.model":"claude-sonnet-4.5","gen_ai.conversation.id":"c0ffee12","gen_ai.usage.input_tokens":19452,"gen_ai.usage.output_tokens":281,"gen_ai.usage.cache_read.input_tokens":18000,"gen_ai.usage.reasoning.output_tokens":128}}"#;

    fn run(lines: &[&str]) -> Vec<Parsed> {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: 1_767_268_800_000,
        };
        parse_in_order(lines, &ctx)
    }

    #[test]
    fn a_chat_span_counts_its_call() {
        let parsed = run(&[CHAT]);
        let e = the_event(&parsed[0]);
        let t = e.tokens;
        // Input includes the cache read: 19,452 − 18,000 uncached.
        assert_eq!(
            (t.input, t.cache_read, t.output, t.reasoning),
            (1_452, 18_000, 281, 128)
        );
        assert_eq!(e.time, 1_767_261_604_967);
        assert_eq!(e.latency_ms, Some(4_834));
        assert_eq!(e.model, "claude-sonnet-4.5");
        assert_eq!(e.format, Format::CopilotCli);
        assert_eq!(e.identity, "copilot-cli");
        assert_eq!(e.identity_kind, IdentityKind::Agent);
        assert_eq!(e.attrs.session.as_deref(), Some("c0ffee12"));
        assert_eq!(
            e.dedup_key,
            Some(DedupKey::from(
                "copilot:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7"
            ))
        );
    }

    /// A `copilot_chat.agent.turn` log of the trace of [`CHAT`], with `input` and `output`.
    fn turn(input: u64, output: u64) -> String {
        format!(
            r#"{{"hrTime":[1767261610,0],"spanContext":{{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"a1a1a1a1a1a1a1a1"}},"eventName":"copilot_chat.agent.turn","attributes":{{"event.name":"copilot_chat.agent.turn","gen_ai.response.model":"claude-sonnet-4.5","gen_ai.usage.input_tokens":{input},"gen_ai.usage.output_tokens":{output}}}}}"#
        )
    }

    #[test]
    fn a_turns_sums_run_under_one_key_until_a_call_takes_them_out() {
        let (first, second) = (turn(100, 10), turn(50, 5));
        let parsed = run(&[&first, &second, CHAT, &turn(7, 1)]);
        let sums: Vec<&Event> = parsed[..2].iter().map(the_event).collect();
        // The second sum is a larger copy of the first: 150 in, 15 out, one key.
        assert_eq!((sums[1].tokens.input, sums[1].tokens.output), (150, 15));
        assert_eq!(sums[0].dedup_key, sums[1].dedup_key);
        assert!(sums[0].flags.aggregate && !sums[0].flags.telemetry);
        let Parsed::Records(records) = &parsed[2] else {
            panic!("{:?}", parsed[2]);
        };
        let [nothing, call] = records.events.as_slice() else {
            panic!("{:?}", records.events);
        };
        // The call counts; the sum's key gets a copy that carries nothing and wins.
        assert_eq!((call.tokens.input, call.tokens.output), (1_452, 281));
        assert_eq!(nothing.dedup_key, sums[0].dedup_key);
        assert_eq!(nothing.tokens, Tokens::default());
        assert!(nothing.flags.telemetry && nothing.flags.aggregate && nothing.flags.no_cost);
        assert_eq!(nothing.identity, call.identity);
        // A sum after the trace's call counts nothing.
        assert_eq!(parsed[3], Parsed::NoUsage);
    }

    #[test]
    fn bad_times_and_attributes_are_rejected() {
        let time = CHAT.replace("[1767261604,967317833]", "\"noon\"");
        let attrs = CHAT.replace(r#""attributes":{"#, r#""attributes":7,"x":{"#);
        let parsed = run(&[&time, &attrs]);
        assert_eq!(parsed[0], Parsed::Rejected(RejectReason::InvalidField));
        assert_eq!(parsed[1], Parsed::Rejected(RejectReason::InvalidField));
    }
}
