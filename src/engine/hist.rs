//! Per-identity distributions (tokens per request, latency), allocated on first use.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Precision kept by every histogram: 2 significant digits (1% error). Memory grows with
/// the ratio of the highest to the lowest value told apart, hence bounds per use.
const SIGFIG: u8 = 2;
/// Input of one request (all classes): 2 M covers every context window on the market;
/// below 16 tokens values are not told apart (a request that small is rare and cheap).
const INPUT: (u64, u64) = (16, 2_000_000);
/// Output of one request: 256 k is above every model's output limit.
const OUTPUT: (u64, u64) = (1, 256_000);
/// Latency of one request, in ms: from 10 ms to 10 minutes.
const LATENCY_MS: (u64, u64) = (10, 600_000);

/// Bars of the distribution chart in the identity view.
pub const BINS: usize = 12;

/// p50 / p90 / p99 / max of one distribution, and its shape as [`BINS`] bars.
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

/// [`BINS`] bins spaced evenly on a log scale over `[low, high]`: token counts and
/// latencies spread over orders of magnitude, and a linear scale would put nearly every
/// request in the first bar.
fn log_bins(h: &Histogram<u32>) -> Vec<Bin> {
    let (low, high) = (h.min().max(1), h.max().max(1));
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
    for step in h.iter_recorded() {
        // Each recorded value stands for its bucket's range: it goes where that lands.
        let value = h.highest_equivalent(step.value_iterated_to()).min(high);
        let at = bins.partition_point(|b| b.upto < value).min(BINS - 1);
        bins[at].count += u64::from(step.count_at_value());
    }
    bins
}

/// A histogram that costs nothing until the first value arrives.
#[derive(Clone, Debug, Default)]
pub struct LazyHistogram {
    /// Lowest value told apart, highest value kept.
    bounds: (u64, u64),
    inner: Option<Box<Histogram<u32>>>,
}

impl LazyHistogram {
    fn with(bounds: (u64, u64)) -> Self {
        LazyHistogram {
            bounds,
            inner: None,
        }
    }

    pub fn input_tokens() -> Self {
        LazyHistogram::with(INPUT)
    }

    pub fn output_tokens() -> Self {
        LazyHistogram::with(OUTPUT)
    }

    pub fn latency() -> Self {
        LazyHistogram::with(LATENCY_MS)
    }

    pub fn record(&mut self, value: u64) {
        let (low, high) = self.bounds;
        if self.inner.is_none() {
            self.inner = Histogram::new_with_bounds(low, high, SIGFIG)
                .ok()
                .map(Box::new);
        }
        if let Some(h) = &mut self.inner {
            // Values past the bound are clamped to it rather than lost.
            h.saturating_record(value.min(high));
        }
    }

    pub fn quantiles(&self) -> Option<Quantiles> {
        let h = self.inner.as_deref()?;
        Some(Quantiles {
            count: h.len(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            max: h.max(),
            bins: log_bins(h),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_every_value_once_on_a_log_scale() {
        let mut h = LazyHistogram::output_tokens();
        for v in [10, 10, 12, 100, 1_000, 10_000] {
            h.record(v);
        }
        let q = h.quantiles().expect("recorded");
        assert_eq!(q.bins.len(), BINS);
        assert_eq!(q.bins.iter().map(|b| b.count).sum::<u64>(), 6);
        assert_eq!(q.bins.last().map(|b| b.upto), Some(q.max));
        // 10 to 10,000 is three decades over twelve bars: four bars a decade.
        assert_eq!(q.bins[0].count, 3);
        assert_eq!(q.bins[4].count + q.bins[3].count, 1);
        assert!(q.bins.windows(2).all(|w| w[0].upto <= w[1].upto));
    }

    #[test]
    fn one_value_fills_the_last_bin() {
        let mut h = LazyHistogram::latency();
        h.record(500);
        let q = h.quantiles().expect("recorded");
        assert_eq!(q.bins.iter().map(|b| b.count).sum::<u64>(), 1);
    }
}
