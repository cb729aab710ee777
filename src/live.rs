//! The live monitor's loop: one `select!` over terminal input, the engine thread's snapshots
//! and reports, a render tick and signals. The engine runs on its own thread
//! (`engine_thread`), fed by the sources; views only ever see the latest snapshot.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use jiff::tz::TimeZone;
use ratatui::DefaultTerminal;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

pub use self::engine_thread::Readers;
use self::engine_thread::{EngineLink, Report, Start, Wanted};

use crate::alert_out::AlertOut;
use crate::app::{App, Msg};
use crate::config::Config;
use crate::engine::Engine;
use crate::engine::alerts::{AlertEvent, Change, Severity};
use crate::engine::snapshot::TotalsRange;
use crate::event::TimeMs;
use crate::pricing::PriceTable;
use crate::source::discover::SourceSpec;
use crate::source::origin::Origins;
use crate::source::{CHANNEL_CAPACITY, Feed};
use crate::theme::Theme;
use crate::ui;

mod engine_thread;
mod incident_writer;
mod keeper;
mod record_fetch;
mod sources;

pub use incident_writer::IncidentWriter;
pub use keeper::{Keep, Keeper, Kept, Outbox, restore};
pub use record_fetch::{RecordFetch, fetch_record};
pub use sources::{Sources, start_sources};

/// On quit, alerts still queued for the file or the command get this long to go out.
const SINKS_GRACE: Duration = Duration::from_secs(1);
/// Redraws happen on this tick, and only when something changed: at most 10 frames a second
/// (a key's frame is drawn at once).
/// The engine thread advances its clock on the same period.
const TICK_PERIOD: Duration = Duration::from_millis(100);

/// Where the live monitor's events come from.
pub enum Input {
    Demo,
    Paths(Vec<SourceSpec>),
}

pub struct LiveOptions {
    /// Where events come from: logs or the demo, providers, OTLP.
    pub sources: Sources,
    pub title: String,
    /// The totals column's first range (`--since`).
    pub range: TotalsRange,
    pub tz: TimeZone,
    /// Identity names, teams and budgets.
    pub config: Config,
    pub prices: Arc<PriceTable>,
    /// Where alerts go besides the screen (started before the terminal is taken over, so
    /// that a bad path fails cleanly).
    pub sinks: AlertOut,
    /// Ring the terminal bell when a critical alert starts.
    pub bell: bool,
    /// Colours, already resolved from `--theme` and `NO_COLOR`.
    pub theme: Theme,
    /// Where `E` writes incident reports (`--incident-dir`).
    pub incident_dir: PathBuf,
}

/// The wall clock, in the engine's unit. The only place live mode reads the time.
pub fn wall_clock() -> TimeMs {
    jiff::Timestamp::now().as_millisecond()
}

/// Hands the app a snapshot at the engine's `now`, with the detail of the identity the app
/// has in focus.
pub fn refresh(engine: &Engine, app: &mut App) {
    let snapshot = engine.snapshot_with(&app.view());
    app.update(Msg::Snapshot(Arc::new(snapshot)));
}

/// Applies one message as the loop does: when it changes what the snapshot must hold (the
/// identity in focus, the rate window, the timeline's span), a fresh snapshot follows at
/// once, so the screen never waits for the next tick or shows another identity; so does
/// resuming from a pause, which jumps to now. Returns whether the screen needs a redraw.
/// The loop does the same through the engine thread (`engine_thread`); this runs the engine
/// in place, for tests.
pub fn update(engine: &Engine, app: &mut App, msg: Msg) -> bool {
    let before = Wanted::of(app);
    let dirty = app.update(msg);
    if Wanted::of(app).needs_snapshot_after(&before) {
        refresh(engine, app);
        return true;
    }
    dirty
}

/// `update` through the engine thread: the loop's way.
async fn update_live(link: &mut EngineLink, app: &mut App, msg: Msg) -> bool {
    let before = Wanted::of(app);
    let dirty = app.update(msg);
    link.follow(app, &before).await || dirty
}

/// Whether any of these changes is a critical alert starting: what the bell is for.
pub fn rings_bell(events: &[AlertEvent]) -> bool {
    events
        .iter()
        .any(|e| e.change == Change::Started && e.alert.severity == Severity::Critical)
}

