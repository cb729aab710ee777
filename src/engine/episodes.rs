//! Runs of calls under one key (an identity calling a tool outside a policy, or a tool new
//! to it): a run is open while calls come and over once [`QUIET_MS`] passes without one.
//! A run still open when the engine's clock looks is an alert; one already over by then
//! (read from history at start) is a finding of the past, never an alert storm at launch.

use std::collections::HashMap;
use std::hash::Hash;

use super::alerts::{AlertKind, Condition, Past, Severity};
use crate::event::{Origin, TimeMs};

/// A run is over once no call came for this long.
pub const QUIET_MS: TimeMs = 10 * 60_000;

/// Where a record was read, for a finding's `source`: a file (its origin and line), a
/// stream (its line only) or neither (OTLP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordAt {
    pub origin: Option<Origin>,
    /// 1-based line in its file or stream.
    pub line: Option<u64>,
}

/// Calls under one key since the run began.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub calls: u64,
    pub first: TimeMs,
    pub last: TimeMs,
    /// The record of its first call (the earliest in time).
    pub at: RecordAt,
    /// Seen open by the clock: its alert runs its course there.
    raised: bool,
}

/// Runs with their keys.
pub type Runs<K> = Vec<(K, Run)>;

impl Run {
    /// Whether a call at `time` is part of this run: no quiet gap between them.
    fn holds(&self, time: TimeMs) -> bool {
        time < self.last.saturating_add(QUIET_MS) && time.saturating_add(QUIET_MS) > self.first
    }
}

/// The runs under way, by key.
#[derive(Clone, Debug)]
pub struct Episodes<K> {
    runs: HashMap<K, Run>,
    /// Runs a quiet gap ended before the clock looked (history read in one go), waiting
    /// for the next [`Episodes::settle`] to hand them over as past.
    lapsed: Vec<(K, Run)>,
}

impl<K> Default for Episodes<K> {
    fn default() -> Self {
        Episodes {
            runs: HashMap::new(),
            lapsed: Vec::new(),
        }
    }
}

impl<K: Eq + Hash + Ord + Clone> Episodes<K> {
    /// Whether a call under `key` at `time` belongs to a run under way (within
    /// [`QUIET_MS`] of it).
    pub fn goes_on(&self, key: &K, time: TimeMs) -> bool {
        self.runs.get(key).is_some_and(|run| run.holds(time))
    }

    /// One call under `key` at `time`, read at `at`: a run begins or goes on. A call
    /// [`QUIET_MS`] or more away from its run (before or after it) ends that run and begins
    /// another, even when no clock looked in between (history read in one go).
    pub fn call(&mut self, key: K, time: TimeMs, at: RecordAt) {
        if let Some(run) = self.runs.get(&key)
            && !run.holds(time)
            && let Some(old) = self.runs.remove(&key)
            && !old.raised
        {
            self.lapsed.push((key.clone(), old));
        }
        let run = self.runs.entry(key).or_insert(Run {
            calls: 0,
            first: time,
            last: time,
            at,
            raised: false,
        });
        run.calls += 1;
        if time < run.first {
            run.first = time;
            run.at = at;
        }
        run.last = run.last.max(time);
    }

