//! The sections of an incident report, each worked out from the engine after the read.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{HOUR_MS, usage_of};
use crate::engine::Engine;
use crate::engine::alerts::{Alert, AlertKind, Severity};
use crate::engine::budget::{BudgetLevel, BudgetUnit};
use crate::engine::incident::ToolPolicy;
use crate::engine::policy::named;
use crate::engine::snapshot::ToolRow;
use crate::engine::tally::{Sum, Tally};
use crate::event::{Origin, TimeMs};
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::timefmt::format_rfc3339_ms;

/// The identity's usual rate before the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Baseline {
    /// From its first record in the seven days before the window to the window's start.
    pub from: String,
    pub hours: f64,
    pub requests: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    pub cost_per_hour: f64,
    pub requests_per_hour: f64,
    pub tokens_per_hour: f64,
}

/// One minute of the window with a request or a tool call.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MinuteLine {
    /// In the report's time zone: `2026-01-01 12:05`.
    pub minute: String,
    pub requests: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    pub tool_calls: u64,
}

/// An alert that concerns the identity and was open in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertLine {
    pub kind: AlertKind,
    pub severity: Severity,
    pub started_at: String,
    /// `None`: still open when the window ends.
    pub ended_at: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// A tool called in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolLine {
    /// As policies see it (`mcp__server__tool`).
    pub tool: String,
    pub calls: u64,
    /// Its first call in the logs read (from seven days before the window).
    pub first_seen: Option<String>,
    /// First called in the window, as far as the logs read go.
    pub new_in_window: bool,
    pub policy: ToolPolicy,
    /// Why a denied tool is outside its policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_reason: Option<String>,
}

/// One model the identity used in the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelLine {
    pub model: String,
    pub requests: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    pub unpriced_requests: u64,
}

/// A budget whose scope includes the identity, as of the window's end.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BudgetLine {
    pub name: String,
    pub scope: String,
    pub period: String,
    pub unit: BudgetUnit,
    pub used: f64,
    pub limit: f64,
    pub percent: f64,
    pub level: BudgetLevel,
}

/// Where a record was read: its file and 1-based line, when it came from a file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Place {
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// One of the costliest requests of the window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestLine {
    pub time: String,
    pub model: String,
    pub input: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
    pub total_tokens: u64,
    pub tool_calls: u64,
    pub cost_usd: f64,
    /// The model has no price: `cost_usd` is 0 and not what it cost.
    pub unpriced: bool,
    pub source: Place,
}

/// A secret the identity's records exposed in the window: never its value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SecretLine {
    pub secret_type: String,
    /// The JSON path of the string that held it.
    #[serde(rename = "where")]
    pub place: String,
    pub fingerprint: String,
    pub first_seen: String,
    pub source: Place,
}

/// One source as read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceLine {
    pub path: String,
    pub files: usize,
    pub lines: u64,
    pub events: u64,
    pub rejected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SourceLine {
    pub fn of(h: &SourceHealth) -> Self {
        SourceLine {
            path: h.path.clone(),
            files: h.files,
            lines: h.lines,
            events: h.events,
            rejected: h.rejected.values().map(|r| r.count).sum(),
            error: h.last_error.clone(),
        }
    }
}

/// What the sections are worked out from.
pub struct Parts<'a> {
    pub engine: &'a Engine,
    pub name: &'a str,
    pub window: (TimeMs, TimeMs),
    pub origins: &'a Origins,
}

/// The window's minutes (summed over models), oldest first.
pub fn timeline(tally: &Tally) -> Vec<MinuteLine> {
    let mut minutes: BTreeMap<&str, Sum> = BTreeMap::new();
    for (values, sum) in tally.rows() {
        minutes.entry(values[1]).or_default().add(sum);
    }
    minutes
        .into_iter()
        .filter(|(_, s)| s.usage.requests > 0 || s.usage.tool_calls > 0)
        .map(|(minute, sum)| MinuteLine {
            minute: minute.to_string(),
            requests: sum.usage.requests,
            total_tokens: sum.usage.total_tokens(),
            cost_usd: sum.cost_usd(),
            tool_calls: sum.usage.tool_calls,
        })
        .collect()
}

