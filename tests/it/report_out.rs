//! `tokentop report` as a script or a ticket reads it: every format, dimensions alone and
//! combined, filters, exact cost sums, wide characters and plurals.

use assert_cmd::Command;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// A tokentop-format line (schema 1).
fn line(ts: &str, identity: &str, model: &str, input: u64, extra: &str) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"{ts}","identity":"{identity}","model":"{model}","tokens":{{"input":{input},"output":10}}{extra}}}"#
    )
}

/// A log file holding `lines`, in a folder of its own.
fn log(lines: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.jsonl"), lines.join("\n") + "\n").expect("write");
    dir
}

fn report(dir: &tempfile::TempDir, args: &[&str]) -> String {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(dir.path())
        .args(args)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(dir: &tempfile::TempDir, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend(args);
    serde_json::from_str(&report(dir, &all)).expect("JSON")
}

/// Three identities over two days, two models, sessions on some.
fn fleet() -> tempfile::TempDir {
    log(&[
        line(
            "2026-01-04T23:30:00Z",
            "-mnt-c-app",
            "gpt-4o-mini",
            1000,
            r#","session":"s1","cost_usd":0.1"#,
        ),
        line(
            "2026-01-05T10:00:00Z",
            "-mnt-c-app",
            "gpt-4o",
            2000,
            r#","session":"s1","cost_usd":0.1"#,
        ),
        line(
            "2026-01-05T11:00:00Z",
            "svc-batch",
            "gpt-4o-mini",
            3000,
            r#","cost_usd":0.1"#,
        ),
    ])
}

#[test]
fn costs_sum_exactly_and_print_with_at_most_six_decimals() {
    let dir = fleet();
    // 0.1 + 0.1 + 0.1 in floats is 0.30000000000000004.
    let r = json(&dir, &[]);
    assert_eq!(r["totals"]["cost_usd"].to_string(), "0.3");
    let csv = report(&dir, &["--format", "csv", "--by", "model"]);
    assert!(csv.lines().nth(1).unwrap().ends_with(",0.2"), "{csv}");
    // A price-table cost keeps at most 6 decimals too.
    let dir = log(&[line("2026-01-05T10:00:00Z", "k", "gpt-4o-mini", 1234, "")]);
    let cost = json(&dir, &[])["totals"]["cost_usd"].to_string();
    let decimals = cost.split_once('.').map_or(0, |(_, d)| d.len());
    assert!(decimals <= 6 && cost != "0", "{cost}");
}

#[test]
fn one_dimension_is_a_string_several_an_array_and_rows_carry_each() {
    let dir = fleet();
    let r = json(&dir, &["--by", "model"]);
    assert_eq!(r["by"], "model");
    assert_eq!(r["rows"][0]["key"], r["rows"][0]["model"], "key stays");
    let r = json(&dir, &["--by", "day,identity,session"]);
    assert_eq!(r["by"], serde_json::json!(["day", "identity", "session"]));
    let rows: Vec<(String, String, String)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert!(row.get("key").is_none(), "no single key for several");
            let f = |k: &str| row[k].as_str().unwrap().to_string();
            (f("day"), f("identity"), f("session"))
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-01-04".into(), "-mnt-c-app".into(), "s1".into()),
            ("2026-01-05".into(), "-mnt-c-app".into(), "s1".into()),
            ("2026-01-05".into(), "svc-batch".into(), "(none)".into()),
        ],
        "by day first, a missing session is (none)"
    );
    let twice = Command::cargo_bin("tokentop")
        .unwrap()
        .args(["report", "--by", "day,day"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(twice.status.code(), Some(2));
}

#[test]
fn weeks_start_on_monday_in_the_time_zone_and_months_and_hours_too() {
    let dir = fleet();
    let weeks = |tz: &str| -> Vec<String> {
        json(&dir, &["--by", "week", "--tz", tz])["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["week"].as_str().unwrap().to_string())
            .collect()
    };
    // Sunday 23:30 UTC is Monday 00:30 in Berlin.
    assert_eq!(weeks("UTC"), vec!["2025-12-29", "2026-01-05"]);
    assert_eq!(weeks("Europe/Berlin"), vec!["2026-01-05"]);
    let r = json(&dir, &["--by", "month,hour"]);
    let first = &r["rows"][0];
    assert_eq!(
        (first["month"].as_str(), first["hour"].as_str()),
        (Some("2026-01"), Some("2026-01-04 23:00"))
    );
}

#[test]
fn csv_has_a_column_per_dimension_then_the_classes_unformatted() {
    let dir = fleet();
    let csv = report(&dir, &["--format", "csv", "--by", "identity,model"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "identity,model,requests,input,cache_read,cache_write_5m,cache_write_1h,output,reasoning,total_tokens,tool_calls,unpriced_requests,cost_usd"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows.contains(&"svc-batch,gpt-4o-mini,1,3000,0,0,0,10,0,3010,0,0,0.1"),
        "{csv}"
    );
}

#[test]
fn markdown_is_a_table_with_the_totals_in_bold() {
    let dir = log(&[line(
        "2026-01-05T10:00:00Z",
        "a|b",
        "m",
        1000,
        r#","cost_usd":1.5"#,
    )]);
    let md = report(&dir, &["--format", "markdown"]);
    let lines: Vec<&str> = md.lines().collect();
    assert!(lines[0].starts_with("| IDENTITY | REQUESTS |"), "{md}");
    assert!(lines[1].starts_with("| --- | ---: |"), "{md}");
    assert!(lines[2].starts_with(r"| a\|b | 1 | 1,000 |"), "{md}");
    assert!(lines[3].starts_with("| **TOTAL** | **1** |"), "{md}");
    assert!(lines[3].ends_with("| **$1.50** |"), "{md}");
}

#[test]
fn filters_take_globs_repeat_and_names_starting_with_a_dash() {
    let dir = fleet();
    let names = |args: &[&str]| -> Vec<String> {
        json(&dir, args)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["identity"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["--identity", "-mnt-c-app"]), vec!["-mnt-c-app"]);
    assert_eq!(
        names(&["--identity", "svc-*", "--identity", "-mnt-*"]).len(),
        2
    );
    let r = json(
        &dir,
        &["--model", "gpt-4o-mini", "--identity", "-mnt-c-app"],
    );
    assert_eq!(r["totals"]["requests"], 1);
    assert_eq!(r["identities"], serde_json::json!(["-mnt-c-app"]));
    assert_eq!(
        json(&dir, &["--model", "claude-*"])["totals"]["requests"],
        0
    );
}

#[test]
fn rows_by_tool_overlap_and_say_so() {
    let tools = r#","tools":[{"name":"mcp__github__create_issue","id":"c1"},{"name":"Bash","id":"c2"},{"name":"Bash","id":"c3"}]"#;
    let dir = log(&[
        line("2026-01-05T10:00:00Z", "k", "m", 1000, tools),
        line("2026-01-05T10:01:00Z", "k", "m", 500, ""),
    ]);
    let r = json(&dir, &["--by", "tool"]);
    let rows: Vec<(String, u64, u64)> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                r["tool"].as_str().unwrap().into(),
                n("input"),
                n("tool_calls"),
            )
        })
        .collect();
    assert!(rows.contains(&("Bash".into(), 1000, 2)), "{rows:?}");
    assert!(
        rows.contains(&("mcp__github__create_issue".into(), 1000, 1)),
        "{rows:?}"
    );
    assert!(rows.contains(&("(none)".into(), 500, 0)), "{rows:?}");
    assert_eq!(
        r["totals"]["input"], 1500,
        "the totals count each request once"
    );
    let servers = json(&dir, &["--by", "mcp-server"]);
    assert_eq!(servers["by"], "mcp_server");
    let table = report(&dir, &["--by", "tool"]);
    assert!(table.contains("Rows by tool overlap"), "{table}");
    assert!(!report(&dir, &[]).contains("overlap"));
}

