//! UI state and its one update function: every key, resize and new snapshot enters as a
//! [`Msg`]. Tests drive the app through the same `update` the loop uses.

mod acks;
mod alerts;
mod attention;
mod filter;
mod findings;
mod identity;
mod incident;
mod mouse;
mod pages;
mod panel;
mod pause;
mod providers;
mod record;
mod screen;
mod sort;

use std::collections::BTreeSet;
use std::sync::Arc;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};
use jiff::tz::TimeZone;
use ratatui::layout::Rect;

pub use self::acks::{AckChange, FindingKey};
use self::alerts::AlertCursor;
pub use self::alerts::RowAlert;
pub use self::attention::{RERANK_MS, Ranking};
pub use self::filter::Filter;
pub use self::incident::{IncidentAsk, Notice, Written};
pub use self::panel::Dimension;
pub use self::providers::{ProviderState, provider_degraded, provider_name};
pub use self::record::RawRecord;
use self::screen::{Page, Screen};
pub use self::sort::{Arranged, SortKey, TableOrder};
use crate::engine::Snapshot;
use crate::engine::snapshot::{IdentityRow, RateWindow, TimelineSpan, TotalsRange, View};
use crate::event::{Origin, TimeMs};
use crate::keymap::{self, Action, action_for};
use crate::layout::{self, Hit};
use crate::replay::controls::Status as ReplayStatus;
use crate::source::health::SourceHealth;
use crate::source::origin::Record;
use crate::source::provider::ProviderStatus;

/// Shown on every source when its reader thread ends.
const SOURCES_STOPPED: &str = "the reader stopped: no new lines are read; restart tokentop";

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// A snapshot to show; the table is sorted for it here.
    Snapshot(Arc<Snapshot>),
    /// A snapshot with the table's order already worked out (by the engine thread), used
    /// when it was worked out by the sort and filter in effect.
    Arranged(Arc<Snapshot>, Arranged),
    Health(Vec<SourceHealth>),
    /// A polled provider's health, replacing its earlier report.
    ProviderStatus(ProviderStatus),
    /// The source readers ended (they never should while the app runs).
    SourcesStopped,
    /// The line behind an event, read back for its popup (or why it could not be).
    Record {
        origin: Origin,
        time: TimeMs,
        result: Result<Record, String>,
    },
    /// The incident report `E` asked for, written (its files) or not (why), by the loop.
    Incident {
        identity: String,
        result: Result<Written, String>,
    },
    /// The terminal's area, at start and after a resize: what the sources view scrolls
    /// in and mouse events are hit-tested against.
    Area(Rect),
    /// A mouse event, at `at_ms` on a monotonic millisecond clock the loop keeps (for
    /// double-clicks; tests pass their own times).
    Mouse {
        event: MouseEvent,
        at_ms: i64,
    },
}

