//! What an incident report asks the engine about one identity beyond its sums: where each
//! tool it called stands with its policies, and the secrets its records exposed.

use serde::Serialize;

use super::Engine;
use super::exposures::Sighting;
use crate::secrets::Fingerprint;

/// Where a tool stands with the policies that cover an identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolPolicy {
    /// An allow entry of a covering policy names it, and none refuses it.
    Allowed,
    /// Outside a covering policy: denied, or not in its allow list.
    Denied,
    /// No allow or deny entry of a covering policy names it (or none covers the identity).
    Unnamed,
}

impl ToolPolicy {
    pub fn label(self) -> &'static str {
        match self {
            ToolPolicy::Allowed => "allowed",
            ToolPolicy::Denied => "denied",
            ToolPolicy::Unnamed => "unnamed",
        }
    }
}

impl Engine {
    /// Where `tool` (as policies see it, `mcp__server__tool`) stands for `identity`, and
    /// why when it is denied (`denied by Bash (no shell)`).
    pub fn tool_policy(&self, identity: &str, tool: &str) -> (ToolPolicy, Option<String>) {
        let Some(&who) = self.index.get(identity) else {
            return (ToolPolicy::Unnamed, None);
        };
        let mut named = false;
        for policy in self.policies.covering(who) {
            if let Some(why) = policy.breach(tool) {
                return (ToolPolicy::Denied, Some(format!("{why} ({})", policy.name)));
            }
            named |= policy.allow.iter().flatten().any(|p| p.matches(tool));
        }
        match named {
            true => (ToolPolicy::Allowed, None),
            false => (ToolPolicy::Unnamed, None),
        }
    }

    /// The secrets `identity`'s records exposed, each with its first sighting, oldest first.
    pub fn exposed_by(&self, identity: &str) -> Vec<(Fingerprint, &Sighting)> {
        let Some(&who) = self.index.get(identity) else {
            return Vec::new();
        };
        self.exposures
            .all()
            .into_iter()
            .filter(|&(w, _, _)| w == who)
            .map(|(_, print, sighting)| (print, sighting))
            .collect()
    }
}
