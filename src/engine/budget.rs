//! Budgets: a limit in dollars or tokens over a calendar period or a rolling window, for
//! one identity, a team, a label, a model or everything.
//!
//! Each budget keeps running sums, never events: the sums of its latest few calendar
//! periods (start, end, amount), or a ring of buckets for a rolling window, plus fifteen
//! one-minute buckets for the burn rate. What it reports at `now`:
//! - `burn_per_hour`: the spend of the last 15 minutes × 4 (in whole minutes, the current
//!   minute included), so a burst shows within a minute and a quiet spell within 15;
//! - `exhausted_at`: when `used` reaches `limit` if that rate goes on. A calendar budget
//!   that would only run out after its reset has none. A rolling window also counts what
//!   leaves the window on the way (old spend dropping out can postpone or prevent it);
//! - `projected`: for a calendar period, `used` + rate × the time left in the period; for a
//!   rolling window, rate × the window's length (what it holds once the rate has filled it).

mod provider;
mod tracker;

use jiff::tz::TimeZone;
use serde::Serialize;

pub use self::provider::ProviderSpend;
use self::tracker::{Spend, Tracker};
use super::Map;
use super::identity::Sign;
use super::mapping::Pattern;
use super::period::Period;
use super::usage::Usage;
use crate::event::TimeMs;

/// The burn rate is the spend of this window, scaled to an hour.
pub const BURN_WINDOW_MS: i64 = 15 * 60_000;

/// Whose usage a budget counts. Every text is a [`Pattern`] (exact, or a `*`/`?` glob).
#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    /// Identities by their (mapped) display name.
    Identity(Pattern),
    Team(Pattern),
    Label(Pattern),
    /// Requests to matching models, whoever made them.
    Model(Pattern),
    All,
}

impl Scope {
    pub fn label(&self) -> String {
        match self {
            Scope::Identity(p) => format!("identity {}", p.as_str()),
            Scope::Team(p) => format!("team {}", p.as_str()),
            Scope::Label(p) => format!("label {}", p.as_str()),
            Scope::Model(p) => format!("model {}", p.as_str()),
            Scope::All => "all".into(),
        }
    }

    /// Whether an identity belongs to the budget by who it is (model scopes never do:
    /// their members are whoever uses the model).
    fn names(&self, name: &str, team: Option<&str>, labels: &[String]) -> bool {
        match self {
            Scope::Identity(p) => p.matches(name),
            Scope::Team(p) => team.is_some_and(|t| p.matches(t)),
            Scope::Label(p) => labels.iter().any(|l| p.matches(l)),
            Scope::Model(_) => false,
            Scope::All => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetUnit {
    Usd,
    /// Every token class: uncached input, cache reads and writes, output.
    Tokens,
}

impl BudgetUnit {
    /// What one contribution adds to a budget in this unit.
    fn spend(self, usage: &Usage) -> Spend {
        match self {
            BudgetUnit::Usd => Spend {
                amount: usage.cost_usd,
                unpriced: usage.unpriced_requests,
            },
            BudgetUnit::Tokens => Spend {
                amount: usage.total_tokens() as f64,
                unpriced: 0,
            },
        }
    }
}

/// What a budget counts: the logs (every request read, priced from the table) or the
/// providers' usage reports (usage x price, by the keys' mapped identities).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetLedger {
    #[default]
    Logs,
    Provider,
}

/// How close a budget is to its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetLevel {
    Ok,
    /// At or past one of its `warn_at` thresholds.
    Warn,
    /// At or past its limit.
    Over,
}

/// One budget as the config defines it.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetSpec {
    pub name: String,
    pub scope: Scope,
    pub period: Period,
    pub unit: BudgetUnit,
    pub limit: f64,
    /// Shares of `limit` (in `(0, 1)`, ascending) from which the budget is at `Warn`.
    pub warn_at: Vec<f64>,
    pub ledger: BudgetLedger,
}

/// One budget at one moment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetState {
    pub name: String,
    /// `identity NAME`, `team NAME`, `label NAME`, `model NAME` or `all`.
    pub scope: String,
    /// `hour`, `day`, `week`, `month` or `rolling 24h`.
    pub period: String,
    pub unit: BudgetUnit,
    pub ledger: BudgetLedger,
    pub used: f64,
    /// USD budgets: the requests in scope and period that no price covers (their cost is
    /// not in `used`). Always 0 for token budgets.
    pub unpriced_requests: u64,
    pub limit: f64,
    /// `used` as a percentage of `limit` (0 to 100, more when over).
    pub percent: f64,
    pub level: BudgetLevel,
    /// In `unit` per hour, over the last 15 minutes (see the module docs).
    pub burn_per_hour: f64,
    /// When the limit is reached at that rate; `None` when not burning, already over, or
    /// (calendar periods) not before the period resets.
    pub exhausted_at: Option<TimeMs>,
    /// Expected total at the end of the period at that rate (see the module docs).
    pub projected: f64,
    /// The identities the budget covers, by name, sorted.
    pub members: Vec<String>,
    /// Whether its scope has matched anything read: an identity, or for a model budget a
    /// request to a matching model. `false` most likely means a typo in the scope.
    pub matched: bool,
    /// Scoped `all`: the whole fleet's, shown once in the header rather than on every row.
    pub fleet: bool,
}

/// What an identity's row shows of its tightest budget (the highest percentage), fleet-wide
/// budgets left out: they are the header's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RowBudget {
    pub name: String,
    pub percent: f64,
    pub level: BudgetLevel,
    pub exhausted_at: Option<TimeMs>,
    /// Other identities draw on it too (a team, label, model or glob budget with more than
    /// one member): its percentage is not this identity's spend alone.
    pub shared: bool,
}

