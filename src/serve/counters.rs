//! The exporter's counters since start, fed from the engine's journal: labels bounded (the
//! first N identities and tools keep their own, later ones share `other`, and a label once
//! given is kept, so that a series never moves) and counters that never go down.
//!
//! A response counted once and then replaced by a larger copy comes as its usage taken out
//! and the copy's put in; under the same identity the sum only grows, but when the copy
//! counts under another identity (a resumed session, the agent's telemetry), the first
//! one's sums drop; so do a tool call's when its telemetry moves it to the user. A counter
//! that drops reads as a reset, so each series shows the most it has ever been (changes
//! taken in one batch are netted first: a copy moved within it never shows).

use std::collections::{BTreeMap, HashSet};

use super::expose::{
    BudgetGauge, Exposition, ModelCounts, RequestHistograms, SourceLines, TOKEN_BUCKETS,
    TOOL_CALL_BUCKETS,
};
use crate::engine::alerts::{Alert, AlertEvent, AlertKind, Change, Severity};
use crate::engine::budget::{BudgetState, BudgetUnit};
use crate::engine::journal::Entry;
use crate::engine::usage::Usage;
use crate::engine::window::Bucket;
use crate::event::TimeMs;
use crate::source::health::SourceHealth;

/// The label of every identity or tool past the bound.
pub const OTHER: &str = "other";

/// The values of one label that get their own series.
#[derive(Debug)]
struct Bounded {
    max: usize,
    given: HashSet<String>,
}

impl Bounded {
    fn new(max: usize) -> Self {
        Bounded {
            max,
            given: HashSet::new(),
        }
    }

    /// `value` while it has (or can still get) a label of its own, else [`OTHER`].
    fn label(&mut self, value: &str) -> String {
        if self.given.contains(value) {
            return value.to_string();
        }
        if self.given.len() < self.max {
            self.given.insert(value.to_string());
            return value.to_string();
        }
        OTHER.to_string()
    }
}

/// Net sums of one (identity, model) as the engine has them: may go down.
#[derive(Clone, Copy, Debug, Default)]
struct Net {
    usage: Usage,
}

impl Net {
    fn apply(&mut self, add: bool, u: &Usage) {
        if add {
            self.usage.add(u);
        } else {
            self.usage.sub(u);
        }
    }
}

/// Counters since start, ready to be shown.
#[derive(Debug)]
pub struct Counters {
    identities: Bounded,
    tools: Bounded,
    net: BTreeMap<(String, String), Net>,
    /// What each series has shown: never less than before.
    shown: BTreeMap<(String, String), ModelCounts>,
    requests: BTreeMap<String, u64>,
    unpriced: BTreeMap<String, u64>,
    /// Calls per (identity, tool, server) as the engine has them: a call that moved to
    /// the telemetry's identity is taken out of where it was.
    tool_calls_net: BTreeMap<(String, String, String), u64>,
    /// What each tool series has shown: never less than before.
    tool_calls: BTreeMap<(String, String, String), u64>,
    histograms: BTreeMap<String, RequestHistograms>,
    alerts_total: BTreeMap<(String, String), u64>,
}

impl Counters {
    /// Counters whose identity and tool labels are bounded to `max_label_values` each.
    pub fn new(max_label_values: usize) -> Self {
        Counters {
            identities: Bounded::new(max_label_values),
            tools: Bounded::new(max_label_values),
            net: BTreeMap::new(),
            shown: BTreeMap::new(),
            requests: BTreeMap::new(),
            unpriced: BTreeMap::new(),
            tool_calls_net: BTreeMap::new(),
            tool_calls: BTreeMap::new(),
            histograms: BTreeMap::new(),
            alerts_total: BTreeMap::new(),
        }
    }

    /// Takes in the engine's changes, in order, then moves every series to the most it
    /// has been (see the module docs).
    pub fn take(&mut self, entries: Vec<Entry>) {
        for entry in entries {
            match entry {
                Entry::Usage {
                    add,
                    identity,
                    model,
                    usage,
                } => {
                    let identity = self.identities.label(&identity);
                    self.net
                        .entry((identity, model))
                        .or_default()
                        .apply(add, &usage);
                }
                Entry::ToolCall {
                    add,
                    identity,
                    tool,
                    mcp_server,
                } => {
                    let identity = self.identities.label(&identity);
                    let tool_label = self.tools.label(&tool);
                    // A tool past the bound says no more of its server than of itself.
                    let server = match mcp_server {
                        Some(_) if tool_label == OTHER => OTHER.to_string(),
                        Some(server) => server,
                        None => String::new(),
                    };
                    let net = self
                        .tool_calls_net
                        .entry((identity, tool_label, server))
                        .or_default();
                    *net = if add { *net + 1 } else { net.saturating_sub(1) };
                }
                Entry::Request { identity, size } => {
                    let identity = self.identities.label(&identity);
                    let h = self.histograms.entry(identity).or_default();
                    h.input.observe(&TOKEN_BUCKETS, size.input);
                    h.output.observe(&TOKEN_BUCKETS, size.output);
                    h.tool_calls.observe(&TOOL_CALL_BUCKETS, size.tool_calls);
                }
            }
        }
        self.settle();
    }

