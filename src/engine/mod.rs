//! The engine: ingest normalized events at their own time, `advance(now)`, `snapshot(focus)`.
//!
//! Plain synchronous Rust with no clock, no IO and no terminal: time is always an argument,
//! so live runs, reports and tests share one deterministic core.

pub mod alerts;
pub mod budget;
pub mod budget_alerts;
pub mod burst;
mod cumulative;
mod dedup;
mod detect;
mod fingerprints;
mod fleet;
pub mod hist;
pub mod identity;
pub mod mapping;
pub mod period;
pub mod recent;
mod signal;
pub mod snapshot;
pub mod units;
pub mod usage;
mod warmup;
pub mod window;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use self::alerts::Alerts;
use self::budget::{BudgetState, Budgets};
use self::burst::BurstSettings;
use self::cumulative::RunningTotals;
pub use self::dedup::{ACTIVE_RESPONSES, RETENTION_MS};
use self::dedup::{Copies, Counted, Decision};
pub use self::detect::ALL_IDENTITIES;
use self::identity::{IdentityStats, Ledger, Sign};
use self::mapping::Mapping;
use self::recent::{CostSource, RecentEvent};
pub use self::snapshot::{GroupRow, IdentityDetail, IdentityRow, ModelPricing, ModelRow, Snapshot};
use self::units::unit_key;
use self::usage::Usage;
use self::window::TieredWindow;
use crate::config::Config;
use crate::event::{DedupKey, Event, TimeMs};
use crate::parse::plausible;
use crate::pricing::{ModelPrice, PriceTable, UnpricedReason};

/// A response copy with no final marker is put into the histograms once no newer copy
/// has arrived for this long (event time).
pub const SETTLE_MS: i64 = 30_000;
/// An event stamped further than this past the engine's clock (a host whose clock runs
/// ahead) counts as this far past it: one such line must not move every window ahead and
/// leave the correctly stamped events behind it out of the windows.
pub const MAX_SKEW_MS: i64 = 60_000;
/// Past this many identities, new ones fold into [`OTHER_IDENTITY`] (with a warning).
pub const MAX_IDENTITIES: usize = 20_000;
pub const OTHER_IDENTITY: &str = "(other)";
/// Past this many distinct model names, new ones are summed under [`OTHER_MODEL`] (they are
/// still priced by their own name, matched again each time): junk names must not grow every
/// per-model map, nor the remembered prices.
pub const MAX_MODELS: usize = 1_000;
pub const OTHER_MODEL: &str = "(other models)";
/// The ingest rate shown in the header is averaged over this long.
const INGEST_RATE_WINDOW_MS: i64 = 5_000;
const MINUTE_MS: i64 = 60_000;

/// The engine's hash maps: foldhash is several times faster than SipHash on short keys,
/// and still seeded per process, so crafted log content cannot force collisions.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Sums over every identity.
#[derive(Clone, Debug, Default)]
struct Global {
    totals: Usage,
    by_day: BTreeMap<Date, Usage>,
    by_model: Map<String, Usage>,
    window: TieredWindow<Usage>,
}

impl Ledger for Global {
    fn parts(
        &mut self,
    ) -> (
        &mut Usage,
        &mut BTreeMap<Date, Usage>,
        &mut Map<String, Usage>,
        &mut TieredWindow<Usage>,
    ) {
        (
            &mut self.totals,
            &mut self.by_day,
            &mut self.by_model,
            &mut self.window,
        )
    }
}

/// Maps event times to calendar days in one time zone, remembering the last day's bounds
/// because consecutive events almost always fall on the same day.
#[derive(Clone, Debug)]
struct DayClock {
    tz: TimeZone,
    cached: Option<(TimeMs, TimeMs, Date)>,
}

