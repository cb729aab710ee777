//! `report --entitlements`: per identity, the tools its policies allow that it did not call
//! in the range and the tools it called that no policy names; with providers on, the keys
//! that billed nothing in the range, among those the reports name before it.

use assert_cmd::Command;
use serde_json::{Value, json};

use tokentop::engine::entitlements::ToolUse;
use tokentop::event::ToolCall;

use crate::budgets::engine_with;
use crate::common::{MIN, NOON, event};
use crate::provider_server::{Reply, Request, Server, page};
use crate::providers::{healthy, run_with_sentinel};

const CONFIG: &str = r#"
[[identity]]
match = { identity = "svc-support-*" }
team = "support"

[[identity]]
match = { api_key_id = "key_Q2mXz9PLa01bcDe3" }
name = "ci-runner"

[[policy]]
name = "support reads only"
team = "support"
allow = ["Read", "Grep", "mcp__jira__*"]

[[policy]]
name = "no shell for triage"
identity = "agent-triage"
deny = ["Bash", "mcp__github__delete_*"]
"#;

/// A tokentop-format line of `identity` at `ts` calling `tools` (ids unique per line).
fn line(ts: &str, identity: &str, request: &str, tools: &[&str]) -> String {
    let tools: Vec<String> = tools
        .iter()
        .enumerate()
        .map(|(i, t)| format!(r#"{{"name":"{t}","id":"{request}_{i}"}}"#))
        .collect();
    format!(
        r#"{{"tokentop":1,"ts":"{ts}","identity":"{identity}","model":"gpt-4o-mini","request_id":"{request}","tokens":{{"input":100,"output":10}},"tools":[{}]}}"#,
        tools.join(",")
    )
}

/// The logs and the config, in a folder of their own.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        // Before --since 2026-01-03: the support agent used what its policy allows.
        line(
            "2026-01-01T09:00:00Z",
            "svc-support-a",
            "r0",
            &["Grep", "mcp__jira__search"],
        ),
        line(
            "2026-01-05T10:00:00Z",
            "svc-support-a",
            "r1",
            &["Read", "Bash"],
        ),
        line("2026-01-05T11:00:00Z", "svc-support-a", "r2", &["Bash"]),
        line(
            "2026-01-05T10:00:00Z",
            "agent-triage",
            "r3",
            &["Bash", "WebFetch"],
        ),
        line(
            "2026-01-05T10:05:00Z",
            "agent-triage",
            "r4",
            &["WebFetch", "mcp__github__delete_repo"],
        ),
        line(
            "2026-01-05T10:00:00Z",
            "dev-laptop",
            "r5",
            &["Read", "Edit", "Read"],
        ),
        line("2026-01-05T10:01:00Z", "dev-laptop", "r6", &["Read"]),
        line("2026-01-05T10:00:00Z", "quiet-bot", "r7", &[]),
    ];
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).expect("mkdir");
    std::fs::write(logs.join("a.jsonl"), lines.join("\n") + "\n").expect("write");
    std::fs::write(dir.path().join("config.toml"), CONFIG).expect("write");
    dir
}

fn report(dir: &tempfile::TempDir, args: &[&str]) -> String {
    let home = dir.path().join("home");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(dir.path().join("logs"))
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .args(["--tz", "UTC"])
        .args(args)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_STATE_HOME", &home)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn review(dir: &tempfile::TempDir, args: &[&str]) -> Value {
    let mut all = vec!["--json", "--entitlements"];
    all.extend(args);
    let json: Value = serde_json::from_str(&report(dir, &all)).expect("JSON");
    json["entitlements"].clone()
}

fn identity<'a>(e: &'a Value, name: &str) -> &'a Value {
    e["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|i| i["identity"] == name)
        .unwrap_or_else(|| panic!("{name} not in {e:#}"))
}

