//! Pause: the screen keeps the snapshot it shows while the loop goes on ingesting and
//! alerting. Keys, sorting, the filter and scrolling still work on the frozen snapshot.
//! Opening (or moving) the detail panel needs the new identity's detail, which the frozen
//! snapshot lacks: the fresh snapshot taken for it is shown and the screen stays paused,
//! so the paused clock moves to that snapshot's time. Source health is not part of the
//! snapshot and stays live, so a feed that breaks during a pause still shows.

use super::App;

/// What a paused app remembers.
#[derive(Debug)]
pub(super) struct Frozen {
    /// The identity whose detail the shown snapshot carries.
    focus: Option<String>,
}

impl App {
    /// Whether the screen is frozen on its snapshot.
    pub fn paused(&self) -> bool {
        self.frozen.is_some()
    }

    pub(super) fn toggle_pause(&mut self) {
        self.frozen = match self.frozen {
            Some(_) => None,
            None => Some(Frozen {
                focus: self.focus.clone(),
            }),
        };
    }

    /// Whether a snapshot that just arrived is to be shown: always when live; when paused,
    /// only the first one for a newly focused identity.
    pub(super) fn takes_snapshot(&mut self) -> bool {
        match &mut self.frozen {
            None => true,
            Some(frozen) if self.focus.is_some() && frozen.focus != self.focus => {
                frozen.focus.clone_from(&self.focus);
                true
            }
            Some(_) => false,
        }
    }
}
