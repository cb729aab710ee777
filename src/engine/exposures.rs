//! Secrets exposed in records (prompts, completions, tool calls and results): each secret
//! counts once per identity, by its keyed fingerprint, never its value. The first sighting
//! opens a `secret` alert (critical) that stays open while the same secret comes again
//! and ends after ten quiet minutes ([`super::episodes`]); a sighting after that counts
//! nothing new. History read at start yields ended findings, not an alert storm.

use std::collections::HashMap;

use super::alerts::{AlertKind, Condition, Past, Severity};
use super::episodes::{Episodes, RecordAt, Run};
use super::policy::times;
use crate::event::TimeMs;
use crate::secrets::{Fingerprint, Found};

/// Secrets remembered (each 16 bytes of fingerprint plus where it was first seen); past
/// this, new ones are counted in `dropped` and raise nothing.
pub const MAX_EXPOSURES: usize = 100_000;

/// The first sighting of one secret by one identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub secret_type: &'static str,
    /// The JSON path of the string that held it (`message.content[2].input.command`).
    pub path: String,
    pub time: TimeMs,
    pub at: RecordAt,
}

/// Every secret seen, by (identity, fingerprint), and the runs of its sightings.
#[derive(Debug, Default)]
pub struct Exposures {
    first: HashMap<(usize, Fingerprint), Sighting>,
    runs: Episodes<(usize, Fingerprint)>,
    /// Secrets past [`MAX_EXPOSURES`], not remembered.
    pub dropped: u64,
}

impl Exposures {
    /// One secret found in a record of identity `who` at `time`.
    pub fn see(&mut self, who: usize, found: &Found, time: TimeMs, at: RecordAt) {
        let key = (who, found.fingerprint);
        if self.first.contains_key(&key) {
            if self.runs.goes_on(&key, time) {
                self.runs.call(key, time, at);
            }
            return;
        }
        if self.first.len() >= MAX_EXPOSURES {
            self.dropped += 1;
            return;
        }
        self.first.insert(
            key,
            Sighting {
                secret_type: found.secret_type,
                path: found.path.clone(),
                time,
                at,
            },
        );
        self.runs.call(key, time, at);
    }

    /// How many distinct secrets identity `who` exposed.
    pub fn count_of(&self, who: usize) -> usize {
        self.first.keys().filter(|(w, _)| *w == who).count()
    }

    /// Every secret seen, with its first sighting, oldest first.
    pub fn all(&self) -> Vec<(usize, Fingerprint, &Sighting)> {
        let mut all: Vec<_> = self
            .first
            .iter()
            .map(|(&(who, print), sighting)| (who, print, sighting))
            .collect();
        all.sort_by_key(|&(who, print, sighting)| (sighting.time, who, print));
        all
    }

    /// The runs open at `now` as conditions, and those already over (history read at
    /// start) as findings of the past. `names` gives an identity's name by index.
    pub fn conditions(
        &mut self,
        now: TimeMs,
        names: &dyn Fn(usize) -> String,
    ) -> (Vec<Condition>, Vec<Past>) {
        let (open, past) = self.runs.settle(now);
        let condition = |(who, print): &(usize, Fingerprint), run: &Run| {
            let identity = names(*who);
            let sighting = &self.first[&(*who, *print)];
            let kind = sighting.secret_type;
            let place = if sighting.path.is_empty() {
                "the record".to_string()
            } else {
                sighting.path.clone()
            };
            Condition {
                kind: AlertKind::Secret,
                subject: format!("{identity} · {kind} · {print}"),
                identities: vec![identity.clone()],
                severity: Severity::Critical,
                signal: None,
                value: run.calls as f64,
                threshold: None,
                baseline: None,
                ratio: None,
                units: None,
                tool: None,
                since: Some(run.first),
                policy: None,
                secret: Some(SecretNote {
                    secret_type: kind,
                    place: sighting.path.clone(),
                    fingerprint: print.to_string(),
                }),
                at: Some(sighting.at),
                score: run.calls as f64,
                reason: format!(
                    "{identity}: {kind} exposed in {place}, seen {}",
                    times(run.calls)
                ),
            }
        };
        (
            open.iter().map(|(k, run)| condition(k, run)).collect(),
            past.iter()
                .map(|(k, run)| Past::of(condition(k, run), run))
                .collect(),
        )
    }
}

/// What a `secret` alert says about its secret: never the value.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SecretNote {
    pub secret_type: &'static str,
    /// The JSON path in the record (empty when the record was not JSON).
    #[serde(rename = "where")]
    pub place: String,
    /// 32 hex digits, as `[secrets] ignore` takes it.
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::FingerprintKey;

    const MIN: TimeMs = 60_000;

    fn found(value: &str) -> Found {
        Found {
            secret_type: "github_token",
            path: "message.content[0].input.command".into(),
            fingerprint: FingerprintKey::from_bytes([3; 32]).fingerprint(value),
        }
    }

    fn names(who: usize) -> String {
        format!("id{who}")
    }

    #[test]
    fn a_secret_counts_once_per_identity_and_its_run_carries_the_count() {
        let mut e = Exposures::default();
        let a = found("ghp_a");
        e.see(0, &a, 100 * MIN, RecordAt::default());
        e.see(0, &a, 101 * MIN, RecordAt::default());
        // Another identity with the same secret is a finding of its own.
        e.see(1, &a, 101 * MIN, RecordAt::default());
        let (open, past) = e.conditions(102 * MIN, &names);
        assert!(past.is_empty());
        assert_eq!(open.len(), 2);
        assert_eq!(open[0].value, 2.0);
        assert_eq!(
            open[0].reason,
            "id0: github_token exposed in message.content[0].input.command, seen 2 times"
        );
        let note = open[0].secret.as_ref().expect("note");
        assert_eq!(note.fingerprint, a.fingerprint.to_string());
        // Ended after ten quiet minutes; the same secret an hour later raises nothing.
        assert!(e.conditions(112 * MIN, &names).0.is_empty());
        e.see(0, &a, 170 * MIN, RecordAt::default());
        let (open, past) = e.conditions(170 * MIN, &names);
        assert!(open.is_empty() && past.is_empty());
        assert_eq!((e.count_of(0), e.count_of(1), e.all().len()), (1, 1, 2));
    }

    #[test]
    fn history_read_at_start_is_past_not_an_alert() {
        let mut e = Exposures::default();
        e.see(0, &found("ghp_old"), 0, RecordAt::default());
        e.see(0, &found("ghp_new"), 100 * MIN, RecordAt::default());
        let (open, past) = e.conditions(100 * MIN, &names);
        assert_eq!((open.len(), past.len()), (1, 1));
        assert_eq!((past[0].started_at, past[0].ended_at), (0, 10 * MIN));
    }
}
