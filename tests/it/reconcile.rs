//! Reconciliation in `report` and `check` against the test server: provider buckets named
//! by `[[identity]]` rules (key, project, workspace), set against the logs' cost for that
//! identity and UTC day. formats.md's pages serve 2026-08-01; the logs are tokentop's own
//! schema with a stated `cost_usd`, so a test decides exactly what the logs explain.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::provider_server::{Reply, Server, page};
use crate::providers::{healthy, run_with_sentinel};

const KEY_MINI: &str = "key_7HcVtq2WnR8sJd4L";
const KEY_O3: &str = "key_Q2mXz9PLa01bcDe3";

/// `tokentop ARGS` with the sentinel as both admin keys and no default config or logs.
fn run(args: &[&str]) -> std::process::Output {
    run_with_sentinel(args).0
}

/// A folder with `config.toml` and `logs/app.jsonl` (one own-schema line per `(ts, cost)`
/// for the log identity `payments-svc`).
fn setup(config: &str, logs: &[(&str, f64)]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).unwrap();
    let log_dir = dir.path().join("logs");
    std::fs::create_dir(&log_dir).unwrap();
    let lines: String = logs
        .iter()
        .enumerate()
        .map(|(i, (ts, cost))| {
            format!(
                "{{\"tokentop\":1,\"ts\":\"{ts}\",\"identity\":\"payments-svc\",\"model\":\"gpt-4.1-mini-2025-04-14\",\"tokens\":{{\"input\":1000,\"output\":100}},\"request_id\":\"req_{i}\",\"cost_usd\":{cost}}}\n"
            )
        })
        .collect();
    std::fs::write(log_dir.join("app.jsonl"), lines).unwrap();
    (dir, config_path, log_dir)
}

