//! Replay: the same history gives the same alerts whichever way the cursor gets to a time
//! (keys, playing, a typed time), and the header says REPLAY with the cursor and speed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use tokentop::app::{App, Msg};
use tokentop::engine::alerts::{Alert, AlertKind};
use tokentop::event::{Event, TimeMs};
use tokentop::live;
use tokentop::replay::controls::{Control, Replay};
use tokentop::replay::history::History;
use tokentop::replay::{TAIL_MS, start};
use tokentop::source::origin::Origins;
use tokentop::theme::Theme;
use tokentop::ui;

use crate::common::{MIN, NOON, engine, event};

/// Two hours of a steady pace (a request a minute) from 10:00, a burst of 300 requests
/// at 11:40, and a second burst at 11:55 from another identity.
fn history() -> History {
    let t0 = NOON - 2 * 60 * MIN;
    let mut events: Vec<Event> = (0..120)
        .flat_map(|m| {
            [
                event("steady", t0 + m * MIN, 100, 10),
                event("other", t0 + m * MIN + 30_000, 80, 10),
            ]
        })
        .collect();
    events.extend((0..300).map(|i| event("steady", t0 + 100 * MIN + i * 150, 100, 10)));
    events.extend((0..300).map(|i| event("other", t0 + 115 * MIN + i * 150, 80, 10)));
    events.sort_by_key(|e| e.time);
    History {
        events: events.into(),
        sources: Vec::new(),
        origins: Origins::default(),
    }
}

fn replay(speed: u32) -> Replay {
    start(&history(), engine(), (None, None), speed).expect("events")
}

fn key(replay: &mut Replay, code: KeyCode) -> bool {
    replay.key(&KeyEvent::new(code, KeyModifiers::NONE), false)
}

fn typed(replay: &mut Replay, text: &str) {
    key(replay, KeyCode::Char(':'));
    for c in text.chars() {
        key(replay, KeyCode::Char(c));
    }
    key(replay, KeyCode::Enter);
}

/// The alerts as the screen lists them.
fn alerts(replay: &Replay) -> Vec<Alert> {
    replay.engine().snapshot(None).alerts
}

#[test]
fn the_same_history_gives_the_same_alerts_however_the_cursor_gets_there() {
    // A typed time.
    let mut typed_to = replay(60);
    typed(&mut typed_to, "11:58");
    assert_eq!(typed_to.status().clock, "2026-01-01 11:58:00");
    assert_eq!(typed_to.status().input, None);
    let seen = alerts(&typed_to);
    let bursts: Vec<&str> = seen
        .iter()
        .filter(|a| a.kind == AlertKind::Burst)
        .map(|a| a.subject.as_str())
        .collect();
    assert!(
        bursts.contains(&"steady") && bursts.contains(&"other"),
        "both bursts are alerts by 11:58: {seen:?}"
    );

    // Played at 600x in uneven ticks past it, then a minute back with `←`.
    let mut played = replay(600);
    key(&mut played, KeyCode::Char(' '));
    let mut ticks = [70u64, 130, 100, 95].iter().cycle();
    while played.player().at() < NOON - MIN {
        played.tick(*ticks.next().expect("ticks"));
    }
    key(&mut played, KeyCode::Char(' '));
    typed(&mut played, "11:59");
    key(&mut played, KeyCode::Left);
    assert_eq!(played.status().clock, "2026-01-01 11:58:00");
    assert_eq!(alerts(&played), seen);

    // And from the first alert on with `]` and `→`.
    let mut stepped = replay(60);
    assert!(key(&mut stepped, KeyCode::Char(']')));
    let first = stepped.player().at();
    assert!(
        alerts(&stepped).iter().any(|a| a.subject == "steady"),
        "`]` stops where the first alert shows: {:?}",
        alerts(&stepped)
    );
    while stepped.player().at() + MIN <= NOON - 2 * MIN {
        key(&mut stepped, KeyCode::Right);
    }
    typed(&mut stepped, "2026-01-01 11:58");
    assert_eq!(alerts(&stepped), seen);
    // `[` goes back to the start of the latest alert before the cursor.
    key(&mut stepped, KeyCode::Char('['));
    assert!(stepped.player().at() > first, "the second burst's start");
    key(&mut stepped, KeyCode::Char('['));
    assert_eq!(stepped.player().at(), first);
    key(&mut stepped, KeyCode::Char('['));
    assert_eq!(stepped.status().note.as_deref(), Some("no earlier alert"));
}

