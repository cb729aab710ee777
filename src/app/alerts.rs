//! The app's side of alerts: which rows are marked, what the viewer acknowledged, and the
//! full-screen list's cursor (kept by the list's screen). Acknowledging is viewing state:
//! the engine's alerts stay as they are, and only ids still in the snapshot are remembered
//! (findings are remembered by kind and subject too: see `acks`).

use std::collections::HashMap;

use super::App;
use crate::engine::alerts::{Alert, AlertCounts, Severity};
use crate::keymap::Action;
use crate::layout::{self, alerts::Pane};

/// How a row is marked for its active alerts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowAlert {
    /// The highest severity among its unacknowledged alerts, or among all of them when
    /// every one is acknowledged.
    pub severity: Severity,
    /// Every active alert of the row is acknowledged: drawn dimmed.
    pub acknowledged: bool,
}

/// The alert list's cursor: a position in `snapshot.alerts`, and the id of the alert
/// there, so that the cursor stays on its alert as newer ones arrive above.
#[derive(Debug)]
pub(super) struct AlertCursor {
    position: usize,
    id: Option<u64>,
}

impl AlertCursor {
    pub(super) fn at(alerts: &[Alert], position: usize) -> Self {
        Self {
            position,
            id: alerts.get(position).map(|a| a.id),
        }
    }

    /// The same alert in a newer list, or the same position when it is gone.
    fn follow(&self, alerts: &[Alert]) -> Self {
        let found = self
            .id
            .and_then(|id| alerts.iter().position(|a| a.id == id));
        let position = found.unwrap_or(self.position.min(alerts.len().saturating_sub(1)));
        Self::at(alerts, position)
    }
}

impl App {
    /// The viewer's choice of the alerts pane, once `a` was pressed: shown or hidden.
    pub fn alerts_pane(&self) -> Option<bool> {
        self.alerts_pane
    }

    /// `a`: hides the pane when it is open, else opens it (the strip too grows into it);
    /// from then on the viewer's choice holds for the session.
    pub(super) fn toggle_alert_pane(&mut self) {
        let body = layout::areas(self.area)[1];
        let open = matches!(layout::alerts::pane(self, body), Pane::Open(_));
        self.alerts_pane = Some(!open);
        // The pane takes rows from the table: the selection stays in sight.
        self.keep_in_view();
    }

    /// Position of the selected alert in `snapshot.alerts` (the alert list's cursor; the
    /// top while the list is closed).
    pub fn alert_cursor(&self) -> usize {
        self.screen.alert_cursor().map_or(0, |c| c.position)
    }

    /// The alert open in full over the alert list, if any.
    pub fn alert_popup(&self) -> Option<&Alert> {
        if !self.screen.alert_popup() {
            return None;
        }
        self.snapshot.alerts.get(self.alert_cursor())
    }

    pub fn is_acknowledged(&self, alert: &Alert) -> bool {
        self.acknowledged.contains(&alert.id)
    }

    /// The alert state of row `i` of `snapshot.identities`.
    pub fn row_alert(&self, i: usize) -> Option<RowAlert> {
        self.row_alerts.get(i).copied().flatten()
    }

    /// Active alerts nobody has acknowledged yet, by severity.
    pub fn unacknowledged(&self) -> AlertCounts {
        let mut counts = AlertCounts::default();
        let open = self.snapshot.alerts.iter().filter(|a| a.active());
        for alert in open.filter(|a| !self.is_acknowledged(a)) {
            match alert.severity {
                Severity::Info => counts.info += 1,
                Severity::Warn => counts.warn += 1,
                Severity::Critical => counts.critical += 1,
            }
        }
        counts
    }

