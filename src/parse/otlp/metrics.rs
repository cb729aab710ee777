//! Usage metric points into events. Claude Code exports `claude_code.token.usage` (a
//! counter per token `type`) and `claude_code.cost.usage` (USD); GenAI instrumentations
//! export `gen_ai.client.token.usage` (a histogram whose sum is the tokens, per
//! `gen_ai.token.type`). A point is the usage of an export interval, not of one request:
//! its event is flagged `aggregate` (tokens and cost, never a request).
//!
//! Delta points count as they are; cumulative ones are differenced per series and start
//! time ([`Series`]). Points of one export that differ only in their token type make one
//! event, so that a minute of a session's usage is one entry, not four.

use std::collections::HashMap;

use super::events::{base, genai_format, identify};
use super::gate::{GateKey, Held};
use super::value::{Value, text};
use super::{Attrs, Record, Signal, millis_of};
use crate::event::{DedupKey, Event, Format, TimeMs};
use crate::parse::{RejectReason, plausible};

/// The metrics that carry usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Measure {
    ClaudeCodeTokens,
    ClaudeCodeCost,
    GenAiTokens,
}

impl Measure {
    pub fn of(name: &str) -> Option<Measure> {
        match name {
            "claude_code.token.usage" => Some(Measure::ClaudeCodeTokens),
            "claude_code.cost.usage" => Some(Measure::ClaudeCodeCost),
            "gen_ai.client.token.usage" => Some(Measure::GenAiTokens),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::ClaudeCodeTokens => "claude_code.token.usage",
            Measure::ClaudeCodeCost => "claude_code.cost.usage",
            Measure::GenAiTokens => "gen_ai.client.token.usage",
        }
    }

    /// The attribute naming the token class, which points of one event differ by.
    fn type_key(self) -> &'static str {
        match self {
            Measure::ClaudeCodeTokens | Measure::ClaudeCodeCost => "type",
            Measure::GenAiTokens => "gen_ai.token.type",
        }
    }
}

/// How a point's value relates to the previous one of its series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Temporality {
    /// The usage since the previous export.
    Delta,
    /// The usage since the series' start time.
    Cumulative,
}

impl Temporality {
    /// From OTLP's `AggregationTemporality` (1 delta, 2 cumulative; 0 is no temporality).
    pub fn of(code: i32) -> Option<Temporality> {
        match code {
            1 => Some(Temporality::Delta),
            2 => Some(Temporality::Cumulative),
            _ => None,
        }
    }
}

/// One data point of a usage metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub measure: Measure,
    pub temporality: Temporality,
    pub start_ns: u64,
    pub time_ns: u64,
    /// A counter's value or a histogram's sum, as sent.
    pub value: Value,
    pub attrs: Vec<(String, Value)>,
    pub resource: Attrs,
}

impl Point {
    /// The point as a record (for the identity and session rules events follow).
    fn record(&self, attrs: Vec<(String, Value)>) -> Record {
        Record {
            signal: Signal::Metrics,
            name: self.measure.name().to_string(),
            time_ns: self.time_ns,
            start_ns: self.start_ns,
            trace_id: String::new(),
            span_id: String::new(),
            parent_span_id: String::new(),
            attrs,
            resource: self.resource.clone(),
        }
    }

    /// Its attributes without the token type, sorted: what one event's points share.
    fn shared_attrs(&self) -> Vec<(String, Value)> {
        let type_key = self.measure.type_key();
        let mut attrs: Vec<_> = self
            .attrs
            .iter()
            .filter(|(k, _)| k != type_key)
            .cloned()
            .collect();
        attrs.sort_by(|a, b| a.0.cmp(&b.0));
        attrs
    }
}

/// Text naming a point's attributes and resource, for series and group keys.
fn describe(parts: &mut String, attrs: &[(String, Value)]) {
    use std::fmt::Write;
    for (k, v) in attrs {
        let _ = write!(parts, "{k}={v:?};");
    }
}

