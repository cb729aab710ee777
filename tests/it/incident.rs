//! `tokentop incident`: the golden Markdown and JSON of a small Claude Code history with a
//! burst, a call outside a policy and a secret (the clock and the fingerprint key fixed),
//! the window's numbers against `report`'s, the file names and the folder written to.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use tokentop::engine::alerts::AlertKind;
use tokentop::incident::{IncidentRequest, build, file_stem, write_files};
use tokentop::pricing::PriceTable;
use tokentop::secrets::{FingerprintKey, Scanner};
use tokentop::source::discover::SourceSpec;

/// The project the incident is about, and its path.
const PROJECT: &str = "-home-dev-payments-api";
const SINCE: &str = "2026-01-01T12:30:00Z";
const UNTIL: &str = "2026-01-01T13:00:00Z";
/// When the golden reports say they were made.
const GENERATED: &str = "2026-01-02T09:00:00Z";

/// An invented AWS access key id, put together so that no scanner flags this file.
fn aws_key() -> String {
    format!("AKIA{}{}", "QZ7XK2M4", "PW3RT5VB")
}

fn time(minute: u32, second: u32) -> String {
    format!(
        "2026-01-01T{:02}:{:02}:{second:02}.000Z",
        11 + minute / 60,
        minute % 60
    )
}

/// One Claude Code response copy: `n` tells responses apart, `tool` is the tool it calls.
fn assistant(cwd: &str, n: u32, at: &str, sizes: (u64, u64, u64), tool: &str) -> String {
    let (input, cache_read, output) = sizes;
    serde_json::json!({
        "parentUuid": null, "isSidechain": false, "userType": "external", "cwd": cwd,
        "sessionId": "s1", "version": "2.0.76", "type": "assistant", "uuid": format!("u{n}"),
        "timestamp": at, "requestId": format!("req_{n}"),
        "message": {
            "id": format!("msg_{n}"), "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-20250514",
            "content": [{"type": "tool_use", "id": format!("toolu_{n}"), "name": tool,
                         "input": {"command": "cat config"}}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": input, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": cache_read, "output_tokens": output,
                      "service_tier": "standard"}
        }
    })
    .to_string()
}

/// A tool result that prints `text`.
fn tool_result(cwd: &str, n: u32, at: &str, text: &str) -> String {
    serde_json::json!({
        "type": "user", "cwd": cwd, "sessionId": "s1", "uuid": format!("r{n}"), "timestamp": at,
        "message": {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": format!("toolu_{n}"), "content": text}
        ]}
    })
    .to_string()
}

/// A projects folder: the payments project steady at one request a minute from 11:00
/// (Read, allowed), bursting at 12:40-12:42 (25 requests a minute calling Bash, which its
/// policy denies; one result prints an AWS key), one response written in two copies; and
/// a second project beside it.
fn projects(root: &Path) -> PathBuf {
    let cwd = "/home/dev/payments-api";
    let mut lines = Vec::new();
    for minute in 0..100u32 {
        lines.push(assistant(
            cwd,
            minute,
            &time(minute, 5),
            (100, 2_000, 50),
            "Read",
        ));
    }
    // A streamed response: its first copy is smaller and counts nothing more.
    lines.push(assistant(cwd, 1_000, &time(95, 10), (300, 0, 2), "Read"));
    lines.push(assistant(cwd, 1_000, &time(95, 11), (300, 0, 400), "Read"));
    for minute in 100..103u32 {
        for i in 0..25u32 {
            let n = minute * 100 + i;
            let sizes = (5_000 + u64::from(i) * 10, 20_000, 2_000);
            lines.push(assistant(cwd, n, &time(minute, 1 + i * 2), sizes, "Bash"));
        }
    }
    let leak = format!("aws_access_key_id = {}", aws_key());
    lines.push(tool_result(cwd, 10_105, &time(101, 30), &leak));
    write_project(root, PROJECT, &lines);
    let web = "/home/dev/web";
    let other: Vec<String> = (0..5u32)
        .map(|i| assistant(web, 50_000 + i, &time(95 + i, 0), (900, 0, 90), "Grep"))
        .collect();
    write_project(root, "-home-dev-web", &other);
    root.to_path_buf()
}

