//! Alerts: one per episode, not one per tick. A condition that holds (an identity bursting,
//! a budget past its warning) opens an alert; while it holds, the alert keeps its peak;
//! once it has been clear for [`CLEAR_AFTER_MS`], the alert ends, dated when it cleared.
//! That hysteresis keeps a rate that wobbles around its threshold to one alert.
//!
//! History is bounded ([`MAX_ALERTS`] ended alerts, plus those still open), and so is the
//! queue of changes the loop hands to the alert sinks. Acknowledging an alert is the
//! viewer's business (UI state), not the engine's.

mod kept;

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

pub use self::kept::{FINDING_KINDS, MAX_FINDINGS};
use super::burst::Signal;
use super::episodes::{QUIET_MS, RecordAt, Run};
pub use super::exposures::SecretNote;
use crate::event::TimeMs;

/// An episode ends once its condition has been clear this long.
pub const CLEAR_AFTER_MS: i64 = 60_000;
/// Ended alerts kept in history.
pub const MAX_ALERTS: usize = 500;
/// Changes kept for the sinks between two calls of [`Alerts::take_events`]; past this the
/// oldest are dropped (and counted).
pub const MAX_EVENTS: usize = 1_000;

/// What an alert is about. New kinds go at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    BudgetWarn,
    BudgetOver,
    /// One identity far above its usual rates.
    Burst,
    /// Every identity together far above the usual rate per active identity.
    GlobalBurst,
    /// Provider spend on a settled day that no log explains (a leaked or misused key).
    Unattributed,
    /// Calls to a tool outside a `[[policy]]`.
    Policy,
    /// Calls to a tool its (warm) identity never used before.
    NewTool,
    /// A credential in what an identity's records hold (prompts, tool calls, results).
    Secret,
}

impl AlertKind {
    /// Whether its alerts' value is a count (of calls outside a policy, of calls to a new
    /// tool, of sightings of a secret) rather than a measure against a threshold.
    pub fn counts(self) -> bool {
        matches!(
            self,
            AlertKind::Policy | AlertKind::NewTool | AlertKind::Secret
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            AlertKind::BudgetWarn => "budget warn",
            AlertKind::BudgetOver => "over budget",
            AlertKind::Burst => "burst",
            AlertKind::GlobalBurst => "global burst",
            AlertKind::Unattributed => "unattributed",
            AlertKind::Policy => "policy",
            AlertKind::NewTool => "new tool",
            AlertKind::Secret => "secret",
        }
    }
}

/// How loud an alert is. Bursts and overspent budgets are critical, budget warnings and
/// global bursts (whose identities usually have alerts of their own) warn; info is for
/// kinds that only inform, none of which exists yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Critical => "crit",
        }
    }
}

/// One episode.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alert {
    /// Increasing in order of start: newest first is highest id first.
    pub id: u64,
    pub kind: AlertKind,
    pub severity: Severity,
    /// The identity, the budget's name, or "all identities".
    pub subject: String,
    /// The identities concerned: the bursting one, or a budget's members.
    pub identities: Vec<String>,
    /// Bursts: the rate furthest past its threshold at the peak.
    pub signal: Option<Signal>,
    /// At the peak: a burst's rate (per minute), a budget's amount used.
    pub value: f64,
    /// A burst's threshold per unit, a budget's limit.
    pub threshold: Option<f64>,
    /// A burst's usual rate per unit.
    pub baseline: Option<f64>,
    /// A burst's rate per unit over its usual one; a budget's share used.
    pub ratio: Option<f64>,
    /// A burst's active sessions or agents (or identities, for a global burst).
    pub units: Option<u32>,
    /// The tool a policy or new-tool alert is about (as policy globs see it: MCP tools
    /// `mcp__server__tool`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The `[[policy]]` a policy alert's calls are outside of, by its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// A secret alert's type, place in the record and fingerprint (`secret_type`,
    /// `where`, `fingerprint`), never the value.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretNote>,
    /// Policy, new-tool and secret alerts: the record of the episode's first call or
    /// sighting, for a report's finding.
    #[serde(skip)]
    pub at: Option<RecordAt>,
    pub started_at: TimeMs,
    pub peak_at: TimeMs,
    pub ended_at: Option<TimeMs>,
    /// One line for a person: while active, as of the latest round its condition held (so
    /// that it says what the table says now); once ended, as of its peak, as the figures
    /// above are.
    pub reason: String,
}

