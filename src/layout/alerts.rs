//! Where alerts go: the pane's height under the table, and the full-screen list's rows
//! in sight, its scroll and what a click on it lands on.

use ratatui::layout::{Position, Rect};

use super::{Hit, ruled, table};
use crate::app::App;

/// The pane never takes more than this share of the body (1/n), nor more lines than this.
const PANE_SHARE: u16 = 3;
const PANE_MAX: u16 = 10;

/// Lines the pane takes out of `body` (0 when hidden): its border and the alerts, within
/// bounds.
pub fn pane_height(app: &App, body: Rect) -> u16 {
    if !app.alerts_pane {
        return 0;
    }
    let want = (app.snapshot.alerts.len().max(1) as u16).saturating_add(1);
    want.min(PANE_MAX + 1)
        .min(body.height / PANE_SHARE)
        .max(2)
        .min(body.height)
}

/// Position in `snapshot.alerts` of the first alert the list shows in `inner`: the
/// selected one is kept in view.
pub fn list_offset(app: &App, inner: Rect) -> usize {
    (app.alert_cursor() + 1).saturating_sub(list_fit(app, inner).max(1))
}

/// Alerts the list shows in its `inner` area: the rows under the header line, less the
/// "… more" line when not all fit.
fn list_fit(app: &App, inner: Rect) -> usize {
    let body = inner.height.saturating_sub(1) as usize;
    if app.snapshot.alerts.len() > body {
        body.saturating_sub(1)
    } else {
        body
    }
}

/// Alerts in sight in the full-screen list drawn in `area`: its page.
pub fn list_rows(app: &App, area: Rect) -> usize {
    list_fit(app, ruled().inner(area))
}

/// What the full-screen list draws at `at` in its `area`: an alert, or the list.
pub fn hit_list(area: Rect, app: &App, at: Position) -> Option<Hit> {
    if !area.contains(at) {
        return None;
    }
    let inner = ruled().inner(area);
    let alerts = &app.snapshot.alerts;
    if alerts.is_empty() || !inner.contains(at) || at.y == inner.y {
        return Some(Hit::AlertList);
    }
    let offset = list_offset(app, inner);
    let row = usize::from(at.y - inner.y - 1);
    if row < table::shown(alerts.len() - offset, inner.height) {
        Some(Hit::Alert(offset + row))
    } else {
        Some(Hit::AlertList)
    }
}