#[derive(Debug)]
pub struct App {
    /// What is being watched, for the title ("demo", or the paths).
    pub title: String,
    pub snapshot: Arc<Snapshot>,
    pub sources: Vec<SourceHealth>,
    /// The polled providers' health, one each.
    pub providers: Vec<ProviderStatus>,
    /// The sort and filter the table is arranged by.
    ordered_by: TableOrder,
    /// Indices into `snapshot.identities` that pass the filter, in display order.
    pub order: Vec<usize>,
    /// Under `attention`, the ranking the order keeps to until it is due again.
    ranking: Option<Ranking>,
    /// Position in `order` of the selected row.
    pub selected: usize,
    /// Position in `order` of the first row the table shows: it moves only as far as
    /// keeps the selection in view, so a click does not scroll the row away.
    table_top: usize,
    /// The identity the user moved the selection to, so the selection follows it across
    /// re-sorts. `None` until the user moves: the selection then stays on the top row while
    /// the first snapshots fill and re-sort the table (it must not cling to whichever
    /// identity happened to come first).
    selected_name: Option<String>,
    /// The screen up, with its own state, and the screens under it.
    screen: Screen,
    pub quit: bool,
    /// The viewer's choice of the alerts pane (`a`), once made: until then the pane opens
    /// by itself (see `layout::alerts::pane`).
    alerts_pane: Option<bool>,
    /// Alerts the viewer acknowledged (only ids still in the snapshot are kept).
    acknowledged: BTreeSet<u64>,
    /// Findings acknowledged by kind and subject, in this run or an earlier one.
    findings: acks::AcknowledgedFindings,
    /// The alert state of each row of `snapshot.identities`, worked out per snapshot.
    row_alerts: Vec<Option<RowAlert>>,
    /// The filter prompt is open, with what has been typed.
    prompt: Option<String>,
    /// The side panel has the keys, with its cursor (see `panel`).
    panel: Option<usize>,
    /// The window the overview's rates are averaged over.
    pub window: RateWindow,
    /// The days the overview's totals column sums (`t`).
    pub range: TotalsRange,
    /// The span of the identity view's timeline.
    pub span: TimelineSpan,
    /// Paused: new snapshots are not shown (see `pause`).
    frozen: Option<pause::Frozen>,
    /// The terminal's area: lists are paged, the sources view scrolls and the mouse is
    /// hit-tested in it.
    area: Rect,
    /// The last left press and when: a second on the same thing soon after is a
    /// double-click.
    last_click: Option<(Hit, i64)>,
    /// The snapshot's time zone, resolved (see `providers`).
    zone: TimeZone,
    /// `E`'s report: asked for, being written, and what the status line says of it.
    incidents: incident::Incidents,
    /// Replaying history: where the cursor is and how it plays (`None`: live).
    replay: Option<ReplayStatus>,
}

impl App {
    pub fn new(title: String, snapshot: Snapshot) -> Self {
        let mut app = App {
            title,
            snapshot: Arc::new(snapshot),
            sources: Vec::new(),
            providers: Vec::new(),
            ordered_by: TableOrder::default(),
            order: Vec::new(),
            ranking: None,
            selected: 0,
            table_top: 0,
            selected_name: None,
            screen: Screen::Overview,
            quit: false,
            alerts_pane: None,
            acknowledged: BTreeSet::new(),
            findings: Default::default(),
            row_alerts: Vec::new(),
            prompt: None,
            panel: None,
            window: RateWindow::default(),
            range: TotalsRange::default(),
            span: TimelineSpan::default(),
            frozen: None,
            area: Rect::default(),
            last_click: None,
            zone: TimeZone::UTC,
            incidents: Default::default(),
            replay: None,
        };
        app.follow_time_zone();
        app.arrange(None);
        app.mark_rows();
        app
    }

    pub fn selected_row(&self) -> Option<&IdentityRow> {
        self.order
            .get(self.selected)
            .and_then(|&i| self.snapshot.identities.get(i))
    }