impl Alert {
    pub fn active(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Whether the alert concerns this identity.
    pub fn concerns(&self, identity: &str) -> bool {
        self.identities.iter().any(|i| i == identity)
    }

    fn apply(&mut self, c: Condition, now: TimeMs, since: &str) {
        self.severity = self.severity.max(c.severity);
        self.identities = c.identities;
        self.signal = c.signal;
        self.value = c.value;
        self.threshold = c.threshold;
        self.baseline = c.baseline;
        self.ratio = c.ratio;
        self.units = c.units;
        self.tool = c.tool;
        self.policy = c.policy;
        self.secret = c.secret;
        self.at = c.at;
        self.peak_at = now;
        self.reason = format!("{} (since {since})", c.reason);
    }
}

/// Active alerts by severity, for the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlertCounts {
    pub info: u32,
    pub warn: u32,
    pub critical: u32,
}

impl AlertCounts {
    pub fn total(&self) -> u32 {
        self.info + self.warn + self.critical
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Started,
    Ended,
}

/// An alert that started or ended, for the sinks (JSON lines, the `--on-alert` command).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertEvent {
    #[serde(rename = "event")]
    pub change: Change,
    pub alert: Alert,
}

/// A condition as it holds at one moment; a run of them is one alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub kind: AlertKind,
    pub subject: String,
    pub identities: Vec<String>,
    pub severity: Severity,
    pub signal: Option<Signal>,
    pub value: f64,
    pub threshold: Option<f64>,
    pub baseline: Option<f64>,
    pub ratio: Option<f64>,
    pub units: Option<u32>,
    pub tool: Option<String>,
    pub policy: Option<String>,
    pub secret: Option<SecretNote>,
    /// The record of the episode's first call or sighting.
    pub at: Option<RecordAt>,
    /// When the episode began, if before the round that first sees it (a run of calls
    /// read a few minutes late); else it begins with that round.
    pub since: Option<TimeMs>,
    /// The highest score of an episode is its peak.
    pub score: f64,
    /// The reason, without the start time the alert adds.
    pub reason: String,
}

/// An episode already over when the engine's clock first saw it (history read at start):
/// kept among the ended alerts as it was, never sent to the sinks.
#[derive(Clone, Debug, PartialEq)]
pub struct Past {
    pub condition: Condition,
    pub started_at: TimeMs,
    pub ended_at: TimeMs,
}

impl Past {
    /// A run of calls that was over before anyone looked.
    pub fn of(condition: Condition, run: &Run) -> Past {
        Past {
            condition,
            started_at: run.first,
            ended_at: run.last + QUIET_MS,
        }
    }
}

#[derive(Clone, Debug)]
struct Open {
    alert: Alert,
    score: f64,
    /// The reason at the peak, which the alert keeps once it ends.
    peak_reason: String,
    /// The round that last reported the condition.
    seen: u64,
    clear_since: Option<TimeMs>,
}

/// Every alert: the open episodes and the history of ended ones.
#[derive(Clone, Debug, Default)]
pub struct Alerts {
    next_id: u64,
    round: u64,
    open: BTreeMap<(AlertKind, String), Open>,
    ended: VecDeque<Alert>,
    events: VecDeque<AlertEvent>,
    dropped_events: u64,
    /// Every ended finding (of [`FINDING_KINDS`]), when a headless run keeps them.
    findings: Option<Vec<Alert>>,
    findings_dropped: u64,
}

