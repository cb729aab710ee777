//! Budget states as the alerts read them. The budget engine works out one state per
//! budget (used, limit, level, forecast); this plain struct is all the alerts need of it,
//! so the two meet in one conversion (`From<&BudgetState> for BudgetSignal`) and budget
//! alerts can be tested on their own.

use super::alerts::{AlertKind, Condition, Severity};
use super::budget::{BudgetLevel, BudgetState, BudgetUnit};
use crate::event::TimeMs;
use crate::format;

/// Where a budget stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SignalLevel {
    Ok,
    /// Past a warning threshold.
    Warn,
    /// Past the limit.
    Over,
}

/// What a budget's limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitUnit {
    Usd,
    Tokens,
}

impl LimitUnit {
    fn amount(self, x: f64) -> String {
        match self {
            LimitUnit::Usd => format::usd(x),
            LimitUnit::Tokens => format!("{} tokens", format::si(x)),
        }
    }
}

/// One budget at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetSignal {
    pub name: String,
    /// As the budget engine writes it: `hour`, `day`, `week`, `month` (which read as
    /// "hourly", "daily", ...) or `rolling 24h`.
    pub period: String,
    pub level: SignalLevel,
    pub used: f64,
    pub limit: f64,
    /// `used / limit × 100`.
    pub percent: f64,
    pub unit: LimitUnit,
    /// When the budget runs out at the current burn rate, if it does before the period ends.
    pub exhausted_at: Option<TimeMs>,
    /// The identities the budget covers: their rows are coloured while it alarms.
    pub members: Vec<String>,
}

/// A period as it reads before "budget".
fn adjective(period: &str) -> &str {
    match period {
        "hour" => "hourly",
        "day" => "daily",
        "week" => "weekly",
        "month" => "monthly",
        other => other,
    }
}

/// The alert conditions that hold for these budgets: a warning past a warn threshold, an
/// over-budget alert past the limit (the warning then ends, as it would on a pager that
/// escalates). `clock` writes a time for a reason ("17:40").
pub fn conditions(signals: &[BudgetSignal], clock: &dyn Fn(TimeMs) -> String) -> Vec<Condition> {
    let mut out = Vec::new();
    for s in signals.iter().filter(|s| s.level >= SignalLevel::Warn) {
        let limit = s.unit.amount(s.limit);
        let used = s.unit.amount(s.used);
        let percent = s.percent.round();
        let period = adjective(&s.period);
        let base = Condition {
            kind: AlertKind::BudgetWarn,
            subject: s.name.clone(),
            identities: s.members.clone(),
            severity: Severity::Warn,
            signal: None,
            value: s.used,
            threshold: Some(s.limit),
            baseline: None,
            ratio: Some(s.percent / 100.0),
            units: None,
            score: s.percent,
            reason: String::new(),
        };
        let runs_out = match s.exhausted_at {
            Some(t) => format!(", runs out at {} at this pace", clock(t)),
            None => String::new(),
        };
        out.push(if s.level == SignalLevel::Over {
            Condition {
                kind: AlertKind::BudgetOver,
                severity: Severity::Critical,
                reason: format!(
                    "{}: over its {limit} {period} budget, {used} used ({percent}%)",
                    s.name
                ),
                ..base
            }
        } else {
            Condition {
                reason: format!(
                    "{}: {percent}% of its {limit} {period} budget used ({used}){runs_out}",
                    s.name
                ),
                ..base
            }
        });
    }
    out
}

impl From<&BudgetState> for BudgetSignal {
    fn from(b: &BudgetState) -> Self {
        BudgetSignal {
            name: b.name.clone(),
            period: b.period.clone(),
            level: match b.level {
                BudgetLevel::Ok => SignalLevel::Ok,
                BudgetLevel::Warn => SignalLevel::Warn,
                BudgetLevel::Over => SignalLevel::Over,
            },
            used: b.used,
            limit: b.limit,
            percent: b.percent,
            unit: match b.unit {
                BudgetUnit::Usd => LimitUnit::Usd,
                BudgetUnit::Tokens => LimitUnit::Tokens,
            },
            exhausted_at: b.exhausted_at,
            members: b.members.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(level: SignalLevel, used: f64) -> BudgetSignal {
        BudgetSignal {
            name: "payments-team".into(),
            period: "day".into(),
            level,
            used,
            limit: 50.0,
            percent: used / 50.0 * 100.0,
            unit: LimitUnit::Usd,
            exhausted_at: Some(3_600_000),
            members: vec!["svc-checkout".into(), "key_prod_web".into()],
        }
    }

    fn clock(t: TimeMs) -> String {
        format!("{:02}:00", t / 3_600_000)
    }

    #[test]
    fn ok_budgets_hold_no_condition() {
        assert!(conditions(&[signal(SignalLevel::Ok, 10.0)], &clock).is_empty());
    }

    #[test]
    fn a_warning_names_the_share_and_when_it_runs_out() {
        let c = conditions(&[signal(SignalLevel::Warn, 41.0)], &clock);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, AlertKind::BudgetWarn);
        assert_eq!(c[0].severity, Severity::Warn);
        assert_eq!(
            c[0].reason,
            "payments-team: 82% of its $50.00 daily budget used ($41.00), runs out at 01:00 at this pace"
        );
        assert_eq!(c[0].identities.len(), 2);
    }

    #[test]
    fn over_budget_is_critical_and_takes_over_from_the_warning() {
        let mut over = signal(SignalLevel::Over, 51.2);
        over.unit = LimitUnit::Tokens;
        over.limit = 2e6;
        over.used = 2.5e6;
        over.percent = 125.0;
        over.period = "rolling 24h".into();
        let c = conditions(&[over], &clock);
        let kinds: Vec<_> = c.iter().map(|c| (c.kind, c.severity)).collect();
        assert_eq!(kinds, [(AlertKind::BudgetOver, Severity::Critical)]);
        assert_eq!(
            c[0].reason,
            "payments-team: over its 2.0M tokens rolling 24h budget, 2.5M tokens used (125%)"
        );
    }
}
