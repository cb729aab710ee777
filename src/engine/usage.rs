//! The summable unit of every window, total and breakdown.

use serde::Serialize;

use super::window::Bucket;
use crate::event::Tokens;

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
    /// One request's contribution.
    pub fn request(tokens: &Tokens, cost_usd: Option<f64>) -> Self {
        Usage {
            input: tokens.input,
            cache_read: tokens.cache_read,
            cache_write_5m: tokens.cache_write_5m,
            cache_write_1h: tokens.cache_write_1h,
            output: tokens.output,
            reasoning: tokens.reasoning,
            cost_usd: cost_usd.unwrap_or(0.0),
            unpriced_requests: u64::from(cost_usd.is_none()),
            requests: 1,
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

/// [`Usage`] as a rolling-window bucket holds it: counts of one bucket of one identity fit
/// in 32 bits (saturating, never wrapping), which halves the windows' memory.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WindowUsage {
    input: u32,
    cache_read: u32,
    cache_write_5m: u32,
    cache_write_1h: u32,
    output: u32,
    reasoning: u32,
    unpriced_requests: u32,
    requests: u32,
    tool_calls: u32,
    cost_usd: f64,
}

fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl From<&Usage> for WindowUsage {
    fn from(u: &Usage) -> Self {
        WindowUsage {
            input: narrow(u.input),
            cache_read: narrow(u.cache_read),
            cache_write_5m: narrow(u.cache_write_5m),
            cache_write_1h: narrow(u.cache_write_1h),
            output: narrow(u.output),
            reasoning: narrow(u.reasoning),
            unpriced_requests: narrow(u.unpriced_requests),
            requests: narrow(u.requests),
            tool_calls: narrow(u.tool_calls),
            cost_usd: u.cost_usd,
        }
    }
}

impl From<WindowUsage> for Usage {
    fn from(w: WindowUsage) -> Self {
        Usage {
            input: w.input.into(),
            cache_read: w.cache_read.into(),
            cache_write_5m: w.cache_write_5m.into(),
            cache_write_1h: w.cache_write_1h.into(),
            output: w.output.into(),
            reasoning: w.reasoning.into(),
            cost_usd: w.cost_usd,
            unpriced_requests: w.unpriced_requests.into(),
            requests: w.requests.into(),
            tool_calls: w.tool_calls.into(),
        }
    }
}

impl Bucket for WindowUsage {
    fn add(&mut self, o: &Self) {
        for (a, b) in self.counts_mut().into_iter().zip(o.counts()) {
            *a = a.saturating_add(b);
        }
        self.cost_usd += o.cost_usd;
    }

    fn sub(&mut self, o: &Self) {
        for (a, b) in self.counts_mut().into_iter().zip(o.counts()) {
            *a = a.saturating_sub(b);
        }
        self.cost_usd = (self.cost_usd - o.cost_usd).max(0.0);
    }
}

impl WindowUsage {
    fn counts(&self) -> [u32; 9] {
        [
            self.input,
            self.cache_read,
            self.cache_write_5m,
            self.cache_write_1h,
            self.output,
            self.reasoning,
            self.unpriced_requests,
            self.requests,
            self.tool_calls,
        ]
    }

    fn counts_mut(&mut self) -> [&mut u32; 9] {
        [
            &mut self.input,
            &mut self.cache_read,
            &mut self.cache_write_5m,
            &mut self.cache_write_1h,
            &mut self.output,
            &mut self.reasoning,
            &mut self.unpriced_requests,
            &mut self.requests,
            &mut self.tool_calls,
        ]
    }
}
