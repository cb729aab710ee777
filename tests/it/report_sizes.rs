//! `report`'s sizes per request over its range and its cost by token class, checked
//! against numbers worked out by hand.

use assert_cmd::Command;
use serde_json::Value;

fn tokentop() -> Command {
    Command::cargo_bin("tokentop").expect("binary")
}

/// One request in tokentop's own format on 2026-01-01, `tools` tool calls.
fn line(identity: &str, time: &str, id: &str, sizes: (u64, u64, u64), tools: u64) -> String {
    let (input, output, latency) = sizes;
    let tools: Vec<String> = (0..tools)
        .map(|t| format!(r#"{{"name":"lookup","id":"{id}-{t}"}}"#))
        .collect();
    format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T{time}Z","identity":"{identity}","provider":"openai","model":"gpt-4o-mini","tokens":{{"input":{input},"cache_read":{input},"output":{output}}},"request_id":"{id}","latency_ms":{latency},"tools":[{}]}}"#,
        tools.join(",")
    )
}

/// Ten requests of svc-a after 10:00 (input 64 k, output k, latency 128 k, k % 3 tool
/// calls for k = 1..10), one of svc-b (input 100), and one huge request of svc-a at 09:00
/// that `--since 10:00` leaves out.
fn input() -> String {
    let mut lines = vec![line(
        "svc-a",
        "09:00:00",
        "old",
        (1_000_000, 50_000, 99_999),
        7,
    )];
    for k in 1..=10u64 {
        let time = format!("10:{k:02}:00");
        lines.push(line(
            "svc-a",
            &time,
            &format!("a{k}"),
            (32 * k, k, 128 * k),
            k % 3,
        ));
    }
    lines.push(line("svc-b", "10:30:00", "b1", (50, 3, 250), 0));
    lines.join("\n")
}

fn report(args: &[&str]) -> Value {
    let out = tokentop()
        .args(["report", "-", "--json", "--since", "2026-01-01T10:00:00Z"])
        .args(args)
        .write_stdin(input())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn row<'a>(r: &'a Value, key: &str) -> &'a Value {
    let rows = r["rows"].as_array().expect("rows");
    rows.iter().find(|row| row["key"] == key).expect("row")
}

fn quantiles(v: &Value) -> [u64; 5] {
    ["p50", "p90", "p99", "max", "n"].map(|k| v[k].as_u64().expect(k))
}

#[test]
fn per_request_quantiles_over_the_range_match_the_hand_computed_ones() {
    let r = report(&[]);
    let a = &row(&r, "svc-a")["per_request"];
    // Input (input + cache read) 64, 128, ... 640: nearest rank 5, 9 and 10 of 10.
    assert_eq!(quantiles(&a["input"]), [320, 576, 640, 640, 10]);
    assert_eq!(quantiles(&a["output"]), [5, 9, 10, 10, 10]);
    // Tool calls 1 2 0 1 2 0 1 2 0 1, sorted 0 0 0 1 1 1 1 2 2 2.
    assert_eq!(quantiles(&a["tool_calls"]), [1, 2, 2, 2, 10]);
    assert_eq!(quantiles(&a["latency_ms"]), [640, 1_152, 1_280, 1_280, 10]);
    // The max is the request's own size, not a bucket's edge.
    let b = &row(&r, "svc-b")["per_request"];
    assert_eq!(quantiles(&b["input"]), [100, 100, 100, 100, 1]);
    let all = &r["totals"]["per_request"];
    assert_eq!(all["input"]["n"], 11);
    assert_eq!(all["input"]["max"], 640, "09:00 is before --since");
}

#[test]
fn cost_by_class_adds_up_to_the_cost_of_every_row() {
    for by in ["identity", "model"] {
        let r = report(&["--by", by]);
        let rows = r["rows"].as_array().expect("rows");
        for row in rows.iter().chain([&r["totals"]]) {
            let c = &row["cost_usd_by_class"];
            let sum: f64 = ["uncached_input", "cache_read", "cache_write", "output"]
                .iter()
                .map(|k| c[k].as_f64().expect(k))
                .sum();
            let cost = row["cost_usd"].as_f64().expect("cost");
            assert!(cost > 0.0);
            assert!((sum - cost).abs() < 1e-12, "{by}: {sum} != {cost}");
        }
    }
    // gpt-4o-mini: $0.15 per M input, $0.075 per M cache read, $0.60 per M output: 7.5,
    // 3.75 and 1.8 µ$, 13.05 µ$ in all, printed as 13 µ$; in whole micro-dollars that add
    // up to it, the largest remainders (output's .8, cache read's .75) take the two left.
    let r = report(&[]);
    let b = &row(&r, "svc-b")["cost_usd_by_class"];
    let close = |k: &str, usd: f64| (b[k].as_f64().expect(k) - usd).abs() < 1e-15;
    assert!(close("uncached_input", 7e-6), "{b}");
    assert!(close("cache_read", 4e-6), "{b}");
    assert!(close("output", 2e-6) && close("cache_write", 0.0), "{b}");
}

#[test]
fn the_table_takes_percentiles_on_request() {
    let run = |extra: &[&str]| {
        let out = tokentop()
            .args(["report", "-", "--since", "2026-01-01T10:00:00Z"])
            .args(extra)
            .write_stdin(input())
            .output()
            .expect("run");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let plain = run(&[]);
    assert!(!plain.contains("IN P90"), "{plain}");
    let table = run(&["--percentiles"]);
    let a = table
        .lines()
        .find(|l| l.starts_with("svc-a"))
        .expect("svc-a");
    let cells: Vec<&str> = a.split_whitespace().collect();
    // After the nine usual cells: input p50, p90, p99, max, then output's.
    assert_eq!(
        cells[9..15],
        ["320", "576", "640", "640", "5", "9"],
        "{table}"
    );
    assert!(
        table.contains("IN P90") && table.contains("MS MAX"),
        "{table}"
    );
}
