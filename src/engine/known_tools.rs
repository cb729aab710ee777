//! The tools each identity called in earlier runs, handed in at start (the monitor keeps
//! them in its state store), and those it calls for the first time in this run, handed
//! back out to be kept. An identity whose history is not read again at start (one seen
//! only over OTLP) then raises no `new_tool` for a tool it already used before a restart.
//!
//! A tool counts as known from an earlier run only for calls after the time it was first
//! seen: history read again at start decides about that first call as the earlier run
//! did (an ended finding, or nothing while warming up), instead of losing it.

use super::identity::{MAX_TOOLS, tool_names};
use super::{MAX_IDENTITIES, Map, OTHER_IDENTITY};
use crate::event::{TimeMs, ToolCall};

/// One tool an identity has called, and the event time of its first call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownTool {
    /// The identity's name as rules map it (its row).
    pub identity: String,
    /// As policy globs see it: MCP tools are `mcp__server__tool`.
    pub tool: String,
    pub first_seen: TimeMs,
}

/// Tools known from earlier runs and the ones learnt since (kept only once asked to).
#[derive(Debug, Default)]
pub struct KnownTools {
    /// When each identity first called each tool, as far as is known: earlier runs', and
    /// this run's first calls once learning.
    first_calls: Map<String, Map<String, TimeMs>>,
    /// First calls not handed out yet (`None`: nobody keeps them).
    learnt: Option<Vec<KnownTool>>,
}

impl KnownTools {
    /// Takes in what earlier runs knew, and from now on keeps first calls for
    /// [`KnownTools::take_learnt`]. Bounded as the identities and their tools are: past
    /// [`MAX_IDENTITIES`] identities or [`MAX_TOOLS`] tools of one, the rest is left out.
    pub fn know(&mut self, tools: impl IntoIterator<Item = KnownTool>) {
        self.learnt.get_or_insert_with(Vec::new);
        for known in tools {
            if !self.first_calls.contains_key(&known.identity)
                && self.first_calls.len() >= MAX_IDENTITIES
            {
                continue;
            }
            let calls = self.first_calls.entry(known.identity).or_default();
            if calls.len() < MAX_TOOLS || calls.contains_key(&known.tool) {
                let at = calls.entry(known.tool).or_insert(known.first_seen);
                *at = (*at).min(known.first_seen);
            }
        }
    }

    /// Whether `identity` called this tool (under any of its names) before `time`, as far
    /// as earlier runs and this run's learnt calls say.
    pub fn called_before(&self, identity: &str, call: &ToolCall, full: &str, time: TimeMs) -> bool {
        let Some(calls) = self.first_calls.get(identity) else {
            return false;
        };
        tool_names(call, full).any(|name| calls.get(name).is_some_and(|&at| at < time))
    }

    /// A call by `identity` to a tool it had not called in this run: kept to be handed
    /// out when it is earlier than anything known of that tool. Nothing when not learning,
    /// nor for [`OTHER_IDENTITY`], whose members change from run to run.
    pub fn learn(&mut self, identity: &str, tool: &str, time: TimeMs) {
        let Some(learnt) = self.learnt.as_mut().filter(|_| identity != OTHER_IDENTITY) else {
            return;
        };
        let full = self.first_calls.len() >= MAX_IDENTITIES;
        let calls = match self.first_calls.get_mut(identity) {
            Some(calls) => calls,
            None if full => return,
            None => self.first_calls.entry(identity.to_string()).or_default(),
        };
        let room = calls.len() < MAX_TOOLS;
        match calls.get_mut(tool) {
            Some(at) if *at <= time => return,
            Some(at) => *at = time,
            None if room => {
                calls.insert(tool.to_string(), time);
            }
            None => return,
        }
        learnt.push(KnownTool {
            identity: identity.to_string(),
            tool: tool.to_string(),
            first_seen: time,
        });
    }

    /// The first calls learnt since the last call.
    pub fn take_learnt(&mut self) -> Vec<KnownTool> {
        self.learnt.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(identity: &str, tool: &str, first_seen: TimeMs) -> KnownTool {
        KnownTool {
            identity: identity.into(),
            tool: tool.into(),
            first_seen,
        }
    }

    #[test]
    fn the_folded_identity_learns_nothing_to_keep() {
        let mut tools = KnownTools::default();
        tools.know([]);
        tools.learn(OTHER_IDENTITY, "Bash", 5);
        tools.learn("agent-x", "Bash", 5);
        assert_eq!(tools.take_learnt(), [known("agent-x", "Bash", 5)]);
    }

    #[test]
    fn an_identity_keeps_at_most_max_tools() {
        let mut tools = KnownTools::default();
        tools.know((0..MAX_TOOLS + 10).map(|n| known("agent-x", &format!("t{n}"), 1)));
        tools.learn("agent-x", "one-more", 5);
        assert_eq!(tools.take_learnt(), [], "no room");
        let call = ToolCall::new(None, format!("t{}", MAX_TOOLS - 1));
        assert!(tools.called_before("agent-x", &call, &call.name, 2));
        let past = ToolCall::new(None, format!("t{MAX_TOOLS}"));
        assert!(!tools.called_before("agent-x", &past, &past.name, 2));
    }
}
