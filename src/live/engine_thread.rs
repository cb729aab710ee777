//! The engine on its own thread, so that ingesting a backfill, building a snapshot and
//! sorting the table (tens of ms at 10,000 identities) never keep a key waiting. Sources
//! feed it through one bounded channel; the loop says which view it shows and how the table
//! is ordered (`Wanted`, latest wins) and nudges the thread through the same channel; the
//! thread publishes the latest snapshot for it, with the table's order worked out, which the
//! loop takes when it arrives, and hands over alerts and health.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::{mpsc, watch};

use crate::app::{App, Arranged, Msg, Ranking, TableOrder};
use crate::engine::alerts::AlertEvent;
use crate::engine::snapshot::{RateWindow, TimelineSpan, TotalsRange, View};
use crate::engine::{Engine, Snapshot};
use crate::event::TimeMs;
use crate::source::Feed;
use crate::source::health::SourceHealth;
use crate::source::provider::ProviderStatus;

use super::TICK_PERIOD;
use super::keeper::Outbox;

/// What the screen needs the snapshot to hold, owned so that it can cross to the thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub focus: Option<String>,
    pub window: RateWindow,
    pub span: TimelineSpan,
    pub range: TotalsRange,
    /// How the table is sorted and filtered.
    pub table: TableOrder,
    /// The attention ranking the screen keeps to (the thread's own or one the app made
    /// after a key), so the thread's orders keep to it too.
    pub ranking: Option<Ranking>,
    /// Paused, the screen keeps its snapshot: ticks build none for it.
    pub paused: bool,
}

impl Wanted {
    pub fn of(app: &App) -> Self {
        Self {
            focus: app.focus().map(str::to_string),
            window: app.window,
            span: app.span,
            range: app.range,
            table: app.table_order().clone(),
            ranking: app.ranking().cloned(),
            paused: app.paused(),
        }
    }

    pub fn view(&self) -> View<'_> {
        View {
            focus: self.focus.as_deref(),
            window: self.window,
            span: self.span,
            range: self.range,
        }
    }

    /// Whether a fresh snapshot must follow at once after `before`, before the screen is
    /// drawn again: the focus, window, span or totals range changed, or the screen resumed from a pause
    /// (which jumps to now).
    pub fn needs_snapshot_after(&self, before: &Wanted) -> bool {
        self.view() != before.view() || (before.paused && !self.paused)
    }
}

/// A snapshot and the view it was built for, so that the loop can drop one built for a view
/// it has just left, with the table's order for it.
#[derive(Clone, Debug)]
pub struct Published {
    pub view: Wanted,
    pub snapshot: Arc<Snapshot>,
    pub arranged: Arranged,
}

impl Published {
    /// The snapshot with the table's order for `view`, keeping to `ranking` while it holds.
    fn new(view: Wanted, snapshot: Arc<Snapshot>, ranking: Option<&Ranking>) -> Self {
        let arranged = view.table.arrange(&snapshot, ranking);
        Self {
            view,
            snapshot,
            arranged,
        }
    }

    /// The message that shows it.
    pub fn into_msg(self) -> Msg {
        Msg::Arranged(self.snapshot, self.arranged)
    }
}

/// The threads that read the sources, watched so that the screen can say when every one
/// has ended (they never should while the monitor runs).
#[derive(Default)]
pub struct Readers(Vec<Box<dyn Fn() -> bool + Send>>);

impl Readers {
    pub fn watch<T: Send + 'static>(&mut self, reader: JoinHandle<T>) {
        self.0.push(Box::new(move || reader.is_finished()));
    }

    /// Whether every reader watched has ended.
    pub fn all_finished(&self) -> bool {
        self.0.iter().all(|finished| finished())
    }
}

/// What the thread hands the loop besides snapshots.
#[derive(Debug)]
pub enum Report {
    Alerts(Vec<AlertEvent>),
    Health(Vec<SourceHealth>),
    ProviderStatus(ProviderStatus),
    /// Every reader thread ended.
    SourcesStopped,
}

