//! The identity view's state and keys: which identity, the cursor in its recent events
//! (or in its findings), and the popup of one event (or finding) with the raw record read
//! back for it.

use super::App;
use super::findings::FindingsCursor;
use super::record::Fetched;
use super::screen::Screen;
use crate::engine::recent::RecentEvent;
use crate::engine::snapshot::{Finding, IdentityDetail};
use crate::event::{DedupKey, Origin, TimeMs, Tokens};
use crate::keymap::Action;

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

/// The part of the identity view the keys move in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Section {
    /// Its latest requests.
    #[default]
    Recent,
    /// Its findings (`f`).
    Findings,
}

/// One identity's view; the loop asks the engine for its detail.
#[derive(Debug)]
pub(super) struct IdentityView {
    name: String,
    pub(super) section: Section,
    pub(super) findings: FindingsCursor,
    /// Position in the identity's recent events of the selected one, and what tells that
    /// event apart, so the cursor stays on it as newer events arrive above.
    cursor: usize,
    cursor_key: Option<EventKey>,
    /// The event whose popup is open: held here, so that it stays on screen even when
    /// newer requests push it out of the identity's latest (a backfill does that within
    /// a frame), and updated while it is listed.
    popup: Option<RecentEvent>,
    /// Whether the popup's event is still among the identity's latest (at the cursor).
    popup_listed: bool,
    /// The raw record last fetched for the popup.
    pub(super) record: Option<Fetched>,
    /// How far the popup's record is scrolled: back to its top on another event.
    scroll: usize,
}

impl IdentityView {
    /// The view of `name`, on its newest event.
    pub(super) fn new(name: String) -> Self {
        IdentityView {
            name,
            section: Section::Recent,
            findings: FindingsCursor::default(),
            cursor: 0,
            cursor_key: None,
            popup: None,
            popup_listed: false,
            record: None,
            scroll: 0,
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn popup(&self) -> Option<&RecentEvent> {
        self.popup.as_ref()
    }

    /// Opens (or moves) the popup on the event at the cursor, if there is one.
    fn open_popup(&mut self, recent: &[RecentEvent]) {
        let before = self.popup.as_ref().map(EventKey::of);
        self.popup = recent.get(self.cursor).cloned();
        self.popup_listed = self.popup.is_some();
        if self.popup.as_ref().map(EventKey::of) != before {
            self.scroll = 0;
        }
    }

    fn move_cursor(&mut self, to: usize, recent: &[RecentEvent]) {
        self.cursor = to;
        self.cursor_key = recent.get(to).map(EventKey::of);
    }

    /// Keeps the event cursor on its event when newer ones arrive (at the top with no
    /// popup open, it stays at the top: the newest event). An open popup never changes
    /// event under the reader: it follows its event while listed, and holds on to it
    /// once newer requests have pushed it out. With no detail yet (another identity's
    /// snapshot), the cursor and popup start over.
    fn follow(&mut self, recent: Option<&[RecentEvent]>) {
        let Some(recent) = recent else {
            (self.cursor, self.cursor_key) = (0, None);
            self.close_popup();
            return;
        };
        let popup = self.popup.is_some();
        let found = match &self.cursor_key {
            Some(key) if popup || self.cursor > 0 => {
                recent.iter().position(|e| EventKey::of(e) == *key)
            }
            _ => None,
        };
        let last = recent.len().saturating_sub(1);
        match found {
            Some(at) => {
                self.move_cursor(at, recent);
                if popup {
                    self.open_popup(recent);
                }
            }
            // The held event is kept, and so is its key: the cursor only stays in range.
            None if popup => {
                self.cursor = self.cursor.min(last);
                self.popup_listed = false;
            }
            None => {
                let to = if self.cursor == 0 {
                    0
                } else {
                    self.cursor.min(last)
                };
                self.move_cursor(to, recent);
            }
        }
    }

    /// Closes the popup and forgets its record: opened again, it is read again (a file
    /// that could not be read may be readable by then).
    fn close_popup(&mut self) {
        (self.popup, self.record, self.scroll) = (None, None, 0);
    }

    /// Whether an event's or a finding's popup is open.
    pub(super) fn any_popup(&self) -> bool {
        self.popup.is_some() || self.findings.popup.is_some()
    }

    /// Keys of the findings section; a popup that opens, closes or moves to another finding
    /// starts its record over.
    fn act_on_findings(&mut self, action: Action, findings: &[Finding], page: usize) -> bool {
        let before = self.findings.popup.as_ref().map(|f| f.id);
        let taken = self.findings.act(action, findings, page);
        if self.findings.popup.as_ref().map(|f| f.id) != before {
            (self.record, self.scroll) = (None, 0);
        }
        taken
    }

    /// Over the popup, moving scrolls its record (`max` and `page` from the layout);
    /// returns whether the key did.
    fn scroll_record(&mut self, action: Action, (max, page): (usize, usize)) -> bool {
        let at = self.scroll.min(max);
        self.scroll = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at + 1,
            Action::PageUp => at.saturating_sub(page),
            Action::PageDown => at + page,
            Action::Top => 0,
            Action::Bottom => max,
            _ => return false,
        }
        .min(max);
        true
    }

    /// Keys of the view: moving goes through its recent events or, after `f`, its
    /// findings (over the popup, `[` `]` do, and moving scrolls the record), Enter opens
    /// the selected one, Esc closes the popup. Returns whether it was taken.
    fn act(
        &mut self,
        action: Action,
        (recent, findings): (&[RecentEvent], &[Finding]),
        page: usize,
        record: (usize, usize),
    ) -> bool {
        if self.any_popup() && self.scroll_record(action, record) {
            return true;
        }
        if action == Action::ToggleFindings {
            if !self.any_popup() {
                self.section = match self.section {
                    Section::Recent if !findings.is_empty() => Section::Findings,
                    _ => Section::Recent,
                };
            }
            return true;
        }
        if self.section == Section::Findings {
            return self.act_on_findings(action, findings, page);
        }
        let action = match action {
            Action::PreviousEvent => Action::Up,
            Action::NextEvent => Action::Down,
            other => other,
        };
        let count = recent.len();
        let last = count.saturating_sub(1);
        // A held popup event has left the list at its end: it sits just past the last one,
        // so moving up reaches the oldest listed event and there is nothing below it.
        let held = self.popup.is_some() && !self.popup_listed;
        let at = if held { count } else { self.cursor };
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
            Action::ToggleDetail | Action::Close if self.popup.is_some() => {
                self.close_popup();
                return true;
            }
            Action::ToggleDetail => {
                self.move_cursor(at, recent);
                self.open_popup(recent);
                return true;
            }
            _ => return false,
        };
        self.move_cursor(to, recent);
        if self.popup.is_some() {
            self.open_popup(recent);
        }
        true
    }
}

