//! Where a mouse event lands: the thing drawn under it, found with the layout code the
//! views draw with, so a click acts on what the person sees. Each view answers for its
//! own area; a view that wants clicks adds its variants here.

use ratatui::layout::{Position, Rect};

use super::{alerts, areas, detail, main_and_pane, overview};
use crate::app::{App, SortKey};
use crate::keymap::Screen;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The identity table, away from its rows and titles (rules, blank lines).
    Table,
    /// A row of the identity table: its position in `app.order`.
    Row(usize),
    /// A column title of the identity table: the key it sorts by.
    Title(SortKey),
    /// The full-screen alert list, away from its alerts.
    AlertList,
    /// An alert of the list: its index in `snapshot.alerts`.
    Alert(usize),
    /// The sources view.
    Sources,
    /// The identity view, away from its latest requests.
    Identity,
    /// One of the identity view's latest requests: its position, newest first.
    Event(usize),
}

/// What is drawn at (`column`, `row`) on a `screen` of this size; nothing on the header,
/// the status line, the alerts pane or under the help overlay.
pub fn hit(app: &App, screen: Rect, column: u16, row: u16) -> Option<Hit> {
    let at = Position::new(column, row);
    let [_, body, _] = areas(screen);
    if app.help_open() || !body.contains(at) {
        return None;
    }
    match app.screen() {
        Screen::Table => overview::hit(main_and_pane(app, body)[0], app, at),
        Screen::Alerts => alerts::hit_list(body, app, at),
        Screen::Sources => Some(Hit::Sources),
        Screen::Detail => detail::hit(main_and_pane(app, body)[0], app, at),
        // Over an event's popup the mouse waits, as under the help.
        Screen::Event => None,
    }
}
