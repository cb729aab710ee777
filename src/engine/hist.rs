//! Distributions per request (input and output tokens, tool calls, latency) and per active
//! minute (tokens, tool calls), as rolling histograms over the last day: what an identity
//! does now against what it usually does.

mod buckets;
mod rolling;

use serde::Serialize;

use self::buckets::{Slot, index, lowest};
use self::rolling::Rolling;
pub use self::rolling::{Gather, Merged};
use super::usage::Usage;
use crate::event::TimeMs;

/// Bars of the distribution chart in the identity view.
pub const BINS: usize = 12;

/// What is counted: four values per request, two per minute with any activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Every input class of one request.
    Input,
    Output,
    /// Tool calls of one response, counted once over its copies.
    ToolCalls,
    LatencyMs,
    /// Tokens (every class) in one minute with activity.
    MinuteTokens,
    MinuteToolCalls,
}
/// How many [`Metric`]s there are.
pub(crate) const METRICS: usize = 6;

/// One finished request's sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestSize {
    pub input: u64,
    pub output: u64,
    pub tool_calls: u64,
    pub latency_ms: Option<u64>,
}

/// p50 / p90 / p99 / max of one distribution, and its shape as [`BINS`] bars. Quantiles
/// read as the lower edge of their bucket (exact below 64, at most 3% low above) except
/// in the max's bucket; `max` is the exact largest value.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Quantiles {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    /// Counts in log-spaced bins from the lowest value recorded to the highest.
    pub bins: Vec<Bin>,
}

/// Values up to `upto` (and above the previous bin's `upto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Bin {
    pub upto: u64,
    pub count: u64,
}

/// The value at quantile `q`: the smallest bucket whose running count reaches `q` of all
/// values (hdrhistogram's rule), read as its lower edge, or as the exact max when that is
/// the max's bucket (so requests all of one size read that size).
fn value_at(m: &Merged, count: u64, q: f64) -> u64 {
    let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
    let top = index(m.max);
    let mut seen = 0;
    for &(bucket, n) in &m.buckets {
        seen += n;
        if seen >= rank {
            return if bucket == top { m.max } else { lowest(bucket) };
        }
    }
    m.max
}

/// The value at quantile `q` of `m`, `None` when it is empty.
pub fn quantile(m: &Merged, q: f64) -> Option<u64> {
    let count = m.count();
    (count > 0).then(|| value_at(m, count, q))
}

impl Quantiles {
    pub fn of(m: &Merged) -> Option<Self> {
        let count = m.count();
        if count == 0 {
            return None;
        }
        Some(Quantiles {
            count,
            p50: value_at(m, count, 0.50),
            p90: value_at(m, count, 0.90),
            p99: value_at(m, count, 0.99),
            max: m.max,
            bins: log_bins(m),
        })
    }
}

/// [`BINS`] bins spaced evenly on a log scale over `[low, high]`: token counts and
/// latencies spread over orders of magnitude, and a linear scale would put nearly every
/// request in the first bar.
fn log_bins(m: &Merged) -> Vec<Bin> {
    let first = m.buckets.first().map_or(0, |&(b, _)| lowest(b));
    let (low, high) = (first.max(1), m.max.max(1));
    let ratio = (high as f64 / low as f64).max(1.0);
    let mut bins: Vec<Bin> = (1..=BINS)
        .map(|i| Bin {
            upto: (low as f64 * ratio.powf(i as f64 / BINS as f64)).round() as u64,
            count: 0,
        })
        .collect();
    if let Some(last) = bins.last_mut() {
        last.upto = high;
    }
    for &(bucket, n) in &m.buckets {
        let value = lowest(bucket).clamp(low, high);
        let at = bins.partition_point(|b| b.upto < value).min(BINS - 1);
        bins[at].count += n;
    }
    bins
}

/// The rolling histograms of one identity (or of the whole fleet), and, for reports, the
/// same per-request values over everything read.
#[derive(Clone, Debug, Default)]
pub struct Distributions {
    rolling: Rolling,
    /// Every request since the start, kept only when asked (reports): a live run would
    /// grow it without bound in time, if not in memory.
    range: Option<Box<Slot>>,
}

