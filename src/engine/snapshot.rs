//! Plain-data pictures of the engine at one moment: what the views draw and what reports
//! print, so the numbers on screen and in reports are the same numbers.

use serde::Serialize;

use super::alerts::{Alert, AlertCounts};
use super::budget::{BudgetState, RowBudget};
use super::hist::Quantiles;
use super::recent::RecentEvent;
use super::usage::{Usage, WindowUsage};
use super::window::TieredWindow;
use super::{Engine, IngestStats};
use crate::event::{Format, IdentityKind, TimeMs};

const MINUTE_MS: i64 = 60_000;
const FIVE_MIN_MS: i64 = 5 * MINUTE_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
/// Minutes in the per-minute trend series of every row and of the totals.
pub const TREND_MINUTES: usize = 30;

/// Tokens (every class) per minute over the last [`TREND_MINUTES`], oldest first; the last
/// minute is the current one, still filling.
pub type Trend = [u64; TREND_MINUTES];

fn trend(window: &TieredWindow<WindowUsage>, now: TimeMs) -> Trend {
    window.per_minute_of(now, |w| Usage::from(*w).total_tokens())
}

/// Live rates over the recent windows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    pub requests_per_min: f64,
    /// Every input class, per minute (last minute).
    pub input_per_min: f64,
    pub output_per_min: f64,
    pub tool_calls_per_min: f64,
    /// Cost of the last 5 minutes, scaled to an hour.
    pub cost_per_hour: f64,
    /// Cache reads as a share of all input over the last hour.
    pub cache_hit_rate: Option<f64>,
}

impl Rates {
    fn of(window: &TieredWindow<WindowUsage>, now: TimeMs) -> Self {
        let minute = Usage::from(window.sum(now, MINUTE_MS));
        let five = Usage::from(window.sum(now, FIVE_MIN_MS));
        let hour = Usage::from(window.sum(now, HOUR_MS));
        Rates {
            requests_per_min: minute.requests as f64,
            input_per_min: minute.all_input() as f64,
            output_per_min: minute.output as f64,
            tool_calls_per_min: minute.tool_calls as f64,
            cost_per_hour: five.cost_usd * (HOUR_MS / FIVE_MIN_MS) as f64,
            cache_hit_rate: hour.cache_hit_rate(),
        }
    }

    pub fn tokens_per_min(&self) -> f64 {
        self.input_per_min + self.output_per_min
    }
}

/// One identity in the overview.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentityRow {
    pub name: String,
    pub kind: IdentityKind,
    pub format: Format,
    pub rates: Rates,
    pub today: Usage,
    pub totals: Usage,
    pub first_seen: TimeMs,
    pub last_seen: TimeMs,
    /// Tokens per minute, for the overview's sparkline.
    pub trend: Trend,
    /// From the config's `[[identity]]` rule that named the row.
    pub team: Option<String>,
    pub labels: Vec<String>,
    /// The tightest of the budgets that cover this identity, for the BUDGET and ETA
    /// columns.
    pub budget: Option<RowBudget>,
}

/// Usage of one group (a model, a day, an identity) for reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupRow {
    pub key: String,
    #[serde(flatten)]
    pub usage: Usage,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub now: TimeMs,
    pub time_zone: String,
    /// The calendar day `now` falls on, in `time_zone`.
    pub today: String,
    /// `now` as a wall clock in `time_zone`, for the header.
    pub clock: String,
    pub totals: Usage,
    pub today_usage: Usage,
    pub rates: Rates,
    /// Events ingested per second, over the last few seconds.
    pub ingest_per_sec: f64,
    pub ingest: IngestStats,
    pub identities: Vec<IdentityRow>,
    pub by_model: Vec<GroupRow>,
    pub by_day: Vec<GroupRow>,
    /// Tokens per minute over every identity.
    pub trend: Trend,
    /// Every configured budget, in config order.
    pub budgets: Vec<BudgetState>,
    /// The identity the UI asked about (the open detail panel), if it exists.
    pub detail: Option<IdentityDetail>,
    /// Open alerts and the latest ended ones, newest first (bounded).
    pub alerts: Vec<Alert>,
    /// Open alerts by severity.
    pub active_alerts: AlertCounts,
}

/// One identity in depth, for the detail panel and tests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentityDetail {
    pub row: IdentityRow,
    /// Highest cost first.
    pub by_model: Vec<ModelRow>,
    /// Most calls first.
    pub tools: Vec<ToolRow>,
    /// Cache reads as a share of all input since the identity was first seen (the row's
    /// rate is the last hour's).
    pub cache_hit_rate_total: Option<f64>,
    pub input_tokens: Option<Quantiles>,
    pub output_tokens: Option<Quantiles>,
    pub latency_ms: Option<Quantiles>,
    /// The latest responses, newest first (at most [`super::recent::RECENT_EVENTS`]).
    pub recent: Vec<RecentEvent>,
}

