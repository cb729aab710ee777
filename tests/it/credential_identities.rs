//! An identity that is a credential (an API key as the key id) is shown as its prefix and
//! a short tag on every output (screen rows, report and check in every format), while
//! budgets and the filter still match the raw key, and two keys stay two rows.

use assert_cmd::Command;
use crossterm::event::KeyCode;
use ratatui::backend::TestBackend;

use crate::common::{MIN, NOON, engine, event};
use crate::views::Screen;

const KEY_A: &str = "sk-proj-AAAAbbbbCCCCddddEEEEffffGGGGhhhh0001";
const KEY_B: &str = "sk-proj-AAAAbbbbCCCCddddEEEEffffGGGGhhhh0002";

fn line(identity: &str, minute: u32, cost: f64) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T10:{minute:02}:00Z","identity":"{identity}","model":"gpt-4o-mini","tokens":{{"input":10,"output":10}},"request_id":"r{minute}","cost_usd":{cost}}}"#
    )
}

/// Two keys' spend, and a budget on the first key written raw.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        line(KEY_A, 1, 7.0),
        line(KEY_A, 2, 5.0),
        line(KEY_B, 3, 1.0),
    ];
    std::fs::write(dir.path().join("usage.jsonl"), lines.join("\n") + "\n").expect("write");
    let config = format!(
        "[[budget]]\nname = \"key budget\"\nidentity = \"{KEY_A}\"\nperiod = \"day\"\nlimit_usd = 10\n"
    );
    std::fs::write(dir.path().join("tokentop.toml"), config).expect("write");
    dir
}

fn run(dir: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tokentop")
        .expect("binary")
        .args(args)
        .arg(dir.path().join("usage.jsonl"))
        .arg("--config")
        .arg(dir.path().join("tokentop.toml"))
        .output()
        .expect("run")
}

/// Asserts no raw key in `text` and returns the tags of the two keys found in it.
fn tags(text: &str) -> Vec<String> {
    assert!(!text.contains("hhhh000"), "a raw key is shown:\n{text}");
    let mut tags: Vec<String> = text
        .match_indices("sk-proj-…#")
        .map(|(at, m)| text[at..at + m.len() + 4].to_string())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

#[test]
fn report_and_check_show_a_key_identity_tagged_in_every_format() {
    let dir = files();
    for args in [
        &["report", "--by", "identity"][..],
        &["report", "--json", "--by", "identity"],
    ] {
        let out = run(&dir, args);
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        assert_eq!(tags(&text).len(), 2, "two keys, two rows:\n{text}");
        assert!(String::from_utf8_lossy(&out.stderr).is_empty());
    }
    for args in [
        &["check", "--at", "2026-01-01T11:00:00Z"][..],
        &["check", "--json", "--at", "2026-01-01T11:00:00Z"],
    ] {
        let out = run(&dir, args);
        // $12 of $10 on the first key: the budget matched the raw key.
        assert_eq!(out.status.code(), Some(4), "{out:?}");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        assert_eq!(tags(&text).len(), 1, "{text}");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hhhh000"));
    }
}

fn screen_text(terminal: &ratatui::Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let width = buffer.area.width as usize;
    let symbols: Vec<&str> = buffer.content.iter().map(|c| c.symbol()).collect();
    symbols
        .chunks(width)
        .map(|row| row.concat())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_screen_tags_key_identities_and_the_filter_matches_the_raw_key() {
    let mut e = engine();
    e.ingest(&event(KEY_A, NOON - 2 * MIN, 100, 10));
    e.ingest(&event(KEY_B, NOON - MIN, 100, 10));
    let mut screen = Screen::new("keys", e, 24);
    let text = screen_text(&screen.draw(120, 24));
    assert_eq!(tags(&text).len(), 2, "{text}");
    screen.press('/');
    for c in "0002".chars() {
        screen.press(c);
    }
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.order.len(), 1, "the filter matched the raw key");
    assert_eq!(screen.selected(), Some(KEY_B));
    let text = screen_text(&screen.draw(120, 24));
    assert_eq!(tags(&text).len(), 1, "{text}");
}
