//! Warm-up: has an identity been at work long enough for its usual pace to mean anything?
//!
//! Counted per identity in its own event time, in *runs*: events no further apart than
//! [`RUN_GAP_MS`] make one run, and the identity is warm once one of its runs spans the
//! warm-up. So one stray line stamped long ago (`"ts":0`) warms nobody: it is a run of its
//! own, of no length, and a line further back than that before a run is not part of it.
//! An identity back from a quiet night stays warm (its longest run is kept), and is
//! compared with its last known pace.

use crate::event::TimeMs;

/// Events further apart than this (the hour a baseline reads) belong to different runs.
pub const RUN_GAP_MS: TimeMs = 60 * 60_000;

/// One run of an identity's events: its first and latest event times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    since: TimeMs,
    latest: TimeMs,
}

impl Run {
    fn span(&self) -> TimeMs {
        self.latest - self.since
    }
}

/// The identity's current run and its longest earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarmUp {
    current: Run,
    longest: Option<Run>,
}

impl WarmUp {
    /// Warm-up from the identity's first event, at `time`.
    pub fn new(time: TimeMs) -> Self {
        WarmUp {
            current: Run {
                since: time,
                latest: time,
            },
            longest: None,
        }
    }

    /// One more event of the identity, at `time`.
    pub fn see(&mut self, time: TimeMs) {
        let run = &mut self.current;
        if time > run.latest.saturating_add(RUN_GAP_MS) {
            let done = *run;
            if self.longest.is_none_or(|l| done.span() > l.span()) {
                self.longest = Some(done);
            }
            self.current = Run {
                since: time,
                latest: time,
            };
        } else if time >= run.since.saturating_sub(RUN_GAP_MS) {
            run.since = run.since.min(time);
            run.latest = run.latest.max(time);
        }
        // Else a line from well before this run: it says nothing of the pace now.
    }

    /// When (event time) the identity became warm with a warm-up of `warmup_ms`, if it has.
    pub fn warm_from(&self, warmup_ms: TimeMs) -> Option<TimeMs> {
        [Some(self.current), self.longest]
            .into_iter()
            .flatten()
            .filter(|r| r.span() >= warmup_ms)
            .map(|r| r.since + warmup_ms)
            .min()
    }

    /// When the current run began: a cold identity that began after every other identity
    /// had warmed up is new to the engine.
    pub fn run_since(&self) -> TimeMs {
        self.current.since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: TimeMs = 60_000;
    const NOW: TimeMs = 1_767_268_800_000;

    #[test]
    fn a_stray_old_line_is_a_run_of_its_own() {
        let mut w = WarmUp::new(0);
        for t in 0..20 {
            w.see(NOW + t * MIN);
        }
        assert_eq!(w.warm_from(30 * MIN), None);
        assert_eq!(w.run_since(), NOW);
        let mut w = WarmUp::new(NOW);
        w.see(0);
        w.see(NOW + 20 * MIN);
        assert_eq!(w.warm_from(30 * MIN), None, "old lines after the run began");
    }

    #[test]
    fn late_lines_within_the_gap_extend_the_run() {
        let mut w = WarmUp::new(NOW);
        w.see(NOW - 40 * MIN);
        w.see(NOW - 80 * MIN);
        assert_eq!(w.warm_from(30 * MIN), Some(NOW - 50 * MIN));
    }

    #[test]
    fn an_identity_back_after_a_night_stays_warm() {
        let mut w = WarmUp::new(NOW);
        w.see(NOW + 45 * MIN);
        w.see(NOW + 12 * 60 * MIN);
        assert_eq!(w.run_since(), NOW + 12 * 60 * MIN);
        assert_eq!(w.warm_from(30 * MIN), Some(NOW + 30 * MIN));
        assert_eq!(w.warm_from(50 * MIN), None);
    }
}