/// One model used by one identity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelRow {
    pub model: String,
    pub usage: Usage,
    /// This model's part of the identity's priced cost; `None` while that cost is zero or
    /// when the model has no price at all (its share is unknown, not 0%).
    pub cost_share: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolRow {
    pub name: String,
    pub mcp_server: Option<String>,
    pub calls: u64,
    pub calls_last_min: u64,
    pub first_seen: TimeMs,
    pub last_seen: TimeMs,
}

fn group_rows<'a>(groups: impl Iterator<Item = (String, &'a Usage)>) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = groups
        .map(|(key, usage)| GroupRow { key, usage: *usage })
        .collect();
    rows.sort_by(|a, b| {
        b.usage
            .cost_usd
            .total_cmp(&a.usage.cost_usd)
            .then(a.key.cmp(&b.key))
    });
    rows
}

impl Engine {
    fn now_zoned(&self) -> jiff::ZonedDateTime {
        jiff::Timestamp::from_millisecond(self.now)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.days.tz.clone())
    }

    fn today(&self) -> jiff::civil::Date {
        self.now_zoned().date()
    }

    fn row(&self, who: usize, today: jiff::civil::Date, budgets: &[BudgetState]) -> IdentityRow {
        let id = &self.identities[who];
        let rule = id.rule.and_then(|r| self.mapping.rule(r));
        IdentityRow {
            name: id.name.clone(),
            kind: id.kind,
            format: id.format,
            rates: Rates::of(&id.window, self.now),
            today: id.by_day.get(&today).copied().unwrap_or_default(),
            totals: id.totals,
            first_seen: id.first_seen,
            last_seen: id.last_seen,
            trend: trend(&id.window, self.now),
            team: rule.and_then(|r| r.team.clone()),
            labels: rule.map(|r| r.labels.clone()).unwrap_or_default(),
            budget: self.budgets.tightest(who, &id.name, budgets),
        }
    }

    /// Everything the views and reports need at the engine's `now`. `focus` names the
    /// identity whose detail the UI shows: only that one is worked out in depth.
    pub fn snapshot(&self, focus: Option<&str>) -> Snapshot {
        let now = self.now_zoned();
        let today = now.date();
        let mut by_day: Vec<GroupRow> = self
            .global
            .by_day
            .iter()
            .map(|(day, usage)| GroupRow {
                key: day.to_string(),
                usage: *usage,
            })
            .collect();
        by_day.sort_by(|a, b| a.key.cmp(&b.key));
        let budgets = self.budgets();
        Snapshot {
            now: self.now,
            time_zone: self.days.tz.iana_name().unwrap_or("UTC").to_string(),
            today: today.to_string(),
            clock: now.strftime("%H:%M:%S %Z").to_string(),
            totals: self.global.totals,
            today_usage: self.global.by_day.get(&today).copied().unwrap_or_default(),
            rates: Rates::of(&self.global.window, self.now),
            ingest_per_sec: self.ingest_rate(),
            ingest: self.stats,
            identities: (0..self.identities.len())
                .map(|who| self.row(who, today, &budgets))
                .collect(),
            by_model: group_rows(self.global.by_model.iter().map(|(m, u)| (m.clone(), u))),
            by_day,
            trend: trend(&self.global.window, self.now),
            detail: focus.and_then(|name| self.detail_with(name, &budgets)),
            budgets,
            alerts: self.alerts.list(),
            active_alerts: self.alerts.counts(),
        }
    }

    pub fn detail(&self, name: &str) -> Option<IdentityDetail> {
        self.detail_with(name, &self.budgets())
    }

    fn detail_with(&self, name: &str, budgets: &[BudgetState]) -> Option<IdentityDetail> {
        let who = *self.index.get(name)?;
        let id = &self.identities[who];
        let mut tools: Vec<ToolRow> = id
            .tools
            .iter()
            .map(|(name, t)| ToolRow {
                name: name.clone(),
                mcp_server: t.mcp_server.clone(),
                calls: t.calls,
                calls_last_min: t.window.sum(self.now, MINUTE_MS).into(),
                first_seen: t.first_seen,
                last_seen: t.last_seen,
            })
            .collect();
        tools.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
        let total_cost = id.totals.cost_usd;
        let by_model = group_rows(id.by_model.iter().map(|(m, u)| (m.clone(), u)))
            .into_iter()
            // A copy that moved to another identity leaves an all-zero model behind.
            .filter(|g| g.usage != Usage::default())
            .map(|g| ModelRow {
                model: g.key,
                cost_share: (total_cost > 0.0 && g.usage.unpriced_requests < g.usage.requests)
                    .then(|| g.usage.cost_usd / total_cost),
                usage: g.usage,
            })
            .collect();
        Some(IdentityDetail {
            row: self.row(who, self.today(), budgets),
            by_model,
            tools,
            cache_hit_rate_total: id.totals.cache_hit_rate(),
            input_tokens: id.input_tokens.quantiles(),
            output_tokens: id.output_tokens.quantiles(),
            latency_ms: id.latency_ms.quantiles(),
            recent: id.recent.newest_first(),
        })
    }
}
