//! The responses counted within the retention horizon, 16 bytes each (their [`DedupKey`]),
//! so that a copy read later (a resumed session copying lines days old) is not counted
//! again, while memory stays bounded: keys are grouped by the engine day they were let go
//! on, and a day's group is dropped whole once it is older than the horizon.
//!
//! Keys of the current group go into a hash set; a full set is sealed into a sorted array
//! (exactly 16 bytes a key, plus a small index), merged with the other arrays of its day
//! up to [`MERGE_LIMIT`] keys, so that a lookup probes a few arrays per day.

use std::collections::{HashSet, VecDeque};

use crate::event::{DedupKey, TimeMs};

const DAY_MS: i64 = 86_400_000;
/// Keys held in the hash set before it is sealed: the most a table of 2^20 slots holds
/// (hashbrown fills to 7/8), 17 MB whatever the rate.
const OPEN_LIMIT: usize = (1 << 20) / 8 * 7;

/// Past this many keys an array takes no more merges and the day starts another: a merge
/// holds both arrays and their sum for a moment, so this bounds that moment at 256 MiB
/// however busy the day (at 20,000 requests a second a day is 1.7 billion keys), for a
/// lookup that probes one array per 16.7 million keys of the day.
const MERGE_LIMIT: usize = 1 << 24;

/// A sealed group: sorted keys and, for each value of their top `bits` bits, where its
/// keys start (keys are uniform hashes, so each slice holds a handful).
#[derive(Clone, Debug)]
struct Sealed {
    day: i64,
    keys: Box<[u128]>,
    starts: Box<[u32]>,
    bits: u32,
}

impl Sealed {
    fn new(day: i64, keys: Vec<u128>) -> Self {
        // About four keys a slice; at most 2^24 slices (64 MB of index is never needed).
        let bits = (keys.len() / 4).max(1).ilog2().min(24);
        let mut starts = Vec::with_capacity((1 << bits) + 1);
        let mut at = 0;
        for slice in 0..(1u128 << bits) {
            while at < keys.len() && top(keys[at], bits) < slice {
                at += 1;
            }
            starts.push(at as u32);
        }
        starts.push(keys.len() as u32);
        Sealed {
            day,
            keys: keys.into_boxed_slice(),
            starts: starts.into_boxed_slice(),
            bits,
        }
    }

    fn contains(&self, key: u128) -> bool {
        let slice = top(key, self.bits) as usize;
        let (from, to) = (self.starts[slice] as usize, self.starts[slice + 1] as usize);
        self.keys[from..to].binary_search(&key).is_ok()
    }
}

/// The top `bits` bits of a key.
fn top(key: u128, bits: u32) -> u128 {
    key.checked_shr(128 - bits).unwrap_or(0)
}

fn merge(a: &[u128], b: &[u128]) -> Vec<u128> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[derive(Clone, Debug)]
pub struct Fingerprints {
    open: HashSet<u128, foldhash::fast::RandomState>,
    open_day: i64,
    /// Oldest day first.
    sealed: VecDeque<Sealed>,
    /// [`MERGE_LIMIT`], smaller in tests.
    merge_limit: usize,
}

impl Default for Fingerprints {
    fn default() -> Self {
        Fingerprints {
            open: HashSet::default(),
            open_day: 0,
            sealed: VecDeque::new(),
            merge_limit: MERGE_LIMIT,
        }
    }
}

impl Fingerprints {
    /// Remembers `key`, let go at engine time `now`.
    pub fn insert(&mut self, key: DedupKey, now: TimeMs) {
        let day = now.div_euclid(DAY_MS);
        if day > self.open_day {
            self.seal();
            self.open_day = day;
        }
        self.open.insert(key.0);
        if self.open.len() >= OPEN_LIMIT {
            self.seal();
        }
    }

    pub fn contains(&self, key: DedupKey) -> bool {
        self.open.contains(&key.0) || self.sealed.iter().rev().any(|s| s.contains(key.0))
    }

