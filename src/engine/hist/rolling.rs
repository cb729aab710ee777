//! Rolling histograms: [`Slot`]s of five minutes for the newest hour or two and of an hour
//! beyond, allocated when a value arrives and freed once past the 24 h horizon, merged on
//! demand into the window asked for.

use std::collections::VecDeque;

use super::buckets::{Slot, index};
use crate::event::TimeMs;

/// Width of the newest slots: the resolution of the 15 m and 1 h windows.
const FINE_MS: i64 = 5 * 60_000;
/// Width of the older slots: the resolution of the 6 h and 24 h windows.
const HOUR_MS: i64 = 3_600_000;
/// How far back (before the newest value) anything is kept.
const HORIZON_MS: i64 = 24 * HOUR_MS;

/// One metric's counts over a window: what quantiles and shapes are read from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merged {
    /// `(bucket, count)` sorted by bucket, each bucket once.
    pub buckets: Vec<(u16, u64)>,
    /// The exact largest value.
    pub max: u64,
}

impl Merged {
    /// Merges counts gathered in any order, some buckets more than once.
    pub fn from_counts(mut counts: Vec<(u16, u64)>, max: u64) -> Self {
        counts.sort_unstable_by_key(|&(b, _)| b);
        let mut buckets: Vec<(u16, u64)> = Vec::with_capacity(counts.len());
        for (b, n) in counts {
            match buckets.last_mut() {
                Some(last) if last.0 == b => last.1 += n,
                _ => buckets.push((b, n)),
            }
        }
        Merged { buckets, max }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|&(_, n)| n).sum()
    }
}

/// Counts of one value, gathered before merging: a slot's counts or a single value.
#[derive(Default)]
pub struct Gather {
    counts: Vec<(u16, u64)>,
    max: u64,
}

impl Gather {
    pub fn value(&mut self, value: u64) {
        self.counts.push((index(value), 1));
        self.max = self.max.max(value);
    }

    pub fn slot(&mut self, slot: &Slot, metric: usize) {
        let mut any = false;
        for (_, bucket, n) in slot.iter().filter(|e| e.0 == metric) {
            self.counts.push((bucket, u64::from(n)));
            any = true;
        }
        if any {
            self.max = self.max.max(slot.max(metric));
        }
    }

    pub fn merged(self) -> Merged {
        Merged::from_counts(self.counts, self.max)
    }
}

#[derive(Clone, Debug)]
struct Timed {
    start: TimeMs,
    hourly: bool,
    slot: Slot,
}

/// Every [`super::Metric`] over the last day: slots of [`FINE_MS`] for the hour the newest
/// value falls in and the hour before it, of [`HOUR_MS`] further back (fine slots fold
/// into their hour as it ages), and nothing past [`HORIZON_MS`].
#[derive(Clone, Debug, Default)]
pub struct Rolling {
    /// Oldest first; hourly slots before fine ones, none overlapping.
    slots: VecDeque<Timed>,
    /// The newest time recorded (`None`: nothing yet).
    head: Option<TimeMs>,
}

impl Rolling {
    /// Start of the first hour whose values are still kept in fine slots.
    fn fine_from(head: TimeMs) -> TimeMs {
        (head.div_euclid(HOUR_MS) - 1) * HOUR_MS
    }

    /// Start of the oldest hour kept: the first that overlaps the day before `head`.
    fn oldest_kept(head: TimeMs) -> TimeMs {
        window_start(head, HORIZON_MS)
    }

    pub fn record(&mut self, time: TimeMs, metric: usize, value: u64) {
        match self.head {
            // Within the head's hour nothing folds or leaves: only the head moves.
            Some(h) if time > h && time.div_euclid(HOUR_MS) == h.div_euclid(HOUR_MS) => {
                self.head = Some(time)
            }
            Some(h) if time <= h => {}
            _ => self.roll(time),
        }
        let head = self.head.unwrap_or(time);
        if time < Self::oldest_kept(head) {
            return;
        }
        let hourly = time < Self::fine_from(head);
        let width = if hourly { HOUR_MS } else { FINE_MS };
        let start = time.div_euclid(width) * width;
        self.slot_at(start, hourly).record(metric, value);
    }