fn write_project(root: &Path, name: &str, lines: &[String]) {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("project folder");
    std::fs::write(dir.join("s1.jsonl"), lines.join("\n") + "\n").expect("log");
}

const CONFIG: &str = r#"
[bursts]
warmup_minutes = 10
min_volume = { requests = 5.0 }

[[policy]]
name = "payments reads only"
identity = "-home-dev-payments-api"
allow = ["Read", "Grep"]

[[budget]]
name = "payments daily"
identity = "-home-dev-payments-api"
period = "day"
limit_usd = 5
"#;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        projects(&dir.path().join("projects"));
        std::fs::write(dir.path().join("config.toml"), CONFIG).expect("config");
        Fixture { dir }
    }

    fn projects(&self) -> PathBuf {
        self.dir.path().join("projects")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The tokentop command with XDG and HOME in the temp folder.
    fn command(&self, sub: &str) -> Command {
        let mut cmd = Command::cargo_bin("tokentop").expect("binary");
        cmd.env("HOME", self.dir.path())
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .arg(sub)
            .arg(self.projects())
            .arg("--config")
            .arg(self.config());
        cmd
    }
}

fn ms(rfc3339: &str) -> i64 {
    tokentop::timefmt::parse_rfc3339_ms(rfc3339).expect("time")
}

/// The report of the fixture's window at a fixed time, fingerprints under a fixed key.
fn golden_incident(f: &Fixture) -> tokentop::incident::Incident {
    incident_over(f, (Some(ms(SINCE)), Some(ms(UNTIL))))
}

fn incident_over(f: &Fixture, range: (Option<i64>, Option<i64>)) -> tokentop::incident::Incident {
    let config = tokentop::config::Config::resolve(Some(&f.config())).expect("config");
    let key = FingerprintKey::from_bytes([7; 32]);
    let request = IncidentRequest {
        specs: vec![SourceSpec::parse(&f.projects().display().to_string())],
        scanner: Some(Arc::new(Scanner::new(key, config.secrets.ignore.clone()))),
        config,
        tz: jiff::tz::TimeZone::UTC,
        prices: Arc::new(PriceTable::builtin().clone()),
        identity: PROJECT.to_string(),
        range,
    };
    build(request, ms(GENERATED)).expect("incident")
}

/// `text` with the temp folder written `<dir>`, so the golden files hold no machine's path.
fn portable(text: &str, f: &Fixture) -> String {
    let dir = f.dir.path().display().to_string();
    text.replace(&dir, "<dir>")
        .replace(env!("CARGO_PKG_VERSION"), "<version>")
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/golden")
        .join(name)
}

/// Compares with the golden file; `UPDATE_GOLDEN=1` writes it instead.
fn assert_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("golden folder");
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to write it",
            path.display()
        )
    });
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

#[test]
fn the_markdown_and_json_match_their_golden_files() {
    let f = Fixture::new();
    let incident = golden_incident(&f);
    assert_golden("incident.md", &portable(&incident.to_markdown(), &f));
    assert_golden(
        "incident.json",
        &portable(&incident.to_json().expect("json"), &f),
    );
}

