//! Real third-party Claude Code logs (read from the shared folder, never copied here):
//! totals must equal ccusage 20's to the token (see the folder's SOURCES.md). Without the
//! folder each test skips, saying so, or fails under CI (see `shared_data`).

use assert_cmd::Command;
use serde_json::Value;

use crate::shared_data::shared_or_skip;

/// The logs, or `None` when the test skips.
fn real_logs(test: &str) -> Option<std::path::PathBuf> {
    shared_or_skip("data/claude-code-real", &format!("real_logs::{test}"))
}

fn report(logs: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(logs)
        .args(args)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn totals_match_ccusage_to_the_token() {
    let Some(logs) = real_logs("totals_match_ccusage_to_the_token") else {
        return;
    };
    let r = report(&logs, &["--json"]);
    let t = &r["totals"];
    assert_eq!(t["input"], 3_349);
    assert_eq!(t["output"], 140_013);
    assert_eq!(t["cache_write"], 1_027_170);
    assert_eq!(
        t["cache_write_5m"].as_u64().unwrap() + t["cache_write_1h"].as_u64().unwrap(),
        1_027_170
    );
    assert_eq!(t["cache_read"], 18_549_938);
    assert_eq!(t["total_tokens"], 19_720_470);
    assert_eq!(t["unpriced_requests"], 0);
    let cost = t["cost_usd"].as_f64().unwrap();
    assert!((cost - 15.7627).abs() / 15.7627 < 0.01, "cost {cost}");
    // Summed in nano-dollars: no float noise such as 15.76274960000001.
    assert_eq!(t["cost_usd"].to_string(), "15.76275");
    assert_eq!(t["requests"], 387);
    assert_eq!(
        t["tool_calls"], 448,
        "the union of tool_use ids over all copies"
    );

    let sources = r["sources"].as_array().unwrap();
    assert_eq!(sources[0]["files"], 7);
    assert_eq!(sources[0]["lines"], 1_290);
    assert_eq!(sources[0]["rejected"], serde_json::json!({}));
}

#[test]
fn rows_add_up_to_the_totals_for_every_grouping() {
    let Some(logs) = real_logs("rows_add_up_to_the_totals_for_every_grouping") else {
        return;
    };
    for by in [
        "identity",
        "model",
        "day",
        "week",
        "month",
        "hour",
        "session",
        "project",
        "team",
        "day,identity",
        "model,session,hour",
    ] {
        let r = report(&logs, &["--json", "--by", by]);
        let rows = r["rows"].as_array().unwrap();
        let sum = |field: &str| {
            rows.iter()
                .map(|row| row[field].as_u64().unwrap())
                .sum::<u64>()
        };
        for field in ["input", "output", "cache_read", "cache_write", "requests"] {
            assert_eq!(
                sum(field),
                r["totals"][field].as_u64().unwrap(),
                "{by} {field}"
            );
        }
    }
    // Each tool call is in one tool row: their calls add up, though their tokens overlap.
    for by in ["tool", "mcp-server", "identity,tool"] {
        let r = report(&logs, &["--json", "--by", by]);
        let calls: u64 = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["tool_calls"].as_u64().unwrap())
            .sum();
        assert_eq!(calls, 448, "{by}");
    }
    let by_identity = report(&logs, &["--json"]);
    let names: Vec<&str> = by_identity["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "-mnt-c-python-cctrace",
            "sample-project",
            "-Users-chip-dev-ai-music"
        ]
    );
}

#[test]
fn time_ranges_and_zones() {
    let Some(logs) = real_logs("time_ranges_and_zones") else {
        return;
    };
    // The sample-project sessions are on 2025-09-03 (UTC); --until is exclusive of the next day.
    let r = report(
        &logs,
        &[
            "--json",
            "--by",
            "day",
            "--since",
            "2025-09-03",
            "--until",
            "20250903",
        ],
    );
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key"], "2025-09-03");
    // 00:47 UTC on 2025-09-03 is still 2025-09-02 in New York.
    let r = report(
        &logs,
        &["--json", "--by", "day", "--tz", "America/New_York"],
    );
    let days: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert!(days.contains(&"2025-09-02"), "{days:?}");
    assert_eq!(r["time_zone"], "America/New_York");
}

#[test]
fn the_table_shows_the_same_numbers() {
    let Some(logs) = real_logs("the_table_shows_the_same_numbers") else {
        return;
    };
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(&logs)
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let total = text
        .lines()
        .find(|l| l.starts_with("TOTAL"))
        .expect("total line");
    for figure in [
        "387",
        "3,349",
        "140,013",
        "1,027,170",
        "18,549,938",
        "19,720,470",
        "$15.76",
    ] {
        assert!(total.contains(figure), "{figure} missing from {total:?}");
    }
    assert!(text.contains("7 files, 1,290 lines, 754 events"), "{text}");
}

/// The skip line shows in the plain output of a test run, and under CI the test fails:
/// runs this test binary on one real-log test with an empty shared folder.
#[test]
fn skipped_tests_say_so_in_the_plain_output() {
    let empty = tempfile::tempdir().expect("tempdir");
    let run = |require: bool| {
        let mut cmd = std::process::Command::new(std::env::current_exe().expect("test binary"));
        cmd.args(["--exact", "real_logs::totals_match_ccusage_to_the_token"])
            .env("TOKENTOP_SHARED", empty.path())
            .env_remove("CI")
            .env_remove("TOKENTOP_REQUIRE_SHARED");
        if require {
            cmd.env("TOKENTOP_REQUIRE_SHARED", "1");
        }
        cmd.output().expect("run the test binary")
    };
    let skipped = run(false);
    let err = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{err}");
    let line = format!(
        "SKIPPED real_logs::totals_match_ccusage_to_the_token: {} is missing; set TOKENTOP_SHARED",
        empty.path().join("data/claude-code-real").display()
    );
    assert_eq!(err.matches(&line).count(), 1, "{err}");
    let failed = run(true);
    assert!(!failed.status.success());
    let out = String::from_utf8_lossy(&failed.stdout);
    assert!(out.contains(&line) && out.contains("FAILED"), "{out}");
}
