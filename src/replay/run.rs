//! The replay's loop: the live monitor's app and views, with snapshots from the cursor's
//! engine instead of the engine thread. Keys go to the replay first (unless the filter
//! line or the help is up), then to the app as live; a tick moves the cursor while
//! playing. The one clock read is the monotonic time between ticks.

use std::time::{Duration, Instant};

use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use ratatui::layout::Rect;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::controls::Replay;
use crate::app::{App, Msg};
use crate::keymap::Screen;
use crate::live::{RecordFetch, fetch_record, refresh, update};
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::theme::Theme;
use crate::ui;

/// Redraws (when something changed) and playing steps happen on this tick.
const TICK_PERIOD: Duration = Duration::from_millis(100);

pub struct ReplayOptions {
    pub replay: Replay,
    pub title: String,
    pub sources: Vec<SourceHealth>,
    /// Where each event's line is, for the event popup.
    pub origins: Origins,
    pub theme: Theme,
}

/// Shows the engine as of the cursor, and the replay's state.
fn show(replay: &Replay, app: &mut App) {
    refresh(replay.engine(), app);
    app.set_replay(replay.status());
}

pub async fn run(terminal: &mut DefaultTerminal, options: ReplayOptions) -> anyhow::Result<()> {
    let ReplayOptions {
        mut replay,
        title,
        sources,
        origins,
        theme,
    } = options;
    let mut app = App::new(title, replay.engine().snapshot(None));
    app.update(Msg::Health(sources));
    show(&replay, &mut app);
    let size = terminal.size()?;
    app.update(Msg::Area(Rect::new(0, 0, size.width, size.height)));

    let mut keys = EventStream::new();
    let clock = Instant::now();
    let mut last_tick = Instant::now();
    let mut tick = tokio::time::interval(TICK_PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let (fetched_tx, mut fetched_rx) = mpsc::channel::<Msg>(1);
    let mut fetching = RecordFetch::default();
    let mut dirty = true;

    while !app.quit {
        tokio::select! {
            biased;
            key = keys.next() => {
                match key {
                    Some(Ok(TermEvent::Key(key))) if key.kind == KeyEventKind::Press => {
                        let replays = app.prompt().is_none() && !app.help_open();
                        if replays && replay.key(&key, app.screen() == Screen::Event) {
                            show(&replay, &mut app);
                            dirty = true;
                        } else {
                            dirty |= update(replay.engine(), &mut app, Msg::Key(key));
                        }
                    }
                    Some(Ok(TermEvent::Resize(w, h))) => {
                        dirty |= app.update(Msg::Area(Rect::new(0, 0, w, h)));
                    }
                    Some(Ok(TermEvent::Mouse(event))) => {
                        let at_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
                        dirty |= update(replay.engine(), &mut app, Msg::Mouse { event, at_ms });
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => app.quit = true,
                }
                if dirty && !app.quit {
                    terminal.draw(|frame| ui::render(frame, &app, &theme))?;
                    dirty = false;
                }
            },
            _ = sigterm.recv() => app.quit = true,
            _ = sigint.recv() => app.quit = true,
            _ = tick.tick() => {
                let now = Instant::now();
                let elapsed = now.duration_since(last_tick).as_millis();
                last_tick = now;
                // A snapshot only when the cursor moved to another grid step; stopping at
                // the end changes only the header.
                if replay.tick(u64::try_from(elapsed).unwrap_or(u64::MAX)) {
                    show(&replay, &mut app);
                    dirty = true;
                } else {
                    dirty |= app.set_replay(replay.status());
                }
                if dirty {
                    terminal.draw(|frame| ui::render(frame, &app, &theme))?;
                    dirty = false;
                }
            },
            Some(record) = fetched_rx.recv() => {
                fetching.answered(&record);
                dirty |= app.update(record);
            },
        }
        // Acknowledgements last as long as the replay: none is kept in the store.
        drop(app.take_ack_changes());
        // A popup just opened (or moved to another event): its line, read off the loop.
        if let Some(wanted) = fetching.start(app.wanted_record()) {
            let (origins, done) = (origins.clone(), fetched_tx.clone());
            tokio::task::spawn_blocking(move || {
                let _ = done.blocking_send(fetch_record(&origins, wanted));
            });
        }
    }
    // Nothing to flush: replay keeps nothing and sends no alert anywhere.
    Ok(())
}
