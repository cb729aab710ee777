//! The responses of the identities an incident report is about: the costliest of its
//! window with the line each was read from, the tools called in the window, and the sums
//! before it (the baseline). Fed beside the report's tally with the engine's decisions, so
//! a response counts once, as the copy the engine counts, with the tool calls of all its
//! copies. Bounded: responses whose copies can still change are kept whole (no more than
//! the engine keeps, see [`super::ACTIVE_RESPONSES`]), the rest only as the costliest.

use std::collections::BTreeMap;

use super::Map;
use super::dedup::Decision;
use super::tally::{Fields, Filter, Sum, nanos};
use super::usage::Usage;
use super::window::Bucket;
use crate::event::{DedupKey, Origin, TimeMs, ToolCall};

/// One response as counted.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub time: TimeMs,
    pub model: String,
    /// Tokens, requests and tool calls (its cost is in `cost_nanos`, `cost_usd` stays 0).
    pub usage: Usage,
    pub cost_nanos: u64,
    /// The line of the copy counted.
    pub origin: Option<Origin>,
    /// Calls by the name policies see (`mcp__server__tool`), over all its copies.
    tools: Vec<(String, u64)>,
}

impl Response {
    /// The cost in dollars, to the micro-dollar (as the tally's sums print).
    pub fn cost_usd(&self) -> f64 {
        Sum {
            usage: self.usage,
            cost_nanos: self.cost_nanos,
        }
        .cost_usd()
    }

    /// Most costly first, then oldest, then by where it was read: one order every run.
    fn rank(&self) -> (std::cmp::Reverse<u64>, TimeMs, Option<(u32, u64)>) {
        let at = self.origin.map(|o| (o.source.0, o.offset));
        (std::cmp::Reverse(self.cost_nanos), self.time, at)
    }
}

/// The responses kept for an incident report.
#[derive(Clone, Debug)]
pub struct Responses {
    filter: Filter,
    /// Where the window starts: responses before it are the baseline.
    start: Option<TimeMs>,
    keep: usize,
    open: Map<DedupKey, Response>,
    costliest: Vec<Response>,
    baseline: Sum,
    /// Responses in the baseline, and the time of the first.
    baseline_first: Option<TimeMs>,
    tools: BTreeMap<String, u64>,
}

impl Responses {
    /// Keeps the `keep` costliest responses matching `filter` (its `from` is ignored) at
    /// or after `start`, and sums those before it.
    pub fn new(filter: Filter, start: Option<TimeMs>, keep: usize) -> Self {
        Responses {
            filter: Filter {
                from: None,
                ..filter
            },
            start,
            keep,
            open: Map::default(),
            costliest: Vec::new(),
            baseline: Sum::default(),
            baseline_first: None,
            tools: BTreeMap::new(),
        }
    }

    /// One copy as the engine decided it, as [`super::tally::Tally::take`] takes it.
    pub fn take(
        &mut self,
        key: Option<DedupKey>,
        decision: &Decision,
        fields: &Fields,
        usage: &Usage,
        tools: &[&ToolCall],
        origin: Option<Origin>,
    ) {
        let counted = matches!(decision, Decision::New | Decision::Replaces(_));
        if !counted && tools.is_empty() {
            return;
        }
        let earlier = key.and_then(|k| self.open.remove(&k));
        let kept = self.filter.keeps(fields);
        let fresh = |usage: &Usage, tools: Vec<(String, u64)>| Response {
            time: fields.time,
            model: fields.model.to_string(),
            usage: Usage {
                cost_usd: 0.0,
                tool_calls: tools.iter().map(|t| t.1).sum(),
                ..*usage
            },
            cost_nanos: nanos(usage.cost_usd),
            origin,
            tools,
        };
        let mut response = match (decision, earlier) {
            (Decision::New, _) if kept => fresh(usage, Vec::new()),
            (Decision::Replaces(_), earlier) if kept => {
                fresh(usage, earlier.map(|e| e.tools).unwrap_or_default())
            }
            (Decision::Smaller | Decision::Seen, Some(earlier)) => earlier,
            (Decision::Smaller | Decision::Seen, None) if kept => {
                fresh(&Usage::default(), Vec::new())
            }
            _ => return,
        };
        for call in tools {
            let name = super::policy::tool_name(call).into_owned();
            match response.tools.iter_mut().find(|t| t.0 == name) {
                Some(t) => t.1 += 1,
                None => response.tools.push((name, 1)),
            }
            response.usage.tool_calls += 1;
        }
        match key {
            Some(key) => {
                self.open.insert(key, response);
            }
            None => self.settle(response),
        }
    }

    /// Takes one call of `tool` (as the engine names it) out of response `key`.
    pub fn drop_call(&mut self, key: DedupKey, tool: &str, mcp_server: Option<&str>) {
        let Some(response) = self.open.get_mut(&key) else {
            return;
        };
        let name = super::policy::named(tool, mcp_server);
        if let Some(t) = response.tools.iter_mut().find(|t| t.0 == name && t.1 > 0) {
            t.1 -= 1;
            response.usage.tool_calls = response.usage.tool_calls.saturating_sub(1);
        }
        response.tools.retain(|t| t.1 > 0);
    }

    /// The engine let go of a response: later copies of it count nothing.
    pub fn forget(&mut self, key: DedupKey) {
        if let Some(response) = self.open.remove(&key) {
            self.settle(response);
        }
    }

    /// Settles every response still open: once all input has been read.
    pub fn finish(&mut self) {
        let mut open: Vec<Response> = self.open.drain().map(|(_, r)| r).collect();
        open.sort_by_key(Response::rank);
        for response in open {
            self.settle(response);
        }
    }

    fn settle(&mut self, response: Response) {
        if response.usage.requests == 0 && response.usage.tool_calls == 0 {
            return;
        }
        if self.start.is_some_and(|start| response.time < start) {
            self.baseline.usage.add(&response.usage);
            self.baseline.cost_nanos = self.baseline.cost_nanos.saturating_add(response.cost_nanos);
            self.baseline_first = Some(
                self.baseline_first
                    .map_or(response.time, |t| t.min(response.time)),
            );
            return;
        }
        for (name, calls) in &response.tools {
            *self.tools.entry(name.clone()).or_default() += calls;
        }
        let at = self
            .costliest
            .partition_point(|r| r.rank() <= response.rank());
        if at < self.keep {
            self.costliest.insert(at, response);
            self.costliest.truncate(self.keep);
        }
    }

    /// The costliest responses of the window, most costly first (after [`Self::finish`]).
    pub fn costliest(&self) -> &[Response] {
        &self.costliest
    }

    /// Tool calls in the window by the name policies see.
    pub fn tools(&self) -> &BTreeMap<String, u64> {
        &self.tools
    }

    /// What was spent before the window, and when its first response was.
    pub fn baseline(&self) -> (Sum, Option<TimeMs>) {
        (self.baseline, self.baseline_first)
    }
}
