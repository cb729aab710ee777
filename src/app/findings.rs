//! The identity view's findings section: which finding is selected as snapshots come (by
//! its alert's id, so the cursor stays on it as newer findings arrive above), and the one
//! open in a popup, over the record behind it.

use super::App;
use super::identity::Section;
use crate::engine::snapshot::Finding;
use crate::keymap::Action;

/// The cursor in the findings and the finding whose popup is open.
#[derive(Debug, Default)]
pub(super) struct FindingsCursor {
    at: usize,
    /// The selected finding's alert id.
    id: Option<u64>,
    /// Held as it was last listed: it stays on screen should it leave the list.
    pub(super) popup: Option<Finding>,
}

impl FindingsCursor {
    pub(super) fn at(&self) -> usize {
        self.at
    }

    pub(super) fn move_to(&mut self, to: usize, list: &[Finding]) {
        self.at = to;
        self.id = list.get(to).map(|f| f.id);
        if self.popup.is_some() {
            self.popup = list.get(to).cloned().or(self.popup.take());
        }
    }

    /// Keeps the cursor (and an open popup) on their finding after a new snapshot; with
    /// no detail yet (another identity's), both start over.
    pub(super) fn follow(&mut self, list: Option<&[Finding]>) {
        let Some(list) = list else {
            *self = FindingsCursor::default();
            return;
        };
        let found = self.id.and_then(|id| list.iter().position(|f| f.id == id));
        match found {
            Some(at) => self.move_to(at, list),
            // Gone from the list (past the alerts' history): the popup keeps it.
            None if self.popup.is_some() => self.at = self.at.min(list.len().saturating_sub(1)),
            None => self.move_to(self.at.min(list.len().saturating_sub(1)), list),
        }
    }

    /// Moving, opening and closing in the findings; returns whether the key was taken.
    pub(super) fn act(&mut self, action: Action, list: &[Finding], page: usize) -> bool {
        let last = list.len().saturating_sub(1);
        let to = match action {
            Action::Up | Action::PreviousEvent => self.at.saturating_sub(1),
            Action::Down | Action::NextEvent => (self.at + 1).min(last),
            Action::PageUp => self.at.saturating_sub(page),
            Action::PageDown => (self.at + page).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::ToggleDetail | Action::Close if self.popup.is_some() => {
                self.popup = None;
                return true;
            }
            Action::ToggleDetail => {
                self.popup = list.get(self.at).cloned();
                return true;
            }
            _ => return false,
        };
        self.move_to(to, list);
        true
    }

    /// The selected finding's alert id.
    pub(super) fn selected(&self) -> Option<u64> {
        self.id
    }
}

impl App {
    /// Whether the identity view's keys are in its findings (`f`).
    pub fn in_findings(&self) -> bool {
        self.screen
            .identity()
            .is_some_and(|v| v.section == Section::Findings)
    }

    /// Position of the selected finding in the identity's findings.
    pub fn finding_cursor(&self) -> usize {
        self.screen.identity().map_or(0, |v| v.findings.at())
    }

    /// The finding whose popup is open.
    pub fn finding_popup(&self) -> Option<&Finding> {
        self.screen.identity()?.findings.popup.as_ref()
    }

    /// Whether the finding (by its alert's id) was acknowledged.
    pub fn finding_acknowledged(&self, finding: &Finding) -> bool {
        self.acknowledged.contains(&finding.id)
    }

    /// `x` in the findings: acknowledges the selected finding, or takes that back (kept
    /// by its kind and subject, as the alert list's `x` is).
    pub(super) fn acknowledge_finding(&mut self) {
        let Some(id) = self.screen.identity().and_then(|v| v.findings.selected()) else {
            return;
        };
        self.set_acknowledged(id, !self.acknowledged.contains(&id));
        self.acknowledged_changed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::alerts::{AlertKind, Severity};

    fn finding(id: u64) -> Finding {
        Finding {
            id,
            kind: AlertKind::NewTool,
            severity: Severity::Warn,
            tool: Some(format!("tool{id}")),
            policy: None,
            secret: None,
            count: Some(1),
            usd: None,
            day: None,
            started_at: id as i64 * 1_000,
            ended_at: None,
            record: None,
        }
    }

    #[test]
    fn the_cursor_and_popup_stay_on_their_finding_as_newer_ones_arrive() {
        let mut cursor = FindingsCursor::default();
        let list = [finding(3), finding(2), finding(1)];
        assert!(cursor.act(Action::Down, &list, 5));
        assert!(cursor.act(Action::ToggleDetail, &list, 5));
        assert_eq!(cursor.popup.as_ref().map(|f| f.id), Some(2));
        // A newer finding above: the cursor follows finding 2 down a row.
        let newer = [finding(4), finding(3), finding(2), finding(1)];
        cursor.follow(Some(&newer));
        assert_eq!((cursor.at(), cursor.selected()), (2, Some(2)));
        // `]` moves the popup along the list.
        assert!(cursor.act(Action::NextEvent, &newer, 5));
        assert_eq!(cursor.popup.as_ref().map(|f| f.id), Some(1));
        // Gone from the list (past the alerts' history): the popup holds on to it.
        cursor.follow(Some(&newer[..2]));
        assert_eq!(cursor.popup.as_ref().map(|f| f.id), Some(1));
        assert_eq!(cursor.at(), 1, "within the list");
        assert!(cursor.act(Action::Close, &newer[..2], 5));
        assert!(cursor.popup.is_none());
        // Another identity's snapshot: both start over.
        cursor.follow(None);
        assert_eq!((cursor.at(), cursor.selected()), (0, None));
    }
}
