//! Plain-data pictures of the engine at one moment: what the views draw and what reports
//! print, so the numbers on screen and in reports are the same numbers.

use serde::Serialize;

use super::alerts::{Alert, AlertCounts};
use super::budget::{BudgetState, RowBudget};
use super::hist::Quantiles;
use super::recent::RecentEvent;
use super::usage::Usage;
use super::window::TieredWindow;
use super::{Engine, IngestStats, OTHER_MODEL};
use crate::event::{Format, IdentityKind, Kind, TimeMs};
use crate::pricing::UnpricedReason;

const MINUTE_MS: i64 = 60_000;
const FIVE_MIN_MS: i64 = 5 * MINUTE_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const QUARTER_HOUR_MS: i64 = 15 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Minutes in the per-minute trend series of every row and of the totals.
pub const TREND_MINUTES: usize = 30;

/// Tokens (every class) per minute over the last [`TREND_MINUTES`], oldest first; the last
/// minute is the current one, still filling.
pub type Trend = [u64; TREND_MINUTES];

fn trend(window: &TieredWindow<Usage>, now: TimeMs) -> Trend {
    window.per_minute_of(now, Usage::total_tokens)
}

/// The window the overview's rates are averaged over: short to see an incident as it
/// happens, long to see what is normal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum RateWindow {
    #[default]
    OneMinute,
    FiveMinutes,
    OneHour,
    OneDay,
}

impl RateWindow {
    pub const ALL: [RateWindow; 4] = [
        RateWindow::OneMinute,
        RateWindow::FiveMinutes,
        RateWindow::OneHour,
        RateWindow::OneDay,
    ];

    pub fn ms(self) -> i64 {
        match self {
            RateWindow::OneMinute => MINUTE_MS,
            RateWindow::FiveMinutes => FIVE_MIN_MS,
            RateWindow::OneHour => HOUR_MS,
            RateWindow::OneDay => DAY_MS,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RateWindow::OneMinute => "1m",
            RateWindow::FiveMinutes => "5m",
            RateWindow::OneHour => "1h",
            RateWindow::OneDay => "24h",
        }
    }