impl Alerts {
    /// One evaluation of the `kinds` given: `conditions` are those that hold at `now`;
    /// every open alert of those kinds not among them is clear. `clock` writes a time
    /// for a reason ("16:02").
    pub fn round(
        &mut self,
        now: TimeMs,
        kinds: &[AlertKind],
        conditions: Vec<Condition>,
        clock: &dyn Fn(TimeMs) -> String,
    ) {
        self.round += 1;
        for c in conditions {
            let key = (c.kind, c.subject.clone());
            if let Some(open) = self.open.get_mut(&key) {
                open.seen = self.round;
                open.clear_since = None;
                let since = clock(open.alert.started_at);
                if c.score > open.score {
                    open.score = c.score;
                    open.alert.apply(c, now, &since);
                    open.peak_reason.clone_from(&open.alert.reason);
                } else {
                    open.alert.reason = format!("{} (since {since})", c.reason);
                    open.alert.identities = c.identities;
                }
                continue;
            }
            self.next_id += 1;
            let score = c.score;
            let started_at = c.since.map_or(now, |t| t.min(now));
            let mut alert = Alert {
                id: self.next_id,
                kind: c.kind,
                severity: c.severity,
                subject: c.subject.clone(),
                identities: Vec::new(),
                signal: None,
                value: 0.0,
                threshold: None,
                baseline: None,
                ratio: None,
                units: None,
                tool: None,
                policy: None,
                secret: None,
                at: None,
                started_at,
                peak_at: now,
                ended_at: None,
                reason: String::new(),
            };
            alert.apply(c, now, &clock(started_at));
            self.emit(Change::Started, &alert);
            let seen = self.round;
            self.open.insert(
                key,
                Open {
                    peak_reason: alert.reason.clone(),
                    alert,
                    score,
                    seen,
                    clear_since: None,
                },
            );
        }
        let round = self.round;
        let mut over = Vec::new();
        for (key, open) in &mut self.open {
            if !kinds.contains(&key.0) || open.seen == round {
                continue;
            }
            let since = *open.clear_since.get_or_insert(now);
            if now - since >= CLEAR_AFTER_MS {
                over.push(key.clone());
            }
        }
        for key in over {
            if let Some(open) = self.open.remove(&key) {
                let mut alert = open.alert;
                alert.ended_at = open.clear_since;
                alert.reason = open.peak_reason;
                self.emit(Change::Ended, &alert);
                self.end(alert);
            }
        }
    }

    /// Keeps episodes that were over before they were seen among the ended alerts, as
    /// they were (`clock` writes their start in the reason); the sinks never hear of them.
    pub fn record_past(&mut self, past: Vec<Past>, clock: &dyn Fn(TimeMs) -> String) {
        for Past {
            condition: c,
            started_at,
            ended_at,
        } in past
        {
            self.next_id += 1;
            self.end(Alert {
                id: self.next_id,
                kind: c.kind,
                severity: c.severity,
                subject: c.subject,
                identities: c.identities,
                signal: c.signal,
                value: c.value,
                threshold: c.threshold,
                baseline: c.baseline,
                ratio: c.ratio,
                units: c.units,
                tool: c.tool,
                policy: c.policy,
                secret: c.secret,
                at: c.at,
                started_at,
                peak_at: started_at,
                ended_at: Some(ended_at),
                reason: format!("{} (since {})", c.reason, clock(started_at)),
            });
        }
    }

