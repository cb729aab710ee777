//! Acknowledging findings for good: an alert of a finding kind (policy, new tool, secret,
//! unattributed spend) is acknowledged by its kind and subject, which stay the same across
//! restarts while alert ids do not. An acknowledgement covers the episodes that had begun
//! by its time: the same finding starting again later is news, and shows unacknowledged.
//! The app does no IO: each change waits in [`App::take_ack_changes`] for the loop to keep
//! it (in the state store), and the findings kept are handed back at start with
//! [`App::restore_acknowledged`].

use std::collections::BTreeMap;

use super::App;
use crate::engine::alerts::{Alert, AlertKind};
use crate::engine::snapshot::Risk;
use crate::event::TimeMs;

/// The name a finding's kind is kept under (as `report --findings` writes it); `None` for
/// kinds that are not findings (bursts and budgets are acknowledged for the run only).
pub fn finding_kind(kind: AlertKind) -> Option<&'static str> {
    match kind {
        AlertKind::Policy => Some("policy"),
        AlertKind::NewTool => Some("new_tool"),
        AlertKind::Secret => Some("secret"),
        AlertKind::Unattributed => Some("unattributed"),
        AlertKind::BudgetWarn | AlertKind::BudgetOver | AlertKind::Burst => None,
        AlertKind::GlobalBurst => None,
    }
}

/// One finding as it is kept: its kind's name and its subject
/// (`identity · tool · policy`, `identity · secret_type · fingerprint`, ...).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingKey {
    pub kind: String,
    pub subject: String,
}

impl FindingKey {
    /// The key of `alert`, when it is a finding.
    pub fn of(alert: &Alert) -> Option<FindingKey> {
        finding_kind(alert.kind).map(|kind| FindingKey {
            kind: kind.to_string(),
            subject: alert.subject.clone(),
        })
    }
}

/// A change for the loop to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AckChange {
    /// Acknowledged at `at`, the shown snapshot's time (or the episode's start, if later).
    Acknowledged {
        key: FindingKey,
        at: TimeMs,
    },
    TakenBack(FindingKey),
}

/// The findings acknowledged, by kind name then subject, with when, so that a snapshot's
/// alerts are looked up without building a key for each.
#[derive(Debug, Default)]
pub(super) struct AcknowledgedFindings {
    by_kind: BTreeMap<&'static str, BTreeMap<String, TimeMs>>,
    /// Changes the loop has not taken yet, oldest first.
    changes: Vec<AckChange>,
}

impl AcknowledgedFindings {
    /// Whether `alert` is an episode of a finding acknowledged once it had begun.
    fn holds(&self, alert: &Alert) -> bool {
        finding_kind(alert.kind)
            .and_then(|kind| self.by_kind.get(kind)?.get(&alert.subject))
            .is_some_and(|&at| alert.started_at <= at)
    }

    /// Acknowledges the finding's episodes begun by `at`; false when they already were.
    fn insert(&mut self, kind: &'static str, subject: &str, at: TimeMs) -> bool {
        let subjects = self.by_kind.entry(kind).or_default();
        match subjects.get_mut(subject) {
            Some(kept) if *kept >= at => false,
            Some(kept) => {
                *kept = at;
                true
            }
            None => {
                subjects.insert(subject.to_string(), at);
                true
            }
        }
    }

    fn remove(&mut self, kind: &'static str, subject: &str) -> bool {
        self.by_kind
            .get_mut(kind)
            .is_some_and(|subjects| subjects.remove(subject).is_some())
    }
}

impl App {
    /// Findings acknowledged in earlier runs (read from the store at start), with when:
    /// their episodes begun by then show acknowledged, later ones do not. Keys of unknown
    /// kinds are left out.
    pub fn restore_acknowledged(&mut self, keys: impl IntoIterator<Item = (FindingKey, TimeMs)>) {
        for (key, at) in keys {
            let kind = Risk::KINDS
                .into_iter()
                .filter_map(finding_kind)
                .find(|k| *k == key.kind);
            if let Some(kind) = kind {
                self.findings.insert(kind, &key.subject, at);
            }
        }
        self.follow_acknowledged();
        self.acknowledged_changed();
    }

    /// The acknowledgements of findings made or taken back since the last call, for the
    /// loop to keep.
    pub fn take_ack_changes(&mut self) -> Vec<AckChange> {
        std::mem::take(&mut self.findings.changes)
    }

    /// Acknowledges alert `id` (`on`) or takes that back; a finding's change is kept by its
    /// kind and subject too, and waits for the loop.
    pub(super) fn set_acknowledged(&mut self, id: u64, on: bool) {
        match on {
            true => self.acknowledged.insert(id),
            false => self.acknowledged.remove(&id),
        };
        let alert = self.snapshot.alerts.iter().find(|a| a.id == id);
        let Some((kind, alert)) = alert.and_then(|a| finding_kind(a.kind).zip(Some(a))) else {
            return;
        };
        let subject = alert.subject.as_str();
        let at = self.snapshot.now.max(alert.started_at);
        let changed = match on {
            true => self.findings.insert(kind, subject, at),
            false => self.findings.remove(kind, subject),
        };
        if !changed {
            return;
        }
        let key = FindingKey {
            kind: kind.to_string(),
            subject: subject.to_string(),
        };
        self.findings.changes.push(match on {
            true => AckChange::Acknowledged { key, at },
            false => AckChange::TakenBack(key),
        });
    }

    /// After a new snapshot: only ids still in it are remembered, and alerts of findings
    /// acknowledged (in this run or an earlier one) are acknowledged when their episode
    /// had begun by the acknowledgement.
    pub(super) fn follow_acknowledged(&mut self) {
        let alerts = &self.snapshot.alerts;
        self.acknowledged
            .retain(|id| alerts.iter().any(|a| a.id == *id));
        let findings = &self.findings;
        self.acknowledged
            .extend(alerts.iter().filter(|a| findings.holds(a)).map(|a| a.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings are kept under the names `report --findings` and the alerts file write, and
    /// only findings are kept.
    #[test]
    fn findings_are_kept_under_their_serialized_kind_and_only_findings() {
        let all = [
            AlertKind::BudgetWarn,
            AlertKind::BudgetOver,
            AlertKind::Burst,
            AlertKind::GlobalBurst,
            AlertKind::Unattributed,
            AlertKind::Policy,
            AlertKind::NewTool,
            AlertKind::Secret,
        ];
        for kind in all {
            let serialized = serde_json::to_value(kind).expect("serialize");
            match finding_kind(kind) {
                Some(name) => {
                    assert!(Risk::KINDS.contains(&kind), "{kind:?}");
                    assert_eq!(serialized, name);
                }
                None => assert!(!Risk::KINDS.contains(&kind), "{kind:?}"),
            }
        }
    }
}
