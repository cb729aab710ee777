//! Budget alerts: the alert conditions that budget states hold. The budget engine works
//! out one state per budget (used, limit, level, forecast); a budget past a warning
//! threshold or over its limit is an alert, with a reason a person reads.

use super::alerts::{AlertKind, Condition, Severity};
use super::budget::{BudgetLevel, BudgetState, BudgetUnit};
use crate::event::TimeMs;
use crate::format;

/// An amount of a budget's unit, for a reason.
fn amount(unit: BudgetUnit, x: f64) -> String {
    match unit {
        BudgetUnit::Usd => format::usd(x),
        BudgetUnit::Tokens => format!("{} tokens", format::si(x)),
    }
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

/// Who a budget alert is about, named first: its one identity, else its scope and how
/// many identities that holds.
fn who(s: &BudgetState) -> String {
    match s.members.as_slice() {
        [one] => one.clone(),
        [] => format!("{} (no identity)", s.scope),
        many if s.scope == "all" => format!("all {} identities", many.len()),
        many => format!("{} ({} identities)", s.scope, many.len()),
    }
}

/// The alert conditions that hold for these budgets: a warning past a warn threshold, an
/// over-budget alert past the limit (the warning then ends, as it would on a pager that
/// escalates). `clock` writes a time for a reason ("17:40").
pub fn conditions(states: &[BudgetState], clock: &dyn Fn(TimeMs) -> String) -> Vec<Condition> {
    let mut out = Vec::new();
    for s in states.iter().filter(|s| s.level >= BudgetLevel::Warn) {
        let limit = amount(s.unit, s.limit);
        let used = amount(s.unit, s.used);
        // Rounded as the table's BUDGET column rounds it, so the two read the same.
        let percent = if s.percent >= 1000.0 {
            format!("{:.0}x the limit", s.percent / 100.0)
        } else {
            format!("{:.0}%", s.percent)
        };
        let who = who(s);
        let name = &s.name;
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
            tool: None,
            since: None,
            policy: None,
            secret: None,
            at: None,
            score: s.percent,
            reason: String::new(),
        };
        let runs_out = match s.exhausted_at {
            Some(t) => format!(", runs out at {} at this pace", clock(t)),
            None => String::new(),
        };
        out.push(if s.level == BudgetLevel::Over {
            Condition {
                kind: AlertKind::BudgetOver,
                severity: Severity::Critical,
                reason: format!(
                    "{who}: over budget {name}, {percent} used ({used} of {limit} {period})"
                ),
                ..base
            }
        } else {
            Condition {
                reason: format!(
                    "{who}: budget {name} {percent} used ({used} of {limit} {period}){runs_out}"
                ),
                ..base
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(level: BudgetLevel, used: f64) -> BudgetState {
        BudgetState {
            name: "payments-team".into(),
            scope: "team payments".into(),
            period: "day".into(),
            unit: BudgetUnit::Usd,
            ledger: crate::engine::budget::BudgetLedger::Logs,
            used,
            unpriced_requests: 0,
            limit: 50.0,
            percent: used / 50.0 * 100.0,
            level,
            burn_per_hour: 9.0,
            exhausted_at: Some(3_600_000),
            projected: 60.0,
            members: vec!["svc-checkout".into(), "key_prod_web".into()],
            matched: true,
            fleet: false,
        }
    }

    fn clock(t: TimeMs) -> String {
        format!("{:02}:00", t / 3_600_000)
    }

    #[test]
    fn ok_budgets_hold_no_condition() {
        assert!(conditions(&[state(BudgetLevel::Ok, 10.0)], &clock).is_empty());
    }

    #[test]
    fn a_warning_names_the_share_and_when_it_runs_out() {
        let c = conditions(&[state(BudgetLevel::Warn, 41.0)], &clock);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, AlertKind::BudgetWarn);
        assert_eq!(c[0].severity, Severity::Warn);
        assert_eq!(
            c[0].reason,
            "team payments (2 identities): budget payments-team 82% used ($41.00 of $50.00 daily), runs out at 01:00 at this pace"
        );
        assert_eq!(c[0].identities.len(), 2);
    }

    #[test]
    fn the_identity_comes_first_when_the_budget_has_one() {
        let mut one = state(BudgetLevel::Over, 63.25);
        one.members = vec!["svc-support-bot".into()];
        one.scope = "identity svc-support-bot".into();
        let c = conditions(&[one.clone()], &clock);
        assert!(
            c[0].reason
                .starts_with("svc-support-bot: over budget payments-team, 126% used"),
            "{}",
            c[0].reason
        );
        one.scope = "all".into();
        one.members = vec!["a".into(), "b".into(), "c".into()];
        let c = conditions(&[one], &clock);
        assert!(c[0].reason.starts_with("all 3 identities: over budget"));
    }

    #[test]
    fn over_budget_is_critical_and_takes_over_from_the_warning() {
        let mut over = state(BudgetLevel::Over, 51.2);
        over.unit = BudgetUnit::Tokens;
        over.limit = 2e6;
        over.used = 2.5e6;
        over.percent = 125.0;
        over.period = "rolling 24h".into();
        let c = conditions(&[over], &clock);
        let kinds: Vec<_> = c.iter().map(|c| (c.kind, c.severity)).collect();
        assert_eq!(kinds, [(AlertKind::BudgetOver, Severity::Critical)]);
        assert_eq!(
            c[0].reason,
            "team payments (2 identities): over budget payments-team, 125% used (2.5M tokens of 2.0M tokens rolling 24h)"
        );
    }
}
