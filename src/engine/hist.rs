//! Per-identity distributions (tokens per request, latency), allocated on first use.

use hdrhistogram::Histogram;
use serde::Serialize;

/// Precision kept by every histogram: 2 significant digits (1% error), a few KiB each.
const SIGFIG: u8 = 2;
/// Tokens in one request: up to 10 M covers every context window on the market.
const MAX_TOKENS: u64 = 10_000_000;
/// Latency of one request: up to one hour.
const MAX_LATENCY_MS: u64 = 3_600_000;

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
    max: u64,
    inner: Option<Box<Histogram<u32>>>,
}

impl LazyHistogram {
    pub fn tokens() -> Self {
        LazyHistogram {
            max: MAX_TOKENS,
            inner: None,
        }
    }

    pub fn latency() -> Self {
        LazyHistogram {
            max: MAX_LATENCY_MS,
            inner: None,
        }
    }

    pub fn record(&mut self, value: u64) {
        if self.inner.is_none() {
            self.inner = Histogram::new_with_bounds(1, self.max, SIGFIG)
                .ok()
                .map(Box::new);
        }
        if let Some(h) = &mut self.inner {
            // Values past the bound are clamped to it rather than lost.
            h.saturating_record(value.min(self.max));
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
