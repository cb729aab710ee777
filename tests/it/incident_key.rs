//! `E` in the monitor: the app asks for the selected identity's incident report over the
//! totals range, or for an alert's identity over its episode and half an hour either side;
//! the loop's writer reads the monitor's logs again and writes both files, and the status
//! line says where they went, or why they were not written.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use tokentop::app::{IncidentAsk, Msg};
use tokentop::config::Config;
use tokentop::event::TimeMs;
use tokentop::live::{IncidentWriter, Input, Sources};
use tokentop::pricing::PriceTable;
use tokentop::source::follow::FollowOptions;

use crate::alert_views::alerting;
use crate::common::{MIN, NOON, engine, event};
use crate::tui_more::line;
use crate::views::Screen;

const DAY: TimeMs = 24 * 60 * MIN;
/// Midnight before `NOON`: where "today" starts.
const MIDNIGHT: TimeMs = NOON - DAY / 2;

fn notice(screen: &Screen) -> (String, bool) {
    let notice = screen.app.notice().expect("a notice");
    (notice.text.clone(), notice.error)
}

/// The status line as drawn at 120 columns.
fn status(screen: &Screen) -> String {
    line(&screen.draw(120, 24), 23)
}

#[test]
fn e_on_a_row_asks_for_its_report_over_the_totals_range_and_says_where_it_went() {
    let mut e = engine();
    e.ingest(&event("svc-a", NOON - 5 * MIN, 100, 10));
    e.ingest(&event("svc-b", NOON - 3 * MIN, 100, 10));
    let mut screen = Screen::new("logs", e, 24);
    screen.press('n');
    screen.press('g');
    screen.press('E');
    let today = IncidentAsk {
        identity: "svc-a".into(),
        since: Some(MIDNIGHT),
        until: None,
    };
    assert_eq!(screen.app.take_incident_ask(), Some(today));
    assert_eq!(screen.app.take_incident_ask(), None, "asked once");
    assert!(status(&screen).contains("writing the incident report of svc-a…"));
    // One report at a time: a second E says so and asks nothing.
    screen.press('E');
    assert_eq!(screen.app.take_incident_ask(), None);
    let (text, error) = notice(&screen);
    assert!(error && text.contains("still writing the incident report of svc-a"));

    let stem = "./incident-svc-a-20260101T0000Z";
    let written = (
        PathBuf::from(format!("{stem}.md")),
        PathBuf::from(format!("{stem}.json")),
    );
    screen.app.update(Msg::Incident {
        identity: "svc-a".into(),
        result: Ok(written),
    });
    let said = format!("incident report written: {stem}.md, .json");
    assert_eq!(notice(&screen), (said.clone(), false));
    assert!(status(&screen).contains(&said), "{}", status(&screen));

    // The next key clears it. Over 7 days, from svc-b's own view: its report from the
    // midnight six days back.
    screen.press('t');
    assert!(screen.app.notice().is_none());
    screen.press('j');
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.focus(), Some("svc-b"));
    screen.press('E');
    let week = IncidentAsk {
        identity: "svc-b".into(),
        since: Some(MIDNIGHT - 6 * DAY),
        until: None,
    };
    assert_eq!(screen.app.take_incident_ask(), Some(week));
    screen.app.update(Msg::Incident {
        identity: "svc-b".into(),
        result: Err("cannot write /ro/x.md: give a folder you can write to".into()),
    });
    let (text, error) = notice(&screen);
    assert!(error);
    assert_eq!(
        text,
        "the incident report of svc-b was not written: cannot write /ro/x.md: give a folder you can write to"
    );
}

#[test]
fn e_on_an_alert_asks_for_its_identity_over_its_episode_and_half_an_hour_either_side() {
    let mut screen = alerting(24);
    let alerts = screen.app.snapshot.alerts.clone();
    let runaway = ["agent-loop-runner".to_string()];
    let ended = alerts
        .iter()
        .position(|a| a.identities == runaway && a.ended_at.is_some())
        .expect("the runaway's first burst, ended");
    let active = alerts
        .iter()
        .position(|a| a.identities == runaway && a.active())
        .expect("its burst now");
    screen.press('A');
    for _ in 0..ended {
        screen.press('j');
    }
    screen.press('E');
    let alert = &alerts[ended];
    let episode = IncidentAsk {
        identity: runaway[0].clone(),
        since: Some(alert.started_at - 30 * MIN),
        until: alert.ended_at.map(|t| t + 30 * MIN),
    };
    assert!(alert.started_at >= NOON - 61 * MIN && alert.started_at <= NOON - 59 * MIN);
    assert_eq!(screen.app.take_incident_ask(), Some(episode));
    screen.app.update(Msg::Incident {
        identity: runaway[0].clone(),
        result: Err("test".into()),
    });

    // The active one, open in full: up to when the report is made.
    screen.press('g');
    for _ in 0..active {
        screen.press('j');
    }
    screen.key(KeyCode::Enter);
    assert!(screen.app.alert_popup().is_some());
    screen.press('E');
    let now = IncidentAsk {
        identity: runaway[0].clone(),
        since: Some(alerts[active].started_at - 30 * MIN),
        until: None,
    };
    assert_eq!(screen.app.take_incident_ask(), Some(now));
}