/// The gpt-4.1-mini key and the payments service's logs are one identity.
fn payments_config(extra: &str) -> String {
    format!(
        "[[identity]]\nmatch = {{ api_key_id = \"{KEY_MINI}\" }}\nname = \"payments\"\nteam = \"core\"\n\n\
         [[identity]]\nmatch = {{ identity = \"payments-svc\" }}\nname = \"payments\"\nteam = \"core\"\n\n{extra}"
    )
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `report --json` over 2026-08-01 UTC, in `tz`, with both providers on the server.
fn report(server: &Server, config: &Path, logs: &Path, tz: &str) -> Value {
    let (openai, anthropic) = (format!("{}/v1", server.base), server.base.clone());
    let out = run(&[
        "report",
        "--json",
        "--openai",
        "--anthropic",
        "--openai-url",
        &openai,
        "--anthropic-url",
        &anthropic,
        "--config",
        p(config),
        "--tz",
        tz,
        "--since",
        "2026-08-01T00:00:00Z",
        "--until",
        "2026-08-02T00:00:00Z",
        p(logs),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(json: &'a Value, identity: &str) -> Option<&'a Value> {
    json["reconciliation"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["identity"] == identity)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn a_key_mapped_onto_a_log_identity_with_matching_spend_reconciles_to_zero() {
    let server = Server::start(healthy);
    // First no logs: the whole estimate is unattributed.
    let (_dir, config, logs) = setup(&payments_config(""), &[]);
    let json = report(&server, &config, &logs, "UTC");
    let before = row(&json, "payments").expect("a row for the mapped key");
    assert_eq!(before["day"], "2026-08-01");
    assert_eq!(
        before["provider_basis"], "estimated",
        "OpenAI bills by project here"
    );
    let provider = f(&before["provider_usd"]);
    assert!(provider > 0.1, "{before}");
    assert_eq!(f(&before["logged_usd"]), 0.0);
    assert!((f(&before["unattributed_usd"]) - provider).abs() < 1e-6);
    // The same spend in the logs, in two requests late on the UTC day that is already
    // the next day in Tokyo: reconciliation days are UTC whatever --tz says.
    let half = provider / 2.0;
    let (_dir, config, logs) = setup(
        &payments_config(""),
        &[
            ("2026-08-01T23:10:00Z", half),
            ("2026-08-01T23:50:00Z", provider - half),
        ],
    );
    let json = report(&server, &config, &logs, "Asia/Tokyo");
    let after = row(&json, "payments").unwrap();
    assert_eq!(after["day"], "2026-08-01");
    assert!((f(&after["provider_usd"]) - provider).abs() < 1e-6);
    assert!((f(&after["logged_usd"]) - provider).abs() < 2e-6, "{after}");
    assert!(f(&after["unattributed_usd"]).abs() < 2e-6, "{after}");
    assert_eq!(after["over"], false);
    assert_eq!(json["reconciliation"]["rows"].as_array().unwrap().len(), 1);
}

#[test]
fn an_unmapped_key_is_listed_and_raises_nothing() {
    let server = Server::start(healthy);
    let (_dir, config, logs) = setup(&payments_config("[reconcile]\nunattributed_usd = 0\n"), &[]);
    let json = report(&server, &config, &logs, "UTC");
    let unmapped = json["reconciliation"]["unmapped"].as_array().unwrap();
    let keys: Vec<&Value> = unmapped.iter().map(|u| &u["api_key_id"]).collect();
    assert!(keys.contains(&&Value::from(KEY_O3)), "{unmapped:?}");
    assert!(keys.contains(&&Value::from("apikey_01Rj2N8SVvo6BePZj99NhmiT")));
    assert!(
        !keys.contains(&&Value::from(KEY_MINI)),
        "mapped keys are not listed"
    );
    let o3 = unmapped.iter().find(|u| u["api_key_id"] == KEY_O3).unwrap();
    assert_eq!(o3["provider"], "openai");
    assert!(f(&o3["estimated_usd"]) > 0.0);
    let rows = json["reconciliation"]["rows"].as_array().unwrap();
    assert!(
        rows.iter().all(|r| r["identity"] == "payments"),
        "no row for an unmapped key: {rows:?}"
    );
    // A last rule for any key, without a name, reconciles each one under its own id.
    let catch_all =
        "[[identity]]\nmatch = { api_key_id = \"*\" }\n\n[reconcile]\nunattributed_usd = 0.1\n";
    let (_dir, config, logs) = setup(&payments_config(catch_all), &[]);
    let json = report(&server, &config, &logs, "UTC");
    let left = json["reconciliation"]["unmapped"].as_array().unwrap();
    assert!(
        left.iter().all(|u| u["api_key_id"].is_null()),
        "only usage without a key is left: {left:?}"
    );
    let o3 = row(&json, KEY_O3).expect("the key is its own identity");
    assert_eq!(o3["over"], true, "{o3}");
}

fn check(server: &Server, config: &Path, logs: &Path) -> std::process::Output {
    let openai = format!("{}/v1", server.base);
    run(&[
        "check",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(config),
        "--at",
        "2026-08-03T00:00:00Z",
        p(logs),
    ])
}

#[test]
fn a_key_billed_for_usage_no_log_explains_fails_check_over_the_threshold() {
    let server = Server::start(healthy);
    let rules = |threshold: &str| {
        format!(
            "[[identity]]\nmatch = {{ api_key_id = \"{KEY_O3}\" }}\nname = \"batch-jobs\"\n\n[reconcile]\nunattributed_usd = {threshold}\n"
        )
    };
    let (_dir, config, logs) = setup(&rules("0.1"), &[("2026-08-01T10:00:00Z", 0.01)]);
    let out = check(&server, &config, &logs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(
        stdout.contains("OVER unattributed batch-jobs 2026-08-01: provider $"),
        "{stdout}"
    );
    assert!(
        stdout.contains("(estimated), logged $0, unattributed +$"),
        "{stdout}"
    );
    // The same spend under a threshold it does not pass: ok.
    let (_dir, config, logs) = setup(&rules("100"), &[]);
    let out = check(&server, &config, &logs);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // In JSON the row says how much, and the status is over.
    let (_dir, config, logs) = setup(&rules("0.1"), &[]);
    let openai = format!("{}/v1", server.base);
    let out = run(&[
        "check",
        "--json",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(&config),
        "--at",
        "2026-08-03T00:00:00Z",
        p(&logs),
    ]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "over");
    let r = &json["reconciliation"]["rows"][0];
    assert_eq!(
        (&r["identity"], &r["over"]),
        (&Value::from("batch-jobs"), &Value::from(true))
    );
    assert!(
        f(&r["unattributed_usd"]) > 0.1 && f(&r["unattributed_usd"]) < 5.0,
        "{r}"
    );
}

#[test]
fn a_project_or_workspace_the_provider_bills_is_billed_else_estimated() {
    let server = Server::start(healthy);
    let config = "[[identity]]\nmatch = { project = \"proj_Fq3kZr8TQm2vYb1nLx0aP7cD\" }\nname = \"platform\"\n\n\
                  [[identity]]\nmatch = { workspace = \"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ\" }\nname = \"research\"\n\n\
                  [[identity]]\nmatch = { api_key_id = \"apikey_01Kx7Pq3RtYb9Wm2Lc5Dn8Fa\" }\nname = \"default-ws\"\n";
    let (_dir, config, logs) = setup(config, &[]);
    let json = report(&server, &config, &logs, "UTC");
    let platform = row(&json, "platform").unwrap();
    assert_eq!(platform["provider_basis"], "billed");
    assert!((f(&platform["provider_usd"]) - (0.94519 + 0.12101 + 0.15266 + 0.31)).abs() < 1e-6);
    let research = row(&json, "research").unwrap();
    assert_eq!(
        research["provider_basis"], "billed",
        "Anthropic bills by workspace"
    );
    assert!((f(&research["provider_usd"]) - (0.932631 + 1.44018 + 0.04)).abs() < 1e-6);
    // Anthropic never bills by key: a key's day is usage x price.
    let default_ws = row(&json, "default-ws").unwrap();
    assert_eq!(default_ws["provider_basis"], "estimated");
    assert!(f(&default_ws["provider_usd"]) > 0.0);
}

/// formats.md's completions page moved to yesterday (UTC), every other report as served.
fn yesterday_server() -> (Server, String) {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let yesterday = today.yesterday().unwrap();
    let start = yesterday
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    let mut v: Value = serde_json::from_str(&page("openai_completions")).unwrap();
    v["data"] = Value::Array(vec![v["data"][0].clone()]);
    v["data"][0]["start_time"] = start.into();
    v["data"][0]["end_time"] = (start + 86_400).into();
    let body = v.to_string();
    let server = Server::start(move |r| match r.path.as_str() {
        "/v1/organization/usage/completions" => Reply::json(body.clone()),
        _ => healthy(r),
    });
    (server, yesterday.to_string())
}

#[test]
fn settle_leaves_out_a_day_that_ended_too_recently() {
    let (server, yesterday) = yesterday_server();
    let openai = format!("{}/v1", server.base);
    let report = |settle: &str| {
        let (_dir, config, logs) = setup(
            &payments_config(&format!("[reconcile]\nsettle = \"{settle}\"\n")),
            &[],
        );
        let out = run(&[
            "report",
            "--json",
            "--openai",
            "--openai-url",
            &openai,
            "--config",
            p(&config),
            "--tz",
            "UTC",
            "--since",
            &yesterday,
            "--until",
            &yesterday,
            p(&logs),
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Yesterday ended less than a day ago: a 1 s lag has passed, a 48 h one has not.
    let settled = report("1s");
    let r = row(&settled, "payments").expect("yesterday counts once settled");
    assert_eq!(r["day"], yesterday.as_str());
    assert!(f(&r["provider_usd"]) > 0.0);
    let pending = report("48h");
    assert!(
        row(&pending, "payments").is_none(),
        "{}",
        pending["reconciliation"]
    );
    assert_eq!(pending["reconciliation"]["settle"], "48h");
}

#[test]
fn the_table_prints_a_short_reconciliation_section() {
    let server = Server::start(healthy);
    let (_dir, config, logs) = setup(&payments_config(""), &[("2026-08-01T10:00:00Z", 0.05)]);
    let openai = format!("{}/v1", server.base);
    let out = run(&[
        "report",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(&config),
        "--tz",
        "UTC",
        "--since",
        "2026-08-01",
        "--until",
        "2026-08-01",
        p(&logs),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("reconciliation (UTC days settled before "),
        "{text}"
    );
    assert!(
        text.contains("  payments 2026-08-01: provider $") && text.contains("logged $0.05"),
        "{text}"
    );
    assert!(
        text.contains(&format!("  unmapped openai key {KEY_O3} (proj_")),
        "{text}"
    );
}

#[test]
fn markdown_adds_a_providers_table_and_a_reconciliation_table() {
    let server = Server::start(healthy);
    let (_dir, config, logs) = setup(&payments_config(""), &[("2026-08-01T10:00:00Z", 0.05)]);
    let openai = format!("{}/v1", server.base);
    let out = run(&[
        "report",
        "--format",
        "markdown",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(&config),
        "--tz",
        "UTC",
        "--since",
        "2026-08-01",
        "--until",
        "2026-08-01",
        p(&logs),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let json = report(&server, &config, &logs, "UTC");
    let provider = &json["providers"][0];
    let input = provider["usage"]["input"].as_u64().unwrap();
    let openai_row = text
        .lines()
        .find(|l| l.starts_with("| openai |"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        openai_row.contains(&format!("| {} |", tokentop::format::int(input))),
        "{openai_row}"
    );
    let payments = text
        .lines()
        .find(|l| l.starts_with("| payments | 2026-08-01 |"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(payments.contains("| $0.05 |"), "{payments}");
    assert!(
        text.contains(&format!("Unmapped openai key {KEY_O3} (proj_")),
        "{text}"
    );
}

#[test]
fn check_counts_a_budget_on_the_provider_ledger_from_what_was_fetched() {
    let server = Server::start(healthy);
    let config = |ledger: &str| {
        format!(
            "[[identity]]\nmatch = {{ api_key_id = \"{KEY_O3}\" }}\nname = \"batch-jobs\"\n\n[reconcile]\nunattributed_usd = 1000\n\n\
             [[budget]]\nname = \"batch-month\"\nidentity = \"batch-jobs\"\nperiod = \"month\"\nlimit_usd = 0.01\nledger = \"{ledger}\"\n"
        )
    };
    // The logs hold nothing of batch-jobs: on the logs' ledger the budget is untouched.
    let (_dir, cfg, logs) = setup(&config("logs"), &[]);
    let out = check(&server, &cfg, &logs);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // On the provider's, the key's usage on Aug 1 is over a cent.
    let (_dir, cfg, logs) = setup(&config("provider"), &[]);
    let out = check(&server, &cfg, &logs);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(stdout.contains("batch-month"), "{stdout}");
}

#[test]
fn csv_keeps_the_log_rows_and_says_where_the_providers_are() {
    let server = Server::start(healthy);
    let (_dir, config, logs) = setup(&payments_config(""), &[("2026-08-01T10:00:00Z", 0.05)]);
    let openai = format!("{}/v1", server.base);
    let out = run(&[
        "report",
        "--format",
        "csv",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(&config),
        "--since",
        "2026-08-01",
        "--until",
        "2026-08-01",
        p(&logs),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        2,
        "a header and the one identity: {stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the CSV holds the log rows only"),
        "{stderr}"
    );
}
