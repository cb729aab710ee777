//! Where alerts go: under the table, the pane (or, when it would leave the table too few
//! rows, a one-line strip with the worst alert), each alert's reason wrapped to the pane's
//! width; and the full-screen list's rows in sight, its scroll and what a click lands on.

use ratatui::layout::{Position, Rect};

use super::{Hit, identity_table, ruled, table};
use crate::app::App;
use crate::engine::alerts::Alert;
use crate::sanitize::sanitize;

/// A pane opened with `a` never takes more than this share of the body (1/n), nor more
/// lines than this.
const PANE_SHARE: u16 = 3;
const PANE_MAX: u16 = 10;
/// Unasked, the pane shows at most this many active alerts...
const AUTO_ALERTS: usize = 5;
/// ...and opens only while the table keeps this many rows (or all of its rows, when it
/// has fewer); otherwise the strip shows the worst alert.
const AUTO_TABLE_ROWS: usize = 8;
/// Columns before an alert's reason in the pane: marker, severity, kind and state.
pub const REASON_AT: u16 = 35;
/// Longest reason drawn.
const REASON_CHARS: usize = 600;
/// A reason is never wrapped narrower than this.
const REASON_MIN: usize = 16;

/// What shows the alerts under the table or the identity view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Hidden,
    /// One line: the worst active alert.
    Strip,
    /// The titled pane, this many lines tall with its title.
    Open(u16),
}

impl Pane {
    pub fn height(self) -> u16 {
        match self {
            Pane::Hidden => 0,
            Pane::Strip => 1,
            Pane::Open(lines) => lines,
        }
    }
}

/// What shows the alerts in `body`: the viewer's choice once `a` was pressed; until then,
/// on the table, the pane when active alerts fit beside enough rows, else the strip.
pub fn pane(app: &App, body: Rect) -> Pane {
    let reason_width = reason_width(body.width);
    let lines = |alerts: &[Alert]| -> u16 {
        let wrapped: usize = alerts
            .iter()
            .map(|a| reason_lines(a, reason_width).len())
            .sum();
        u16::try_from(wrapped + 1).unwrap_or(u16::MAX)
    };
    let alerts = &app.snapshot.alerts;
    match app.alerts_pane() {
        Some(false) => Pane::Hidden,
        Some(true) => {
            let want = lines(alerts).max(2);
            let height = want
                .min(PANE_MAX + 1)
                .min(body.height / PANE_SHARE)
                .max(2)
                .min(body.height);
            Pane::Open(height)
        }
        // The identity view lists the identity's own alerts.
        None if app.focus().is_some() => Pane::Hidden,
        None => {
            let active = alerts.iter().take_while(|a| a.active()).count();
            if active == 0 {
                return Pane::Hidden;
            }
            let height = lines(&alerts[..active.min(AUTO_ALERTS)]);
            let table = Rect {
                height: body.height.saturating_sub(height),
                ..body
            };
            let keep = AUTO_TABLE_ROWS.min(app.order.len().max(1));
            if identity_table::body_rows(table) >= keep {
                Pane::Open(height)
            } else {
                Pane::Strip
            }
        }
    }
}

/// Lines the alerts take out of `body` (0 when hidden).
pub fn pane_height(app: &App, body: Rect) -> u16 {
    pane(app, body).height()
}

/// Room for a reason in a pane this wide.
pub fn reason_width(width: u16) -> usize {
    usize::from(width.saturating_sub(REASON_AT)).max(REASON_MIN)
}

/// An alert's reason, safe to draw, in lines of at most `width` characters: broken at
/// spaces, and inside a word only when the word alone is wider.
pub fn reason_lines(alert: &Alert, width: usize) -> Vec<String> {
    // "(since 11:36)" stays on one line.
    let reason = sanitize(&alert.reason, REASON_CHARS).replace("(since ", "(since\u{a0}");
    wrap(&reason, width)
        .into_iter()
        .map(|line| line.replace('\u{a0}', " "))
        .collect()
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut chars: Vec<char> = word.chars().collect();
        if used > 0 && used + 1 + chars.len() > width {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        while used + chars.len() > width {
            let rest = chars.split_off(width - used);
            line.extend(chars);
            lines.push(std::mem::take(&mut line));
            used = 0;
            chars = rest;
        }
        used += chars.len();
        line.extend(chars);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn reasons_wrap_at_spaces_and_split_only_words_too_long() {
        assert_eq!(wrap("ab cd ef", 5), ["ab cd", "ef"]);
        assert_eq!(wrap("abcdefgh ij", 3), ["abc", "def", "gh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        let long = "svc-support-bot: over budget support bot hourly, 128% used (since 05:08)";
        let lines = wrap(long, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), long, "nothing is lost");
    }
}