    /// What the snapshot must hold for the screens as they are now.
    pub fn view(&self) -> View<'_> {
        View {
            focus: self.focus(),
            window: self.window,
            span: self.span,
            range: self.range,
        }
    }

    /// What the table is sorted by.
    pub fn sort(&self) -> SortKey {
        self.ordered_by.sort
    }

    /// Whether the table shows the highest (or Z) first, for the ▼/▲ marker.
    pub fn sort_descending(&self) -> bool {
        self.ordered_by.descending()
    }

    /// The sort and filter in effect: what the engine thread arranges its snapshots by.
    pub fn table_order(&self) -> &TableOrder {
        &self.ordered_by
    }

    /// The attention ranking the table keeps to, handed to the engine thread so that its
    /// orders keep to it too.
    pub fn ranking(&self) -> Option<&Ranking> {
        self.ranking.as_ref()
    }

    /// Applies one message; returns whether the screen needs a redraw.
    pub fn update(&mut self, msg: Msg) -> bool {
        match msg {
            // A notice stays until the next key.
            Msg::Key(key) if key.kind == KeyEventKind::Press && self.incidents.notice.is_some() => {
                self.incidents.notice = None;
                self.update(Msg::Key(key));
                true
            }
            Msg::Key(key) if key.kind == KeyEventKind::Press && self.prompt.is_some() => {
                self.edit_prompt(key);
                true
            }
            Msg::Key(key) if key.kind == KeyEventKind::Press => match action_for(&key) {
                Some(action) => {
                    self.act(action);
                    true
                }
                None => false,
            },
            Msg::Key(_) => false,
            Msg::Snapshot(snapshot) => self.show(snapshot, None),
            Msg::Arranged(snapshot, arranged) => self.show(snapshot, Some(arranged)),
            Msg::Health(reports) => {
                // Each reader reports its own sources: replace those, keep the others.
                let mut changed = false;
                for report in reports {
                    match self.sources.iter_mut().find(|s| s.path == report.path) {
                        Some(known) if *known == report => continue,
                        Some(known) => *known = report,
                        None => self.sources.push(report),
                    }
                    changed = true;
                }
                changed
            }
            Msg::ProviderStatus(status) => {
                match self
                    .providers
                    .iter_mut()
                    .find(|p| p.provider == status.provider)
                {
                    Some(known) if *known == status => return false,
                    Some(known) => *known = status,
                    None => self.providers.push(status),
                }
                true
            }
            Msg::Record {
                origin,
                time,
                result,
            } => self.take_record(origin, time, result),
            Msg::SourcesStopped => {
                for source in self.sources.iter_mut().filter(|s| !s.finished) {
                    source.last_error = Some(SOURCES_STOPPED.to_string());
                }
                true
            }
            Msg::Area(area) => {
                let changed = area != self.area;
                self.area = area;
                self.keep_in_view();
                changed
            }
            Msg::Mouse { event, at_ms } => self.mouse(event, at_ms),
            Msg::Incident { identity, result } => {
                self.incident_written(&identity, result);
                true
            }
        }
    }

    /// The replay's cursor and controls, when replaying.
    pub fn replay(&self) -> Option<&ReplayStatus> {
        self.replay.as_ref()
    }

    /// Shows the replay's state; returns whether it changed.
    pub fn set_replay(&mut self, status: ReplayStatus) -> bool {
        let changed = self.replay.as_ref() != Some(&status);
        self.replay = Some(status);
        changed
    }

    /// Whether the help overlay is open.
    pub fn help_open(&self) -> bool {
        matches!(self.screen, Screen::Help(_))
    }

    /// The screen the status line describes.
    pub fn screen(&self) -> keymap::Screen {
        self.screen.status()
    }

    /// One key: the screen up takes it first; what it leaves acts on the table.
    fn act(&mut self, action: Action) {
        let taken = match self.screen {
            // Over the help, keys only close it (or quit), so nothing moves unseen.
            Screen::Help(_) => {
                match action {
                    Action::Help | Action::Close => self.screen.close(),
                    Action::Quit => self.quit = true,
                    _ => {}
                }
                true
            }
            _ if action == Action::Help => {
                self.screen.open(Screen::Help);
                true
            }
            _ if action == Action::IncidentReport => {
                self.ask_incident();
                true
            }
            Screen::Page { .. } => self.act_on_page(action),
            Screen::Alerts { .. } => self.act_on_alert_list(action),
            Screen::Overview => self.act_on_panel(action),
            Screen::Identity(_) => false,
        };
        if taken {
            return;
        }
        if action == Action::NextWindow {
            match self.focus() {
                Some(_) => self.span = self.span.next(),
                None => self.window = self.window.next(),
            }
            return;
        }
        if self.act_on_identity(action) {
            return;
        }
        let last = self.order.len().saturating_sub(1);
        let page = self.page();
        match action {
            Action::Quit => self.quit = true,
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => self.select((self.selected + 1).min(last)),
            Action::PageUp => self.select(self.selected.saturating_sub(page)),
            Action::PageDown => self.select((self.selected + page).min(last)),
            Action::Top => self.select(0),
            Action::Bottom => self.select(last),
            Action::Sort(key) => {
                let by = &mut self.ordered_by;
                by.reverse = by.sort == key && !by.reverse;
                by.sort = key;
                self.arrange(None);
            }
            Action::NextSort | Action::PreviousSort => {
                let step = if action == Action::NextSort { 1 } else { -1 };
                let by = &mut self.ordered_by;
                let filled = &self.snapshot.filled;
                by.sort = by
                    .sort
                    .step(step, |key| layout::identity_table::is_filled(key, filled));
                by.reverse = false;
                self.arrange(None);
            }
            Action::NextRange => self.range = self.range.next(),
            Action::TogglePanel => self.toggle_panel(),
            Action::ReverseSort => {
                self.ordered_by.reverse = !self.ordered_by.reverse;
                self.arrange(None);
            }
            // Only the table is up here: the other screens took these.
            Action::ToggleDetail => self.focus_on(self.selected_row().map(|r| r.name.clone())),
            Action::Close => {}
            Action::ToggleAlertPane => self.toggle_alert_pane(),
            Action::Acknowledge => self.acknowledge_selected_row(),
            Action::ToggleAlertList => {
                let cursor = AlertCursor::at(&self.snapshot.alerts, 0);
                self.screen.open(|under| Screen::Alerts {
                    cursor,
                    popup: false,
                    under,
                });
            }
            // Handled above, before any screen sees the key; `[` `]` and `f` only act in
            // the identity view.
            Action::Help
            | Action::NextWindow
            | Action::PreviousEvent
            | Action::NextEvent
            | Action::ToggleFindings
            | Action::IncidentReport => {}
            Action::Filter => self.open_prompt(),
            Action::Pause => self.toggle_pause(),
            Action::ToggleSources => self.open_page(Page::Sources),
            Action::ToggleProviders => self.open_page(Page::Providers),
        }
    }

    /// Moves the selection; an open panel follows it to the newly selected identity.
    fn select(&mut self, position: usize) {
        self.selected = position;
        self.keep_in_view();
        self.selected_name = self.selected_row().map(|r| r.name.clone());
        if self.focus().is_some() && self.focus() != self.selected_name.as_deref() {
            self.focus_on(self.selected_name.clone());
        }
    }

    /// Shows a snapshot that arrived (unless paused); returns whether it was taken.
    fn show(&mut self, snapshot: Arc<Snapshot>, arranged: Option<Arranged>) -> bool {
        if !self.takes_snapshot() {
            return false;
        }
        self.snapshot = snapshot;
        self.follow_time_zone();
        self.follow_acknowledged();
        self.arrange(arranged);
        self.follow_alert_cursor();
        self.follow_event_cursor();
        self.follow_panel_cursor();
        self.mark_rows();
        true
    }

    /// Puts the table in order: the order handed over when it was worked out by the sort
    /// and filter in effect, otherwise sorted here. The selection follows its identity.
    fn arrange(&mut self, arranged: Option<Arranged>) {
        if self.ordered_by.acknowledged != self.acknowledged {
            self.ordered_by.acknowledged = self.acknowledged.clone();
        }
        let arranged = match arranged {
            Some(arranged) if arranged.by == self.ordered_by => arranged,
            _ => self
                .ordered_by
                .arrange(&self.snapshot, self.ranking.as_ref()),
        };
        self.order = arranged.order;
        self.ranking = arranged.ranking;
        let found = self.selected_name.as_ref().and_then(|name| {
            self.order
                .iter()
                .position(|&i| &self.snapshot.identities[i].name == name)
        });
        self.selected = found.unwrap_or(self.selected.min(self.order.len().saturating_sub(1)));
        if found.is_none() && self.selected_name.is_some() {
            // The chosen identity left the table: the selection stays where it was, on
            // whoever is there now.
            self.selected_name = self.selected_row().map(|r| r.name.clone());
        }
        self.keep_in_view();
    }

    /// After an acknowledgement or its taking back: `attention` ranks again at once and the
    /// rows are marked anew.
    fn acknowledged_changed(&mut self) {
        self.arrange(None);
        self.mark_rows();
    }

    /// The first row the table shows (the view keeps the selection in view whatever
    /// this says, should fewer rows fit than the app reckoned).
    pub fn table_top(&self) -> usize {
        self.table_top
    }

    /// The rows PgUp/PgDn move: what is in sight of the list on screen.
    fn page(&self) -> usize {
        layout::page_rows(self, self.area)
    }

    /// Scrolls the table just enough to show the selection.
    fn keep_in_view(&mut self) {
        let rows = layout::table_rows(self, self.area).max(1);
        let lowest = (self.selected + 1).saturating_sub(rows);
        self.table_top = self.table_top.clamp(lowest, self.selected);
    }
}
