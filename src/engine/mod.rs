//! The engine: ingest normalized events at their own time, `advance(now)`, `snapshot(focus)`.
//!
//! Plain synchronous Rust with no clock, no IO and no terminal: time is always an argument,
//! so live runs, reports and tests share one deterministic core.

pub mod alerts;
pub mod budget;
pub mod budget_alerts;
pub mod burst;
mod calls;
mod copy_runs;
mod cumulative;
mod dedup;
mod detect;
pub mod entitlements;
pub mod episodes;
pub mod exposures;
mod fingerprints;
mod first_seen;
mod fleet;
pub mod hist;
pub mod identity;
pub mod incident;
mod ingest;
pub mod journal;
pub mod known_tools;
pub mod mapping;
mod model_days;
pub mod period;
pub mod policy;
pub mod providers;
pub mod recent;
pub mod responses;
mod signal;
pub mod snapshot;
pub mod tally;
pub mod units;
pub mod usage;
mod warmup;
pub mod window;

use self::policy::Policies;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use self::alerts::Alerts;
use self::budget::{BudgetState, Budgets};
use self::burst::BurstSettings;
pub use self::copy_runs::CopyRuns;
use self::cumulative::RunningTotals;
pub use self::dedup::{ACTIVE_RESPONSES, Held, RETENTION_MS};
use self::dedup::{Copies, Done};
pub use self::detect::ALL_IDENTITIES;
use self::hist::{Distributions, RequestSize};
use self::identity::{IdentityStats, Ledger, Parts, Sign};
use self::mapping::Mapping;
pub use self::snapshot::{GroupRow, IdentityDetail, IdentityRow, ModelPricing, ModelRow, Snapshot};
use self::tally::Tally;
use self::usage::Usage;
use self::window::TieredWindow;
use crate::config::Config;
use crate::event::TimeMs;
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
    /// The fleet's sizes per request and per active minute, for the header.
    dists: Distributions,
    /// Spend by model and day, for the last 30 days.
    model_days: model_days::ModelDays,
}

impl Ledger for Global {
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
    /// Claude Code and Codex tool calls counted within the retention horizon, by call id:
    /// 16 bytes each.
    pub call_ids: usize,
    /// Per-identity sums by day, over every identity.
    pub identity_days: usize,
    /// Model names whose price entry is remembered, at most [`MAX_MODELS`].
    pub priced_models: usize,
    /// Sessions whose running total is kept: those read within the retention horizon.
    pub running_sessions: usize,
    /// Slots of the rolling histograms, over every identity and the fleet: none older
    /// than a day.
    pub histogram_slots: usize,
}