/// The loop's ends of the thread's channels.
pub struct EngineLink {
    pub wanted: watch::Sender<Wanted>,
    /// The sources' channel, on which the loop nudges the thread to look at `wanted`.
    nudge: SyncSender<Feed>,
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
        // A full channel means the thread is busy and looks at `wanted` between batches.
        let _ = self.nudge.try_send(Feed::Nudge);
        while needed && self.snapshots.changed().await.is_ok() {
            let published = self.snapshots.borrow_and_update().clone();
            if published.view.view() == wanted.view() {
                return app.update(published.into_msg());
            }
        }
        false
    }
}

/// The engine, where its input comes from and what the loop shows first.
pub struct Start {
    pub engine: Engine,
    /// The sources' channel: its receiver, and a sender for the loop's nudges.
    pub feeds: (SyncSender<Feed>, Receiver<Feed>),
    pub readers: Readers,
    pub wanted: Wanted,
    /// The snapshot the app starts with.
    pub first: Arc<Snapshot>,
    pub clock: fn() -> TimeMs,
    /// Where the tools identities call for the first time go, to be kept (`None`: no store).
    pub learnt: Option<Outbox>,
}

/// Starts the engine thread. It ends when the loop drops its link.
pub fn spawn(start: Start) -> std::io::Result<EngineLink> {
    let Start {
        engine,
        feeds: (nudge, feeds),
        readers,
        wanted,
        first,
        clock,
        learnt,
    } = start;
    let (wanted_tx, wanted_rx) = watch::channel(wanted.clone());
    let ranking = wanted.ranking.clone();
    let (snapshots_tx, snapshots_rx) = watch::channel(Published::new(wanted, first, None));
    let (reports_tx, reports_rx) = mpsc::channel(crate::source::CHANNEL_CAPACITY);
    let mut thread = EngineThread {
        engine,
        wanted: wanted_rx,
        snapshots: snapshots_tx,
        reports: reports_tx,
        readers,
        clock,
        ranking,
        learnt,
    };
    std::thread::Builder::new()
        .name("engine".into())
        .spawn(move || {
            thread.run(&feeds);
            // The last tools learnt go out as the thread ends (the loop waits for them).
            if let Some(mut learnt) = thread.learnt.take() {
                learnt.send_learnt(&mut thread.engine);
                learnt.flush();
            }
        })?;
    Ok(EngineLink {
        wanted: wanted_tx,
        nudge,
        snapshots: snapshots_rx,
        reports: reports_rx,
    })
}

struct EngineThread {
    engine: Engine,
    wanted: watch::Receiver<Wanted>,
    snapshots: watch::Sender<Published>,
    reports: mpsc::Sender<Report>,
    readers: Readers,
    clock: fn() -> TimeMs,
    /// The attention ranking its orders keep to (see `app::attention`).
    ranking: Option<Ranking>,
    learnt: Option<Outbox>,
}

