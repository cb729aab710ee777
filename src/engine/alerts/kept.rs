//! Findings kept whole for a headless run: `report --findings` and `check` list every
//! call outside a policy, new tool and secret they read, not only the latest
//! [`MAX_ALERTS`] alerts a live view keeps.

use super::{Alert, AlertKind, Alerts, MAX_ALERTS};

/// Ended findings a headless run keeps ([`Alerts::keep_findings`]); past this, the
/// newest are counted in [`Alerts::findings_dropped`] and left out.
pub const MAX_FINDINGS: usize = 100_000;

/// The kinds of alert that are findings about an identity, beside its spend.
pub const FINDING_KINDS: [AlertKind; 4] = [
    AlertKind::Policy,
    AlertKind::NewTool,
    AlertKind::Secret,
    AlertKind::Unattributed,
];

impl Alerts {
    /// Keeps an ended alert in history, and among the findings when they are kept.
    pub(super) fn end(&mut self, alert: Alert) {
        if let Some(findings) = &mut self.findings
            && FINDING_KINDS.contains(&alert.kind)
        {
            if findings.len() < MAX_FINDINGS {
                findings.push(alert.clone());
            } else {
                self.findings_dropped += 1;
            }
        }
        self.ended.push_back(alert);
        if self.ended.len() > MAX_ALERTS {
            self.ended.pop_front();
        }
    }

    /// Keeps every ended finding from now on (up to [`MAX_FINDINGS`]), not only the
    /// latest [`MAX_ALERTS`] alerts: a headless run lists them all.
    pub fn keep_findings(&mut self) {
        self.findings.get_or_insert_with(Vec::new);
    }

    /// The findings open and ended, oldest first: all those ended since
    /// [`Alerts::keep_findings`], else those the bounded history holds.
    pub fn findings(&self) -> Vec<Alert> {
        let open = self.open.values().map(|o| &o.alert);
        let ended: Box<dyn Iterator<Item = &Alert>> = match &self.findings {
            Some(kept) => Box::new(kept.iter()),
            None => Box::new(self.ended.iter()),
        };
        let mut all: Vec<Alert> = open
            .chain(ended)
            .filter(|a| FINDING_KINDS.contains(&a.kind))
            .cloned()
            .collect();
        all.sort_by_key(|a| (a.started_at, a.id));
        all
    }

    /// Ended findings past [`MAX_FINDINGS`], left out of [`Alerts::findings`].
    pub fn findings_dropped(&self) -> u64 {
        self.findings_dropped
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Condition, Past, Severity};
    use super::*;

    /// A run of calls outside a policy, over before anyone looked, starting at `t`.
    fn past(n: usize, t: i64) -> Past {
        Past {
            condition: Condition {
                kind: AlertKind::Policy,
                subject: format!("agent · Bash · p{n}"),
                identities: vec!["agent".into()],
                severity: Severity::Critical,
                signal: None,
                value: 1.0,
                threshold: None,
                baseline: None,
                ratio: None,
                units: None,
                tool: Some("Bash".into()),
                policy: Some("p".into()),
                secret: None,
                at: None,
                since: Some(t),
                score: 1.0,
                reason: "agent: Bash".into(),
            },
            started_at: t,
            ended_at: t + 1,
        }
    }

    fn clock(t: i64) -> String {
        t.to_string()
    }

    #[test]
    fn a_headless_run_keeps_every_finding_and_a_live_one_its_history() {
        let runs = || (0..MAX_ALERTS + 100).map(|n| past(n, n as i64)).collect();
        let mut live = Alerts::default();
        live.record_past(runs(), &clock);
        assert_eq!(live.findings().len(), MAX_ALERTS);
        assert_eq!(live.findings()[0].started_at, 100, "the oldest went first");

        let mut headless = Alerts::default();
        headless.keep_findings();
        headless.record_past(runs(), &clock);
        let all = headless.findings();
        assert_eq!(all.len(), MAX_ALERTS + 100);
        let last = (MAX_ALERTS + 99) as i64;
        assert_eq!(
            (all[0].started_at, all[MAX_ALERTS + 99].started_at),
            (0, last)
        );
        assert_eq!(headless.findings_dropped(), 0);
        // The live list stays bounded all the same.
        assert_eq!(headless.list().len(), MAX_ALERTS);
    }
}
