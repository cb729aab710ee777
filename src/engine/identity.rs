//! Everything the engine keeps about one identity.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Map;

use jiff::civil::Date;

use super::burst::Detector;
use super::hist::Distributions;
use super::recent::RecentEvents;
use super::units::Units;
use super::usage::Usage;
use super::warmup::WarmUp;
use super::window::{Bucket, TieredWindow};
use crate::event::{Format, IdentityAttrs, IdentityKind, Kind, TimeMs, ToolCall};

/// Past this many distinct tools, an identity's new ones are counted under [`OTHER_TOOLS`].
pub const MAX_TOOLS: usize = 500;
pub const OTHER_TOOLS: &str = "(other tools)";

/// Calls of one tool by one identity.
#[derive(Clone, Debug)]
pub struct ToolStats {
    pub mcp_server: Option<String>,
    pub calls: u64,
    pub first_seen: TimeMs,
    pub last_seen: TimeMs,
    pub window: TieredWindow<u32>,
    /// Cost of the responses that called it (each response once per tool name, at its
    /// cost when the call was first seen).
    pub cost_usd: f64,
}

#[derive(Clone, Debug)]
pub struct IdentityStats {
    pub name: String,
    pub kind: IdentityKind,
    pub format: Format,
    /// The raw fields of the latest event, for the drill-down.
    pub attrs: IdentityAttrs,
    /// The config's `[[identity]]` rule that named it (its team and labels), if any.
    pub rule: Option<u32>,
    /// An agent project's path (the `cwd` or project root of the first line seen), shown
    /// instead of a name that is not the path (Claude Code's dashed folder name, another
    /// agent's `agent:path`); never set on an identity a rule renamed.
    pub path: Option<String>,
    pub first_seen: TimeMs,
    pub last_seen: TimeMs,
    pub totals: Usage,
    /// Usage by the kind of call, in [`Kind::ALL`] order: completions against retrieval.
    pub by_kind: [Usage; 4],
    pub by_day: BTreeMap<Date, Usage>,
    pub by_model: Map<String, Usage>,
    /// The models it used, shared with every snapshot (rebuilt only when one is new).
    pub models: Arc<[Arc<str>]>,
    pub window: TieredWindow<Usage>,
    pub tools: Map<String, ToolStats>,
    /// Sizes per request and per active minute over the last day.
    pub dists: Distributions,
    pub recent: RecentEvents,
    /// Sessions and agents seen lately, for the burst detector's concurrency rule.
    pub units: Units,
    pub detector: Detector,
    /// Whether it has been at work long enough to burst, in its own event time.
    pub warm: WarmUp,
}

impl IdentityStats {
    pub fn new(name: &str, kind: IdentityKind, format: Format, time: TimeMs) -> Self {
        IdentityStats {
            name: name.to_string(),
            kind,
            format,
            attrs: IdentityAttrs::default(),
            rule: None,
            path: None,
            first_seen: time,
            last_seen: time,
            totals: Usage::default(),
            by_kind: Default::default(),
            by_day: BTreeMap::new(),
            by_model: Map::default(),
            models: Arc::from([]),
            window: TieredWindow::default(),
            tools: Map::default(),
            dists: Distributions::default(),
            recent: RecentEvents::default(),
            units: Units::default(),
            detector: Detector::default(),
            warm: WarmUp::new(time),
        }
    }

    /// The labels budgets, policies and the filter see: the rule's, and the agent that
    /// wrote its logs (`codex`), so that one label takes all of an agent's projects.
    pub fn labels(&self, rule_labels: &[String]) -> Vec<String> {
        let mut labels = rule_labels.to_vec();
        if let Some(agent) = self.format.agent()
            && !labels.iter().any(|l| l == agent)
        {
            labels.push(agent.to_string());
        }
        labels
    }

    /// What the screen shows for the name: the project's path with this machine's home
    /// written `~`, after the agent's name for agents other than Claude Code (whose rows
    /// are known by their folder's dashed name alone).
    pub fn display(&self, home: Option<&str>) -> Option<String> {
        let path = super::snapshot::tilde(self.path.as_deref()?, home);
        Some(match self.format.agent() {
            Some(agent) if self.format != Format::ClaudeCode => format!("{agent}:{path}"),
            _ => path,
        })
    }

    /// Notes that it used `model` (once per model).
    pub fn used(&mut self, model: &Arc<str>) {
        if !self.models.iter().any(|m| m == model) {
            let mut models = self.models.to_vec();
            models.push(model.clone());
            self.models = models.into();
        }
    }

