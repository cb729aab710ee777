//! The overview's side panel of spend shares (by model, team and kind), on terminals wider
//! than `layout::PANEL_FROM`: Tab moves the keys between the table and the panel, ↑ ↓ move
//! in it, and Enter filters the table to the share under the cursor.

use super::{App, Filter};
use crate::engine::snapshot::Share;
use crate::keymap::Action;
use crate::layout;

/// Which list a share is in, for the filter it makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Model,
    Team,
    Kind,
}

impl Dimension {
    pub const ALL: [Dimension; 3] = [Dimension::Model, Dimension::Team, Dimension::Kind];

    pub fn title(self) -> &'static str {
        match self {
            Dimension::Model => "by model",
            Dimension::Team => "by team",
            Dimension::Kind => "by kind",
        }
    }

    /// The filter's field for it.
    fn field(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Team => "team",
            Dimension::Kind => "kind",
        }
    }
}

impl App {
    /// The shares of one list, as the snapshot has them.
    pub fn shares(&self, dimension: Dimension) -> &[Share] {
        let shares = &self.snapshot.shares;
        match dimension {
            Dimension::Model => &shares.model,
            Dimension::Team => &shares.team,
            Dimension::Kind => &shares.kind,
        }
    }

    /// The panel's cursor (a position over the three lists, in order) while it has the
    /// keys.
    pub fn panel_cursor(&self) -> Option<usize> {
        self.panel
    }

    /// The share at `position` over the three lists, with its list.
    fn share_at(&self, mut position: usize) -> Option<(Dimension, &Share)> {
        for dimension in Dimension::ALL {
            let shares = self.shares(dimension);
            match shares.get(position) {
                Some(share) => return Some((dimension, share)),
                None => position -= shares.len(),
            }
        }
        None
    }

    fn panel_len(&self) -> usize {
        Dimension::ALL.map(|d| self.shares(d).len()).iter().sum()
    }

    /// Tab: the keys go to the panel (when it is on screen) or back to the table.
    pub(super) fn toggle_panel(&mut self) {
        let shown = layout::panel_shown(self, self.area);
        self.panel = match self.panel {
            None if shown && self.panel_len() > 0 => Some(0),
            _ => None,
        };
    }

    /// Keys while the panel has them; returns whether it took the action.
    pub(super) fn act_on_panel(&mut self, action: Action) -> bool {
        let Some(cursor) = self.panel else {
            return false;
        };
        if !layout::panel_shown(self, self.area) {
            // The terminal narrowed: the panel is gone, the keys are the table's again.
            self.panel = None;
            return false;
        }
        let last = self.panel_len().saturating_sub(1);
        match action {
            Action::Up => self.panel = Some(cursor.saturating_sub(1)),
            Action::Down => self.panel = Some((cursor + 1).min(last)),
            Action::Top => self.panel = Some(0),
            Action::Bottom => self.panel = Some(last),
            Action::Close | Action::TogglePanel => self.panel = None,
            Action::ToggleDetail => {
                let wanted = self.share_at(cursor).and_then(|(dimension, share)| {
                    let key = share.key.as_deref()?.split_whitespace().next()?;
                    Some(format!("{}:{key}", dimension.field()))
                });
                if let Some(text) = wanted {
                    self.ordered_by.filter = Filter::parse(&text);
                    self.panel = None;
                    self.arrange(None);
                }
            }
            _ => return false,
        }
        true
    }

    /// Keeps the cursor on a share after a new snapshot (the lists may have shortened).
    pub(super) fn follow_panel_cursor(&mut self) {
        let last = self.panel_len().checked_sub(1);
        self.panel = match (self.panel, last) {
            (Some(cursor), Some(last)) => Some(cursor.min(last)),
            _ => None,
        };
    }
}