#[test]
fn the_report_finds_the_burst_the_policy_call_and_the_secret_and_never_the_value() {
    let f = Fixture::new();
    let incident = golden_incident(&f);
    let kinds: Vec<AlertKind> = incident.alerts.iter().map(|a| a.kind).collect();
    for kind in [AlertKind::Burst, AlertKind::Policy, AlertKind::Secret] {
        assert!(kinds.contains(&kind), "{kind:?} missing from {kinds:?}");
    }
    assert_eq!(incident.display.as_deref(), Some("/home/dev/payments-api"));
    let bash = incident
        .tools
        .iter()
        .find(|t| t.tool == "Bash")
        .expect("Bash");
    assert_eq!((bash.calls, bash.new_in_window), (75, true));
    assert_eq!(bash.policy.label(), "denied");
    let read = incident
        .tools
        .iter()
        .find(|t| t.tool == "Read")
        .expect("Read");
    assert_eq!((read.calls, read.new_in_window), (11, false));
    assert_eq!(read.policy.label(), "allowed");
    assert_eq!(incident.secrets.len(), 1);
    assert_eq!(incident.secrets[0].secret_type, "aws_access_key_id");
    let json = incident.to_json().expect("json");
    assert!(!json.contains(&aws_key()) && !incident.to_markdown().contains(&aws_key()));
    // The costliest request is the burst's largest, read from its own line.
    let top = &incident.costliest[0];
    assert_eq!(top.input, 5_240);
    let file = f.projects().join(PROJECT).join("s1.jsonl");
    assert_eq!(
        top.source.file.as_deref(),
        Some(file.display().to_string().as_str())
    );
    let text = std::fs::read_to_string(&file).expect("log");
    let line = text
        .lines()
        .nth(top.source.line.expect("line") as usize - 1)
        .expect("that line");
    assert!(line.contains("\"input_tokens\":5240"), "{line}");
    // The baseline is the hour and a half before the window, one request a minute.
    let baseline = incident.baseline.as_ref().expect("baseline");
    assert_eq!((baseline.requests, baseline.hours), (90, 1.5));
    assert_eq!(baseline.requests_per_hour, 60.0);
}

