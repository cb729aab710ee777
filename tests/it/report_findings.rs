//! `report --findings`: calls outside a policy, tools new to an identity, secrets (by type,
//! place and fingerprint, never the value) and spend no log explains, each with when and
//! where it was read, in every output form; without the flag nothing is scanned.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

use crate::provider_server::Server;
use crate::providers::{healthy, run_with_sentinel};

const GITHUB: &str = "ghp_A1b2C3d4E5f6G7h8A1b2C3d4E5f6G7h8A1b2C3d4E5f6G7h8";
const AWS: &str = "AKIAQ3EGRVX5L7WZ2MNP";

/// A Claude Code transcript: a GitHub token in a tool result (line 1), an AWS key id in a
/// tool call's input (line 2).
fn transcript() -> String {
    let result = format!(
        r#"{{"parentUuid":"a","isSidechain":false,"cwd":"/home/dev/api","sessionId":"s1","type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"toolu_1","content":"GITHUB_TOKEN={GITHUB}"}}]}},"uuid":"b","timestamp":"2026-01-01T10:00:00.000Z"}}"#
    );
    let call = format!(
        r#"{{"parentUuid":"b","isSidechain":false,"cwd":"/home/dev/api","sessionId":"s1","type":"assistant","message":{{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{{"type":"tool_use","id":"toolu_2","name":"Bash","input":{{"command":"aws configure set aws_access_key_id {AWS}"}}}}],"stop_reason":"tool_use","usage":{{"input_tokens":10,"output_tokens":5}}}},"requestId":"req_1","uuid":"c","timestamp":"2026-01-01T10:01:00.000Z"}}"#
    );
    format!("{result}\n{call}\n")
}

/// One own-schema line of `agent-triage` calling `tool` at `ts`.
fn call(ts: &str, tool: &str, n: usize) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"{ts}","identity":"agent-triage","provider":"openai","model":"gpt-4o-mini","tokens":{{"input":10,"output":5}},"cost_usd":0.25,"tools":[{{"name":"{tool}","id":"call_{n}"}}]}}"#
    )
}

/// A folder with the transcript under `projects/-home-dev-api/s1.jsonl`, and
/// `agents.jsonl`: `agent-triage` reading once a minute from 09:00 to 09:59 (warming up
/// and past it), then calling Bash at 10:00 (line 61), which the config's policy denies
/// and which is new to it.
struct Case {
    dir: tempfile::TempDir,
    project: PathBuf,
    agents: PathBuf,
    config: PathBuf,
}

fn case(config: &str) -> Case {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("projects").join("-home-dev-api");
    std::fs::create_dir_all(&project).expect("folder");
    std::fs::write(project.join("s1.jsonl"), transcript()).expect("write");
    let mut lines: Vec<String> = (0..60)
        .map(|m| call(&format!("2026-01-01T09:{m:02}:00Z"), "Read", m))
        .collect();
    lines.push(call("2026-01-01T10:00:00Z", "Bash", 60));
    let agents = dir.path().join("agents.jsonl");
    std::fs::write(&agents, lines.join("\n") + "\n").expect("write");
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, config).expect("write");
    Case {
        dir,
        project,
        agents,
        config: config_path,
    }
}

const POLICY: &str = "[[policy]]\nname = \"no shell\"\nidentity = \"agent-*\"\ndeny = [\"Bash\"]\n";

fn report(case: &Case, args: &[&str], stdin: Option<String>) -> std::process::Output {
    let mut cmd = Command::cargo_bin("tokentop").expect("binary");
    cmd.arg("report")
        .args(["--tz", "UTC", "--config"])
        .arg(&case.config)
        .args(args)
        .env("HOME", case.dir.path())
        .env("XDG_STATE_HOME", case.dir.path().join("state"));
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    cmd.output().expect("run")
}

