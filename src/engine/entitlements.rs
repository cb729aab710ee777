//! Entitlement review (`report --entitlements`): per identity, the tools its policies allow
//! that it never called (candidates to remove from the allow list) and the tools it called
//! that no policy covering it names; with providers, the API keys that billed nothing in
//! the range (candidates to revoke). Computed from what the engine holds: a report's engine
//! holds the report's range only, so "never called" means "not in the range".

use std::collections::BTreeMap;

use serde::Serialize;

use super::Engine;
use super::mapping::{Mapping, Pattern};
use super::policy::{PolicySpec, named};
use super::providers::reconcile::identity_of;
use crate::event::TimeMs;
use crate::parse::provider::{Provider, ProviderBucket};

/// One identity's review.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentityEntitlements {
    pub identity: String,
    /// What the screen shows instead (a Claude Code project's path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The policies that cover it, by name, in the config's order.
    pub policies: Vec<String>,
    /// Allow-list entries (as written) that match no tool it called.
    pub unused_allowed: Vec<String>,
    /// Tools it called that no allow or deny entry of its policies matches, most called first.
    pub unnamed_tools: Vec<ToolUse>,
}

/// A tool by the name policies see (`mcp__server__tool` for an MCP tool), with its calls.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToolUse {
    pub tool: String,
    pub calls: u64,
}

/// Reviews one identity: `policies` cover it, `used` are the tools it called with their
/// counts. A policy without an allow list leaves nothing unused; a tool is named by any
/// allow or deny glob that matches it.
pub fn review(
    identity: String,
    display: Option<String>,
    policies: &[&PolicySpec],
    used: &[ToolUse],
) -> IdentityEntitlements {
    let mut unused_allowed: Vec<String> = Vec::new();
    for glob in policies.iter().filter_map(|p| p.allow.as_ref()).flatten() {
        let called = used.iter().any(|t| glob.matches(&t.tool));
        if !called && !unused_allowed.iter().any(|g| g == glob.as_str()) {
            unused_allowed.push(glob.as_str().to_string());
        }
    }
    let names = |tool: &str| {
        policies.iter().any(|p| {
            let mut globs = p.deny.iter().chain(p.allow.iter().flatten());
            globs.any(|g: &Pattern| g.matches(tool))
        })
    };
    let mut unnamed_tools: Vec<ToolUse> =
        used.iter().filter(|t| !names(&t.tool)).cloned().collect();
    unnamed_tools.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.tool.cmp(&b.tool)));
    IdentityEntitlements {
        identity,
        display,
        policies: policies.iter().map(|p| p.name.clone()).collect(),
        unused_allowed,
        unnamed_tools,
    }
}

impl Engine {
    /// The review of every identity a policy covers or that called a tool, by name; only
    /// those `keep` accepts (the report's `--identity`).
    pub fn entitlements(&self, keep: &dyn Fn(&str) -> bool) -> Vec<IdentityEntitlements> {
        let mut out: Vec<IdentityEntitlements> = self
            .identities
            .iter()
            .enumerate()
            .filter(|(_, id)| keep(&id.name))
            .map(|(who, id)| {
                // One row per name policies see: a transcript's `mcp__jira__search` and its
                // telemetry's `search` of server `jira` are one tool.
                let mut by_name: BTreeMap<String, u64> = BTreeMap::new();
                for (name, stats) in id.tools.iter().filter(|(_, s)| s.calls > 0) {
                    let name = named(name, stats.mcp_server.as_deref());
                    *by_name.entry(name.into_owned()).or_default() += stats.calls;
                }
                let used: Vec<ToolUse> = by_name
                    .into_iter()
                    .map(|(tool, calls)| ToolUse { tool, calls })
                    .collect();
                let policies: Vec<&PolicySpec> = self.policies.covering(who).collect();
                let display = id.display(self.home.as_deref());
                review(id.name.clone(), display, &policies, &used)
            })
            .filter(|r| !r.policies.is_empty() || !r.unnamed_tools.is_empty())
            .collect();
        out.sort_by(|a, b| a.identity.cmp(&b.identity));
        out
    }
}

/// An API key that billed nothing in the range.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdleKey {
    pub provider: Provider,
    /// The key's id as the provider reports it (never the key).
    pub api_key_id: String,
    /// The identity the config's `[[identity]]` rules give it, if one matches.
    pub identity: Option<String>,
    /// OpenAI project or Anthropic workspace of its last bucket.
    pub project: Option<String>,
    /// The UTC day (`YYYY-MM-DD`) of the last bucket that named it.
    pub last_seen: String,
}

/// Whether a bucket counts anything: tokens, requests or money.
fn billed(b: &ProviderBucket) -> bool {
    b.tokens.total() > 0
        || b.requests.is_some_and(|n| n > 0)
        || b.billed_usd.is_some_and(|u| u > 0.0)
}

