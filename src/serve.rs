//! `tokentop serve`: the monitor's sources, engine and alert outputs with no terminal,
//! and its numbers for Prometheus on `/metrics` (plus `/healthz`). The engine runs on its
//! own thread, as in the monitor; the HTTP side only ever reads what it last published.

pub mod counters;
pub mod expose;
pub mod http;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use self::counters::Counters;
use self::expose::Exposition;
use crate::access::Token;
use crate::alert_out::AlertOut;
use crate::config::Config;
use crate::engine::Engine;
use crate::event::TimeMs;
use crate::live::{Keeper, Outbox, Readers, Sources, start_sources, wall_clock};
use crate::pricing::PriceTable;
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::source::provider::ProviderStatus;
use crate::source::{CHANNEL_CAPACITY, Feed};

/// The engine moves its clock, and `/metrics` changes, this often.
const TICK_PERIOD: Duration = Duration::from_secs(1);
/// On shutdown, alerts still queued for the file or the command get this long to go out.
const SINKS_GRACE: Duration = Duration::from_secs(1);

pub struct ServeOptions {
    pub sources: Sources,
    pub listen: SocketAddr,
    /// The bearer token `/metrics` and `/healthz` require (`None`: loopback, no token).
    pub token: Option<Token>,
    pub config: Config,
    pub prices: Arc<PriceTable>,
    pub tz: jiff::tz::TimeZone,
    pub sinks: AlertOut,
}

/// One source as `/healthz` says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceState {
    pub name: String,
    /// `None`: readable.
    pub error: Option<String>,
    pub detail: String,
}

/// What the engine thread last published.
#[derive(Clone, Debug, Default)]
pub struct Published {
    pub exposition: Exposition,
    pub sources: Vec<SourceState>,
    /// The alert outputs (`--alerts-file`, `--on-alert`): shown, but not sources.
    pub sinks: Vec<SourceState>,
}

impl Published {
    /// Whether `/healthz` answers 503: there are sources and none of them can be read.
    pub fn unreadable(&self) -> bool {
        !self.sources.is_empty() && self.sources.iter().all(|s| s.error.is_some())
    }
}

/// Runs until SIGINT or SIGTERM: sources into the engine thread, its publications onto
/// HTTP. Prints the address it listens on (port 0 picks a free one) to stderr.
pub async fn run(options: ServeOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| anyhow::anyhow!("--listen {}: {e}", options.listen))?;
    let (tx, feeds) = std::sync::mpsc::sync_channel::<Feed>(CHANNEL_CAPACITY);
    let mut engine = Engine::with_config(options.prices, options.tz, &options.config);
    engine.set_home(std::env::var("HOME").ok());
    engine.keep_journal();
    let (readers, kept) = start_sources(options.sources, &Origins::default(), &mut engine, &tx)?;
    drop(tx);
    let (published_tx, published) = watch::channel(Arc::new(Published::default()));
    let thread = EngineThread {
        engine,
        counters: Counters::new(options.config.serve.max_label_values),
        health: BTreeMap::new(),
        providers: BTreeMap::new(),
        sinks: options.sinks,
        sink_health: Vec::new(),
        readers,
        clock: wall_clock,
        out: published_tx,
        learnt: kept.keeper.as_ref().map(Keeper::outbox),
    };
    let engine_thread = std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || thread.run(&feeds))?;
    eprintln!(
        "tokentop: serving /metrics and /healthz on http://{}",
        listener.local_addr()?
    );
    let app = http::router(published, options.token);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    // Dropping the server drops the last receiver: the engine thread sees it and ends.
    tokio::task::spawn_blocking(move || engine_thread.join())
        .await?
        .map_err(|_| anyhow::anyhow!("the engine thread panicked"))?;
    if let Some(keeper) = kept.keeper {
        keeper.finish(SINKS_GRACE);
    }
    Ok(())
}

/// SIGINT or SIGTERM.
async fn shutdown() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