impl EngineThread {
    /// Until the loop is gone: what the loop wants first, then the tick when due, then one
    /// batch, a nudge or the next tick, whichever comes first.
    fn run(&mut self, feeds: &Receiver<Feed>) {
        let mut current = self.wanted.borrow().clone();
        let (mut ingested, mut shown_second, mut readers_ended) = (false, 0, false);
        let mut next_tick = Instant::now();
        loop {
            match self.wanted.has_changed() {
                Ok(true) => {
                    let wanted = self.wanted.borrow_and_update().clone();
                    // The app ranks again after a key (an acknowledgement): its ranking,
                    // newer than the thread's, is the one to keep to.
                    let newer =
                        |r: &Ranking| self.ranking.as_ref().is_none_or(|own| r.at >= own.at);
                    if let Some(ranking) = wanted.ranking.as_ref().filter(|r| newer(r)) {
                        self.ranking = Some(ranking.clone());
                    }
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
                    if let Some(learnt) = &mut self.learnt {
                        learnt.send_learnt(&mut self.engine);
                    }
                    let alerts = self.engine.take_alert_events();
                    if !alerts.is_empty() && !self.report(Report::Alerts(alerts)) {
                        return;
                    }
                    if !current.paused && !self.publish(&current) {
                        return;
                    }
                    (ingested, shown_second) = (false, now / 1000);
                }
                if !readers_ended && self.readers.all_finished() {
                    readers_ended = true;
                    if !self.report(Report::SourcesStopped) {
                        return;
                    }
                }
            }
            match feeds.recv_timeout(next_tick.saturating_duration_since(Instant::now())) {
                Ok(Feed::Events(events)) => {
                    events.iter().for_each(|e| self.engine.ingest(e));
                    ingested = true;
                }
                Ok(Feed::Health(health)) => {
                    if !self.report(Report::Health(health)) {
                        return;
                    }
                }
                Ok(Feed::Provider(update)) => {
                    self.engine.apply_provider(update);
                    ingested = true;
                }
                Ok(Feed::ProviderStatus(status)) => {
                    if !self.report(Report::ProviderStatus(status)) {
                        return;
                    }
                }
                // Back to the top, where `wanted` is looked at.
                Ok(Feed::Nudge) | Err(RecvTimeoutError::Timeout) => {}
                // The loop's sender is gone with its link: the loop has ended.
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// Builds and publishes the snapshot for `view`; false once the loop is gone.
    fn publish(&mut self, view: &Wanted) -> bool {
        let snapshot = Arc::new(self.engine.snapshot_with(&view.view()));
        let published = Published::new(view.clone(), snapshot, self.ranking.as_ref());
        self.ranking.clone_from(&published.arranged.ranking);
        self.snapshots.send(published).is_ok()
    }

    /// Hands the loop a report, waiting while it is behind; false once the loop is gone.
    fn report(&self, report: Report) -> bool {
        self.reports.blocking_send(report).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;
    use std::time::Duration;

    use super::*;
    use crate::app::SortKey;
    use crate::event::Event;
    use crate::parse::{LineContext, Parsed, parse_line};
    use crate::pricing::PriceTable;

    /// 2026-01-01 09:00 UTC, the time of the events below.
    const NINE: TimeMs = 1_767_258_000_000;

    fn clock() -> TimeMs {
        NINE + 30_000
    }

    fn event(identity: &str, output: u64) -> Event {
        let line = format!(
            r#"{{"tokentop":1,"ts":"2026-01-01T09:00:00Z","identity":"{identity}","model":"gpt-4o-mini","tokens":{{"input":1000,"output":{output}}}}}"#
        );
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: NINE,
        };
        match parse_line(line.as_bytes(), &ctx) {
            Parsed::Event(event) => *event,
            other => panic!("{other:?}"),
        }
    }

    fn start(readers: Readers) -> (EngineLink, SyncSender<Feed>, Runtime) {
        let engine = Engine::new(
            Arc::new(PriceTable::builtin().clone()),
            jiff::tz::TimeZone::UTC,
        );
        let first = Arc::new(engine.snapshot(None));
        let (tx, rx) = sync_channel(crate::source::CHANNEL_CAPACITY);
        let link = spawn(Start {
            engine,
            feeds: (tx.clone(), rx),
            readers,
            wanted: Wanted::default(),
            first,
            clock,
            learnt: None,
        })
        .expect("spawn");
        (link, tx, Runtime::new())
    }

    /// A runtime for the link's async ends.
    struct Runtime(tokio::runtime::Runtime);

    impl Runtime {
        fn new() -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            Self(runtime)
        }
    }

    /// Waits (up to a minute, far beyond any tick) for a snapshot that satisfies `done`.
    fn published_until(
        link: &mut EngineLink,
        rt: &Runtime,
        done: impl Fn(&Published) -> bool,
    ) -> Published {
        let wait = async {
            loop {
                link.snapshots.changed().await.expect("thread alive");
                let published = link.snapshots.borrow_and_update().clone();
                if done(&published) {
                    return published;
                }
            }
        };
        rt.0.block_on(async { tokio::time::timeout(Duration::from_secs(60), wait).await })
            .expect("a snapshot within a minute")
    }

    /// The names of a published table, in its order.
    fn names(p: &Published) -> Vec<String> {
        let rows = &p.snapshot.identities;
        p.arranged
            .order
            .iter()
            .map(|&i| rows[i].name.clone())
            .collect()
    }

    #[test]
    fn snapshots_come_with_the_table_sorted_the_way_the_screen_asks() {
        let (mut link, tx, rt) = start(Readers::default());
        let batch = vec![
            event("a-small", 10),
            event("b-large", 900),
            event("c-mid", 300),
        ];
        tx.send(Feed::Events(batch)).expect("send");
        let by_output = TableOrder {
            sort: SortKey::Output,
            ..TableOrder::default()
        };
        link.wanted.send_replace(Wanted {
            table: by_output.clone(),
            ..Wanted::default()
        });
        let _ = link.nudge.try_send(Feed::Nudge);
        let published = published_until(&mut link, &rt, |p| {
            p.snapshot.identities.len() == 3 && p.arranged.by == by_output
        });
        assert_eq!(names(&published), ["b-large", "c-mid", "a-small"]);
        let mut by_name_filtered = TableOrder {
            sort: SortKey::Name,
            ..TableOrder::default()
        };
        by_name_filtered.filter = crate::app::Filter::parse("-");
        link.wanted.send_replace(Wanted {
            table: by_name_filtered.clone(),
            ..Wanted::default()
        });
        let _ = link.nudge.try_send(Feed::Nudge);
        let published = published_until(&mut link, &rt, |p| p.arranged.by == by_name_filtered);
        assert_eq!(names(&published), ["a-small", "b-large", "c-mid"]);
    }

    /// Under `attention` the thread keeps to its ranking between publishes (here the clock
    /// stands still, so it never falls due): a row that overtakes another stays put.
    #[test]
    fn the_thread_keeps_its_attention_ranking_while_it_holds() {
        let (mut link, tx, rt) = start(Readers::default());
        tx.send(Feed::Events(vec![event("a", 900), event("b", 100)]))
            .expect("send");
        let first = published_until(&mut link, &rt, |p| p.snapshot.identities.len() == 2);
        assert_eq!(names(&first), ["a", "b"]);
        tx.send(Feed::Events(vec![event("b", 90_000)]))
            .expect("send");
        let later = published_until(&mut link, &rt, |p| p.snapshot.totals.requests == 3);
        assert_eq!(
            names(&later),
            ["a", "b"],
            "b spends more, but the ranking holds"
        );
        let at = |p: &Published| p.arranged.ranking.as_ref().map(|r| r.at);
        assert_eq!(at(&later), at(&first));
    }

    /// The loop holds a sender of the sources' channel (for its nudges), so the channel never
    /// closes: the thread tells that every reader ended from the readers themselves.
    #[test]
    fn the_screen_hears_once_every_reader_has_ended() {
        let (release, wait) = sync_channel::<()>(0);
        let reader = std::thread::spawn(move || wait.recv().ok());
        let mut readers = Readers::default();
        readers.watch(reader);
        let (mut link, _tx, rt) = start(readers);
        let next_report = |link: &mut EngineLink, within: Duration| {
            rt.0.block_on(async { tokio::time::timeout(within, link.reports.recv()).await })
        };
        // Several ticks go by with the reader alive: no word of it stopping.
        assert!(next_report(&mut link, Duration::from_millis(500)).is_err());
        release.send(()).expect("release the reader");
        let report = next_report(&mut link, Duration::from_secs(60)).expect("a report");
        assert!(matches!(report, Some(Report::SourcesStopped)), "{report:?}");
    }
}
