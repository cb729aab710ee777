//! Alerts out of the terminal: the JSON-lines file, the `--on-alert` command, and their
//! health when things go wrong.

use std::io::BufRead;
use std::time::{Duration, Instant};

use tokentop::alert_out::{AlertOut, AlertSinks, run_command};
use tokentop::engine::alerts::AlertEvent;
use tokentop::source::health::SourceHealth;

use crate::budgets::{at, engine_with, spend};
use crate::common::MIN;

/// A budget warning that starts, then ends: two changes.
fn changes() -> Vec<AlertEvent> {
    changes_with_members(vec!["svc-a".into()])
}

/// A team's $50 daily budget: its first member spends $41 a minute before midnight (a
/// warning), and the new day clears it.
fn changes_with_members(members: Vec<String>) -> Vec<AlertEvent> {
    let mut e = engine_with(
        r#"
[[identity]]
match = { identity = "*" }
team = "team"

[[budget]]
name = "team daily"
team = "team"
period = "day"
limit_usd = 50
"#,
    );
    let before_midnight = at("2026-01-01T23:59:00Z");
    for (i, member) in members.iter().enumerate() {
        let usd = if i == 0 { 41.0 } else { 0.0 };
        e.ingest(&spend(member, before_midnight, usd));
    }
    for t in [
        before_midnight,
        before_midnight + MIN,
        before_midnight + 2 * MIN,
    ] {
        e.advance(t);
    }
    e.take_alert_events()
}

/// Waits (briefly) for the sinks' health to satisfy `done`.
fn health_until(out: &mut AlertOut, done: impl Fn(&[SourceHealth]) -> bool) -> Vec<SourceHealth> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        if let Some(health) = out.health() {
            last = health;
        }
        if done(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("sink health never settled: {last:?}");
}

#[test]
fn the_alerts_file_gets_one_json_line_per_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("alerts.jsonl");
    std::fs::write(&path, "{\"earlier\":true}\n").expect("write");
    let mut out = AlertOut::start(AlertSinks {
        file: Some(path.clone()),
        command: None,
    })
    .expect("start");
    let events = changes();
    assert_eq!(events.len(), 2);
    out.send(&events);
    let health = health_until(&mut out, |h| h.first().is_some_and(|h| h.events == 2));
    assert!(
        health[0].path.starts_with("alerts file "),
        "{:?}",
        health[0].path
    );
    assert!(health[0].is_ok());
    let text = std::fs::read_to_string(&path).expect("read");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 3, "appended, not truncated");
    assert_eq!(lines[1]["event"], "started");
    assert_eq!(lines[1]["time"], "2026-01-01T23:59:00.000Z");
    assert_eq!(lines[1]["alert"]["kind"], "budget_warn");
    assert_eq!(lines[1]["alert"]["severity"], "warn");
    assert_eq!(lines[2]["event"], "ended");
    assert_eq!(lines[2]["time"], "2026-01-02T00:00:00.000Z");
    assert_eq!(lines[2]["alert"]["identities"][0], "svc-a");
}

#[test]
fn a_bad_alerts_file_fails_at_start_with_its_path() {
    let err = AlertOut::start(AlertSinks {
        file: Some("/nonexistent-dir/alerts.jsonl".into()),
        command: None,
    })
    .err()
    .expect("cannot open");
    assert!(
        err.to_string().contains("/nonexistent-dir/alerts.jsonl"),
        "{err}"
    );
}

#[test]
fn the_command_gets_the_alert_on_stdin_and_in_its_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = changes();
    let command = format!(
        "printf %s \"$TOKENTOP_ALERT_SEVERITY $TOKENTOP_ALERT_KIND\" > {d}/env; cat > {d}/stdin",
        d = dir.path().display()
    );
    run_command(&command, &events[0], Duration::from_secs(10)).expect("runs");
    let env = std::fs::read_to_string(dir.path().join("env")).expect("env");
    assert_eq!(env, "warn budget warn");
    let stdin = std::fs::read_to_string(dir.path().join("stdin")).expect("stdin");
    let alert: serde_json::Value = serde_json::from_str(stdin.trim()).expect("JSON");
    assert_eq!(alert["alert"]["subject"], "team daily");
}

#[test]
fn failing_and_hung_commands_are_explained() {
    let events = changes();
    let err = run_command(
        "echo first >&2; echo boom >&2; exit 3",
        &events[0],
        Duration::from_secs(10),
    )
    .expect_err("fails");
    assert_eq!(err, "exit status: 3: boom");
    let started = Instant::now();
    let err = run_command("sleep 5", &events[0], Duration::from_millis(200)).expect_err("hangs");
    assert_eq!(err, "timed out after 200ms, killed");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn an_alert_larger_than_a_pipe_never_holds_up_the_timeout() {
    // Thousands of members make the JSON far larger than a pipe's 64 KiB buffer; the
    // command never reads its stdin.
    let members = (0..5_000)
        .map(|i| format!("identity-with-a-long-name-{i:05}"))
        .collect();
    let events = changes_with_members(members);
    let started = Instant::now();
    let err = run_command("sleep 5", &events[0], Duration::from_millis(200)).expect_err("hangs");
    assert_eq!(err, "timed out after 200ms, killed");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn command_failures_show_in_the_sinks_health_and_never_block_the_caller() {
    let mut out = AlertOut::start(AlertSinks {
        file: None,
        command: Some("exit 1".into()),
    })
    .expect("start");
    let events = changes();
    let started = Instant::now();
    out.send(&events);
    assert!(started.elapsed() < Duration::from_millis(100));
    let health = health_until(&mut out, |h| h.first().is_some_and(|h| !h.is_ok()));
    assert_eq!(health[0].path, "--on-alert exit 1");
    let error = health[0].last_error.as_deref().unwrap_or_default();
    assert_eq!(error, "1 of 1 runs failed; last: exit status: 1");
    assert_eq!(health[0].events, 1, "only the start ran the command");
}

#[test]
fn alerts_sent_just_before_quit_still_reach_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("alerts.jsonl");
    let mut out = AlertOut::start(AlertSinks {
        file: Some(path.clone()),
        command: None,
    })
    .expect("start");
    out.send(&changes());
    out.shutdown(Duration::from_secs(10));
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.lines().count(), 2, "{text}");
}

