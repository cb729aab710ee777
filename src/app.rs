//! UI state and its one update function: every key, resize and new snapshot enters as a
//! [`Msg`]. Tests drive the app through the same `update` the loop uses.

mod alerts;
mod filter;
mod mouse;
mod pause;
mod record;
mod sources;

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crossterm::event::{KeyEvent, KeyEventKind, MouseEvent};
use ratatui::layout::Rect;

pub use self::alerts::RowAlert;
pub use self::filter::Filter;
pub use self::record::RawRecord;
use crate::engine::Snapshot;
use crate::engine::budget::BudgetLevel;
use crate::engine::recent::RecentEvent;
use crate::engine::snapshot::{IdentityDetail, IdentityRow, RateWindow, TimelineSpan, View};
use crate::event::TimeMs;
use crate::event::{DedupKey, Origin, Tokens};
use crate::keymap::{Action, action_for};
use crate::layout::{self, Hit};
use crate::source::health::SourceHealth;
use crate::source::origin::Record;

/// Shown on every source when its reader thread ends.
const SOURCES_STOPPED: &str = "the reader stopped: no new lines are read; restart tokentop";

/// What the identity table is sorted by: one key per column, in column order. Text sorts
/// A to Z and numbers highest first unless inverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Kind,
    Requests,
    Input,
    Output,
    /// Cache hit rate over the rate window; identities with no input last.
    Cache,
    /// Current $/h (then tokens/min).
    Rate,
    /// Spend today.
    Spend,
    /// Share used of the tightest budget; identities with none last.
    Budget,
    /// When the tightest budget runs out, soonest (and over) first; none last.
    Eta,
    Tools,
    /// Tokens over the sparkline's 30 minutes.
    Trend,
}

impl SortKey {
    /// Every key in column order: `s` / `S` step through it.
    pub const ALL: [SortKey; 12] = [
        SortKey::Name,
        SortKey::Kind,
        SortKey::Requests,
        SortKey::Input,
        SortKey::Output,
        SortKey::Cache,
        SortKey::Rate,
        SortKey::Spend,
        SortKey::Budget,
        SortKey::Eta,
        SortKey::Tools,
        SortKey::Trend,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Kind => "kind",
            SortKey::Requests => "req/min",
            SortKey::Input => "in/min",
            SortKey::Output => "out/min",
            SortKey::Cache => "cache%",
            SortKey::Rate => "$/h",
            SortKey::Spend => "today",
            SortKey::Budget => "budget",
            SortKey::Eta => "eta",
            SortKey::Tools => "tools/min",
            SortKey::Trend => "30-min tokens",
        }
    }

    /// Whether the uninverted order is highest first (numbers) rather than A to Z (text)
    /// or soonest first (ETA).
    fn descending(self) -> bool {
        !matches!(self, SortKey::Name | SortKey::Kind | SortKey::Eta)
    }

    /// Whether the key's column is only shown when there are budgets.
    fn needs_budgets(self) -> bool {
        matches!(self, SortKey::Budget | SortKey::Eta)
    }

    /// The key `step` columns away, wrapping around, skipping the budget columns when
    /// they are not shown.
    fn step(self, step: isize, budgets: bool) -> SortKey {
        let n = Self::ALL.len() as isize;
        let mut at = Self::ALL.iter().position(|&k| k == self).unwrap_or(0) as isize;
        loop {
            at = (at + step).rem_euclid(n);
            let key = Self::ALL[at as usize];
            if budgets || !key.needs_budgets() {
                return key;
            }
        }
    }

    /// The uninverted order of two rows by this key alone.
    fn compare(self, a: &IdentityRow, b: &IdentityRow) -> Ordering {
        let (ra, rb) = (&a.rates, &b.rates);
        match self {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Kind => a.kind.label().cmp(b.kind.label()),
            SortKey::Requests => rb.requests_per_min.total_cmp(&ra.requests_per_min),
            SortKey::Input => rb.input_per_min.total_cmp(&ra.input_per_min),
            SortKey::Output => rb.output_per_min.total_cmp(&ra.output_per_min),
            SortKey::Cache => {
                let rate = |r: &IdentityRow| r.rates.cache_hit_rate.unwrap_or(-1.0);
                rate(b).total_cmp(&rate(a))
            }
            SortKey::Rate => rb
                .cost_per_hour
                .total_cmp(&ra.cost_per_hour)
                .then(rb.tokens_per_min().total_cmp(&ra.tokens_per_min())),
            SortKey::Spend => b.today.cost_usd.total_cmp(&a.today.cost_usd),
            SortKey::Budget => {
                let share = |r: &IdentityRow| r.budget.as_ref().map_or(-1.0, |b| b.percent);
                share(b).total_cmp(&share(a))
            }
            SortKey::Eta => {
                let eta = |r: &IdentityRow| match &r.budget {
                    Some(b) if b.level == BudgetLevel::Over => TimeMs::MIN,
                    Some(b) => b.exhausted_at.unwrap_or(TimeMs::MAX),
                    None => TimeMs::MAX,
                };
                eta(a).cmp(&eta(b))
            }
            SortKey::Tools => rb.tool_calls_per_min.total_cmp(&ra.tool_calls_per_min),
            SortKey::Trend => {
                let sum = |r: &IdentityRow| r.trend.iter().sum::<u64>();
                sum(b).cmp(&sum(a))
            }
        }
    }
}