#[test]
fn each_identity_gets_its_unused_allowed_tools_and_the_tools_no_policy_names() {
    let dir = setup();
    let e = review(&dir, &["--since", "2026-01-03"]);
    let names: Vec<&str> = e["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["identity"].as_str().unwrap())
        .collect();
    // quiet-bot has no policy and called nothing: nothing to review.
    assert_eq!(names, ["agent-triage", "dev-laptop", "svc-support-a"]);
    assert_eq!(
        identity(&e, "svc-support-a"),
        &json!({
            "identity": "svc-support-a",
            "policies": ["support reads only"],
            "unused_allowed": ["Grep", "mcp__jira__*"],
            "unnamed_tools": [{"tool": "Bash", "calls": 2}],
        })
    );
    // A deny-only policy allows everything else: nothing unused; what it denies is named.
    assert_eq!(
        identity(&e, "agent-triage"),
        &json!({
            "identity": "agent-triage",
            "policies": ["no shell for triage"],
            "unused_allowed": [],
            "unnamed_tools": [{"tool": "WebFetch", "calls": 2}],
        })
    );
    // No policy covers it: every tool it called is unnamed, most called first.
    assert_eq!(
        identity(&e, "dev-laptop"),
        &json!({
            "identity": "dev-laptop",
            "policies": [],
            "unused_allowed": [],
            "unnamed_tools": [{"tool": "Read", "calls": 3}, {"tool": "Edit", "calls": 1}],
        })
    );
    assert_eq!(
        e["idle_keys"],
        Value::Null,
        "no provider, no keys looked at"
    );
    assert_eq!(e["key_source"], Value::Null);
}

#[test]
fn calls_before_the_range_do_not_count_as_use() {
    let dir = setup();
    let all = review(&dir, &[]);
    let support = identity(&all, "svc-support-a");
    assert_eq!(
        support["unused_allowed"],
        json!([]),
        "Grep and jira were used on Jan 1"
    );
    assert_eq!(
        support["unnamed_tools"],
        json!([{"tool": "Bash", "calls": 2}])
    );
    let later = review(&dir, &["--since", "2026-01-03", "--identity", "svc-*"]);
    assert_eq!(
        later["identities"].as_array().unwrap().len(),
        1,
        "{later:#}"
    );
    assert_eq!(
        identity(&later, "svc-support-a")["unused_allowed"],
        json!(["Grep", "mcp__jira__*"])
    );
}

#[test]
fn without_the_flag_the_report_has_no_review() {
    let dir = setup();
    let json: Value = serde_json::from_str(&report(&dir, &["--json"])).unwrap();
    assert!(json.get("entitlements").is_none(), "{json:#}");
    let table = report(&dir, &[]);
    assert!(!table.contains("UNUSED ALLOWED"), "{table}");
}

#[test]
fn the_table_has_one_aligned_row_per_identity_and_the_csv_one_row_per_finding() {
    let dir = setup();
    let table = report(&dir, &["--since", "2026-01-03", "--entitlements"]);
    let lines: Vec<&str> = table.lines().collect();
    let head = 1 + lines
        .iter()
        .position(|l| l.starts_with("Entitlements:"))
        .expect("a section");
    assert_eq!(
        &lines[head..head + 4],
        [
            "IDENTITY       POLICIES             UNUSED ALLOWED      UNNAMED TOOLS",
            "agent-triage   no shell for triage  -                   WebFetch (2)",
            "dev-laptop     -                    -                   Read (3), Edit (1)",
            "svc-support-a  support reads only   Grep, mcp__jira__*  Bash (2)",
        ]
    );
    let csv = report(
        &dir,
        &["--since", "2026-01-03", "--entitlements", "--format", "csv"],
    );
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        [
            "identity,kind,name,calls,provider,last_seen",
            "agent-triage,unnamed_tool,WebFetch,2,,",
            "dev-laptop,unnamed_tool,Read,3,,",
            "dev-laptop,unnamed_tool,Edit,1,,",
            "svc-support-a,unused_allowed,Grep,,,",
            "svc-support-a,unused_allowed,mcp__jira__*,,,",
            "svc-support-a,unnamed_tool,Bash,2,,",
        ]
    );
    let markdown = report(
        &dir,
        &[
            "--since",
            "2026-01-03",
            "--entitlements",
            "--format",
            "markdown",
        ],
    );
    assert!(
        markdown.contains("| svc-support-a | support reads only | Grep, mcp__jira__* | Bash (2) |"),
        "{markdown}"
    );
}

#[test]
fn an_mcp_tool_named_apart_by_its_telemetry_is_one_tool_to_policies() {
    let mut e = engine_with(CONFIG);
    e.advance(NOON);
    let calls = [
        ToolCall::new(Some("c1".into()), "mcp__jira__search".into()),
        ToolCall {
            id: Some("c2".into()),
            name: "search".into(),
            mcp_server: Some("jira".into()),
        },
    ];
    for who in ["svc-support-b", "dev-b"] {
        for (n, call) in calls.iter().enumerate() {
            let mut event = event(who, NOON - MIN, 100, 10);
            event.tools = vec![ToolCall {
                id: call.id.as_ref().map(|id| format!("{who}{id}")),
                ..call.clone()
            }];
            e.ingest(&event);
            e.advance(NOON - MIN + n as i64);
        }
    }
    let review = e.entitlements(&|_| true);
    let support = review
        .iter()
        .find(|r| r.identity == "svc-support-b")
        .unwrap();
    assert_eq!(support.unused_allowed, ["Read", "Grep"]);
    assert!(support.unnamed_tools.is_empty(), "{support:?}");
    let dev = review.iter().find(|r| r.identity == "dev-b").unwrap();
    assert_eq!(
        dev.unnamed_tools,
        [ToolUse {
            tool: "mcp__jira__search".into(),
            calls: 2
        }]
    );
}