    /// Counts (or takes back) a request under its kind of call.
    pub fn apply_kind(&mut self, sign: Sign, kind: Kind, usage: &Usage) {
        let at = Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
        match sign {
            Sign::Add => self.by_kind[at].add(usage),
            Sign::Sub => self.by_kind[at].sub(usage),
        }
    }

    /// Whether it called this tool before, under either of its names.
    pub fn knows_tool(&self, call: &ToolCall, full_name: &str) -> bool {
        tool_names(call, full_name).any(|name| self.tools.contains_key(name))
    }

    /// One call of a tool; `response_cost` goes to the tool when it is the first call of
    /// that name in its response.
    pub fn record_tool(
        &mut self,
        name: &str,
        mcp_server: Option<&str>,
        time: TimeMs,
        response_cost: Option<f64>,
    ) {
        let (name, mcp_server) = match self.tools.contains_key(name) {
            false if self.tools.len() >= MAX_TOOLS => (OTHER_TOOLS, None),
            _ => (name, mcp_server),
        };
        let stats = match self.tools.get_mut(name) {
            Some(stats) => stats,
            None => self.tools.entry(name.to_string()).or_insert(ToolStats {
                mcp_server: mcp_server.map(str::to_string),
                calls: 0,
                first_seen: time,
                last_seen: time,
                window: TieredWindow::default(),
                cost_usd: 0.0,
            }),
        };
        stats.calls += 1;
        stats.cost_usd += response_cost.unwrap_or(0.0);
        stats.first_seen = stats.first_seen.min(time);
        stats.last_seen = stats.last_seen.max(time);
        stats.window.add(time, &1);
    }
}

impl IdentityStats {
    /// Takes back one call of tool `name` recorded at `time` with `share` of its
    /// response's cost (the call moved to another identity).
    pub fn unrecord_tool(&mut self, name: &str, time: TimeMs, share: Option<f64>) {
        let name = if self.tools.contains_key(name) {
            name
        } else {
            OTHER_TOOLS
        };
        if let Some(stats) = self.tools.get_mut(name) {
            stats.calls = stats.calls.saturating_sub(1);
            stats.cost_usd = (stats.cost_usd - share.unwrap_or(0.0)).max(0.0);
            stats.window.sub(time, &1);
        }
    }
}

/// The names one tool goes by: an MCP tool is `mcp__server__tool` (`full_name`) in a
/// transcript, the bare tool in its telemetry.
pub fn tool_names<'a>(call: &'a ToolCall, full_name: &'a str) -> impl Iterator<Item = &'a str> {
    let bare = match &call.mcp_server {
        Some(server) => full_name
            .strip_prefix("mcp__")
            .and_then(|rest| rest.strip_prefix(server.as_str()))
            .and_then(|rest| rest.strip_prefix("__")),
        None => None,
    };
    [Some(call.name.as_str()), Some(full_name), bare]
        .into_iter()
        .flatten()
}

/// Adds (`Sign::Add`) or takes back (`Sign::Sub`) one contribution in every place it is summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    Add,
    Sub,
}

/// Everything [`Ledger::apply`] sums into.
pub struct Parts<'a> {
    pub totals: &'a mut Usage,
    pub by_day: &'a mut BTreeMap<Date, Usage>,
    pub by_model: &'a mut Map<String, Usage>,
    pub window: &'a mut TieredWindow<Usage>,
    /// Takes each minute as it leaves the window's minute ring.
    pub dists: &'a mut Distributions,
}

/// The summed views shared by an identity and the global totals.
pub trait Ledger {
    fn parts(&mut self) -> Parts<'_>;

    fn apply(&mut self, sign: Sign, time: TimeMs, day: Date, model: &str, usage: &Usage) {
        let Parts {
            totals,
            by_day,
            by_model,
            window,
            dists,
        } = self.parts();
        let model_usage = match by_model.get_mut(model) {
            Some(u) => u,
            None => by_model.entry(model.to_string()).or_default(),
        };
        let day_usage = by_day.entry(day).or_default();
        match sign {
            Sign::Add => {
                totals.add(usage);
                day_usage.add(usage);
                model_usage.add(usage);
                window.add_closing(time, usage, |start, minute| {
                    dists.record_minute(start, minute)
                });
            }
            Sign::Sub => {
                totals.sub(usage);
                day_usage.sub(usage);
                model_usage.sub(usage);
                window.sub(time, usage);
            }
        }
    }
}

impl Ledger for IdentityStats {
    fn parts(&mut self) -> Parts<'_> {
        Parts {
            totals: &mut self.totals,
            by_day: &mut self.by_day,
            by_model: &mut self.by_model,
            window: &mut self.window,
            dists: &mut self.dists,
        }
    }
}
