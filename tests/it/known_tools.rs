//! First-seen tools across runs: tools known from an earlier run (the state store's) are
//! not new to a warm identity, while a tool it never called is; first calls are handed
//! out once, to be kept.

use tokentop::engine::Engine;
use tokentop::engine::alerts::{Alert, AlertKind};
use tokentop::engine::known_tools::KnownTool;
use tokentop::event::{Event, TimeMs, ToolCall};

use crate::budgets::engine_with;
use crate::common::{MIN, NOON, event};

/// A request of `who` at `time` that called `tool` (its call id unique to `n`).
pub fn call(who: &str, time: TimeMs, n: u64, tool: &str) -> Event {
    let mut e = event(who, time, 100, 10);
    e.tools = vec![ToolCall::new(Some(format!("toolu_{n}")), tool.to_string())];
    e
}

/// An hour of `who` calling Read each minute from `start`: warm from then on.
pub fn warm_hour(e: &mut Engine, who: &str, start: TimeMs) {
    for m in 0..60 {
        e.ingest(&call(who, start + m * MIN, m as u64, "Read"));
    }
}

pub fn known(identity: &str, tool: &str, first_seen: TimeMs) -> KnownTool {
    KnownTool {
        identity: identity.into(),
        tool: tool.into(),
        first_seen,
    }
}

/// The tools of the `new_tool` alerts, sorted.
pub fn new_tools(e: &Engine) -> Vec<String> {
    let alerts: Vec<Alert> = e.snapshot(None).alerts;
    let mut tools: Vec<String> = alerts
        .into_iter()
        .filter(|a| a.kind == AlertKind::NewTool)
        .filter_map(|a| a.tool)
        .collect();
    tools.sort();
    tools
}

#[test]
fn a_tool_known_from_an_earlier_run_is_not_new_while_an_unknown_one_is() {
    let yesterday = NOON - 24 * 60 * MIN;
    let mut e = engine_with("");
    e.know_tools([
        known("agent-x", "WebFetch", yesterday),
        known("agent-x", "mcp__gh__create_issue", yesterday),
        known("agent-y", "Write", yesterday),
    ]);
    let start = NOON - 70 * MIN;
    warm_hour(&mut e, "agent-x", start);
    e.advance(NOON - 5 * MIN);
    e.ingest(&call("agent-x", NOON - 4 * MIN, 100, "WebFetch"));
    // The same MCP tool under its bare name (from telemetry) is the tool known.
    let mut bare = ToolCall::new(Some("toolu_101".into()), "create_issue".into());
    bare.mcp_server = Some("gh".into());
    let mut telemetry = event("agent-x", NOON - 3 * MIN, 100, 10);
    telemetry.tools = vec![bare];
    e.ingest(&telemetry);
    // Known to another identity only: new to this one.
    e.ingest(&call("agent-x", NOON - 2 * MIN, 102, "Write"));
    e.ingest(&call("agent-x", NOON - MIN, 103, "Bash"));
    e.advance(NOON);
    assert_eq!(new_tools(&e), ["Bash", "Write"]);
}

#[test]
fn first_calls_are_handed_out_once_and_only_when_asked_for() {
    let start = NOON - 70 * MIN;
    let mut quiet = engine_with("");
    warm_hour(&mut quiet, "agent-x", start);
    assert_eq!(quiet.take_learnt_tools(), [], "nobody keeps them");

    let mut e = engine_with("");
    e.know_tools([known("agent-x", "Read", start - 60 * MIN)]);
    warm_hour(&mut e, "agent-x", start);
    e.ingest(&call("agent-x", start + 61 * MIN, 100, "Bash"));
    e.ingest(&call("agent-x", start + 62 * MIN, 101, "Bash"));
    e.ingest(&call("agent-y", start + 5 * MIN, 102, "Grep"));
    assert_eq!(
        e.take_learnt_tools(),
        [
            known("agent-x", "Bash", start + 61 * MIN),
            known("agent-y", "Grep", start + 5 * MIN),
        ],
        "Read was known before: nothing new to keep"
    );
    e.ingest(&call("agent-x", start + 63 * MIN, 103, "Bash"));
    assert_eq!(e.take_learnt_tools(), []);
}

/// History read again at start decides about a tool's first call as the earlier run did:
/// its ended finding stays.
#[test]
fn history_read_again_keeps_its_ended_finding() {
    let start = NOON - 24 * 60 * MIN;
    let history = |e: &mut Engine| {
        warm_hour(e, "agent-x", start);
        e.ingest(&call("agent-x", start + 61 * MIN, 100, "WebFetch"));
        e.advance(NOON);
    };
    let mut first = engine_with("");
    first.know_tools([]);
    history(&mut first);
    let learnt = first.take_learnt_tools();
    assert_eq!(new_tools(&first), ["WebFetch"]);

    let mut again = engine_with("");
    again.know_tools(learnt);
    history(&mut again);
    assert_eq!(new_tools(&again), ["WebFetch"], "the same ended finding");
    assert!(
        again.take_alert_events().is_empty(),
        "no sink hears of history"
    );
}
