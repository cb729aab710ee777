//! The event (or finding) popup's shape over the identity view: its area, the record's
//! lines wrapped to its width, and how far the record scrolls. The view draws by it and
//! the app scrolls by it, so PgDn and G stop where the view's last line is.

use ratatui::layout::{Constraint, Rect};

use crate::app::App;
use crate::sanitize::sanitize;

/// Lines of the event's own fields, above the record (the view draws exactly these).
pub const FIELD_LINES: u16 = 12;
/// Lines of a finding's own fields, above the record behind it.
pub const FINDING_LINES: u16 = 8;
/// The popup is at most this wide.
const MAX_WIDTH: u16 = 120;
/// A record line longer than this many screens' widths is cut.
const SCREENS_PER_LINE: usize = 4;

/// The field lines of the popup open: a finding's or an event's.
pub fn field_lines(app: &App) -> u16 {
    if app.finding_popup().is_some() {
        FINDING_LINES
    } else {
        FIELD_LINES
    }
}

/// The popup over `body`: the whole height while a record is shown (it scrolls in it),
/// else as tall as its lines.
pub fn area(app: &App, body: Rect) -> Rect {
    let width = body.width.saturating_sub(4).min(MAX_WIDTH);
    let height = if matches!(app.popup_record(), Some(Ok(_))) {
        body.height
    } else {
        // The fields, the record's line and the borders.
        (field_lines(app) + 3).min(body.height)
    };
    body.centered(Constraint::Length(width), Constraint::Length(height))
}

/// Inside the popup's borders.
pub fn inner(popup: Rect) -> Rect {
    Rect {
        x: popup.x.saturating_add(1),
        y: popup.y.saturating_add(1),
        width: popup.width.saturating_sub(2),
        height: popup.height.saturating_sub(2),
    }
}

/// The record's lines, safe to draw, each cut into lines of the popup's inner `width`.
pub fn record_lines(app: &App, width: u16) -> Vec<String> {
    let Some(Ok(record)) = app.popup_record() else {
        return Vec::new();
    };
    let width = usize::from(width).max(1);
    let mut out = Vec::new();
    for line in &record.lines {
        let chars: Vec<char> = sanitize(line, width * SCREENS_PER_LINE).chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        out.extend(chars.chunks(width).map(|c| c.iter().collect::<String>()));
    }
    out
}

/// Lines of the record in sight under the fields and the record's own line.
pub fn record_rows(app: &App, popup: Rect) -> usize {
    usize::from(inner(popup).height.saturating_sub(field_lines(app) + 1))
}

/// How far the record can scroll on a screen whose body is `body`, and its page.
pub fn scroll(app: &App, body: Rect) -> (usize, usize) {
    let popup = area(app, body);
    let rows = record_rows(app, popup);
    let lines = record_lines(app, inner(popup).width).len();
    (lines.saturating_sub(rows), rows.max(1))
}
