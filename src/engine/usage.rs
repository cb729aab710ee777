//! The summable unit of every window, total and breakdown.

use serde::Serialize;

use super::window::Bucket;
use crate::event::{Event, Kind};

/// Tokens, cost, requests and tool calls summed over some set of events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub output: u64,
    pub reasoning: u64,
    /// Cost of the priced requests; unpriced ones are counted in `unpriced_requests`.
    pub cost_usd: f64,
    pub unpriced_requests: u64,
    pub requests: u64,
    pub tool_calls: u64,
}

impl Usage {
    /// One event's contribution. An event of [`Kind::Tool`] (an agent's `tool_result`, a
    /// GenAI `execute_tool` span) is a tool call, not an API request: it counts no request
    /// (its calls are counted as tool calls). Tokens and a cost it carries (the own schema
    /// allows them on `kind: "tool"`) still count, and tokens it carries at an unknown
    /// price still count as unpriced, so that an unknown cost never reads as none. A
    /// metric point (`aggregate`) is many requests' usage: its tokens and cost count, and
    /// no request.
    pub fn of(event: &Event, cost_usd: Option<f64>) -> Self {
        let tokens = &event.tokens;
        let tool = event.kind == Kind::Tool;
        let unknown = cost_usd.is_none() && !(tool && tokens.total() == 0);
        Usage {
            input: tokens.input,
            cache_read: tokens.cache_read,
            cache_write_5m: tokens.cache_write_5m,
            cache_write_1h: tokens.cache_write_1h,
            output: tokens.output,
            reasoning: tokens.reasoning,
            cost_usd: cost_usd.unwrap_or(0.0),
            unpriced_requests: u64::from(unknown),
            requests: u64::from(!tool && !event.flags.aggregate),
            tool_calls: 0,
        }
    }

    pub fn tool_calls(count: u64) -> Self {
        Usage {
            tool_calls: count,
            ..Usage::default()
        }
    }

    pub fn cache_write(&self) -> u64 {
        self.cache_write_5m.saturating_add(self.cache_write_1h)
    }

    /// Every input class.
    pub fn all_input(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write())
    }

    /// All billed tokens (reasoning is part of output).
    pub fn total_tokens(&self) -> u64 {
        self.all_input().saturating_add(self.output)
    }

    /// Cache reads as a share of all input, when there was input at all.
    pub fn cache_hit_rate(&self) -> Option<f64> {
        let all = self.all_input();
        (all > 0).then(|| self.cache_read as f64 / all as f64)
    }
}

impl Bucket for Usage {
    fn add(&mut self, o: &Self) {
        self.input = self.input.saturating_add(o.input);
        self.cache_read = self.cache_read.saturating_add(o.cache_read);
        self.cache_write_5m = self.cache_write_5m.saturating_add(o.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(o.cache_write_1h);
        self.output = self.output.saturating_add(o.output);
        self.reasoning = self.reasoning.saturating_add(o.reasoning);
        self.cost_usd += o.cost_usd;
        self.unpriced_requests = self.unpriced_requests.saturating_add(o.unpriced_requests);
        self.requests = self.requests.saturating_add(o.requests);
        self.tool_calls = self.tool_calls.saturating_add(o.tool_calls);
    }

    fn sub(&mut self, o: &Self) {
        self.input = self.input.saturating_sub(o.input);
        self.cache_read = self.cache_read.saturating_sub(o.cache_read);
        self.cache_write_5m = self.cache_write_5m.saturating_sub(o.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_sub(o.cache_write_1h);
        self.output = self.output.saturating_sub(o.output);
        self.reasoning = self.reasoning.saturating_sub(o.reasoning);
        // Float sums can leave a hair below zero when everything is taken back out.
        self.cost_usd = (self.cost_usd - o.cost_usd).max(0.0);
        self.unpriced_requests = self.unpriced_requests.saturating_sub(o.unpriced_requests);
        self.requests = self.requests.saturating_sub(o.requests);
        self.tool_calls = self.tool_calls.saturating_sub(o.tool_calls);
    }
}