/// What tells one of an identity's recent events from the others as snapshots come: a
/// response's dedup key (its entry is updated in place as larger copies arrive), else its
/// time, line and tokens (time alone is not enough: two requests in one millisecond, or
/// logs stamped to the second).
#[derive(Clone, Copy, Debug, PartialEq)]
enum EventKey {
    Response(DedupKey),
    Request {
        time: TimeMs,
        origin: Option<Origin>,
        tokens: Tokens,
    },
}

impl EventKey {
    fn of(e: &RecentEvent) -> Self {
        match e.key {
            Some(key) => EventKey::Response(key),
            None => EventKey::Request {
                time: e.time,
                origin: e.origin,
                tokens: e.tokens,
            },
        }
    }
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Snapshot(Box<Snapshot>),
    Health(Vec<SourceHealth>),
    /// The source readers ended (they never should while the app runs).
    SourcesStopped,
    /// The line behind an event, read back for its popup (or why it could not be).
    Record {
        origin: Origin,
        time: TimeMs,
        result: Result<Record, String>,
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
    pub snapshot: Snapshot,
    pub sources: Vec<SourceHealth>,
    pub sort: SortKey,
    pub reverse: bool,
    /// Indices into `snapshot.identities` that pass the filter, in display order.
    pub order: Vec<usize>,
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
    /// The identity whose detail panel is open; the loop asks the engine for its detail.
    focus: Option<String>,
    pub quit: bool,
    /// The alerts pane under the table is shown.
    pub alerts_pane: bool,
    /// The full-screen alert list is open.
    alert_list: bool,
    /// Position in `snapshot.alerts` of the selected alert, and its id, so the selection
    /// stays on it as newer alerts arrive above.
    alert_cursor: usize,
    alert_cursor_id: Option<u64>,
    /// Alerts the viewer acknowledged (only ids still in the snapshot are kept).
    acknowledged: BTreeSet<u64>,
    /// The alert state of each row of `snapshot.identities`, worked out per snapshot.
    row_alerts: Vec<Option<RowAlert>>,
    /// The help overlay is open: it takes the keys until closed.
    help: bool,
    /// Which identities the table shows; applied in `resort`.
    filter: Filter,
    /// The filter prompt is open, with what has been typed.
    prompt: Option<String>,
    /// The window the overview's rates are averaged over.
    pub window: RateWindow,
    /// The span of the identity view's timeline.
    pub span: TimelineSpan,
    /// Position in the identity view's recent events of the selected one, and what tells
    /// that event apart, so the cursor stays on it as newer events arrive above.
    event_cursor: usize,
    event_cursor_key: Option<EventKey>,
    /// The event whose popup is open: held here, so that it stays on screen even when
    /// newer requests push it out of the identity's latest (a backfill does that within
    /// a frame), and updated while it is listed.
    event_popup: Option<RecentEvent>,
    /// Whether the popup's event is still among the identity's latest (at the cursor).
    popup_listed: bool,
    /// The raw record last fetched for the popup.
    record: Option<record::Fetched>,
    /// Paused: new snapshots are not shown (see `pause`).
    frozen: Option<pause::Frozen>,
    /// The sources view is open, scrolled down this many lines.
    sources_scroll: Option<usize>,
    /// The terminal's area: lists are paged, the sources view scrolls and the mouse is
    /// hit-tested in it.
    area: Rect,
    /// The last left press and when: a second on the same thing soon after is a
    /// double-click.
    last_click: Option<(Hit, i64)>,
}

impl App {
    pub fn new(title: String, snapshot: Snapshot) -> Self {
        let mut app = App {
            title,
            snapshot,
            sources: Vec::new(),
            sort: SortKey::Spend,
            reverse: false,
            order: Vec::new(),
            selected: 0,
            table_top: 0,
            selected_name: None,
            focus: None,
            quit: false,
            alerts_pane: false,
            alert_list: false,
            alert_cursor: 0,
            alert_cursor_id: None,
            acknowledged: BTreeSet::new(),
            row_alerts: Vec::new(),
            help: false,
            filter: Filter::default(),
            prompt: None,
            window: RateWindow::default(),
            span: TimelineSpan::default(),
            event_cursor: 0,
            event_cursor_key: None,
            event_popup: None,
            popup_listed: false,
            record: None,
            frozen: None,
            sources_scroll: None,
            area: Rect::default(),
            last_click: None,
        };
        app.resort();
        app.mark_rows();
        app
    }

