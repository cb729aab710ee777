//! Views: pure functions of `(&App, &Theme)` into a frame, drawn where `crate::layout`
//! places them. No IO, no clock, no aggregates.

mod alert_popup;
mod alerts;
mod detail;
mod detail_side;
mod detail_tables;
mod event_popup;
mod findings;
mod fit;
mod header;
mod help;
mod overview;
mod page;
mod provider_tables;
mod providers;
mod shares;
mod sources;
mod spark;
mod status;
mod table;
mod timeline;

use ratatui::Frame;

use crate::app::App;
use crate::keymap::Screen;
use crate::layout::{alerts::pane, areas, main_and_pane, table_and_panel};
use crate::theme::Theme;

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let [head, body, foot] = areas(frame.area());
    header::render(frame, head, app, theme);
    if app.screen() == Screen::Sources {
        sources::render(frame, body, app, theme);
    } else if app.screen() == Screen::Providers {
        providers::render(frame, body, app, theme);
    } else if app.screen() == Screen::Alerts {
        alerts::render_list(frame, body, app, theme);
        alert_popup::render(frame, body, app, theme);
    } else {
        let [main, bottom] = main_and_pane(app, body);
        if app.focus().is_some() {
            detail::render(frame, main, app, theme);
        } else {
            let [table, panel] = table_and_panel(app, main);
            overview::render(frame, table, app, theme);
            if panel.width > 0 {
                shares::render(frame, panel, app, theme);
            }
        }
        if bottom.height > 0 {
            alerts::render_pane(frame, bottom, pane(app, body), app, theme);
        }
    }
    status::render(frame, foot, app, theme);
    if app.screen() == Screen::Event {
        event_popup::render(frame, body, app, theme);
        findings::popup(frame, body, app, theme);
    }
    if app.help_open() {
        help::render(frame, frame.area(), theme, app.replay().is_some());
    }
}
