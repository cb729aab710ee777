//! UI state and its one update function: every key, resize and new snapshot enters as a
//! [`Msg`]. Tests drive the app through the same `update` the loop uses.

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::engine::Snapshot;
use crate::engine::snapshot::IdentityRow;
use crate::keymap::{Action, action_for};
use crate::source::health::SourceHealth;

/// Shown on every source when its reader thread ends.
const SOURCES_STOPPED: &str = "the reader stopped: no new lines are read; restart tokentop";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Spend today, highest first.
    Spend,
    /// Current $/h (then tokens/min), highest first.
    Rate,
    /// Name, A to Z.
    Name,
}

impl SortKey {
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Spend => "spend",
            SortKey::Rate => "rate",
            SortKey::Name => "name",
        }
    }
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Snapshot(Box<Snapshot>),
    Health(Vec<SourceHealth>),
    /// Rows that fit in the table, known after a resize or draw.
    Viewport(usize),
    /// The source readers ended (they never should while the app runs).
    SourcesStopped,
}

#[derive(Debug)]
pub struct App {
    /// What is being watched, for the title ("demo", or the paths).
    pub title: String,
    pub snapshot: Snapshot,
    pub sources: Vec<SourceHealth>,
    pub sort: SortKey,
    pub reverse: bool,
    /// Indices into `snapshot.identities`, in display order.
    pub order: Vec<usize>,
    /// Position in `order` of the selected row.
    pub selected: usize,
    /// The selected identity's name, so the selection follows it across re-sorts.
    selected_name: Option<String>,
    pub viewport_rows: usize,
    pub quit: bool,
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
            selected_name: None,
            viewport_rows: 20,
            quit: false,
        };
        app.resort();
        app
    }

    pub fn selected_row(&self) -> Option<&IdentityRow> {
        self.order
            .get(self.selected)
            .and_then(|&i| self.snapshot.identities.get(i))
    }

    /// Applies one message; returns whether the screen needs a redraw.
    pub fn update(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Key(key) if key.kind == KeyEventKind::Press => match action_for(&key) {
                Some(action) => {
                    self.act(action);
                    true
                }
                None => false,
            },
            Msg::Key(_) => false,
            Msg::Snapshot(snapshot) => {
                self.snapshot = *snapshot;
                self.resort();
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
            Msg::SourcesStopped => {
                for source in self.sources.iter_mut().filter(|s| !s.finished) {
                    source.last_error = Some(SOURCES_STOPPED.to_string());
                }
                true
            }
            Msg::Viewport(rows) => {
                let changed = rows != self.viewport_rows;
                self.viewport_rows = rows.max(1);
                changed
            }
        }
    }

    fn act(&mut self, action: Action) {
        let last = self.order.len().saturating_sub(1);
        let page = self.viewport_rows.max(1);
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
            Action::ReverseSort => {
                self.reverse = !self.reverse;
                self.resort();
            }
        }
    }

    fn select(&mut self, position: usize) {
        self.selected = position;
        self.selected_name = self.selected_row().map(|r| r.name.clone());
    }

    fn resort(&mut self) {
        let rows = &self.snapshot.identities;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let by_name = |a: &usize, b: &usize| rows[*a].name.cmp(&rows[*b].name);
        match self.sort {
            SortKey::Spend => order.sort_by(|a, b| {
                rows[*b]
                    .today
                    .cost_usd
                    .total_cmp(&rows[*a].today.cost_usd)
                    .then(by_name(a, b))
            }),
            SortKey::Rate => order.sort_by(|a, b| {
                let (ra, rb) = (&rows[*a].rates, &rows[*b].rates);
                rb.cost_per_hour
                    .total_cmp(&ra.cost_per_hour)
                    .then(rb.tokens_per_min().total_cmp(&ra.tokens_per_min()))
                    .then(by_name(a, b))
            }),
            SortKey::Name => order.sort_by(by_name),
        }
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
        if found.is_none() {
            self.selected_name = self.selected_row().map(|r| r.name.clone());
        }
    }
}
