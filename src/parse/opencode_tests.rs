//! Rows written from the reference's example (shared/reference/agent-logs-more.md, 2.4),
//! with invented values.
use super::*;

const DONE: &str = r#"{"role":"assistant","time":{"created":1767312000000,"completed":1767312004210},"parentID":"msg_01","modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","agent":"build","path":{"cwd":"/home/u/proj","root":"/home/u/proj"},"cost":0.0123,"tokens":{"total":13420,"input":120,"output":300,"reasoning":20,"cache":{"read":12800,"write":200}},"finish":"tool-calls"}"#;

fn row<'a>(id: &'a str, data: &'a str) -> MessageRow<'a> {
    MessageRow {
        id,
        session_id: Some("ses_1"),
        time_created: None,
        data,
        directory: None,
    }
}

fn event(parsed: Parsed) -> Event {
    match parsed {
        Parsed::Event(e) => *e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_assistant_row_counts_its_classes_once() {
    let e = event(State::default().message(&row("msg_2", DONE), Vec::new(), 7));
    // Input is already without the cache; reasoning is stored beside output.
    assert_eq!(
        e.tokens,
        Tokens {
            input: 120,
            cache_read: 12800,
            cache_write_5m: 200,
            cache_write_1h: 0,
            output: 320,
            reasoning: 20,
        }
    );
    assert_eq!(e.tokens.total(), 13440);
    assert_eq!(e.time, 1767312000000);
    assert_eq!(e.latency_ms, Some(4210));
    assert_eq!(e.identity, "opencode:/home/u/proj");
    assert_eq!(e.attrs.project.as_deref(), Some("/home/u/proj"));
    assert_eq!(e.attrs.session.as_deref(), Some("ses_1"));
    assert_eq!(e.attrs.agent.as_deref(), Some("build"));
    assert_eq!(
        (e.provider.as_str(), e.model.as_str()),
        ("anthropic", "claude-sonnet-4-5")
    );
    assert_eq!(e.record_cost_usd, Some(0.0123));
    assert!(e.flags.final_copy);
    assert_eq!(e.format.agent(), Some("opencode"));
}

#[test]
fn a_zero_cost_is_priced_from_the_table() {
    let data = DONE.replace(r#""cost":0.0123"#, r#""cost":0"#);
    let e = event(State::default().message(&row("msg_2", &data), Vec::new(), 7));
    assert_eq!(e.record_cost_usd, None);
}

#[test]
fn user_rows_hold_no_usage_and_broken_rows_say_why() {
    let mut state = State::default();
    let user = r#"{"role":"user","time":{"created":1767312000000},"agent":"build"}"#;
    assert_eq!(
        state.message(&row("msg_1", user), Vec::new(), 7),
        Parsed::NoUsage
    );
    let cases = [
        (
            r#"{"role":"assistant","time":{"created":1}}"#,
            RejectReason::MissingField,
        ),
        (r#"{"time":{"created":1}}"#, RejectReason::MissingField),
        (
            r#"{"role":"assistant","modelID":"m","tokens":{"input":-1}}"#,
            RejectReason::InvalidField,
        ),
        (
            r#"{"role":"assistant","modelID":"m","time":{"created":-5}}"#,
            RejectReason::InvalidField,
        ),
        (r#"{"role":"assistant""#, RejectReason::InvalidJson),
    ];
    for (data, reason) in cases {
        assert_eq!(
            state.message(&row("m", data), Vec::new(), 7),
            Parsed::Rejected(reason),
            "{data}"
        );
    }
}

#[test]
fn versions_of_one_row_share_its_key_and_forks_take_the_original_key() {
    let mut state = State::default();
    let streaming = r#"{"role":"assistant","time":{"created":1767312000000},"modelID":"claude-sonnet-4-5","providerID":"anthropic","tokens":{"input":0,"output":0,"reasoning":0,"cache":{"read":0,"write":0}},"cost":0}"#;
    let first = event(state.message(&row("msg_2", streaming), Vec::new(), 7));
    assert!(!first.flags.final_copy);
    let done = event(state.message(&row("msg_2", DONE), Vec::new(), 7));
    assert_eq!(first.dedup_key, done.dedup_key);
    // A fork copies the finished message into another session under a new id.
    let fork = MessageRow {
        session_id: Some("ses_fork"),
        ..row("msg_9", DONE)
    };
    assert_eq!(
        event(state.message(&fork, Vec::new(), 7)).dedup_key,
        done.dedup_key
    );
    // Another message with other counts keeps its own key.
    let other = DONE.replace(r#""output":300"#, r#""output":301"#);
    let other = event(state.message(&row("msg_3", &other), Vec::new(), 7));
    assert_ne!(other.dedup_key, done.dedup_key);
}

#[test]
fn legacy_files_with_different_embedded_ids_are_different_messages() {
    let mut state = State::default();
    let with_id =
        |id: &str| DONE.replacen('{', &format!(r#"{{"id":"{id}","sessionID":"ses_1","#), 1);
    let a = event(state.legacy("x", &with_id("msg_a"), Vec::new(), 7));
    let b = event(state.legacy("y", &with_id("msg_b"), Vec::new(), 7));
    assert_ne!(a.dedup_key, b.dedup_key);
    // The file's id is the database row's id: the same key.
    let db = event(State::default().message(&row("msg_a", DONE), Vec::new(), 7));
    assert_eq!(a.dedup_key, db.dedup_key);
    assert_eq!(a.attrs.session.as_deref(), Some("ses_1"));
    // Without an embedded id, the stem is the id.
    let stem = event(State::default().legacy("msg_a", DONE, Vec::new(), 7));
    assert_eq!(stem.dedup_key, db.dedup_key);
}

#[test]
fn tool_parts_become_calls() {
    let tool = r#"{"type":"tool","callID":"toolu_01","tool":"bash","state":{"status":"completed","input":{"command":"npm test"}}}"#;
    let call = tool_part(tool).expect("a tool part");
    assert_eq!(
        (call.id.as_deref(), call.name.as_str()),
        (Some("toolu_01"), "bash")
    );
    let step = r#"{"type":"step-finish","cost":0.0123,"tokens":{"input":120}}"#;
    assert_eq!(tool_part(step), None);
    assert_eq!(tool_part("{"), None);
    let mcp = tool_part(r#"{"type":"tool","tool":"mcp__github__create_issue"}"#).expect("tool");
    assert_eq!(mcp.mcp_server.as_deref(), Some("github"));
}

#[test]
fn the_folder_falls_back_to_the_session_and_then_to_the_label() {
    let data = r#"{"role":"assistant","modelID":"m","tokens":{"input":1}}"#;
    let mut with_dir = row("msg_2", data);
    with_dir.directory = Some("/srv/app");
    with_dir.time_created = Some(1767312000000);
    let e = event(State::default().message(&with_dir, Vec::new(), 7));
    assert_eq!(e.identity, "opencode:/srv/app");
    assert_eq!(e.time, 1767312000000);
    assert!(!e.flags.time_from_read);
    let e = event(State::default().message(&row("msg_2", data), Vec::new(), 7));
    assert_eq!((e.identity.as_str(), e.time), ("opencode", 7));
    assert!(e.flags.time_from_read);
}
