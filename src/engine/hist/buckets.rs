//! Log-spaced buckets and the sparse slot that counts values in them.
//!
//! An hdrhistogram allocates its whole counts array up front (5-6 KB at 2 significant
//! digits over the ranges we keep); a day of 5-minute and hourly slots per identity would
//! take megabytes. A slot here holds only the buckets it saw, four bytes each, so a quiet
//! identity costs a few dozen bytes and a busy one about four bytes per distinct value.

use super::METRICS;

/// Values below this are their own bucket (exact).
const EXACT: u64 = 64;
/// Buckets per doubling above [`EXACT`]: a bucket is at most 1/32 of its value wide
/// (about 3%, like hdrhistogram at 1.5 significant digits).
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Bits of a packed entry: the metric, the bucket, the count.
const COUNT_BITS: u32 = 19;
const INDEX_BITS: u32 = 10;
const COUNT_MAX: u32 = (1 << COUNT_BITS) - 1;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

/// The bucket of `value` (values past `u32::MAX` share the last buckets).
pub fn index(value: u64) -> u16 {
    let value = value.min(u64::from(u32::MAX));
    if value < EXACT {
        return value as u16;
    }
    let octave = 63 - value.leading_zeros(); // 6..=31
    let sub = (value >> (octave - SUB_BITS)) & (SUB - 1);
    (EXACT + u64::from(octave - 6) * SUB + sub) as u16
}

/// The smallest value of bucket `index`: quantiles read as this, so a bucket-exact value
/// (below 64, or with few significant bits such as 100, 200 or 1,600) reads exactly.
pub fn lowest(index: u16) -> u64 {
    let index = u64::from(index);
    if index < EXACT {
        return index;
    }
    let octave = (index - EXACT) / SUB + 6;
    let sub = (index - EXACT) % SUB;
    (SUB + sub) << (octave - u64::from(SUB_BITS))
}

/// Counts of values by metric and bucket, sorted, with the exact largest value of each
/// metric beside them (a bucket's edge is no maximum: a 100-token request must read 100).
#[derive(Clone, Debug, Default)]
pub struct Slot {
    /// `metric << 29 | bucket << 19 | count`, sorted by metric and bucket; a count that
    /// would overflow continues in a second entry for the same bucket.
    entries: Vec<u32>,
    max: [u32; METRICS],
}

fn key(metric: usize, bucket: u16) -> u32 {
    ((metric as u32) << (COUNT_BITS + INDEX_BITS)) | (u32::from(bucket) << COUNT_BITS)
}

impl Slot {
    pub fn record(&mut self, metric: usize, value: u64) {
        self.record_n(metric, index(value), 1);
        let value = value.min(u64::from(u32::MAX)) as u32;
        self.max[metric] = self.max[metric].max(value);
    }

    fn record_n(&mut self, metric: usize, bucket: u16, mut n: u32) {
        let k = key(metric, bucket);
        // The last entry of the bucket, where a count is added.
        let at = self.entries.partition_point(|&e| e & !COUNT_MAX <= k);
        if at > 0 && self.entries[at - 1] & !COUNT_MAX == k {
            let e = &mut self.entries[at - 1];
            let room = (COUNT_MAX - (*e & COUNT_MAX)).min(n);
            *e += room;
            n -= room;
        }
        let mut at = at;
        while n > 0 {
            let take = n.min(COUNT_MAX);
            self.entries.insert(at, k | take);
            at += 1;
            n -= take;
        }
    }

    /// Adds every count of `other` (a slot folded into a wider one).
    pub fn merge(&mut self, other: &Slot) {
        for (metric, bucket, n) in other.iter() {
            self.record_n(metric, bucket, n);
        }
        for (mine, theirs) in self.max.iter_mut().zip(other.max) {
            *mine = (*mine).max(theirs);
        }
    }

    /// Gives back the room left from growing, once the slot takes no more values.
    pub fn seal(&mut self) {
        self.entries.shrink_to_fit();
    }

    pub fn max(&self, metric: usize) -> u64 {
        u64::from(self.max[metric])
    }

    /// `(metric, bucket, count)` in order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u16, u32)> + '_ {
        self.entries.iter().map(|&e| {
            (
                (e >> (COUNT_BITS + INDEX_BITS)) as usize,
                ((e >> COUNT_BITS) & INDEX_MASK) as u16,
                e & COUNT_MAX,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_64_and_within_3_percent_above() {
        for v in [0, 1, 63] {
            assert_eq!(lowest(index(v)), v);
        }
        for v in [
            64u64,
            100,
            1_000,
            4_095,
            123_456,
            2_000_000,
            u64::from(u32::MAX),
        ] {
            let low = lowest(index(v));
            assert!(
                low <= v && (v - low) as f64 <= v as f64 / 32.0,
                "{v} -> {low}"
            );
            assert!(index(v) < 1 << INDEX_BITS);
        }
        assert_eq!(lowest(index(100)), 100);
        assert_eq!(lowest(index(1_600)), 1_600);
        assert!(index(64) < index(66));
    }

    #[test]
    fn a_slot_keeps_the_exact_max_and_counts_past_one_entry() {
        let mut s = Slot::default();
        s.record(1, 100);
        s.record(1, 101);
        s.record(0, 5);
        assert_eq!((s.max(0), s.max(1)), (5, 101));
        let all: Vec<_> = s.iter().collect();
        assert_eq!(all, vec![(0, 5, 1), (1, index(100), 2)]);
        let mut big = Slot::default();
        big.record_n(0, 7, COUNT_MAX);
        big.record_n(0, 7, 3);
        s.merge(&big);
        let sevens: u64 = s.iter().filter(|e| e.1 == 7).map(|e| u64::from(e.2)).sum();
        assert_eq!(sevens, u64::from(COUNT_MAX) + 3);
    }
}