    pub fn selected_row(&self) -> Option<&IdentityRow> {
        self.order
            .get(self.selected)
            .and_then(|&i| self.snapshot.identities.get(i))
    }

    /// The identity whose detail panel is open.
    pub fn focus(&self) -> Option<&str> {
        self.focus.as_deref()
    }

    /// What the snapshot must hold for the screens as they are now.
    pub fn view(&self) -> View<'_> {
        View {
            focus: self.focus.as_deref(),
            window: self.window,
            span: self.span,
        }
    }

    /// Position of the selected event in the identity view's recent events.
    pub fn event_cursor(&self) -> usize {
        self.event_cursor
    }

    /// The event whose popup is open.
    pub fn event_popup(&self) -> Option<&RecentEvent> {
        self.event_popup.as_ref()
    }

    /// Whether the popup's event is still among the identity's latest requests (at the
    /// cursor); when not, the popup shows it as it was last listed.
    pub fn popup_listed(&self) -> bool {
        self.popup_listed
    }

    /// The open panel's data, once a snapshot for the focused identity has arrived.
    pub fn detail(&self) -> Option<&IdentityDetail> {
        let focus = self.focus.as_deref()?;
        self.snapshot
            .detail
            .as_ref()
            .filter(|d| d.row.name == focus)
    }

    /// Whether the table shows the highest (or Z) first, for the ▼/▲ marker.
    pub fn sort_descending(&self) -> bool {
        self.sort.descending() != self.reverse
    }

    /// Applies one message; returns whether the screen needs a redraw.
    pub fn update(&mut self, msg: Msg) -> bool {
        match msg {
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
            Msg::Snapshot(_) if !self.takes_snapshot() => false,
            Msg::Snapshot(snapshot) => {
                self.snapshot = *snapshot;
                let alerts = &self.snapshot.alerts;
                self.acknowledged
                    .retain(|id| alerts.iter().any(|a| a.id == *id));
                self.resort();
                self.follow_alert_cursor();
                self.follow_event_cursor();
                self.mark_rows();
                true
            }
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
        }
    }

    /// Whether the help overlay is open.
    pub fn help_open(&self) -> bool {
        self.help
    }

