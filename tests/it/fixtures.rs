//! Parser fixtures read through the real file reader: every bad line is counted under its
//! reason, none is fatal, and the good lines around them still count.

use std::io::Write;
use std::sync::Arc;

use tokentop::parse::{MAX_LINE_BYTES, RejectReason};
use tokentop::pricing::PriceTable;
use tokentop::report::read_all;
use tokentop::source::discover::SourceSpec;
use tokentop::source::health::SourceHealth;

use crate::common::{NOON, fixture};

fn read(path: &std::path::Path) -> (tokentop::engine::Snapshot, SourceHealth) {
    let (engine, health) = read_all(
        vec![SourceSpec::parse(&path.to_string_lossy())],
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        (None, None),
        NOON,
    );
    (
        engine.snapshot(None),
        health.into_iter().next().expect("one source"),
    )
}

pub(crate) fn rejected(h: &SourceHealth, reason: RejectReason) -> u64 {
    h.rejected.get(&reason).map_or(0, |r| r.count)
}

/// Lines no log should contain, appended to a copy of a fixture.
fn with_bad_lines(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut f = std::fs::File::create(dir.path().join(name)).expect("create");
    f.write_all(&std::fs::read(fixture(name)).expect("fixture"))
        .expect("write");
    f.write_all(b"\x00\x01\x02\x7fELF\x00\x00binary junk\n")
        .expect("write");
    f.write_all(b"{\"tokentop\":1,\"identity\":\"\xff\xfe\",\"model\":\"m\"}\n")
        .expect("write");
    f.write_all(b"\x1b[2J\x1b]0;owned\x07{\"usage\":\n")
        .expect("write");
    dir
}

#[test]
fn claude_code_fixture_counts_every_line() {
    let dir = with_bad_lines("claude_code_mixed.jsonl");
    let (s, h) = read(dir.path());
    assert_eq!(h.lines, 12);
    assert_eq!(h.events, 3);
    assert_eq!(
        h.lines_without_usage, 3,
        "user, summary and an unknown line type"
    );
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 2);
    assert_eq!(rejected(&h, RejectReason::InvalidField), 1);
    assert_eq!(rejected(&h, RejectReason::Binary), 2);
    assert_eq!(rejected(&h, RejectReason::InvalidUtf8), 1);
    assert_eq!(
        h.lines,
        h.events + h.lines_without_usage + h.rejected_lines()
    );
    // Examples are kept sanitized: the escape sequences are visible text.
    let example = &h.rejected[&RejectReason::Binary].example;
    assert!(
        example.contains("\\x00") && !example.contains('\x00'),
        "{example}"
    );
    // Two copies of msg_A (largest wins) and msg_B.
    assert_eq!(s.totals.requests, 2);
    assert_eq!(s.totals.input, 15);
    assert_eq!(s.totals.cache_read, 3000);
    assert_eq!(s.totals.cache_write_5m, 100);
    assert_eq!(s.totals.output, 350);
    assert_eq!(s.totals.tool_calls, 1);
    assert_eq!(
        s.identities[0].name, "-home-dev-app",
        "no projects/ folder: the folder the cwd would have, as if it were there"
    );
    assert_eq!(s.identities[0].display.as_deref(), Some("/home/dev/app"));
}

#[test]
fn own_schema_fixture_counts_every_line() {
    let dir = with_bad_lines("tokentop_mixed.jsonl");
    let (s, h) = read(dir.path());
    assert_eq!(h.lines, 11);
    assert_eq!(h.events, 3);
    assert_eq!(
        h.lines_without_usage, 2,
        "a blank line and an unrelated object"
    );
    assert_eq!(rejected(&h, RejectReason::UnsupportedVersion), 1);
    assert_eq!(rejected(&h, RejectReason::MissingField), 1);
    assert_eq!(rejected(&h, RejectReason::InvalidJson), 1);
    assert_eq!(rejected(&h, RejectReason::Binary), 2);
    assert_eq!(rejected(&h, RejectReason::InvalidUtf8), 1);
    assert_eq!(s.totals.requests, 3);
    assert_eq!(s.totals.unpriced_requests, 1);
    assert_eq!(s.totals.input, 3000);
    assert_eq!(s.totals.tool_calls, 1);
    let names: Vec<&str> = s.identities.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["svc-a", "key_b"]);
}

#[test]
fn huge_lines_parse_up_to_the_limit_and_are_skipped_beyond() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.jsonl");
    let line = |filler: usize| {
        format!(
            r#"{{"tokentop":1,"ts":"2026-01-01T00:00:00Z","identity":"big","model":"gpt-4o-mini","tokens":{{"input":7}},"note":"{}"}}"#,
            "x".repeat(filler)
        )
    };
    let ten_mb = line(10 * 1024 * 1024);
    let too_big = line(MAX_LINE_BYTES + 1024);
    std::fs::write(&path, format!("{ten_mb}\n{too_big}\n{ten_mb}\n")).expect("write");
    let (s, h) = read(&path);
    assert_eq!(h.lines, 3);
    assert_eq!(h.events, 2);
    assert_eq!(rejected(&h, RejectReason::TooLong), 1);
    assert_eq!(s.totals.input, 14);
    assert!(h.rejected[&RejectReason::TooLong].example.len() < 1024);
}