/// The numbers `report --json` prints for the same identity and window.
fn report_totals(f: &Fixture, identity: &str) -> serde_json::Value {
    let out = f
        .command("report")
        .args([
            "--json",
            "--identity",
            identity,
            "--since",
            SINCE,
            "--until",
            UNTIL,
        ])
        .output()
        .expect("report");
    assert!(out.status.success(), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    report["totals"].clone()
}

#[test]
fn every_number_equals_the_reports_and_a_leading_dash_identity_is_taken() {
    let f = Fixture::new();
    let out_dir = f.dir.path().join("out/nested");
    let out = f
        .command("incident")
        .args([
            "--identity",
            PROJECT,
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .expect("incident");
    assert!(out.status.success(), "{out:?}");
    let stem = "incident-home-dev-payments-api-20260101T1230Z";
    let (md, json) = (
        out_dir.join(format!("{stem}.md")),
        out_dir.join(format!("{stem}.json")),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout,
        format!("wrote {}\nwrote {}\n", md.display(), json.display())
    );
    let incident: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json file")).expect("json");
    let report = report_totals(&f, PROJECT);
    for field in [
        "requests",
        "input",
        "cache_read",
        "cache_write_5m",
        "cache_write_1h",
        "cache_write",
        "output",
        "reasoning",
        "total_tokens",
        "tool_calls",
        "cost_usd",
        "unpriced_requests",
    ] {
        assert_eq!(incident["totals"][field], report[field], "{field}");
    }
    assert_eq!(report["requests"], 86);
    // The timeline and the models add up to the totals.
    let minutes = incident["timeline"].as_array().expect("timeline");
    let sum = |field: &str| -> u64 { minutes.iter().map(|m| m[field].as_u64().unwrap_or(0)).sum() };
    assert_eq!(sum("requests"), 86);
    assert_eq!(Some(sum("total_tokens")), report["total_tokens"].as_u64());
    assert_eq!(Some(sum("tool_calls")), report["tool_calls"].as_u64());
    let markdown = std::fs::read_to_string(&md).expect("markdown");
    assert!(
        markdown
            .starts_with("# Incident report: `-home-dev-payments-api` (/home/dev/payments-api)\n")
    );
}

#[test]
fn an_identity_with_nothing_in_the_window_is_a_usage_error_that_says_what_to_do() {
    let f = Fixture::new();
    let out = f
        .command("incident")
        .args(["--identity", "-home-dev-nothing", "--since", SINCE, "--out"])
        .arg(f.dir.path())
        .output()
        .expect("incident");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no request or tool call of identity \"-home-dev-nothing\"")
            && stderr.contains("report --by identity"),
        "{stderr}"
    );
}

#[test]
fn files_are_named_by_the_safe_identity_and_the_window_start_in_utc() {
    let f = Fixture::new();
    let incident = golden_incident(&f);
    let out = f.dir.path().join("a/b");
    let (md, json) = write_files(&incident, &out).expect("written");
    assert_eq!(
        md,
        out.join("incident-home-dev-payments-api-20260101T1230Z.md")
    );
    assert_eq!(
        json,
        out.join("incident-home-dev-payments-api-20260101T1230Z.json")
    );
    assert!(md.is_file() && json.is_file());
    assert_eq!(
        file_stem("ci/deploy bot", ms(SINCE)),
        "incident-ci_deploy_bot-20260101T1230Z"
    );
}

#[test]
fn report_by_minute_has_the_timelines_minutes() {
    let f = Fixture::new();
    let out = f
        .command("report")
        .args(["--json", "--by", "minute", "--identity", PROJECT])
        .args(["--since", SINCE, "--until", UNTIL])
        .output()
        .expect("report");
    assert!(out.status.success(), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = report["rows"].as_array().expect("rows");
    let minutes: Vec<&str> = rows.iter().filter_map(|r| r["minute"].as_str()).collect();
    let incident = golden_incident(&f);
    let timeline: Vec<&str> = incident
        .timeline
        .iter()
        .map(|m| m.minute.as_str())
        .collect();
    assert_eq!(minutes, timeline);
    assert_eq!(rows[10]["requests"], 25);
    assert_eq!(minutes[10], "2026-01-01 12:40");
}

#[test]
fn the_responses_kept_are_the_costliest_whole_copies_and_the_baseline_is_before_the_start() {
    use crate::common::{MIN, NOON, copy, engine, event};
    use tokentop::engine::mapping::Pattern;
    use tokentop::engine::responses::Responses;
    use tokentop::engine::tally::Filter;
    let mut e = engine();
    let filter = Filter {
        identities: vec![Pattern::new("svc")],
        ..Filter::default()
    };
    e.keep_responses(Responses::new(filter, Some(NOON), 2));
    e.advance(NOON + 30 * MIN);
    // Before the start: the baseline; another identity: nothing.
    e.ingest(&event("svc", NOON - 20 * MIN, 1_000, 100));
    e.ingest(&event("svc", NOON - 10 * MIN, 1_000, 100));
    e.ingest(&event("other", NOON + MIN, 1_000_000, 100));
    for (i, input) in [10_000u64, 30_000, 20_000].into_iter().enumerate() {
        e.ingest(&event("svc", NOON + (i as i64 + 1) * MIN, input, 100));
    }
    // A response in two copies, the larger one counted, with the calls of both.
    e.ingest(&copy("svc", NOON + 5 * MIN, "m1", 10, Some("t1"), false));
    e.ingest(&copy(
        "svc",
        NOON + 5 * MIN + 1_000,
        "m1",
        900_000,
        Some("t2"),
        true,
    ));
    e.finish();
    let responses = e.responses().expect("kept");
    let kept: Vec<(u64, u64)> = responses
        .costliest()
        .iter()
        .map(|r| (r.usage.output, r.usage.tool_calls))
        .collect();
    assert_eq!(kept, vec![(900_000, 2), (100, 0)]);
    assert_eq!(responses.costliest()[1].usage.input, 30_000);
    assert_eq!(responses.tools().get("Bash"), Some(&2));
    let (baseline, first) = responses.baseline();
    assert_eq!((baseline.usage.requests, baseline.usage.input), (2, 2_000));
    assert_eq!(first, Some(NOON - 20 * MIN));
}
