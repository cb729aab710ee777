//! Report breakdowns: what the engine counts, summed under any combination of dimensions
//! (`report --by day,identity`). A response counts under the fields of the copy the
//! engine counts (a larger copy moves it) and under every tool its copies called, so rows
//! by tool or MCP server overlap. Costs are summed in integer nano-dollars: sums do not
//! depend on the order of the events and print without float noise.

use jiff::tz::TimeZone;
use serde::Serialize;

use super::Map;
use super::dedup::Decision;
use super::mapping::Pattern;
use super::usage::Usage;
use super::window::Bucket;
use crate::event::{DedupKey, TimeMs, ToolCall};

/// A value of a dimension that an event does not carry (no session, no team, no tool).
pub const NONE: &str = "(none)";

/// What a report row can be keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Identity,
    Model,
    Day,
    /// The week's Monday, in the report's time zone.
    Week,
    Month,
    Hour,
    /// The minute, in the report's time zone (`2026-01-01 12:05`).
    Minute,
    Session,
    Project,
    Team,
    Tool,
    McpServer,
}

impl Dimension {
    pub const ALL: [Dimension; 12] = [
        Dimension::Identity,
        Dimension::Model,
        Dimension::Day,
        Dimension::Week,
        Dimension::Month,
        Dimension::Hour,
        Dimension::Minute,
        Dimension::Session,
        Dimension::Project,
        Dimension::Team,
        Dimension::Tool,
        Dimension::McpServer,
    ];

    /// As written after `--by` (`mcp-server`).
    pub fn flag(self) -> &'static str {
        match self {
            Dimension::McpServer => "mcp-server",
            d => d.name(),
        }
    }

    /// The name of its column and JSON field.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Identity => "identity",
            Dimension::Model => "model",
            Dimension::Day => "day",
            Dimension::Week => "week",
            Dimension::Month => "month",
            Dimension::Hour => "hour",
            Dimension::Minute => "minute",
            Dimension::Session => "session",
            Dimension::Project => "project",
            Dimension::Team => "team",
            Dimension::Tool => "tool",
            Dimension::McpServer => "mcp_server",
        }
    }

    /// Time dimensions sort rows by time; the others by cost.
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Dimension::Day
                | Dimension::Week
                | Dimension::Month
                | Dimension::Hour
                | Dimension::Minute
        )
    }

    /// A response can call several tools: rows by these overlap.
    pub fn is_per_tool(self) -> bool {
        matches!(self, Dimension::Tool | Dimension::McpServer)
    }
}

/// Only events whose identity and model match (each list empty = all), from `from` on.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub identities: Vec<Pattern>,
    pub models: Vec<Pattern>,
    /// Only copies stamped at or after this (`None`: all): an incident reads the days
    /// before its window too, for the alerts' and the baseline's sake.
    pub from: Option<TimeMs>,
}

impl Filter {
    pub(super) fn keeps(&self, fields: &Fields) -> bool {
        let any = |patterns: &[Pattern], names: [&str; 2]| {
            patterns.is_empty() || patterns.iter().any(|p| names.iter().any(|n| p.matches(n)))
        };
        any(&self.identities, [fields.identity, fields.raw_identity])
            && any(&self.models, [fields.model, fields.raw_model])
    }

    /// [`Filter::keeps`], and stamped from `from` on.
    fn keeps_at(&self, fields: &Fields) -> bool {
        self.from.is_none_or(|from| fields.time >= from) && self.keeps(fields)
    }
}

/// The fields of one counted copy that dimensions read.
#[derive(Debug)]
pub struct Fields<'a> {
    /// The row it counts in (mapped by the config, or folded).
    pub identity: &'a str,
    pub raw_identity: &'a str,
    pub team: Option<&'a str>,
    /// As summed (folded past the model cap).
    pub model: &'a str,
    pub raw_model: &'a str,
    pub time: TimeMs,
    pub session: Option<&'a str>,
    pub project: Option<&'a str>,
}

/// Usage with its cost in nano-dollars (`usage.cost_usd` stays 0).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sum {
    pub usage: Usage,
    pub cost_nanos: u64,
}

impl Sum {
    pub fn add(&mut self, o: &Sum) {
        self.usage.add(&o.usage);
        self.cost_nanos = self.cost_nanos.saturating_add(o.cost_nanos);
    }

    fn sub(&mut self, o: &Sum) {
        self.usage.sub(&o.usage);
        self.cost_nanos = self.cost_nanos.saturating_sub(o.cost_nanos);
    }

    /// The cost in dollars, rounded to the micro-dollar: printed, it has at most 6
    /// decimals (the nearest double to a whole number of micro-dollars prints as one).
    pub fn cost_usd(&self) -> f64 {
        (self.cost_nanos.saturating_add(500) / 1_000) as f64 / 1e6
    }
}