    fn emit(&mut self, change: Change, alert: &Alert) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
            self.dropped_events += 1;
        }
        self.events.push_back(AlertEvent {
            change,
            alert: alert.clone(),
        });
    }

    /// The changes since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<AlertEvent> {
        self.events.drain(..).collect()
    }

    /// Changes dropped because nobody took them in time.
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// Open alerts and history, at most [`MAX_ALERTS`]: what needs attention first, so
    /// active before ended, then critical before warn, then newest first.
    pub fn list(&self) -> Vec<Alert> {
        let mut all: Vec<Alert> = self.open.values().map(|o| o.alert.clone()).collect();
        let room = MAX_ALERTS.saturating_sub(all.len());
        all.extend(self.ended.iter().rev().take(room).cloned());
        all.sort_by_key(|a| std::cmp::Reverse((a.active(), a.severity, a.id)));
        all
    }

    pub fn counts(&self) -> AlertCounts {
        let mut counts = AlertCounts::default();
        for open in self.open.values() {
            match open.alert.severity {
                Severity::Info => counts.info += 1,
                Severity::Warn => counts.warn += 1,
                Severity::Critical => counts.critical += 1,
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000;

    fn clock(t: TimeMs) -> String {
        format!("t{}", t / SEC)
    }

    fn burst(subject: &str, score: f64) -> Condition {
        Condition {
            kind: AlertKind::Burst,
            subject: subject.into(),
            identities: vec![subject.into()],
            severity: Severity::Critical,
            signal: Some(Signal::Requests),
            value: score * 10.0,
            threshold: Some(30.0),
            baseline: Some(10.0),
            ratio: Some(score),
            units: Some(1),
            tool: None,
            since: None,
            policy: None,
            secret: None,
            at: None,
            score,
            reason: format!("{subject}: {score}x"),
        }
    }

    fn tick(a: &mut Alerts, t: i64, conditions: Vec<Condition>) {
        a.round(t * SEC, &[AlertKind::Burst], conditions, &clock);
    }

    #[test]
    fn one_alert_per_episode_with_its_peak_and_end() {
        let mut a = Alerts::default();
        for (t, score) in [(0, 3.0), (1, 8.0), (2, 5.0)] {
            tick(&mut a, t, vec![burst("x", score)]);
        }
        let events = a.take_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].change, Change::Started);
        let list = a.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].reason, "x: 5x (since t0)", "as of the latest round");
        assert_eq!((list[0].peak_at, list[0].value), (SEC, 80.0), "the peak's");
        assert_eq!(a.counts().critical, 1);
        // Clear for less than a minute, then back: the same episode.
        tick(&mut a, 3, vec![]);
        tick(&mut a, 50, vec![]);
        tick(&mut a, 55, vec![burst("x", 4.0)]);
        tick(&mut a, 56, vec![]);
        tick(&mut a, 115, vec![]);
        assert!(a.list()[0].active());
        tick(&mut a, 116, vec![]);
        let ended = &a.list()[0];
        assert_eq!(ended.ended_at, Some(56 * SEC), "dated when it cleared");
        assert_eq!(ended.reason, "x: 8x (since t0)", "as of its peak");
        let events = a.take_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].change, Change::Ended);
        assert_eq!(a.counts(), AlertCounts::default());
        // A new episode is a new alert, listed first.
        tick(&mut a, 200, vec![burst("x", 3.0)]);
        let list = a.list();
        assert_eq!(list.len(), 2);
        assert!(list[0].id > list[1].id && list[0].active());
    }

    #[test]
    fn active_first_then_critical_before_warn_then_newest() {
        let mut a = Alerts::default();
        let warn = |subject: &str| Condition {
            kind: AlertKind::BudgetWarn,
            severity: Severity::Warn,
            ..burst(subject, 2.0)
        };
        let kinds = [AlertKind::Burst, AlertKind::BudgetWarn];
        a.round(0, &kinds, vec![burst("old", 3.0)], &clock);
        a.round(SEC, &kinds, vec![burst("crit", 3.0), warn("w1")], &clock);
        a.round(
            2 * SEC,
            &kinds,
            vec![burst("crit", 3.0), warn("w1"), warn("w2")],
            &clock,
        );
        a.round(
            200 * SEC,
            &kinds,
            vec![burst("crit", 3.0), warn("w1"), warn("w2")],
            &clock,
        );
        let order: Vec<_> = a.list().iter().map(|a| a.subject.clone()).collect();
        assert_eq!(order, ["crit", "w2", "w1", "old"]);
    }

    #[test]
    fn rounds_only_clear_their_own_kinds() {
        let mut a = Alerts::default();
        let mut warn = burst("daily", 85.0);
        warn.kind = AlertKind::BudgetWarn;
        warn.severity = Severity::Warn;
        a.round(0, &[AlertKind::BudgetWarn], vec![warn], &clock);
        tick(&mut a, 0, vec![burst("x", 3.0)]);
        for t in 1..200 {
            tick(&mut a, t, vec![]);
        }
        let counts = a.counts();
        assert_eq!((counts.warn, counts.critical), (1, 0));
    }

    #[test]
    fn history_and_the_change_queue_are_bounded() {
        let mut a = Alerts::default();
        for i in 0..(MAX_ALERTS as i64 + 20) {
            let t = i * 1_000;
            tick(&mut a, t, vec![burst("x", 3.0)]);
            tick(&mut a, t + 100, vec![]);
            tick(&mut a, t + 200, vec![]);
        }
        assert_eq!(a.list().len(), MAX_ALERTS);
        assert!(a.dropped_events() > 0);
        assert_eq!(a.take_events().len(), MAX_EVENTS);
        assert!(a.take_events().is_empty());
    }
}
