//! Provider usage and cost in the live engine: the ledger of what was polled, reconciled
//! with the logs per mapped identity and UTC day, and what the monitor shows of it. Never
//! added to the log totals.

mod ledger;
pub mod reconcile;
mod today;

use std::sync::Arc;

use serde::Serialize;

pub use self::ledger::{ProviderLedger, kept_from};
use self::reconcile::{Inputs, ReconcileRow, UnmappedKey, reconcile};
pub use self::today::ProviderToday;
use super::alerts::{AlertKind, Condition, Severity};
use super::budget::ProviderSpend;
use super::mapping::{IdentityRule, Mapping};
use super::tally::Tally;
use crate::config::reconcile::ReconcileSettings;
use crate::event::TimeMs;
use crate::format;
use crate::parse::provider::{ProviderUpdate, Report, Width};
use crate::pricing::PriceTable;

/// The view is worked out again at most this often while only the logs change (event
/// time): reconciling a month of buckets on every snapshot would be waste.
const REFRESH_MS: TimeMs = 10_000;

/// What the monitor shows of the providers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProvidersView {
    /// One per provider heard from: this UTC day's usage and spend.
    pub today: Vec<ProviderToday>,
    /// The logs' spend today (UTC) of the identities the providers' keys map to.
    pub logged_today_usd: f64,
    /// Mapped identities' UTC days this month, most unattributed first; today's (not
    /// settled) among them, never a finding.
    pub rows: Vec<ReconcileRow>,
    /// Keys no `[[identity]]` rule maps: listed, never a finding.
    pub unmapped: Vec<UnmappedKey>,
    /// Unattributed spend above this, per identity per settled day, is a finding.
    pub threshold_usd: f64,
    pub settle: String,
}

/// The providers' ledger with the rules that name its keys and the view last worked out.
#[derive(Clone, Debug)]
pub struct Providers {
    ledger: ProviderLedger,
    rules: Vec<IdentityRule>,
    mapping: Mapping,
    settings: ReconcileSettings,
    view: Arc<ProvidersView>,
    /// When the view was worked out (event time); `None`: it must be again.
    worked_out: Option<TimeMs>,
}

impl Providers {
    pub fn new(rules: Vec<IdentityRule>, settings: ReconcileSettings) -> Self {
        Providers {
            ledger: ProviderLedger::default(),
            mapping: Mapping::new(rules.clone()),
            rules,
            settings,
            view: Arc::default(),
            worked_out: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ledger.is_empty()
    }

    pub fn apply(&mut self, update: ProviderUpdate) {
        self.ledger.apply(update);
        self.worked_out = None;
    }

    /// Brings the view up to `now` when the ledger changed or it is due, forgetting
    /// buckets no view reads any more; returns whether it did.
    pub fn refresh(&mut self, logged: Option<&Tally>, prices: &PriceTable, now: TimeMs) -> bool {
        let fresh = self
            .worked_out
            .is_some_and(|t| (t..t + REFRESH_MS).contains(&now));
        if self.ledger.is_empty() || fresh {
            return false;
        }
        self.ledger.forget(now);
        let buckets = self.ledger.effective();
        let day = Width::Day.floor(now);
        // On the 1st, yesterday is last month's: it is still reconciled (and polled).
        let month = crate::timefmt::utc_month_start(now).min(day - Width::Day.ms());
        let mut r = reconcile(Inputs {
            buckets: &buckets,
            logged,
            rules: &self.rules,
            prices,
            settings: &self.settings,
            window: (month, day + Width::Day.ms()),
            now,
            pending: true,
        });
        r.rows
            .sort_by(|a, b| b.unattributed_usd.total_cmp(&a.unattributed_usd));
        let logged_today_usd = r
            .rows
            .iter()
            .filter(|row| row.day == crate::timefmt::utc_day(day))
            .map(|row| row.logged_usd)
            .sum();
        self.view = Arc::new(ProvidersView {
            today: today::today(&buckets, prices, day),
            logged_today_usd,
            rows: r.rows,
            unmapped: r.unmapped,
            threshold_usd: self.settings.unattributed_usd,
            settle: self.settings.settle.clone(),
        });
        self.worked_out = Some(now);
        true
    }

    /// Every usage bucket (each span of time once) as the budgets on the providers'
    /// ledger count it.
    pub fn spends(&self, prices: &PriceTable) -> Vec<ProviderSpend> {
        let usage = |b: &&&crate::parse::provider::ProviderBucket| b.report == Report::Usage;
        self.ledger
            .effective()
            .iter()
            .filter(usage)
            .map(|b| {
                let rule = reconcile::rule_of(&self.mapping, b);
                ProviderSpend {
                    time: b.start,
                    name: reconcile::name_of(rule, b),
                    team: rule.and_then(|r| r.team.clone()),
                    labels: rule.map(|r| r.labels.clone()).unwrap_or_default(),
                    model: b.model.clone(),
                    usd: b.model.as_deref().and_then(|m| prices.cost(m, &b.tokens)),
                    tokens: b.tokens.total(),
                }
            })
            .collect()
    }

    pub fn view(&self) -> Arc<ProvidersView> {
        Arc::clone(&self.view)
    }

    /// One `unattributed` alert per identity while a settled day this month is over the
    /// threshold: usage billed to a key no log explains.
    pub fn conditions(&self) -> Vec<Condition> {
        let mut out: Vec<Condition> = Vec::new();
        for row in self.view.rows.iter().filter(|r| r.over) {
            if out.iter().any(|c| c.subject == row.identity) {
                continue;
            }
            let usd = row.unattributed_usd;
            out.push(Condition {
                kind: AlertKind::Unattributed,
                subject: row.identity.clone(),
                identities: vec![row.identity.clone()],
                severity: Severity::Critical,
                signal: None,
                value: usd,
                threshold: Some(self.view.threshold_usd),
                baseline: Some(row.logged_usd),
                ratio: None,
                units: None,
                tool: None,
                since: None,
                policy: None,
                secret: None,
                at: None,
                score: usd,
                reason: format!(
                    "{}: {} of provider spend on {} that no log explains ({} {}, {} logged)",
                    row.identity,
                    format::usd(usd),
                    row.day,
                    format::usd(row.provider_usd),
                    match row.provider_basis {
                        reconcile::Basis::Billed => "billed",
                        reconcile::Basis::Estimated => "estimated",
                    },
                    format::usd(row.logged_usd),
                ),
            });
        }
        out
    }
}