fn text(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// `(kind, severity, identity, policy or secret_type, tool or where, ts, source kind, file,
/// line)` of each finding.
fn summary(findings: &Value) -> Vec<[String; 9]> {
    let s = |v: &Value| match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    findings
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            let what = if f["kind"] == "secret" {
                [s(&f["secret_type"]), s(&f["where"])]
            } else {
                [s(&f["policy"]), s(&f["tool"])]
            };
            [
                s(&f["kind"]),
                s(&f["severity"]),
                s(&f["identity"]),
                what[0].clone(),
                what[1].clone(),
                s(&f["ts"]),
                s(&f["source"]["kind"]),
                s(&f["source"]["file"]),
                s(&f["source"]["line"]),
            ]
        })
        .collect()
}

fn row(fields: [&str; 9]) -> [String; 9] {
    fields.map(str::to_string)
}

#[test]
fn json_lists_each_finding_with_when_and_where_and_counts_them_per_identity() {
    let c = case(POLICY);
    let out = report(
        &c,
        &["--json", "--findings", p(&c.project), p(&c.agents)],
        None,
    );
    let raw = text(&out);
    let json: Value = serde_json::from_str(&raw).expect("json");
    let transcript = format!("{}/s1.jsonl", p(&c.project));
    assert_eq!(
        summary(&json["findings"]),
        [
            row([
                "policy",
                "critical",
                "agent-triage",
                "no shell",
                "Bash",
                "2026-01-01T10:00:00.000Z",
                "file",
                p(&c.agents),
                "61",
            ]),
            row([
                "new_tool",
                "warn",
                "agent-triage",
                "-",
                "Bash",
                "2026-01-01T10:00:00.000Z",
                "file",
                p(&c.agents),
                "61",
            ]),
            row([
                "secret",
                "critical",
                "-home-dev-api",
                "github_token",
                "message.content[0].content",
                "2026-01-01T10:00:00.000Z",
                "file",
                &transcript,
                "1",
            ]),
            row([
                "secret",
                "critical",
                "-home-dev-api",
                "aws_access_key_id",
                "message.content[0].input.command",
                "2026-01-01T10:01:00.000Z",
                "file",
                &transcript,
                "2",
            ]),
        ]
    );
    let findings = json["findings"].as_array().expect("list");
    // The Bash line starts after 60 lines of Read.
    let offset = std::fs::read_to_string(&c.agents)
        .expect("read")
        .lines()
        .take(60)
        .map(|l| l.len() as u64 + 1)
        .sum::<u64>();
    assert_eq!(findings[0]["source"]["offset"], offset);
    assert_eq!(findings[0]["calls"], 1);
    assert_eq!(findings[2]["fingerprint"].as_str().map(str::len), Some(32));
    assert_eq!(findings[2]["source"]["offset"], 0);
    assert!(findings[2].get("value").is_none());
    assert!(!raw.contains(GITHUB) && !raw.contains(AWS), "{raw}");
    let counts: Vec<(String, Value)> = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["identity"].as_str().expect("name").to_string(),
                r["findings"].clone(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            (
                "agent-triage".to_string(),
                serde_json::json!({"policy": 1, "new_tool": 1, "secret": 0, "unattributed": 0})
            ),
            (
                "-home-dev-api".to_string(),
                serde_json::json!({"policy": 0, "new_tool": 0, "secret": 2, "unattributed": 0})
            ),
        ]
    );
    // --identity narrows the findings too.
    let out = report(
        &c,
        &[
            "--json",
            "--findings",
            "--identity",
            "agent-*",
            p(&c.project),
            p(&c.agents),
        ],
        None,
    );
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    let kinds: Vec<&Value> = json["findings"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| &f["kind"])
        .collect();
    assert_eq!(kinds, ["policy", "new_tool"]);
}

