//! When the live monitor asks a provider for what. Pure: time is an argument, and what was
//! read before (by this run, or read back from the state store) is given.
//!
//! - The month in day buckets, usage and costs: at start unless a restored read is younger
//!   than an hour, then every hour and right after UTC midnight (yesterday is complete).
//! - Today in hour buckets: at start unless a restored read is younger than the interval
//!   (and of this hour), then right after every UTC hour boundary (the hour just ended gets
//!   its whole bucket).
//! - The recent minutes, `[floor_hour(now - 10 min), now)`, every interval: the current
//!   hour, and the previous one in its first ten minutes, for data that arrives late.
//!
//! A read that failed is tried again one interval later at the earliest.

use std::collections::BTreeMap;

use crate::event::TimeMs;
use crate::parse::provider::{Family, ProviderUpdate, Width};
use crate::timefmt::utc_month_start;

const HOUR_MS: TimeMs = 3_600_000;
const DAY_MS: TimeMs = 86_400_000;
/// The month's day buckets are read again this often: costs lag and are revised.
pub const MONTH_REFRESH_MS: TimeMs = HOUR_MS;
/// Minute polls reach back this far into the previous hour for late data.
pub const LATE_MS: TimeMs = 10 * 60_000;

/// One kind of read the monitor repeats, one per family and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    MonthUsage,
    MonthCost,
    TodayHours,
    RecentMinutes,
}

impl Job {
    /// In the order a round reads them: the coarse backfill before the minutes.
    pub const ALL: [Job; 4] = [
        Job::MonthUsage,
        Job::MonthCost,
        Job::TodayHours,
        Job::RecentMinutes,
    ];

    pub fn family(self) -> Family {
        match self {
            Job::MonthCost => Family::Cost,
            _ => Family::Usage,
        }
    }

    pub fn width(self) -> Width {
        match self {
            Job::MonthUsage | Job::MonthCost => Width::Day,
            Job::TodayHours => Width::Hour,
            Job::RecentMinutes => Width::Minute,
        }
    }

    /// The job whose reads an update of `family` and `width` is (costs come in days only).
    pub fn of(family: Family, width: Width) -> Job {
        match (family, width) {
            (Family::Cost, _) => Job::MonthCost,
            (Family::Usage, Width::Day) => Job::MonthUsage,
            (Family::Usage, Width::Hour) => Job::TodayHours,
            (Family::Usage, Width::Minute) => Job::RecentMinutes,
        }
    }

    /// What this job asks for at `now`, `[start, now)`.
    pub fn range(self, now: TimeMs) -> (TimeMs, TimeMs) {
        let start = match self {
            // Right after midnight on the 1st, yesterday is last month's: still read it.
            Job::MonthUsage | Job::MonthCost => {
                utc_month_start(now).min(Width::Day.floor(now) - DAY_MS)
            }
            // Right after midnight, the hour just ended is yesterday's.
            Job::TodayHours => Width::Day.floor(now).min(Width::Hour.floor(now) - HOUR_MS),
            Job::RecentMinutes => Width::Hour.floor(now - LATE_MS),
        };
        (start, now)
    }

    /// When the job is due again after a read at `at`.
    fn due_after(self, at: TimeMs, interval: TimeMs) -> TimeMs {
        match self {
            Job::MonthUsage | Job::MonthCost => {
                (at + MONTH_REFRESH_MS).min(Width::Day.floor(at) + DAY_MS)
            }
            Job::TodayHours => Width::Hour.floor(at) + HOUR_MS,
            Job::RecentMinutes => at + interval,
        }
    }
}

/// When this provider's jobs were last read, and which reads failed since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Known {
    last: BTreeMap<Job, TimeMs>,
    failed: BTreeMap<Job, TimeMs>,
}

impl Known {
    /// What the state store held as of `now` (the latest `fetched_at` per job). A stored
    /// hour read older than `interval` does not count: hours are otherwise read again only
    /// after the next boundary, and this run has not seen the current one. Nor does a read
    /// stamped after `now` (a store written by a clock ahead of this one).
    pub fn restored<'a>(
        updates: impl IntoIterator<Item = &'a ProviderUpdate>,
        now: TimeMs,
        interval: TimeMs,
    ) -> Known {
        let mut known = Known::default();
        for u in updates {
            let job = Job::of(u.family, u.width);
            let at = u.fetched_at;
            let stale = at > now || (job == Job::TodayHours && now - at >= interval);
            if !stale && known.last(job).is_none_or(|last| last < at) {
                known.last.insert(job, at);
            }
        }
        known
    }

    /// `job` was read at `at`.
    pub fn read(&mut self, job: Job, at: TimeMs) {
        self.last.insert(job, at);
        self.failed.remove(&job);
    }

    /// `job` was tried at `at` and failed (or was put off after another failed).
    pub fn failed(&mut self, job: Job, at: TimeMs) {
        self.failed.insert(job, at);
    }

    /// When `job` was last read.
    pub fn last(&self, job: Job) -> Option<TimeMs> {
        self.last.get(&job).copied()
    }

    /// From when `job` is due as of `now`. A read after `now` (the clock went back) makes
    /// nothing wait.
    fn due_at(&self, job: Job, now: TimeMs, interval: TimeMs) -> TimeMs {
        let after_read = match self.last(job) {
            Some(at) if at <= now => job.due_after(at, interval),
            _ => TimeMs::MIN,
        };
        match self.failed.get(&job) {
            Some(&at) => after_read.max(at + interval),
            None => after_read,
        }
    }
}

/// One read due now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fetch {
    pub job: Job,
    pub family: Family,
    pub width: Width,
    pub range: (TimeMs, TimeMs),
}

/// The reads due now, and when the next one is due once they are made now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub due: Vec<Fetch>,
    pub next: TimeMs,
}

/// What to read at `now`, polling every `interval` ms, given what is `known`.
pub fn plan(now: TimeMs, interval: TimeMs, known: &Known) -> Plan {
    let interval = interval.max(1);
    let mut after = known.clone();
    let mut due = Vec::new();
    for job in Job::ALL {
        if known.due_at(job, now, interval) <= now {
            due.push(Fetch {
                job,
                family: job.family(),
                width: job.width(),
                range: job.range(now),
            });
            after.read(job, now);
        }
    }
    let next = Job::ALL
        .into_iter()
        .map(|job| after.due_at(job, now, interval))
        .min()
        .unwrap_or(now + interval);
    Plan { due, next }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
