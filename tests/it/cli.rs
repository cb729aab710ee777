//! The binary's edges: help, and clear failures.

use assert_cmd::Command;

fn tokentop() -> Command {
    Command::cargo_bin("tokentop").expect("binary")
}

#[test]
fn help_lists_the_modes() {
    let out = tokentop().arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--demo",
        "report",
        "check",
        "[PATHS]...",
        "--tz",
        "--config",
        "--poll-only",
        "--alerts-file",
        "--on-alert",
        "--bell",
        "--theme",
        "--no-state",
    ] {
        assert!(text.contains(needle), "{needle} missing from help:\n{text}");
    }
}

#[test]
fn an_unknown_theme_fails_before_the_screen_is_taken() {
    let out = tokentop()
        .args(["--demo", "--theme", "/nonexistent-dir/neon.toml"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--theme /nonexistent-dir/neon.toml: not a built-in theme")
            && err.contains("high-contrast"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "the terminal was never touched");
}

#[test]
fn an_alerts_file_that_cannot_be_opened_fails_before_the_screen_is_taken() {
    let out = tokentop()
        .args(["--demo", "--alerts-file", "/nonexistent-dir/alerts.jsonl"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--alerts-file /nonexistent-dir/alerts.jsonl: No such file"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "the terminal was never touched");
}

/// With no terminal to draw on (stdout a pipe, as under cron or in a script), the monitor
/// says so and names the headless way, exit 2, instead of the bare OS error.
#[test]
fn the_monitor_without_a_terminal_names_the_headless_way() {
    for args in [&["--demo"][..], &["-"][..]] {
        let out = tokentop().args(args).write_stdin("").output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the monitor needs a terminal")
                && err.contains("standard output is not a terminal")
                && err.contains("tokentop report"),
            "{err}"
        );
        assert!(!err.contains("os error"), "{err}");
        assert!(out.stdout.is_empty(), "the terminal was never touched");
    }
}

#[test]
fn report_on_nothing_readable_says_so_and_fails() {
    let out = tokentop()
        .args(["report", "/no/such/folder"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("nothing could be read") && err.contains("/no/such/folder"),
        "{err}"
    );

    let empty = tempfile::tempdir().expect("temp dir");
    let out = tokentop()
        .arg("report")
        .arg(empty.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no .jsonl or .ndjson files"), "{err}");
}

#[test]
fn bad_arguments_explain_themselves() {
    let out = tokentop()
        .args(["report", ".", "--tz", "Mars/Olympus"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("IANA"));
    let out = tokentop()
        .args(["report", ".", "--since", "last blue moon"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("2h"));
}

const LINE: &str = r#"{"tokentop":1,"ts":"2026-01-01T00:00:00Z","identity":"svc","model":"gpt-4o-mini","tokens":{"input":1000000,"output":1000000}}"#;

fn report_json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn stdin_is_read_with_a_dash() {
    let input = format!("{LINE}\n{LINE}"); // the last line has no newline: complete at EOF
    let r = report_json(
        tokentop()
            .args(["report", "-", "--json"])
            .write_stdin(input),
    );
    assert_eq!(r["totals"]["requests"], 2);
    assert_eq!(r["sources"][0]["path"], "stdin");
    assert_eq!(r["sources"][0]["lines"], 2);
}

#[test]
fn pricing_overrides_the_built_in_table() {
    let r = report_json(tokentop().args(["report", "-", "--json"]).write_stdin(LINE));
    // gpt-4o-mini: $0.15 in, $0.60 out per million.
    assert!((r["totals"]["cost_usd"].as_f64().unwrap() - 0.75).abs() < 1e-9);

    let dir = tempfile::tempdir().expect("temp dir");
    let prices = dir.path().join("prices.json");
    std::fs::write(
        &prices,
        r#"{"gpt-4o-mini": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "litellm_provider": "openai", "mode": "chat"}}"#,
    )
    .expect("write");
    let r = report_json(
        tokentop()
            .args(["report", "-", "--json", "--pricing"])
            .arg(&prices)
            .write_stdin(LINE),
    );
    assert!((r["totals"]["cost_usd"].as_f64().unwrap() - 3.0).abs() < 1e-9);

    std::fs::write(&prices, "{not json").expect("write");
    let out = tokentop()
        .args(["report", "-", "--pricing"])
        .arg(&prices)
        .write_stdin(LINE)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--pricing") && err.contains("prices.json"),
        "{err}"
    );
}

#[test]
fn default_locations_are_used_and_named() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = without_agent_variables(tokentop().arg("report").env("HOME", home.path()))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".claude/projects")
            && err.contains(".codex/sessions")
            && err.contains(".gemini/tmp")
            && err.contains(".qwen/projects")
            && err.contains(".kimi/sessions")
            && err.contains(".pi/agent/sessions")
            && err.contains(".copilot/otel")
            && err.contains(".copilot/session-state")
            && err.contains("--demo"),
        "{err}"
    );

    let project = home.path().join(".claude/projects/-home-ana-app");
    std::fs::create_dir_all(&project).expect("mkdir");
    std::fs::write(project.join("s.jsonl"), format!("{LINE}\n")).expect("write");
    let r = report_json(
        without_agent_variables(tokentop().args(["report", "--json"])).env("HOME", home.path()),
    );
    assert_eq!(r["totals"]["requests"], 1);
    assert!(
        r["sources"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with(".claude/projects")
    );
}

/// Gemini CLI and Qwen Code are found with no path given, where their overrides put them:
/// `GEMINI_CLI_HOME` is the home its `.gemini` is in, `QWEN_RUNTIME_DIR` replaces `~/.qwen`.
#[test]
fn gemini_and_qwen_homes_are_found_by_their_overrides() {
    let home = tempfile::tempdir().expect("temp dir");
    let fixtures = crate::common::fixture("");
    let r = report_json(
        tokentop()
            .args(["report", "--json", "--by", "identity"])
            .env("HOME", home.path())
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("CODEX_HOME")
            .env("GEMINI_CLI_HOME", fixtures.join("gemini_home"))
            .env("QWEN_RUNTIME_DIR", fixtures.join("qwen_home")),
    );
    // 7 Gemini responses (79,154 tokens) and 5 Qwen ones (55,321), worked out in
    // tests/it/gemini_qwen.rs.
    assert_eq!(r["totals"]["requests"], 12);
    let mut keys: Vec<&str> = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["key"].as_str().expect("key"))
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["gemini-cli:/home/ana/proj", "qwen-code:/home/bo/app"]
    );
    let paths: Vec<&str> = r["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["path"].as_str().expect("path"))
        .collect();
    assert!(paths[0].ends_with("gemini_home/.gemini/tmp"), "{paths:?}");
    assert!(paths[1].ends_with("qwen_home/projects"), "{paths:?}");
}

/// The command with none of the agents' folder variables from the machine running it.
fn without_agent_variables(cmd: &mut Command) -> &mut Command {
    for name in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "GEMINI_CLI_HOME",
        "QWEN_RUNTIME_DIR",
        "XDG_DATA_HOME",
        "OPENCODE_DB",
        "GOOSE_PATH_ROOT",
        "KIMI_SHARE_DIR",
        "PI_CODING_AGENT_DIR",
        "COPILOT_HOME",
        "COPILOT_OTEL_FILE_EXPORTER_PATH",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// Kimi CLI, pi and Copilot CLI are found in their default places under `HOME`, and in
/// the places their variables name.
#[test]
fn the_more_agents_default_places_are_found() {
    let home = tempfile::tempdir().expect("temp dir");
    let fixtures = crate::common::fixture("");
    copy_tree(&fixtures.join("kimi/share"), &home.path().join(".kimi"));
    copy_tree(&fixtures.join("pi"), &home.path().join(".pi/agent"));
    copy_tree(
        &fixtures.join("copilot/home"),
        &home.path().join(".copilot"),
    );
    let r = report_json(
        without_agent_variables(tokentop().args(["report", "--json"])).env("HOME", home.path()),
    );
    let sources: Vec<&str> = r["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| s["path"].as_str().expect("path"))
        .collect();
    assert_eq!(sources.len(), 4, "{sources:?}");
    for place in [
        ".kimi/sessions",
        ".pi/agent/sessions",
        ".copilot/otel",
        ".copilot/session-state",
    ] {
        assert!(
            sources.iter().any(|s| s.ends_with(place)),
            "{place}: {sources:?}"
        );
    }
    let elsewhere = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixtures.join("pi"), &elsewhere.path().join("pi"));
    let r = report_json(
        without_agent_variables(tokentop().args(["report", "--json"]))
            .env("HOME", home.path())
            .env("PI_CODING_AGENT_DIR", elsewhere.path().join("pi")),
    );
    let pi: Vec<&str> = r["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["path"].as_str())
        .filter(|p| p.ends_with("sessions") && p.contains("/pi/"))
        .collect();
    assert_eq!(pi.len(), 1, "{:?}", r["sources"]);
}

/// Times `clap` cannot check are usage errors too (exit 2), each saying what to type.
#[test]
fn unreadable_inverted_or_overflowing_times_are_usage_errors() {
    let sample = crate::common::fixture("budgets.jsonl");
    for (args, says) in [
        (
            &["--since", "yesterday"][..],
            "cannot read the time \"yesterday\"",
        ),
        (&["--since", "200000000000000d"][..], "reaches back past"),
        (
            &["--since", "9223372036854775807m"][..],
            "reaches back past",
        ),
        (
            &["--since", "2026-01-02", "--until", "2026-01-01"][..],
            "is not before --until",
        ),
        (&["--tz", "Mars/Olympus"][..], "unknown time zone"),
    ] {
        let out = tokentop()
            .arg("report")
            .arg(&sample)
            .args(args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: no report on a usage error"
        );
    }
}

#[test]
fn negative_and_absurd_values_never_bend_a_total() {
    let cc = |id: &str, cost: &str| {
        format!(
            r#"{{"type":"assistant","sessionId":"s","timestamp":"2026-01-01T00:00:00Z","requestId":"{id}","costUSD":{cost},"message":{{"id":"{id}","model":"claude-sonnet-4-5","usage":{{"input_tokens":10,"output_tokens":1}}}}}}"#
        )
    };
    let huge = LINE.replace("1000000,\"output", &format!("{},\"output", u64::MAX));
    let input = [
        LINE.to_string(),
        cc("r1", "-1000"),
        cc("r2", "1e308"),
        cc("r3", "1e308"),
        huge.clone(),
        huge,
    ]
    .join("\n");
    let r = report_json(
        tokentop()
            .args(["report", "-", "--json"])
            .write_stdin(input.clone()),
    );
    let cost = r["totals"]["cost_usd"]
        .as_f64()
        .expect("a number, never null");
    assert!((cost - 0.75).abs() < 1e-9, "{cost}");
    assert_eq!(r["totals"]["input"], 1_000_000);
    let rejected = &r["sources"][0]["rejected"];
    assert_eq!(rejected["invalid_field"]["count"], 1);
    assert_eq!(rejected["implausible"]["count"], 4);
    let table = tokentop()
        .args(["report", "-"])
        .write_stdin(input)
        .output()
        .expect("run");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(!table.contains("18,446,744"), "{table}");
    assert!(table.contains("4 implausible"), "{table}");
    // Within the token bound, but priced past any request's cost: left out, and said so.
    let max = tokentop::parse::plausible::MAX_TOKENS_PER_CLASS;
    let priced = LINE.replace("\"gpt-4o-mini\"", "\"claude-opus-4-20250514\"");
    let priced = priced.replace("\"output\":1000000", &format!("\"output\":{max}"));
    let table = tokentop()
        .args(["report", "-"])
        .write_stdin(format!("{LINE}\n{priced}\n"))
        .output()
        .expect("run");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("1 implausible at their price (left out)"),
        "{table}"
    );
}

#[test]
fn a_record_a_day_ahead_of_the_clock_is_rejected_and_an_hour_ahead_is_clamped() {
    let now = jiff::Timestamp::now().as_millisecond();
    let hour = 3_600_000;
    let at = |ts: String| LINE.replace("\"2026-01-01T00:00:00Z\"", &ts);
    let input = [
        at((now - hour).to_string()),
        at((now + hour).to_string()),
        at((now + 25 * hour).to_string()),
        at("\"9999-12-31T00:00:00Z\"".to_string()),
    ]
    .join("\n");
    let r = report_json(
        tokentop()
            .args(["report", "-", "--json", "--since", "1d", "--by", "day"])
            .write_stdin(input),
    );
    assert_eq!(r["totals"]["requests"], 2);
    assert_eq!(r["ingest"]["future"], 1, "the hour-ahead record, clamped");
    assert_eq!(r["sources"][0]["rejected"]["future_time"]["count"], 2);
    let days: Vec<&str> = r["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["key"].as_str())
        .collect();
    assert!(days.iter().all(|d| d.starts_with("20")), "{days:?}");
}

#[test]
fn report_json_escapes_c1_and_bidi_controls() {
    let line = LINE.replace(r#""svc""#, r#""svc\u009b2J\u202egnp.exe\u2028""#);
    let out = tokentop()
        .args(["report", "-", "--json", "--by", "identity"])
        .write_stdin(format!("{line}\nnot json \u{202e}\u{9b}\n"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for raw in ['\u{9b}', '\u{202e}', '\u{2028}'] {
        assert!(!text.contains(raw), "{raw:?} written raw:\n{text}");
    }
    let r: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(r["rows"][0]["key"], "svc\u{9b}2J\u{202e}gnp.exe\u{2028}");
}
