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

#[test]
fn a_symlink_loop_under_a_glob_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a");
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::write(a.join("usage.jsonl"), format!("{BIG}\n")).expect("write");
    // Two loops: glob's `**` walked 2^depth paths, until the path was too long.
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        std::os::unix::fs::symlink("..", dir.path().join(sub).join("up")).expect("symlink");
    }
    let pattern = format!("{}/**/*.jsonl", dir.path().display());
    for args in [
        vec![pattern.as_str()],
        vec![dir.path().to_str().expect("utf-8")],
    ] {
        let out = tokentop()
            .arg("report")
            .args(&args)
            .arg("--json")
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .expect("run");
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(v["totals"]["requests"], 1, "{v}");
    }
}

#[test]
fn what_cannot_be_read_is_reported_and_fails_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).expect("mkdir");
    std::fs::write(logs.join("ok.jsonl"), format!("{BIG}\n")).expect("write");
    // Tests may run as root, where no permission stops a read: a link to nowhere is a
    // file in scope that cannot be opened.
    std::os::unix::fs::symlink(dir.path().join("gone"), logs.join("bad.jsonl")).expect("link");
    let good = dir.path().join("good.jsonl");
    std::fs::write(&good, format!("{BIG}\n")).expect("write");
    let vanished = dir.path().join("vanished.jsonl");

    for paths in [
        vec![logs.as_path()],
        vec![good.as_path(), vanished.as_path()],
    ] {
        let (v, out) = report_json(&paths);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(v["totals"]["requests"], 1, "{v}");
        let errors: Vec<&str> = v["sources"]
            .as_array()
            .expect("sources")
            .iter()
            .filter_map(|s| s["last_error"].as_str())
            .collect();
        assert_eq!(errors.len(), 1, "{v}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("warning"), "{stderr}");
        assert!(stderr.contains(errors[0]), "{stderr}");

        let out = check(&paths, &[]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("warning"));
        let out = check(&paths, &["--allow-partial"]);
        assert_eq!(out.status.code(), Some(4), "{out:?}");
    }
}