    /// The next longer window, back to the shortest after the longest.
    pub fn next(self) -> Self {
        let at = Self::ALL.iter().position(|&w| w == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

/// The span of the identity view's timeline, and the buckets it is drawn from (the
/// engine's minute ring up to an hour, its 15-minute ring beyond).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum TimelineSpan {
    FifteenMinutes,
    #[default]
    OneHour,
    SixHours,
    OneDay,
}

impl TimelineSpan {
    pub const ALL: [TimelineSpan; 4] = [
        TimelineSpan::FifteenMinutes,
        TimelineSpan::OneHour,
        TimelineSpan::SixHours,
        TimelineSpan::OneDay,
    ];

    pub fn label(self) -> &'static str {
        match self {
            TimelineSpan::FifteenMinutes => "15m",
            TimelineSpan::OneHour => "1h",
            TimelineSpan::SixHours => "6h",
            TimelineSpan::OneDay => "24h",
        }
    }

    /// Bucket width and count.
    pub fn buckets(self) -> (i64, usize) {
        match self {
            TimelineSpan::FifteenMinutes => (MINUTE_MS, 15),
            TimelineSpan::OneHour => (MINUTE_MS, 60),
            TimelineSpan::SixHours => (QUARTER_HOUR_MS, 24),
            TimelineSpan::OneDay => (QUARTER_HOUR_MS, 96),
        }
    }

    pub fn next(self) -> Self {
        let at = Self::ALL.iter().position(|&s| s == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

/// What the UI shows, so that the snapshot holds just that: the overview's rate window,
/// and the identity in focus with its timeline's span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct View<'a> {
    pub focus: Option<&'a str>,
    pub window: RateWindow,
    pub span: TimelineSpan,
}

/// Live rates over the view's window (see [`RateWindow`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    pub requests_per_min: f64,
    /// Every input class, per minute.
    pub input_per_min: f64,
    pub output_per_min: f64,
    pub tool_calls_per_min: f64,
    /// Cost over the window, scaled to an hour: a lower bound when some are unpriced.
    pub cost_per_hour: f64,
    /// Requests in the window with no price, left out of `cost_per_hour`.
    pub unpriced_requests: u64,
    /// Cache reads as a share of all input over the window.
    pub cache_hit_rate: Option<f64>,
}

impl Rates {
    fn of(window: &TieredWindow<Usage>, now: TimeMs, over: RateWindow) -> Self {
        let sum = window.sum(now, over.ms());
        let minutes = (over.ms() / MINUTE_MS) as f64;
        Rates {
            requests_per_min: sum.requests as f64 / minutes,
            input_per_min: sum.all_input() as f64 / minutes,
            output_per_min: sum.output as f64 / minutes,
            tool_calls_per_min: sum.tool_calls as f64 / minutes,
            cost_per_hour: sum.cost_usd * HOUR_MS as f64 / over.ms() as f64,
            unpriced_requests: sum.unpriced_requests,
            cache_hit_rate: sum.cache_hit_rate(),
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
    /// A model's row only: how the price table prices it.
    #[serde(flatten)]
    pub pricing: Option<ModelPricing>,
}

/// How the price table prices one model: by the entry `price_key`, or not at all, for
/// `unpriced_reason` (the one is `None` exactly when the other is not). The [`OTHER_MODEL`]
/// row has neither: its requests were priced each under its own name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelPricing {
    pub price_key: Option<String>,
    pub unpriced_reason: Option<UnpricedReason>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub now: TimeMs,
    pub time_zone: String,
    /// The calendar day `now` falls on, in `time_zone`.
    pub today: String,
    /// `now` as a wall clock in `time_zone`, for the header.
    pub clock: String,
    /// The window the rates are over.
    pub window: RateWindow,
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
    /// Usage by kind of call (completion, embedding, retrieval, tool), kinds never seen
    /// left out.
    pub by_kind: Vec<KindRow>,
    pub timeline: Timeline,
    /// The budgets that cover this identity, and those that match nothing read (a typo in
    /// a scope shows where its budget was expected), in config order.
    pub budgets: Vec<IdentityBudget>,
    /// Alerts that concern this identity (its own, and fleet-wide ones naming it), newest
    /// first.
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindRow {
    pub kind: Kind,
    pub usage: Usage,
}

/// Per-minute rates of one identity over the view's span, oldest bucket first; the last
/// bucket is the one `now` falls in, still filling, its rate over the time it has had.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Timeline {
    pub span: TimelineSpan,
    /// Start of the first bucket.
    pub start: TimeMs,
    pub bucket_ms: i64,
    pub points: Vec<TimelinePoint>,
    /// Requests with no price over the whole span, left out of its costs.
    pub unpriced_requests: u64,
}

/// One bucket, as rates per minute: the token classes are disjoint and stack to the
/// total (`output` here is output without its reasoning part).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct TimelinePoint {
    pub input: f64,
    pub cache_read: f64,
    pub cache_write: f64,
    pub output: f64,
    pub reasoning: f64,
    pub cost: f64,
    pub requests: f64,
}

impl TimelinePoint {
    /// The rates of `usage` summed over `over_ms`.
    fn of(usage: Usage, over_ms: i64) -> Self {
        let minutes = over_ms as f64 / MINUTE_MS as f64;
        let per_min = |n: u64| n as f64 / minutes;
        TimelinePoint {
            input: per_min(usage.input),
            cache_read: per_min(usage.cache_read),
            cache_write: per_min(usage.cache_write()),
            output: per_min(usage.output.saturating_sub(usage.reasoning)),
            reasoning: per_min(usage.reasoning.min(usage.output)),
            cost: usage.cost_usd / minutes,
            requests: per_min(usage.requests),
        }
    }

    /// Every token class: the height of the stacked bar.
    pub fn tokens(&self) -> f64 {
        self.input + self.cache_read + self.cache_write + self.output + self.reasoning
    }
}

/// One budget covering the identity, with the pace that spends exactly its limit over
/// its period (in its unit per minute), for the timeline's budget line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentityBudget {
    pub state: BudgetState,
    pub pace_per_min: Option<f64>,
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
    /// Cost of the responses that called it, and that as a share of the identity's
    /// priced cost (`None` while that is zero).
    pub cost_usd: f64,
    pub cost_share: Option<f64>,
}

fn group_rows<'a>(groups: impl Iterator<Item = (String, &'a Usage)>) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = groups
        .map(|(key, usage)| GroupRow {
            key,
            usage: *usage,
            pricing: None,
        })
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
    /// The table entry that prices `model`, or why none does, for its report row.
    fn model_pricing(&self, model: &str) -> ModelPricing {
        if model == OTHER_MODEL {
            return ModelPricing {
                price_key: None,
                unpriced_reason: None,
            };
        }
        let matched = match self.price_memo.get(model) {
            Some(Ok((key, _))) => Ok(key.to_string()),
            Some(Err(reason)) => Err(*reason),
            None => self.prices.resolve(model).map(|(key, _)| key.to_string()),
        };
        match matched {
            Ok(key) => ModelPricing {
                price_key: Some(key),
                unpriced_reason: None,
            },
            Err(reason) => ModelPricing {
                price_key: None,
                unpriced_reason: Some(reason),
            },
        }
    }

    fn now_zoned(&self) -> jiff::ZonedDateTime {
        jiff::Timestamp::from_millisecond(self.now)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.days.tz.clone())
    }

    fn today(&self) -> jiff::civil::Date {
        self.now_zoned().date()
    }

    fn row(
        &self,
        who: usize,
        today: jiff::civil::Date,
        budgets: &[BudgetState],
        window: RateWindow,
    ) -> IdentityRow {
        let id = &self.identities[who];
        let rule = id.rule.and_then(|r| self.mapping.rule(r));
        IdentityRow {
            name: id.name.clone(),
            kind: id.kind,
            format: id.format,
            rates: Rates::of(&id.window, self.now, window),
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

    /// Everything the views and reports need at the engine's `now`, with the detail of
    /// `focus` and the overview's default window.
    pub fn snapshot(&self, focus: Option<&str>) -> Snapshot {
        self.snapshot_with(&View {
            focus,
            ..View::default()
        })
    }

    /// Everything the views need at the engine's `now`, for what they show: only the
    /// identity in focus is worked out in depth.
    pub fn snapshot_with(&self, view: &View) -> Snapshot {
        let now = self.now_zoned();
        let today = now.date();
        let mut by_day: Vec<GroupRow> = self
            .global
            .by_day
            .iter()
            .map(|(day, usage)| GroupRow {
                key: day.to_string(),
                usage: *usage,
                pricing: None,
            })
            .collect();
        by_day.sort_by(|a, b| a.key.cmp(&b.key));
        let budgets = self.budgets();
        let mut by_model = group_rows(self.global.by_model.iter().map(|(m, u)| (m.clone(), u)));
        for row in &mut by_model {
            row.pricing = Some(self.model_pricing(&row.key));
        }
        Snapshot {
            now: self.now,
            time_zone: self.days.tz.iana_name().unwrap_or("UTC").to_string(),
            today: today.to_string(),
            clock: now.strftime("%H:%M:%S %Z").to_string(),
            window: view.window,
            totals: self.global.totals,
            today_usage: self.global.by_day.get(&today).copied().unwrap_or_default(),
            rates: Rates::of(&self.global.window, self.now, view.window),
            ingest_per_sec: self.ingest_rate(),
            ingest: self.stats,
            identities: (0..self.identities.len())
                .map(|who| self.row(who, today, &budgets, view.window))
                .collect(),
            by_model,
            by_day,
            trend: trend(&self.global.window, self.now),
            detail: view
                .focus
                .and_then(|name| self.detail_with(name, &budgets, view)),
            budgets,
            alerts: self.alerts.list(),
            active_alerts: self.alerts.counts(),
        }
    }

    pub fn detail(&self, name: &str) -> Option<IdentityDetail> {
        let view = View {
            focus: Some(name),
            ..View::default()
        };
        self.detail_with(name, &self.budgets(), &view)
    }

    fn detail_with(
        &self,
        name: &str,
        budgets: &[BudgetState],
        view: &View,
    ) -> Option<IdentityDetail> {
        let who = *self.index.get(name)?;
        let id = &self.identities[who];
        let total_cost = id.totals.cost_usd;
        let share = |cost: f64| (total_cost > 0.0).then(|| (cost / total_cost).min(1.0));
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
                cost_usd: t.cost_usd,
                cost_share: share(t.cost_usd),
            })
            .collect();
        tools.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
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
        let by_kind = Kind::ALL
            .iter()
            .zip(&id.by_kind)
            .filter(|(_, usage)| usage.requests > 0)
            .map(|(&kind, &usage)| KindRow { kind, usage })
            .collect();
        let covering: Vec<IdentityBudget> = {
            let mut at: Vec<usize> = self.budgets.covering(who, &id.name, budgets).collect();
            at.extend((0..budgets.len()).filter(|&b| !budgets[b].matched));
            at.sort_unstable();
            at.dedup();
            at.into_iter()
                .filter_map(|b| {
                    let state = budgets.get(b)?;
                    // A budget that matches nothing paces no one.
                    let pace = state
                        .matched
                        .then(|| self.budgets.pace_per_min(b, self.now));
                    Some(IdentityBudget {
                        state: state.clone(),
                        pace_per_min: pace.flatten(),
                    })
                })
                .collect()
        };
        Some(IdentityDetail {
            row: self.row(who, self.today(), budgets, view.window),
            by_model,
            tools,
            cache_hit_rate_total: id.totals.cache_hit_rate(),
            input_tokens: id.input_tokens.quantiles(),
            output_tokens: id.output_tokens.quantiles(),
            latency_ms: id.latency_ms.quantiles(),
            recent: id.recent.newest_first(),
            by_kind,
            timeline: self.timeline(who, view.span),
            budgets: covering,
            alerts: self
                .alerts
                .list()
                .into_iter()
                .filter(|a| a.concerns(&id.name))
                .collect(),
        })
    }

    fn timeline(&self, who: usize, span: TimelineSpan) -> Timeline {
        let (bucket_ms, count) = span.buckets();
        let window = &self.identities[who].window;
        let buckets = window
            .series(self.now, bucket_ms, count)
            .unwrap_or_default();
        let last_start = self.now.div_euclid(bucket_ms) * bucket_ms;
        // The current bucket is still filling: its rate is over the time it has had (at
        // least a tenth of a bucket, so its first seconds do not read as a spike).
        let filled = (self.now - last_start).clamp(bucket_ms / 10, bucket_ms);
        let last = buckets.len().saturating_sub(1);
        Timeline {
            span,
            start: last_start - (count as i64 - 1) * bucket_ms,
            bucket_ms,
            unpriced_requests: buckets.iter().map(|b| b.unpriced_requests).sum(),
            points: buckets
                .into_iter()
                .enumerate()
                .map(|(i, b)| {
                    let over = if i == last { filled } else { bucket_ms };
                    TimelinePoint::of(b, over)
                })
                .collect(),
        }
    }
}
