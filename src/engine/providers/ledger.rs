//! The providers' own ledger: what their usage and cost reports said, bucket by bucket, kept
//! apart from the logs' totals (a request in a log and on a bill is one request).
//!
//! Polls overlap: the month in days, today in hours, the last hour in minutes. Each update
//! replaces what was known for its range, so a bucket polled again never counts twice, and
//! [`ProviderLedger::effective`] picks for every span of time the one width that describes
//! it best: a day's own bucket once the day had ended when it was read, else its hours,
//! each hour from its own bucket once the hour had ended when it was read, else from its
//! minutes when they cover it, else from whatever is known.

use std::collections::BTreeMap;

use crate::event::TimeMs;
use crate::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Width};

/// Minute and hour buckets are kept this long (today and yesterday, in UTC, at most);
/// older days are read from their day buckets.
const FINE_KEEP_MS: TimeMs = 2 * 86_400_000;
/// Day buckets are kept this long: the month and the one before.
const DAY_KEEP_MS: TimeMs = 62 * 86_400_000;

/// The first slot start of `width` still kept as of `now` (a UTC day's start): what the
/// ledger forgets, the state store forgets too.
pub fn kept_from(width: Width, now: TimeMs) -> TimeMs {
    let keep = match width {
        Width::Day => DAY_KEEP_MS,
        Width::Hour | Width::Minute => FINE_KEEP_MS,
    };
    Width::Day.floor(now - keep)
}

/// One provider's buckets of one family and width.
#[derive(Clone, Debug, Default)]
struct Series {
    /// Buckets by their start: one per group (key, project, model...) of that slot.
    buckets: BTreeMap<TimeMs, Vec<ProviderBucket>>,
    /// Every slot a poll asked for, with when it was read: an empty slot is known empty.
    read_at: BTreeMap<TimeMs, TimeMs>,
}

impl Series {
    fn replace(&mut self, u: ProviderUpdate) {
        let (start, end) = u.range;
        let step = u.width.ms();
        let stale: Vec<TimeMs> = self.buckets.range(start..end).map(|(&s, _)| s).collect();
        for s in stale {
            self.buckets.remove(&s);
        }
        for b in u.buckets {
            // A provider that answers outside what was asked cannot replace it.
            if (start..end).contains(&b.start) {
                self.buckets.entry(b.start).or_default().push(b);
            }
        }
        let mut slot = u.width.floor(start);
        while slot < end {
            self.read_at.insert(slot, u.fetched_at);
            slot += step;
        }
    }

    fn forget_before(&mut self, t: TimeMs) {
        self.buckets = self.buckets.split_off(&t);
        self.read_at = self.read_at.split_off(&t);
    }

    fn slot(&self, start: TimeMs) -> impl Iterator<Item = &ProviderBucket> {
        self.buckets.get(&start).into_iter().flatten()
    }

    fn between(&self, start: TimeMs, end: TimeMs) -> impl Iterator<Item = &ProviderBucket> {
        self.buckets.range(start..end).flat_map(|(_, v)| v)
    }

    /// Whether every slot of `[start, end)` (stepping `step`) was read.
    fn covered(&self, start: TimeMs, end: TimeMs, step: TimeMs) -> bool {
        self.read_at.range(start..end).count() as TimeMs == (end - start + step - 1) / step
    }
}

/// Every provider's buckets, updated by polls and read as one consistent set.
#[derive(Clone, Debug, Default)]
pub struct ProviderLedger {
    series: BTreeMap<(Provider, Family, Width), Series>,
}

impl ProviderLedger {
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Takes one poll's answer in place of what was known for its range.
    pub fn apply(&mut self, u: ProviderUpdate) {
        let width = match u.family {
            Family::Cost => Width::Day,
            Family::Usage => u.width,
        };
        self.series
            .entry((u.provider, u.family, width))
            .or_default()
            .replace(u);
    }

    /// Forgets what no view or reconciliation reads any more as of `now`.
    pub fn forget(&mut self, now: TimeMs) {
        for ((_, _, width), series) in &mut self.series {
            series.forget_before(kept_from(*width, now));
        }
    }

    /// The providers heard from.
    pub fn providers(&self) -> Vec<Provider> {
        let mut all: Vec<Provider> = self.series.keys().map(|k| k.0).collect();
        all.dedup();
        all
    }

    /// The buckets that describe the time read, each span once: bills by day; usage by day
    /// where a day's bucket was read after the day ended, else by hour, where the minutes
    /// of an hour replace its hour bucket when they cover the hour (up to the last minute
    /// read), unless the hour's bucket was read after the hour had ended.
    pub fn effective(&self) -> Vec<&ProviderBucket> {
        let mut out = Vec::new();
        for provider in self.providers() {
            if let Some(costs) = self.series.get(&(provider, Family::Cost, Width::Day)) {
                out.extend(costs.between(TimeMs::MIN, TimeMs::MAX));
            }
            self.usage(provider, &mut out);
        }
        out
    }

    fn usage<'a>(&'a self, provider: Provider, out: &mut Vec<&'a ProviderBucket>) {
        static NONE: Series = Series {
            buckets: BTreeMap::new(),
            read_at: BTreeMap::new(),
        };
        let get = |w| {
            self.series
                .get(&(provider, Family::Usage, w))
                .unwrap_or(&NONE)
        };
        let (days, hours, minutes) = (get(Width::Day), get(Width::Hour), get(Width::Minute));
        let mut day_starts: Vec<TimeMs> = days.read_at.keys().copied().collect();
        day_starts.extend(hours.read_at.keys().map(|&h| Width::Day.floor(h)));
        day_starts.extend(minutes.read_at.keys().map(|&m| Width::Day.floor(m)));
        day_starts.sort_unstable();
        day_starts.dedup();
        let last_minute = minutes
            .read_at
            .keys()
            .next_back()
            .map(|&m| m + Width::Minute.ms());
        for day in day_starts {
            let day_end = day + Width::Day.ms();
            let whole_day = days.read_at.get(&day).is_some_and(|&at| at >= day_end);
            let fine = hours.read_at.range(day..day_end).next().is_some()
                || minutes.read_at.range(day..day_end).next().is_some();
            if whole_day || !fine {
                out.extend(days.slot(day));
                continue;
            }
            // Claude Code's per-user report comes in days only; it is never summed.
            out.extend(
                days.slot(day)
                    .filter(|b| b.report == crate::parse::provider::Report::ClaudeCode),
            );
            let mut hour = day;
            while hour < day_end {
                let hour_end = hour + Width::Hour.ms();
                let upto = last_minute.map_or(hour, |m| m.min(hour_end));
                let by_minutes = upto > hour && minutes.covered(hour, upto, Width::Minute.ms());
                let by_hour = hours.read_at.get(&hour).copied();
                match (by_minutes, by_hour) {
                    // Read after it ended, the hour's own bucket is complete.
                    (_, Some(h)) if h >= hour_end => out.extend(hours.slot(hour)),
                    (true, _) => out.extend(minutes.between(hour, hour_end)),
                    (false, Some(_)) => out.extend(hours.slot(hour)),
                    // Minutes that do not cover the hour are still all that is known of it.
                    (false, None) => out.extend(minutes.between(hour, hour_end)),
                }
                hour = hour_end;
            }
        }
    }
}