#[test]
fn the_table_markdown_and_csv_list_them_and_no_form_holds_a_secret() {
    let c = case(POLICY);
    let paths = [p(&c.project), p(&c.agents)];
    let table = text(&report(&c, &["--findings", paths[0], paths[1]], None));
    let section = table
        .split_once("\nFindings: ")
        .map(|(_, s)| s)
        .expect("a findings section");
    let t = format!("{}/s1.jsonl", p(&c.project));
    let a = p(&c.agents);
    // Columns two spaces apart, each as wide as its widest cell.
    let line = |c: [&str; 6]| {
        format!(
            "{:<8}  {:<8}  {:<13}  {:<53}  {:<19}  {}",
            c[0], c[1], c[2], c[3], c[4], c[5]
        )
    };
    let (a61, t1, t2) = (format!("{a}:61"), format!("{t}:1"), format!("{t}:2"));
    let (ten, ten_one) = ("2026-01-01 10:00:00", "2026-01-01 10:01:00");
    let lines = [
        line(["KIND", "SEVERITY", "IDENTITY", "WHAT", "WHEN", "SOURCE"]),
        line([
            "policy",
            "crit",
            "agent-triage",
            "Bash outside \"no shell\" (1 call)",
            ten,
            &a61,
        ]),
        line([
            "new_tool",
            "warn",
            "agent-triage",
            "Bash (1 call)",
            ten,
            &a61,
        ]),
        line([
            "secret",
            "crit",
            "-home-dev-api",
            "github_token in message.content[0].content",
            ten,
            &t1,
        ]),
        line([
            "secret",
            "crit",
            "-home-dev-api",
            "aws_access_key_id in message.content[0].input.command",
            ten_one,
            &t2,
        ]),
    ];
    assert_eq!(
        section.lines().skip(1).collect::<Vec<_>>(),
        lines.iter().map(String::as_str).collect::<Vec<_>>(),
        "{section}"
    );
    let markdown = text(&report(
        &c,
        &["--findings", "--format", "markdown", paths[0], paths[1]],
        None,
    ));
    assert!(
        markdown.contains(&format!(
            "| policy | crit | agent-triage | Bash outside \"no shell\" (1 call) | 2026-01-01 10:00:00 | {a}:61 |"
        )),
        "{markdown}"
    );
    let csv_out = report(
        &c,
        &["--findings", "--format", "csv", paths[0], paths[1]],
        None,
    );
    let csv = text(&csv_out);
    let csv_lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        csv_lines[0],
        "kind,severity,identity,policy,tool,calls,secret_type,where,fingerprint,usd,day,ts,source_kind,file,offset,line"
    );
    assert_eq!(csv_lines.len(), 5, "{csv}");
    assert!(
        csv_lines[4].starts_with(
            "secret,crit,-home-dev-api,,,,aws_access_key_id,message.content[0].input.command,"
        ),
        "{csv}"
    );
    assert!(
        String::from_utf8_lossy(&csv_out.stderr).contains("the CSV holds the finding rows only"),
        "{csv_out:?}"
    );
    let both = ["--findings", "--entitlements", "--format", "csv", paths[0]];
    let refused = report(&c, &both, None);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr)
            .contains("give --entitlements or --findings with --format csv, not both"),
        "{refused:?}"
    );
    let json = text(&report(
        &c,
        &["--json", "--findings", paths[0], paths[1]],
        None,
    ));
    for (form, out) in [
        ("table", &table),
        ("markdown", &markdown),
        ("csv", &csv),
        ("json", &json),
    ] {
        assert!(
            !out.contains(GITHUB) && !out.contains(AWS) && !out.contains("ghp_A1b2"),
            "{form} holds a secret: {out}"
        );
    }
}

#[test]
fn stdin_findings_have_a_line_and_no_file() {
    let c = case(POLICY);
    let out = report(&c, &["--json", "--findings", "-"], Some(transcript()));
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    let sources: Vec<(&Value, &Value)> = json["findings"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| (&f["secret_type"], &f["source"]))
        .collect();
    assert_eq!(
        sources,
        [
            (
                &Value::from("github_token"),
                &serde_json::json!({"kind": "stdin", "line": 1})
            ),
            (
                &Value::from("aws_access_key_id"),
                &serde_json::json!({"kind": "stdin", "line": 2})
            ),
        ]
    );
}