pub async fn run(terminal: &mut DefaultTerminal, options: LiveOptions) -> anyhow::Result<()> {
    let mut sinks = options.sinks;
    let (tx, feeds) = std::sync::mpsc::sync_channel::<Feed>(CHANNEL_CAPACITY);
    // Where each event's line is: fetched by the event popup.
    let origins = Origins::default();
    // `E`'s reports read the same logs again, with the same config.
    let incidents = Arc::new(IncidentWriter::new(
        &options.sources,
        &options.config,
        &options.tz,
        &options.prices,
        options.incident_dir,
    ));
    let mut engine = Engine::with_config(options.prices, options.tz, &options.config);
    engine.set_home(std::env::var("HOME").ok());
    let (readers, kept) = start_sources(options.sources, &origins, &mut engine, &tx)?;
    engine.advance(wall_clock());
    let mut app = App::new(options.title, engine.snapshot(None));
    app.range = options.range;
    app.restore_acknowledged(kept.acknowledged);
    refresh(&engine, &mut app);
    let theme = options.theme;
    let size = terminal.size()?;
    let area = Rect::new(0, 0, size.width, size.height);
    app.update(Msg::Area(area));
    let first = Arc::clone(&app.snapshot);
    let mut link = engine_thread::spawn(Start {
        engine,
        feeds: (tx, feeds),
        readers,
        wanted: Wanted::of(&app),
        first,
        clock: wall_clock,
        learnt: kept.keeper.as_ref().map(Keeper::outbox),
    })?;
    // Acknowledgements of findings, kept as they are made.
    let mut acks = kept.keeper.as_ref().map(Keeper::outbox);

    let mut keys = EventStream::new();
    // Times mouse events for double-clicks: monotonic, as the wall clock may jump.
    let clock = Instant::now();
    let mut tick = tokio::time::interval(TICK_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    // Ctrl-C arrives as a key in raw mode; this catches `kill -INT` from elsewhere.
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut dirty = true;
    // Raw records read for the event popup, and the one being read.
    let (fetched_tx, mut fetched_rx) = mpsc::channel::<Msg>(1);
    let mut fetching = RecordFetch::default();
    // Incident reports written for `E`.
    let (written_tx, mut written_rx) = mpsc::channel::<Msg>(1);

    while !app.quit {
        // Keys (drawn at once) and signals first, then a due frame, then what the engine
        // thread sent.
        tokio::select! {
            biased;
            key = keys.next() => {
                match key {
                    Some(Ok(TermEvent::Key(key))) => dirty |= update_live(&mut link, &mut app, Msg::Key(key)).await,
                    Some(Ok(TermEvent::Resize(w, h))) => {
                        let area = Rect::new(0, 0, w, h);
                        app.update(Msg::Area(area));
                        dirty = true;
                    }
                    Some(Ok(TermEvent::Mouse(event))) => {
                        let at_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
                        dirty |= update_live(&mut link, &mut app, Msg::Mouse { event, at_ms }).await;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => app.quit = true,
                }
                // A key's (or a click's) frame goes out at once, not at the next tick.
                if dirty && !app.quit {
                    terminal.draw(|frame| ui::render(frame, &app, &theme))?;
                    dirty = false;
                }
            },
            _ = sigterm.recv() => app.quit = true,
            _ = sigint.recv() => app.quit = true,
            _ = tick.tick() => {
                if let Some(acks) = &mut acks {
                    acks.retry();
                }
                if let Some(health) = sinks.health() {
                    dirty |= app.update(Msg::Health(health));
                }
                if dirty {
                    terminal.draw(|frame| ui::render(frame, &app, &theme))?;
                    dirty = false;
                }
            },
            Ok(()) = link.snapshots.changed() => {
                let published = link.snapshots.borrow_and_update().clone();
                // One built for a view the screen has just left is dropped: the one for
                // the new view follows.
                if published.view.view() == app.view() {
                    dirty |= app.update(published.into_msg());
                }
            },
            Some(report) = link.reports.recv() => match report {
                Report::Alerts(alerts) => {
                    sinks.send(&alerts);
                    if options.bell && rings_bell(&alerts) {
                        // BEL between frames: the bell, never a drawn character.
                        let out = terminal.backend_mut();
                        out.write_all(b"\x07")?;
                        out.flush()?;
                    }
                }
                Report::Health(health) => dirty |= app.update(Msg::Health(health)),
                Report::ProviderStatus(status) => dirty |= app.update(Msg::ProviderStatus(status)),
                Report::SourcesStopped => dirty |= app.update(Msg::SourcesStopped),
            },
            Some(record) = fetched_rx.recv() => {
                fetching.answered(&record);
                dirty |= app.update(record);
            },
            Some(written) = written_rx.recv() => dirty |= app.update(written),
        }
        for change in app.take_ack_changes() {
            if let Some(acks) = &mut acks {
                acks.send(Keep::Ack(change));
            }
        }
        // `E` was pressed: the report is written off the loop.
        if let Some(ask) = app.take_incident_ask() {
            let (incidents, done, now) = (Arc::clone(&incidents), written_tx.clone(), wall_clock());
            tokio::task::spawn_blocking(move || {
                // The loop may have ended meanwhile: then nobody is told.
                let _ = done.blocking_send(incidents.write(&ask, now));
            });
        }
        // A popup just opened (or moved to another event): its line, read off the loop.
        if let Some(wanted) = fetching.start(app.wanted_record()) {
            let (origins, done) = (origins.clone(), fetched_tx.clone());
            tokio::task::spawn_blocking(move || {
                // The loop may have ended meanwhile: then nobody wants it.
                let _ = done.blocking_send(fetch_record(&origins, wanted));
            });
        }
    }
    sinks.shutdown(SINKS_GRACE);
    // The engine thread sends its last learnt tools and secrets as it ends, once it sees the link gone.
    drop(link);
    if let Some(acks) = acks {
        acks.flush();
    }
    if let Some(keeper) = kept.keeper {
        keeper.finish(SINKS_GRACE);
    }
    Ok(())
}
