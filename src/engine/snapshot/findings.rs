//! Findings about an identity (calls outside a policy, tools new to it, secrets in its
//! records, provider spend no log explains): counted per identity for the overview's RISK
//! column, and listed in full for the identity in focus.

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::alerts::{Alert, AlertKind, SecretNote, Severity};
use crate::engine::episodes::RecordAt;
use crate::engine::providers::ProvidersView;
use crate::event::TimeMs;

/// Findings about an identity over the totals range (calls outside a policy, tools new to
/// it, provider spend no log explains): how many episodes, and the worst severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub findings: u32,
    pub worst: Option<Severity>,
}

impl Risk {
    /// The alert kinds that are findings about an identity, beside its spend.
    pub const KINDS: [AlertKind; 4] = [
        AlertKind::Policy,
        AlertKind::NewTool,
        AlertKind::Secret,
        AlertKind::Unattributed,
    ];

    /// The findings among `alerts` by identity, counting those open at some point since
    /// `since` (`None`: ever).
    pub fn by_identity(alerts: &[Alert], since: Option<TimeMs>) -> HashMap<&str, Risk> {
        let mut out: HashMap<&str, Risk> = HashMap::new();
        for a in alerts.iter().filter(|a| Risk::KINDS.contains(&a.kind)) {
            if let (Some(since), Some(ended)) = (since, a.ended_at)
                && ended < since
            {
                continue;
            }
            for name in &a.identities {
                let risk = out.entry(name).or_default();
                risk.findings += 1;
                risk.worst = risk.worst.max(Some(a.severity));
            }
        }
        out
    }
}

/// One finding about the identity in focus, for its view: what it is about (never a
/// secret's value: its type, place and fingerprint), how often, when, and the record
/// behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Its alert's id: what the viewer acknowledges it by.
    pub id: u64,
    pub kind: AlertKind,
    pub severity: Severity,
    /// The tool called outside a policy, or new to the identity.
    pub tool: Option<String>,
    /// The `[[policy]]` the calls are outside of.
    pub policy: Option<String>,
    pub secret: Option<SecretNote>,
    /// Calls outside the policy, calls to the new tool, sightings of the secret; `None`
    /// for unattributed spend, which is an amount.
    pub count: Option<u64>,
    /// Unattributed spend: the amount, and the settled UTC day it is over on (while the
    /// providers' ledger still holds that day).
    pub usd: Option<f64>,
    pub day: Option<String>,
    pub started_at: TimeMs,
    pub ended_at: Option<TimeMs>,
    /// The record behind it: a secret's first sighting, a run's first call (`None` for
    /// unattributed spend, or when the record was not kept); process-local.
    #[serde(skip)]
    pub record: Option<RecordAt>,
}

impl Finding {
    /// The findings among `alerts` that concern `identity`, newest first.
    pub fn of_identity(
        alerts: &[Alert],
        identity: &str,
        providers: Option<&ProvidersView>,
    ) -> Vec<Finding> {
        let mut out: Vec<Finding> = alerts
            .iter()
            .filter(|a| Risk::KINDS.contains(&a.kind) && a.concerns(identity))
            .map(|a| Finding::of(a, identity, providers))
            .collect();
        out.sort_by_key(|f| std::cmp::Reverse((f.started_at, f.id)));
        out
    }

    fn of(a: &Alert, identity: &str, providers: Option<&ProvidersView>) -> Finding {
        let unattributed = a.kind == AlertKind::Unattributed;
        // The day the amount is over on: the ledger's row of that amount.
        let day = providers.filter(|_| unattributed).and_then(|view| {
            view.rows
                .iter()
                .find(|r| {
                    r.identity == identity && r.over && (r.unattributed_usd - a.value).abs() < 0.005
                })
                .map(|r| r.day.clone())
        });
        Finding {
            id: a.id,
            kind: a.kind,
            severity: a.severity,
            tool: a.tool.clone(),
            policy: a.policy.clone(),
            secret: a.secret.clone(),
            count: (!unattributed).then_some(a.value as u64),
            usd: unattributed.then_some(a.value),
            day,
            started_at: a.started_at,
            ended_at: a.ended_at,
            record: a.at,
        }
    }
}
