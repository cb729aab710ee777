//! `tokentop check`: exit codes 0 / 3 / 4 by the worst budget, the offending budgets one
//! per line, 2 for bad usage or a bad config, 1 when nothing could be read.

use assert_cmd::Command;

use crate::common::fixture;

fn check(at: &str) -> std::process::Output {
    Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .arg("--config")
        .arg(fixture("budgets.toml"))
        .args(["--at", at])
        .output()
        .expect("run")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn all_ok_exits_0_quietly() {
    // 09:30: $2 of $10, 1,100 of 100,000 tokens.
    let out = check("2026-01-01T09:30:00Z");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "");
}

#[test]
fn a_warning_exits_3_with_the_budget_and_when_it_runs_out() {
    // 10:30: $2 + $5 + $1 = $8 of $10 (80%, the default warning). The last 15 minutes
    // spent $1 (10:20): $4/h, so the $2 left last 30 minutes.
    let out = check("2026-01-01T10:30:00Z");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(
        stdout(&out),
        "WARN checkout daily (identity checkout (prod), day): $8.00 of $10.00, 80%; runs out in 30m at this rate (2026-01-01 11:00 UTC)\n"
    );
}

#[test]
fn over_exits_4() {
    let out = check("2026-01-01T11:30:00Z");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert_eq!(
        stdout(&out),
        "OVER checkout daily (identity checkout (prod), day): $12.00 of $10.00, 120%\n"
    );
}

#[test]
fn json_lists_every_budget() {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .arg("--config")
        .arg(fixture("budgets.toml"))
        .args(["--at", "2026-01-01T11:30:00Z", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["status"], "over");
    assert_eq!(v["at"], "2026-01-01T11:30:00.000Z");
    assert_eq!(v["budgets"][0]["name"], "checkout daily");
    assert_eq!(v["budgets"][0]["level"], "over");
    assert_eq!(v["budgets"][0]["members"][0], "checkout (prod)");
    assert_eq!(v["budgets"][1]["unit"], "tokens");
    assert_eq!(v["budgets"][1]["used"], 5.0 * 1_100.0);
    assert_eq!(v["budgets"][1]["level"], "ok");
}

#[test]
fn the_default_config_path_is_used() {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("xdg/tokentop");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::copy(fixture("budgets.toml"), dir.join("config.toml")).expect("copy");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .args(["--at", "2026-01-01T11:30:00Z"])
        .env("XDG_CONFIG_HOME", home.path().join("xdg"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4), "{out:?}");

    // No config anywhere: secrets are scanned (on by default), and none is found.
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .env("XDG_CONFIG_HOME", home.path().join("nothing"))
        .env("HOME", home.path())
        .output()
        .expect("run");
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (Some(0), String::new()),
        "{out:?}"
    );
    // With scanning off and no budget or policy, nothing to check is an error, not a
    // silent pass.
    let off = home.path().join("off.toml");
    std::fs::write(&off, "[secrets]\nenabled = false\n").expect("write");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .arg("--config")
        .arg(&off)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "a config error");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("has no [[budget]] or [[policy]] table and [secrets] enabled = false"),
        "{out:?}"
    );
}

