//! Plain-data pictures of the engine at one moment: what the views draw and what reports
//! print, so the numbers on screen and in reports are the same numbers.

use std::sync::Arc;

use serde::Serialize;

use super::IngestStats;
use super::alerts::{Alert, AlertCounts};
use super::budget::{BudgetState, RowBudget};
use super::dedup::Held;
use super::recent::RecentEvent;
use super::usage::Usage;
use super::window::TieredWindow;
use crate::event::{Format, IdentityKind, Kind, TimeMs};
use crate::pricing::{ClassCost, UnpricedReason};

mod build;
pub(in crate::engine) use self::build::tilde;
mod sizes;

pub use self::sizes::{QuantileSummary, RequestSummary, SizeRow, SizeWindows, Sizes};
mod findings;
mod shares;

pub use findings::{Finding, Risk};
pub use shares::{MAX_SHARES, Share, Shares};

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

    /// The window beside a figure: `$189/h (1 min)`, where `1m $189/h` read as a million.
    pub fn long_label(self) -> &'static str {
        match self {
            RateWindow::OneMinute => "1 min",
            RateWindow::FiveMinutes => "5 min",
            RateWindow::OneHour => "1 hour",
            RateWindow::OneDay => "24 hours",
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

    pub fn ms(self) -> i64 {
        let (width, count) = self.buckets();
        width * count as i64
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

/// The calendar days the overview's totals column sums (`t` cycles it), apart from the
/// rate window: on last month's logs "today" is $0 while the history holds the spend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum TotalsRange {
    #[default]
    Today,
    /// The last 7 calendar days, today included, in the engine's time zone.
    SevenDays,
    /// The last 30 calendar days, today included.
    ThirtyDays,
    /// Everything read.
    All,
}

impl TotalsRange {
    pub const ALL: [TotalsRange; 4] = [
        TotalsRange::Today,
        TotalsRange::SevenDays,
        TotalsRange::ThirtyDays,
        TotalsRange::All,
    ];

    /// The column's title: `TODAY`, `7D`, `30D`, `ALL`.
    pub fn title(self) -> &'static str {
        match self {
            TotalsRange::Today => "TODAY",
            TotalsRange::SevenDays => "7D",
            TotalsRange::ThirtyDays => "30D",
            TotalsRange::All => "ALL",
        }
    }

    /// Beside a figure: `today`, `7 days`, `30 days`, `all loaded`.
    pub fn label(self) -> &'static str {
        match self {
            TotalsRange::Today => "today",
            TotalsRange::SevenDays => "7 days",
            TotalsRange::ThirtyDays => "30 days",
            TotalsRange::All => "all loaded",
        }
    }

    /// Calendar days summed, today included; `None`: every day.
    pub fn days(self) -> Option<i64> {
        match self {
            TotalsRange::Today => Some(1),
            TotalsRange::SevenDays => Some(7),
            TotalsRange::ThirtyDays => Some(30),
            TotalsRange::All => None,
        }
    }

    /// The smallest range that reaches back to `first_day` from `today` (`--since`).
    pub fn reaching(first_day: jiff::civil::Date, today: jiff::civil::Date) -> Self {
        let back = (today - first_day).get_days() as i64 + 1;
        Self::ALL
            .into_iter()
            .find(|r| r.days().is_some_and(|days| back <= days))
            .unwrap_or(TotalsRange::All)
    }

    /// When the range begins at `now` in `tz`: midnight of its first day (`None`:
    /// everything read).
    pub fn start(self, now: TimeMs, tz: &jiff::tz::TimeZone) -> Option<TimeMs> {
        let today = jiff::Timestamp::from_millisecond(now)
            .ok()?
            .to_zoned_datetime(tz.clone())
            .date();
        let first = today
            .checked_sub(jiff::Span::new().days(self.days()? - 1))
            .ok()?;
        crate::engine::period::midnight(first, tz)
    }

    pub fn next(self) -> Self {
        let at = Self::ALL.iter().position(|&r| r == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

/// What the UI shows, so that the snapshot holds just that: the overview's rate window and
/// totals range, and the identity in focus with its timeline's span.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct View<'a> {
    pub focus: Option<&'a str>,
    pub window: RateWindow,
    pub span: TimelineSpan,
    pub range: TotalsRange,
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

/// How the header's figures moved over the last minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MinuteChange {
    /// Spent in the last minute: what the running totals grew by.
    pub cost_usd: f64,
    /// Requests read in the last minute.
    pub requests: u64,
    /// The spend rate now less the rate a minute ago, in $/h over the same window.
    pub cost_per_hour: f64,
}

/// Which of the overview's columns hold anything on some row: an empty one gives its room
/// to the names (on old logs every rate is nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Filled {
    pub requests: bool,
    pub input: bool,
    pub output: bool,
    pub cache: bool,
    /// $/h: spend or unpriced requests in the window.
    pub rate: bool,
    pub budget: bool,
    pub risk: bool,
    pub tools: bool,
    pub trend: bool,
    /// p90 input per request over the rate window.
    pub p90_input: bool,
    /// The longest name shown (characters, its alert marker's two included, at most
    /// [`NAME_WANTED`]): the columns that would squeeze names below it give way first.
    pub name: u16,
}

