//! `tokentop check`: read like `report`, evaluate every budget and policy, and say so in
//! the exit code for cron and CI: 1 a source could not be read (settled first), else the
//! highest of 5 (a call outside a `[[policy]]` or an exposed secret since `--since`), 4 (a
//! budget over), 3 (a warning) and 0. With a provider on, spend no log explains above `[reconcile]
//! unattributed_usd` is over a limit too (4).

use std::io::Write;

use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::Serialize;

use crate::config::Config;
use crate::engine::Engine;
use crate::engine::alerts::{Alert, AlertKind};
use crate::engine::budget::{BudgetLevel, BudgetState, BudgetUnit};
use crate::engine::episodes::QUIET_MS;
use crate::engine::providers::reconcile::Reconciliation;
use crate::event::TimeMs;
use crate::format;
use crate::parse::provider::Provider;
use crate::pricing::PriceTable;
use crate::report::{Read, Reading, read_with_providers};
use crate::sanitize::sanitize;
use crate::source::discover::SourceSpec;
use crate::source::health::SourceHealth;
use crate::source::provider::{ProviderHealth, ProviderSpec};

/// What one check reads and when it evaluates the budgets, resolved from the command line
/// at the edge.
#[derive(Debug)]
pub struct CheckRequest {
    pub specs: Vec<SourceSpec>,
    /// Has at least one budget.
    pub config: Config,
    pub tz: TimeZone,
    pub prices: Arc<PriceTable>,
    /// When the budgets are evaluated: `--at`, else now.
    pub at: TimeMs,
    /// Findings from this time on (to `at`) fail the check.
    pub findings_since: TimeMs,
    /// Exit by the budgets even when a source could not be read in full.
    pub allow_partial: bool,
    /// Provider APIs to read (a provider that cannot be read is a source that could not).
    pub providers: Vec<ProviderSpec>,
    pub provider_range: (TimeMs, TimeMs),
}

/// A provider's health in a check.
#[derive(Debug, Serialize)]
pub struct ProviderCheck {
    pub provider: Provider,
    pub health: ProviderHealth,
}

/// What `check` found.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// When the budgets were evaluated (RFC 3339, UTC).
    pub at: String,
    #[serde(skip)]
    pub at_ms: TimeMs,
    pub time_zone: String,
    /// The worst level of any budget, `over` also when spend no log explains is above
    /// the threshold for some identity and day.
    pub status: BudgetLevel,
    /// Every budget, in config order.
    pub budgets: Vec<BudgetState>,
    /// Episodes of calls outside a policy, and secrets exposed, between `--since` and
    /// `--at`, oldest first.
    pub findings: Vec<Alert>,
    /// What the process exits with.
    pub exit_code: u8,
    pub sources: Vec<SourceHealth>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderCheck>,
    /// With a provider on: provider spend against the logs per identity and UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<Reconciliation>,
    #[serde(skip)]
    tz: TimeZone,
}

/// The process's exit code: a source not read in full (1) wins, then findings (5), then
/// the budgets' worst level (4 over, 3 warn, 0 ok).
fn exit_code(partial: bool, findings: bool, status: BudgetLevel) -> u8 {
    match (partial, findings, status) {
        (true, _, _) => 1,
        (false, true, _) => 5,
        (false, false, BudgetLevel::Over) => 4,
        (false, false, BudgetLevel::Warn) => 3,
        (false, false, BudgetLevel::Ok) => 0,
    }
}

/// Calls outside a policy and secrets exposed between `since` and `at`: the engine's
/// policy and secret alerts (every one kept), ended or open, with a call or a sighting in
/// that span (an episode ends ten quiet minutes after its last one), oldest first.
fn findings(engine: &Engine, since: TimeMs, at: TimeMs) -> Vec<Alert> {
    engine
        .findings()
        .into_iter()
        .filter(|a| matches!(a.kind, AlertKind::Policy | AlertKind::Secret))
        .filter(|a| a.started_at <= at && a.ended_at.is_none_or(|end| end - QUIET_MS >= since))
        .collect()
}