    /// Every series at the most it has been; per-identity requests as the most their
    /// models' sums have been.
    fn settle(&mut self) {
        let mut requests: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for ((identity, model), net) in &self.net {
            let u = &net.usage;
            let shown = self
                .shown
                .entry((identity.clone(), model.clone()))
                .or_default();
            shown.input = shown.input.max(u.input);
            shown.cache_read = shown.cache_read.max(u.cache_read);
            shown.cache_write_5m = shown.cache_write_5m.max(u.cache_write_5m);
            shown.cache_write_1h = shown.cache_write_1h.max(u.cache_write_1h);
            shown.output = shown.output.max(u.output);
            shown.reasoning = shown.reasoning.max(u.reasoning);
            shown.cost_usd = shown.cost_usd.max(u.cost_usd);
            let sum = requests.entry(identity).or_default();
            sum.0 += u.requests;
            sum.1 += u.unpriced_requests;
        }
        for (key, &net) in &self.tool_calls_net {
            let shown = self.tool_calls.entry(key.clone()).or_default();
            *shown = (*shown).max(net);
        }
        for (identity, (reqs, unpriced)) in requests {
            let r = self.requests.entry(identity.to_string()).or_default();
            *r = (*r).max(reqs);
            let u = self.unpriced.entry(identity.to_string()).or_default();
            *u = (*u).max(unpriced);
        }
    }

    /// Counts the alerts that started, by kind and severity.
    pub fn alerts(&mut self, events: &[AlertEvent]) {
        for e in events.iter().filter(|e| e.change == Change::Started) {
            *self.alerts_total.entry(alert_key(&e.alert)).or_default() += 1;
        }
    }

    /// What `/metrics` shows at `now`, with the engine's budgets and open alerts and the
    /// sources' latest health.
    pub fn exposition(
        &self,
        budgets: &[BudgetState],
        alerts: &[Alert],
        health: &[SourceHealth],
        now: TimeMs,
    ) -> Exposition {
        let mut alerts_active: BTreeMap<(String, String), u64> = BTreeMap::new();
        for a in alerts.iter().filter(|a| a.active()) {
            *alerts_active.entry(alert_key(a)).or_default() += 1;
        }
        // Every kind that ever started shows while none is open, as 0.
        for key in self.alerts_total.keys() {
            alerts_active.entry(key.clone()).or_default();
        }
        Exposition {
            tokens: self.shown.clone(),
            requests: self.requests.clone(),
            unpriced_requests: self.unpriced.clone(),
            tool_calls: self.tool_calls.clone(),
            histograms: self.histograms.clone(),
            budgets: budgets.iter().map(budget_gauge).collect(),
            alerts_active,
            alerts_total: self.alerts_total.clone(),
            sources: health.iter().map(|h| source_lines(h, now)).collect(),
        }
    }
}

/// An alert's `kind` and `severity` labels: names without spaces, stable for queries.
fn alert_key(a: &Alert) -> (String, String) {
    let kind = match a.kind {
        AlertKind::BudgetWarn => "budget_warn",
        AlertKind::BudgetOver => "budget_over",
        AlertKind::Burst => "burst",
        AlertKind::GlobalBurst => "global_burst",
        AlertKind::Unattributed => "unattributed",
        AlertKind::Policy => "policy",
        AlertKind::NewTool => "new_tool",
        AlertKind::Secret => "secret",
    };
    let severity = match a.severity {
        Severity::Info => "info",
        Severity::Warn => "warn",
        Severity::Critical => "crit",
    };
    (kind.to_string(), severity.to_string())
}

fn budget_gauge(b: &BudgetState) -> BudgetGauge {
    BudgetGauge {
        name: b.name.clone(),
        ratio: if b.limit > 0.0 { b.used / b.limit } else { 0.0 },
        limit: b.limit,
        unit: match b.unit {
            BudgetUnit::Usd => "usd",
            BudgetUnit::Tokens => "tokens",
        },
    }
}

fn source_lines(h: &SourceHealth, now: TimeMs) -> SourceLines {
    SourceLines {
        source: h.path.clone(),
        events: h.events,
        without_usage: h.lines_without_usage,
        rejected: h
            .rejected
            .iter()
            .map(|(reason, r)| (reason.label().to_string(), r.count))
            .collect(),
        lag_seconds: h
            .newest_event
            .map(|t| (now.saturating_sub(t)).max(0) as f64 / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(add: bool, identity: &str) -> Entry {
        Entry::ToolCall {
            add,
            identity: identity.to_string(),
            tool: "Bash".to_string(),
            mcp_server: None,
        }
    }

    fn calls(c: &Counters) -> Vec<(String, u64)> {
        let shown = c.exposition(&[], &[], &[], 0).tool_calls;
        shown.into_iter().map(|((who, _, _), n)| (who, n)).collect()
    }

    /// A call that moves to the telemetry's identity: netted within a batch, and a series
    /// that showed it keeps showing it (a counter never goes down).
    #[test]
    fn a_moved_call_counts_once_within_a_batch_and_never_lowers_a_series() {
        let mut within = Counters::new(10);
        within.take(vec![
            call(true, "app"),
            call(false, "app"),
            call(true, "ada"),
        ]);
        assert_eq!(calls(&within), [("ada".into(), 1), ("app".into(), 0)]);

        let mut across = Counters::new(10);
        across.take(vec![call(true, "app")]);
        across.take(vec![call(false, "app"), call(true, "ada")]);
        assert_eq!(calls(&across), [("ada".into(), 1), ("app".into(), 1)]);
    }
}