#[test]
fn without_the_flag_nothing_is_scanned_and_with_secrets_off_policies_still_show() {
    let c = case(POLICY);
    let out = report(&c, &["--json", p(&c.project), p(&c.agents)], None);
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    assert!(json.get("findings").is_none(), "{json}");
    assert!(json["rows"][0].get("findings").is_none(), "{json}");
    let table = text(&report(&c, &[p(&c.project), p(&c.agents)], None));
    assert!(!table.contains("Findings"), "{table}");

    let c = case(&format!("{POLICY}\n[secrets]\nenabled = false\n"));
    let out = report(
        &c,
        &["--json", "--findings", p(&c.project), p(&c.agents)],
        None,
    );
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    let kinds: Vec<&Value> = json["findings"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| &f["kind"])
        .collect();
    assert_eq!(kinds, ["policy", "new_tool"]);
}

#[test]
fn more_findings_than_the_alert_history_holds_are_all_listed() {
    let c = case(POLICY);
    // 600 episodes of Bash, each 11 quiet minutes after the last.
    let start = 1_767_225_600_000_i64;
    let lines: Vec<String> = (0..600)
        .map(|n| {
            let ts = jiff::Timestamp::from_millisecond(start + n as i64 * 11 * 60_000)
                .expect("time")
                .to_string();
            call(&ts, "Bash", n)
        })
        .collect();
    std::fs::write(&c.agents, lines.join("\n") + "\n").expect("write");
    let out = report(&c, &["--json", "--findings", p(&c.agents)], None);
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    let policy: Vec<&Value> = json["findings"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|f| f["kind"] == "policy")
        .collect();
    assert_eq!(policy.len(), 600);
    assert_eq!(policy[599]["source"]["line"], 600);
    assert_eq!(json["rows"][0]["findings"]["policy"], 600);
    // `check` keeps them all too.
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .args(["check", "--json", "--config", p(&c.config), p(&c.agents)])
        .args([
            "--since",
            "2025-12-31T00:00:00Z",
            "--at",
            "2026-01-06T00:00:00Z",
        ])
        .env("HOME", c.dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(600));
}

#[test]
fn spend_no_log_explains_is_a_finding_from_the_provider() {
    let server = Server::start(healthy);
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[identity]]\nmatch = { api_key_id = \"key_Q2mXz9PLa01bcDe3\" }\nname = \"batch-jobs\"\n\n[reconcile]\nunattributed_usd = 0.1\n",
    )
    .expect("write");
    let logs = dir.path().join("app.jsonl");
    std::fs::write(&logs, "").expect("write");
    let openai = format!("{}/v1", server.base);
    let (out, _home) = run_with_sentinel(&[
        "report",
        "--json",
        "--findings",
        "--openai",
        "--openai-url",
        &openai,
        "--config",
        p(&config),
        "--since",
        "2026-08-01T00:00:00Z",
        "--until",
        "2026-08-02T00:00:00Z",
        p(&logs),
    ]);
    let json: Value = serde_json::from_str(&text(&out)).expect("json");
    let row = &json["reconciliation"]["rows"][0];
    assert_eq!(row["identity"], "batch-jobs");
    let found = &json["findings"][0];
    assert_eq!(
        (
            &found["kind"],
            &found["severity"],
            &found["identity"],
            &found["day"],
            &found["ts"],
            &found["source"]
        ),
        (
            &Value::from("unattributed"),
            &Value::from("critical"),
            &Value::from("batch-jobs"),
            &Value::from("2026-08-01"),
            &Value::from("2026-08-01T00:00:00.000Z"),
            &serde_json::json!({"kind": "provider"})
        )
    );
    let usd = found["usd"].as_f64().expect("usd");
    let row_usd = row["unattributed_usd"].as_f64().expect("usd");
    assert!((usd - row_usd).abs() < 1e-6 && usd > 0.1, "{found} {row}");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(1));
}