/// Dollars to nano-dollars, rounded.
pub fn nanos(usd: f64) -> u64 {
    (usd * 1e9).round() as u64
}

/// One response as last counted: its key fields and what it contributes.
#[derive(Clone, Debug)]
struct Response {
    /// Interned values of the dimensions that are not per tool.
    fields: Box<[u32]>,
    /// Interned (tool, MCP server) and calls, over all its copies.
    tools: Vec<(u32, u32, u64)>,
    sum: Sum,
}

/// The sums by the chosen dimensions, fed by [`super::Engine::ingest`].
#[derive(Clone, Debug)]
pub struct Tally {
    dims: Vec<Dimension>,
    filter: Filter,
    tz: TimeZone,
    names: Vec<Box<str>>,
    ids: Map<Box<str>, u32>,
    responses: Map<DedupKey, Response>,
    rows: Map<Box<[u32]>, Sum>,
    total: Sum,
}

impl Tally {
    pub fn new(dims: Vec<Dimension>, filter: Filter, tz: TimeZone) -> Self {
        let mut tally = Tally {
            dims,
            filter,
            tz,
            names: Vec::new(),
            ids: Map::default(),
            responses: Map::default(),
            rows: Map::default(),
            total: Sum::default(),
        };
        tally.intern(NONE);
        tally
    }

    pub fn dims(&self) -> &[Dimension] {
        &self.dims
    }

    /// Everything counted (once per response, whatever the dimensions).
    pub fn total(&self) -> Sum {
        self.total
    }