    /// Forgets the keys let go before `cutoff` (whole days: a key is kept at least until
    /// `cutoff` passes its time, at most a day longer).
    pub fn expire(&mut self, cutoff: TimeMs) {
        let day = cutoff.div_euclid(DAY_MS);
        while self.sealed.front().is_some_and(|s| s.day < day) {
            self.sealed.pop_front();
        }
        if self.open_day < day {
            self.open.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.open.len() + self.sealed.iter().map(|s| s.keys.len()).sum::<usize>()
    }

    /// The heap it holds: the open set's table (16-byte keys and a control byte per slot,
    /// slots a power of two at most 7/8 full) and the sealed arrays with their indexes.
    pub fn bytes(&self) -> usize {
        let slots = match self.open.capacity() {
            0 => 0,
            held => (held * 8).div_ceil(7).next_power_of_two(),
        };
        let sealed: usize = self
            .sealed
            .iter()
            .map(|s| s.keys.len() * size_of::<u128>() + s.starts.len() * size_of::<u32>())
            .sum();
        slots * (size_of::<u128>() + 1) + sealed
    }

    /// Moves the open keys into a sorted array, merged with the last one of the same day
    /// unless that one is full.
    fn seal(&mut self) {
        if self.open.is_empty() {
            return;
        }
        let mut keys: Vec<u128> = self.open.drain().collect();
        keys.sort_unstable();
        if let Some(last) = self.sealed.back()
            && last.day == self.open_day
            && last.keys.len() < self.merge_limit
            && let Some(last) = self.sealed.pop_back()
        {
            keys = merge(&last.keys, &keys);
        }
        self.sealed.push_back(Sealed::new(self.open_day, keys));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spread-out keys, as the real hashes are.
    fn key(n: u64) -> DedupKey {
        DedupKey(u128::from(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)) << 64 | u128::from(n))
    }

    #[test]
    fn sealed_keys_are_found_and_others_are_not() {
        let mut prints = Fingerprints::default();
        let n = OPEN_LIMIT as u64 * 2 + 10;
        for i in 0..n {
            prints.insert(key(i), 0);
        }
        assert_eq!(prints.sealed.len(), 1, "one merged array for the day");
        assert_eq!(prints.len(), n as usize);
        for i in (0..n).step_by(997) {
            assert!(prints.contains(key(i)));
            assert!(!prints.contains(key(i + n)));
        }
        assert!(prints.contains(key(0)) && prints.contains(key(n - 1)));
        assert!(!prints.contains(DedupKey(1)) && !prints.contains(DedupKey(u128::MAX)));
    }

    /// A day of more keys than one array takes is several arrays, each found.
    #[test]
    fn a_full_array_takes_no_more_merges() {
        let mut prints = Fingerprints {
            merge_limit: 2 * OPEN_LIMIT,
            ..Fingerprints::default()
        };
        let n = 3 * OPEN_LIMIT as u64;
        for i in 0..n {
            prints.insert(key(i), 0);
        }
        let sizes: Vec<usize> = prints.sealed.iter().map(|s| s.keys.len()).collect();
        assert_eq!(sizes, vec![2 * OPEN_LIMIT, OPEN_LIMIT]);
        assert!(prints.contains(key(0)) && prints.contains(key(n - 1)));
        assert!(!prints.contains(key(n)));
    }

    /// Sealed keys cost their 16 bytes and a few for the index; the open table its slots.
    #[test]
    fn bytes_are_the_sealed_arrays_and_the_open_table() {
        let mut prints = Fingerprints::default();
        assert_eq!(prints.bytes(), 0);
        let n = OPEN_LIMIT as u64 + 1_000;
        for i in 0..n {
            prints.insert(key(i), 0);
        }
        let sealed = OPEN_LIMIT * 16;
        let open_table = prints.open.capacity() * 17;
        assert!(prints.bytes() >= sealed + 1_000 * 17, "{}", prints.bytes());
        assert!(prints.bytes() <= sealed + sealed / 4 + 2 * open_table.max(2_048 * 17));
        prints.expire(DAY_MS * 2);
        assert_eq!(prints.len(), 0);
    }

    #[test]
    fn days_past_the_cutoff_are_forgotten() {
        let mut prints = Fingerprints::default();
        for day in 0..4 {
            prints.insert(key(day as u64), day * DAY_MS + 5);
        }
        prints.expire(2 * DAY_MS);
        assert!(!prints.contains(key(0)) && !prints.contains(key(1)));
        assert!(prints.contains(key(2)) && prints.contains(key(3)));
        assert_eq!(prints.len(), 2);
        prints.expire(9 * DAY_MS);
        assert_eq!(prints.len(), 0);
    }
}