/// 2026-08-02T00:00:00Z, the range's day; formats.md's example pages are of the day before.
const RANGE_START_S: &str = "1785628800";

/// The range (Aug 2) bills only key_7HcVtq2WnR8sJd4L; before it, the example pages of
/// Aug 1 name every key.
fn range_bills_one_key(r: &Request) -> Reply {
    let in_range = r.param("start_time").as_deref() == Some(RANGE_START_S)
        || r.param("starting_at")
            .is_some_and(|s| s.starts_with("2026-08-02"));
    if !in_range {
        return healthy(r);
    }
    match r.path.as_str() {
        "/v1/organization/usage/completions" => {
            let mut v: Value = serde_json::from_str(&page("openai_completions")).unwrap();
            let bucket = &mut v["data"][0];
            bucket["start_time"] = json!(1_785_628_800);
            bucket["end_time"] = json!(1_785_715_200);
            bucket["results"]
                .as_array_mut()
                .unwrap()
                .retain(|r| r["api_key_id"] == "key_7HcVtq2WnR8sJd4L");
            v["data"].as_array_mut().unwrap().truncate(1);
            v["has_more"] = json!(false);
            v["next_page"] = Value::Null;
            Reply::json(v.to_string())
        }
        _ => Reply::json(r#"{"object":"page","data":[],"has_more":false,"next_page":null}"#),
    }
}

#[test]
fn keys_seen_before_the_range_that_billed_nothing_in_it_are_idle() {
    let server = Server::start(range_bills_one_key);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let (openai_url, anthropic_url) = (format!("{}/v1", server.base), server.base.clone());
    let run = |format: &str| {
        run_with_sentinel(&[
            "report",
            "--format",
            format,
            "--entitlements",
            "--openai",
            "--anthropic",
            "--openai-url",
            &openai_url,
            "--anthropic-url",
            &anthropic_url,
            "--config",
            config.to_str().unwrap(),
            "--since",
            "2026-08-02",
            "--until",
            "2026-08-02",
        ])
        .0
    };
    let table = String::from_utf8(run("table").stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    let head = lines
        .iter()
        .position(|l| l.starts_with("PROVIDER"))
        .expect("{table}");
    assert_eq!(
        &lines[head..head + 3],
        [
            "PROVIDER   API KEY ID                       IDENTITY   PROJECT                          LAST SEEN",
            "openai     key_Q2mXz9PLa01bcDe3             ci-runner  proj_Fq3kZr8TQm2vYb1nLx0aP7cD    2026-08-01",
            "anthropic  apikey_01Kx7Pq3RtYb9Wm2Lc5Dn8Fa  -          -                                2026-08-01",
        ]
    );
    assert!(
        lines[head + 4].starts_with("Keys that billed nothing in the range, among those the usage and cost reports name since 2026-07-03T00:00:00.000Z"),
        "{table}"
    );
    let out = run("json");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &json["entitlements"];
    assert_eq!(e["key_source"], "seen_before_range");
    assert_eq!(e["keys_seen_from"], "2026-07-03T00:00:00.000Z");
    assert_eq!(
        e["idle_keys"],
        json!([
            {
                "provider": "openai",
                "api_key_id": "key_Q2mXz9PLa01bcDe3",
                "identity": "ci-runner",
                "project": "proj_Fq3kZr8TQm2vYb1nLx0aP7cD",
                "last_seen": "2026-08-01",
            },
            {
                "provider": "anthropic",
                "api_key_id": "apikey_01Kx7Pq3RtYb9Wm2Lc5Dn8Fa",
                "identity": null,
                "project": null,
                "last_seen": "2026-08-01",
            },
            {
                "provider": "anthropic",
                "api_key_id": "apikey_01Rj2N8SVvo6BePZj99NhmiT",
                "identity": null,
                "project": "wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ",
                "last_seen": "2026-08-01",
            },
        ])
    );
    // Before the range was asked for apart: the 30 days up to its start.
    let asked: Vec<Option<String>> = server
        .to("/v1/organization/usage/completions")
        .iter()
        .map(|r| r.param("start_time"))
        .collect();
    assert!(asked.contains(&Some("1783036800".into())), "{asked:?}");
    assert!(asked.contains(&Some(RANGE_START_S.into())), "{asked:?}");
}
