//! What the monitor keeps about findings: the tools identities called, the secrets they
//! exposed and the findings acknowledged, read back after a restart.

use super::*;
use crate::engine::exposures::SeenSecret;
use crate::engine::known_tools::KnownTool;
use crate::secrets::FingerprintKey;

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
    let row = |k: &str, s: &str, at| (k.to_string(), s.to_string(), at);
    assert_eq!(
        store.acknowledged().expect("read"),
        [
            row("new_tool", "agent-x · WebFetch", DAY0 + M),
            row("secret", secret, DAY0 + 2 * M),
            row("policy", "agent-x · WebFetch", DAY0 + 3 * M),
        ]
    );
    // Acknowledged again (a later episode): the later time is kept.
    store
        .acknowledge("secret", secret, DAY0 + 4 * M)
        .expect("ack again");
    store
        .take_back("new_tool", "agent-x · WebFetch")
        .expect("take back");
    drop(store);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.acknowledged().expect("read"),
        [
            row("policy", "agent-x · WebFetch", DAY0 + 3 * M),
            row("secret", secret, DAY0 + 4 * M),
        ]
    );
}

fn seen(identity: &str, value: &str, first_seen: TimeMs) -> SeenSecret {
    SeenSecret {
        identity: identity.into(),
        fingerprint: FingerprintKey::from_bytes([7; 32]).fingerprint(value),
        secret_type: "github_token".into(),
        first_seen,
    }
}

#[test]
fn seen_secrets_come_back_after_a_restart_with_their_earliest_sighting() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    assert_eq!(store.seen_secrets().expect("read"), []);
    store
        .keep_secrets(&[
            seen("agent-x", "ghp_one", DAY0 + 5 * M),
            seen("agent-x", "ghp_two", DAY0 + 9 * M),
            // The same secret exposed by another identity is a row of its own.
            seen("svc-a", "ghp_one", DAY0 + H),
        ])
        .expect("keep");
    store
        .keep_secrets(&[
            seen("agent-x", "ghp_one", DAY0 + 7 * M),
            seen("svc-a", "ghp_one", DAY0 + 30 * M),
        ])
        .expect("keep again");
    drop(store);
    let again = Store::open(&path).expect("reopen");
    assert_eq!(
        again.seen_secrets().expect("read"),
        [
            seen("agent-x", "ghp_one", DAY0 + 5 * M),
            seen("agent-x", "ghp_two", DAY0 + 9 * M),
            seen("svc-a", "ghp_one", DAY0 + 30 * M),
        ]
    );
    // Only the fingerprint is kept, as 32 hex digits: never the value.
    let rows: Vec<String> = again
        .conn
        .prepare("SELECT fingerprint FROM seen_secret ORDER BY identity, first_seen")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("raw rows");
    assert_eq!(rows[0], seen("", "ghp_one", 0).fingerprint.to_string());
    assert!(rows.iter().all(|r| r.len() == 32 && !r.contains("ghp")));
}

#[test]
fn a_row_that_is_not_a_fingerprint_is_damage_not_a_panic() {
    let (_dir, path) = temp_store();
    let store = Store::open(&path).expect("open");
    store
        .conn
        .execute(
            "INSERT INTO seen_secret VALUES ('agent-x', 'zz', 'github_token', 1)",
            [],
        )
        .expect("insert");
    let err = store.seen_secrets().expect_err("damaged");
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(err.to_string().contains("not a fingerprint"), "{err}");
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