#[derive(Clone)]
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
    /// `[[policy]]`: tools identities may call, and the episodes of calls outside them.
    policies: Policies,
    /// Tools new to warm identities, and the runs of their calls.
    first_seen: first_seen::FirstSeen,
    /// Secrets the identities' records exposed, once each per identity.
    exposures: exposures::Exposures,
    /// Tools identities called in earlier runs, and first calls to keep for later ones.
    known_tools: known_tools::KnownTools,
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
    /// Sums by a report's dimensions, when a report asked for them.
    tally: Option<Box<Tally>>,
    /// Cost by identity and UTC day, unfiltered, for reconciling with provider bills.
    utc_days: Option<Box<Tally>>,
    /// An incident's responses, when an incident report asked for them.
    responses: Option<Box<responses::Responses>>,
    /// Whether distributions keep every request read, not only the last day's.
    whole_range: bool,
    /// Whether identities keep no recent events (a report lists none).
    no_recent: bool,
    /// This machine's home folder, written `~` in the projects' paths shown.
    home: Option<String>,
    /// What the providers' usage and cost reports said, apart from the logs' totals.
    providers: providers::Providers,
    /// Changes to the sums since the caller last took them (`None`: not kept).
    journal: Option<Vec<journal::Entry>>,
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
            policies: Policies::new(config.policies.clone()),
            first_seen: first_seen::FirstSeen::default(),
            exposures: exposures::Exposures::default(),
            known_tools: known_tools::KnownTools::default(),
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
            tally: None,
            utc_days: None,
            responses: None,
            whole_range: false,
            no_recent: false,
            home: None,
            providers: providers::Providers::new(
                config.identities.clone(),
                config.reconcile.clone(),
            ),
            journal: None,
        }
    }

    /// Sums what is ingested from now on by `tally`'s dimensions too (`report --by`).
    pub fn keep_tally(&mut self, tally: Tally) {
        self.tally = Some(Box::new(tally));
    }

    pub fn tally(&self) -> Option<&Tally> {
        self.tally.as_deref()
    }

    /// Keeps the responses an incident report lists, from now on (`incident`).
    pub fn keep_responses(&mut self, responses: responses::Responses) {
        self.responses = Some(Box::new(responses));
    }

    pub fn responses(&self) -> Option<&responses::Responses> {
        self.responses.as_deref()
    }

    /// This machine's home folder (the caller reads it): projects under it are shown as
    /// `~/dev/payments-api`.
    pub fn set_home(&mut self, home: Option<String>) {
        self.home = home.filter(|h| !h.is_empty() && h != "/");
    }

    /// Sums what is ingested from now on by identity and UTC day as well: provider reports
    /// have UTC days whatever the report's time zone.
    pub fn keep_utc_days(&mut self) {
        let dims = vec![tally::Dimension::Identity, tally::Dimension::Day];
        let tally = Tally::new(dims, tally::Filter::default(), TimeZone::UTC);
        self.utc_days = Some(Box::new(tally));
    }

    pub fn utc_days(&self) -> Option<&Tally> {
        self.utc_days.as_deref()
    }

    /// Takes a provider poll's answer in place of what was known for its range.
    pub fn apply_provider(&mut self, update: crate::parse::provider::ProviderUpdate) {
        self.providers.apply(update);
    }

    /// Takes in the tools identities called in earlier runs (the state store's): a warm
    /// identity calling one of them later than its first call raises no `new_tool`, even
    /// when this run never saw it called. From now on, first calls are kept for
    /// [`Engine::take_learnt_tools`].
    pub fn know_tools(&mut self, tools: impl IntoIterator<Item = known_tools::KnownTool>) {
        self.known_tools.know(tools);
    }

    /// The tools identities called for the first time (as far as is known) since the last
    /// call, to be kept for later runs; none unless [`Engine::know_tools`] was called.
    pub fn take_learnt_tools(&mut self) -> Vec<known_tools::KnownTool> {
        self.known_tools.take_learnt()
    }

    /// Takes in the secrets identities exposed in earlier runs (the state store's): one of
    /// them seen again later than its first sighting raises no `secret` alert, even when
    /// this run never saw it before. From now on, first sightings are kept for
    /// [`Engine::take_learnt_secrets`].
    pub fn know_secrets(&mut self, secrets: impl IntoIterator<Item = exposures::SeenSecret>) {
        self.exposures.know(secrets);
    }

    /// The secrets identities exposed for the first time (as far as is known) since the
    /// last call, to be kept for later runs; none unless [`Engine::know_secrets`] was called.
    pub fn take_learnt_secrets(&mut self) -> Vec<exposures::SeenSecret> {
        self.exposures.take_learnt()
    }

    /// Keeps every change to what is counted from now on, for [`Engine::take_journal`].
    pub fn keep_journal(&mut self) {
        self.journal.get_or_insert_with(Vec::new);
    }

    /// The changes kept since the last call (none unless [`Engine::keep_journal`]).
    pub fn take_journal(&mut self) -> Vec<journal::Entry> {
        self.journal
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn note(&mut self, entry: impl FnOnce(&Self) -> journal::Entry) {
        if self.journal.is_some() {
            let entry = entry(self);
            self.journal.get_or_insert_with(Vec::new).push(entry);
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.days.tz
    }

    fn apply(&mut self, sign: Sign, who: usize, time: TimeMs, day: Date, model: &str, u: &Usage) {
        self.oldest_day = Some(self.oldest_day.map_or(day, |d| d.min(day)));
        self.note(|e| journal::Entry::Usage {
            add: sign == Sign::Add,
            identity: e.identities[who].name.clone(),
            model: model.to_string(),
            usage: *u,
        });
        if sign == Sign::Add {
            let model = self.model(model);
            self.identities[who].used(&model);
        }
        self.identities[who].apply(sign, time, day, model, u);
        self.global.apply(sign, time, day, model, u);
        self.global.model_days.apply(sign, day, model, u.cost_usd);
        self.budgets.apply(sign, who, time, model, u);
    }

    /// A finished response goes into its identity's and the fleet's distributions, at the
    /// time of the copy counted.
    fn record_distribution(&mut self, done: &Done, latency_ms: Option<u64>) {
        // A metric point is many requests' usage: it has no request's size.
        if done.usage.requests == 0 {
            return;
        }
        let size = RequestSize {
            input: done.usage.all_input(),
            output: done.usage.output,
            tool_calls: u64::from(done.tool_calls),
            latency_ms,
        };
        self.note(|e| journal::Entry::Request {
            identity: e.identities[done.identity].name.clone(),
            size,
        });
        let whole = self.whole_range;
        let id = &mut self.identities[done.identity];
        id.dists.record_request(done.time, &size, whole);
        self.global.dists.record_request(done.time, &size, whole);
    }

    /// Also keeps every request's sizes past the rolling day, for a report over its whole
    /// range (`--since/--until`); a live run does not.
    pub fn keep_whole_range(&mut self) {
        self.whole_range = true;
    }

    /// Keeps no identity's recent events: a report lists none, and keeping them is a
    /// twentieth of the work per event.
    pub fn skip_recent(&mut self) {
        self.no_recent = true;
    }

    /// Moves the engine's clock: settles responses that stopped changing, keeps the
    /// ingest rate, and runs the burst detector (alerts start and end here).
    pub fn advance(&mut self, now: TimeMs) {
        self.now = now;
        for done in self.copies.settle(now - SETTLE_MS) {
            self.record_distribution(&done, None);
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
        self.refresh_providers(now);
        let budgets = self.budgets();
        self.observe_budgets(&budgets);
        self.observe_providers();
        self.observe_tools();
    }

    /// Drops the identities' sums of days older than the longest totals range (30 calendar
    /// days, today included): the overview's column sums no more. The global sums by day
    /// stay (one entry a day), for `report --by day`.
    fn forget_old_days(&mut self, now: TimeMs) {
        let kept = snapshot::TotalsRange::ThirtyDays.days().unwrap_or(1) - 1;
        let today = self.days.day(now);
        let cutoff = today
            .checked_sub(jiff::Span::new().days(kept))
            .unwrap_or(today);
        if self.oldest_day.is_none_or(|d| d >= cutoff) {
            return;
        }
        for id in &mut self.identities {
            id.by_day = id.by_day.split_off(&cutoff);
        }
        self.global.model_days.forget_before(cutoff);
        self.oldest_day = Some(cutoff);
    }

    /// Settles every pending response: for reports, once all input has been read.
    pub fn finish(&mut self) {
        for done in self.copies.settle(TimeMs::MAX) {
            self.record_distribution(&done, None);
        }
        if let Some(responses) = &mut self.responses {
            responses.finish();
        }
    }

    pub fn now(&self) -> TimeMs {
        self.now
    }

    /// When the secret a `secret` alert is about was last seen by its identity.
    pub fn secret_last_seen(&self, alert: &alerts::Alert) -> Option<TimeMs> {
        let note = alert.secret.as_ref()?;
        let who = *self.index.get(alert.identities.first()?.as_str())?;
        let print = crate::secrets::Fingerprint::from_hex(&note.fingerprint)?;
        self.exposures.last_seen(who, print)
    }

    /// Whether any alert is open: its end needs the clock to keep moving.
    pub fn any_alert_open(&self) -> bool {
        self.alerts.any_open()
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
            call_ids: self.copies.call_ids(),
            identity_days: self.identities.iter().map(|id| id.by_day.len()).sum(),
            priced_models: self.price_memo.len(),
            running_sessions: self.running_totals.sessions(),
            histogram_slots: self.global.dists.slots()
                + self
                    .identities
                    .iter()
                    .map(|id| id.dists.slots())
                    .sum::<usize>(),
        }
    }

    pub fn stats(&self) -> IngestStats {
        self.stats
    }

    /// Keeps every finding a headless run reads (calls outside a policy, new tools,
    /// secrets, unattributed spend), not only the alerts' bounded history.
    pub fn keep_findings(&mut self) {
        self.alerts.keep_findings();
    }

    /// The findings among the alerts, open and ended, oldest first, their reasons naming a
    /// Claude Code project by its path as the snapshot's alerts do.
    pub fn findings(&self) -> Vec<alerts::Alert> {
        self.with_paths(self.alerts.findings())
    }

    /// Findings past the caps ([`alerts::MAX_FINDINGS`] ended alerts,
    /// [`exposures::MAX_EXPOSURES`] secrets), left out of what is listed.
    pub fn findings_dropped(&self) -> u64 {
        self.alerts.findings_dropped() + self.exposures.dropped
    }

    /// Every secret exposed, once per identity (by name), with its fingerprint and first
    /// sighting, oldest first.
    pub fn exposures(&self) -> Vec<(&str, crate::secrets::Fingerprint, &exposures::Sighting)> {
        self.exposures
            .all()
            .into_iter()
            .map(|(who, print, sighting)| (self.identities[who].name.as_str(), print, sighting))
            .collect()
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
