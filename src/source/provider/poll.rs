//! The live monitor's provider poller: one thread with a runtime of its own, polling every
//! provider side by side on the [`schedule`](super::schedule), each successful read kept
//! (`persist`) and sent to the engine as a [`Feed::Provider`] that replaces its range, and
//! after every round the provider's [`ProviderStatus`]. A refused key stops that provider
//! for good; any other failure is tried again at its next due time. It ends when the
//! engine's channel closes.

use std::cell::RefCell;
use std::io;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::http::{self, AdminKey, Attempts, Http, RetryPolicy, Sleeper};
use super::schedule::{self, Fetch, Known};
use super::{Failure, ProviderHealth, ProviderSpec, ProviderStatus, Read, ReadError};
use crate::event::TimeMs;
use crate::parse::provider::ProviderUpdate;
use crate::source::Feed;

/// The wall clock, in the engine's unit.
pub type Clock = fn() -> TimeMs;
/// Keeps what a poll read (the state store), before the engine is told.
pub type Persist = Box<dyn FnMut(&ProviderUpdate) + Send>;

/// How the poller reaches the providers: given whole by tests, which hold the keys and
/// never wait.
pub struct Polling {
    /// Each provider with its admin key (`None`: the variable is not set).
    pub jobs: Vec<(ProviderSpec, Option<AdminKey>)>,
    pub clock: Clock,
    pub policy: RetryPolicy,
    /// Waits between retries and between rounds.
    pub sleeper: Sleeper,
}

/// Polls `specs` until `tx` closes, the keys read from the environment once. `restored`
/// (read back from the state store) is sent first and spares the reads it makes recent.
pub fn spawn(
    specs: Vec<ProviderSpec>,
    tx: SyncSender<Feed>,
    clock: Clock,
    restored: Vec<ProviderUpdate>,
    persist: Persist,
) -> io::Result<JoinHandle<()>> {
    let jobs = specs
        .into_iter()
        .map(|spec| {
            let key = spec.key();
            (spec, key)
        })
        .collect();
    let polling = Polling {
        jobs,
        clock,
        policy: RetryPolicy::default(),
        sleeper: http::tokio_sleeper(),
    };
    spawn_with(polling, tx, restored, persist)
}

/// [`spawn`] with the keys, the retry policy and the sleeper given.
pub fn spawn_with(
    polling: Polling,
    tx: SyncSender<Feed>,
    restored: Vec<ProviderUpdate>,
    persist: Persist,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("providers".into())
        .spawn(move || run(polling, tx, restored, persist))
}

fn run(polling: Polling, tx: SyncSender<Feed>, restored: Vec<ProviderUpdate>, persist: Persist) {
    let Polling {
        jobs,
        clock,
        policy,
        sleeper,
    } = polling;
    let persist = RefCell::new(persist);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            for (spec, _) in &jobs {
                let why = format!("{}: cannot start its poller: {e}", spec.provider.name());
                let _ = tx.send(Feed::ProviderStatus(stopped(spec, why, 0)));
            }
            return;
        }
    };
    let mut restored = restored;
    let mut all = Vec::new();
    for (spec, key) in jobs {
        let (mine, rest): (Vec<_>, Vec<_>) = restored
            .into_iter()
            .partition(|u| u.provider == spec.provider);
        restored = rest;
        let poller = Poller {
            spec,
            key,
            clock,
            sleeper: sleeper.clone(),
            tx: &tx,
            persist: &persist,
        };
        all.push(poller.poll(policy.clone(), mine));
    }
    runtime.block_on(futures_util::future::join_all(all));
}

/// When the first round is due: now, unless what was restored spares it.
fn first_poll(now: TimeMs, interval: TimeMs, known: &Known) -> TimeMs {
    let plan = schedule::plan(now, interval, known);
    if plan.due.is_empty() { plan.next } else { now }
}

/// A provider's status once it has stopped for good.
fn stopped(spec: &ProviderSpec, why: String, restored_buckets: u64) -> ProviderStatus {
    ProviderStatus {
        provider: Some(spec.provider),
        health: ProviderHealth {
            url: spec.url.clone(),
            last_error: Some(why),
            ..ProviderHealth::default()
        },
        stopped: true,
        restored_buckets,
        ..ProviderStatus::default()
    }
}

/// The engine's channel has closed.
struct Closed;

/// One provider's polling.
struct Poller<'a> {
    spec: ProviderSpec,
    key: Option<AdminKey>,
    clock: Clock,
    sleeper: Sleeper,
    tx: &'a SyncSender<Feed>,
    persist: &'a RefCell<Persist>,
}

