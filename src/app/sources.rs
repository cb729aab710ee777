//! The sources view's state: open or not, and how far it is scrolled. How many lines it
//! has and how many fit come from the layout the view draws by (`layout::sources_scroll`), for the
//! terminal size the loop last reported.

use super::App;
use super::screen::Screen;
use crate::keymap::Action;

impl App {
    /// The first line the sources view shows, while it is open.
    pub fn sources_scroll(&self) -> Option<usize> {
        self.screen.sources_scroll()
    }

    /// Keys in the sources view: moving scrolls, Esc or `h` close. Quitting and pausing
    /// go through (returns false); other keys wait until the view is closed.
    pub(super) fn act_on_sources(&mut self, action: Action) -> bool {
        let (max, page) = crate::layout::sources_scroll(self, self.area);
        let Screen::Sources { scroll, .. } = &mut self.screen else {
            return false;
        };
        let at = (*scroll).min(max);
        let to = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at + 1,
            Action::PageUp => at.saturating_sub(page),
            Action::PageDown => at + page,
            Action::Top => 0,
            Action::Bottom => max,
            Action::Close | Action::ToggleSources => {
                self.screen.close();
                return true;
            }
            Action::Quit | Action::Pause => return false,
            _ => return true,
        };
        *scroll = to.min(max);
        true
    }

    /// Scrolls the open sources view by `lines` (the wheel).
    pub(super) fn scroll_sources(&mut self, lines: isize) {
        let (max, _) = crate::layout::sources_scroll(self, self.area);
        if let Screen::Sources { scroll, .. } = &mut self.screen {
            *scroll = (*scroll).min(max).saturating_add_signed(lines).min(max);
        }
    }
}
