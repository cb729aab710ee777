//! The full-screen pages that only scroll (the sources view and the providers view): open
//! or not, and how far each is scrolled. How many lines a page has and how many fit come
//! from the layout the view draws by (`layout::sources_scroll`, `layout::providers_scroll`),
//! for the terminal size the loop last reported.

use super::App;
use super::screen::{Page, Screen};
use crate::keymap::Action;

impl App {
    /// The first line the sources view shows, while it is open.
    pub fn sources_scroll(&self) -> Option<usize> {
        match self.screen.page()? {
            (Page::Sources, scroll) => Some(scroll),
            (Page::Providers, _) => None,
        }
    }

    /// The first line the providers view shows, while it is open.
    pub fn providers_scroll(&self) -> Option<usize> {
        match self.screen.page()? {
            (Page::Providers, scroll) => Some(scroll),
            (Page::Sources, _) => None,
        }
    }

    /// Opens a page over what is up, at its top.
    pub(super) fn open_page(&mut self, page: Page) {
        self.screen.open(|under| Screen::Page {
            page,
            scroll: 0,
            under,
        });
    }

    /// How far the open page can scroll, and its page size.
    fn page_scroll(&self, page: Page) -> (usize, usize) {
        match page {
            Page::Sources => crate::layout::sources_scroll(self, self.area),
            Page::Providers => crate::layout::providers_scroll(self, self.area),
        }
    }

    /// Keys on a page: moving scrolls, Esc or the page's own key close it, the other
    /// page's key goes over to it (so the status line's `h`, promoted while a source
    /// fails, works here too). Quitting and pausing go through (returns false); other keys
    /// wait until the page is closed.
    pub(super) fn act_on_page(&mut self, action: Action) -> bool {
        let Some((page, _)) = self.screen.page() else {
            return false;
        };
        let (max, step) = self.page_scroll(page);
        let Screen::Page {
            page: shown,
            scroll,
            ..
        } = &mut self.screen
        else {
            return false;
        };
        let (own, other) = match page {
            Page::Sources => (Action::ToggleSources, Page::Providers),
            Page::Providers => (Action::ToggleProviders, Page::Sources),
        };
        let at = (*scroll).min(max);
        let to = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at + 1,
            Action::PageUp => at.saturating_sub(step),
            Action::PageDown => at + step,
            Action::Top => 0,
            Action::Bottom => max,
            Action::Close => {
                self.screen.close();
                return true;
            }
            _ if action == own => {
                self.screen.close();
                return true;
            }
            Action::ToggleSources | Action::ToggleProviders => {
                (*shown, *scroll) = (other, 0);
                return true;
            }
            Action::Quit | Action::Pause => return false,
            _ => return true,
        };
        *scroll = to.min(max);
        true
    }

    /// Scrolls the open page by `lines` (the wheel).
    pub(super) fn scroll_page(&mut self, lines: isize) {
        let Some((page, _)) = self.screen.page() else {
            return;
        };
        let (max, _) = self.page_scroll(page);
        if let Screen::Page { scroll, .. } = &mut self.screen {
            *scroll = (*scroll).min(max).saturating_add_signed(lines).min(max);
        }
    }
}