/// The window's models, most spent first.
pub fn models(tally: &Tally) -> Vec<ModelLine> {
    let mut models: BTreeMap<&str, Sum> = BTreeMap::new();
    for (values, sum) in tally.rows() {
        models.entry(values[2]).or_default().add(sum);
    }
    let mut lines: Vec<(u64, ModelLine)> = models
        .into_iter()
        .filter(|(_, s)| s.usage.requests > 0 || s.usage.tool_calls > 0)
        .map(|(model, sum)| {
            let usage = usage_of(&sum);
            let line = ModelLine {
                model: model.to_string(),
                requests: usage.requests,
                total_tokens: usage.total_tokens(),
                cost_usd: usage.cost_usd,
                unpriced_requests: usage.unpriced_requests,
            };
            (sum.cost_nanos, line)
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.model.cmp(&b.1.model)));
    lines.into_iter().map(|(_, line)| line).collect()
}

impl Parts<'_> {
    fn responses(&self) -> Option<&crate::engine::responses::Responses> {
        self.engine.responses()
    }

    /// The usual rate over the identity's records in the seven days before `since`.
    pub fn baseline(&self, since: TimeMs) -> Option<Baseline> {
        let (sum, first) = self.responses()?.baseline();
        // From the minute of its first record: an hour and a half of minutes is 1.5 hours.
        let first = first?.div_euclid(super::MINUTE_MS) * super::MINUTE_MS;
        let hours = ((since - first).max(HOUR_MS)) as f64 / HOUR_MS as f64;
        let usage = usage_of(&sum);
        let per_hour = |x: f64| crate::format::micro_usd(x / hours);
        Some(Baseline {
            from: format_rfc3339_ms(first),
            hours: (hours * 100.0).round() / 100.0,
            requests: usage.requests,
            total_tokens: usage.total_tokens(),
            cost_usd: usage.cost_usd,
            cost_per_hour: per_hour(usage.cost_usd),
            requests_per_hour: per_hour(usage.requests as f64),
            tokens_per_hour: per_hour(usage.total_tokens() as f64),
        })
    }

    fn in_window(&self, alert: &Alert) -> bool {
        let (start, end) = self.window;
        alert.started_at < end && alert.ended_at.is_none_or(|e| e >= start)
    }

    /// The alerts concerning the identity open at some point in the window, oldest first.
    pub fn alerts(&self, alerts: &[Alert]) -> Vec<AlertLine> {
        let mut lines: Vec<&Alert> = alerts.iter().filter(|a| self.in_window(a)).collect();
        lines.sort_by_key(|a| (a.started_at, a.id));
        lines
            .into_iter()
            .map(|a| AlertLine {
                kind: a.kind,
                severity: a.severity,
                started_at: format_rfc3339_ms(a.started_at),
                ended_at: a.ended_at.map(format_rfc3339_ms),
                reason: a.reason.clone(),
                tool: a.tool.clone(),
                policy: a.policy.clone(),
            })
            .collect()
    }

    /// The tools called in the window, most calls first.
    pub fn tools(&self, rows: &[ToolRow], alerts: &[Alert]) -> Vec<ToolLine> {
        let Some(responses) = self.responses() else {
            return Vec::new();
        };
        let mut lines: Vec<ToolLine> = responses
            .tools()
            .iter()
            .filter(|(_, calls)| **calls > 0)
            .map(|(tool, &calls)| {
                let first = rows
                    .iter()
                    .filter(|r| named(&r.name, r.mcp_server.as_deref()) == tool.as_str())
                    .map(|r| r.first_seen)
                    .min();
                let alerted = alerts.iter().any(|a| {
                    a.kind == AlertKind::NewTool
                        && a.tool.as_deref() == Some(tool)
                        && self.in_window(a)
                });
                let (policy, policy_reason) = self.engine.tool_policy(self.name, tool);
                ToolLine {
                    tool: tool.clone(),
                    calls,
                    first_seen: first.map(format_rfc3339_ms),
                    new_in_window: alerted || first.is_some_and(|t| t >= self.window.0),
                    policy,
                    policy_reason,
                }
            })
            .collect();
        lines.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.tool.cmp(&b.tool)));
        lines
    }

    /// The budgets whose scope includes the identity, as of the window's end, in config order.
    pub fn budgets(&self) -> Vec<BudgetLine> {
        crate::report::printable(self.engine.budgets())
            .into_iter()
            .filter(|b| b.members.iter().any(|m| m == self.name))
            .map(|b| BudgetLine {
                name: b.name,
                scope: b.scope,
                period: b.period,
                unit: b.unit,
                used: b.used,
                limit: b.limit,
                percent: (b.percent * 10.0).round() / 10.0,
                level: b.level,
            })
            .collect()
    }

    /// The file an origin names, and the 1-based line of each offset asked for in it.
    fn places(&self, wanted: &[(Origin, Option<u64>)]) -> Vec<Place> {
        let mut by_file: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
        for (origin, line) in wanted {
            if line.is_none() {
                by_file
                    .entry(origin.source.0)
                    .or_default()
                    .push(origin.offset);
            }
        }
        let mut numbers: BTreeMap<(u32, u64), u64> = BTreeMap::new();
        for (source, offsets) in by_file {
            let id = crate::event::SourceId(source);
            let Some(path) = self.origins.path(id) else {
                continue;
            };
            if let Ok(lines) = super::lines::line_numbers(&path, &offsets) {
                numbers.extend(lines.into_iter().map(|(off, n)| ((source, off), n)));
            }
        }
        wanted
            .iter()
            .map(|(origin, line)| Place {
                file: self
                    .origins
                    .path(origin.source)
                    .map(|p| p.display().to_string()),
                line: line.or_else(|| numbers.get(&(origin.source.0, origin.offset)).copied()),
            })
            .collect()
    }

    /// The costliest requests of the window with the line each was read from.
    pub fn costliest(&self) -> Vec<RequestLine> {
        let Some(responses) = self.responses() else {
            return Vec::new();
        };
        let list = responses.costliest();
        let with_origin: Vec<(Origin, Option<u64>)> = list
            .iter()
            .filter_map(|r| r.origin)
            .map(|o| (o, None))
            .collect();
        let mut places = self.places(&with_origin).into_iter();
        list.iter()
            .map(|r| RequestLine {
                time: format_rfc3339_ms(r.time),
                model: r.model.clone(),
                input: r.usage.input,
                cache_read: r.usage.cache_read,
                cache_write: r.usage.cache_write(),
                output: r.usage.output,
                total_tokens: r.usage.total_tokens(),
                tool_calls: r.usage.tool_calls,
                cost_usd: r.cost_usd(),
                unpriced: r.usage.unpriced_requests > 0,
                source: match r.origin {
                    Some(_) => places.next().unwrap_or_default(),
                    None => Place::default(),
                },
            })
            .collect()
    }

    /// The secrets first seen in the window, oldest first.
    pub fn secrets(&self) -> Vec<SecretLine> {
        let (start, end) = self.window;
        let found: Vec<_> = self
            .engine
            .exposed_by(self.name)
            .into_iter()
            .filter(|(_, s)| s.time >= start && s.time < end)
            .collect();
        let with_origin: Vec<(Origin, Option<u64>)> = found
            .iter()
            .filter_map(|(_, s)| s.at.origin.map(|o| (o, s.at.line)))
            .collect();
        let mut places = self.places(&with_origin).into_iter();
        found
            .into_iter()
            .map(|(print, s)| SecretLine {
                secret_type: s.secret_type.to_string(),
                place: s.path.clone(),
                fingerprint: print.to_string(),
                first_seen: format_rfc3339_ms(s.time),
                source: match s.at.origin {
                    Some(_) => places.next().unwrap_or_default(),
                    None => Place {
                        file: None,
                        line: s.at.line,
                    },
                },
            })
            .collect()
    }

    /// How many distinct secrets of each type the window's records exposed.
    pub fn secret_types(&self) -> BTreeMap<String, u64> {
        let mut types = BTreeMap::new();
        for s in self.secrets() {
            *types.entry(s.secret_type).or_default() += 1;
        }
        types
    }
}
