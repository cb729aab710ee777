//! Which screen is up, each with its own state. The identity table or one identity's view
//! is always at the bottom; the alert list, the sources and providers views and the help
//! open over what is up and keep it, so closing them goes back to it as it was.

use std::mem;

use super::alerts::AlertCursor;
use super::identity::IdentityView;
use crate::keymap;

/// The full-screen pages that only scroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Page {
    /// Each source's health (`h`).
    Sources,
    /// The polled providers (`P`).
    Providers,
}

#[derive(Debug)]
pub(super) enum Screen {
    /// The identity table (its order and selection are shared: every screen goes back to it).
    Overview,
    /// One identity's view, with its event cursor and popup (boxed: it holds an event).
    Identity(Box<IdentityView>),
    /// The full-screen alert list, with its cursor (it opens on its first alert) and
    /// whether the selected alert is open in full in a popup.
    Alerts {
        cursor: AlertCursor,
        popup: bool,
        under: Box<Screen>,
    },
    /// A full-screen page (the sources or the providers), scrolled down `scroll` lines.
    Page {
        page: Page,
        scroll: usize,
        under: Box<Screen>,
    },
    /// The help overlay: drawn over the screen under it, it takes the keys until closed.
    Help(Box<Screen>),
}

impl Screen {
    /// The screen this one is open over.
    fn under(&self) -> Option<&Screen> {
        match self {
            Screen::Alerts { under, .. } | Screen::Help(under) | Screen::Page { under, .. } => {
                Some(under)
            }
            Screen::Overview | Screen::Identity(_) => None,
        }
    }

    /// The identity view, up or under another screen.
    pub(super) fn identity(&self) -> Option<&IdentityView> {
        match self {
            Screen::Identity(view) => Some(view.as_ref()),
            _ => self.under()?.identity(),
        }
    }

    pub(super) fn identity_mut(&mut self) -> Option<&mut IdentityView> {
        match self {
            Screen::Identity(view) => Some(view.as_mut()),
            Screen::Overview => None,
            Screen::Alerts { under, .. } | Screen::Help(under) | Screen::Page { under, .. } => {
                under.identity_mut()
            }
        }
    }

    /// The table or identity view at the bottom.
    pub(super) fn bottom_mut(&mut self) -> &mut Screen {
        match self {
            Screen::Alerts { under, .. } | Screen::Help(under) | Screen::Page { under, .. } => {
                under.bottom_mut()
            }
            bottom => bottom,
        }
    }

    /// The alert list's cursor, while the list is open (under the help too).
    pub(super) fn alert_cursor(&self) -> Option<&AlertCursor> {
        match self {
            Screen::Alerts { cursor, .. } => Some(cursor),
            _ => self.under()?.alert_cursor(),
        }
    }

    pub(super) fn alert_cursor_mut(&mut self) -> Option<&mut AlertCursor> {
        match self {
            Screen::Alerts { cursor, .. } => Some(cursor),
            Screen::Help(under) | Screen::Page { under, .. } => under.alert_cursor_mut(),
            Screen::Overview | Screen::Identity(_) => None,
        }
    }

    /// Whether the alert list's popup is open (under the help too).
    pub(super) fn alert_popup(&self) -> bool {
        match self {
            Screen::Alerts { popup, .. } => *popup,
            _ => self.under().is_some_and(Screen::alert_popup),
        }
    }

    pub(super) fn alert_popup_mut(&mut self) -> Option<&mut bool> {
        match self {
            Screen::Alerts { popup, .. } => Some(popup),
            Screen::Help(under) | Screen::Page { under, .. } => under.alert_popup_mut(),
            Screen::Overview | Screen::Identity(_) => None,
        }
    }

    /// The page open and how far it is scrolled (under the help too).
    pub(super) fn page(&self) -> Option<(Page, usize)> {
        match self {
            Screen::Page { page, scroll, .. } => Some((*page, *scroll)),
            _ => self.under()?.page(),
        }
    }

    /// Opens a screen over this one: `open` builds it around what is up now.
    pub(super) fn open(&mut self, open: impl FnOnce(Box<Screen>) -> Screen) {
        let under = mem::replace(self, Screen::Overview);
        *self = open(Box::new(under));
    }

    /// Closes the screen on top: back to the one under it, or to the table.
    pub(super) fn close(&mut self) {
        *self = match mem::replace(self, Screen::Overview) {
            Screen::Alerts { under, .. } | Screen::Help(under) | Screen::Page { under, .. } => {
                *under
            }
            Screen::Overview | Screen::Identity(_) => Screen::Overview,
        };
    }

    /// What the status line describes: the screen under the help.
    pub(super) fn status(&self) -> keymap::Screen {
        match self {
            Screen::Overview => keymap::Screen::Table,
            Screen::Identity(view) if view.any_popup() => keymap::Screen::Event,
            Screen::Identity(_) => keymap::Screen::Detail,
            Screen::Alerts { .. } => keymap::Screen::Alerts,
            Screen::Page {
                page: Page::Sources,
                ..
            } => keymap::Screen::Sources,
            Screen::Page {
                page: Page::Providers,
                ..
            } => keymap::Screen::Providers,
            Screen::Help(under) => under.status(),
        }
    }
}
