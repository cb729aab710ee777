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
            "agent-triage: Bash outside policy \"no shell for the triage agent\" (denied by Bash), called 1000 times"
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
        alerts[1].reason.ends_with("called once (since 12:12)"),
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
    // The episode began with the call (11:59:50), not with the round that first saw it.
    let write = &policy_alerts(&e)[1];
    assert_eq!(write.started_at, NOON - 10_000);
    assert!(
        write
            .reason
            .ends_with("(not in its allow list), called once (since 11:59)"),
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
    assert!(
        line.contains(r#""policy":"no shell for the triage agent""#),
        "{line}"
    );
}

/// An hour of `who` calling Read each minute from `start` (past the warm-up), with a call
/// to Grep in its first minutes (still warming up: learning its tools).
fn warm_hour(e: &mut Engine, who: &str, start: TimeMs) {
    for m in 0..60 {
        e.ingest(&call(who, start + m * MIN, m as u64, tool("Read")));
    }
    e.ingest(&call(who, start + 2 * MIN, 100, tool("Grep")));
}

#[test]
fn a_tool_new_to_a_warm_identity_is_one_warning_while_its_calls_come() {
    let mut e = engine_with("");
    let start = NOON - 70 * MIN;
    e.advance(start);
    warm_hour(&mut e, "agent-x", start);
    e.advance(NOON - 10 * MIN);
    assert!(
        policy_like(&e, AlertKind::NewTool).is_empty(),
        "warming up: nothing is new"
    );
    for n in 0..3 {
        e.ingest(&call(
            "agent-x",
            NOON - 5 * MIN + n * 1_000,
            200 + n as u64,
            tool("WebFetch"),
        ));
    }
    e.ingest(&call("agent-x", NOON - 4 * MIN, 300, tool("Read")));
    e.advance(NOON);
    let alerts = policy_like(&e, AlertKind::NewTool);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(
        (a.severity, a.tool.as_deref(), a.value),
        (Severity::Warn, Some("WebFetch"), 3.0)
    );
    assert!(
        a.reason
            .starts_with("agent-x: new tool WebFetch, called 3 times"),
        "{}",
        a.reason
    );
    assert_eq!(e.take_alert_events().len(), 1);
    // Known from now on: a call an hour later is nothing new.
    e.ingest(&call("agent-x", NOON + 60 * MIN, 400, tool("WebFetch")));
    e.advance(NOON + 60 * MIN);
    assert_eq!(policy_like(&e, AlertKind::NewTool).len(), 1);
}

#[test]
fn history_read_at_start_gives_ended_findings_and_no_alert_storm() {
    let mut e = engine_with(POLICIES);
    // Yesterday, read at start before the clock ever looked.
    let start = NOON - 24 * 60 * MIN;
    warm_hour(&mut e, "agent-triage", start);
    e.ingest(&call(
        "agent-triage",
        start + 61 * MIN,
        500,
        tool("WebFetch"),
    ));
    e.ingest(&call("agent-triage", start + 62 * MIN, 501, tool("Bash")));
    e.advance(NOON);
    assert!(e.take_alert_events().is_empty(), "no sink hears of history");
    let snap = e.snapshot(None);
    assert_eq!(snap.active_alerts.total(), 0, "nothing active");
    let mut found: Vec<_> = snap
        .alerts
        .iter()
        .map(|a| {
            (
                a.kind,
                a.tool.clone().unwrap_or_default(),
                a.active(),
                a.started_at,
                a.ended_at,
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                AlertKind::Policy,
                "Bash".into(),
                false,
                start + 62 * MIN,
                Some(start + 72 * MIN)
            ),
            (
                AlertKind::NewTool,
                "Bash".into(),
                false,
                start + 62 * MIN,
                Some(start + 72 * MIN)
            ),
            (
                AlertKind::NewTool,
                "WebFetch".into(),
                false,
                start + 61 * MIN,
                Some(start + 71 * MIN)
            ),
        ]
    );
}

fn policy_like(e: &Engine, kind: AlertKind) -> Vec<Alert> {
    e.snapshot(None)
        .alerts
        .into_iter()
        .filter(|a| a.kind == kind)
        .collect()
}

/// The overview's RISK column counts an identity's findings over the totals range, worst
/// first, and sorts by them; an identity with none shows `·`.
#[test]
fn the_overview_shows_findings_in_a_risk_column() {
    let mut e = engine_with(POLICIES);
    e.advance(NOON - MIN);
    e.ingest(&call("agent-triage", NOON - 30_000, 1, tool("Bash")));
    e.ingest(&call("svc-support-bot", NOON - 20_000, 2, tool("Write")));
    e.ingest(&call("svc-quiet", NOON - 20_000, 3, tool("Read")));
    let mut screen = crate::views::Screen::new("policies", e, 24);
    let snap = screen.engine.snapshot(None);
    let risk = |name: &str| {
        let row = snap.identities.iter().find(|r| r.name == name).unwrap();
        (row.risk.findings, row.risk.worst)
    };
    assert_eq!(risk("agent-triage"), (1, Some(Severity::Critical)));
    assert_eq!(risk("svc-support-bot"), (1, Some(Severity::Warn)));
    assert_eq!(risk("svc-quiet"), (0, None));
    while screen.app.sort() != tokentop::app::SortKey::Risk {
        screen.press('s');
    }
    let text = format!("{}", screen.draw(120, 24).backend());
    let lines: Vec<&str> = text.lines().collect();
    let at = |name: &str| lines.iter().position(|l| l.contains(name)).unwrap();
    assert!(text.contains("RISK▼"), "{text}");
    assert!(lines[at("agent-triage")].contains("1 crit"), "{text}");
    assert!(lines[at("svc-support-bot")].contains("1 warn"), "{text}");
    assert!(at("agent-triage") < at("svc-support-bot"));
    assert!(at("svc-support-bot") < at("svc-quiet"));
}

/// A call counted from a transcript first moves to its telemetry's identity: one policy
/// episode, there, not one under each.
#[test]
fn a_call_that_moves_to_its_telemetry_identity_is_one_policy_episode_there() {
    use crate::telemetry_dedup as td;
    let mut e = engine_with("[[policy]]\nname = \"no shell\"\ndeny = [\"Bash\"]\n");
    let transcript = td::transcript(&[("toolu_9", "Bash")]);
    e.advance(transcript.time - MIN);
    e.ingest(&transcript);
    for event in td::claude_code(&[td::tool_result("toolu_9", "Bash")]) {
        e.ingest(&event);
    }
    e.advance(transcript.time + MIN);
    let alerts = policy_alerts(&e);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].identities, ["ada@example.com"]);
    assert_eq!(alerts[0].value, 1.0);
}

/// An MCP tool named either way (`mcp__gh__create_issue` in a transcript, `create_issue`
/// of server `gh` in telemetry) is one tool: known under one name, not new under the other.
#[test]
fn an_mcp_tool_known_under_one_name_is_not_new_under_the_other() {
    let mut e = engine_with("");
    let start = NOON - 70 * MIN;
    e.advance(start);
    warm_hour(&mut e, "agent-x", start);
    e.ingest(&call(
        "agent-x",
        start + 3 * MIN,
        900,
        tool("mcp__gh__create_issue"),
    ));
    e.advance(NOON - 10 * MIN);
    let mut bare = tool("create_issue");
    bare.mcp_server = Some("gh".into());
    e.ingest(&call("agent-x", NOON - MIN, 901, bare));
    e.advance(NOON);
    assert!(policy_like(&e, AlertKind::NewTool).is_empty());
}
