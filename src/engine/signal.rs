//! The rates bursts are detected on, and the settings of the detector.

use serde::{Deserialize, Serialize};

use super::usage::Usage;
use crate::format;

/// One of the rates bursts are detected on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    Tokens,
    Cost,
    Requests,
    ToolCalls,
}

impl Signal {
    pub const ALL: [Signal; 4] = [
        Signal::Tokens,
        Signal::Cost,
        Signal::Requests,
        Signal::ToolCalls,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }

    /// The four rates of a usage sum, in [`Signal::ALL`] order.
    pub fn values(u: &Usage) -> [f64; 4] {
        [
            u.total_tokens() as f64,
            u.cost_usd,
            u.requests as f64,
            u.tool_calls as f64,
        ]
    }

    /// Whether the rate counts things, whose noise is at least Poisson's.
    pub(super) fn counts(self) -> bool {
        matches!(self, Signal::Requests | Signal::ToolCalls)
    }

    /// Added before taking logs, so that small and zero values stay finite and close
    /// together: far below any minimum volume worth a burst.
    pub(super) fn pseudo_count(self) -> f64 {
        match self {
            Signal::Tokens => 1_000.0,
            Signal::Cost => 0.001,
            Signal::Requests | Signal::ToolCalls => 1.0,
        }
    }

    /// A rate with its unit: `412 req/min`, `$1.20/min`, `2.1M tok/min`.
    pub fn rate(self, v: f64) -> String {
        match self {
            Signal::Tokens => format!("{} tok/min", format::si(v)),
            Signal::Cost => format!("{}/min", format::usd(v)),
            Signal::Requests => format!("{} req/min", format::si(v)),
            Signal::ToolCalls => format!("{} tool calls/min", format::si(v)),
        }
    }

    /// A rate without the unit's name, for the second mention: `29/min`, `$0.09/min`.
    pub(super) fn short(self, v: f64) -> String {
        match self {
            Signal::Cost => format!("{}/min", format::usd(v)),
            _ => format!("{}/min", format::si(v)),
        }
    }
}

/// How eager the detector is (the rule is in `burst`'s docs). The defaults favour no
/// false alarms: the README quotes what they give on a simulated day of the demo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BurstSettings {
    /// k in `exp(level + k × σ)` (logs): higher is less sensitive (> 0).
    pub sensitivity: f64,
    /// A burst is at least this many times the usual rate (≥ 1).
    pub min_ratio: f64,
    /// Below these rates (per minute, every unit together) nothing is a burst.
    pub min_volume: MinVolume,
    /// Minutes an identity must have been seen before it can burst.
    pub warmup_minutes: u32,
}

impl Default for BurstSettings {
    fn default() -> Self {
        BurstSettings {
            sensitivity: 4.0,
            min_ratio: 3.0,
            min_volume: MinVolume::default(),
            warmup_minutes: 30,
        }
    }
}

/// The least rate per minute, for each signal, that can be a burst.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinVolume {
    pub tokens: f64,
    pub cost_usd: f64,
    pub requests: f64,
    pub tool_calls: f64,
}

impl Default for MinVolume {
    fn default() -> Self {
        MinVolume {
            tokens: 200_000.0,
            cost_usd: 0.20,
            requests: 20.0,
            tool_calls: 20.0,
        }
    }
}

impl MinVolume {
    pub(super) fn of(&self, signal: Signal) -> f64 {
        match signal {
            Signal::Tokens => self.tokens,
            Signal::Cost => self.cost_usd,
            Signal::Requests => self.requests,
            Signal::ToolCalls => self.tool_calls,
        }
    }
}