    fn act(&mut self, action: Action) {
        if self.help {
            // Over the help, keys only close it (or quit), so nothing moves unseen.
            match action {
                Action::Help | Action::Close => self.help = false,
                Action::Quit => self.quit = true,
                _ => {}
            }
            return;
        }
        if action == Action::Help {
            self.help = true;
            return;
        }
        if self.sources_scroll.is_some() && self.act_on_sources(action) {
            return;
        }
        if self.alert_list && self.act_on_alert_list(action) {
            return;
        }
        if action == Action::NextWindow {
            match self.focus {
                Some(_) => self.span = self.span.next(),
                None => self.window = self.window.next(),
            }
            return;
        }
        if self.focus.is_some() && self.act_on_identity(action) {
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
                self.reverse = self.sort == key && !self.reverse;
                self.sort = key;
                self.resort();
            }
            Action::NextSort | Action::PreviousSort => {
                let step = if action == Action::NextSort { 1 } else { -1 };
                self.sort = self.sort.step(step, !self.snapshot.budgets.is_empty());
                self.reverse = false;
                self.resort();
            }
            Action::ReverseSort => {
                self.reverse = !self.reverse;
                self.resort();
            }
            Action::ToggleDetail => self.open_identity(),
            Action::Close => self.focus = None,
            Action::ToggleAlertPane => {
                // The pane takes rows from the table: the selection stays in sight.
                self.alerts_pane = !self.alerts_pane;
                self.keep_in_view();
            }
            Action::Acknowledge => self.acknowledge_selected_row(),
            Action::ToggleAlertList => {
                self.alert_list = true;
                self.move_alert_cursor(self.alert_cursor);
            }
            // Handled above, before any screen sees the key.
            Action::Help | Action::NextWindow => {}
            Action::Filter => self.open_prompt(),
            Action::Pause => self.toggle_pause(),
            Action::ToggleSources => self.sources_scroll = Some(0),
        }
    }

    /// Keys of the identity view: moving goes through its recent events, Enter opens the
    /// selected one, Esc closes the popup and then the view. Returns whether it was taken.
    fn act_on_identity(&mut self, action: Action) -> bool {
        let count = self.detail().map_or(0, |d| d.recent.len());
        let last = count.saturating_sub(1);
        let page = self.page();
        // A held popup event has left the list at its end: it sits just past the last one,
        // so moving up reaches the oldest listed event and there is nothing below it.
        let held = self.event_popup.is_some() && !self.popup_listed;
        let at = if held { count } else { self.event_cursor };
        let downward = matches!(action, Action::Down | Action::PageDown | Action::Bottom);
        if held
            && (downward
                || (count == 0 && matches!(action, Action::Up | Action::PageUp | Action::Top)))
        {
            return true;
        }
        let to = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => (at + 1).min(last),
            Action::PageUp => at.saturating_sub(page),
            Action::PageDown => (at + page).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::ToggleDetail if self.event_popup.is_some() => {
                self.close_popup();
                return true;
            }
            Action::ToggleDetail => {
                self.move_event_cursor(at);
                self.open_popup();
                return true;
            }
            Action::Close if self.event_popup.is_some() => {
                self.close_popup();
                return true;
            }
            Action::Close => {
                self.focus = None;
                return true;
            }
            _ => return false,
        };
        self.move_event_cursor(to);
        if self.event_popup.is_some() {
            self.open_popup();
        }
        true
    }

    /// Opens (or moves) the popup on the event at the cursor, if there is one.
    fn open_popup(&mut self) {
        let event = self.detail().and_then(|d| d.recent.get(self.event_cursor));
        self.event_popup = event.cloned();
        self.popup_listed = self.event_popup.is_some();
    }

    fn move_event_cursor(&mut self, to: usize) {
        self.event_cursor = to;
        self.event_cursor_key = self
            .detail()
            .and_then(|d| d.recent.get(to))
            .map(EventKey::of);
    }

    /// Keeps the event cursor on its event when newer ones arrive (at the top with no
    /// popup open, it stays at the top: the newest event). An open popup never changes
    /// event under the reader: it follows its event while listed, and holds on to it
    /// once newer requests have pushed it out.
    fn follow_event_cursor(&mut self) {
        let Some(recent) = self.detail().map(|d| &d.recent) else {
            self.reset_events();
            return;
        };
        let popup = self.event_popup.is_some();
        let found = match &self.event_cursor_key {
            Some(key) if popup || self.event_cursor > 0 => {
                recent.iter().position(|e| EventKey::of(e) == *key)
            }
            _ => None,
        };
        let last = recent.len().saturating_sub(1);
        match found {
            Some(at) => {
                self.move_event_cursor(at);
                if popup {
                    self.open_popup();
                }
            }
            // The held event is kept, and so is its key: the cursor only stays in range.
            None if popup => {
                self.event_cursor = self.event_cursor.min(last);
                self.popup_listed = false;
            }
            None => self.move_event_cursor(if self.event_cursor == 0 {
                0
            } else {
                self.event_cursor.min(last)
            }),
        }
    }

    /// Forgets the identity view's cursor and popup: for another identity.
    fn reset_events(&mut self) {
        (self.event_cursor, self.event_cursor_key) = (0, None);
        self.close_popup();
    }

    /// Closes the popup and forgets its record: opened again, it is read again (a file
    /// that could not be read may be readable by then).
    fn close_popup(&mut self) {
        (self.event_popup, self.record) = (None, None);
    }

    /// Opens the identity view of the selected row, on its newest event.
    fn open_identity(&mut self) {
        self.focus = self.selected_row().map(|r| r.name.clone());
        self.reset_events();
    }

    /// Moves the selection; an open panel follows it to the newly selected identity.
    fn select(&mut self, position: usize) {
        self.selected = position;
        self.keep_in_view();
        self.selected_name = self.selected_row().map(|r| r.name.clone());
        if self.focus.is_some() && self.focus != self.selected_name {
            self.focus.clone_from(&self.selected_name);
            self.reset_events();
        }
    }

    fn resort(&mut self) {
        let rows = &self.snapshot.identities;
        let mut order: Vec<usize> = (0..rows.len())
            .filter(|&i| self.filter.matches(&rows[i]))
            .collect();
        let key = self.sort;
        order.sort_by(|&a, &b| {
            key.compare(&rows[a], &rows[b])
                .then(rows[a].name.cmp(&rows[b].name))
        });
        if self.reverse {
            order.reverse();
        }
        self.order = order;
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
