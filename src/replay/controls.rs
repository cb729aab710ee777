//! The replay's keys and what they do to the cursor, as one table (the status line lists
//! it) and one controller that owns the player and the cursor. No clock is read here: the
//! loop hands [`Replay::tick`] the wall time that passed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::tz::TimeZone;

use super::cursor::Cursor;
use super::jump;
use super::player::{Player, STEP_KEY_MS};
use crate::engine::Engine;
use crate::event::TimeMs;

/// What a replay key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    PlayPause,
    Faster,
    Slower,
    Back,
    Forward,
    PreviousAlert,
    NextAlert,
    /// Open the line to type a time in.
    Jump,
}

pub struct ControlBinding {
    pub keys: &'static [KeyCode],
    /// What it does, for the help overlay.
    pub help: &'static str,
    /// How the status line lists it (`None`: with the binding before it).
    pub status: Option<(&'static str, &'static str)>,
    pub control: Control,
}

/// Replay's own keys. Space and `p` replace live's pause (replay has no "now" to resume
/// to); `[` `]` step alerts except inside an event popup, where they keep stepping
/// requests; the others are free in live.
pub const CONTROLS: &[ControlBinding] = &[
    ControlBinding {
        keys: &[KeyCode::Char(' '), KeyCode::Char('p')],
        help: "play/pause",
        status: Some(("␣", "play/pause")),
        control: Control::PlayPause,
    },
    ControlBinding {
        keys: &[KeyCode::Char('+'), KeyCode::Char('=')],
        help: "faster (1x 10x 60x 600x 3600x)",
        status: Some(("+/-", "speed")),
        control: Control::Faster,
    },
    ControlBinding {
        keys: &[KeyCode::Char('-')],
        help: "slower",
        status: None,
        control: Control::Slower,
    },
    ControlBinding {
        keys: &[KeyCode::Left],
        help: "a minute back",
        status: Some(("←→", "1 min")),
        control: Control::Back,
    },
    ControlBinding {
        keys: &[KeyCode::Right],
        help: "a minute on",
        status: None,
        control: Control::Forward,
    },
    ControlBinding {
        keys: &[KeyCode::Char('[')],
        help: "previous alert's start",
        status: Some(("[ ]", "alert")),
        control: Control::PreviousAlert,
    },
    ControlBinding {
        keys: &[KeyCode::Char(']')],
        help: "next alert's start",
        status: None,
        control: Control::NextAlert,
    },
    ControlBinding {
        keys: &[KeyCode::Char(':')],
        help: "go to a time",
        status: Some((":", "go to time")),
        control: Control::Jump,
    },
];

/// The control a key press is, if any; inside an event popup `[` and `]` are the popup's.
pub fn control_for(key: &KeyEvent, in_popup: bool) -> Option<Control> {
    let plain = key.modifiers - KeyModifiers::SHIFT == KeyModifiers::NONE;
    let control = CONTROLS
        .iter()
        .find(|b| plain && b.keys.contains(&key.code))?
        .control;
    let steps_requests = matches!(control, Control::PreviousAlert | Control::NextAlert);
    (!(in_popup && steps_requests)).then_some(control)
}

/// What the header and status line show of the replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The time the screen shows, in the replay's time zone.
    pub clock: String,
    pub speed: u32,
    pub playing: bool,
    /// The time being typed after `:`.
    pub input: Option<String>,
    /// Why the last key did nothing (a bad time, no alert that way).
    pub note: Option<String>,
}

/// The player and the cursor, kept together: the cursor follows the player.
pub struct Replay {
    player: Player,
    cursor: Cursor,
    tz: TimeZone,
    input: Option<String>,
    note: Option<String>,
}

impl Replay {
    /// Paused where `player` stands, the cursor played there.
    pub fn new(mut cursor: Cursor, player: Player, tz: TimeZone) -> Self {
        cursor.seek(player.at());
        Replay {
            player,
            cursor,
            tz,
            input: None,
            note: None,
        }
    }

    pub fn engine(&self) -> &Engine {
        self.cursor.engine()
    }

    pub fn player(&self) -> &Player {
        &self.player
    }

    pub fn status(&self) -> Status {
        let shown = self.cursor.at().unwrap_or(self.player.at());
        Status {
            clock: jump::clock(shown, &self.tz),
            speed: self.player.speed(),
            playing: self.player.playing(),
            input: self.input.clone(),
            note: self.note.clone(),
        }
    }

    /// Takes a key when it is the replay's (or the time line is open); returns whether
    /// it did.
    pub fn key(&mut self, key: &KeyEvent, in_popup: bool) -> bool {
        // Ctrl-C quits even while a time is typed.
        let quit = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if self.input.is_some() && !quit {
            self.edit(key);
            return true;
        }
        match control_for(key, in_popup) {
            Some(control) => {
                self.control(control);
                true
            }
            None => false,
        }
    }

    /// Wall time passed: while playing, the cursor moves on. Returns whether the engine
    /// moved.
    pub fn tick(&mut self, elapsed_ms: u64) -> bool {
        let before = self.cursor.at();
        let at = self.player.tick(elapsed_ms);
        self.cursor.seek(at);
        self.cursor.at() != before
    }

    pub fn control(&mut self, control: Control) {
        self.note = None;
        match control {
            Control::PlayPause => self.player.toggle(),
            Control::Faster => self.player.faster(),
            Control::Slower => self.player.slower(),
            Control::Back => self.go(self.player.at() - STEP_KEY_MS),
            Control::Forward => self.go(self.player.at() + STEP_KEY_MS),
            Control::PreviousAlert => {
                let from = self.cursor.at().unwrap_or(self.player.at());
                match self.cursor.previous_alert(from) {
                    Some(t) => self.go(t),
                    None => self.note = Some("no earlier alert".into()),
                }
            }
            Control::NextAlert => {
                let end = self.player.bounds().1;
                match self.cursor.next_alert(self.player.at(), end) {
                    Some(t) => self.go(t),
                    None => {
                        self.cursor.seek(self.player.at());
                        self.note = Some("no later alert".into());
                    }
                }
            }
            Control::Jump => self.input = Some(String::new()),
        }
    }

    /// Moves the player and the cursor to `t` (within history).
    fn go(&mut self, t: TimeMs) {
        let at = self.player.jump(t);
        self.cursor.seek(at);
    }

    /// A key on the time line: typing, Backspace, Enter to go, Esc to cancel.
    fn edit(&mut self, key: &KeyEvent) {
        let Some(text) = self.input.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Esc => {
                self.input = None;
                self.note = None;
            }
            KeyCode::Enter => match jump::parse(text, self.player.at(), &self.tz) {
                Ok(t) => {
                    self.input = None;
                    self.note = self.outside(t);
                    self.go(t);
                }
                Err(why) => self.note = Some(why),
            },
            _ => {}
        }
    }

    /// Says so when a time typed is outside history: the cursor stops at its edge.
    fn outside(&self, t: TimeMs) -> Option<String> {
        let (start, end) = self.player.bounds();
        let edge = |what: &str, at: TimeMs| {
            Some(format!("history {what} at {}", jump::clock(at, &self.tz)))
        };
        if t < start {
            edge("starts", start)
        } else if t > end {
            edge("ends", end)
        } else {
            None
        }
    }
}
