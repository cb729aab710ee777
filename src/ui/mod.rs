//! Views: pure functions of `(&App, &Theme)` into a frame. No IO, no clock, no aggregates.

mod alerts;
mod detail;
mod detail_side;
mod detail_tables;
mod event_popup;
mod fit;
mod header;
mod help;
mod hit;
mod overview;
mod sources;
mod spark;
mod status;
mod table;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

pub use self::hit::{Hit, hit};
use crate::app::App;
use crate::keymap::Screen;
use crate::theme::Theme;

/// Lines the header takes.
const HEADER_LINES: u16 = 2;

/// The three areas of the overview screen.
fn areas(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(HEADER_LINES),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The table's (or the detail panel's) area and the alerts pane's under it.
fn main_and_pane(app: &App, body: Rect) -> [Rect; 2] {
    let pane = alerts::pane_height(app, body);
    Layout::vertical([Constraint::Min(0), Constraint::Length(pane)]).areas(body)
}

/// Identity rows the table shows on a screen of this size, above the alerts pane.
pub fn table_rows(app: &App, screen: Rect) -> usize {
    overview::body_rows(main_and_pane(app, areas(screen)[1])[0])
}

/// The rows one page moves in the list the screen shows (identities, alerts or an
/// identity's latest requests): what is in sight of it on a screen of this size.
pub fn page_rows(app: &App, screen: Rect) -> usize {
    let body = areas(screen)[1];
    let rows = match app.screen() {
        Screen::Table | Screen::Sources => table_rows(app, screen),
        Screen::Alerts => alerts::list_rows(app, body),
        Screen::Detail | Screen::Event => detail::recent_rows(main_and_pane(app, body)[0], app),
    };
    rows.max(1)
}

/// How far the sources view can scroll on a screen of this size, and its page: what the
/// app clamps its scrolling to.
pub fn sources_scroll(app: &App, screen: Rect) -> (usize, usize) {
    sources::scroll(app, areas(screen)[1])
}

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let [head, body, foot] = areas(frame.area());
    header::render(frame, head, app, theme);
    if app.screen() == Screen::Sources {
        sources::render(frame, body, app, theme);
    } else if app.screen() == Screen::Alerts {
        alerts::render_list(frame, body, app, theme);
    } else {
        let [main, bottom] = main_and_pane(app, body);
        if app.focus().is_some() {
            detail::render(frame, main, app, theme);
        } else {
            overview::render(frame, main, app, theme);
        }
        if bottom.height > 0 {
            alerts::render_pane(frame, bottom, app, theme);
        }
    }
    status::render(frame, foot, app, theme);
    if app.screen() == Screen::Event {
        event_popup::render(frame, body, app, theme);
    }
    if app.help_open() {
        help::render(frame, frame.area(), theme);
    }
}
