//! The identity view's findings: one of each kind (a call outside a policy, a tool new to a
//! warm identity, secrets in a prompt, provider spend no log explains) listed newest first,
//! `f` and the arrows to one, Enter opening the record behind it, and the planted secrets
//! never on screen.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokentop::app::{AckChange, App, Msg};
use tokentop::engine::Engine;
use tokentop::engine::alerts::AlertKind;
use tokentop::engine::snapshot::View;
use tokentop::event::{Event, Exposed, Origin, TimeMs, ToolCall};
use tokentop::live;
use tokentop::secrets::{FingerprintKey, scan_json};
use tokentop::source::origin::Origins;
use tokentop::theme::Theme;

use crate::common::{MIN, event};
use crate::provider_live::{AUG1, DAY, H, day_usage, engine, logged};

const GITHUB: &str = "ghp_R7x9Kq2LmW4vT8nB3cY6hJ1pF5sD0gZaQeUi";
const AWS: &str = "AKIAZ3MHQ4XR7TWPLK2D";
/// 03:00 on 2 August: the 1 August ledger has settled.
const NOW: TimeMs = AUG1 + DAY + 3 * H;

const POLICY: &str = r#"
[[policy]]
name = "no shell for payments"
identity = "payments"
deny = ["Bash"]
"#;

/// A request of `payments-svc` at `time` calling `tool`, read from `origin`.
fn call(time: TimeMs, n: u64, tool: &str, origin: Option<Origin>) -> Event {
    let mut e = event("payments-svc", time, 100, 10);
    e.tools = vec![ToolCall::new(Some(format!("toolu_{n}")), tool.into())];
    e.origin = origin;
    e
}

/// The transcript the records are read back from: a prompt with two planted secrets, and
/// the response that first called Bash. Returns their lines and origins.
fn transcript(dir: &Path, origins: &Origins) -> [(String, Origin); 2] {
    let prompt = format!(
        r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"text","text":"deploy with GITHUB_TOKEN={GITHUB} and AWS_ACCESS_KEY_ID={AWS}"}}]}},"timestamp":"2026-08-02T02:58:00Z","uuid":"u-1"}}"#
    );
    let bash = r#"{"type":"assistant","message":{"role":"assistant","content":[{"type":"tool_use","id":"toolu_b","name":"Bash","input":{"command":"rm -rf build"}}]},"timestamp":"2026-08-02T02:55:00Z","uuid":"a-1"}"#;
    let path = dir.join("s1.jsonl");
    std::fs::write(&path, format!("{prompt}\n{bash}\n")).expect("write");
    let id = origins.register_file(&path);
    let second = prompt.len() as u64 + 1;
    [
        (prompt.clone(), Origin::new(id, 0, prompt.as_bytes())),
        (bash.to_string(), Origin::new(id, second, bash.as_bytes())),
    ]
}

/// `payments` with one finding of each kind, at [`NOW`], and where the Bash response was
/// read.
fn scenario(dir: &Path, origins: &Origins) -> (Engine, Origin) {
    let [(prompt, at_prompt), (_, at_bash)] = transcript(dir, origins);
    let mut e = engine(POLICY);
    // $10 billed on 1 August, $3 of it logged.
    e.apply_provider(day_usage(AUG1, "key_pay", 4_000_000));
    logged(&mut e, "2026-08-01T12:00:00Z", 3.0);
    // An hour of work from 01:00 warms it up; Bash, first called while it learned its
    // tools, is nothing new, but outside its policy.
    let start = AUG1 + DAY + H;
    e.advance(start);
    e.ingest(&call(start + MIN, 1, "Bash", None));
    for m in 0..60 {
        e.advance(start + m * MIN);
        e.ingest(&call(start + m * MIN, 100 + m as u64, "Read", None));
    }
    // Then, live: a tool new to it, Bash again (a second episode), and secrets.
    for (at, n, tool, origin) in [
        (NOW - 10 * MIN, 200, "WebFetch", None),
        (NOW - 5 * MIN, 201, "Bash", Some(at_bash)),
        (NOW - 4 * MIN, 202, "Bash", None),
    ] {
        e.advance(at);
        e.ingest(&call(at, n, tool, origin));
    }
    e.advance(NOW - 2 * MIN);
    let mut said = event("payments-svc", NOW - 2 * MIN, 0, 0);
    said.flags.no_usage = true;
    said.origin = Some(at_prompt);
    said.secrets = Some(Box::new(Exposed {
        found: scan_json(&prompt, &FingerprintKey::from_bytes([7; 32])),
    }));
    e.ingest(&said);
    e.advance(NOW);
    (e, at_bash)
}

