//! The engine's side of bursts and alerts: baselines from the identities' minute buckets,
//! the last minute's rates, and one round of alerts per `advance` (bursts) or per budget
//! update. The rules themselves live in `burst`, `alerts` and `budget_alerts`.

use super::Engine;
use super::alerts::{AlertEvent, AlertKind, Condition, Severity};
use super::budget::BudgetState;
use super::budget_alerts;
use super::burst::{BASELINE_MINUTES, Burst, BurstSettings, Minute, Signal, Subject};
use super::fleet::{Fleet, Usual};
use super::usage::Usage;
use super::window::TieredWindow;
use crate::event::TimeMs;

const MINUTE_MS: i64 = 60_000;
/// The subject of a global burst.
pub const ALL_IDENTITIES: &str = "all identities";

/// The closed minutes of the hour before `now`, oldest first, with the units active in
/// each (`units` of a minute index).
fn closed_minutes(
    window: &TieredWindow<Usage>,
    units: impl Fn(i64) -> u32,
    now: TimeMs,
) -> [Minute; BASELINE_MINUTES] {
    let values: [[f64; 4]; BASELINE_MINUTES] =
        window.per_minute_of(now - MINUTE_MS, Signal::values);
    let last = now.div_euclid(MINUTE_MS) - 1;
    std::array::from_fn(|i| Minute {
        values: values[i],
        units: units(last - (BASELINE_MINUTES - 1 - i) as i64),
    })
}

fn condition(
    kind: AlertKind,
    severity: Severity,
    subject: Subject,
    identities: Vec<String>,
    burst: &Burst,
) -> Condition {
    let name = match subject {
        Subject::Identity(name) | Subject::All(name) => name,
    };
    Condition {
        kind,
        subject: name.to_string(),
        identities,
        severity,
        signal: Some(burst.signal),
        value: burst.value,
        threshold: Some(burst.threshold),
        baseline: Some(burst.level),
        ratio: burst.ratio(),
        units: Some(burst.units),
        tool: None,
        since: None,
        policy: None,
        secret: None,
        at: None,
        score: burst.margin(),
        reason: burst.reason(subject),
    }
}

impl Engine {
    pub fn burst_settings(&self) -> &BurstSettings {
        &self.bursts
    }

    /// New settings apply from the next `advance` (baselines need not be relearnt).
    pub fn set_burst_settings(&mut self, settings: BurstSettings) {
        self.bursts = settings;
    }

    /// One round of budget alerts at the engine's `now`, from every budget's state as
    /// `advance` works them out. A budget missing from `states` counts as clear. Not public:
    /// alerts come from real budgets, never from states made up outside the engine.
    pub(super) fn observe_budgets(&mut self, states: &[BudgetState]) {
        let clock = self.hour_minute();
        let conditions = budget_alerts::conditions(states, &clock);
        let kinds = [AlertKind::BudgetWarn, AlertKind::BudgetOver];
        self.alerts.round(self.now, &kinds, conditions, &clock);
    }

    /// Reconciles the providers' ledger with the logs when due, and works out the budgets
    /// on that ledger again.
    pub(super) fn refresh_providers(&mut self, now: TimeMs) {
        let logged = self.utc_days.as_deref();
        if self.providers.refresh(logged, &self.prices, now) && self.budgets.any_provider() {
            let spends = self.providers.spends(&self.prices);
            self.budgets.rebuild_provider(&spends);
        }
    }

    /// Raises or ends the `unattributed` alerts the providers' ledger holds.
    pub(super) fn observe_providers(&mut self) {
        if self.providers.is_empty() {
            return;
        }
        let clock = self.hour_minute();
        let conditions = self.providers.conditions();
        self.alerts
            .round(self.now, &[AlertKind::Unattributed], conditions, &clock);
    }

