//! Real third-party Claude Code logs (read from the shared folder, never copied here):
//! totals must equal ccusage 20's to the token (see the folder's SOURCES.md).

use assert_cmd::Command;
use serde_json::Value;

use crate::common::shared_dir;

fn real_logs() -> std::path::PathBuf {
    let dir = shared_dir().join("data/claude-code-real");
    assert!(
        dir.is_dir(),
        "{} is missing: set TOKENTOP_SHARED to the shared folder (this test never skips)",
        dir.display()
    );
    dir
}

fn report(args: &[&str]) -> Value {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(real_logs())
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
    let r = report(&["--json"]);
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
    for by in ["identity", "model", "day"] {
        let r = report(&["--json", "--by", by]);
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
    let by_identity = report(&["--json"]);
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
    // The sample-project sessions are on 2025-09-03 (UTC); --until is exclusive of the next day.
    let r = report(&[
        "--json",
        "--by",
        "day",
        "--since",
        "2025-09-03",
        "--until",
        "20250903",
    ]);
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["key"], "2025-09-03");
    // 00:47 UTC on 2025-09-03 is still 2025-09-02 in New York.
    let r = report(&["--json", "--by", "day", "--tz", "America/New_York"]);
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
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(real_logs())
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