impl App {
    /// The identity whose detail panel is open.
    pub fn focus(&self) -> Option<&str> {
        self.screen.identity().map(IdentityView::name)
    }

    /// The open panel's data, once a snapshot for the focused identity has arrived.
    pub fn detail(&self) -> Option<&IdentityDetail> {
        let focus = self.focus()?;
        self.snapshot
            .detail
            .as_ref()
            .filter(|d| d.row.name == focus)
    }

    /// Position of the selected event in the identity view's recent events.
    pub fn event_cursor(&self) -> usize {
        self.screen.identity().map_or(0, |v| v.cursor)
    }

    /// The event whose popup is open.
    pub fn event_popup(&self) -> Option<&RecentEvent> {
        self.screen.identity()?.popup()
    }

    /// How far the popup's record is scrolled (the view keeps it within the record).
    pub fn record_scroll(&self) -> usize {
        self.screen.identity().map_or(0, |v| v.scroll)
    }

    /// Whether the popup's event is still among the identity's latest requests (at the
    /// cursor); when not, the popup shows it as it was last listed.
    pub fn popup_listed(&self) -> bool {
        self.screen.identity().is_some_and(|v| v.popup_listed)
    }

    /// The identity view (up or under another screen) and its detail, once a snapshot
    /// for it has arrived.
    fn identity_and_detail(&mut self) -> Option<(&mut IdentityView, Option<&IdentityDetail>)> {
        let view = self.screen.identity_mut()?;
        let detail = self.snapshot.detail.as_ref();
        let detail = detail.filter(|d| d.row.name == view.name);
        Some((view, detail))
    }

    /// The identity view and its recent events, once a snapshot for it has arrived.
    fn identity_and_events(&mut self) -> Option<(&mut IdentityView, Option<&[RecentEvent]>)> {
        let (view, detail) = self.identity_and_detail()?;
        Some((view, detail.map(|d| d.recent.as_slice())))
    }

    /// Keys of the identity view, while it is up; Esc with no popup closes it. Returns
    /// whether the key was taken.
    pub(super) fn act_on_identity(&mut self, action: Action) -> bool {
        let page = self.page();
        let record = crate::layout::record_scroll(self, self.area);
        let Screen::Identity(view) = &self.screen else {
            return false;
        };
        if action == Action::Close && !view.any_popup() {
            self.screen = Screen::Overview;
            return true;
        }
        if action == Action::Acknowledge && view.section == Section::Findings {
            self.acknowledge_finding();
            return true;
        }
        self.identity_and_detail().is_some_and(|(view, detail)| {
            let lists = detail.map_or((&[][..], &[][..]), |d| (&d.recent, &d.findings));
            view.act(action, lists, page, record)
        })
    }

    /// Selects one of the identity's findings (a click): the keys go to the findings.
    pub(super) fn move_finding_cursor(&mut self, to: usize) {
        if let Some((view, Some(detail))) = self.identity_and_detail() {
            view.section = Section::Findings;
            view.findings.move_to(
                to.min(detail.findings.len().saturating_sub(1)),
                &detail.findings,
            );
        }
    }

    /// Moves the identity view's cursor (a click or the wheel): the keys go to the latest
    /// requests.
    pub(super) fn move_event_cursor(&mut self, to: usize) {
        if let Some((view, recent)) = self.identity_and_events() {
            view.section = Section::Recent;
            view.move_cursor(to, recent.unwrap_or_default());
        }
    }

    /// Keeps the identity view's cursors and popup on their events and findings after a
    /// new snapshot.
    pub(super) fn follow_event_cursor(&mut self) {
        if let Some((view, detail)) = self.identity_and_detail() {
            view.follow(detail.map(|d| d.recent.as_slice()));
            let findings = detail.map(|d| d.findings.as_slice());
            view.findings.follow(findings);
            if findings.is_some_and(<[Finding]>::is_empty) && view.findings.popup.is_none() {
                view.section = Section::Recent;
            }
        }
    }

    /// Shows `name`'s view at the bottom, on its newest event, or the table for `None`.
    pub(super) fn focus_on(&mut self, name: Option<String>) {
        *self.screen.bottom_mut() = match name {
            Some(name) => Screen::Identity(Box::new(IdentityView::new(name))),
            None => Screen::Overview,
        };
    }
}