/// Whether the process is gone (or dead, waiting to be reaped).
fn is_dead(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_timed_out_command_dies_with_what_it_started() {
    let events = changes();
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("child.pid");
    let command = format!("sleep 300 & echo $! > {}; wait", pid_file.display());
    let err = run_command(&command, &events[0], Duration::from_millis(500)).expect_err("hangs");
    assert_eq!(err, "timed out after 500ms, killed");
    let pid = std::fs::read_to_string(&pid_file).expect("the command wrote its child's pid");
    let pid = pid.trim();
    // The kill is sent before run_command returns; the kernel ends the process soon after.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !is_dead(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        is_dead(pid),
        "the command's `sleep` (pid {pid}) outlived it"
    );
}

#[test]
fn a_chatty_command_is_cut_off_not_read_forever() {
    let events = changes();
    // `yes` never stops by itself: once its stderr has given what is read, its pipe is
    // closed and it ends, long before the timeout.
    let err =
        run_command("yes >&2; exit 3", &events[0], Duration::from_secs(30)).expect_err("fails");
    assert_eq!(err, "exit status: 3: y");
}

#[test]
fn an_alerts_fifo_without_a_reader_never_blocks_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("alerts.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    // Started on a thread: on the old code the start never returns.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let out = AlertOut::start(AlertSinks {
            file: Some(path),
            command: None,
        });
        let _ = tx.send(out);
    });
    let mut out = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the start returned")
        .expect("started");
    out.send(&changes());
    // A reader comes later and gets the alerts queued meanwhile.
    let reader = std::io::BufReader::new(std::fs::File::open(&fifo).expect("open the FIFO"));
    let lines: Vec<serde_json::Value> = reader
        .lines()
        .take(2)
        .map(|l| serde_json::from_str(&l.expect("read")).expect("JSON"))
        .collect();
    assert_eq!(lines[0]["event"], "started");
    assert_eq!(lines[1]["event"], "ended");
}

#[test]
fn an_alert_line_tags_a_key_identity() {
    let key = "sk-proj-AAAAbbbbCCCCddddEEEEffffGGGGhhhh0001";
    let events = changes_with_members(vec![key.into()]);
    let line = String::from_utf8(tokentop::alert_out::json_line(&events[0])).expect("UTF-8");
    assert!(!line.contains(key), "{line}");
    assert!(line.contains("sk-proj-…#"), "{line}");
}

/// A secret alert's line (the alerts file and `--on-alert`'s stdin), from a raw record
/// read by a scanning reader: its type, place and fingerprint, a count instead of a value,
/// and never the secret.
#[test]
fn a_secret_alert_line_names_the_type_and_place_never_the_value() {
    let value = "xoxb-2048-4096-Ab12Cd34Ef56Gh78Ij90Kl12";
    let line = format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T12:10:00Z","identity":"bot","model":"gpt-4o-mini","tokens":{{"input":10,"output":5}},"note":"SLACK_BOT_TOKEN={value}"}}"#
    );
    let at = crate::common::NOON + 10 * crate::common::MIN;
    let events = crate::common::scanned(&format!("{line}\n{line}\n"), None, at);
    assert_eq!(events.len(), 2);
    let mut engine = crate::common::engine();
    engine.advance(at);
    events.iter().for_each(|e| engine.ingest(e));
    engine.advance(at + 1_000);
    let events = engine.take_alert_events();
    let started: Vec<_> = events
        .iter()
        .filter(|e| e.alert.kind == tokentop::engine::alerts::AlertKind::Secret)
        .collect();
    assert_eq!(started.len(), 1, "one secret seen twice is one alert");
    let line = String::from_utf8(tokentop::alert_out::json_line(started[0])).expect("UTF-8");
    assert!(
        !line.contains("xoxb-2048") && !line.contains("Ab12Cd34"),
        "{line}"
    );
    let json: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let alert = &json["alert"];
    assert_eq!(alert["kind"], "secret");
    assert_eq!(alert["severity"], "critical");
    assert_eq!(alert["secret_type"], "slack_token");
    assert_eq!(alert["where"], "note");
    assert_eq!(alert["fingerprint"].as_str().map(str::len), Some(32));
    assert_eq!(alert["count"], 2);
    for null in ["value", "threshold", "baseline"] {
        assert!(alert[null].is_null(), "{null}: {line}");
    }
    assert_eq!(alert["identities"][0], "bot");
}