impl DayClock {
    fn day(&mut self, time: TimeMs) -> Date {
        if let Some((start, end, date)) = self.cached
            && (start..end).contains(&time)
        {
            return date;
        }
        let date = jiff::Timestamp::from_millisecond(time)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.tz.clone())
            .date();
        let start = date
            .to_zoned_datetime(self.tz.clone())
            .map(|z| z.timestamp().as_millisecond());
        let end = date
            .tomorrow()
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()))
            .map(|z| z.timestamp().as_millisecond());
        if let (Ok(start), Ok(end)) = (start, end) {
            self.cached = Some((start, end, date));
        }
        date
    }
}

/// Counters about the ingest itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestStats {
    pub events: u64,
    /// Copies of a response already counted (the larger replaced the smaller).
    pub copies_merged: u64,
    /// Events folded into the "(other)" identity because of [`MAX_IDENTITIES`].
    pub folded: u64,
    /// Events stamped more than [`MAX_SKEW_MS`] ahead of the clock, counted at that limit.
    pub future: u64,
    /// Events left out because their cost is not one a request can have
    /// ([`crate::parse::plausible`]): a priced cost (a recorded one is checked by the
    /// reader already, and here again for events that come from elsewhere).
    pub implausible: u64,
}

/// What a long run holds on to, for tests and benchmarks of its memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retained {
    /// Responses kept whole, at most [`ACTIVE_RESPONSES`].
    pub whole: usize,
    /// Responses let go within the retention horizon: 16 bytes each.
    pub fingerprints: usize,
    /// Per-identity sums by day, over every identity.
    pub identity_days: usize,
    /// Model names whose price entry is remembered, at most [`MAX_MODELS`].
    pub priced_models: usize,
    /// Sessions whose running total is kept: those read within the retention horizon.
    pub running_sessions: usize,
}

pub struct Engine {
    prices: Arc<PriceTable>,
    /// Every model name seen, shared by the entries that keep one.
    models: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// The entry that prices each model id seen, as matched in `prices`, or why none does,
    /// for the first [`MAX_MODELS`] ids (a model name is free text from logs): later ones
    /// are matched again each time.
    price_memo: Map<String, Result<(Arc<str>, ModelPrice), UnpricedReason>>,
    days: DayClock,
    now: TimeMs,
    identities: Vec<IdentityStats>,
    /// Rows by their (mapped) name.
    index: Map<String, usize>,
    mapping: Mapping,
    budgets: Budgets,
    global: Global,
    copies: Copies,
    running_totals: RunningTotals,
    stats: IngestStats,
    ingest_marks: VecDeque<(TimeMs, u64)>,
    bursts: BurstSettings,
    /// When (event time) the first identity with a usual pace had warmed up: global
    /// bursts wait for it, and identities whose work begins later are new.
    fleet_warm_from: Option<TimeMs>,
    alerts: Alerts,
    /// The oldest day an identity's sums by day may hold (`None`: none yet).
    oldest_day: Option<Date>,
}

impl Engine {
    /// An engine with no identity rules and no budgets.
    pub fn new(prices: Arc<PriceTable>, tz: TimeZone) -> Self {
        Engine::with_config(prices, tz, &Config::default())
    }