    /// Raises or ends the `policy` alerts (calls outside a `[[policy]]`, one alert per
    /// identity, policy and tool), the `new_tool` ones (one per identity and tool) and the
    /// `secret` ones (one per identity and secret); runs already over when first seen
    /// (history) are kept as ended.
    pub(super) fn observe_tools(&mut self) {
        let clock = self.hour_minute();
        let identities = &self.identities;
        let names = |who: usize| identities[who].name.clone();
        let (mut conditions, policy_past) = self.policies.conditions(self.now, &names);
        let (new, mut past) = self.first_seen.conditions(self.now, &names);
        conditions.extend(new);
        let (secrets, secret_past) = self.exposures.conditions(self.now, &names);
        conditions.extend(secrets);
        // Policy and secret findings last: kept first when history outnumbers the alerts'
        // room.
        past.extend(policy_past);
        past.extend(secret_past);
        let kinds = [AlertKind::Policy, AlertKind::NewTool, AlertKind::Secret];
        self.alerts.round(self.now, &kinds, conditions, &clock);
        self.alerts.record_past(past, &clock);
    }

    /// Alerts started or ended since the last call, oldest first: what the loop hands to
    /// the sinks (alerts file, `--on-alert`, bell).
    pub fn take_alert_events(&mut self) -> Vec<AlertEvent> {
        self.alerts.take_events()
    }

    /// Writes a time as `16:02` in the engine's time zone, for reasons.
    fn hour_minute(&self) -> impl Fn(TimeMs) -> String + use<> {
        let tz = self.days.tz.clone();
        move |t| {
            jiff::Timestamp::from_millisecond(t)
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
                .to_zoned_datetime(tz.clone())
                .strftime("%H:%M")
                .to_string()
        }
    }

    /// Baselines that are due, the last minute's rates against them, and the round of
    /// burst alerts. Identities idle for the last minute cannot burst and are skipped
    /// (their open alerts clear); those idle for over an hour have nothing new to learn.
    pub(super) fn detect(&mut self) {
        let now = self.now;
        let minute = now.div_euclid(MINUTE_MS);
        let warmup = i64::from(self.bursts.warmup_minutes) * MINUTE_MS;
        // Identities whose work began after this are new to an engine that knew the rest.
        let new_after = self.fleet_warm_from;
        let mut warm_from = None;
        let learn_after = (minute - BASELINE_MINUTES as i64 - 1) * MINUTE_MS;
        let mut conditions = Vec::new();
        let mut fleet = Fleet::default();
        for id in &mut self.identities {
            if id.detector.due(now) {
                if id.last_seen >= learn_after {
                    let minutes = closed_minutes(&id.window, |m| id.units.in_minute(m), now);
                    id.detector.refresh(now, &minutes);
                } else {
                    id.detector.skip(now);
                }
            }
            if id.last_seen <= now - MINUTE_MS {
                continue;
            }
            let rates = Signal::values(&id.window.sum(now, MINUTE_MS));
            let id_warm_from = id.warm.warm_from(warmup);
            let warm = id_warm_from.is_some();
            let units = id.units.active(now);
            let usual = match id.detector.usual(&self.bursts, warm, units) {
                Some((level, spread)) => {
                    warm_from = warm_from.into_iter().chain(id_warm_from).min();
                    Usual::Known(level, spread)
                }
                None if !warm && new_after.is_some_and(|t| id.warm.run_since() > t) => Usual::New,
                None => Usual::AsItIs,
            };
            fleet.add(rates, usual);
            if let Some(burst) = id.detector.check(&self.bursts, warm, rates, units) {
                let subject = Subject::Identity(&id.name);
                let who = vec![id.name.clone()];
                let c = condition(AlertKind::Burst, Severity::Critical, subject, who, &burst);
                conditions.push(c);
            }
        }
        self.fleet_warm_from = self.fleet_warm_from.or(warm_from);
        if self.fleet_warm_from.is_some()
            && let Some(burst) = fleet.check(&self.bursts)
        {
            let subject = Subject::All(ALL_IDENTITIES);
            let c = condition(
                AlertKind::GlobalBurst,
                Severity::Warn,
                subject,
                Vec::new(),
                &burst,
            );
            conditions.push(c);
        }
        let clock = self.hour_minute();
        let kinds = [AlertKind::Burst, AlertKind::GlobalBurst];
        self.alerts.round(now, &kinds, conditions, &clock);
    }
}