    /// Works out each row's alert state from the active alerts and the acknowledgements.
    pub(super) fn mark_rows(&mut self) {
        let rows = &self.snapshot.identities;
        self.row_alerts = vec![None; rows.len()];
        let active: Vec<&Alert> = self.snapshot.alerts.iter().filter(|a| a.active()).collect();
        if active.is_empty() {
            return;
        }
        let index: HashMap<&str, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect();
        // Per row: the highest unacknowledged severity, and the highest of all.
        let mut seen: Vec<(Option<Severity>, Option<Severity>)> = vec![(None, None); rows.len()];
        for alert in active {
            let acked = self.acknowledged.contains(&alert.id);
            for name in &alert.identities {
                let Some(&i) = index.get(name.as_str()) else {
                    continue;
                };
                let (open, all) = &mut seen[i];
                *all = (*all).max(Some(alert.severity));
                if !acked {
                    *open = (*open).max(Some(alert.severity));
                }
            }
        }
        for (slot, (open, all)) in self.row_alerts.iter_mut().zip(seen) {
            *slot = match (open, all) {
                (Some(severity), _) => Some(RowAlert {
                    severity,
                    acknowledged: false,
                }),
                (None, Some(severity)) => Some(RowAlert {
                    severity,
                    acknowledged: true,
                }),
                (None, None) => None,
            };
        }
    }

    /// Acknowledges every active alert of the selected identity, or takes them all back
    /// when they already are.
    pub(super) fn acknowledge_selected_row(&mut self) {
        let Some(name) = self.selected_row().map(|r| r.name.clone()) else {
            return;
        };
        let ids: Vec<u64> = self
            .snapshot
            .alerts
            .iter()
            .filter(|a| a.active() && a.concerns(&name))
            .map(|a| a.id)
            .collect();
        let on = !ids.iter().all(|id| self.acknowledged.contains(id));
        for id in ids {
            self.set_acknowledged(id, on);
        }
        self.acknowledged_changed();
    }

    /// Keys that mean something else in the alert list; returns whether it took the action.
    pub(super) fn act_on_alert_list(&mut self, action: Action) -> bool {
        let last = self.snapshot.alerts.len().saturating_sub(1);
        let page = self.page();
        let cursor = self.alert_cursor();
        match action {
            Action::Up => self.move_alert_cursor(cursor.saturating_sub(1)),
            Action::Down => self.move_alert_cursor((cursor + 1).min(last)),
            Action::PageUp => self.move_alert_cursor(cursor.saturating_sub(page)),
            Action::PageDown => self.move_alert_cursor((cursor + page).min(last)),
            Action::Top => self.move_alert_cursor(0),
            Action::Bottom => self.move_alert_cursor(last),
            // Esc closes the popup first, then the list.
            Action::Close if self.alert_popup().is_some() => self.set_alert_popup(false),
            Action::Close | Action::ToggleAlertList => self.screen.close(),
            // Enter opens the alert in full; Enter again goes to its identity.
            Action::ToggleDetail
                if self.alert_popup().is_none() && !self.snapshot.alerts.is_empty() =>
            {
                self.set_alert_popup(true);
            }
            Action::Acknowledge => {
                if let Some(id) = self.screen.alert_cursor().and_then(|c| c.id) {
                    self.set_acknowledged(id, !self.acknowledged.contains(&id));
                }
                self.acknowledged_changed();
            }
            Action::ToggleDetail => {
                // Back to the table, on the alert's first identity that has a row.
                let alert = self.snapshot.alerts.get(cursor);
                self.screen.close();
                let rows = &self.snapshot.identities;
                let target = alert.and_then(|a| {
                    a.identities
                        .iter()
                        .find_map(|name| self.order.iter().position(|&i| &rows[i].name == name))
                });
                if let Some(position) = target {
                    self.select(position);
                }
            }
            _ => return false,
        }
        true
    }

    fn set_alert_popup(&mut self, open: bool) {
        if let Some(popup) = self.screen.alert_popup_mut() {
            *popup = open;
        }
    }

    pub(super) fn move_alert_cursor(&mut self, position: usize) {
        if let Some(cursor) = self.screen.alert_cursor_mut() {
            *cursor = AlertCursor::at(&self.snapshot.alerts, position);
        }
    }

    /// Keeps the alert cursor on the same alert after a new snapshot.
    pub(super) fn follow_alert_cursor(&mut self) {
        if let Some(cursor) = self.screen.alert_cursor_mut() {
            *cursor = cursor.follow(&self.snapshot.alerts);
        }
    }
}