struct Screen {
    engine: Engine,
    app: App,
}

impl Screen {
    fn new(engine: Engine, width: u16, height: u16) -> Self {
        let mut app = App::new("logs".into(), engine.snapshot(None));
        app.update(Msg::Area(Rect::new(0, 0, width, height)));
        let mut screen = Screen { engine, app };
        screen.key(KeyCode::Enter);
        assert_eq!(screen.app.focus(), Some("payments"));
        screen
    }

    fn key(&mut self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        live::update(&self.engine, &mut self.app, Msg::Key(key));
    }

    fn draw(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| tokentop::ui::render(frame, &self.app, &Theme::builtin()))
            .expect("draw");
        format!("{}", terminal.backend())
    }
}

#[test]
fn the_snapshot_lists_each_finding_with_its_record_and_never_a_value() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    let (e, at_bash) = scenario(dir.path(), &origins);
    let view = View {
        focus: Some("payments"),
        ..View::default()
    };
    let d = e.snapshot_with(&view).detail.expect("detail");
    let kinds: Vec<(AlertKind, Option<u64>)> =
        d.findings.iter().map(|f| (f.kind, f.count)).collect();
    assert_eq!(
        kinds,
        [
            (AlertKind::Secret, Some(1)),
            (AlertKind::Secret, Some(1)),
            (AlertKind::Policy, Some(2)),
            (AlertKind::NewTool, Some(1)),
            (AlertKind::Unattributed, None),
            (AlertKind::Policy, Some(1)),
        ],
        "newest first: {:#?}",
        d.findings
    );
    let unattributed = &d.findings[4];
    assert_eq!(unattributed.day.as_deref(), Some("2026-08-01"));
    assert!((unattributed.usd.expect("usd") - 7.0).abs() < 1e-9);
    let policy = &d.findings[2];
    assert_eq!(
        (policy.tool.as_deref(), policy.policy.as_deref()),
        (Some("Bash"), Some("no shell for payments"))
    );
    let origin = |i: usize| d.findings[i].record.and_then(|r| r.origin);
    assert_eq!(origin(2), Some(at_bash), "the run's first call's line");
    assert_eq!(origin(1).map(|o| o.offset), Some(0), "the prompt's line");
    assert_eq!(origin(3), None, "WebFetch's first call has no record kept");
    assert_eq!(origin(4), None, "provider spend has no line");
    let ended = &d.findings[5];
    assert_eq!(
        ended.ended_at,
        Some(AUG1 + DAY + H + 11 * MIN),
        "Bash while warming up"
    );
    assert!(d.alerts.iter().all(|a| a.kind != AlertKind::Policy));
    let json = serde_json::to_string(&d).expect("json");
    assert!(!json.contains(GITHUB) && !json.contains(AWS), "{json}");
}

#[test]
fn the_identity_view_lists_its_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    for (width, height) in [(160, 40), (80, 40)] {
        let (e, _) = scenario(dir.path(), &origins);
        let screen = Screen::new(e, width, height);
        let drawn = screen.draw(width, height);
        insta::assert_snapshot!(format!("identity_findings_{width}x{height}"), drawn);
        for shown in [
            "FINDING",
            "no shell for payments",
            "unattributed on 2026-08-01",
        ] {
            assert!(drawn.contains(shown), "{shown} missing:\n{drawn}");
        }
        assert!(!drawn.contains(GITHUB) && !drawn.contains(AWS), "{drawn}");
    }
}

