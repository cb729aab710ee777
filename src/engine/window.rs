//! Rolling windows as bounded rings of time buckets, in tiers: fine buckets for the last
//! minutes, coarser ones further back, so that a day of history costs a few hundred buckets.

use crate::event::TimeMs;

/// A value that can be summed into a bucket and taken back out (when a larger copy of a
/// response replaces the one counted before).
pub trait Bucket: Default + Clone {
    fn add(&mut self, other: &Self);
    fn sub(&mut self, other: &Self);
}

impl Bucket for u32 {
    fn add(&mut self, other: &Self) {
        *self = self.saturating_add(*other);
    }
    fn sub(&mut self, other: &Self) {
        *self = self.saturating_sub(*other);
    }
}

/// One ring: `slots` buckets of `width_ms` each, ending at `head`, the newest period with
/// data. Slots between the old head and a new one are cleared as the head moves, so a
/// slot needs no period of its own (memory: one bucket per slot, nothing more).
#[derive(Clone, Debug)]
pub(super) struct Ring<B> {
    width_ms: i64,
    head: i64,
    buckets: Box<[B]>,
}

impl<B: Bucket> Ring<B> {
    pub(super) fn new(width_ms: i64, slots: usize) -> Self {
        Ring {
            width_ms,
            head: i64::MIN,
            buckets: vec![B::default(); slots].into_boxed_slice(),
        }
    }

    pub(super) fn width_ms(&self) -> i64 {
        self.width_ms
    }

    fn len(&self) -> i64 {
        self.buckets.len() as i64
    }

    fn span_ms(&self) -> i64 {
        self.width_ms * self.len()
    }

    fn slot(&self, period: i64) -> usize {
        period.rem_euclid(self.len()) as usize
    }

    /// Whether the ring still holds this period.
    fn holds(&self, period: i64) -> bool {
        self.head != i64::MIN && period <= self.head && period > self.head - self.len()
    }

    pub(super) fn add(&mut self, time: TimeMs, value: &B) {
        let period = time.div_euclid(self.width_ms);
        if self.head == i64::MIN || period - self.head >= self.len() {
            self.buckets.fill(B::default());
            self.head = period;
        } else if period > self.head {
            for cleared in self.head + 1..=period {
                let i = self.slot(cleared);
                self.buckets[i] = B::default();
            }
            self.head = period;
        }
        self.put(period, value);
    }

    /// Adds `value`, first handing `closed` each period the ring lets go of (its start
    /// and its bucket) as the head moves past it.
    fn add_closing(&mut self, time: TimeMs, value: &B, mut closed: impl FnMut(TimeMs, &B)) {
        let period = time.div_euclid(self.width_ms);
        if self.head == i64::MIN {
            self.head = period;
        } else if period > self.head {
            // Periods `head - len + 1 ..= head` were held; those before `period - len + 1` go.
            let gone_to = (period - self.len()).min(self.head);
            for gone in (self.head - self.len() + 1)..=gone_to {
                let i = self.slot(gone);
                closed(gone * self.width_ms, &self.buckets[i]);
                self.buckets[i] = B::default();
            }
            self.head = period;
        }
        self.put(period, value);
    }

    #[inline]
    fn put(&mut self, period: i64, value: &B) {
        if self.holds(period) {
            let i = self.slot(period);
            self.buckets[i].add(value);
        }
    }

    pub(super) fn sub(&mut self, time: TimeMs, value: &B) {
        let period = time.div_euclid(self.width_ms);
        if self.holds(period) {
            let i = self.slot(period);
            self.buckets[i].sub(value);
        }
    }

    /// Sum of the buckets overlapping `(now - len_ms, now]`.
    pub(super) fn sum(&self, now: TimeMs, len_ms: i64) -> B {
        let last = now.div_euclid(self.width_ms);
        let count = (len_ms / self.width_ms).max(1);
        let mut total = B::default();
        for period in (last - count + 1)..=last {
            if let Some(bucket) = self.bucket(period) {
                total.add(bucket);
            }
        }
        total
    }

    pub(super) fn bucket(&self, period: i64) -> Option<&B> {
        self.holds(period).then(|| &self.buckets[self.slot(period)])
    }

