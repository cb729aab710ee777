//! Pause: the screen keeps the snapshot it shows while the loop goes on ingesting and
//! alerting. Keys, sorting, the filter and scrolling still work on the frozen snapshot.
//! Opening another identity's view, or switching the rate window or the timeline's span,
//! needs numbers the frozen snapshot lacks: the fresh snapshot taken for it is shown and
//! the screen stays paused, so the paused clock moves to that snapshot's time. Source
//! health is not part of the snapshot and stays live, so a feed that breaks during a
//! pause still shows.

use super::App;
use crate::engine::snapshot::{RateWindow, TimelineSpan};

/// What a paused app remembers: what the shown snapshot was taken for.
#[derive(Debug)]
pub(super) struct Frozen {
    /// The identity whose detail the shown snapshot carries.
    focus: Option<String>,
    window: RateWindow,
    span: TimelineSpan,
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
                focus: self.focus().map(str::to_string),
                window: self.window,
                span: self.span,
            }),
        };
    }

    /// Whether a snapshot that just arrived is to be shown: always when live; when paused,
    /// only the first one for a newly focused identity, window or span.
    pub(super) fn takes_snapshot(&mut self) -> bool {
        let Some(frozen) = &mut self.frozen else {
            return true;
        };
        let focus = self.screen.identity().map(|v| v.name());
        let new_focus = focus.is_some() && frozen.focus.as_deref() != focus;
        if new_focus || frozen.window != self.window || frozen.span != self.span {
            frozen.focus = focus.map(str::to_string);
            (frozen.window, frozen.span) = (self.window, self.span);
            return true;
        }
        false
    }
}