/// Reads the request's sources at `now` (the wall clock) and evaluates the budgets at its `at`.
pub fn run(request: CheckRequest, now: TimeMs) -> anyhow::Result<CheckReport> {
    let CheckRequest {
        specs,
        config,
        tz,
        prices,
        at,
        findings_since,
        allow_partial,
        providers,
        provider_range,
    } = request;
    let mut engine = Engine::with_config(prices.clone(), tz.clone(), &config);
    engine.keep_findings();
    let scanner = crate::state::scanner_for_run(&config.secrets)?;
    let Read {
        sources,
        fetched,
        reconciliation,
        ..
    } = read_with_providers(
        &mut engine,
        Reading {
            specs,
            scanner,
            // Events up to and including `at`: what was known at that moment.
            range: (None, Some(at.saturating_add(1))),
            at,
            providers: &providers,
            provider_range,
            config: &config,
            prices: &prices,
        },
        now,
    )?;
    let unattributed = reconciliation
        .as_ref()
        .is_some_and(|r| r.findings().next().is_some());
    let providers: Vec<ProviderCheck> = fetched
        .into_iter()
        .map(|f| ProviderCheck {
            provider: f.provider,
            health: f.health,
        })
        .collect();
    let unread = sources.iter().any(|s| !s.is_ok()) || providers.iter().any(|p| !p.health.ok);
    let budgets = crate::report::printable(engine.budgets());
    let status = budgets
        .iter()
        .map(|b| b.level)
        .chain(unattributed.then_some(BudgetLevel::Over))
        .max()
        .unwrap_or(BudgetLevel::Ok);
    let findings = findings(&engine, findings_since, at);
    let partial = !allow_partial && unread;
    Ok(CheckReport {
        at: crate::timefmt::format_rfc3339_ms(at),
        at_ms: at,
        time_zone: tz.iana_name().unwrap_or("UTC").to_string(),
        status,
        budgets,
        exit_code: exit_code(partial, !findings.is_empty(), status),
        findings,
        sources,
        providers,
        reconciliation,
        tz,
    })
}

fn amount(unit: BudgetUnit, x: f64) -> String {
    match unit {
        BudgetUnit::Usd => format::usd(x),
        BudgetUnit::Tokens => format!("{} tokens", format::int(x.round() as u64)),
    }
}

/// ` +N unpriced` after a USD budget's amount when requests in its scope and period have no
/// price (their cost is not in it); empty otherwise.
fn unpriced(b: &BudgetState) -> String {
    match b.unpriced_requests {
        0 => String::new(),
        n => format!(" +{} unpriced", format::int(n)),
    }
}

/// Warnings for stderr, one line per budget: one whose scope matches nothing read (a typo,
/// `cctrace-agent` for `cctrace agent`) stays at 0 and ok whatever is spent; a USD budget
/// that left requests unpriced counts less than was spent.
pub fn write_warnings(report: &CheckReport, out: &mut dyn Write) -> std::io::Result<()> {
    for b in &report.budgets {
        let (name, scope) = (sanitize(&b.name, 80), sanitize(&b.scope, 80));
        if !b.matched {
            writeln!(
                out,
                "tokentop: warning: budget {name} ({scope}) matches nothing read; check its scope",
            )?;
        }
        if b.unpriced_requests > 0 {
            writeln!(
                out,
                "tokentop: warning: budget {name} ({scope}) left {n} unpriced; their cost is not in its {used}",
                n = format::count(b.unpriced_requests, "request", "requests"),
                used = amount(b.unit, b.used),
            )?;
        }
    }
    Ok(())
}

/// One line per budget that is not ok: level, name, scope, period, used of limit, percent,
/// and when it runs out at the current rate.
pub fn write_lines(report: &CheckReport, out: &mut dyn Write) -> std::io::Result<()> {
    for b in report.budgets.iter().filter(|b| b.level != BudgetLevel::Ok) {
        let level = match b.level {
            BudgetLevel::Over => "OVER",
            _ => "WARN",
        };
        let eta = match b.exhausted_at {
            Some(t) => {
                let local = jiff::Timestamp::from_millisecond(t)
                    .map(|ts| {
                        ts.to_zoned_datetime(report.tz.clone())
                            .strftime("%Y-%m-%d %H:%M %Z")
                            .to_string()
                    })
                    .unwrap_or_default();
                let ahead = format::span(t - report.at_ms);
                format!("; runs out in {ahead} at this rate ({local})")
            }
            None if b.level == BudgetLevel::Over => String::new(),
            None => "; not running out at this rate".to_string(),
        };
        writeln!(
            out,
            "{level} {name} ({scope}, {period}): {used}{unpriced} of {limit}, {percent:.0}%{eta}",
            name = sanitize(&b.name, 80),
            scope = sanitize(&b.scope, 80),
            period = b.period,
            used = amount(b.unit, b.used),
            unpriced = unpriced(b),
            limit = amount(b.unit, b.limit),
            percent = b.percent,
        )?;
    }
    for f in &report.findings {
        let severity = f.severity.label().to_uppercase();
        let kind = f.kind.label().to_uppercase();
        writeln!(out, "{kind} {severity} {}", sanitize(&f.reason, 300))?;
    }
    for row in report.reconciliation.iter().flat_map(|r| r.findings()) {
        writeln!(
            out,
            "OVER unattributed {}",
            crate::report::reconcile::row_line(row)
        )?;
    }
    Ok(())
}
