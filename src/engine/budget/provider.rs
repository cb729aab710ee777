//! Budgets on the providers' ledger (`ledger = "provider"`): worked out again from the
//! providers' buckets whenever those change, as a poll replaces buckets rather than adding
//! requests. Each bucket counts at its start, usage x price (bills come a day late and,
//! for Anthropic, never by key).

use super::tracker::{Spend, Tracker};
use super::{BudgetLedger, BudgetUnit, Budgets, Scope};
use crate::event::TimeMs;

/// One provider usage bucket as a budget sees it: who its key maps to, and what it used.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSpend {
    pub time: TimeMs,
    /// The mapped identity's name (the key id when no rule maps it).
    pub name: String,
    pub team: Option<String>,
    pub labels: Vec<String>,
    pub model: Option<String>,
    /// Usage x price; `None` when the model has no price.
    pub usd: Option<f64>,
    /// Every token class.
    pub tokens: u64,
}

impl ProviderSpend {
    fn in_scope(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Model(p) => self.model.as_deref().is_some_and(|m| p.matches(m)),
            other => other.names(&self.name, self.team.as_deref(), &self.labels),
        }
    }

    fn spend(&self, unit: BudgetUnit) -> Spend {
        match unit {
            BudgetUnit::Usd => Spend {
                amount: self.usd.unwrap_or(0.0),
                unpriced: u64::from(self.usd.is_none()),
            },
            BudgetUnit::Tokens => Spend {
                amount: self.tokens as f64,
                unpriced: 0,
            },
        }
    }
}

impl Budgets {
    /// Works out every provider-ledger budget again from `spends` (each span of time
    /// once).
    pub fn rebuild_provider(&mut self, spends: &[ProviderSpend]) {
        let tz = self.tz.clone();
        for t in &mut self.trackers {
            if t.spec.ledger != BudgetLedger::Provider {
                continue;
            }
            let mut fresh = Tracker::new(t.spec.clone());
            let (scope, unit) = (&t.spec.scope, t.spec.unit);
            for s in spends.iter().filter(|s| s.in_scope(scope)) {
                let spend = s.spend(unit);
                fresh.apply(super::Sign::Add, s.time, spend, &tz);
                if !fresh.named.contains(&s.name) {
                    fresh.named.push(s.name.clone());
                }
            }
            *t = fresh;
        }
    }

    /// Whether any budget counts the providers' ledger.
    pub fn any_provider(&self) -> bool {
        self.trackers
            .iter()
            .any(|t| t.spec.ledger == BudgetLedger::Provider)
    }
}