/// Series forgotten after this long without a point (an exporter sends every series at
/// every interval, so a live one is seen every minute).
const SERIES_IDLE_MS: TimeMs = 3_600_000;
/// At most this many series are remembered; past it the idlest half is forgotten.
const MAX_SERIES: usize = 100_000;
/// A series first seen whose start is at most this far before its point began counting
/// while we listened: its whole value is new usage. One that started longer ago (a
/// sender running before tokentop, a series forgotten) has counted usage we never saw
/// the start of, and may have counted already: its first point is only the baseline.
pub const FRESH_START_MS: TimeMs = 5 * 60_000;

/// The last value of each cumulative series, to difference the next one against.
#[derive(Debug, Default)]
pub struct Series {
    last: HashMap<DedupKey, Last>,
}

#[derive(Clone, Copy, Debug)]
struct Last {
    start_ns: u64,
    time_ns: u64,
    value: f64,
    seen: TimeMs,
}

impl Series {
    /// The usage `point` adds: a delta point's value; for a cumulative one, its growth
    /// since the previous point of its series and start time. The first point of a new
    /// start time counts whole when the series started within [`FRESH_START_MS`] plus
    /// `interval_ms` of the point (the sender started counting then), else it is only the
    /// baseline; so does a value below the previous one (the sender restarted without a new
    /// start time). A point no later than the last one of its series (a retry, a reorder)
    /// adds nothing.
    pub fn growth(
        &mut self,
        point: &Point,
        now: TimeMs,
        interval_ms: TimeMs,
    ) -> Result<f64, RejectReason> {
        let value = point
            .value
            .as_amount()
            .map_err(|_| RejectReason::InvalidField)?;
        if point.temporality == Temporality::Delta {
            return Ok(value);
        }
        let mut id = String::from(point.measure.name());
        describe(&mut id, &sorted(&point.attrs));
        id.push('|');
        describe(&mut id, &sorted(&point.resource));
        let key = DedupKey::from(id.as_str());
        let previous = self.last.get(&key).copied();
        if let Some(last) = previous
            && last.start_ns == point.start_ns
            && point.time_ns <= last.time_ns
        {
            return Ok(0.0);
        }
        self.last.insert(
            key,
            Last {
                start_ns: point.start_ns,
                time_ns: point.time_ns,
                value,
                seen: now,
            },
        );
        if self.last.len() > MAX_SERIES {
            self.forget_half();
        }
        let age_ms = (point.time_ns.saturating_sub(point.start_ns) / 1_000_000) as TimeMs;
        let fresh = age_ms <= FRESH_START_MS + interval_ms.max(0);
        Ok(match previous {
            Some(last) if last.start_ns == point.start_ns && value >= last.value => {
                value - last.value
            }
            Some(last) if last.start_ns == point.start_ns => value,
            _ if fresh => value,
            _ => 0.0,
        })
    }

    /// Forgets series with no point for [`SERIES_IDLE_MS`].
    pub fn forget(&mut self, now: TimeMs) {
        self.last.retain(|_, l| l.seen >= now - SERIES_IDLE_MS);
    }

    /// Forgets the idlest half, however many share a time: a flood of new series in one
    /// request keeps the map bounded and the cost paid once per half.
    fn forget_half(&mut self) {
        let mut by_age: Vec<(TimeMs, u128)> =
            self.last.iter().map(|(k, l)| (l.seen, k.0)).collect();
        let half = by_age.len() / 2;
        by_age.select_nth_unstable(half);
        for (_, key) in &by_age[..half] {
            self.last.remove(&DedupKey(*key));
        }
    }
}

fn sorted(attrs: &[(String, Value)]) -> Vec<(String, Value)> {
    let mut attrs = attrs.to_vec();
    attrs.sort_by(|a, b| a.0.cmp(&b.0));
    attrs
}

/// What an export's points came to: one event per group with usage, and the points that
/// could not count.
#[derive(Debug, Default)]
pub struct Grouped {
    pub events: Vec<Held>,
    pub rejected: Vec<(RejectReason, String)>,
    /// Points that added nothing (an unchanged cumulative value, a zero delta).
    pub empty: u64,
}