#[test]
fn f_then_enter_opens_the_record_behind_a_finding_redacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    let (e, at_bash) = scenario(dir.path(), &origins);
    let mut screen = Screen::new(e, 160, 48);
    assert!(!screen.app.in_findings());
    screen.key(KeyCode::Char('f'));
    assert!(screen.app.in_findings(), "f moves the keys to the findings");
    // Down to the second secret (the GitHub token), and Enter.
    screen.key(KeyCode::Down);
    assert_eq!(screen.app.finding_cursor(), 1);
    screen.key(KeyCode::Enter);
    let finding = screen.app.finding_popup().expect("popup").clone();
    assert_eq!(finding.kind, AlertKind::Secret);
    let wanted = screen.app.wanted_record().expect("its line is wanted");
    assert_eq!(wanted.0.offset, 0, "the prompt where it was first seen");
    let waiting = screen.draw(160, 48);
    assert!(waiting.contains("record        reading…"), "{waiting}");
    assert!(screen.app.update(live::fetch_record(&origins, wanted)));
    assert!(screen.app.wanted_record().is_none(), "fetched once");
    let drawn = screen.draw(160, 48);
    let what = format!(
        "{} in message.content[0].text",
        finding.secret.as_ref().expect("note").secret_type
    );
    for shown in [
        " finding 2 of 6 ",
        "finding       crit secret",
        what.as_str(),
        "identity      payments",
        "count         seen 1 time",
        "started       2026-08-02T02:58:00.000Z (2m ago)",
        "s1.jsonl, byte 0 (secrets redacted)",
        "\"type\": \"user\"",
        "Esc closes",
    ] {
        assert!(drawn.contains(shown), "{shown} missing:\n{drawn}");
    }
    for planted in [GITHUB, AWS, &GITHUB[4..20], &AWS[4..]] {
        assert!(!drawn.contains(planted), "{planted} on screen:\n{drawn}");
    }
    // `]` steps to the policy finding: its first call's line is read next.
    screen.key(KeyCode::Char(']'));
    let policy = screen.app.finding_popup().expect("popup");
    assert_eq!(policy.kind, AlertKind::Policy);
    assert_eq!(screen.app.wanted_record().map(|w| w.0), Some(at_bash));
    let wanted = screen.app.wanted_record().expect("wanted");
    assert!(screen.app.update(live::fetch_record(&origins, wanted)));
    let drawn = screen.draw(160, 48);
    assert!(
        drawn.contains("Bash outside \"no shell for payments\""),
        "{drawn}"
    );
    assert!(drawn.contains("count         2 calls"), "{drawn}");
    assert!(drawn.contains("\"command\": \"rm -rf build\""), "{drawn}");
    // Esc closes the popup, f goes back to the latest requests, Esc leaves the view.
    screen.key(KeyCode::Esc);
    assert!(screen.app.finding_popup().is_none());
    assert!(screen.app.focus().is_some());
    screen.key(KeyCode::Char('f'));
    assert!(!screen.app.in_findings());
    screen.key(KeyCode::Enter);
    assert!(
        screen.app.event_popup().is_some(),
        "Enter opens a request again"
    );
}

#[test]
fn x_in_the_findings_acknowledges_the_selected_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    let (e, _) = scenario(dir.path(), &origins);
    let mut screen = Screen::new(e, 160, 40);
    screen.key(KeyCode::Char('f'));
    screen.key(KeyCode::End);
    screen.key(KeyCode::Char('x'));
    let d = screen.app.detail().expect("detail");
    let acked: Vec<bool> = d
        .findings
        .iter()
        .map(|f| screen.app.finding_acknowledged(f))
        .collect();
    assert_eq!(acked, [false, false, false, false, false, true]);
    let kept = screen.app.take_ack_changes();
    assert!(
        matches!(&kept[..], [AckChange::Acknowledged { key, .. }]
            if key.kind == "policy" && key.subject == "payments · Bash · no shell for payments"),
        "kept by kind and subject for the store: {kept:?}"
    );
    let drawn = screen.draw(160, 40);
    let line = drawn
        .lines()
        .find(|l| l.contains("ended") || l.contains("1h ago"))
        .filter(|l| l.contains("policy"))
        .expect("the ended policy finding's line");
    assert!(line.contains("ack"), "{line}");
    screen.key(KeyCode::Char('x'));
    assert!(
        !screen
            .app
            .finding_acknowledged(&screen.app.detail().expect("d").findings[5])
    );
}

#[test]
fn a_click_selects_a_finding_and_a_double_click_opens_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    let (e, at_bash) = scenario(dir.path(), &origins);
    let mut screen = Screen::new(e, 160, 40);
    let drawn = screen.draw(160, 40);
    let (row, line) = drawn
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("policy       Bash"))
        .expect("the open policy finding's line");
    // Lines are drawn quoted: the quote is not a column.
    let at = line.find("Bash").expect("column");
    let column = (line[..at].chars().count() - 1) as u16;
    let mut click = |at_ms: i64| {
        let event = MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row: row as u16,
            modifiers: KeyModifiers::NONE,
        };
        live::update(&screen.engine, &mut screen.app, Msg::Mouse { event, at_ms })
    };
    assert!(click(1_000));
    assert!(click(1_200), "a second press soon after opens it");
    assert!(screen.app.in_findings(), "the keys went to the findings");
    assert_eq!(screen.app.finding_cursor(), 2);
    assert_eq!(screen.app.wanted_record().map(|w| w.0), Some(at_bash));
}