#[test]
fn a_bad_config_and_bad_usage_exit_2_and_an_unreadable_source_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[budget]]\nname = \"x\"\nall = true\nperiod = \"daily\"\nlimit_usd = 1\n",
    )
    .expect("write");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(fixture("budgets.jsonl"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:4:10: budget \"x\": period = \"daily\" is not"),
        "{err}"
    );

    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .args(["check", "--no-such-flag"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));

    // What the README promises for usage errors holds for values clap cannot check.
    let out = check("garbage");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--at: cannot read the time \"garbage\""),
        "{out:?}"
    );

    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .args(["check", "/no/such/folder", "--config"])
        .arg(fixture("budgets.toml"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing could be read"));
}

#[test]
fn report_shows_mapped_rows_and_budgets() {
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(fixture("budgets.jsonl"))
        .arg("--config")
        .arg(fixture("budgets.toml"))
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let keys: Vec<&str> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert_eq!(keys, vec!["checkout (prod)", "svc-search"]);
    assert_eq!(v["budgets"][0]["name"], "checkout daily");

    // Without a config the report has no budgets key at all.
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("report")
        .arg(fixture("budgets.jsonl"))
        .arg("--json")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(v.get("budgets").is_none());
    assert_eq!(v["rows"][0]["key"], "svc-checkout");
}

#[test]
fn a_budget_whose_scope_matches_nothing_read_is_warned_about() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("typo.toml");
    let fixture_config = std::fs::read_to_string(fixture("budgets.toml")).expect("read");
    let typos = r#"
[[budget]]
name = "checkout typo"
identity = "checkout-prod"
period = "day"
limit_usd = 1

[[budget]]
name = "claude"
model = "claude-*"
period = "day"
limit_usd = 1
"#;
    std::fs::write(&config, fixture_config + typos).expect("write");
    let run = |json: bool| {
        let mut cmd = Command::cargo_bin("tokentop").expect("binary");
        cmd.arg("check")
            .arg(fixture("budgets.jsonl"))
            .arg("--config")
            .arg(&config)
            .args(["--at", "2026-01-01T09:30:00Z"]);
        if json {
            cmd.arg("--json");
        }
        cmd.output().expect("run")
    };
    let out = run(false);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "tokentop: warning: budget checkout typo (identity checkout-prod) matches nothing read; check its scope\n\
         tokentop: warning: budget claude (model claude-*) matches nothing read; check its scope\n"
    );
    let v: serde_json::Value = serde_json::from_slice(&run(true).stdout).expect("JSON");
    let matched: Vec<&serde_json::Value> = (0..4).map(|i| &v["budgets"][i]["matched"]).collect();
    assert_eq!(matched, [true, true, false, false]);
}

#[test]
fn a_negative_cost_does_not_bring_a_budget_back_under() {
    let dir = tempfile::tempdir().expect("temp dir");
    let line = |id: usize, cost: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","requestId":"r{id}","costUSD":{cost},"message":{{"id":"m{id}","model":"claude-sonnet-4-5","stop_reason":"end_turn","usage":{{"input_tokens":10,"output_tokens":1}}}}}}"#
        ) + "\n"
    };
    // Fifty real requests, $12.50 of a $10 day, then one line that claims -$1,000.
    let mut log: String = (0..50).map(|i| line(i, "0.25")).collect();
    log.push_str(&line(50, "-1000"));
    std::fs::write(dir.path().join("s.jsonl"), log).expect("write");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[budget]]\nname = \"daily\"\nall = true\nperiod = \"day\"\nlimit_usd = 10\n",
    )
    .expect("write");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(dir.path().join("s.jsonl"))
        .arg("--config")
        .arg(&config)
        .args(["--at", "2026-01-01T12:00:00Z"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(stdout(&out).contains("$12.50 of $10.00"), "{out:?}");
}

#[test]
fn records_after_at_are_outside_the_range_not_future_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("budgets.jsonl");
    let mut text = std::fs::read_to_string(fixture("budgets.jsonl")).expect("read");
    // Days after --at but before the real clock: outside the range, not ahead of the clock.
    // Year 9999 is ahead of the real clock: that one is future_time.
    let later = text.lines().next().expect("a line").to_string();
    for ts in ["2026-01-05T09:00:00Z", "9999-01-01T00:00:00Z"] {
        text.push_str(&later.replace("2026-01-01T09:00:00Z", ts));
        text.push('\n');
    }
    std::fs::write(&log, text).expect("write");
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(&log)
        .arg("--config")
        .arg(fixture("budgets.toml"))
        .args(["--at", "2026-01-01T10:30:00Z", "--json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["budgets"][0]["used"], 8.0);
    assert_eq!(v["sources"][0]["rejected"]["future_time"]["count"], 1);
}

#[test]
fn usd_budgets_say_how_many_requests_they_leave_unpriced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let line = |id: usize, model: &str, cost: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T10:00:00Z","requestId":"r{id}",{cost}"message":{{"id":"m{id}","model":"{model}","stop_reason":"end_turn","usage":{{"input_tokens":10,"output_tokens":1}}}}}}"#
        ) + "\n"
    };
    // Five priced requests ($1.25) and two of a model no price covers.
    let mut log: String = (0..5)
        .map(|i| line(i, "claude-sonnet-4-5", r#""costUSD":0.25,"#))
        .collect();
    log.push_str(&line(5, "acme-internal-llm-v2", ""));
    log.push_str(&line(6, "acme-internal-llm-v2", ""));
    std::fs::write(dir.path().join("s.jsonl"), log).expect("write");
    let run = |limit_usd: &str, json: bool| {
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[[budget]]\nname = \"daily\"\nall = true\nperiod = \"day\"\nlimit_usd = {limit_usd}\n\n\
                 [[budget]]\nname = \"tokens\"\nall = true\nperiod = \"day\"\nlimit_tokens = 1000000\n"
            ),
        )
        .expect("write");
        let mut cmd = Command::cargo_bin("tokentop").expect("binary");
        cmd.arg("check")
            .arg(dir.path().join("s.jsonl"))
            .arg("--config")
            .arg(&config)
            .args(["--at", "2026-01-01T12:00:00Z"]);
        if json {
            cmd.arg("--json");
        }
        cmd.output().expect("run")
    };
    let warning = "tokentop: warning: budget daily (all) left 2 requests unpriced; their cost is not in its $1.25\n";
    // Over: the line says it; the exit code stays the budgets'.
    let out = run("1", false);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert_eq!(
        stdout(&out),
        "OVER daily (all, day): $1.25 +2 unpriced of $1.00, 125%\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), warning);
    // Ok: nothing on stdout, the warning on stderr, exit 0.
    let out = run("10", false);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out), "");
    assert_eq!(String::from_utf8_lossy(&out.stderr), warning);
    let v: serde_json::Value = serde_json::from_slice(&run("10", true).stdout).expect("JSON");
    let unpriced: Vec<&serde_json::Value> = (0..2)
        .map(|i| &v["budgets"][i]["unpriced_requests"])
        .collect();
    assert_eq!(unpriced, [2, 0]);
}

