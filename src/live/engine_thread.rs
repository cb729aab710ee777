//! The engine on its own thread, so that ingesting a backfill and building a snapshot (tens
//! of ms at 10,000 identities) never keep a key waiting. Sources feed it through one bounded
//! channel; the loop says which view it shows (`Wanted`); the thread publishes the latest
//! snapshot for it, which the loop takes when it arrives, and hands over alerts and health.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::app::{App, Msg};
use crate::engine::alerts::AlertEvent;
use crate::engine::snapshot::{RateWindow, TimelineSpan, View};
use crate::engine::{Engine, Snapshot};
use crate::event::TimeMs;
use crate::source::Feed;
use crate::source::health::SourceHealth;

use super::TICK_PERIOD;

/// How long the thread waits for a batch before it looks again at what the loop wants: the
/// most a new focus waits for its snapshot while the sources are idle.
const WANTED_POLL: Duration = Duration::from_millis(10);

/// What the screen needs the snapshot to hold, owned so that it can cross to the thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub focus: Option<String>,
    pub window: RateWindow,
    pub span: TimelineSpan,
    /// Paused, the screen keeps its snapshot: ticks build none for it.
    pub paused: bool,
}

impl Wanted {
    pub fn of(app: &App) -> Self {
        Self {
            focus: app.focus().map(str::to_string),
            window: app.window,
            span: app.span,
            paused: app.paused(),
        }
    }

    pub fn view(&self) -> View<'_> {
        View {
            focus: self.focus.as_deref(),
            window: self.window,
            span: self.span,
        }
    }

    /// Whether a fresh snapshot must follow at once after `before`, before the screen is
    /// drawn again: the focus, window or span changed, or the screen resumed from a pause
    /// (which jumps to now).
    pub fn needs_snapshot_after(&self, before: &Wanted) -> bool {
        self.view() != before.view() || (before.paused && !self.paused)
    }
}

/// A snapshot and the view it was built for, so that the loop can drop one built for a view
/// it has just left.
#[derive(Clone, Debug)]
pub struct Published {
    pub view: Wanted,
    pub snapshot: Arc<Snapshot>,
}

/// What the thread hands the loop besides snapshots.
#[derive(Debug)]
pub enum Report {
    Alerts(Vec<AlertEvent>),
    Health(Vec<SourceHealth>),
    /// The sources' channel closed: every reader ended.
    SourcesStopped,
}

/// The loop's ends of the thread's channels.
pub struct EngineLink {
    pub wanted: watch::Sender<Wanted>,
    pub snapshots: watch::Receiver<Published>,
    pub reports: mpsc::Receiver<Report>,
}

impl EngineLink {
    /// Tells the thread what the screen needs after a message changed `before`; when that
    /// calls for a fresh snapshot, waits for it and hands it to the app, as `update` does
    /// in place (the focus, window or span never shows another's numbers). Returns whether
    /// the app took one.
    pub async fn follow(&mut self, app: &mut App, before: &Wanted) -> bool {
        let wanted = Wanted::of(app);
        if wanted == *before {
            return false;
        }
        let needed = wanted.needs_snapshot_after(before);
        self.wanted.send_replace(wanted.clone());
        while needed && self.snapshots.changed().await.is_ok() {
            let published = self.snapshots.borrow_and_update().clone();
            if published.view.view() == wanted.view() {
                return app.update(Msg::Snapshot(published.snapshot));
            }
        }
        false
    }
}

/// Starts the engine thread on `feeds`, publishing first for `wanted` (with `first`, the
/// snapshot the app starts with). The thread ends when the loop drops its link.
pub fn spawn(
    engine: Engine,
    feeds: Receiver<Feed>,
    wanted: Wanted,
    first: Arc<Snapshot>,
    clock: fn() -> TimeMs,
) -> std::io::Result<EngineLink> {
    let (wanted_tx, wanted_rx) = watch::channel(wanted.clone());
    let (snapshots_tx, snapshots_rx) = watch::channel(Published {
        view: wanted,
        snapshot: first,
    });
    let (reports_tx, reports_rx) = mpsc::channel(crate::source::CHANNEL_CAPACITY);
    let mut thread = EngineThread {
        engine,
        wanted: wanted_rx,
        snapshots: snapshots_tx,
        reports: reports_tx,
        clock,
    };
    std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || thread.run(&feeds))?;
    Ok(EngineLink {
        wanted: wanted_tx,
        snapshots: snapshots_rx,
        reports: reports_rx,
    })
}

struct EngineThread {
    engine: Engine,
    wanted: watch::Receiver<Wanted>,
    snapshots: watch::Sender<Published>,
    reports: mpsc::Sender<Report>,
    clock: fn() -> TimeMs,
}

impl EngineThread {
    /// Until the loop is gone: what the loop wants first, then the tick when due, then one
    /// batch (or a short wait for one).
    fn run(&mut self, feeds: &Receiver<Feed>) {
        let mut current = self.wanted.borrow().clone();
        let (mut ingested, mut shown_second, mut sources_open) = (false, 0, true);
        let mut next_tick = Instant::now();
        loop {
            match self.wanted.has_changed() {
                Ok(true) => {
                    let wanted = self.wanted.borrow_and_update().clone();
                    // Only pausing on the same view needs none; publishing on every other
                    // change also covers changes the watch merged (paused and resumed).
                    let needed = !wanted.paused || wanted.view() != current.view();
                    current = wanted;
                    if needed && !self.publish(&current) {
                        return;
                    }
                }
                Ok(false) => {}
                Err(_) => return,
            }
            if Instant::now() >= next_tick {
                next_tick = Instant::now() + TICK_PERIOD;
                let now = (self.clock)();
                if ingested || now / 1000 != shown_second {
                    self.engine.advance(now);
                    let alerts = self.engine.take_alert_events();
                    if !alerts.is_empty() && !self.report(Report::Alerts(alerts)) {
                        return;
                    }
                    if !current.paused && !self.publish(&current) {
                        return;
                    }
                    (ingested, shown_second) = (false, now / 1000);
                }
            }
            let wait = next_tick
                .saturating_duration_since(Instant::now())
                .min(WANTED_POLL);
            if !sources_open {
                std::thread::sleep(wait);
                continue;
            }
            match feeds.recv_timeout(wait) {
                Ok(Feed::Events(events)) => {
                    events.iter().for_each(|e| self.engine.ingest(e));
                    ingested = true;
                }
                Ok(Feed::Health(health)) => {
                    if !self.report(Report::Health(health)) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    sources_open = false;
                    if !self.report(Report::SourcesStopped) {
                        return;
                    }
                }
            }
        }
    }

    /// Builds and publishes the snapshot for `view`; false once the loop is gone.
    fn publish(&self, view: &Wanted) -> bool {
        let snapshot = Arc::new(self.engine.snapshot_with(&view.view()));
        self.snapshots
            .send(Published {
                view: view.clone(),
                snapshot,
            })
            .is_ok()
    }

    /// Hands the loop a report, waiting while it is behind; false once the loop is gone.
    fn report(&self, report: Report) -> bool {
        self.reports.blocking_send(report).is_ok()
    }
}