#[test]
fn wide_characters_keep_the_columns_straight_and_counts_read_as_words() {
    let dir = log(&[
        line(
            "2026-01-05T10:00:00Z",
            "名前🔥",
            "m",
            1000,
            r#","cost_usd":1.0"#,
        ),
        line("2026-01-05T10:00:01Z", "abc", "m", 20, ""),
    ]);
    let table = report(&dir, &[]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[1].starts_with("名前🔥"), "{table}");
    // The REQUESTS column ends at the same terminal column on every row.
    let requests_end = |l: &str| -> usize {
        let at = match l.find("REQUESTS") {
            Some(i) => i + "REQUESTS".len(),
            None => l.find(" 1 ").expect("one request") + 2,
        };
        l[..at].width()
    };
    let ends: Vec<usize> = lines[..3].iter().map(|l| requests_end(l)).collect();
    assert!(ends.iter().all(|&e| e == ends[0]), "{ends:?}\n{table}");
    assert!(table.contains(": 1 file, 2 lines, 2 events"), "{table}");
}

#[test]
fn rolling_budgets_are_echoed_as_written() {
    let dir = fleet();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[budget]]\nname = \"day\"\nall = true\nrolling = \"24h\"\nlimit_usd = 0.01\n\n\
         [[budget]]\nname = \"fortnight\"\nall = true\nrolling = \"2w\"\nlimit_usd = 100\n",
    )
    .expect("config");
    let logs = dir.path().join("a.jsonl");
    let config = config.to_str().unwrap();
    let r = json(&dir, &["--config", config]);
    let periods: Vec<&str> = r["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["period"].as_str().unwrap())
        .collect();
    assert_eq!(periods, vec!["rolling 24h", "rolling 2w"]);
    let check = Command::cargo_bin("tokentop")
        .unwrap()
        .args(["check", "--config", config, "--at", "2026-01-05T12:00:00Z"])
        .arg(&logs)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("(all, rolling 24h)"), "{text}");
}

#[test]
fn budget_amounts_print_with_at_most_six_decimals() {
    let dir = fleet();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[budget]]\nname = \"bill\"\nall = true\nperiod = \"month\"\nlimit_usd = 10\n",
    )
    .expect("config");
    let config = config.to_str().unwrap();
    // 0.1 + 0.1 + 0.1 in floats is 0.30000000000000004 (report and check print alike).
    let check = Command::cargo_bin("tokentop")
        .unwrap()
        .args([
            "check",
            "--json",
            "--config",
            config,
            "--at",
            "2026-01-05T12:00:00Z",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&check.stdout).expect("JSON");
    assert_eq!(r["budgets"][0]["used"].to_string(), "0.3");
}
