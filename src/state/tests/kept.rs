//! What the monitor keeps about findings: the tools identities called and the findings
//! acknowledged, read back after a restart.

use super::*;
use crate::engine::known_tools::KnownTool;

fn known(identity: &str, tool: &str, first_seen: TimeMs) -> KnownTool {
    KnownTool {
        identity: identity.into(),
        tool: tool.into(),
        first_seen,
    }
}

#[test]
fn known_tools_come_back_after_a_restart_with_their_earliest_first_call() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    assert_eq!(store.known_tools().expect("read"), []);
    store
        .keep_tools(&[
            known("agent-x", "Read", DAY0 + 5 * M),
            known("agent-x", "mcp__github__get_issue", DAY0 + 9 * M),
            known("svc-a", "Bash", DAY0 + H),
        ])
        .expect("keep");
    // Seen again: later changes nothing, earlier (history read out of order) moves it.
    store
        .keep_tools(&[
            known("agent-x", "Read", DAY0 + 7 * M),
            known("svc-a", "Bash", DAY0 + 30 * M),
        ])
        .expect("keep again");
    drop(store);
    let again = Store::open(&path).expect("reopen");
    assert_eq!(
        again.known_tools().expect("read"),
        [
            known("agent-x", "Read", DAY0 + 5 * M),
            known("agent-x", "mcp__github__get_issue", DAY0 + 9 * M),
            known("svc-a", "Bash", DAY0 + 30 * M),
        ]
    );
}

#[test]
fn an_acknowledgement_comes_back_after_a_restart_until_it_is_taken_back() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    let secret = "agent-x · github_token · fp_1a2b3c";
    store
        .acknowledge("new_tool", "agent-x · WebFetch", DAY0 + M)
        .expect("ack");
    store
        .acknowledge("secret", secret, DAY0 + 2 * M)
        .expect("ack");
    // The same subject under another kind is another finding.
    store
        .acknowledge("policy", "agent-x · WebFetch", DAY0 + 3 * M)
        .expect("ack");
    drop(store);
    let mut store = Store::open(&path).expect("reopen");
    let pair = |k: &str, s: &str| (k.to_string(), s.to_string());
    assert_eq!(
        store.acknowledged().expect("read"),
        [
            pair("new_tool", "agent-x · WebFetch"),
            pair("secret", secret),
            pair("policy", "agent-x · WebFetch"),
        ]
    );
    store
        .take_back("new_tool", "agent-x · WebFetch")
        .expect("take back");
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.acknowledged().expect("read"),
        [pair("secret", secret), pair("policy", "agent-x · WebFetch")]
    );
}

#[test]
fn two_connections_to_one_file_see_each_others_writes() {
    let (_dir, path) = temp_store();
    let mut poller = Store::open(&path).expect("open");
    let mut keeper = Store::open(&path).expect("second connection");
    poller.save(&polls()[0]).expect("save a poll");
    keeper
        .keep_tools(&[known("agent-x", "Read", DAY0)])
        .expect("keep while the other is open");
    assert_eq!(
        poller.known_tools().expect("read"),
        [known("agent-x", "Read", DAY0)]
    );
}