/// Every budget of the config, fed by the engine as it counts usage.
#[derive(Clone, Debug)]
pub struct Budgets {
    tz: TimeZone,
    trackers: Vec<Tracker>,
    /// For each identity (engine index), the budgets that name it.
    by_identity: Vec<Box<[usize]>>,
    /// The model budgets, and for each model name seen, those that match it.
    model_budgets: Vec<usize>,
    by_model: Map<String, Box<[usize]>>,
}

impl Budgets {
    pub fn new(specs: Vec<BudgetSpec>, tz: TimeZone) -> Self {
        let model_budgets = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.scope, Scope::Model(_)) && s.ledger == BudgetLedger::Logs)
            .map(|(i, _)| i)
            .collect();
        Budgets {
            tz,
            trackers: specs.into_iter().map(Tracker::new).collect(),
            by_identity: Vec::new(),
            model_budgets,
            by_model: Map::default(),
        }
    }

    /// A new identity (engine index `who`) joins the budgets that name it.
    pub fn add_identity(&mut self, who: usize, name: &str, team: Option<&str>, labels: &[String]) {
        if self.trackers.is_empty() {
            return;
        }
        let named: Box<[usize]> = (0..self.trackers.len())
            .filter(|&b| self.trackers[b].spec.scope.names(name, team, labels))
            .collect();
        for &b in &named {
            if self.trackers[b].spec.ledger == BudgetLedger::Logs {
                self.trackers[b].members.push(who);
            }
        }
        if self.by_identity.len() <= who {
            self.by_identity.resize_with(who + 1, Default::default);
        }
        self.by_identity[who] = named;
    }

    /// Counts (or takes back) one contribution of identity `who` to model `model`.
    pub fn apply(&mut self, sign: Sign, who: usize, time: TimeMs, model: &str, usage: &Usage) {
        if self.trackers.is_empty() {
            return;
        }
        let tz = &self.tz;
        for &b in self.by_identity.get(who).into_iter().flatten() {
            let t = &mut self.trackers[b];
            if t.spec.ledger == BudgetLedger::Logs {
                t.apply(sign, time, t.spec.unit.spend(usage), tz);
            }
        }
        if self.model_budgets.is_empty() {
            return;
        }
        if !self.by_model.contains_key(model) {
            let matching = self
                .model_budgets
                .iter()
                .copied()
                .filter(|&b| match &self.trackers[b].spec.scope {
                    Scope::Model(p) => p.matches(model),
                    _ => false,
                })
                .collect();
            self.by_model.insert(model.to_string(), matching);
        }
        for &b in self.by_model.get(model).into_iter().flatten() {
            let t = &mut self.trackers[b];
            t.apply(sign, time, t.spec.unit.spend(usage), tz);
            if sign == Sign::Add {
                let last = t.users.entry(who).or_insert(time);
                *last = (*last).max(time);
            }
        }
    }

    /// Every budget at `now`, in config order; `names` gives an identity's name.
    pub fn states(&self, now: TimeMs, names: &dyn Fn(usize) -> String) -> Vec<BudgetState> {
        self.trackers
            .iter()
            .map(|t| t.state(now, &self.tz, names))
            .collect()
    }

    /// The budgets (indices into `states`) that cover identity `who`, named `name`: those
    /// whose scope names it, and the model budgets while it is among their members (it
    /// used the model in the current period; members are sorted).
    pub fn covering<'a>(
        &'a self,
        who: usize,
        name: &'a str,
        states: &'a [BudgetState],
    ) -> impl Iterator<Item = usize> + 'a {
        let named = self.by_identity.get(who).into_iter().flatten().copied();
        let used_models = self.model_budgets.iter().copied().filter(move |&b| {
            states
                .get(b)
                .is_some_and(|s| s.members.binary_search_by(|m| m.as_str().cmp(name)).is_ok())
        });
        named.chain(used_models)
    }

    /// How fast budget `b` may be spent, in its unit per minute, for its limit to last
    /// its whole period (the period `now` falls in): the line a timeline draws.
    pub fn pace_per_min(&self, b: usize, now: TimeMs) -> Option<f64> {
        let spec = &self.trackers.get(b)?.spec;
        let period_ms = match spec.period {
            Period::Rolling { ms, .. } => ms,
            Period::Calendar(calendar) => {
                let (start, end) = super::period::bounds(calendar, now, &self.tz)?;
                end - start
            }
        };
        (period_ms > 0).then(|| spec.limit * 60_000.0 / period_ms as f64)
    }

    /// The budget of identity `who` (named `name`) with the highest percentage (the
    /// earlier exhaustion on a tie), from `states` as [`Budgets::states`] made them; fleet
    /// budgets do not count (on every row, they read as each identity's own).
    pub fn tightest(&self, who: usize, name: &str, states: &[BudgetState]) -> Option<RowBudget> {
        self.covering(who, name, states)
            .filter_map(|b| states.get(b))
            .filter(|s| !s.fleet)
            .max_by(|a, b| {
                a.percent.total_cmp(&b.percent).then_with(|| {
                    let eta = |s: &BudgetState| s.exhausted_at.unwrap_or(TimeMs::MAX);
                    eta(b).cmp(&eta(a))
                })
            })
            .map(|s| RowBudget {
                name: s.name.clone(),
                percent: s.percent,
                level: s.level,
                exhausted_at: s.exhausted_at,
                shared: s.members.len() > 1,
            })
    }
}