impl Distributions {
    /// One finished request at `time`; `whole_range` also keeps it beyond the day.
    pub fn record_request(&mut self, time: TimeMs, size: &RequestSize, whole_range: bool) {
        let values = [
            (Metric::Input, Some(size.input)),
            (Metric::Output, Some(size.output)),
            (Metric::ToolCalls, Some(size.tool_calls)),
            (Metric::LatencyMs, size.latency_ms),
        ];
        for (metric, value) in values {
            let Some(value) = value else { continue };
            self.rolling.record(time, metric as usize, value);
            if whole_range {
                self.range
                    .get_or_insert_default()
                    .record(metric as usize, value);
            }
        }
    }

    /// The totals of a minute starting at `start` that no longer changes (it left the
    /// minute ring); minutes with no request and no tool call are not counted.
    pub fn record_minute(&mut self, start: TimeMs, usage: &Usage) {
        if usage.requests == 0 && usage.tool_calls == 0 {
            return;
        }
        let tokens = usage.total_tokens();
        self.rolling
            .record(start, Metric::MinuteTokens as usize, tokens);
        let calls = usage.tool_calls;
        self.rolling
            .record(start, Metric::MinuteToolCalls as usize, calls);
    }

    /// `metric` over the window of `len_ms` ending at `now` (see [`Rolling::gather`]),
    /// with `open` adding values not yet in a slot (the minutes still in the minute ring,
    /// given the window's first instant).
    pub fn window(
        &self,
        now: TimeMs,
        len_ms: i64,
        metric: Metric,
        open: impl FnOnce(TimeMs, &mut Gather),
    ) -> Merged {
        let mut gather = Gather::default();
        let from = self
            .rolling
            .gather(now, len_ms, metric as usize, &mut gather);
        open(from, &mut gather);
        gather.merged()
    }

    /// `metric` over every request recorded with `whole_range`.
    pub fn range(&self, metric: Metric) -> Merged {
        let mut gather = Gather::default();
        if let Some(slot) = &self.range {
            gather.slot(slot, metric as usize);
        }
        gather.merged()
    }

    /// Slots allocated: what a long run holds on to.
    pub fn slots(&self) -> usize {
        self.rolling.slots()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(values: &[u64]) -> Merged {
        let mut g = Gather::default();
        values.iter().for_each(|&v| g.value(v));
        g.merged()
    }

    #[test]
    fn bins_hold_every_value_once_on_a_log_scale() {
        let q = Quantiles::of(&merged(&[10, 10, 12, 100, 1_000, 10_000])).expect("values");
        assert_eq!(q.bins.len(), BINS);
        assert_eq!(q.bins.iter().map(|b| b.count).sum::<u64>(), 6);
        assert_eq!(q.bins.last().map(|b| b.upto), Some(q.max));
        // 10 to 10,000 is three decades over twelve bars: four bars a decade.
        assert_eq!(q.bins[0].count, 3);
        assert_eq!(q.bins[4].count + q.bins[3].count, 1);
        assert!(q.bins.windows(2).all(|w| w[0].upto <= w[1].upto));
    }

    #[test]
    fn one_value_fills_one_bin_and_is_its_own_max() {
        let q = Quantiles::of(&merged(&[100])).expect("a value");
        assert_eq!(q.bins.iter().map(|b| b.count).sum::<u64>(), 1);
        assert_eq!((q.p50, q.p99, q.max), (100, 100, 100));
        let q = Quantiles::of(&merged(&[4_999])).expect("a value");
        assert_eq!(q.max, 4_999, "the max is exact, not a bucket's edge");
        assert!(q.p50 <= 4_999 && q.p50 >= 4_999 - 4_999 / 32);
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        let values: Vec<u64> = (1..=10).map(|i| i * 64).collect();
        let q = Quantiles::of(&merged(&values)).expect("values");
        assert_eq!(
            (q.count, q.p50, q.p90, q.p99, q.max),
            (10, 320, 576, 640, 640)
        );
    }
}