    /// Takes back one call under `key` (it moved to another identity): a run left with
    /// none is let go.
    pub fn uncall(&mut self, key: &K) {
        if let Some(run) = self.runs.get_mut(key) {
            run.calls = run.calls.saturating_sub(1);
            if run.calls == 0 {
                self.runs.remove(key);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// At `now`: the runs open (a call within [`QUIET_MS`]), sorted by key, and the runs
    /// over that no look saw open (their first and last calls are history), oldest last
    /// call first. Runs over are let go: the next call under their key begins a new one.
    pub fn settle(&mut self, now: TimeMs) -> (Runs<K>, Runs<K>) {
        let mut past = std::mem::take(&mut self.lapsed);
        self.runs.retain(|key, run| {
            let open = now - run.last < QUIET_MS;
            if !open && !run.raised {
                past.push((key.clone(), run.clone()));
            }
            open
        });
        let mut open: Runs<K> = self
            .runs
            .iter_mut()
            .map(|(key, run)| {
                run.raised = true;
                (key.clone(), run.clone())
            })
            .collect();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        past.sort_by(|a, b| a.1.last.cmp(&b.1.last).then_with(|| a.0.cmp(&b.0)));
        (open, past)
    }
}

impl Condition {
    /// A run of calls or sightings (outside a policy, to a new tool, of a secret) as a
    /// condition: its count is its value and its score, it began with the run's first one,
    /// whose record it names; the kind's own details (tool, policy, secret) are added after.
    pub fn of_run(
        kind: AlertKind,
        severity: Severity,
        identity: String,
        subject: String,
        run: &Run,
        reason: String,
    ) -> Condition {
        Condition {
            kind,
            subject,
            identities: vec![identity],
            severity,
            signal: None,
            value: run.calls as f64,
            threshold: None,
            baseline: None,
            ratio: None,
            units: None,
            tool: None,
            since: Some(run.first),
            policy: None,
            secret: None,
            at: Some(run.at),
            score: run.calls as f64,
            reason,
        }
    }
}

/// The runs open at the clock as conditions, and those already over as findings of the
/// past, `condition` making each.
pub fn of_runs<K>(
    open: &[(K, Run)],
    past: &[(K, Run)],
    condition: impl Fn(&K, &Run) -> Condition,
) -> (Vec<Condition>, Vec<Past>) {
    (
        open.iter().map(|(k, run)| condition(k, run)).collect(),
        past.iter()
            .map(|(k, run)| Past::of(condition(k, run), run))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: TimeMs = 60_000;

    fn line(n: u64) -> RecordAt {
        RecordAt {
            origin: None,
            line: Some(n),
        }
    }

    #[test]
    fn a_run_is_open_while_calls_come_and_history_is_past() {
        let mut e: Episodes<&str> = Episodes::default();
        // From history: over long before the clock first looks.
        e.call("old", 0, line(0));
        e.call("old", MIN, line(0));
        e.call("live", 100 * MIN, line(0));
        let (open, past) = e.settle(100 * MIN);
        assert_eq!(
            open.iter().map(|(k, r)| (*k, r.calls)).collect::<Vec<_>>(),
            [("live", 1)]
        );
        assert_eq!(past.len(), 1);
        assert_eq!(
            (past[0].0, past[0].1.calls, past[0].1.last),
            ("old", 2, MIN)
        );
        e.call("live", 105 * MIN, line(0));
        assert_eq!(e.settle(114 * MIN).0[0].1.calls, 2);
        // Over after ten quiet minutes: seen open before, so not past; a new call is a new run.
        let (open, past) = e.settle(115 * MIN);
        assert!(open.is_empty() && past.is_empty());
        e.call("live", 116 * MIN, line(0));
        assert_eq!(e.settle(116 * MIN).0[0].1.calls, 1);
    }

    #[test]
    fn a_quiet_gap_in_history_read_at_once_splits_the_runs() {
        let mut e: Episodes<&str> = Episodes::default();
        e.call("bash", 0, line(1));
        e.call("bash", 20 * 24 * 60 * MIN + MIN, line(3));
        // Read out of order: the earliest call is the run's first, and its record.
        e.call("bash", 20 * 24 * 60 * MIN, line(2));
        let (open, past) = e.settle(20 * 24 * 60 * MIN + 2 * MIN);
        assert_eq!((past.len(), past[0].1.calls, past[0].1.last), (1, 1, 0));
        assert_eq!(past[0].1.at, line(1));
        assert_eq!(open[0].1.calls, 2, "only the calls of the run under way");
        assert_eq!(open[0].1.first, 20 * 24 * 60 * MIN);
        assert_eq!(open[0].1.at, line(2));
    }
}
