//! Tool policy: which tools an identity may call (least privilege). A `[[policy]]` covers
//! identities by name, team or label (or everyone) and denies tools by glob, or allows
//! only some. A call outside a policy opens one episode per (identity, policy, tool),
//! open while such calls come and ended after [`QUIET_MS`] without one, carrying the
//! count: an agent calling Bash a thousand times a minute is one alert, not a thousand.

use std::collections::HashMap;

use super::alerts::{AlertKind, Condition, Severity};
use super::mapping::Pattern;
use crate::event::{TimeMs, ToolCall};

/// An episode ends once no call outside its policy came for this long.
pub const QUIET_MS: TimeMs = 10 * 60_000;

/// Who a policy covers.
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyScope {
    Identity(Pattern),
    Team(Pattern),
    Label(Pattern),
    Everyone,
}

/// One `[[policy]]`, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicySpec {
    pub name: String,
    pub scope: PolicyScope,
    /// Tools refused, by glob.
    pub deny: Vec<Pattern>,
    /// When present, the only tools allowed (a denied one stays denied).
    pub allow: Option<Vec<Pattern>>,
    pub severity: Severity,
}

impl PolicySpec {
    fn covers(&self, name: &str, team: Option<&str>, labels: &[String]) -> bool {
        match &self.scope {
            PolicyScope::Identity(p) => p.matches(name),
            PolicyScope::Team(p) => team.is_some_and(|t| p.matches(t)),
            PolicyScope::Label(p) => labels.iter().any(|l| p.matches(l)),
            PolicyScope::Everyone => true,
        }
    }

    /// Why `tool` is outside this policy, if it is.
    pub fn breach(&self, tool: &str) -> Option<String> {
        if let Some(p) = self.deny.iter().find(|p| p.matches(tool)) {
            return Some(format!("denied by {}", p.as_str()));
        }
        match &self.allow {
            Some(allow) if !allow.iter().any(|p| p.matches(tool)) => {
                Some("not in its allow list".to_string())
            }
            _ => None,
        }
    }
}

/// The name a policy's globs see: an MCP tool as `mcp__<server>__<tool>`, however the
/// record named it (a transcript writes that form; an agent's telemetry names the tool
/// and its server apart).
pub fn tool_name(call: &ToolCall) -> String {
    match &call.mcp_server {
        Some(server) if !call.name.starts_with("mcp__") => {
            format!("mcp__{server}__{}", call.name)
        }
        _ => call.name.clone(),
    }
}

/// Calls outside one policy by one identity to one tool, since the episode began.
#[derive(Clone, Debug)]
struct Run {
    calls: u64,
    last: TimeMs,
    why: String,
}

/// Every policy, which identities each covers, and the episodes under way.
#[derive(Debug, Default)]
pub struct Policies {
    specs: Vec<PolicySpec>,
    /// By identity index: the policies that cover it.
    covering: Vec<Vec<usize>>,
    runs: HashMap<(usize, usize, String), Run>,
}

impl Policies {
    pub fn new(specs: Vec<PolicySpec>) -> Self {
        Policies {
            specs,
            ..Policies::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// A new identity (index `who`, in order), with its team and labels.
    pub fn add_identity(&mut self, who: usize, name: &str, team: Option<&str>, labels: &[String]) {
        let covering = (0..self.specs.len())
            .filter(|&p| self.specs[p].covers(name, team, labels))
            .collect();
        if self.covering.len() <= who {
            self.covering.resize_with(who + 1, Vec::new);
        }
        self.covering[who] = covering;
    }

    /// A call by `who` at `time`, counted once (copies of it already left out).
    pub fn call(&mut self, who: usize, call: &ToolCall, time: TimeMs) {
        let Some(covering) = self.covering.get(who) else {
            return;
        };
        if covering.is_empty() {
            return;
        }
        let tool = tool_name(call);
        for &p in covering {
            let Some(why) = self.specs[p].breach(&tool) else {
                continue;
            };
            let run = self
                .runs
                .entry((who, p, tool.clone()))
                .or_insert_with(|| Run {
                    calls: 0,
                    last: time,
                    why,
                });
            run.calls += 1;
            run.last = run.last.max(time);
        }
    }

    /// The episodes that hold at `now` (a call within [`QUIET_MS`]); older ones are let
    /// go, so the next call outside the policy starts a new episode. `names` gives an
    /// identity's name by index.
    pub fn conditions(&mut self, now: TimeMs, names: &dyn Fn(usize) -> String) -> Vec<Condition> {
        self.runs.retain(|_, run| now - run.last < QUIET_MS);
        let mut held: Vec<_> = self.runs.iter().collect();
        held.sort_by(|a, b| a.0.cmp(b.0));
        held.into_iter()
            .map(|((who, p, tool), run)| {
                let spec = &self.specs[*p];
                let identity = names(*who);
                let times = if run.calls == 1 { "once" } else { "times" };
                let count = if run.calls == 1 {
                    String::new()
                } else {
                    format!("{} ", run.calls)
                };
                Condition {
                    kind: AlertKind::Policy,
                    subject: format!("{identity} · {tool} · {}", spec.name),
                    identities: vec![identity.clone()],
                    severity: spec.severity,
                    signal: None,
                    value: run.calls as f64,
                    threshold: None,
                    baseline: None,
                    ratio: None,
                    units: None,
                    tool: Some(tool.clone()),
                    score: run.calls as f64,
                    reason: format!(
                        "{identity} called {tool} {count}{times}, outside policy {:?} ({})",
                        spec.name, run.why
                    ),
                }
            })
            .collect()
    }
}