impl Poller<'_> {
    /// Whether the engine is still there. Blocks while its channel is full: the engine
    /// being behind is a reason to wait, for every provider alike.
    fn send(&self, feed: Feed) -> bool {
        self.tx.send(feed).is_ok()
    }

    async fn poll(self, policy: RetryPolicy, restored: Vec<ProviderUpdate>) {
        let restored_buckets = restored.iter().map(|u| u.buckets.len() as u64).sum();
        let interval = TimeMs::try_from(self.spec.interval.as_millis()).unwrap_or(TimeMs::MAX);
        let mut known = Known::restored(&restored, (self.clock)(), interval);
        for update in restored {
            if !self.send(Feed::Provider(update)) {
                return;
            }
        }
        let Some(key) = self.key.clone() else {
            let why = self.spec.missing_key();
            let _ = self.send(Feed::ProviderStatus(stopped(
                &self.spec,
                why,
                restored_buckets,
            )));
            return;
        };
        // The end of the latest retry wait, for the rate limit's end.
        let waited = Arc::new(Mutex::new(None));
        let http = match Http::new(policy, self.recording(waited.clone())) {
            Ok(http) => http,
            Err(e) => {
                let why = format!("{}: {e}", self.spec.provider.name());
                let _ = self.send(Feed::ProviderStatus(stopped(
                    &self.spec,
                    why,
                    restored_buckets,
                )));
                return;
            }
        };
        let mut status = ProviderStatus {
            provider: Some(self.spec.provider),
            health: ProviderHealth {
                url: self.spec.url.clone(),
                ..ProviderHealth::default()
            },
            next_poll: Some(first_poll((self.clock)(), interval, &known)),
            restored_buckets,
            ..ProviderStatus::default()
        };
        if !self.send(Feed::ProviderStatus(status.clone())) {
            return;
        }
        let mut tally = Attempts::default();
        loop {
            let now = (self.clock)();
            let plan = schedule::plan(now, interval, &known);
            if plan.due.is_empty() {
                let wait = u64::try_from(plan.next - now).unwrap_or(0);
                (self.sleeper)(Duration::from_millis(wait)).await;
                continue;
            }
            let limited_before = tally.rate_limited;
            let mut read = Read {
                http: &http,
                spec: &self.spec,
                key: &key,
                tally: &mut tally,
                health: &mut status.health,
            };
            let Ok(failure) = self.round(&mut read, &plan.due, &mut known).await else {
                return;
            };
            let now = (self.clock)();
            let next = schedule::plan(now, interval, &known).next.max(now);
            let h = &mut status.health;
            (h.requests, h.retries, h.rate_limited) =
                (tally.requests, tally.retries, tally.rate_limited);
            h.ok = failure.is_none();
            let kind = failure.as_ref().map(|e| e.kind);
            // Kept after a later success: the view shows the last error beside `ok`.
            if let Some(e) = failure {
                let name = self.spec.provider.name();
                h.last_error = Some(key.scrub(&format!("{name}: {e}")));
            }
            status.stopped = kind == Some(Failure::Refused);
            status.next_poll = (!status.stopped).then_some(next);
            status.rate_limited_until = match kind {
                Some(Failure::RateLimited) => Some(next),
                _ if tally.rate_limited > limited_before => {
                    *waited.lock().unwrap_or_else(|e| e.into_inner())
                }
                _ => None,
            };
            if !self.send(Feed::ProviderStatus(status.clone())) || status.stopped {
                return;
            }
        }
    }

    /// Makes the reads `due`, keeping and sending each, until one fails: those after it
    /// are put off with it. Gives the failure, or `Err` when the engine has gone.
    async fn round(
        &self,
        read: &mut Read<'_>,
        due: &[Fetch],
        known: &mut Known,
    ) -> Result<Option<ReadError>, Closed> {
        let mut failure = None;
        // Reads put off after a failure count as failed when it did, so that they are
        // tried again together with it, whatever its retries took.
        let mut failed_at = None;
        for fetch in due {
            let at = (self.clock)();
            if let Some(at) = failed_at {
                known.failed(fetch.job, at);
                continue;
            }
            let (update, result) = read
                .update(fetch.family, fetch.width, fetch.range, at)
                .await;
            match result {
                Ok(()) => {
                    known.read(fetch.job, at);
                    (self.persist.borrow_mut())(&update);
                    if !self.send(Feed::Provider(update)) {
                        return Err(Closed);
                    }
                }
                // What was read before the error must not replace its range.
                Err(e) => {
                    known.failed(fetch.job, at);
                    failed_at = Some(at);
                    failure = Some(e);
                }
            }
        }
        Ok(failure)
    }

    /// The sleeper, noting when each wait ends in `waited`.
    fn recording(&self, waited: Arc<Mutex<Option<TimeMs>>>) -> Sleeper {
        let (sleeper, clock) = (self.sleeper.clone(), self.clock);
        Arc::new(move |d| {
            let end = clock().saturating_add(TimeMs::try_from(d.as_millis()).unwrap_or(0));
            *waited.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
            sleeper(d)
        })
    }
}
