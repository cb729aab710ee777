//! Gemini CLI and Qwen Code, read through the real file reader from fixture trees written
//! from shared/reference/agent-logs-more.md sections 1 and 4 (invented values): exact
//! totals worked out by hand, and one test per trap that fails without its handling.

use std::path::Path;

use tokentop::engine::Snapshot;
use tokentop::event::{Event, Format};
use tokentop::parse::{LineContext, LineParser, Parsed};

use crate::common::{NOON, fixture, read_paths};

const GEMINI_CHATS: &str = "gemini_home/.gemini/tmp/proj/chats";
const MAIN: &str = "session-2025-12-20T11-07-8f0c2a1e.jsonl";
const LEGACY: &str = "session-2025-09-01T09-00-11111111.json";
const RESUMED: &str = "session-2025-09-01T09-00-11111111.jsonl";
const QWEN_CHATS: &str = "qwen_home/projects/-home-bo-app/chats";
const QWEN_A: &str = "d96bf338-0001.jsonl";
const QWEN_BRANCH: &str = "e07c0449-0002.jsonl";

fn snapshot(paths: &[&Path]) -> Snapshot {
    let (_, snapshot, health) = read_paths(paths);
    for h in &health {
        assert_eq!(h.rejected_lines(), 0, "{h:?}");
    }
    snapshot
}

/// (input, cache read, output, reasoning, requests) over every row.
fn totals(s: &Snapshot) -> (u64, u64, u64, u64, u64) {
    let t = &s.totals;
    (t.input, t.cache_read, t.output, t.reasoning, t.requests)
}

/// A copy of the fixture files `names` (below `from`) in a temp dir of the same layout.
fn copy(from: &str, names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let to = dir.path().join(from);
    for name in names {
        let target = to.join(name);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::copy(fixture(from).join(name), target).expect("copy");
    }
    dir
}

fn events(text: &str) -> Vec<Event> {
    let mut parser = LineParser::default();
    let ctx = LineContext {
        read_time: NOON,
        ..LineContext::default()
    };
    text.lines()
        .filter_map(|line| match parser.parse(line.as_bytes(), &ctx) {
            Parsed::Event(e) => Some(*e),
            _ => None,
        })
        .collect()
}

#[test]
fn a_gemini_tree_counts_each_response_once() {
    // g1 3801 + 11526 cached + 942 out (919 thoughts); g2 5050 (50 tool) + 15000 + 100;
    // g3 21000 + 500 (200); legacy gL1 5000 + 50, gL2 2000 + 4000 + 70 (10), resumed
    // gL3 2000 + 5000 + 70; subagent 2000 + 1000 + 45 (5): 79,154 tokens in 7 responses.
    let s = snapshot(&[&fixture("gemini_home/.gemini/tmp")]);
    assert_eq!(totals(&s), (40_851, 36_526, 1_777, 1_134, 7));
    assert_eq!(s.totals.total_tokens(), 79_154);
    assert_eq!(s.identities.len(), 1);
    let row = &s.identities[0];
    assert_eq!(row.name, "gemini-cli:/home/ana/proj", "from projects.json");
    assert_eq!(row.format, Format::GeminiCli);
    assert!(
        row.labels.iter().any(|l| l == "gemini-cli"),
        "{:?}",
        row.labels
    );
    let mut models: Vec<(&str, u64)> = s
        .by_model
        .iter()
        .map(|r| (r.key.as_str(), r.usage.requests))
        .collect();
    models.sort_unstable();
    assert_eq!(models, [("gemini-2.5-flash", 6), ("gemini-2.5-pro", 1)]);
    assert_eq!(s.totals.unpriced_requests, 0);
}

#[test]
fn a_re_appended_gemini_message_counts_once_with_its_tool_calls() {
    let dir = copy(GEMINI_CHATS, &[MAIN]);
    let file = dir.path().join(GEMINI_CHATS).join(MAIN);
    let text = std::fs::read_to_string(&file).expect("read");
    // Five copies of three responses in the file (the checkpoint is no copy).
    assert_eq!(events(&text).len(), 5);
    let s = snapshot(&[&file]);
    assert_eq!(totals(&s), (29_851, 26_526, 1_542, 1_119, 3));
    assert_eq!(
        s.totals.tool_calls, 2,
        "read_file on g1's second copy, shell on g2's"
    );
}

