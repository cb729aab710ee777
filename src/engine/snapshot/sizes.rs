//! Sizes per request and per active minute in the snapshot: over the view's window and
//! over the last day ("usual"), read from the rolling histograms.

use serde::Serialize;

use super::{RateWindow, TimelineSpan};
use crate::engine::hist::{Distributions, Gather, Merged, Metric, Quantiles};
use crate::engine::usage::Usage;
use crate::engine::window::TieredWindow;
use crate::event::TimeMs;

const DAY_MS: i64 = 24 * 3_600_000;

/// One window's distributions (`None`: nothing in the window).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sizes {
    pub input: Option<Quantiles>,
    pub output: Option<Quantiles>,
    pub tool_calls: Option<Quantiles>,
    pub latency_ms: Option<Quantiles>,
    /// Tokens in each minute with a request or a tool call.
    pub minute_tokens: Option<Quantiles>,
    pub minute_tool_calls: Option<Quantiles>,
}

/// The identity view's sizes: over its timeline's span, and over the last 24 h to compare.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SizeWindows {
    pub span: TimelineSpan,
    pub now: Sizes,
    pub usual: Sizes,
}

/// The distributions of one identity (or the fleet) and the window whose minute ring holds
/// the minutes not yet in them.
pub struct Source<'a> {
    pub dists: &'a Distributions,
    pub window: &'a TieredWindow<Usage>,
}

impl Source<'_> {
    fn merged(&self, now: TimeMs, len_ms: i64, metric: Metric) -> Merged {
        let minute_value = match metric {
            Metric::MinuteTokens => Some(Usage::total_tokens as fn(&Usage) -> u64),
            Metric::MinuteToolCalls => Some((|u: &Usage| u.tool_calls) as fn(&Usage) -> u64),
            _ => None,
        };
        self.dists
            .window(now, len_ms, metric, |from, gather: &mut Gather| {
                let Some(value) = minute_value else { return };
                for minute in self.window.open_minutes(from, now) {
                    if minute.requests > 0 || minute.tool_calls > 0 {
                        gather.value(value(minute));
                    }
                }
            })
    }

    /// Every distribution over the window of `len_ms` ending at `now`.
    pub fn sizes(&self, now: TimeMs, len_ms: i64) -> Sizes {
        let q = |metric| Quantiles::of(&self.merged(now, len_ms, metric));
        Sizes {
            input: q(Metric::Input),
            output: q(Metric::Output),
            tool_calls: q(Metric::ToolCalls),
            latency_ms: q(Metric::LatencyMs),
            minute_tokens: q(Metric::MinuteTokens),
            minute_tool_calls: q(Metric::MinuteToolCalls),
        }
    }

    /// Over the timeline's span, and over the day.
    pub fn windows(&self, now: TimeMs, span: TimelineSpan) -> SizeWindows {
        SizeWindows {
            span,
            now: self.sizes(now, span.ms()),
            usual: self.sizes(now, DAY_MS),
        }
    }

    /// The p90 of input tokens per request over the rate window (at least the current
    /// five-minute slot: the 1 m window reads the last 0-5 minutes).
    pub fn p90_input(&self, now: TimeMs, window: RateWindow) -> Option<u64> {
        crate::engine::hist::quantile(&self.merged(now, window.ms(), Metric::Input), 0.90)
    }
}

/// One line of the identity view's sizes table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeRow<'a> {
    pub label: &'static str,
    pub now: Option<&'a Quantiles>,
    pub usual: Option<&'a Quantiles>,
}

impl SizeWindows {
    /// The distributions with a value in the day, per request first, then per minute.
    pub fn rows(&self) -> Vec<SizeRow<'_>> {
        let (n, u) = (&self.now, &self.usual);
        [
            ("input tokens", &n.input, &u.input),
            ("output tokens", &n.output, &u.output),
            ("tool calls", &n.tool_calls, &u.tool_calls),
            ("latency ms", &n.latency_ms, &u.latency_ms),
            ("tokens/min", &n.minute_tokens, &u.minute_tokens),
            ("tool calls/min", &n.minute_tool_calls, &u.minute_tool_calls),
        ]
        .into_iter()
        .filter(|(_, now, usual)| now.is_some() || usual.is_some())
        .map(|(label, now, usual)| SizeRow {
            label,
            now: now.as_ref(),
            usual: usual.as_ref(),
        })
        .collect()
    }
}

/// One distribution as a report prints it: `max` exact, quantiles as in [`Quantiles`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QuantileSummary {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub n: u64,
}

impl QuantileSummary {
    fn of(m: &Merged) -> Option<Self> {
        let q = Quantiles::of(m)?;
        Some(QuantileSummary {
            p50: q.p50,
            p90: q.p90,
            p99: q.p99,
            max: q.max,
            n: q.count,
        })
    }
}

/// Sizes per request over everything read (`null`: no request logged that value).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestSummary {
    pub input: Option<QuantileSummary>,
    pub output: Option<QuantileSummary>,
    pub tool_calls: Option<QuantileSummary>,
    pub latency_ms: Option<QuantileSummary>,
}

impl RequestSummary {
    /// Over every request recorded in the whole range (reports).
    pub fn whole_range(dists: &Distributions) -> Self {
        let q = |metric| QuantileSummary::of(&dists.range(metric));
        RequestSummary {
            input: q(Metric::Input),
            output: q(Metric::Output),
            tool_calls: q(Metric::ToolCalls),
            latency_ms: q(Metric::LatencyMs),
        }
    }
}
