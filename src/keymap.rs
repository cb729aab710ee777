//! Keys to actions, as one table: the loop looks keys up here and the status line (and
//! later the help overlay) is generated from the same rows. What an action does can
//! depend on the screen (moving in the alert list moves its cursor, not the table's).

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
    /// Enter: open the selected identity's view; in it, open (or close) the selected
    /// event's popup; in the alert list, go to the selected alert's identity.
    ToggleDetail,
    /// Esc: close the event popup, the identity view, the alert list, the sources view or
    /// the providers view.
    Close,
    /// Show or hide the alerts pane under the table.
    ToggleAlertPane,
    /// Open or close the full-screen alert list.
    ToggleAlertList,
    /// Acknowledge the selected alert (in the list) or the selected identity's alerts;
    /// again to take it back.
    Acknowledge,
    /// Show or hide the help overlay.
    Help,
    /// Open the filter prompt.
    Filter,
    /// The overview: the next rate window (1m, 5m, 1h, 24h); the identity view: the
    /// timeline's next span (15m, 1h, 6h, 24h).
    NextWindow,
    /// The overview's totals column: the next range (today, 7 days, 30 days, all loaded).
    NextRange,
    /// Tab: the keys go to the side panel of spend shares, or back to the table.
    TogglePanel,
    /// Freeze the screen on the snapshot shown (ingest and alerts go on), or resume.
    Pause,
    /// Open or close the sources view: each source's health, broken ones first.
    ToggleSources,
    /// Open or close the providers view: each polled provider's health, today's spend,
    /// and identities by spend that no log explains.
    ToggleProviders,
    /// `[` `]`: the previous or next of the identity's latest requests, or of its
    /// findings (in their popup, where moving scrolls the record).
    PreviousEvent,
    NextEvent,
    /// `f`: the identity view's keys go to its findings, or back to its latest requests.
    ToggleFindings,
    /// `E`: write the incident report of the selected identity (over the totals range) or
    /// of the selected alert's identity (over its episode, 30 minutes either side).
    IncidentReport,
}

/// The screens, for the status line (`App::screen` derives it from the app's screen): every
/// key works everywhere, but the line lists only what makes sense on the screen at hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The identity table.
    Table,
    /// The view of one identity.
    Detail,
    /// The full-screen alert list.
    Alerts,
    /// One event's (or finding's) popup over the identity view.
    Event,
    /// The full-screen health of every source.
    Sources,
    /// The full-screen view of the polled providers.
    Providers,
}