#[test]
fn a_later_smaller_gemini_copy_leaves_the_larger_counted() {
    // Gemini CLI writes a message's tokens once, so this does not happen; if a file were
    // edited so that it did, the larger copy stays, as for every format's copies.
    let meta = r#"{"sessionId":"s","projectHash":"h"}"#;
    let copy = |input: u64| {
        format!(
            r#"{{"id":"g","timestamp":"2025-12-20T11:00:00.000Z","type":"gemini","tokens":{{"input":{input},"output":1}},"model":"gemini-2.5-flash"}}"#
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("session-a.jsonl");
    std::fs::write(&file, format!("{meta}\n{}\n{}\n", copy(900), copy(100))).expect("write");
    let s = snapshot(&[&file]);
    assert_eq!((s.totals.input, s.totals.requests), (900, 1));
}

#[test]
fn a_resumed_legacy_session_counts_once_across_its_json_and_jsonl() {
    let dir = copy(GEMINI_CHATS, &[LEGACY, RESUMED]);
    let chats = dir.path().join(GEMINI_CHATS);
    // The legacy document alone: gL1 and gL2.
    let s = snapshot(&[&chats.join(LEGACY)]);
    assert_eq!(totals(&s), (7_000, 4_000, 120, 10, 2));
    // With its resumed copy, in either order: gL1, gL2 once, and gL3.
    for paths in [[LEGACY, RESUMED], [RESUMED, LEGACY]] {
        let s = snapshot(&[&chats.join(paths[0]), &chats.join(paths[1])]);
        assert_eq!(totals(&s), (9_000, 9_000, 190, 10, 3), "{paths:?}");
    }
    // A folder walk takes the document, and no other `.json`.
    std::fs::write(chats.join("notes.json"), r#"{"usage":{"input_tokens":1}}"#).expect("write");
    let s = snapshot(&[&chats]);
    assert_eq!(totals(&s), (9_000, 9_000, 190, 10, 3));
}

#[test]
fn gemini_checkpoints_and_rewinds_add_nothing_and_rewound_responses_stay_billed() {
    let text = std::fs::read_to_string(fixture(GEMINI_CHATS).join(MAIN)).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[8].starts_with(r#"{"$rewindTo":"g2""#));
    assert!(lines[11].starts_with(r#"{"$set":{"messages":"#));
    let dir = tempfile::tempdir().expect("temp dir");
    let without = dir.path().join("session-without.jsonl");
    let kept: Vec<&str> = lines.iter().take(8).copied().collect();
    std::fs::write(&without, kept.join("\n") + "\n").expect("write");
    let before = snapshot(&[&without]);
    // g2, rewound at line 9, was billed: it stays, and the checkpoint holds copies only.
    let s = snapshot(&[&fixture(GEMINI_CHATS).join(MAIN)]);
    assert_eq!(before.totals.requests, 2);
    assert_eq!(s.totals.requests, 3);
    assert_eq!(s.totals.input - before.totals.input, 21_000, "g3 only");
}

#[test]
fn gemini_input_is_counted_without_its_cached_part() {
    let text = std::fs::read_to_string(fixture(GEMINI_CHATS).join(MAIN)).expect("read");
    let e = events(&text);
    let t = e[0].tokens;
    // tokens.input 15,327 includes tokens.cached 11,526.
    assert_eq!(
        (t.input, t.cache_read, t.output, t.reasoning),
        (3_801, 11_526, 942, 919)
    );
    assert_eq!(t.total(), 16_269, "tokens.total");
}

#[test]
fn a_qwen_tree_counts_branch_copies_once() {
    // qa-1 12414 + 115 out (39 thoughts); qa-2 1000 + 12000 cached + 200; qa-3 1508 +
    // 4864 cached + 60; qa-4 6000 + 3000 + 100 (estimated); qb-1 1000 + 13000 + 60 (10):
    // 55,321 tokens in 5 responses, whatever the branch copied.
    let s = snapshot(&[&fixture("qwen_home/projects")]);
    assert_eq!(totals(&s), (21_922, 32_864, 535, 49, 5));
    assert_eq!(s.totals.total_tokens(), 55_321);
    assert_eq!(s.totals.tool_calls, 1, "read_file, once across the branch");
    let row = &s.identities[0];
    assert_eq!(row.name, "qwen-code:/home/bo/app");
    assert_eq!(row.format, Format::QwenCode);
    assert!(
        row.labels.iter().any(|l| l == "qwen-code"),
        "{:?}",
        row.labels
    );
    // The branch alone: its copies and its own response.
    let s = snapshot(&[&fixture(QWEN_CHATS).join(QWEN_BRANCH)]);
    assert_eq!(s.totals.requests, 3);
}

#[test]
fn a_qwen_record_whose_total_cannot_tell_is_estimated() {
    let text = std::fs::read_to_string(fixture(QWEN_CHATS).join(QWEN_A)).expect("read");
    let e = events(&text);
    let split: Vec<(u64, u64, bool)> = e
        .iter()
        .map(|e| (e.tokens.input, e.tokens.cache_read, e.flags.estimated))
        .collect();
    assert_eq!(
        split,
        [
            (12_414, 0, false),
            (1_000, 12_000, false),
            (1_508, 4_864, false),
            (6_000, 3_000, true),
        ],
        "cache inside, inside, beside (the total says), and a guess (no total); \
         the ui_telemetry record is not counted"
    );
}

#[test]
fn qwen_responses_are_priced_at_dashscopes_tier_for_their_prompt() {
    let s = snapshot(&[&fixture("qwen_home/projects")]);
    assert_eq!(s.totals.unpriced_requests, 0);
    // dashscope/qwen3-coder-plus prices by the prompt's size; every prompt here is within
    // 32,000 tokens: $1 in, $0.10 cache read, $5 out per million. 21,922 in, 32,864 read,
    // 535 out = $0.0278834.
    assert!(
        (s.totals.cost_usd - 0.027_883_4).abs() < 1e-12,
        "{}",
        s.totals.cost_usd
    );
}
