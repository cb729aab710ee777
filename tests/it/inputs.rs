//! What `report` and `check` make of awkward inputs: a last line without its newline,
//! streams (FIFOs, process substitution), symlink loops under a glob, and paths that
//! cannot be read.

use std::path::Path;

use assert_cmd::Command;

use crate::common::fixture;

/// One $500 request for the checkout key of tests/fixtures/budgets.toml ($10 a day).
const BIG: &str = r#"{"tokentop":1,"ts":"2026-01-01T09:00:00Z","identity":"svc-checkout","api_key_id":"key_prod_7","model":"gpt-4o-mini","tokens":{"input":1000,"output":100},"cost_usd":500.0}"#;

fn tokentop() -> Command {
    let mut cmd = Command::cargo_bin("tokentop").expect("binary");
    cmd.env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent");
    cmd
}

fn check(paths: &[&Path], extra: &[&str]) -> std::process::Output {
    tokentop()
        .arg("check")
        .args(paths)
        .arg("--config")
        .arg(fixture("budgets.toml"))
        .args(["--at", "2026-01-01T12:00:00Z"])
        .args(extra)
        .output()
        .expect("run")
}

fn report_json(paths: &[&Path]) -> (serde_json::Value, std::process::Output) {
    let out = tokentop()
        .arg("report")
        .args(paths)
        .arg("--json")
        .output()
        .expect("run");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (v, out)
}

#[test]
fn a_last_line_without_a_newline_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    std::fs::write(&path, BIG).expect("write");
    let out = check(&[&path], &[]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let (v, out) = report_json(&[&path]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(v["totals"]["requests"], 1, "{v}");
    assert_eq!(v["sources"][0]["lag_bytes"], 0, "{v}");
}

/// A FIFO at `path` that `text` is written into (once a reader opens it) by a thread.
fn fifo_with(path: &Path, text: String) -> std::thread::JoinHandle<()> {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let path = path.to_path_buf();
    std::thread::spawn(move || std::fs::write(path, text).expect("write the FIFO"))
}

#[test]
fn fifos_and_process_substitution_are_read_as_streams() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("usage.fifo");
    let writer = fifo_with(&fifo, format!("{BIG}\n{BIG}"));
    let (v, out) = report_json(&[&fifo]);
    writer.join().expect("writer");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(v["totals"]["requests"], 2, "{v}");
    assert_eq!(v["sources"][0]["path"], fifo.display().to_string(), "{v}");

    let fifo = dir.path().join("check.fifo");
    let writer = fifo_with(&fifo, format!("{BIG}\n"));
    let out = check(&[&fifo], &[]);
    writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(4), "{out:?}");

    let file = dir.path().join("usage.jsonl");
    std::fs::write(&file, format!("{BIG}\n")).expect("write");
    let bin = assert_cmd::cargo::cargo_bin("tokentop");
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(r#""$0" report --json <(cat "$1")"#)
        .arg(bin)
        .arg(&file)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .expect("bash");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["totals"]["requests"], 1, "{v}");
}