const EVERYWHERE: &[Screen] = &[
    Screen::Table,
    Screen::Detail,
    Screen::Alerts,
    Screen::Event,
    Screen::Sources,
    Screen::Providers,
];
/// Listed in help only.
const HELP_ONLY: &[Screen] = &[];
const TABLE: &[Screen] = &[Screen::Table];

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in the status line.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// The screen the key belongs to in the help overlay; `None`: it works everywhere.
    pub screen: Option<Screen>,
    /// The screens whose status line lists it, in table order: when the line is short,
    /// the last ones drop out.
    pub status: &'static [Screen],
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
        screen: None,
        status: EVERYWHERE,
    },
    Binding {
        keys: &[(KeyCode::Enter, NONE)],
        label: "⏎",
        action: Action::ToggleDetail,
        help: "open",
        screen: None,
        status: &[Screen::Table, Screen::Detail],
    },
    Binding {
        keys: &[(KeyCode::Esc, NONE)],
        label: "Esc",
        action: Action::Close,
        help: "back",
        screen: None,
        status: &[Screen::Detail, Screen::Alerts, Screen::Event],
    },
    Binding {
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "↑↓/jk",
        action: Action::Up,
        help: "move",
        screen: None,
        status: EVERYWHERE,
    },
    Binding {
        keys: &[(KeyCode::Char('f'), NONE)],
        label: "f",
        action: Action::ToggleFindings,
        help: "findings",
        screen: Some(Screen::Detail),
        status: &[Screen::Detail],
    },
    Binding {
        keys: &[(KeyCode::Char('a'), NONE)],
        label: "a/A",
        action: Action::ToggleAlertPane,
        help: "alerts",
        screen: Some(Screen::Table),
        status: &[Screen::Table, Screen::Detail],
    },
    Binding {
        keys: &[(KeyCode::Char('A'), SHIFT), (KeyCode::Char('A'), NONE)],
        label: "A",
        action: Action::ToggleAlertList,
        help: "alert list",
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('x'), NONE)],
        label: "x",
        action: Action::Acknowledge,
        help: "ack",
        screen: None,
        status: &[Screen::Table, Screen::Alerts],
    },
    Binding {
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "↓j",
        action: Action::Down,
        help: "down",
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::PageUp, NONE), (KeyCode::Char('b'), CTRL)],
        label: "PgUp",
        action: Action::PageUp,
        help: "page up",
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::PageDown, NONE), (KeyCode::Char('f'), CTRL)],
        label: "PgDn",
        action: Action::PageDown,
        help: "page down",
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Home, NONE), (KeyCode::Char('g'), NONE)],
        label: "g",
        action: Action::Top,
        help: "top",
        screen: None,
        status: HELP_ONLY,
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
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('['), NONE)],
        label: "[ ]",
        action: Action::PreviousEvent,
        help: "prev/next in the list",
        screen: Some(Screen::Detail),
        status: &[Screen::Event],
    },
    Binding {
        keys: &[(KeyCode::Char(']'), NONE)],
        label: "]",
        action: Action::NextEvent,
        help: "next in the list",
        screen: Some(Screen::Detail),
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('s'), NONE)],
        label: "s/S",
        action: Action::NextSort,
        help: "sort column",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Char('S'), SHIFT), (KeyCode::Char('S'), NONE)],
        label: "S",
        action: Action::PreviousSort,
        help: "previous sort column",
        screen: Some(Screen::Table),
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('i'), NONE)],
        label: "i",
        action: Action::ReverseSort,
        help: "invert",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Char('$'), NONE), (KeyCode::Char('$'), SHIFT)],
        label: "$",
        action: Action::Sort(SortKey::Spend),
        help: "spend",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        action: Action::Sort(SortKey::Rate),
        help: "rate",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Char('n'), NONE)],
        label: "n",
        action: Action::Sort(SortKey::Name),
        help: "name",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Char('w'), NONE)],
        label: "w",
        action: Action::NextWindow,
        help: "time window",
        screen: None,
        status: &[Screen::Table, Screen::Detail],
    },
    Binding {
        keys: &[(KeyCode::Char('t'), NONE)],
        label: "t",
        action: Action::NextRange,
        help: "totals range",
        screen: Some(Screen::Table),
        status: TABLE,
    },
    Binding {
        keys: &[(KeyCode::Tab, NONE)],
        label: "Tab",
        action: Action::TogglePanel,
        help: "shares panel (wide)",
        screen: Some(Screen::Table),
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('/'), NONE)],
        label: "/",
        action: Action::Filter,
        help: "filter: name team: kind: label:",
        screen: Some(Screen::Table),
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)],
        label: "?",
        action: Action::Help,
        help: "help",
        screen: None,
        status: EVERYWHERE,
    },
    Binding {
        keys: &[(KeyCode::Char('p'), NONE)],
        label: "p",
        action: Action::Pause,
        help: "pause/resume",
        screen: None,
        status: EVERYWHERE,
    },
    Binding {
        keys: &[(KeyCode::Char('E'), SHIFT), (KeyCode::Char('E'), NONE)],
        label: "E",
        action: Action::IncidentReport,
        help: "incident",
        screen: None,
        status: HELP_ONLY,
    },
    Binding {
        keys: &[(KeyCode::Char('h'), NONE)],
        label: "h",
        action: Action::ToggleSources,
        help: "sources",
        screen: None,
        status: EVERYWHERE,
    },
    Binding {
        keys: &[(KeyCode::Char('P'), SHIFT), (KeyCode::Char('P'), NONE)],
        label: "P",
        action: Action::ToggleProviders,
        help: "providers",
        // Works everywhere, as `h` does; listed with the table's keys so that the help
        // keeps its legend on an 80x24 terminal.
        screen: Some(Screen::Table),
        status: EVERYWHERE,
    },
];

/// How a key is written in the help overlay.
pub fn key_name(code: KeyCode, mods: KeyModifiers) -> String {
    let name = match code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        other => format!("{other:?}"),
    };
    if mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{name}")
    } else {
        name
    }
}

/// The keys of one binding as the help overlay lists them: each key once (a shifted
/// letter is bound with and without the shift flag, as terminals differ).
pub fn key_names(binding: &Binding) -> String {
    let mut names: Vec<String> = Vec::new();
    for &(code, mods) in binding.keys {
        let name = key_name(code, mods);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(" ")
}

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