/// The keys named in `before` (buckets before the range) or `in_range` that no bucket of
/// `in_range` bills anything to, by provider and key id; `mapping` names their identities.
pub fn idle_keys(
    in_range: &[&ProviderBucket],
    before: &[&ProviderBucket],
    mapping: &Mapping,
) -> Vec<IdleKey> {
    let key = |b: &ProviderBucket| b.api_key_id.clone().map(|k| (b.provider, k));
    let busy: std::collections::HashSet<(Provider, String)> = in_range
        .iter()
        .filter(|b| billed(b))
        .filter_map(|b| key(b))
        .collect();
    // The latest bucket naming each key stands for it.
    let mut last: BTreeMap<(Provider, String), (TimeMs, &ProviderBucket)> = BTreeMap::new();
    for &b in before.iter().chain(in_range) {
        let Some(k) = key(b).filter(|k| !busy.contains(k)) else {
            continue;
        };
        let entry = last.entry(k).or_insert((b.start, b));
        if b.start > entry.0 {
            *entry = (b.start, b);
        }
    }
    last.into_iter()
        .map(|((provider, api_key_id), (start, b))| IdleKey {
            provider,
            api_key_id,
            identity: identity_of(mapping, b),
            project: b.project.clone(),
            last_seen: crate::timefmt::utc_day(start),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::alerts::Severity;
    use crate::engine::policy::PolicyScope;
    use crate::event::Tokens;
    use crate::parse::provider::Report;

    fn spec(name: &str, allow: Option<&[&str]>, deny: &[&str]) -> PolicySpec {
        let globs = |l: &[&str]| l.iter().map(|g| Pattern::new(*g)).collect::<Vec<_>>();
        PolicySpec {
            name: name.into(),
            scope: PolicyScope::Everyone,
            deny: globs(deny),
            allow: allow.map(globs),
            severity: Severity::Critical,
        }
    }

    fn used(tools: &[(&str, u64)]) -> Vec<ToolUse> {
        tools
            .iter()
            .map(|(t, calls)| ToolUse {
                tool: t.to_string(),
                calls: *calls,
            })
            .collect()
    }

    #[test]
    fn allowed_globs_never_matched_are_unused_and_tools_no_glob_names_are_unnamed() {
        let allow = spec("reads", Some(&["Read", "Grep", "mcp__jira__*"]), &[]);
        let deny = spec("no deletes", None, &["mcp__github__delete_*"]);
        let r = review(
            "agent".into(),
            None,
            &[&allow, &deny],
            &used(&[
                ("Bash", 3),
                ("Read", 9),
                ("mcp__github__delete_repo", 1),
                ("WebFetch", 3),
            ]),
        );
        assert_eq!(r.policies, ["reads", "no deletes"]);
        assert_eq!(r.unused_allowed, ["Grep", "mcp__jira__*"]);
        assert_eq!(r.unnamed_tools, used(&[("Bash", 3), ("WebFetch", 3)]));
    }

    #[test]
    fn a_glob_allowed_by_two_policies_is_listed_once() {
        let a = spec("a", Some(&["Grep"]), &[]);
        let b = spec("b", Some(&["Grep", "Read"]), &[]);
        let r = review("x".into(), None, &[&a, &b], &used(&[("Read", 1)]));
        assert_eq!(r.unused_allowed, ["Grep"]);
        assert!(r.unnamed_tools.is_empty());
    }

    fn bucket(provider: Provider, key: &str, day: i64, input: u64) -> ProviderBucket {
        ProviderBucket {
            provider,
            report: Report::Usage,
            start: day * 86_400_000,
            end: (day + 1) * 86_400_000,
            api_key_id: Some(key.into()),
            project: Some(format!("proj_{day}")),
            user: None,
            model: Some("gpt-4.1".into()),
            service_tier: None,
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            requests: None,
            billed_usd: None,
        }
    }

    #[test]
    fn keys_seen_before_the_range_that_bill_nothing_in_it_are_idle() {
        let before = [
            bucket(Provider::OpenAi, "key_busy", 10, 5),
            bucket(Provider::OpenAi, "key_idle", 10, 5),
            bucket(Provider::OpenAi, "key_idle", 12, 7),
            bucket(Provider::Anthropic, "key_busy", 11, 5),
        ];
        let in_range = [
            bucket(Provider::OpenAi, "key_busy", 20, 1),
            bucket(Provider::OpenAi, "key_zero", 21, 0),
        ];
        let (in_range, before): (Vec<_>, Vec<_>) =
            (in_range.iter().collect(), before.iter().collect());
        let idle = idle_keys(&in_range, &before, &Mapping::default());
        let found: Vec<(Provider, &str, &str, Option<&str>)> = idle
            .iter()
            .map(|k| {
                let project = k.project.as_deref();
                (
                    k.provider,
                    k.api_key_id.as_str(),
                    k.last_seen.as_str(),
                    project,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (Provider::OpenAi, "key_idle", "1970-01-13", Some("proj_12")),
                (Provider::OpenAi, "key_zero", "1970-01-22", Some("proj_21")),
                (
                    Provider::Anthropic,
                    "key_busy",
                    "1970-01-12",
                    Some("proj_11")
                ),
            ]
        );
    }
}
