//! The secret scanner on real third-party Claude Code logs (read from the shared folder,
//! never copied here): no finding on them, each candidate having been looked at by hand
//! (docs/benchmarks.md, "Secret scanning"), and a key planted in their own tool calls is
//! found at its JSON path. Without the folder each test skips, saying so.

use serde_json::Value;
use tokentop::secrets::{FingerprintKey, scan_json};

use crate::shared_data::shared_or_skip;

/// Every line of every `.jsonl` file under the real logs, or `None` when the test skips.
fn real_lines(test: &str) -> Option<Vec<String>> {
    let root = shared_or_skip("data/claude-code-real", &format!("secrets_real::{test}"))?;
    let mut lines = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for path in std::fs::read_dir(&folder)
            .expect("read a folder")
            .flatten()
            .map(|e| e.path())
        {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                let text = std::fs::read_to_string(&path).expect("read a log");
                lines.extend(text.lines().map(str::to_string));
            }
        }
    }
    Some(lines)
}

fn key() -> FingerprintKey {
    FingerprintKey::from_bytes([5; 32])
}

#[test]
fn real_logs_hold_no_credential() {
    let Some(lines) = real_lines("real_logs_hold_no_credential") else {
        return;
    };
    assert!(lines.len() > 1000, "{} lines", lines.len());
    let found: Vec<String> = lines
        .iter()
        .flat_map(|line| scan_json(line, &key()))
        .map(|f| format!("{} at {}", f.secret_type, f.path))
        .collect();
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn a_key_planted_in_a_real_tool_call_is_found_at_its_path() {
    let Some(lines) = real_lines("a_key_planted_in_a_real_tool_call_is_found_at_its_path") else {
        return;
    };
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let body: String = (0..36)
        .map(|i| char::from(alphabet[(i * 17 + 5) % 62]))
        .collect();
    let token = format!("ghp_{body}");
    let mut planted = 0;
    for line in &lines {
        let Ok(mut record) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(content) = record
            .pointer_mut("/message/content")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        let Some((index, command)) = content.iter_mut().enumerate().find_map(|(i, part)| {
            let command = part.pointer_mut("/input/command")?;
            command.is_string().then_some((i, command))
        }) else {
            continue;
        };
        let old = command.as_str().unwrap_or_default().to_string();
        *command = Value::String(format!("GITHUB_TOKEN={token} {old}"));
        let found = scan_json(&record.to_string(), &key());
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|f| (f.secret_type, f.path.as_str()))
            .collect();
        let path = format!("message.content[{index}].input.command");
        assert_eq!(got, [("github_token", path.as_str())], "{old}");
        assert_eq!(found[0].fingerprint, key().fingerprint(&token));
        planted += 1;
    }
    assert!(planted > 50, "only {planted} tool calls with a command");
}