    /// The buckets held for periods starting in `[from, to]`, oldest first.
    fn held(&self, from: TimeMs, to: TimeMs) -> impl Iterator<Item = &B> {
        let oldest = self.head.saturating_sub(self.len() - 1);
        let first = oldest.max((from + self.width_ms - 1).div_euclid(self.width_ms));
        let last = self.head.min(to.div_euclid(self.width_ms));
        (first..=last).filter_map(|p| self.bucket(p))
    }
}

/// Five-second buckets over five minutes: the 1 min and 5 min windows.
const FINE: (i64, usize) = (5_000, 60);
/// One-minute buckets over an hour: the 1 h window and per-minute series.
const MINUTE: (i64, usize) = (60_000, 60);
/// Fifteen-minute buckets over a day: the 24 h window.
const COARSE: (i64, usize) = (900_000, 96);

/// Windows of 1 min, 5 min, 1 h and 24 h over one stream of values.
#[derive(Clone, Debug)]
pub struct TieredWindow<B> {
    tiers: [Ring<B>; 3],
}

impl<B: Bucket> Default for TieredWindow<B> {
    fn default() -> Self {
        TieredWindow {
            tiers: [
                Ring::new(FINE.0, FINE.1),
                Ring::new(MINUTE.0, MINUTE.1),
                Ring::new(COARSE.0, COARSE.1),
            ],
        }
    }
}

impl<B: Bucket> TieredWindow<B> {
    pub fn add(&mut self, time: TimeMs, value: &B) {
        for ring in &mut self.tiers {
            ring.add(time, value);
        }
    }

    /// Adds `value`, handing `closed` each minute that leaves the minute ring (its start
    /// and its sums): from then on that minute no longer changes here.
    pub fn add_closing(&mut self, time: TimeMs, value: &B, closed: impl FnMut(TimeMs, &B)) {
        let [fine, minute, coarse] = &mut self.tiers;
        fine.add(time, value);
        minute.add_closing(time, value, closed);
        coarse.add(time, value);
    }

    /// The minutes still in the minute ring that start in `[from, to]`, oldest first.
    pub fn open_minutes(&self, from: TimeMs, to: TimeMs) -> impl Iterator<Item = &B> {
        self.tiers[1].held(from, to)
    }

    /// Takes a value back out of the buckets it went into (where they still exist).
    pub fn sub(&mut self, time: TimeMs, value: &B) {
        for ring in &mut self.tiers {
            ring.sub(time, value);
        }
    }

    /// Sum over the last `len_ms` ending at `now`, from the finest tier that covers it.
    /// Resolution is that tier's bucket width (5 s up to 5 min, 1 min up to 1 h, 10 min beyond).
    pub fn sum(&self, now: TimeMs, len_ms: i64) -> B {
        let ring = self
            .tiers
            .iter()
            .find(|r| r.span_ms() >= len_ms)
            .unwrap_or(&self.tiers[2]);
        ring.sum(now, len_ms)
    }

    /// The last `count` buckets of the tier whose buckets are `bucket_ms` wide, oldest
    /// first, ending with the one `now` falls in (still filling); periods the tier no
    /// longer holds (or never had) read as empty. `None` when no tier has that width.
    pub fn series(&self, now: TimeMs, bucket_ms: i64, count: usize) -> Option<Vec<B>> {
        let ring = self.tiers.iter().find(|r| r.width_ms == bucket_ms)?;
        let last = now.div_euclid(bucket_ms);
        let first = last - count as i64 + 1;
        Some(
            (first..=last)
                .map(|period| ring.bucket(period).cloned().unwrap_or_default())
                .collect(),
        )
    }