/// A log where agent-triage calls Bash at 10:00 (and Read), with a policy against Bash and
/// a budget of `limit_usd` for everything ($0.50 spent).
fn policy_case(limit_usd: f64) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("agents.jsonl");
    let line = |ts: &str, tool: &str, id: &str| {
        format!(
            r#"{{"tokentop":1,"ts":"{ts}","identity":"agent-triage","provider":"openai","model":"gpt-4o-mini","tokens":{{"input":10,"output":5}},"cost_usd":0.25,"tools":[{{"name":"{tool}","id":"{id}"}}]}}"#
        )
    };
    let text = [
        line("2026-01-01T10:00:00Z", "Bash", "call_1"),
        line("2026-01-01T10:01:00Z", "Read", "call_2"),
    ]
    .join("\n");
    std::fs::write(&log, text + "\n").expect("write log");
    let config = dir.path().join("policy.toml");
    std::fs::write(
        &config,
        format!(
            "[[policy]]\nname = \"no shell\"\nidentity = \"agent-*\"\ndeny = [\"Bash\"]\n\n[[budget]]\nname = \"all\"\nall = true\nperiod = \"day\"\nlimit_usd = {limit_usd}\n"
        ),
    )
    .expect("write config");
    (dir, log, config)
}

fn check_with(
    log: &std::path::Path,
    config: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(log)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run")
}

#[test]
fn a_call_outside_a_policy_exits_5_over_any_budget_level() {
    let (_dir, log, config) = policy_case(10.0);
    let at = ["--at", "2026-01-01T12:00:00Z"];
    let out = check_with(&log, &config, &at);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(
        stdout(&out),
        "POLICY CRIT agent-triage: Bash outside policy \"no shell\" (denied by Bash), called once (since 10:00)\n"
    );
    // Findings outside --since do not count: the episode ended at 10:10.
    let out = check_with(
        &log,
        &config,
        &[at[0], at[1], "--since", "2026-01-01T11:00:00Z"],
    );
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), String::new()));
    // 5 wins over a budget over its limit; the JSON says both.
    let (_dir, log, config) = policy_case(0.10);
    let out = check_with(&log, &config, &[at[0], at[1], "--json"]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["exit_code"], 5);
    assert_eq!(json["status"], "over");
    assert_eq!(json["findings"][0]["kind"], "policy");
    assert_eq!(json["findings"][0]["tool"], "Bash");
    assert_eq!(json["findings"][0]["identities"][0], "agent-triage");
    // A source that could not be read settles it first: 1.
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .arg("check")
        .arg(&log)
        .arg("/no/such/folder")
        .arg("--config")
        .arg(&config)
        .args(at)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}

