//! Secrets exposed in records (prompts, completions, tool calls and results): each secret
//! counts once per identity, by its keyed fingerprint, never its value. The first sighting
//! opens a `secret` alert (critical) that stays open while the same secret comes again
//! and ends after ten quiet minutes ([`super::episodes`]); a sighting after that counts
//! nothing new. History read at start yields ended findings, not an alert storm.
//!
//! The secrets identities exposed in earlier runs are handed in at start (the monitor keeps
//! them in its state store) and those first seen in this run handed back out to be kept,
//! as for tools ([`super::known_tools`]): a secret known from an earlier run raises nothing
//! when seen after its first sighting, while history read again at start decides about
//! that first sighting as the earlier run did.

use std::collections::HashMap;

use super::alerts::{AlertKind, Condition, Past, Severity};
use super::episodes::of_runs;
use super::episodes::{Episodes, RecordAt, Run};
use super::policy::times;
use super::{Map, OTHER_IDENTITY};
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
    /// The latest sighting's time: a finding for a window that only a later copy falls in.
    pub last: TimeMs,
}

/// One secret an identity exposed, as kept across runs: its fingerprint, never its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenSecret {
    /// The identity's name as rules map it (its row): its index changes from run to run.
    pub identity: String,
    pub fingerprint: Fingerprint,
    pub secret_type: String,
    /// The event time of its first sighting.
    pub first_seen: TimeMs,
}

/// Every secret seen, by (identity, fingerprint), and the runs of its sightings.
#[derive(Clone, Debug, Default)]
pub struct Exposures {
    first: HashMap<(usize, Fingerprint), Sighting>,
    runs: Episodes<(usize, Fingerprint)>,
    /// Secrets past [`MAX_EXPOSURES`], not remembered.
    pub dropped: u64,
    /// When each identity (by name) first exposed each secret, as far as is known: earlier
    /// runs', and this run's once learning. At most [`MAX_EXPOSURES`] in all.
    known: Map<String, HashMap<Fingerprint, TimeMs>>,
    known_count: usize,
    /// First sightings not handed out yet (`None`: nobody keeps them).
    learnt: Option<Vec<SeenSecret>>,
}

impl Exposures {
    /// Takes in the secrets earlier runs saw, and from now on keeps first sightings for
    /// [`Exposures::take_learnt`].
    pub fn know(&mut self, secrets: impl IntoIterator<Item = SeenSecret>) {
        self.learnt.get_or_insert_with(Vec::new);
        for seen in secrets {
            self.remember(seen.identity, seen.fingerprint, seen.first_seen);
        }
    }

    /// The first sightings learnt since the last call.
    pub fn take_learnt(&mut self) -> Vec<SeenSecret> {
        self.learnt.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Keeps the earlier of what is known and `time`, as far as there is room.
    fn remember(&mut self, identity: String, print: Fingerprint, time: TimeMs) {
        let full = self.known_count >= MAX_EXPOSURES;
        if full && !self.known.contains_key(&identity) {
            return;
        }
        let prints = self.known.entry(identity).or_default();
        match prints.get_mut(&print) {
            Some(at) => *at = (*at).min(time),
            None if !full => {
                prints.insert(print, time);
                self.known_count += 1;
            }
            None => {}
        }
    }

    /// A first sighting in this run: handed out to be kept when earlier than anything
    /// known of it. Nothing when not learning, nor for [`OTHER_IDENTITY`], whose members
    /// change from run to run.
    fn learn(&mut self, identity: &str, found: &Found, time: TimeMs, known: Option<TimeMs>) {
        let learning = self.learnt.is_some() && identity != OTHER_IDENTITY;
        if !learning || known.is_some_and(|at| at <= time) {
            return;
        }
        self.remember(identity.to_string(), found.fingerprint, time);
        if let Some(learnt) = self.learnt.as_mut() {
            learnt.push(SeenSecret {
                identity: identity.to_string(),
                fingerprint: found.fingerprint,
                secret_type: found.secret_type.to_string(),
                first_seen: time,
            });
        }
    }

    /// One secret found in a record of identity `who` (named `name`) at `time`.
    pub fn see(&mut self, who: usize, name: &str, found: &Found, time: TimeMs, at: RecordAt) {
        let key = (who, found.fingerprint);
        if let Some(seen) = self.first.get_mut(&key) {
            // First and last by time, whatever order the files were read in.
            seen.last = seen.last.max(time);
            if time < seen.time {
                (seen.time, seen.at) = (time, at);
                seen.path.clone_from(&found.path);
            }
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
                last: time,
            },
        );
        let known = self
            .known
            .get(name)
            .and_then(|prints| prints.get(&found.fingerprint))
            .copied();
        self.learn(name, found, time, known);
        // Seen after its first sighting in an earlier run: counted, but no finding again.
        if known.is_some_and(|first| first < time) {
            return;
        }
        self.runs.call(key, time, at);
    }