/// One event per group of points (same measure family, attributes but the token type,
/// resource and time), each point's usage being its `growth`; the first of the
/// `identity` attributes present names who. Each event is checked as a record's is,
/// against `read_time` for its time.
pub fn group(points: &[(Point, f64)], identity: &[String], read_time: TimeMs) -> Grouped {
    let mut out = Grouped::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<(Event, u64, &Attrs, &'static str)> = Vec::new();
    for (point, growth) in points {
        let attrs = point.shared_attrs();
        let family = match point.measure {
            Measure::ClaudeCodeTokens | Measure::ClaudeCodeCost => "claude_code",
            Measure::GenAiTokens => "gen_ai",
        };
        let mut id = format!("{family}|{}|", point.time_ns);
        describe(&mut id, &attrs);
        id.push('|');
        describe(&mut id, &sorted(&point.resource));
        let at = match index.get(&id) {
            Some(&at) => at,
            None => match new_event(point, attrs, identity) {
                Ok(event) => {
                    groups.push((event, 0, &point.resource, point.measure.name()));
                    index.insert(id, groups.len() - 1);
                    groups.len() - 1
                }
                Err(reason) => {
                    out.rejected
                        .push((reason, point.measure.name().to_string()));
                    continue;
                }
            },
        };
        let (event, points, _, _) = &mut groups[at];
        match add(event, point, *growth) {
            Ok(()) => *points += 1,
            Err(reason) => out
                .rejected
                .push((reason, point.measure.name().to_string())),
        }
    }
    for (event, points, resource, name) in groups {
        let cost = event.record_cost_usd.unwrap_or(0.0);
        let implausible = plausible::check(&event).or_else(|| {
            (!plausible::time_is_plausible(&event, read_time)).then_some(RejectReason::FutureTime)
        });
        if let Some(reason) = implausible {
            out.rejected.extend(std::iter::repeat_n(
                (reason, name.to_string()),
                points as usize,
            ));
        } else if event.tokens.total() == 0 && cost == 0.0 {
            out.empty += points;
        } else {
            let key = GateKey::of(&event, resource);
            out.events.push(Held { key, event, points });
        }
    }
    out
}

/// An event for a group's first point, with no usage yet.
fn new_event(
    point: &Point,
    attrs: Vec<(String, Value)>,
    identity: &[String],
) -> Result<Event, RejectReason> {
    let record = point.record(attrs);
    let mut event = match point.measure {
        Measure::ClaudeCodeTokens | Measure::ClaudeCodeCost => {
            let model = text(&record.attrs, "model").ok_or(RejectReason::MissingField)?;
            let mut e = base(&record, Format::ClaudeCode, "anthropic", model);
            e.flags.sidechain = text(&record.attrs, "query_source") == Some("subagent");
            e
        }
        Measure::GenAiTokens => {
            let model = ["gen_ai.response.model", "gen_ai.request.model"]
                .iter()
                .find_map(|k| text(&record.attrs, k))
                .ok_or(RejectReason::MissingField)?;
            let provider = ["gen_ai.provider.name", "gen_ai.system"]
                .iter()
                .find_map(|k| text(&record.attrs, k).or_else(|| text(&record.resource, k)))
                .unwrap_or("unknown");
            base(&record, genai_format(provider), provider, model)
        }
    };
    identify(&mut event, &record, identity);
    event.time = millis_of(point.time_ns).ok_or(RejectReason::MissingField)?;
    event.flags.aggregate = true;
    Ok(event)
}

/// Adds one point's growth to its group's event.
fn add(event: &mut Event, point: &Point, growth: f64) -> Result<(), RejectReason> {
    if point.measure == Measure::ClaudeCodeCost {
        event.record_cost_usd = Some(event.record_cost_usd.unwrap_or(0.0) + growth);
        return Ok(());
    }
    let tokens = growth.round() as u64;
    let class = text(&point.attrs, point.measure.type_key()).ok_or(RejectReason::MissingField)?;
    let t = &mut event.tokens;
    let slot = match (point.measure, class) {
        (_, "input") => &mut t.input,
        (_, "output") => &mut t.output,
        (Measure::ClaudeCodeTokens, "cacheRead") => &mut t.cache_read,
        (Measure::ClaudeCodeTokens, "cacheCreation") => &mut t.cache_write_5m,
        _ => return Err(RejectReason::InvalidField),
    };
    *slot = slot.saturating_add(tokens);
    Ok(())
}