#[test]
fn a_config_with_only_policies_can_be_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("p.toml");
    std::fs::write(&config, "[[policy]]\nname = \"p\"\ndeny = [\"Bash\"]\n").expect("write");
    let out = check_with(
        &fixture("budgets.jsonl"),
        &config,
        &["--at", "2026-01-01T12:00:00Z"],
    );
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (Some(0), String::new()),
        "{out:?}"
    );
}

/// A Claude Code transcript where a tool result (a turn without usage) prints a GitHub
/// token and the assistant's next tool call passes an AWS key id: both are findings of the
/// project's identity, by type and JSON path, never by value.
fn secrets_case() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("projects").join("-home-dev-api");
    std::fs::create_dir_all(&project).expect("folder");
    let github = format!("ghp_{}", "A1b2C3d4E5f6G7h8".repeat(3));
    let aws = "AKIAQ3EGRVX5L7WZ2MNP";
    let result = format!(
        r#"{{"parentUuid":"a","isSidechain":false,"cwd":"/home/dev/api","sessionId":"s1","type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"toolu_1","content":"GITHUB_TOKEN={github}"}}]}},"uuid":"b","timestamp":"2026-01-01T10:00:00.000Z"}}"#
    );
    let call = format!(
        r#"{{"parentUuid":"b","isSidechain":false,"cwd":"/home/dev/api","sessionId":"s1","type":"assistant","message":{{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[{{"type":"tool_use","id":"toolu_2","name":"Bash","input":{{"command":"aws configure set aws_access_key_id {aws}"}}}}],"stop_reason":"tool_use","usage":{{"input_tokens":10,"output_tokens":5}}}},"requestId":"req_1","uuid":"c","timestamp":"2026-01-01T10:01:00.000Z"}}"#
    );
    std::fs::write(project.join("s1.jsonl"), format!("{result}\n{call}\n")).expect("write");
    (dir, project)
}

#[test]
fn an_exposed_secret_exits_5_by_type_and_place_never_by_value() {
    let (dir, project) = secrets_case();
    let config = dir.path().join("none.toml");
    std::fs::write(&config, "").expect("write");
    let at = ["--at", "2026-01-01T12:00:00Z"];
    let out = check_with(&project, &config, &at);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let text = stdout(&out);
    assert_eq!(
        text,
        "SECRET CRIT /home/dev/api: github_token exposed in message.content[0].content, seen once (since 10:00)\n\
         SECRET CRIT /home/dev/api: aws_access_key_id exposed in message.content[0].input.command, seen once (since 10:01)\n"
    );
    let out = check_with(&project, &config, &[at[0], at[1], "--json"]);
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !raw.contains("AKIAQ3EGRVX5L7WZ2MNP") && !raw.contains("ghp_A1b2"),
        "{raw}"
    );
    let json: serde_json::Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(json["exit_code"], 5);
    let found = &json["findings"][1];
    assert_eq!(found["kind"], "secret");
    assert_eq!(found["secret_type"], "aws_access_key_id");
    assert_eq!(found["where"], "message.content[0].input.command");
    assert_eq!(found["identities"][0], "-home-dev-api");
    assert_eq!(found["fingerprint"].as_str().map(str::len), Some(32));
    // Ignored by type, or scanning off: nothing to report.
    std::fs::write(
        &config,
        "[secrets]\nignore = { types = [\"github_token\"], paths = [\"message.content[*].input.*\"] }\n\n[[policy]]\nname = \"p\"\ndeny = [\"WebFetch\"]\n",
    )
    .expect("write");
    let out = check_with(&project, &config, &at);
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (Some(0), String::new()),
        "{out:?}"
    );
}
