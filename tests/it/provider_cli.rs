//! `report` and `check` with `--openai` / `--anthropic` (and `[providers.*]`) against the
//! test server: the providers' own ledger in `report --json`, never in the log totals; a
//! provider that cannot be read fails `check` unless `--allow-partial`; and the sentinel
//! key in no output of any fault run.

use assert_cmd::Command;
use serde_json::Value;

use crate::provider_server::{Reply, Server};
use crate::providers::{SENTINEL, healthy, run_with_sentinel};

/// `tokentop ARGS` with the sentinel in both key variables, no default logs or config.
fn run(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    run_with_sentinel(args)
}

fn urls(server: &Server) -> [String; 4] {
    [
        "--openai-url".into(),
        format!("{}/v1", server.base),
        "--anthropic-url".into(),
        server.base.clone(),
    ]
}

fn report(server: &Server, extra: &[&str]) -> std::process::Output {
    let urls = urls(server);
    let mut args = vec![
        "report",
        "--openai",
        "--anthropic",
        "--since",
        "2026-08-01",
        "--until",
        "2026-08-01",
    ];
    args.extend(urls.iter().map(String::as_str));
    args.extend(extra);
    run(&args).0
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() < 1e-9
}

#[test]
fn report_json_gains_each_providers_ledger_apart_from_the_log_totals() {
    let server = Server::start(healthy);
    let out = report(&server, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["totals"]["requests"], 0,
        "provider usage is not in the log totals"
    );
    let openai = &json["providers"][0];
    assert_eq!(openai["provider"], "openai");
    let u = &openai["usage"];
    assert_eq!(u["input"], 3 * (630_121 + 52_000) + 4_312_871);
    assert_eq!(u["cache_read"], 3 * 1_210_112);
    assert_eq!(u["output"], 3 * (95_410 + 8_800));
    assert_eq!(u["requests"], 3 * (412 + 37) + 1290);
    assert!(close(
        &openai["billed_cost_usd"],
        0.94519 + 0.12101 + 0.15266 + 0.31
    ));
    assert!(
        close(&openai["estimated_cost_usd"], 0.0),
        "the day is billed"
    );
    assert_eq!(openai["health"]["ok"], true);
    let row = &openai["rows"][0];
    assert_eq!(row["day"], "2026-08-01");
    assert_eq!(row["api_key_id"], "key_7HcVtq2WnR8sJd4L");
    assert_eq!(row["project"], "proj_Fq3kZr8TQm2vYb1nLx0aP7cD");
    assert_eq!(row["model"], "gpt-4.1-mini-2025-04-14");
    assert!(row["estimated_cost_usd"].as_f64().unwrap() > 0.0, "{row}");
    let anthropic = &json["providers"][1];
    assert_eq!(anthropic["usage"]["input"], 310_877 + 88_210);
    assert_eq!(anthropic["usage"]["cache_write_5m"], 184_320);
    assert_eq!(anthropic["usage"]["requests"], Value::Null);
    assert!(close(
        &anthropic["billed_cost_usd"],
        0.932631 + 1.44018 + 0.04
    ));
    let workspaces: Vec<&Value> = anthropic["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["project"])
        .collect();
    assert!(workspaces.contains(&&Value::from("wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ")));
    // --until 2026-08-01 is the whole day: asked exactly [Aug 1, Aug 2).
    let asked = &server.to("/v1/organization/usage/completions")[0];
    assert_eq!(asked.param("start_time").as_deref(), Some("1785542400"));
    assert_eq!(asked.param("end_time").as_deref(), Some("1785628800"));
}

#[test]
fn an_unbilled_day_is_estimated_from_usage_times_price() {
    let server = Server::start(|r| match r.path.as_str() {
        "/v1/organization/costs" => {
            Reply::json(r#"{"object":"page","data":[],"has_more":false,"next_page":null}"#)
        }
        _ => healthy(r),
    });
    let out = report(&server, &["--json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let openai = &json["providers"][0];
    assert_eq!(openai["billed_cost_usd"], Value::Null);
    let rows: f64 = openai["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["report"] == "usage")
        .filter_map(|r| r["estimated_cost_usd"].as_f64())
        .sum();
    assert!(rows > 0.0);
    assert!(
        (openai["estimated_cost_usd"].as_f64().unwrap() - rows).abs() < 1e-5,
        "{openai}"
    );
}

#[test]
fn the_table_names_each_provider_and_without_since_asks_for_this_month() {
    let server = Server::start(healthy);
    let urls = urls(&server);
    let mut args = vec!["report", "--openai"];
    args.extend(urls[..2].iter().map(String::as_str));
    let (out, _) = run(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("provider openai: input "), "{text}");
    let month = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .first_of_month()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second();
    let asked = &server.to("/v1/organization/usage/completions")[0];
    assert_eq!(asked.param("start_time"), Some(month.to_string()));
    assert!(
        server.to("/v1/organizations/cost_report").is_empty(),
        "anthropic is off"
    );
}

fn budget_config(dir: &std::path::Path, provider_table: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!("[[budget]]\nname = \"all\"\nall = true\nperiod = \"day\"\nlimit_usd = 100\n\n{provider_table}"),
    )
    .unwrap();
    path
}

#[test]
fn check_fails_on_a_provider_it_cannot_read_unless_allow_partial() {
    let server = Server::start(|r| {
        if r.path.starts_with("/v1/organization/") {
            Reply::status(401)
        } else {
            healthy(r)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let table = format!(
        "[providers.openai]\nkey_env = \"MY_ORG_KEY\"\nurl = \"{}/v1\"\n",
        server.base
    );
    let config = budget_config(dir.path(), &table);
    let config = config.to_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let check = |extra: &[&str]| {
        Command::cargo_bin("tokentop")
            .unwrap()
            .args(["check", "--config", config])
            .args(extra)
            .env("HOME", home.path())
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env("MY_ORG_KEY", SENTINEL)
            .output()
            .unwrap()
    };
    let out = check(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr.contains("MY_ORG_KEY") && stderr.contains("HTTP 401"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SENTINEL") && !String::from_utf8_lossy(&out.stdout).contains("SENTINEL")
    );
    let out = check(&["--allow-partial", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["providers"][0]["health"]["ok"], false);
    // With the provider readable, the check passes on its budgets.
    let server = Server::start(healthy);
    let table = format!(
        "[providers.openai]\nkey_env = \"MY_ORG_KEY\"\nurl = \"{}/v1\"\n",
        server.base
    );
    budget_config(dir.path(), &table);
    assert_eq!(check(&[]).status.code(), Some(0));
}

#[test]
fn no_fault_run_prints_the_key() {
    type Fault = Box<dyn Fn() -> Reply + Send + Sync>;
    let faults: Vec<(&str, Fault)> = vec![
        ("401", Box::new(|| Reply::status(401))),
        ("403", Box::new(|| Reply::status(403))),
        (
            "malformed",
            Box::new(|| {
                Reply::json(format!(
                    "{{\"data\":[],\"has_more\":\"{SENTINEL}\",\"next_page\":null}}"
                ))
            }),
        ),
        (
            "empty",
            Box::new(|| Reply::json(r#"{"data":[],"has_more":false,"next_page":null}"#)),
        ),
        (
            "has_more",
            Box::new(|| Reply::json(r#"{"data":[],"has_more":true,"next_page":null}"#)),
        ),
        (
            "429 now",
            Box::new(|| Reply::Http(429, vec![("retry-after", "0".into())], String::new())),
        ),
        (
            "echo",
            Box::new(|| {
                Reply::Http(
                    400,
                    Vec::new(),
                    format!("{{\"error\":\"bad key {SENTINEL}\"}}"),
                )
            }),
        ),
    ];
    for (name, fault) in faults {
        let fault = std::sync::Arc::new(fault);
        let first = std::sync::Mutex::new(true);
        let server = Server::start(move |r| {
            let mut first = first.lock().unwrap();
            if std::mem::take(&mut *first) {
                fault()
            } else {
                healthy(r)
            }
        });
        for format in ["--json", "--format=table"] {
            // `run` asserts that stdout and stderr hold no key.
            let out = report(&server, &[format]);
            assert_eq!(out.status.code(), Some(0), "{name}: {out:?}");
        }
    }
}

#[test]
fn provider_flags_and_tables_are_checked() {
    let (out, _) = run(&["report", "--openai-url", "http://127.0.0.1:9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --openai"));
    let (out, _) = run(&["report", "--openai", "--openai-url", "ftp://x"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    for (table, says) in [
        (
            "[providers.openai]\nkey_env = \"sk-admin-abc\"\n",
            "never the key itself",
        ),
        ("[providers.openai]\ninterval = \"5s\"\n", "at least 10s"),
        ("[providers.openai]\nkey = \"x\"\n", "key"),
        ("[providers.mistral]\n", "mistral"),
    ] {
        let config = budget_config(dir.path(), table);
        let (out, _) = run(&["report", "--config", config.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{table}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(says) && stderr.contains("config.toml:"),
            "{table}: {stderr}"
        );
    }
}
