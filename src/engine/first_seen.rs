//! First-seen tools: once an identity is warm (the burst warm-up, in its own event time),
//! a tool it never used raises a `new_tool` alert (warn), open while that tool's calls
//! come and ended after ten quiet minutes ([`super::episodes`]). An identity still warming
//! up is learning its tools: nothing it calls then is new.

use super::alerts::{AlertKind, Condition, Past, Severity};
use super::episodes::{Episodes, RecordAt, Run};
use super::policy::times;
use crate::event::TimeMs;

/// The runs of calls to tools new to their identity, by (identity, tool).
#[derive(Debug, Default)]
pub struct FirstSeen {
    runs: Episodes<(usize, String)>,
}

impl FirstSeen {
    /// A call by `who` to `tool` at `time`, read at `at`; `new` when the identity was warm
    /// and had never called it. Later calls within the run under way count in it.
    pub fn call(&mut self, who: usize, tool: &str, time: TimeMs, new: bool, at: RecordAt) {
        if self.runs.is_empty() && !new {
            return;
        }
        let key = (who, tool.to_string());
        if new || self.runs.goes_on(&key, time) {
            self.runs.call(key, time, at);
        }
    }

    /// Takes back a call by `who` to `tool` that moved to another identity.
    pub fn uncall(&mut self, who: usize, tool: &str) {
        self.runs.uncall(&(who, tool.to_string()));
    }

    /// The runs open at `now` as conditions, and those already over (history read at
    /// start) as findings of the past. `names` gives an identity's name by index.
    pub fn conditions(
        &mut self,
        now: TimeMs,
        names: &dyn Fn(usize) -> String,
    ) -> (Vec<Condition>, Vec<Past>) {
        let (open, past) = self.runs.settle(now);
        let condition = |who: usize, tool: &str, run: &Run| {
            let identity = names(who);
            Condition {
                kind: AlertKind::NewTool,
                subject: format!("{identity} · {tool}"),
                identities: vec![identity.clone()],
                severity: Severity::Warn,
                signal: None,
                value: run.calls as f64,
                threshold: None,
                baseline: None,
                ratio: None,
                units: None,
                tool: Some(tool.to_string()),
                since: Some(run.first),
                policy: None,
                secret: None,
                at: Some(run.at),
                score: run.calls as f64,
                reason: format!("{identity}: new tool {tool}, called {}", times(run.calls)),
            }
        };
        (
            open.iter()
                .map(|((who, tool), run)| condition(*who, tool, run))
                .collect(),
            past.iter()
                .map(|((who, tool), run)| Past::of(condition(*who, tool, run), run))
                .collect(),
        )
    }
}