    /// An engine that names identities by `config`'s rules and tracks its budgets, whose
    /// calendar periods follow `tz` (the caller decides between `--tz` and the file's
    /// `time_zone`).
    pub fn with_config(prices: Arc<PriceTable>, tz: TimeZone, config: &Config) -> Self {
        Engine {
            prices,
            models: Default::default(),
            price_memo: Map::default(),
            mapping: Mapping::new(config.identities.clone()),
            budgets: Budgets::new(config.budgets.clone(), tz.clone()),
            days: DayClock { tz, cached: None },
            now: 0,
            identities: Vec::new(),
            index: Map::default(),
            global: Global::default(),
            copies: Copies::default(),
            running_totals: RunningTotals::default(),
            stats: IngestStats::default(),
            ingest_marks: VecDeque::new(),
            bursts: config.bursts.clone(),
            fleet_warm_from: None,
            alerts: Alerts::default(),
            oldest_day: None,
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.days.tz
    }

    /// Cost of one event: the record's own cost, else the price table's; `None` = unpriced.
    fn cost(&mut self, event: &Event) -> (Option<f64>, CostSource) {
        // Matching a model id as people write it can take several lookups: do it once
        // per model, up to the cap (so that its report row can name its entry).
        let unmemoized;
        let matched = match self.price_memo.get(event.model.as_str()) {
            Some(matched) => matched,
            None => {
                let matched = self
                    .prices
                    .resolve(&event.model)
                    .map(|(key, price)| (Arc::from(key), price.clone()));
                if self.price_memo.len() < MAX_MODELS {
                    self.price_memo
                        .entry(event.model.clone())
                        .or_insert(matched)
                } else {
                    unmemoized = matched;
                    &unmemoized
                }
            }
        };
        if event.flags.no_cost {
            return (Some(0.0), CostSource::Record);
        }
        if let Some(cost) = event.record_cost_usd {
            return (Some(cost), CostSource::Record);
        }
        match matched {
            Ok((key, price)) => (
                Some(price.cost(&event.tokens)),
                CostSource::Table(key.clone()),
            ),
            Err(reason) => (None, CostSource::Unpriced(*reason)),
        }
    }

    /// The shared copy of a model name.
    fn model(&mut self, name: &str) -> Arc<str> {
        if let Some(model) = self.models.get(name) {
            return model.clone();
        }
        let model: Arc<str> = Arc::from(name);
        self.models.insert(model.clone());
        model
    }

    /// The row an event counts in: the first matching rule's name, else the raw identity.
    fn identity_index(&mut self, event: &Event) -> usize {
        let rule_index = self.mapping.rule_for(event);
        let rule = rule_index.and_then(|r| self.mapping.rule(r));
        let mapped = rule.and_then(|r| r.name.as_deref());
        let key = mapped.unwrap_or(event.identity.as_str());
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let (name, rule) = if self.identities.len() >= MAX_IDENTITIES {
            self.stats.folded += 1;
            (OTHER_IDENTITY, None)
        } else {
            (key, rule)
        };
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.identities.len();
        let kind = rule.and_then(|r| r.kind).unwrap_or(event.identity_kind);
        let mut stats = IdentityStats::new(name, kind, event.format, event.time);
        stats.rule = rule.and(rule_index);
        let (team, labels) = match rule {
            Some(r) => (r.team.as_deref(), r.labels.as_slice()),
            None => (None, &[][..]),
        };
        self.budgets.add_identity(i, name, team, labels);
        self.identities.push(stats);
        self.index.insert(name.to_string(), i);
        i
    }

    /// Counts one event at its own time (or at most [`MAX_SKEW_MS`] past the clock).
    pub fn ingest(&mut self, event: &Event) {
        // A request left out as implausible leaves no trace but `ingest.implausible`.
        let ahead = self.now > 0 && event.time > self.now + MAX_SKEW_MS;
        let clamped;
        let event = if ahead {
            clamped = Event {
                time: self.now + MAX_SKEW_MS,
                ..event.clone()
            };
            &clamped
        } else {
            event
        };
        let grown;
        let event = match (&event.cumulative, &event.attrs.session) {
            (Some(total), Some(session)) => {
                grown = Event {
                    tokens: self.running_totals.growth(session, total, &event.tokens),
                    ..event.clone()
                };
                &grown
            }
            _ => event,
        };
        let (cost, cost_source) = self.cost(event);
        if cost.is_some_and(|c| !plausible::cost_is_plausible(c)) {
            self.stats.implausible += 1;
            return;
        }
        if ahead {
            self.stats.future += 1;
        }
        if let (Some(total), Some(session)) = (&event.cumulative, &event.attrs.session) {
            self.running_totals.take_in(session, total, self.now);
        }
        self.stats.events += 1;
        let renamed;
        let event = if self.models.len() >= MAX_MODELS && !self.models.contains(&*event.model) {
            renamed = Event {
                model: OTHER_MODEL.into(),
                ..event.clone()
            };
            &renamed
        } else {
            event
        };
        let usage = Usage::request(&event.tokens, cost);
        let who = self.identity_index(event);
        let day = self.days.day(event.time);
        self.note_activity(who, event);

        let model = self.model(&event.model);
        let decision = self.copies.offer(event, &model, who, day, &usage);
        match &decision {
            Decision::New => {
                self.apply(Sign::Add, who, event.time, day, &event.model, &usage);
                self.identities[who].apply_kind(Sign::Add, event.kind, &usage);
            }
            Decision::Replaces(old) => {
                self.stats.copies_merged += 1;
                self.apply(
                    Sign::Sub,
                    old.identity,
                    old.time,
                    old.day,
                    &old.model,
                    &old.usage,
                );
                self.identities[old.identity].apply_kind(Sign::Sub, old.kind, &old.usage);
                self.apply(Sign::Add, who, event.time, day, &event.model, &usage);
                self.identities[who].apply_kind(Sign::Add, event.kind, &usage);
                if let Some(key) = event.dedup_key {
                    self.recharge_tools(key, old, who, &usage);
                }
            }
            Decision::Smaller | Decision::Seen => self.stats.copies_merged += 1,
        }
        for done in self.copies.let_go(self.now) {
            self.record_distribution(done.identity, &done.usage, None);
        }

        let new_tools = match decision {
            Decision::Seen => Vec::new(),
            _ => self.copies.new_tools(event),
        };
        let key = event.dedup_key;
        // A larger copy under another identity (a resumed session) moves the entry there.
        let moved = match (&decision, key) {
            (Decision::Replaces(old), Some(key)) if old.identity != who => {
                self.identities[old.identity].recent.take(key)
            }
            _ => None,
        };
        let recent = &mut self.identities[who].recent;
        match decision {
            Decision::New | Decision::Replaces(_) => recent.upsert(
                key,
                RecentEvent::of(event, model, cost, cost_source),
                new_tools.iter().copied(),
                moved,
            ),
            Decision::Smaller => recent.add_tools(key, new_tools.iter().copied()),
            Decision::Seen => {}
        }
        if !new_tools.is_empty() {
            let calls = Usage::tool_calls(new_tools.len() as u64);
            // The cost of the response as counted now (a smaller copy: the counted one's).
            let response_cost = match key.and_then(|k| self.copies.counted(k)) {
                Some(counted) if counted.usage.unpriced_requests == 0 => {
                    Some(counted.usage.cost_usd)
                }
                Some(_) => None,
                None => cost,
            };
            self.identities[who].apply(Sign::Add, event.time, day, &event.model, &calls);
            self.global
                .apply(Sign::Add, event.time, day, &event.model, &calls);
            for (i, tool) in new_tools.iter().enumerate() {
                // A response is charged to a tool once, however many calls and copies.
                let first = match key {
                    Some(key) => self.copies.first_charge(key, &tool.name),
                    None => !new_tools[..i].iter().any(|t| t.name == tool.name),
                };
                let share = response_cost.filter(|_| first);
                let id = &mut self.identities[who];
                id.record_tool(&tool.name, tool.mcp_server.as_deref(), event.time, share);
            }
        }

        if let Some(done) = self.copies.finished(event, who, &usage) {
            self.record_distribution(done.identity, &done.usage, event.latency_ms);
        }
    }

    /// A larger copy changed a response's cost: the tools already charged it follow (on
    /// the identity that now counts it; a copy that moved identity leaves them be).
    fn recharge_tools(&mut self, key: DedupKey, old: &Counted, who: usize, usage: &Usage) {
        let priced = old.usage.unpriced_requests == 0 && usage.unpriced_requests == 0;
        if old.identity != who || !priced {
            return;
        }
        let diff = usage.cost_usd - old.usage.cost_usd;
        if diff == 0.0 {
            return;
        }
        let copies = &self.copies;
        for (name, tool) in self.identities[who].tools.iter_mut() {
            if copies.charged(key, name) {
                tool.cost_usd = (tool.cost_usd + diff).max(0.0);
            }
        }
    }

    /// First and last seen, raw fields, units, and a line for a minute whose baseline is
    /// already worked out (it is worked out again at the next `advance`).
    fn note_activity(&mut self, who: usize, event: &Event) {
        let minute = event.time.div_euclid(MINUTE_MS);
        let id = &mut self.identities[who];
        if minute < self.now.div_euclid(MINUTE_MS) {
            id.detector.mark_stale();
        }
        if let Some(key) = unit_key(&event.attrs) {
            id.units.see(key, event.time);
        }
        id.last_seen = id.last_seen.max(event.time);
        id.first_seen = id.first_seen.min(event.time);
        id.warm.see(event.time);
        id.attrs.clone_from(&event.attrs);
    }

    fn apply(&mut self, sign: Sign, who: usize, time: TimeMs, day: Date, model: &str, u: &Usage) {
        self.oldest_day = Some(self.oldest_day.map_or(day, |d| d.min(day)));
        self.identities[who].apply(sign, time, day, model, u);
        self.global.apply(sign, time, day, model, u);
        self.budgets.apply(sign, who, time, model, u);
    }

    fn record_distribution(&mut self, who: usize, usage: &Usage, latency_ms: Option<u64>) {
        let id = &mut self.identities[who];
        id.input_tokens.record(usage.all_input());
        id.output_tokens.record(usage.output);
        if let Some(ms) = latency_ms {
            id.latency_ms.record(ms);
        }
    }

    /// Moves the engine's clock: settles responses that stopped changing, keeps the
    /// ingest rate, and runs the burst detector (alerts start and end here).
    pub fn advance(&mut self, now: TimeMs) {
        self.now = now;
        for done in self.copies.settle(now - SETTLE_MS) {
            self.record_distribution(done.identity, &done.usage, None);
        }
        self.copies.expire(now);
        self.running_totals.forget_idle(now);
        self.forget_old_days(now);
        self.ingest_marks.push_back((now, self.stats.events));
        while self
            .ingest_marks
            .front()
            .is_some_and(|&(t, _)| t < now - INGEST_RATE_WINDOW_MS)
        {
            self.ingest_marks.pop_front();
        }
        self.detect();
        let budgets = self.budgets();
        self.observe_budgets(&budgets);
    }

    /// Drops the identities' sums of days past the retention horizon: only today's is
    /// shown. The global sums by day stay (one entry a day), for `report --by day`.
    fn forget_old_days(&mut self, now: TimeMs) {
        let cutoff = self.days.day(now.saturating_sub(RETENTION_MS));
        if self.oldest_day.is_none_or(|d| d >= cutoff) {
            return;
        }
        for id in &mut self.identities {
            id.by_day = id.by_day.split_off(&cutoff);
        }
        self.oldest_day = Some(cutoff);
    }

    /// Settles every pending response: for reports, once all input has been read.
    pub fn finish(&mut self) {
        for done in self.copies.settle(TimeMs::MAX) {
            self.record_distribution(done.identity, &done.usage, None);
        }
    }

    pub fn now(&self) -> TimeMs {
        self.now
    }

    /// Every configured budget at the engine's `now`, in config order.
    pub fn budgets(&self) -> Vec<BudgetState> {
        self.budgets
            .states(self.now, &|who| self.identities[who].name.clone())
    }

    /// How much a long run holds on to.
    pub fn retained(&self) -> Retained {
        Retained {
            whole: self.copies.whole(),
            fingerprints: self.copies.fingerprints(),
            identity_days: self.identities.iter().map(|id| id.by_day.len()).sum(),
            priced_models: self.price_memo.len(),
            running_sessions: self.running_totals.sessions(),
        }
    }

    pub fn stats(&self) -> IngestStats {
        self.stats
    }

    fn ingest_rate(&self) -> f64 {
        match (self.ingest_marks.front(), self.ingest_marks.back()) {
            (Some(&(t0, n0)), Some(&(t1, n1))) if t1 > t0 => {
                (n1 - n0) as f64 * 1000.0 / (t1 - t0) as f64
            }
            _ => 0.0,
        }
    }
}
