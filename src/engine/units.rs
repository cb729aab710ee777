//! Concurrency: how many sessions or agents an identity runs at once, so that parallel
//! agents under one identity are compared with the usual rate *per agent* and do not look
//! like a burst of one (a complaint users of peer tools make, better-ccflare #367).
//!
//! A unit is one (session, agent) pair of [`IdentityAttrs`]: a Claude Code session, each
//! of its sub-agents, an agent named in tokentop's schema. Events with neither field have
//! no unit; such identities count as one unit. Counting is exact for events that arrive in
//! time order per unit (live tails); late events are not counted again, which can only
//! make the usual rate per unit look higher, so it errs towards fewer alarms.

use crate::event::{IdentityAttrs, TimeMs};

const MINUTE_MS: i64 = 60_000;
/// Units remembered per identity. Past this many at once, the one seen least recently
/// is forgotten: concurrency saturates here, and so does the normalization.
pub const MAX_UNITS: usize = 32;
/// Minutes of per-minute counts kept (a little over the hour the baselines read).
const MINUTES: usize = 64;

/// A count per minute over the last [`MINUTES`], as a ring keyed by the minute itself.
/// Counts saturate at 255 (they are read capped at [`MAX_UNITS`]).
#[derive(Clone, Debug)]
struct MinuteCounts {
    head: i64,
    counts: [u8; MINUTES],
}

impl Default for MinuteCounts {
    fn default() -> Self {
        MinuteCounts {
            head: i64::MIN,
            counts: [0; MINUTES],
        }
    }
}

impl MinuteCounts {
    fn slot(minute: i64) -> usize {
        minute.rem_euclid(MINUTES as i64) as usize
    }

    /// Counts one more in `minute` (minutes older than the ring holds are ignored).
    fn bump(&mut self, minute: i64) {
        if self.head == i64::MIN || minute - self.head >= MINUTES as i64 {
            self.counts = [0; MINUTES];
            self.head = minute;
        } else if minute > self.head {
            for cleared in self.head + 1..=minute {
                self.counts[Self::slot(cleared)] = 0;
            }
            self.head = minute;
        }
        if minute > self.head - MINUTES as i64 {
            let slot = &mut self.counts[Self::slot(minute)];
            *slot = slot.saturating_add(1);
        }
    }

    fn get(&self, minute: i64) -> u32 {
        let held =
            self.head != i64::MIN && minute <= self.head && minute > self.head - MINUTES as i64;
        if held {
            u32::from(self.counts[Self::slot(minute)])
        } else {
            0
        }
    }
}

/// The units of one identity: the recent ones with when each was last seen, and how many
/// were active in each recent minute. Nothing is allocated until an event names a unit.
#[derive(Clone, Debug, Default)]
pub struct Units {
    recent: Vec<(u64, TimeMs)>,
    per_minute: Option<Box<MinuteCounts>>,
}

/// The unit an event belongs to, if it names a session or an agent.
pub fn unit_key(attrs: &IdentityAttrs) -> Option<u64> {
    use std::hash::BuildHasher;
    // Seeded per process, as the engine's maps are: log content cannot force collisions.
    static SEED: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    if attrs.session.is_none() && attrs.agent.is_none() {
        return None;
    }
    Some(SEED.hash_one((attrs.session.as_deref(), attrs.agent.as_deref())))
}

impl Units {
    /// Notes an event of unit `key` at `time`.
    pub fn see(&mut self, key: u64, time: TimeMs) {
        let minute = time.div_euclid(MINUTE_MS);
        let counts = self.per_minute.get_or_insert_with(Box::default);
        match self.recent.iter_mut().find(|(k, _)| *k == key) {
            Some((_, last)) if time > *last => {
                if last.div_euclid(MINUTE_MS) < minute {
                    counts.bump(minute);
                }
                *last = time;
            }
            Some(_) => {}
            None => {
                if self.recent.len() >= MAX_UNITS
                    && let Some(oldest) = (0..self.recent.len()).min_by_key(|&i| self.recent[i].1)
                {
                    self.recent.swap_remove(oldest);
                }
                self.recent.push((key, time));
                counts.bump(minute);
            }
        }
    }

    /// Units with an event in the minute before `now`.
    pub fn active(&self, now: TimeMs) -> u32 {
        let n = self
            .recent
            .iter()
            .filter(|&&(_, t)| t > now - MINUTE_MS && t <= now)
            .count();
        n as u32
    }

    /// Units with an event in `minute` (a minute index: time / 60 s), at most [`MAX_UNITS`].
    pub fn in_minute(&self, minute: i64) -> u32 {
        self.per_minute
            .as_ref()
            .map_or(0, |c| c.get(minute).min(MAX_UNITS as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = MINUTE_MS;

    fn attrs(session: &str, agent: Option<&str>) -> IdentityAttrs {
        IdentityAttrs {
            session: Some(session.into()),
            agent: agent.map(str::to_string),
            ..IdentityAttrs::default()
        }
    }

    #[test]
    fn sessions_and_their_agents_are_units_and_bare_events_are_not() {
        let main = unit_key(&attrs("s1", None));
        let sub = unit_key(&attrs("s1", Some("a1")));
        assert!(main.is_some() && sub.is_some() && main != sub);
        assert_eq!(unit_key(&IdentityAttrs::default()), None);
    }

    #[test]
    fn counts_distinct_units_per_minute_and_in_the_last_minute() {
        let mut u = Units::default();
        for s in 0..3u64 {
            for k in 0..5 {
                u.see(s, 10 * MIN + k * 10_000 + s as i64);
            }
        }
        u.see(0, 11 * MIN + 5_000);
        assert_eq!(u.in_minute(10), 3);
        assert_eq!(u.in_minute(11), 1);
        assert_eq!(u.active(11 * MIN + 10_000), 3);
        assert_eq!(u.active(12 * MIN), 1);
        assert_eq!(u.active(13 * MIN), 0);
        // A late event of a known unit is not counted again.
        u.see(1, 10 * MIN + 1);
        assert_eq!(u.in_minute(10), 3);
    }

    #[test]
    fn too_many_units_forget_the_oldest_and_saturate() {
        let mut u = Units::default();
        for s in 0..(MAX_UNITS as u64 + 8) {
            u.see(s, 5 * MIN + s as i64);
        }
        assert_eq!(u.active(5 * MIN + 100), MAX_UNITS as u32);
        assert_eq!(u.in_minute(5), MAX_UNITS as u32);
    }

    #[test]
    fn minute_counts_forget_what_falls_out_of_the_ring() {
        let mut c = MinuteCounts::default();
        c.bump(100);
        c.bump(100);
        c.bump(150);
        assert_eq!((c.get(100), c.get(150), c.get(120)), (2, 1, 0));
        c.bump(100 + MINUTES as i64);
        assert_eq!(c.get(100), 0);
        c.bump(10);
        assert_eq!(c.get(10), 0, "older than the ring: ignored");
        c.bump(1_000);
        assert_eq!((c.get(1_000), c.get(150)), (1, 0));
    }
}