#[test]
fn replay_keys_leave_the_popup_its_brackets_and_bad_times_say_why() {
    let mut r = replay(60);
    let bracket = KeyEvent::new(KeyCode::Char(']'), KeyModifiers::NONE);
    assert!(
        !r.key(&bracket, true),
        "inside an event popup `]` steps requests"
    );
    typed(&mut r, "half past");
    let status = r.status();
    assert_eq!(
        status.input.as_deref(),
        Some("half past"),
        "the line stays open"
    );
    assert_eq!(
        status.note.as_deref(),
        Some("cannot read \"half past\": type HH:MM, YYYY-MM-DD HH:MM or RFC 3339")
    );
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(!r.key(&ctrl_c, false), "Ctrl-C is left to quit");
    key(&mut r, KeyCode::Esc);
    assert_eq!((r.status().input, r.status().note), (None, None));
    // Past the end: the cursor stops there and says so.
    typed(&mut r, "2026-01-02 09:00");
    assert_eq!(r.player().at(), r.player().bounds().1);
    assert!(
        r.status()
            .note
            .expect("note")
            .starts_with("history ends at")
    );
    r.control(Control::Faster);
    assert_eq!(r.status().speed, 600);
}

/// The screen of a replay, with `keys` pressed in the app.
fn screen_after(replay: &Replay, keys: &[char], width: u16, height: u16) -> Terminal<TestBackend> {
    let mut app = App::new("replay demo".into(), replay.engine().snapshot(None));
    app.update(Msg::Area(Rect::new(0, 0, width, height)));
    live::refresh(replay.engine(), &mut app);
    app.set_replay(replay.status());
    for &c in keys {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        live::update(replay.engine(), &mut app, Msg::Key(key));
    }
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| ui::render(frame, &app, &Theme::builtin()))
        .expect("draw");
    terminal
}

#[test]
fn replay_header_shows_the_cursor_and_speed() {
    let mut r = replay(600);
    typed(&mut r, "11:42");
    insta::assert_snapshot!(screen_after(&r, &[], 80, 24).backend());
}

#[test]
fn replay_help_lists_its_keys_in_place_of_live_pause() {
    let help = screen_after(&replay(60), &['?'], 120, 40);
    let text: String = help
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    for line in [
        "Space p",
        "play/pause",
        "← ",
        "a minute back",
        ": ",
        "go to a time",
    ] {
        assert!(text.contains(line), "{line:?} in the help: {text}");
    }
    assert!(
        !text.contains("pause/resume"),
        "live's pause is not replay's"
    );
}

/// History ends a while after the last event, so alerts open there are seen to end.
#[test]
fn history_ends_a_tail_after_the_last_event() {
    let r = replay(1);
    // The other identity's request in the steady pace's last minute, at 11:59:30.
    let last: TimeMs = NOON - 30_000;
    assert_eq!(r.player().bounds().1, last + TAIL_MS);
}

/// The command's edges: without a terminal it says so (exit 2) before reading anything; a
/// speed outside 1..3600 is a usage error; its help names the keys.
#[test]
fn the_replay_command_checks_its_terminal_and_speed() {
    let run = |args: &[&str]| {
        assert_cmd::Command::cargo_bin("tokentop")
            .expect("binary")
            .arg("replay")
            .args(args)
            .write_stdin("")
            .output()
            .expect("run")
    };
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/demo");
    let out = run(&[demo]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the monitor needs a terminal"), "{err}");
    let out = run(&[demo, "--speed", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--speed") && err.contains("1..=3600"), "{err}");
    let help = String::from_utf8(run(&["--help"]).stdout).expect("utf-8");
    for needle in [
        "--since",
        "--until",
        "--speed",
        "--tz",
        "--config",
        "play/pause",
    ] {
        assert!(help.contains(needle), "{needle} in {help}");
    }
}

/// With `--since` the replay starts paused there, the history before it already played
/// (the alerts' warm-up), and the first screen is the same every time.
#[test]
fn a_replay_starts_paused_at_since_with_what_came_before_played() {
    let since = NOON - 30 * MIN;
    let first = |speed| {
        let r = start(&history(), engine(), (Some(since), None), speed).expect("events");
        let requests = r.engine().snapshot(None).totals.requests;
        (r.status().clock, r.status().playing, requests)
    };
    // A request a minute of `steady` from 10:00 to 11:30 (91) and of `other` from 10:00:30
    // to 11:29:30 (90); the bursts come later.
    let expected = ("2026-01-01 11:30:00".to_string(), false, 91 + 90);
    assert_eq!(first(60), expected);
    assert_eq!(first(3600).0, expected.0);
    // Without it, at the first event (the grid step that holds it).
    let r = replay(60);
    assert_eq!(r.status().clock, "2026-01-01 10:00:00");
    assert_eq!(r.engine().snapshot(None).totals.requests, 1);
}