/// Names longer than this share their column's room with the columns beside them.
pub const NAME_WANTED: u16 = 22;

impl Filled {
    fn of(rows: &[IdentityRow]) -> Self {
        let mut f = Filled::default();
        for r in rows {
            let rates = &r.rates;
            f.requests |= rates.requests_per_min > 0.0;
            f.input |= rates.input_per_min > 0.0;
            f.output |= rates.output_per_min > 0.0;
            f.cache |= rates.cache_hit_rate.is_some();
            f.rate |= rates.cost_per_hour > 0.0 || rates.unpriced_requests > 0;
            f.budget |= r.budget.is_some();
            f.risk |= r.risk.findings > 0;
            f.tools |= rates.tool_calls_per_min > 0.0;
            f.trend |= r.trend.iter().any(|&t| t > 0);
            f.p90_input |= r.p90_input.is_some();
            let name = r.display.as_deref().unwrap_or(&r.name).chars().count() + 2;
            f.name = f.name.max(name.min(usize::from(NAME_WANTED)) as u16);
        }
        f
    }
}

/// One identity in the overview.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IdentityRow {
    /// What rules, budgets, alerts and reports know it by.
    pub name: String,
    /// What the screen shows instead, when there is better: a Claude Code project's path
    /// (`~` for this machine's home) for its folder's dashed name.
    pub display: Option<String>,
    pub kind: IdentityKind,
    pub format: Format,
    pub rates: Rates,
    pub today: Usage,
    /// Over the snapshot's totals range (`Snapshot::range`).
    pub in_range: Usage,
    pub totals: Usage,
    pub first_seen: TimeMs,
    pub last_seen: TimeMs,
    /// Tokens per minute, for the overview's sparkline.
    pub trend: Trend,
    /// p90 of input tokens (every class) per request over the rate window.
    pub p90_input: Option<u64>,
    /// The models it used (for the filter's `model:`).
    pub models: Arc<[Arc<str>]>,
    /// From the config's `[[identity]]` rule that named the row.
    pub team: Option<String>,
    pub labels: Vec<String>,
    /// The tightest of the budgets that cover this identity, for the BUDGET and ETA
    /// columns.
    pub budget: Option<RowBudget>,
    /// Its findings over the totals range, for the RISK column.
    pub risk: Risk,
    /// What a report prints beside the totals (`None` unless the engine keeps the whole
    /// range: a live snapshot leaves it out).
    pub whole_range: Option<RangeDetail>,
}