    /// One number per minute for the last `N` minutes (at most 60; the current, partial
    /// minute last), straight from the minute ring into a fixed array: no allocation, so
    /// every row of a snapshot can carry its own series.
    pub fn per_minute_of<T: Copy + Default, const N: usize>(
        &self,
        now: TimeMs,
        value: impl Fn(&B) -> T,
    ) -> [T; N] {
        let ring = &self.tiers[1];
        let last = now.div_euclid(ring.width_ms);
        let mut out = [T::default(); N];
        // Never older than the ring keeps: those minutes read as zero.
        for (back, slot) in out.iter_mut().rev().enumerate().take(MINUTE.1) {
            if let Some(bucket) = ring.bucket(last - back as i64) {
                *slot = value(bucket);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn windows_roll_as_time_passes() {
        let mut w = TieredWindow::<u32>::default();
        let t0 = 1_000 * MIN;
        w.add(t0, &10);
        w.add(t0 + 30_000, &5);
        assert_eq!(w.sum(t0 + 30_000, MIN), 15);
        // 65 s after the first value it has left the 1-minute window, not the 5-minute one.
        assert_eq!(w.sum(t0 + 65_000, MIN), 5);
        assert_eq!(w.sum(t0 + 65_000, 5 * MIN), 15);
        assert_eq!(w.sum(t0 + 10 * MIN, 5 * MIN), 0);
        assert_eq!(w.sum(t0 + 10 * MIN, 60 * MIN), 15);
        assert_eq!(w.sum(t0 + 23 * 60 * MIN, 24 * 60 * MIN), 15);
        assert_eq!(w.sum(t0 + 25 * 60 * MIN, 24 * 60 * MIN), 0);
    }

    #[test]
    fn series_reads_one_tier_oldest_first_with_gaps_empty() {
        let mut w = TieredWindow::<u32>::default();
        let t0 = 1_000 * MIN;
        w.add(t0, &4);
        w.add(t0 + 2 * MIN + 1, &6);
        let series = w.series(t0 + 2 * MIN + 30_000, MIN, 4);
        assert_eq!(series, Some(vec![0, 4, 0, 6]));
        assert_eq!(w.series(t0, 900_000, 2).map(|s| s.len()), Some(2));
        assert_eq!(w.series(t0, 7_000, 2), None);
    }

    #[test]
    fn reused_slots_forget_old_periods() {
        let mut w = TieredWindow::<u32>::default();
        w.add(0, &7);
        // Exactly one ring span later the same fine slot is reused.
        w.add(5 * MIN, &1);
        assert_eq!(w.sum(5 * MIN, 5 * MIN), 1);
        // A value older than the ring's span no longer lands in a fine slot.
        w.add(0, &100);
        assert_eq!(w.sum(5 * MIN, MIN), 1);
    }

    #[test]
    fn sub_takes_back_what_add_put_in() {
        let mut w = TieredWindow::<u32>::default();
        w.add(MIN, &10);
        w.sub(MIN, &4);
        assert_eq!(w.sum(MIN, MIN), 6);
        assert_eq!(w.per_minute_of(3 * MIN, |v| *v), [6, 0, 0]);
    }

    #[test]
    fn per_minute_series_ends_with_the_current_minute() {
        let mut w = TieredWindow::<u32>::default();
        w.add(10 * MIN + 5, &3);
        w.add(12 * MIN, &4);
        w.add(12 * MIN + 59_999, &1);
        let series: [u32; 4] = w.per_minute_of(12 * MIN + 30_000, |v| *v * 10);
        assert_eq!(series, [0, 30, 0, 50]);
        // Past the ring's hour, minutes read as zero rather than as a reused slot.
        let long: [u32; 61] = w.per_minute_of(70 * MIN, |v| *v);
        assert_eq!(long.iter().sum::<u32>(), 5);
        assert_eq!(long[0], 0);
    }

    #[test]
    fn minutes_leaving_the_ring_are_handed_over_once_with_their_start() {
        let mut w = TieredWindow::<u32>::default();
        let mut closed = Vec::new();
        // Empty minutes are handed over too: the caller skips them.
        let mut keep = |t: TimeMs, v: &u32| {
            if *v > 0 {
                closed.push((t, *v));
            }
        };
        w.add_closing(10 * MIN, &3, &mut keep);
        w.add_closing(69 * MIN, &4, &mut keep);
        w.add_closing(70 * MIN, &5, &mut keep);
        assert_eq!(
            closed,
            vec![(10 * MIN, 3)],
            "minute 10 goes at minute 70, not 69"
        );
        let open: Vec<u32> = w
            .open_minutes(0, 70 * MIN)
            .copied()
            .filter(|&v| v > 0)
            .collect();
        assert_eq!(open, vec![4, 5]);
        // A jump past the whole ring hands over every minute held.
        let mut all = Vec::new();
        w.add_closing(500 * MIN, &1, |t, v| all.push((t, *v)));
        assert_eq!(all.len(), 60);
        assert_eq!(all.iter().map(|c| c.1).sum::<u32>(), 9);
    }
}
