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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Tokens;
    use crate::parse::provider::Report;

    /// 2026-08-01 00:00 UTC.
    const DAY: TimeMs = 1_785_542_400_000;
    const H: TimeMs = 3_600_000;
    const M: TimeMs = 60_000;

    fn bucket(width: Width, start: TimeMs, input: u64) -> ProviderBucket {
        ProviderBucket {
            provider: Provider::OpenAi,
            report: Report::Usage,
            start,
            end: start + width.ms(),
            api_key_id: Some("key_a".into()),
            project: None,
            user: None,
            model: Some("gpt-4o".into()),
            service_tier: None,
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            requests: Some(1),
            billed_usd: None,
        }
    }

    fn update(
        width: Width,
        range: (TimeMs, TimeMs),
        at: TimeMs,
        b: Vec<ProviderBucket>,
    ) -> ProviderUpdate {
        ProviderUpdate {
            provider: Provider::OpenAi,
            family: Family::Usage,
            width,
            range,
            fetched_at: at,
            buckets: b,
        }
    }

    fn input(ledger: &ProviderLedger) -> u64 {
        ledger.effective().iter().map(|b| b.tokens.input).sum()
    }

    #[test]
    fn a_bucket_polled_again_replaces_its_earlier_value() {
        let mut l = ProviderLedger::default();
        let range = (DAY + 10 * H, DAY + 10 * H + 5 * M);
        l.apply(update(
            Width::Minute,
            range,
            range.1,
            vec![bucket(Width::Minute, DAY + 10 * H, 100)],
        ));
        l.apply(update(
            Width::Minute,
            range,
            range.1 + M,
            vec![bucket(Width::Minute, DAY + 10 * H, 130)],
        ));
        assert_eq!(input(&l), 130, "the re-polled minute, not both");
        // A poll that finds the minute empty now empties it.
        l.apply(update(Width::Minute, range, range.1 + 2 * M, vec![]));
        assert_eq!(input(&l), 0);
    }

    #[test]
    fn days_hours_and_minutes_of_the_same_time_count_once() {
        let mut l = ProviderLedger::default();
        let now = DAY + 10 * H + 30 * M;
        // The month in days, today's day bucket partial (read before the day ended).
        l.apply(update(
            Width::Day,
            (DAY - Width::Day.ms(), now),
            now,
            vec![
                bucket(Width::Day, DAY - Width::Day.ms(), 7_000),
                bucket(Width::Day, DAY, 1_050),
            ],
        ));
        // Today in hours: hours 0-9 complete (100 each), hour 10 partial (50).
        let mut hours: Vec<ProviderBucket> = (0..10)
            .map(|h| bucket(Width::Hour, DAY + h * H, 100))
            .collect();
        hours.push(bucket(Width::Hour, DAY + 10 * H, 50));
        l.apply(update(Width::Hour, (DAY, now), now, hours));
        assert_eq!(input(&l), 7_000 + 1_050, "yesterday by day, today by hour");
        // Minutes of hour 10 so far, read a minute later: 40 minutes of 2.
        let later = now + 10 * M;
        let minutes = (0..40)
            .map(|m| bucket(Width::Minute, DAY + 10 * H + m * M, 2))
            .collect();
        l.apply(update(Width::Minute, (DAY + 10 * H, later), later, minutes));
        assert_eq!(
            input(&l),
            7_000 + 1_000 + 80,
            "hour 10 from its minutes now"
        );
        // Hour 10 read again once it has ended: its own bucket is complete.
        let after = DAY + 11 * H + 5 * M;
        l.apply(update(Width::Hour, (DAY, after), after, {
            let mut v: Vec<ProviderBucket> = (0..10)
                .map(|h| bucket(Width::Hour, DAY + h * H, 100))
                .collect();
            v.push(bucket(Width::Hour, DAY + 10 * H, 95));
            v
        }));
        assert_eq!(input(&l), 7_000 + 1_000 + 95);
        // The day read again after it ended wins over its hours.
        let tomorrow = DAY + Width::Day.ms() + H;
        l.apply(update(
            Width::Day,
            (DAY, tomorrow),
            tomorrow,
            vec![bucket(Width::Day, DAY, 2_400)],
        ));
        assert_eq!(input(&l), 7_000 + 2_400);
    }

    #[test]
    fn minutes_that_leave_a_gap_in_the_hour_give_way_to_the_hour_bucket() {
        let mut l = ProviderLedger::default();
        let now = DAY + 10 * H + 30 * M;
        l.apply(update(
            Width::Hour,
            (DAY + 10 * H, now),
            now,
            vec![bucket(Width::Hour, DAY + 10 * H, 60)],
        ));
        // Minutes from 10:20 only: the hour's first twenty were never read by minute.
        let minutes = (20..30)
            .map(|m| bucket(Width::Minute, DAY + 10 * H + m * M, 1))
            .collect();
        l.apply(update(
            Width::Minute,
            (DAY + 10 * H + 20 * M, now),
            now,
            minutes,
        ));
        assert_eq!(input(&l), 60);
    }

    #[test]
    fn old_fine_buckets_are_forgotten_but_days_stay() {
        let mut l = ProviderLedger::default();
        l.apply(update(
            Width::Day,
            (DAY, DAY + Width::Day.ms()),
            DAY + 2 * Width::Day.ms(),
            vec![bucket(Width::Day, DAY, 5)],
        ));
        l.apply(update(
            Width::Minute,
            (DAY, DAY + M),
            DAY + M,
            vec![bucket(Width::Minute, DAY, 1)],
        ));
        l.forget(DAY + 5 * Width::Day.ms());
        assert_eq!(input(&l), 5);
        l.forget(DAY + 90 * Width::Day.ms());
        assert_eq!(input(&l), 0);
    }
}
