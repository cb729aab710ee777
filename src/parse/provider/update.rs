//! What one poll of one report brought: every bucket of a family and width whose start lies
//! in the range fetched. Applying it replaces what was known for that range, so re-polled
//! buckets, overlapping polls, restarts and late data never count twice.

use serde::{Deserialize, Serialize};

use super::{Provider, ProviderBucket, Report};
use crate::event::TimeMs;

/// A bucket width the usage reports take (`bucket_width`); cost reports take days only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Width {
    #[serde(rename = "1m")]
    Minute,
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "1d")]
    Day,
}

impl Width {
    pub const ALL: [Width; 3] = [Width::Minute, Width::Hour, Width::Day];

    /// As the APIs spell it: `1m`, `1h`, `1d`.
    pub fn param(self) -> &'static str {
        match self {
            Width::Minute => "1m",
            Width::Hour => "1h",
            Width::Day => "1d",
        }
    }

    pub fn ms(self) -> TimeMs {
        match self {
            Width::Minute => 60_000,
            Width::Hour => 3_600_000,
            Width::Day => 86_400_000,
        }
    }

    /// The most buckets one page may hold (both providers' maximum `limit`).
    pub fn max_per_page(self) -> u32 {
        match self {
            Width::Minute => 1440,
            Width::Hour => 168,
            Width::Day => 31,
        }
    }

    /// The start of the bucket holding `t`.
    pub fn floor(self, t: TimeMs) -> TimeMs {
        t - t.rem_euclid(self.ms())
    }

    pub fn from_param(s: &str) -> Option<Width> {
        Width::ALL.into_iter().find(|w| w.param() == s)
    }
}

/// The reports one fetch reads together: usage (with Claude Code's per-user report, read in
/// days only) or the bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Usage,
    Cost,
}

impl Family {
    pub fn covers(self, report: Report) -> bool {
        match self {
            Family::Usage => matches!(report, Report::Usage | Report::ClaudeCode),
            Family::Cost => report == Report::Cost,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Usage => "usage",
            Family::Cost => "cost",
        }
    }
}

/// One provider's answer for one family, width and range.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderUpdate {
    pub provider: Provider,
    pub family: Family,
    pub width: Width,
    /// `[start, end)`, aligned to `width`: every bucket of this provider, family and width
    /// starting inside is replaced by `buckets` (none left means none was there).
    pub range: (TimeMs, TimeMs),
    /// When it was read (wall clock): a bucket read after its end is complete as far as
    /// the provider knew then.
    pub fetched_at: TimeMs,
    pub buckets: Vec<ProviderBucket>,
}