struct EngineThread {
    engine: Engine,
    counters: Counters,
    /// The latest health of each source, by path.
    health: BTreeMap<String, SourceHealth>,
    providers: BTreeMap<String, ProviderStatus>,
    sinks: AlertOut,
    sink_health: Vec<SourceHealth>,
    readers: Readers,
    clock: fn() -> TimeMs,
    out: watch::Sender<Arc<Published>>,
    /// Where the tools identities call for the first time go, to be kept (`None`: no store).
    learnt: Option<Outbox>,
}

impl EngineThread {
    /// Ingests what comes, and once a tick moves the clock, hands alerts to the sinks and
    /// publishes; ends when nobody reads what it publishes.
    fn run(mut self, feeds: &Receiver<Feed>) {
        let mut next_tick = Instant::now();
        loop {
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + TICK_PERIOD;
                if !self.tick() {
                    break;
                }
            }
            match feeds.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
                Ok(Feed::Events(events)) => {
                    events.iter().for_each(|e| self.engine.ingest(e));
                    // Taken batch by batch, so that a backfill never piles up changes.
                    self.counters.take(self.engine.take_journal());
                }
                Ok(Feed::Health(health)) => {
                    for h in health {
                        self.health.insert(h.path.clone(), h);
                    }
                }
                Ok(Feed::Provider(update)) => self.engine.apply_provider(update),
                Ok(Feed::ProviderStatus(status)) => {
                    let name = status.provider.map_or("provider", |p| p.name());
                    self.providers.insert(name.to_string(), status);
                }
                Ok(Feed::Nudge) | Err(RecvTimeoutError::Timeout) => {}
                // Every source has ended (stdin closed): keep serving what was counted.
                Err(RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(next_tick.saturating_duration_since(Instant::now()))
                }
            }
        }
        self.sinks.shutdown(SINKS_GRACE);
        if let Some(mut learnt) = self.learnt.take() {
            learnt.send_learnt(&mut self.engine);
            learnt.flush();
        }
    }

    /// One tick; false once nobody reads what is published.
    fn tick(&mut self) -> bool {
        let now = (self.clock)();
        self.engine.advance(now);
        if let Some(learnt) = &mut self.learnt {
            learnt.send_learnt(&mut self.engine);
        }
        let alerts = self.engine.take_alert_events();
        self.counters.alerts(&alerts);
        self.sinks.send(&alerts);
        if let Some(sinks) = self.sinks.health() {
            self.sink_health = sinks;
        }
        self.counters.take(self.engine.take_journal());
        let health: Vec<SourceHealth> = self.health.values().cloned().collect();
        let open = self.engine.snapshot(None).alerts;
        let exposition = self
            .counters
            .exposition(&self.engine.budgets(), &open, &health, now);
        let published = Published {
            exposition,
            sources: self.source_states(),
            sinks: self
                .sink_health
                .iter()
                .map(|h| state_of(h, false))
                .collect(),
        };
        self.out.send(Arc::new(published)).is_ok()
    }

    /// Each source's state for `/healthz`.
    fn source_states(&self) -> Vec<SourceState> {
        let ended = self.readers.all_finished();
        let mut states: Vec<SourceState> =
            self.health.values().map(|h| state_of(h, ended)).collect();
        states.extend(self.providers.iter().map(|(name, s)| SourceState {
            name: name.clone(),
            error: s.health.last_error.clone(),
            detail: format!("{} pages, {} requests", s.health.pages, s.health.requests),
        }));
        states
    }
}

/// A source's (or a sink's) health as `/healthz` says it; `ended`: every reader has.
fn state_of(h: &SourceHealth, ended: bool) -> SourceState {
    SourceState {
        name: h.path.clone(),
        error: h.last_error.clone(),
        detail: format!(
            "{} files, {} lines, {} events, {} rejected{}",
            h.files,
            h.lines,
            h.events,
            h.rejected_lines(),
            if h.finished || ended { ", ended" } else { "" }
        ),
    }
}
