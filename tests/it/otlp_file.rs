//! OTLP JSON lines (the Collector's `file` exporter) read as a log: a synthetic file of
//! Claude Code logs, GenAI spans, metrics and a malformed line, through the real reader and
//! through `report --json` on a folder, with no flag naming the format.

use std::sync::Arc;

use assert_cmd::Command;
use tokentop::parse::RejectReason;
use tokentop::pricing::PriceTable;
use tokentop::report::read_all;
use tokentop::source::discover::SourceSpec;

use crate::common::{NOON, fixture};
use crate::fixtures::rejected;

const FIXTURE: &str = "otlp_file.jsonl";

#[test]
fn each_record_of_a_line_counts_and_metrics_are_left_to_the_receiver() {
    let (engine, health) = read_all(
        vec![SourceSpec::parse(&fixture(FIXTURE).to_string_lossy())],
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        (None, None),
        NOON,
    );
    let h = &health[0];
    // Five lines holding twelve records: each record counts as a line.
    assert_eq!(
        (h.lines, h.events, h.lines_without_usage, h.rejected_lines()),
        (12, 5, 2, 5)
    );
    assert_eq!(rejected(h, RejectReason::Unsupported), 3, "metric points");
    assert_eq!(rejected(h, RejectReason::InvalidJson), 1);
    assert_eq!(rejected(h, RejectReason::MissingField), 1, "no model");
    let s = engine.snapshot(None);
    let t = &s.totals;
    assert_eq!(
        (t.input, t.cache_read, t.cache_write(), t.output),
        (120 + 500 + 10, 3000 + 1000, 500, 80 + 200 + 5)
    );
    assert_eq!(t.tool_calls, 2);
    let ada = engine.detail("ada@example.com").expect("ada").row;
    // Claude Code's own cost_usd, not the price table.
    assert!((ada.totals.cost_usd - (0.012 + 0.001)).abs() < 1e-12);
    let agent = engine.detail("support-agent").expect("agent").row;
    assert_eq!((agent.totals.input, agent.totals.cache_read), (500, 1000));
}

#[test]
fn a_folder_holding_otlp_json_lines_is_read_with_no_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir(dir.path().join("otel")).expect("mkdir");
    std::fs::copy(fixture(FIXTURE), dir.path().join("otel/export.jsonl")).expect("copy");
    // Another format beside it, detected line by line as well.
    let own = r#"{"tokentop":1,"ts":"2026-01-01T11:00:00Z","identity":"svc","model":"gpt-4o-mini","tokens":{"input":1000,"output":100}}"#;
    std::fs::write(dir.path().join("app.jsonl"), format!("{own}\n")).expect("write");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .arg("report")
        .arg(dir.path())
        .args(["--json", "--by", "identity"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let totals = &r["totals"];
    assert_eq!(totals["input"], 630 + 1000);
    assert_eq!(totals["output"], 285 + 100);
    assert_eq!(totals["cache_read"], 4000);
    assert_eq!(totals["tool_calls"], 2);
    let source = &r["sources"][0];
    assert_eq!(
        (source["files"].as_u64(), source["events"].as_u64()),
        (Some(2), Some(6))
    );
    assert_eq!(source["rejected"]["unsupported"]["count"], 3);
    let example = source["rejected"]["unsupported"]["example"]
        .as_str()
        .expect("example");
    assert!(example.contains("--otlp receiver"), "{example}");
    let mut identities: Vec<&str> = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["identity"].as_str())
        .collect();
    identities.sort_unstable();
    assert_eq!(identities, ["ada@example.com", "support-agent", "svc"]);
}
