//! Tool policy scenarios with an injected clock: calls outside a `[[policy]]` are one
//! alert per identity, policy and tool, open while they come, ended after ten quiet
//! minutes, carrying the count.

use tokentop::engine::Engine;
use tokentop::engine::alerts::{Alert, AlertKind, Change, Severity};
use tokentop::event::{TimeMs, ToolCall};

use crate::budgets::engine_with;
use crate::common::{MIN, NOON, event};

const POLICIES: &str = r#"
[[identity]]
match = { identity = "svc-support-*" }
team = "support"

[[policy]]
name = "no shell for the triage agent"
identity = "agent-triage"
deny = ["Bash", "mcp__github__delete_*"]

[[policy]]
name = "support reads only"
team = "support"
allow = ["Read", "Grep", "mcp__jira__*"]
severity = "warn"
"#;

/// A request of `who` at `time` that called `tool` (its call id unique to `n`).
fn call(who: &str, time: TimeMs, n: u64, tool: ToolCall) -> tokentop::event::Event {
    let mut e = event(who, time, 100, 10);
    e.tools = vec![ToolCall {
        id: Some(format!("toolu_{n}")),
        ..tool
    }];
    e
}

fn tool(name: &str) -> ToolCall {
    ToolCall::new(None, name.to_string())
}

fn policy_alerts(e: &Engine) -> Vec<Alert> {
    let mut alerts: Vec<Alert> = e
        .snapshot(None)
        .alerts
        .into_iter()
        .filter(|a| a.kind == AlertKind::Policy)
        .collect();
    alerts.sort_by_key(|a| a.id);
    alerts
}

#[test]
fn a_thousand_calls_outside_a_policy_are_one_alert_with_their_count() {
    let mut e = engine_with(POLICIES);
    e.advance(NOON - MIN);
    for n in 0..1_000 {
        e.ingest(&call(
            "agent-triage",
            NOON - MIN + n as i64 * 50,
            n,
            tool("Bash"),
        ));
        e.ingest(&call(
            "agent-triage",
            NOON - MIN + n as i64 * 50,
            10_000 + n,
            tool("Read"),
        ));
        if n % 100 == 99 {
            e.advance(NOON - MIN + n as i64 * 50);
        }
    }
    e.advance(NOON);
    let alerts = policy_alerts(&e);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.tool.as_deref(), Some("Bash"));
    assert_eq!(a.value, 1_000.0);
    assert_eq!(a.identities, ["agent-triage"]);
    assert!(
        a.reason.starts_with(
            "agent-triage called Bash 1000 times, outside policy \"no shell for the triage agent\" (denied by Bash)"
        ),
        "{}",
        a.reason
    );
    let started: Vec<_> = e
        .take_alert_events()
        .into_iter()
        .filter(|ev| ev.alert.kind == AlertKind::Policy)
        .collect();
    assert_eq!(started.len(), 1, "one episode, one start for the sinks");
    assert_eq!(started[0].change, Change::Started);

    // Still open nine minutes after the last call; ended once ten quiet minutes passed.
    e.advance(NOON + 9 * MIN);
    assert!(policy_alerts(&e)[0].active());
    e.advance(NOON + 10 * MIN);
    e.advance(NOON + 11 * MIN + 1);
    let ended = &policy_alerts(&e)[0];
    assert!(!ended.active(), "{ended:#?}");
    let changes = e.take_alert_events();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].change, Change::Ended);
    // A call after that is a new episode.
    e.ingest(&call("agent-triage", NOON + 12 * MIN, 5_000, tool("Bash")));
    e.advance(NOON + 12 * MIN);
    let alerts = policy_alerts(&e);
    assert_eq!(alerts.len(), 2);
    assert_eq!((alerts[1].value, alerts[1].active()), (1.0, true));
    assert!(
        alerts[1].reason.contains("called Bash once, outside"),
        "{}",
        alerts[1].reason
    );
}

#[test]
fn allow_lists_teams_and_mcp_tools_named_either_way() {
    let mut e = engine_with(POLICIES);
    e.advance(NOON - MIN);
    // Telemetry names an MCP tool and its server apart; the globs see mcp__server__tool.
    let mut delete = tool("delete_repo");
    delete.mcp_server = Some("github".into());
    e.ingest(&call("agent-triage", NOON - 30_000, 1, delete));
    e.ingest(&call("svc-support-bot", NOON - 20_000, 2, tool("Read")));
    e.ingest(&call(
        "svc-support-bot",
        NOON - 20_000,
        3,
        tool("mcp__jira__get_issue"),
    ));
    e.ingest(&call("svc-support-bot", NOON - 10_000, 4, tool("Write")));
    // Nobody's policy covers this one.
    e.ingest(&call("svc-billing", NOON - 10_000, 5, tool("Bash")));
    e.advance(NOON);
    let found: Vec<_> = policy_alerts(&e)
        .iter()
        .map(|a| (a.identities[0].clone(), a.tool.clone().unwrap(), a.severity))
        .collect();
    assert_eq!(
        found,
        [
            (
                "agent-triage".into(),
                "mcp__github__delete_repo".into(),
                Severity::Critical
            ),
            ("svc-support-bot".into(), "Write".into(), Severity::Warn),
        ]
    );
    let write = &policy_alerts(&e)[1];
    assert!(
        write
            .reason
            .ends_with("(not in its allow list) (since 12:00)"),
        "{}",
        write.reason
    );
}

#[test]
fn a_policy_alert_line_names_its_tool() {
    let mut e = engine_with(POLICIES);
    e.advance(NOON - MIN);
    e.ingest(&call("agent-triage", NOON - 1_000, 1, tool("Bash")));
    e.advance(NOON);
    let events = e.take_alert_events();
    let line = String::from_utf8(tokentop::alert_out::json_line(&events[0])).unwrap();
    assert!(line.contains(r#""kind":"policy""#), "{line}");
    assert!(line.contains(r#""tool":"Bash""#), "{line}");
}
