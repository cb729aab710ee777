//! First-seen tools: once an identity is warm (the burst warm-up, in its own event time),
//! a tool it never used raises a `new_tool` alert (warn), open while that tool's calls
//! come and ended after ten quiet minutes ([`super::episodes`]). An identity still warming
//! up is learning its tools: nothing it calls then is new.

use super::alerts::{AlertKind, Condition, Past, Severity};
use super::episodes::of_runs;
use super::episodes::{Episodes, RecordAt, Run};
use super::policy::times;
use crate::event::TimeMs;

/// The runs of calls to tools new to their identity, by (identity, tool).
#[derive(Clone, Debug, Default)]
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
        let condition = |(who, tool): &(usize, String), run: &Run| {
            let identity = names(*who);
            let reason = format!("{identity}: new tool {tool}, called {}", times(run.calls));
            let subject = format!("{identity} · {tool}");
            let mut c = Condition::of_run(
                AlertKind::NewTool,
                Severity::Warn,
                identity,
                subject,
                run,
                reason,
            );
            c.tool = Some(tool.clone());
            c
        };
        of_runs(&open, &past, condition)
    }
}