#[test]
fn e_on_the_sources_view_asks_nothing_and_says_where_it_works() {
    let mut screen = alerting(24);
    screen.press('h');
    screen.press('E');
    assert_eq!(screen.app.take_incident_ask(), None);
    let (text, error) = notice(&screen);
    assert!(
        error && text.contains("close this view first (Esc)"),
        "{text}"
    );
}

/// Three requests of `svc-a` and one of `svc-b`, from 12:00 on, in a file under `dir`.
fn logs(dir: &Path) -> PathBuf {
    let line = |minute: u32, who: &str| {
        format!(
            r#"{{"tokentop":1,"ts":"2026-01-01T12:{minute:02}:00Z","identity":"{who}","model":"gpt-4o-mini","tokens":{{"input":1000,"output":100}},"request_id":"r{minute}"}}"#
        )
    };
    let text = [
        line(0, "svc-a"),
        line(1, "svc-a"),
        line(2, "svc-b"),
        line(3, "svc-a"),
    ];
    let path = dir.join("usage.jsonl");
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    path
}

fn writer(input: Input, dir: &Path) -> IncidentWriter {
    let sources = Sources {
        input,
        follow: FollowOptions {
            poll_every: Duration::from_millis(100),
            watch: false,
        },
        providers: Vec::new(),
        state: None,
        state_warning: None,
        otlp: None,
        scanner: None,
    };
    let prices = Arc::new(PriceTable::builtin().clone());
    IncidentWriter::new(
        &sources,
        &Config::default(),
        &jiff::tz::TimeZone::UTC,
        &prices,
        dir.to_path_buf(),
    )
}

fn paths(paths: &[&str]) -> Input {
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    Input::Paths(tokentop::cli::source_specs(&paths).unwrap())
}

fn ask(identity: &str) -> IncidentAsk {
    IncidentAsk {
        identity: identity.into(),
        since: Some(NOON),
        until: Some(NOON + 10 * MIN),
    }
}

#[test]
fn the_writer_reads_the_logs_again_and_writes_both_files() {
    let tmp = tempfile::tempdir().unwrap();
    let log = logs(tmp.path());
    let out = tmp.path().join("reports");
    let reports = writer(paths(&[log.to_str().unwrap()]), &out);
    let Msg::Incident { identity, result } = reports.write(&ask("svc-a"), NOON + DAY) else {
        panic!("an incident answer");
    };
    assert_eq!(identity, "svc-a");
    let (md, json) = result.expect("written");
    assert_eq!(md, out.join("incident-svc-a-20260101T1200Z.md"));
    assert_eq!(json, out.join("incident-svc-a-20260101T1200Z.json"));
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(
        markdown.contains("svc-a") && !markdown.contains("svc-b"),
        "{markdown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(json["identity"], "svc-a");
    assert_eq!(json["totals"]["requests"], 3);
    assert_eq!(json["totals"]["input"], 3_000);

    // What goes wrong is said, with what to do.
    let Msg::Incident { result, .. } = reports.write(&ask("nobody"), NOON + DAY) else {
        panic!("an incident answer");
    };
    let why = result.unwrap_err();
    assert!(
        why.contains("no request or tool call of identity \"nobody\""),
        "{why}"
    );
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let blocked = writer(paths(&[log.to_str().unwrap()]), &file);
    let Msg::Incident { result, .. } = blocked.write(&ask("svc-a"), NOON + DAY) else {
        panic!("an incident answer");
    };
    let why = result.unwrap_err();
    assert!(why.contains("--incident-dir"), "{why}");
}

#[test]
fn the_demo_and_stdin_alone_write_no_report_and_say_why() {
    let tmp = tempfile::tempdir().unwrap();
    let answer = |input| match writer(input, tmp.path()).write(&ask("svc-a"), NOON) {
        Msg::Incident { result, .. } => result.unwrap_err(),
        other => panic!("{other:?}"),
    };
    let demo = answer(Input::Demo);
    assert!(demo.contains("the demo's data is embedded"), "{demo}");
    assert!(
        demo.contains("tokentop incident sample-data/demo"),
        "{demo}"
    );
    let stdin = answer(paths(&["-"]));
    assert!(
        stdin.contains("standard input, which cannot be read again"),
        "{stdin}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

/// In replay there is no "now" and no followed logs: `E` says which command writes the
/// report instead of asking the loop for one.
#[test]
fn e_in_replay_points_to_the_incident_command() {
    let mut e = engine();
    e.ingest(&event("svc-a", NOON - 5 * MIN, 100, 10));
    let mut screen = Screen::new("logs", e, 24);
    screen.app.set_replay(tokentop::replay::controls::Status {
        clock: "2026-01-01 11:55:00".into(),
        speed: 60,
        playing: false,
        input: None,
        note: None,
    });
    screen.press('E');
    assert_eq!(screen.app.take_incident_ask(), None);
    let (text, error) = notice(&screen);
    assert!(
        error && text.starts_with("in replay, write it with: tokentop incident"),
        "{text}"
    );
}