    /// Every row: one value per dimension, in the dimensions' order, and its sum.
    pub fn rows(&self) -> impl Iterator<Item = (Vec<&str>, &Sum)> {
        self.rows.iter().map(|(key, sum)| {
            let values = key.iter().map(|&i| &*self.names[i as usize]).collect();
            (values, sum)
        })
    }

    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }

    /// The interned value of `dim` for `f`: names are interned as they are, with no copy
    /// made per event; times are written out first.
    fn value_id(&mut self, dim: Dimension, f: &Fields) -> u32 {
        fn or_none(v: Option<&str>) -> &str {
            v.filter(|v| !v.is_empty()).unwrap_or(NONE)
        }
        match dim {
            Dimension::Identity => self.intern(f.identity),
            Dimension::Model => self.intern(f.model),
            Dimension::Session => self.intern(or_none(f.session)),
            Dimension::Project => self.intern(or_none(f.project)),
            Dimension::Team => self.intern(or_none(f.team)),
            Dimension::Tool | Dimension::McpServer => self.intern(NONE),
            Dimension::Day
            | Dimension::Week
            | Dimension::Month
            | Dimension::Hour
            | Dimension::Minute => {
                let text = self.time_value(dim, f);
                self.intern(&text)
            }
        }
    }

    /// A time dimension's value for `f`, in the report's zone (`Day` for any other).
    fn time_value(&self, dim: Dimension, f: &Fields) -> String {
        let zoned = jiff::Timestamp::from_millisecond(f.time)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.tz.clone());
        match dim {
            Dimension::Week => {
                let date = zoned.date();
                let back = i64::from(date.weekday().to_monday_zero_offset());
                date.checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(date)
                    .to_string()
            }
            Dimension::Month => zoned.strftime("%Y-%m").to_string(),
            Dimension::Hour => zoned.strftime("%Y-%m-%d %H:00").to_string(),
            Dimension::Minute => zoned.strftime("%Y-%m-%d %H:%M").to_string(),
            _ => zoned.date().to_string(),
        }
    }

    /// The keys a response counts under, each with its share (tool calls per tool).
    fn parts(&self, r: &Response) -> Vec<(Box<[u32]>, Sum)> {
        let per_tool: Vec<usize> = (0..self.dims.len())
            .filter(|&i| self.dims[i].is_per_tool())
            .collect();
        if per_tool.is_empty() || r.tools.is_empty() {
            return vec![(r.fields.clone(), r.sum)];
        }
        // One part per distinct value of the per-tool dimensions, with that value's calls.
        let mut parts: Vec<(Box<[u32]>, Sum)> = Vec::new();
        for &(tool, server, calls) in &r.tools {
            let mut key = r.fields.clone();
            for &i in &per_tool {
                key[i] = match self.dims[i] {
                    Dimension::Tool => tool,
                    _ => server,
                };
            }
            match parts.iter_mut().find(|(k, _)| *k == key) {
                Some((_, sum)) => sum.usage.tool_calls += calls,
                None => {
                    let mut sum = r.sum;
                    sum.usage.tool_calls = calls;
                    parts.push((key, sum));
                }
            }
        }
        parts
    }

    fn apply(&mut self, r: &Response, add: bool) {
        let per_tool = self.dims.iter().any(|d| d.is_per_tool());
        if per_tool && !r.tools.is_empty() {
            for (key, part) in self.parts(r) {
                self.row(key, &part, add);
            }
        } else if let Some(row) = self.rows.get_mut(&r.fields) {
            // The common case (no per-tool dimension): no key copied for a row that exists.
            Self::change(row, &r.sum, add);
        } else {
            self.row(r.fields.clone(), &r.sum, add);
        }
        if add {
            self.total.add(&r.sum);
        } else {
            self.total.sub(&r.sum);
        }
    }

    fn row(&mut self, key: Box<[u32]>, part: &Sum, add: bool) {
        Self::change(self.rows.entry(key).or_default(), part, add);
    }

    fn change(row: &mut Sum, part: &Sum, add: bool) {
        if add {
            row.add(part);
        } else {
            row.sub(part);
        }
    }

    /// Responses whose later copies could still change the sums: no more than the engine
    /// keeps whole ([`super::ACTIVE_RESPONSES`]).
    pub fn responses_kept(&self) -> usize {
        self.responses.len()
    }

    /// The engine let go of a response: later copies of it count nothing, so its
    /// entry goes (its sums stay).
    pub fn forget(&mut self, key: DedupKey) {
        self.responses.remove(&key);
    }

    /// Takes one call of tool `name` out of response `key` (the call moved to another
    /// copy's response); nothing if the response is not kept (filtered out).
    pub fn drop_call(&mut self, key: DedupKey, name: &str) {
        let Some(&tool) = self.ids.get(name) else {
            return;
        };
        let Some(mut response) = self.responses.remove(&key) else {
            return;
        };
        self.apply(&response, false);
        if let Some(t) = response.tools.iter_mut().find(|t| t.0 == tool && t.2 > 0) {
            t.2 -= 1;
            response.sum.usage.tool_calls = response.sum.usage.tool_calls.saturating_sub(1);
        }
        response.tools.retain(|t| t.2 > 0);
        self.apply(&response, true);
        self.responses.insert(key, response);
    }

    /// The response a copy starts or replaces, keyed by this copy's fields.
    fn response(
        &mut self,
        fields: &Fields,
        usage: &Usage,
        tools: Vec<(u32, u32, u64)>,
    ) -> Response {
        let ids: Box<[u32]> = (0..self.dims.len())
            .map(|i| self.value_id(self.dims[i], fields))
            .collect();
        let mut request = *usage;
        request.cost_usd = 0.0;
        request.tool_calls = tools.iter().map(|t| t.2).sum();
        Response {
            fields: ids,
            tools,
            sum: Sum {
                usage: request,
                cost_nanos: nanos(usage.cost_usd),
            },
        }
    }

    /// One copy as the engine decided it: `usage` is its request (cost in `cost_usd`),
    /// `tools` the calls new to its response. Mirrors the engine: a new response adds, a
    /// larger copy takes the counted one out and adds itself (keeping the tools of the
    /// earlier copies), any copy adds the tool calls new to its response.
    pub fn take(
        &mut self,
        key: Option<DedupKey>,
        decision: &Decision,
        fields: &Fields,
        usage: &Usage,
        tools: &[&ToolCall],
    ) {
        let counted = matches!(decision, Decision::New | Decision::Replaces(_));
        if !counted && tools.is_empty() {
            return;
        }
        let earlier = key.and_then(|k| self.responses.remove(&k));
        let kept = self.filter.keeps_at(fields);
        let mut response = match (decision, earlier) {
            (Decision::New, _) if kept => self.response(fields, usage, Vec::new()),
            (Decision::Replaces(_), earlier) => {
                let calls = earlier.map(|e| {
                    self.apply(&e, false);
                    e.tools
                });
                if !kept {
                    return;
                }
                self.response(fields, usage, calls.unwrap_or_default())
            }
            (Decision::Smaller | Decision::Seen, Some(earlier)) => {
                self.apply(&earlier, false);
                earlier
            }
            (Decision::Smaller | Decision::Seen, None) if kept => {
                self.response(fields, &Usage::default(), Vec::new())
            }
            _ => return,
        };
        for call in tools {
            let tool = self.intern(&call.name);
            let server = self.intern(call.mcp_server.as_deref().unwrap_or(NONE));
            match response.tools.iter_mut().find(|t| t.0 == tool) {
                Some(t) => t.2 += 1,
                None => response.tools.push((tool, server, 1)),
            }
            response.sum.usage.tool_calls += 1;
        }
        self.apply(&response, true);
        if let Some(key) = key {
            self.responses.insert(key, response);
        }
    }
}
