//! Tool policy: which tools an identity may call (least privilege). A `[[policy]]` covers
//! identities by name, team or label (or everyone) and denies tools by glob, or allows
//! only some. A call outside a policy opens one episode per (identity, policy, tool),
//! open while such calls come and ended after ten quiet minutes ([`super::episodes`]),
//! carrying the count: an agent calling Bash a thousand times a minute is one alert, not a
//! thousand.

use std::borrow::Cow;

use super::alerts::{AlertKind, Condition, Past, Severity};
use super::episodes::of_runs;
use super::episodes::{Episodes, RecordAt, Run};
use super::mapping::Pattern;
use crate::event::{TimeMs, ToolCall};

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
pub fn tool_name(call: &ToolCall) -> Cow<'_, str> {
    named(&call.name, call.mcp_server.as_deref())
}

/// [`tool_name`] of a tool kept by its name and MCP server.
pub fn named<'a>(name: &'a str, mcp_server: Option<&str>) -> Cow<'a, str> {
    match mcp_server {
        Some(server) if !name.starts_with("mcp__") => Cow::Owned(format!("mcp__{server}__{name}")),
        _ => Cow::Borrowed(name),
    }
}

/// Every policy, which identities each covers, and the runs of calls outside them.
#[derive(Clone, Debug, Default)]
pub struct Policies {
    specs: Vec<PolicySpec>,
    /// By identity index: the policies that cover it.
    covering: Vec<Vec<usize>>,
    /// By (identity, policy, tool).
    runs: Episodes<(usize, usize, String)>,
}

impl Policies {
    pub fn new(specs: Vec<PolicySpec>) -> Self {
        Policies {
            specs,
            ..Policies::default()
        }
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

    /// The policies that cover identity `who`, in the config's order.
    pub fn covering(&self, who: usize) -> impl Iterator<Item = &PolicySpec> {
        self.covering
            .get(who)
            .into_iter()
            .flatten()
            .map(|&p| &self.specs[p])
    }

    /// A call by `who` at `time`, read at `at`, counted once (copies of it already left
    /// out).
    pub fn call(&mut self, who: usize, call: &ToolCall, time: TimeMs, at: RecordAt) {
        let Some(covering) = self.covering.get(who).filter(|c| !c.is_empty()) else {
            return;
        };
        let tool = tool_name(call);
        for &p in covering {
            if self.specs[p].breach(&tool).is_some() {
                self.runs.call((who, p, tool.to_string()), time, at);
            }
        }
    }

    /// Takes back a call by `who` that moved to another identity (its telemetry's).
    pub fn uncall(&mut self, who: usize, call: &ToolCall) {
        let Some(covering) = self.covering.get(who) else {
            return;
        };
        let tool = tool_name(call);
        for &p in covering {
            self.runs.uncall(&(who, p, tool.to_string()));
        }
    }

    /// The runs open at `now` as conditions, and the runs already over (history read at
    /// start) as findings of the past with their first and last calls. `names` gives an
    /// identity's name by index.
    pub fn conditions(
        &mut self,
        now: TimeMs,
        names: &dyn Fn(usize) -> String,
    ) -> (Vec<Condition>, Vec<Past>) {
        let (open, past) = self.runs.settle(now);
        let condition = |(who, p, tool): &(usize, usize, String), run: &Run| {
            let spec = &self.specs[*p];
            let identity = names(*who);
            let why = spec.breach(tool).unwrap_or_default();
            let reason = format!(
                "{identity}: {tool} outside policy {:?} ({why}), called {}",
                spec.name,
                times(run.calls)
            );
            let subject = format!("{identity} · {tool} · {}", spec.name);
            let mut c = Condition::of_run(
                AlertKind::Policy,
                spec.severity,
                identity,
                subject,
                run,
                reason,
            );
            c.tool = Some(tool.clone());
            c.policy = Some(spec.name.clone());
            c
        };
        of_runs(&open, &past, condition)
    }
}

/// `once`, `12 times`.
pub fn times(calls: u64) -> String {
    if calls == 1 {
        "once".to_string()
    } else {
        format!("{calls} times")
    }
}
