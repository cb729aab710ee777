//! Where things go on screen, for a frame size and the app's state: the areas of each
//! pane, the rows in sight, how far a view scrolls, and what a click lands on. The views
//! draw by it and the app pages and hit-tests by it, so the two cannot disagree; it draws
//! nothing and the app never needs the views.

pub mod alerts;
pub mod detail;
pub mod event_popup;
pub mod identity_table;
pub mod providers;
pub mod sources;
pub mod table;

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::{Block, Borders};

use crate::app::{App, SortKey};
use crate::keymap::Screen;

/// Lines the header takes.
const HEADER_LINES: u16 = 2;
/// The overview shows the side panel of spend shares when it is wider than this.
pub const PANEL_FROM: u16 = 140;
/// The side panel's width.
const PANEL_WIDTH: u16 = 32;

/// What a mouse event lands on. A view that wants clicks adds its variants here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hit {
    /// The identity table, away from its rows and titles (rules, blank lines).
    Table,
    /// A row of the identity table: its position in `app.order`.
    Row(usize),
    /// The side panel of spend shares.
    Panel,
    /// A column title of the identity table: the key it sorts by.
    Title(SortKey),
    /// The full-screen alert list, away from its alerts.
    AlertList,
    /// An alert of the list: its index in `snapshot.alerts`.
    Alert(usize),
    /// A page that only scrolls: the sources or the providers view.
    Page,
    /// The identity view, away from its latest requests.
    Identity,
    /// One of the identity view's latest requests: its position, newest first.
    Event(usize),
    /// One of the identity view's findings: its position, newest first.
    Finding(usize),
}

/// The frame of the identity table, the alert list, the sources and providers views and
/// the identity view: a rule above and below. The views style it; its inside is where they draw.
pub fn ruled<'a>() -> Block<'a> {
    Block::default().borders(Borders::TOP | Borders::BOTTOM)
}

/// The three areas of the screen: header, body and status line.
pub fn areas(screen: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(screen)
}

/// The table's (or the identity view's) area and the alerts pane's under it.
pub fn main_and_pane(app: &App, body: Rect) -> [Rect; 2] {
    let pane = alerts::pane_height(app, body);
    Layout::vertical([Constraint::Min(0), Constraint::Length(pane)]).areas(body)
}

/// The identity table's area and the side panel's beside it (none when the overview is
/// not wider than [`PANEL_FROM`], or in an identity's view).
pub fn table_and_panel(app: &App, main: Rect) -> [Rect; 2] {
    let width = if main.width > PANEL_FROM && app.focus().is_none() {
        PANEL_WIDTH
    } else {
        0
    };
    Layout::horizontal([Constraint::Min(0), Constraint::Length(width)]).areas(main)
}

/// Whether the side panel is on a screen of this size.
pub fn panel_shown(app: &App, screen: Rect) -> bool {
    let main = main_and_pane(app, areas(screen)[1])[0];
    table_and_panel(app, main)[1].width > 0
}

/// Identity rows the table shows on a screen of this size, above the alerts pane.
pub fn table_rows(app: &App, screen: Rect) -> usize {
    identity_table::body_rows(main_and_pane(app, areas(screen)[1])[0])
}

/// The rows one page moves in the list the screen shows (identities, alerts or an
/// identity's latest requests): what is in sight of it on a screen of this size.
pub fn page_rows(app: &App, screen: Rect) -> usize {
    let body = areas(screen)[1];
    let rows = match app.screen() {
        Screen::Table | Screen::Sources | Screen::Providers => table_rows(app, screen),
        Screen::Alerts => alerts::list_rows(app, body),
        Screen::Detail | Screen::Event => detail::page_rows(main_and_pane(app, body)[0], app),
    };
    rows.max(1)
}

/// How far the event's (or finding's) popup record can scroll on a screen of this size,
/// and its page.
pub fn record_scroll(app: &App, screen: Rect) -> (usize, usize) {
    event_popup::scroll(app, areas(screen)[1])
}

/// How far the sources view can scroll on a screen of this size, and its page: what the
/// app clamps its scrolling to.
pub fn sources_scroll(app: &App, screen: Rect) -> (usize, usize) {
    sources::scroll(app, areas(screen)[1])
}

/// How far the providers view can scroll on a screen of this size, and its page.
pub fn providers_scroll(app: &App, screen: Rect) -> (usize, usize) {
    providers::scroll(app, areas(screen)[1])
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
        Screen::Table => {
            let [table, panel] = table_and_panel(app, main_and_pane(app, body)[0]);
            match panel.contains(at) {
                true => Some(Hit::Panel),
                false => identity_table::hit(table, app, at),
            }
        }
        // Over an alert's popup the mouse waits, as over an event's.
        Screen::Alerts if app.alert_popup().is_some() => None,
        Screen::Alerts => alerts::hit_list(body, app, at),
        Screen::Sources | Screen::Providers => Some(Hit::Page),
        Screen::Detail => detail::hit(main_and_pane(app, body)[0], app, at),
        // Over an event's popup the mouse waits, as under the help.
        Screen::Event => None,
    }
}
