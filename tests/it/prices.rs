//! Which price table entry prices a model, as `report --json --by model` shows it, and the
//! config's `[prices]` that names one.

use assert_cmd::Command;
use serde_json::{Value, json};
use tokentop::engine::recent::CostSource;
use tokentop::pricing::UnpricedReason;

use crate::common::{NOON, engine, event};

/// One request of `model`: 1,000,000 input and 1,000,000 output tokens.
fn line(model: &str, n: u32) -> String {
    json!({"tokentop": 1, "ts": "2026-01-01T00:00:00Z", "identity": "svc", "model": model,
        "request_id": format!("r{n}"),
        "tokens": {"input": 1_000_000, "output": 1_000_000}})
    .to_string()
}

/// `report --json --by model` over one request of each model, with `config` when given.
fn report(dir: &tempfile::TempDir, models: &[&str], config: Option<&str>) -> std::process::Output {
    let log = dir.path().join("usage.jsonl");
    let lines: Vec<String> = (0..).zip(models).map(|(n, m)| line(m, n)).collect();
    std::fs::write(&log, lines.join("\n") + "\n").expect("write log");
    let mut cmd = Command::cargo_bin("tokentop").expect("binary");
    cmd.args(["report", "--json", "--by", "model"]).arg(&log);
    if let Some(text) = config {
        let path = dir.path().join("tokentop.toml");
        std::fs::write(&path, text).expect("write config");
        cmd.arg("--config").arg(path);
    }
    cmd.output().expect("run")
}

fn rows(out: &std::process::Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    report["rows"].as_array().expect("rows").clone()
}

fn row<'a>(rows: &'a [Value], model: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["key"] == model)
        .unwrap_or_else(|| panic!("no row for {model}: {rows:?}"))
}

const MIXTRAL: &str = "mixtral-8x7b-instruct-v0.1";

#[test]
fn model_rows_name_their_price_entry_or_why_there_is_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = report(&dir, &["gpt-4o", MIXTRAL, "no-such-model-xyz"], None);
    let rows = rows(&out);

    let gpt = row(&rows, "gpt-4o");
    assert_eq!(gpt["price_key"], "gpt-4o");
    assert_eq!(gpt["unpriced_reason"], Value::Null);
    assert_eq!(gpt["unpriced_requests"], 0);

    // Resellers disagree and the ollama entry is $0: unpriced, never $0.
    let mixtral = row(&rows, MIXTRAL);
    assert_eq!(mixtral["price_key"], Value::Null);
    assert_eq!(mixtral["unpriced_reason"], "ambiguous_price");
    assert_eq!(mixtral["unpriced_requests"], 1);
    assert_eq!(mixtral["cost_usd"], 0.0);

    let unknown = row(&rows, "no-such-model-xyz");
    assert_eq!(unknown["price_key"], Value::Null);
    assert_eq!(unknown["unpriced_reason"], "unknown_model");
}

#[test]
fn the_config_names_the_entry_of_an_ambiguous_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config =
        format!("[prices]\n\"{MIXTRAL}\" = \"together_ai/mistralai/Mixtral-8x7B-Instruct-v0.1\"\n");
    let out = report(&dir, &[MIXTRAL], Some(&config));
    let rows = rows(&out);
    let mixtral = row(&rows, MIXTRAL);
    assert_eq!(
        mixtral["price_key"],
        "together_ai/mistralai/Mixtral-8x7B-Instruct-v0.1"
    );
    assert_eq!(mixtral["unpriced_reason"], Value::Null);
    assert_eq!(mixtral["unpriced_requests"], 0);
    // $0.60 per million input and output tokens.
    let cost = mixtral["cost_usd"].as_f64().expect("cost");
    assert!((cost - 1.2).abs() < 1e-9, "{cost}");
}

#[test]
fn a_pricing_map_entry_keyed_by_the_id_prices_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let map = dir.path().join("prices.json");
    let entry = json!({MIXTRAL: {"litellm_provider": "mine", "mode": "chat",
        "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}});
    std::fs::write(&map, entry.to_string()).expect("write map");
    let log = dir.path().join("usage.jsonl");
    std::fs::write(&log, line(MIXTRAL, 0) + "\n").expect("write log");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .args(["report", "--json", "--by", "model", "--pricing"])
        .arg(&map)
        .arg(&log)
        .output()
        .expect("run");
    let rows = rows(&out);
    let mixtral = row(&rows, MIXTRAL);
    assert_eq!(mixtral["price_key"], MIXTRAL);
    let cost = mixtral["cost_usd"].as_f64().expect("cost");
    assert!((cost - 3.0).abs() < 1e-9, "{cost}");
}

#[test]
fn a_named_entry_that_does_not_exist_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = "time_zone = \"UTC\"\n\n[prices]\n\"my-model\" = \"nowhere/my-model\"\n";
    let out = report(&dir, &["my-model"], Some(config));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tokentop.toml:4: [prices] \"my-model\" is priced as \"nowhere/my-model\", which is not an entry of the price table"),
        "{err}"
    );
}

#[test]
fn each_request_keeps_where_its_cost_came_from_for_the_event_popup() {
    let mut engine = engine();
    let cases = [
        ("gpt-4o-mini", None),
        (MIXTRAL, None),
        ("no-such-model-xyz", None),
        (MIXTRAL, Some(0.25)),
    ];
    for (i, (model, record_cost)) in (0..).zip(cases) {
        let mut e = event("svc", NOON - 1_000 + i, 100, 10);
        e.model = model.into();
        e.record_cost_usd = record_cost;
        engine.ingest(&e);
    }
    engine.advance(NOON);
    let detail = engine.detail("svc").expect("identity");
    let sources: Vec<(&str, Option<f64>, &CostSource)> = detail
        .recent
        .iter()
        .rev()
        .map(|r| (&*r.model, r.cost_usd, &r.cost_source))
        .collect();
    assert!(
        matches!(sources[0], ("gpt-4o-mini", Some(_), CostSource::Table(k)) if &**k == "gpt-4o-mini")
    );
    assert_eq!(
        sources[1],
        (
            MIXTRAL,
            None,
            &CostSource::Unpriced(UnpricedReason::AmbiguousPrice)
        )
    );
    assert_eq!(
        sources[2],
        (
            "no-such-model-xyz",
            None,
            &CostSource::Unpriced(UnpricedReason::UnknownModel)
        )
    );
    assert_eq!(sources[3], (MIXTRAL, Some(0.25), &CostSource::Record));
}