    /// When identity `who` last exposed the secret of fingerprint `print`.
    pub fn last_seen(&self, who: usize, print: Fingerprint) -> Option<TimeMs> {
        self.first.get(&(who, print)).map(|s| s.last)
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
            let reason = format!(
                "{identity}: {kind} exposed in {place}, seen {}",
                times(run.calls)
            );
            let subject = format!("{identity} · {kind} · {print}");
            let mut c = Condition::of_run(
                AlertKind::Secret,
                Severity::Critical,
                identity,
                subject,
                run,
                reason,
            );
            c.secret = Some(SecretNote {
                secret_type: kind,
                place: sighting.path.clone(),
                fingerprint: print.to_string(),
            });
            // The first sighting by time, whatever order the records were read in.
            c.at = Some(sighting.at);
            c
        };
        of_runs(&open, &past, condition)
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
        e.see(0, "id0", &a, 100 * MIN, RecordAt::default());
        e.see(0, "id0", &a, 101 * MIN, RecordAt::default());
        // Another identity with the same secret is a finding of its own.
        e.see(1, "id1", &a, 101 * MIN, RecordAt::default());
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
        e.see(0, "id0", &a, 170 * MIN, RecordAt::default());
        let (open, past) = e.conditions(170 * MIN, &names);
        assert!(open.is_empty() && past.is_empty());
        let per_identity = |who: usize| e.all().iter().filter(|(w, _, _)| *w == who).count();
        assert_eq!((per_identity(0), per_identity(1), e.all().len()), (1, 1, 2));
    }

    #[test]
    fn history_read_at_start_is_past_not_an_alert() {
        let mut e = Exposures::default();
        e.see(0, "id0", &found("ghp_old"), 0, RecordAt::default());
        e.see(0, "id0", &found("ghp_new"), 100 * MIN, RecordAt::default());
        let (open, past) = e.conditions(100 * MIN, &names);
        assert_eq!((open.len(), past.len()), (1, 1));
        assert_eq!((past[0].started_at, past[0].ended_at), (0, 10 * MIN));
    }

    #[test]
    fn a_secret_known_from_an_earlier_run_raises_nothing_after_its_first_sighting() {
        let a = found("ghp_a");
        let seen = |identity: &str, first_seen| SeenSecret {
            identity: identity.into(),
            fingerprint: a.fingerprint,
            secret_type: "github_token".into(),
            first_seen,
        };
        let mut quiet = Exposures::default();
        quiet.see(0, "id0", &a, 100 * MIN, RecordAt::default());
        assert_eq!(quiet.take_learnt(), [], "nobody keeps them");

        let mut e = Exposures::default();
        e.know([seen("id0", 50 * MIN)]);
        e.see(0, "id0", &a, 100 * MIN, RecordAt::default());
        e.see(1, "id1", &a, 100 * MIN, RecordAt::default());
        e.see(1, "id1", &a, 101 * MIN, RecordAt::default());
        let (open, past) = e.conditions(102 * MIN, &names);
        assert!(past.is_empty());
        let subjects: Vec<_> = open.iter().map(|c| c.identities.clone()).collect();
        assert_eq!(subjects, [vec!["id1".to_string()]], "id0's was known");
        let id0 = e.all().iter().filter(|(who, _, _)| *who == 0).count();
        assert_eq!(id0, 1, "still counted");
        assert_eq!(e.take_learnt(), [seen("id1", 100 * MIN)]);
        assert_eq!(e.take_learnt(), []);

        // History read again at start holds the first sighting: its finding is kept.
        let mut again = Exposures::default();
        again.know([seen("id0", 50 * MIN)]);
        again.see(0, "id0", &a, 50 * MIN, RecordAt::default());
        let (open, past) = again.conditions(100 * MIN, &names);
        assert_eq!((open.len(), past.len()), (0, 1));
        assert_eq!(again.take_learnt(), [], "known already");
    }
}