/// An identity (or the fleet) over everything read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct RangeDetail {
    pub per_request: RequestSummary,
    /// The priced cost split by token class (sums to `cost_usd`).
    pub cost_usd_by_class: ClassCost,
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
    /// The priced cost split by token class (sums to `cost_usd`); not for days, whose
    /// sums are not kept by model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd_by_class: Option<ClassCost>,
}

impl GroupRow {
    /// The order of every report's rows: most spent first, then by key.
    pub fn sort_by_cost(rows: &mut [GroupRow]) {
        rows.sort_by(GroupRow::by_cost);
    }

    /// Most spent first, then by key.
    pub fn by_cost(a: &GroupRow, b: &GroupRow) -> std::cmp::Ordering {
        b.usage
            .cost_usd
            .total_cmp(&a.usage.cost_usd)
            .then(a.key.cmp(&b.key))
    }
}

/// How the price table prices one model: by the entry `price_key`, or not at all, for
/// `unpriced_reason` (the one is `None` exactly when the other is not). The
/// [`OTHER_MODEL`](super::OTHER_MODEL) row has neither: its requests were priced each under
/// its own name.
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
    /// The days the totals column (each row's `in_range`) and `range_usage` are over.
    pub range: TotalsRange,
    pub totals: Usage,
    pub today_usage: Usage,
    /// Every identity over `range`.
    pub range_usage: Usage,
    pub rates: Rates,
    /// What the header's spend, rate and requests changed by over the last minute.
    pub last_minute: MinuteChange,
    /// Events ingested per second, over the last few seconds.
    pub ingest_per_sec: f64,
    /// The keys that count each response and tool call once, and their memory.
    pub dedup_held: Held,
    pub ingest: IngestStats,
    pub identities: Vec<IdentityRow>,
    /// Which of the overview's columns hold anything.
    pub filled: Filled,
    /// The range's spend by model, team and kind, for the side panel.
    pub shares: Shares,
    pub by_model: Vec<GroupRow>,
    pub by_day: Vec<GroupRow>,
    /// Tokens per minute over every identity.
    pub trend: Trend,
    /// The fleet over everything read, for reports (see [`IdentityRow::range`]).
    pub whole_range: Option<RangeDetail>,
    /// The fleet's sizes per request and per active minute over the rate window.
    pub sizes: Sizes,
    /// Every configured budget, in config order.
    pub budgets: Vec<BudgetState>,
    /// The identity the UI asked about (the open detail panel), if it exists.
    pub detail: Option<IdentityDetail>,
    /// Open alerts and the latest ended ones: active first, critical before warn, then
    /// newest (bounded).
    pub alerts: Vec<Alert>,
    /// Open alerts by severity.
    pub active_alerts: AlertCounts,
    /// The providers' ledger reconciled with the logs; `None` when no provider is polled.
    /// Shared: it changes once a minute or so, snapshots go out ten times a second.
    pub providers: Option<std::sync::Arc<super::providers::ProvidersView>>,
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
    /// Its priced cost split by token class, over its models.
    pub cost_by_class: ClassCost,
    /// Sizes per request and per active minute, over the timeline's span and the day.
    pub sizes: SizeWindows,
    /// The latest responses, newest first (at most [`super::recent::RECENT_EVENTS`]).
    pub recent: Vec<RecentEvent>,
    /// Usage by kind of call (completion, embedding, retrieval, tool), kinds never seen
    /// left out.
    pub by_kind: Vec<KindRow>,
    pub timeline: Timeline,
    /// The budgets that cover this identity, and those that match nothing read (a typo in
    /// a scope shows where its budget was expected), in config order.
    pub budgets: Vec<IdentityBudget>,
    /// Alerts that concern this identity (its own, and fleet-wide ones naming it) other
    /// than its findings, newest first.
    pub alerts: Vec<Alert>,
    /// Its findings (policy, new tool, secret, unattributed spend), newest first.
    pub findings: Vec<Finding>,
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
    pub cost_by_class: ClassCost,
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
