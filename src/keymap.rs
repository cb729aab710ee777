//! Keys to actions, as one table: the loop looks keys up here and the status line (and
//! later the help overlay) is generated from the same rows.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::SortKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Sort(SortKey),
    NextSort,
    PreviousSort,
    ReverseSort,
    /// Enter: open the selected identity's detail panel, or close the open one.
    ToggleDetail,
    CloseDetail,
}

/// Where a binding is listed in the status line. Every key works everywhere; this only
/// keeps the line to what makes sense on the screen at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Only in help.
    Never,
    Always,
    /// On the identity table.
    Table,
    /// With the detail panel open.
    Detail,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in the status line.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// In the status line, in table order: when the line is short the last ones drop out.
    pub status: Shown,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

pub const KEYMAP: &[Binding] = &[
    Binding {
        keys: &[(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)],
        label: "q",
        action: Action::Quit,
        help: "quit",
        status: Shown::Always,
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "⏎",
        action: Action::ToggleDetail,
        help: "detail",
        status: Shown::Table,
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "⏎/Esc",
        action: Action::CloseDetail,
        help: "close",
        status: Shown::Detail,
    },
    Binding {
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "↑↓/jk",
        action: Action::Up,
        help: "move",
        status: Shown::Always,
    },
    Binding {
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "↓j",
        action: Action::Down,
        help: "down",
        status: Shown::Never,
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)],
        label: "PgUp",
        action: Action::PageUp,
        help: "page up",
        status: Shown::Never,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)],
        label: "PgDn",
        action: Action::PageDown,
        help: "page down",
        status: Shown::Never,
    },
    Binding {
        keys: &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
        label: "g",
        action: Action::Top,
        help: "top",
        status: Shown::Never,
    },
    Binding {
        keys: &[
            (KeyCode::End, NONE),
            (KeyCode::Char('G'), SHIFT),
            (KeyCode::Char('G'), NONE),
        ],
        label: "G",
        action: Action::Bottom,
        help: "bottom",
        status: Shown::Never,
    },
    Binding {
        keys: &[(KeyCode::Char('s'), NONE)],
        label: "s/S",
        action: Action::NextSort,
        help: "sort column",
        status: Shown::Table,
    },
    Binding {
        keys: &[(KeyCode::Char('S'), SHIFT), (KeyCode::Char('S'), NONE)],
        label: "S",
        action: Action::PreviousSort,
        help: "previous sort column",
        status: Shown::Never,
    },
    Binding {
        keys: &[(KeyCode::Char('i'), NONE)],
        label: "i",
        action: Action::ReverseSort,
        help: "invert",
        status: Shown::Table,
    },
    Binding {
        keys: &[(KeyCode::Char('$'), NONE), (KeyCode::Char('$'), SHIFT)],
        label: "$",
        action: Action::Sort(SortKey::Spend),
        help: "spend",
        status: Shown::Table,
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Sort(SortKey::Rate),
        help: "rate",
        status: Shown::Table,
    },
    Binding {
        keys: &[(KeyCode::Char('n'), NONE)],
        label: "n",
        action: Action::Sort(SortKey::Name),
        help: "name",
        status: Shown::Table,
    },
];

/// The action bound to a key press, if any.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    KEYMAP
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|&(code, mods)| code == key.code && mods == key.modifiers)
        })
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_binding_and_keys_do_not_clash() {
        let mut seen = Vec::new();
        for b in KEYMAP {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), CTRL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
    }

    #[test]
    fn shifted_letters_match_with_or_without_the_shift_flag() {
        for mods in [NONE, SHIFT] {
            let key = KeyEvent::new(KeyCode::Char('S'), mods);
            assert_eq!(action_for(&key), Some(Action::PreviousSort));
        }
    }
}
