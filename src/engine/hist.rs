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

/// p50 / p90 / p99 / max of one distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Quantiles {
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
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
        })
    }
}
