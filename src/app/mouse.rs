//! The mouse: the loop hands over each event with a monotonic time, the views say what
//! is drawn under it (`layout::hit`), and it acts as the matching key would. A left press
//! selects, a second one on the same thing soon after opens it (as Enter does), the wheel
//! moves by a few rows, and a column title sorts (again: inverts).

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::App;
use crate::keymap::Action;
use crate::layout::{self, Hit};

/// Two left presses on the same thing at most this far apart make a double-click.
const DOUBLE_CLICK_MS: i64 = 400;
/// Rows (or lines) one notch of the wheel moves.
const WHEEL_ROWS: isize = 3;

impl App {
    /// One mouse event at `at_ms` on the loop's monotonic clock; returns whether the
    /// screen changed. While the filter is typed, the mouse waits as other keys do.
    pub(super) fn mouse(&mut self, event: MouseEvent, at_ms: i64) -> bool {
        let wanted = matches!(
            event.kind,
            MouseEventKind::Down(MouseButton::Left)
                | MouseEventKind::ScrollUp
                | MouseEventKind::ScrollDown
        );
        if !wanted || self.prompt.is_some() {
            return false;
        }
        let Some(hit) = layout::hit(self, self.area, event.column, event.row) else {
            return false;
        };
        match event.kind {
            MouseEventKind::ScrollUp => self.wheel(hit, -WHEEL_ROWS),
            MouseEventKind::ScrollDown => self.wheel(hit, WHEEL_ROWS),
            _ => self.click(hit, at_ms),
        }
    }

    fn click(&mut self, hit: Hit, at_ms: i64) -> bool {
        let double = self.last_click.is_some_and(|(last, then)| {
            last == hit && (0..=DOUBLE_CLICK_MS).contains(&(at_ms - then))
        });
        // After a double-click the next press starts over, so a third does not act twice.
        self.last_click = (!double).then_some((hit, at_ms));
        match hit {
            Hit::Row(position) => {
                self.select(position);
                if double {
                    self.act(Action::ToggleDetail);
                }
            }
            Hit::Title(key) => self.act(Action::Sort(key)),
            Hit::Alert(index) => {
                self.move_alert_cursor(index);
                if double {
                    self.act(Action::ToggleDetail);
                }
            }
            Hit::Event(position) => {
                self.move_event_cursor(position);
                if double {
                    self.act(Action::ToggleDetail);
                }
            }
            Hit::Finding(position) => {
                self.move_finding_cursor(position);
                if double {
                    self.act(Action::ToggleDetail);
                }
            }
            Hit::Table | Hit::Panel | Hit::AlertList | Hit::Page | Hit::Identity => {
                return false;
            }
        }
        true
    }

    fn wheel(&mut self, hit: Hit, rows: isize) -> bool {
        match hit {
            Hit::Table | Hit::Row(_) | Hit::Title(_) => {
                let last = self.order.len().saturating_sub(1);
                self.select(self.selected.saturating_add_signed(rows).min(last));
            }
            Hit::AlertList | Hit::Alert(_) => {
                let last = self.snapshot.alerts.len().saturating_sub(1);
                let to = self.alert_cursor().saturating_add_signed(rows).min(last);
                self.move_alert_cursor(to);
            }
            Hit::Page => self.scroll_page(rows),
            Hit::Panel => return false,
            Hit::Finding(_) => {
                let last = self
                    .detail()
                    .map_or(0, |d| d.findings.len().saturating_sub(1));
                let to = self.finding_cursor().saturating_add_signed(rows).min(last);
                self.move_finding_cursor(to);
            }
            Hit::Identity | Hit::Event(_) => {
                let last = self
                    .detail()
                    .map_or(0, |d| d.recent.len().saturating_sub(1));
                let to = self.event_cursor().saturating_add_signed(rows).min(last);
                self.move_event_cursor(to);
            }
        }
        true
    }
}