    /// The slot starting at `start`, made if missing (fine and hourly slots never start
    /// at the same instant: hours before `fine_from` are hourly, the rest fine).
    fn slot_at(&mut self, start: TimeMs, hourly: bool) -> &mut Slot {
        // Values arrive mostly in order: the newest slot, or a new one after it.
        let newest = self.slots.back().map(|t| t.start);
        let at = match newest {
            Some(s) if s == start => self.slots.len(),
            Some(s) if s > start => self.slots.partition_point(|t| t.start <= start),
            _ => self.slots.len(),
        };
        let at = if at > 0 && self.slots[at - 1].start == start {
            at - 1
        } else {
            self.slots.insert(
                at,
                Timed {
                    start,
                    hourly,
                    slot: Slot::default(),
                },
            );
            at
        };
        &mut self.slots[at].slot
    }

    /// Moves the head to `time`: fine slots of hours now too old fold into an hourly slot,
    /// slots past the horizon are freed.
    fn roll(&mut self, time: TimeMs) {
        self.head = Some(time);
        let oldest = Self::oldest_kept(time);
        while self.slots.front().is_some_and(|t| t.start < oldest) {
            self.slots.pop_front();
        }
        let fine_from = Self::fine_from(time);
        let mut at = 0;
        while at < self.slots.len() && self.slots[at].start < fine_from {
            if self.slots[at].hourly {
                at += 1;
                continue;
            }
            let Some(fine) = self.slots.remove(at) else {
                break;
            };
            let hour = fine.start.div_euclid(HOUR_MS) * HOUR_MS;
            let hourly = self.slot_at(hour, true);
            hourly.merge(&fine.slot);
            hourly.seal();
            at = self.slots.partition_point(|t| t.start <= hour);
        }
    }

    /// Gathers `metric` from the slots overlapping `(now - len_ms, now]` (five-minute
    /// slots up to an hour, hourly ones beyond): all of the window and at most one slot
    /// more before it, so a 1 m window reads 5-10 minutes and 24 h reads 24-25 hours.
    /// Returns the first instant gathered.
    pub fn gather(&self, now: TimeMs, len_ms: i64, metric: usize, into: &mut Gather) -> TimeMs {
        let from = window_start(now, len_ms);
        for t in self
            .slots
            .iter()
            .filter(|t| t.start >= from && t.start <= now)
        {
            into.slot(&t.slot, metric);
        }
        from
    }

    /// Slots allocated: what a long run holds on to.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}

/// The start of the first slot overlapping `(now - len_ms, now]`.
fn window_start(now: TimeMs, len_ms: i64) -> TimeMs {
    let width = if len_ms <= HOUR_MS { FINE_MS } else { HOUR_MS };
    (now - len_ms + 1).div_euclid(width) * width
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn count(r: &Rolling, now: TimeMs, len_ms: i64) -> u64 {
        let mut g = Gather::default();
        r.gather(now, len_ms, 0, &mut g);
        g.merged().count()
    }

    #[test]
    fn fine_slots_fold_into_hours_and_the_day_frees_them() {
        let mut r = Rolling::default();
        let t0 = 1_000 * HOUR_MS;
        // One value a minute for three hours: 36 five-minute slots' worth.
        for m in 0..180 {
            r.record(t0 + m * MIN, 0, 10);
        }
        let slots = r.slots();
        // The hour before the newest one and the newest stay fine (24), the first is hourly.
        assert_eq!(slots, 1 + 24);
        let now = t0 + 180 * MIN;
        assert_eq!(count(&r, now, 15 * MIN), 15);
        assert_eq!(count(&r, now, HOUR_MS), 60);
        // Off a slot's edge, the window takes the whole slot it starts in.
        assert_eq!(count(&r, now - MIN, 15 * MIN), 20);
        assert_eq!(count(&r, now, 24 * HOUR_MS), 180);
        // A day later everything has left; only the new value's slot is held.
        r.record(t0 + 27 * HOUR_MS, 0, 10);
        assert_eq!(r.slots(), 1);
        assert_eq!(count(&r, t0 + 27 * HOUR_MS, 24 * HOUR_MS), 1);
    }

    #[test]
    fn late_values_go_to_their_hour_and_too_late_ones_are_dropped() {
        let mut r = Rolling::default();
        let t0 = 1_000 * HOUR_MS;
        r.record(t0 + 5 * HOUR_MS, 0, 1);
        r.record(t0 + 2 * HOUR_MS + 7 * MIN, 0, 1);
        r.record(t0 - 30 * HOUR_MS, 0, 1);
        assert_eq!(r.slots(), 2);
        assert_eq!(count(&r, t0 + 5 * HOUR_MS, 6 * HOUR_MS), 2);
        assert_eq!(count(&r, t0 + 5 * HOUR_MS, HOUR_MS), 1);
    }
}
