//! The binary's edges: help, and clear failures.

use assert_cmd::Command;

fn tokentop() -> Command {
    Command::cargo_bin("tokentop").expect("binary")
}

#[test]
fn help_lists_the_modes() {
    let out = tokentop().arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in ["--demo", "report", "[PATHS]...", "--tz"] {
        assert!(text.contains(needle), "{needle} missing from help:\n{text}");
    }
}

#[test]
fn report_on_nothing_readable_says_so_and_fails() {
    let out = tokentop()
        .args(["report", "/no/such/folder"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("nothing could be read") && err.contains("/no/such/folder"),
        "{err}"
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let out = tokentop()
        .arg("report")
        .arg(empty.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no .jsonl or .ndjson files"), "{err}");
}

#[test]
fn bad_arguments_explain_themselves() {
    let out = tokentop()
        .args(["report", ".", "--tz", "Mars/Olympus"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA"));
    let out = tokentop()
        .args(["report", ".", "--since", "last blue moon"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2h"));
    let out = tokentop().output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--demo"));
}
