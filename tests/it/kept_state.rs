//! What the monitor keeps in its state store across a restart, through the path the live
//! loop and engine thread take (`live::restore`, the keeper's outboxes): tools identities
//! called and secrets they exposed, so that a restart never raises `new_tool` or `secret`
//! again, and findings acknowledged, which cover the episodes begun by then.

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokentop::app::{AckChange, App, FindingKey, Msg};
use tokentop::config::secrets::SecretsSettings;
use tokentop::engine::Engine;
use tokentop::engine::alerts::{Alert, AlertKind, Change};
use tokentop::event::{Event, Exposed, TimeMs};
use tokentop::live::{Keep, Kept, restore};
use tokentop::secrets::Scanner;
use tokentop::source::Feed;
use tokentop::state::{Store, scanner_for_monitor};

use crate::budgets::engine_with;
use crate::common::{MIN, NOON, event};
use crate::known_tools::call;

/// Long enough for any write to finish; `finish` returns as soon as the keeper is done.
const DONE: Duration = Duration::from_secs(60);

/// A run starting on the store at `path`: the engine takes what it kept.
fn start(path: &Path, engine: &mut Engine) -> (Kept, Receiver<Feed>) {
    let (warn, warnings) = sync_channel(64);
    let store = Store::open(path).expect("open the store");
    (restore(store, engine, &warn), warnings)
}

/// As [`start`], with the scanner the monitor builds on that store (under its key).
fn start_scanning(path: &Path, engine: &mut Engine) -> (Kept, Receiver<Feed>, Arc<Scanner>) {
    let (warn, warnings) = sync_channel(64);
    let mut store = Store::open(path).expect("open the store");
    let (scanner, warning) = scanner_for_monitor(&SecretsSettings::default(), Some(&mut store));
    assert_eq!(warning, None);
    let scanner = scanner.expect("scanning is on");
    (restore(store, engine, &warn), warnings, scanner)
}

/// A tool call of `who` at `time` whose command holds a GitHub token, scanned as the
/// monitor scans a record.
fn leak(scanner: &Scanner, who: &str, time: TimeMs) -> Event {
    let record = r#"{"message":{"content":[{"type":"tool_use","name":"Bash","input":{"command":"git push https://ghp_Zq4Rt8Wm2Kx6Pv1Ny5Lb9Hc3Jd7Fs0Ga4Te8U@github.com/o/r"}}]}}"#;
    let found = scanner.scan(record);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut e = event(who, time, 100, 10);
    e.secrets = Some(Box::new(Exposed { found }));
    e
}

fn secret_starts(e: &mut Engine) -> Vec<String> {
    e.take_alert_events()
        .into_iter()
        .filter(|a| a.change == Change::Started && a.alert.kind == AlertKind::Secret)
        .flat_map(|a| a.alert.identities)
        .collect()
}

#[test]
fn a_restart_on_the_same_store_raises_no_secret_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokentop").join("state.db");

    let mut first = engine_with("");
    let (kept, warnings, scanner) = start_scanning(&path, &mut first);
    let keeper = kept.keeper.expect("a keeper");
    let mut learnt = keeper.outbox();
    let t0 = NOON - 70 * MIN;
    first.advance(t0 + 5 * MIN);
    first.ingest(&leak(&scanner, "otel-user", t0 + 5 * MIN));
    first.advance(t0 + 6 * MIN);
    assert_eq!(secret_starts(&mut first), ["otel-user"]);
    learnt.send_learnt(&mut first);
    learnt.flush();
    keeper.finish(DONE);
    let store = Store::open(&path).expect("reopen");
    let kept = store.seen_secrets().expect("read");
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].identity.as_str(), kept[0].secret_type.as_str()),
        ("otel-user", "github_token")
    );
    assert_eq!(kept[0].first_seen, t0 + 5 * MIN);
    drop(store);

    // The next day, over OTLP (no history read again): the same secret from the same
    // identity is known; from another identity it is a finding of its own.
    let mut again = engine_with("");
    let (kept, _, scanner) = start_scanning(&path, &mut again);
    let t1 = NOON + 20 * 60 * MIN;
    again.advance(t1 + MIN);
    again.ingest(&leak(&scanner, "otel-user", t1 + MIN));
    again.ingest(&leak(&scanner, "otel-other", t1 + 2 * MIN));
    again.advance(t1 + 3 * MIN);
    assert_eq!(
        secret_starts(&mut again),
        ["otel-other"],
        "otel-user's was known"
    );
    drop(kept);
    assert!(warnings.try_recv().is_err(), "the store gave no trouble");
}

/// An hour of `who` calling Read each minute from `start`, the clock following, as events
/// arrive live (over OTLP: no history is read again after a restart).
fn live_hour(e: &mut Engine, who: &str, start: i64) {
    for m in 0..60 {
        e.ingest(&call(who, start + m * MIN, m as u64, "Read"));
        e.advance(start + m * MIN);
    }
}

fn new_tool_starts(e: &mut Engine) -> Vec<String> {
    e.take_alert_events()
        .into_iter()
        .filter(|a| a.change == Change::Started && a.alert.kind == AlertKind::NewTool)
        .filter_map(|a| a.alert.tool)
        .collect()
}

#[test]
fn a_restart_on_the_same_store_raises_no_tool_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokentop").join("state.db");

    let mut first = engine_with("");
    let (kept, warnings) = start(&path, &mut first);
    let keeper = kept.keeper.expect("a keeper");
    let mut learnt = keeper.outbox();
    let t0 = NOON - 70 * MIN;
    live_hour(&mut first, "otel-user", t0);
    first.ingest(&call("otel-user", t0 + 65 * MIN, 100, "Bash"));
    first.advance(t0 + 66 * MIN);
    assert_eq!(new_tool_starts(&mut first), ["Bash"]);
    learnt.send_learnt(&mut first);
    learnt.flush();
    keeper.finish(DONE);

    // The next morning: the identity warms up again from what arrives live.
    let mut again = engine_with("");
    let (kept, _) = start(&path, &mut again);
    let t1 = NOON + 20 * 60 * MIN;
    live_hour(&mut again, "otel-user", t1);
    again.ingest(&call("otel-user", t1 + 65 * MIN, 200, "Bash"));
    again.ingest(&call("otel-user", t1 + 65 * MIN, 201, "Edit"));
    again.advance(t1 + 66 * MIN);
    assert_eq!(new_tool_starts(&mut again), ["Edit"], "Bash was known");
    drop(kept);
    assert!(warnings.try_recv().is_err(), "the store gave no trouble");
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn keep_acks(app: &mut App, kept: Kept) -> Vec<AckChange> {
    let keeper = kept.keeper.expect("a keeper");
    let mut acks = keeper.outbox();
    let changes = app.take_ack_changes();
    for change in &changes {
        acks.send(Keep::Ack(change.clone()));
    }
    acks.flush();
    keeper.finish(DONE);
    changes
}

fn policy_alert<'a>(app: &'a App, who: &str) -> &'a Alert {
    let alerts = &app.snapshot.alerts;
    alerts
        .iter()
        .find(|a| a.kind == AlertKind::Policy && a.identities == [who])
        .expect("a policy alert")
}

#[test]
fn an_acknowledged_finding_stays_acknowledged_after_a_restart_until_taken_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokentop").join("state.db");
    let policy = "[[policy]]\nname = \"no shell\"\ndeny = [\"Bash\"]\n";
    let key = FindingKey {
        kind: "policy".into(),
        subject: "agent-triage · Bash · no shell".into(),
    };

    let mut first = engine_with(policy);
    let (kept, _) = start(&path, &mut first);
    first.advance(NOON - MIN);
    first.ingest(&call("agent-triage", NOON - 30_000, 1, "Bash"));
    first.advance(NOON);
    let mut app = App::new("first".into(), first.snapshot(None));
    app.restore_acknowledged(kept.acknowledged.clone());
    press(&mut app, KeyCode::Char('x'));
    let acked = policy_alert(&app, "agent-triage").clone();
    assert!(app.is_acknowledged(&acked));
    assert_eq!(
        keep_acks(&mut app, kept),
        [AckChange::Acknowledged {
            key: key.clone(),
            at: NOON
        }]
    );

    // Another run: another alert comes first, so the same finding has another id.
    let mut again = engine_with(policy);
    let (kept, _) = start(&path, &mut again);
    assert_eq!(kept.acknowledged, [(key.clone(), NOON)]);
    again.advance(NOON - MIN);
    again.ingest(&call("agent-other", NOON - 40_000, 1, "Bash"));
    again.ingest(&call("agent-triage", NOON - 30_000, 2, "Bash"));
    again.advance(NOON);
    let mut app = App::new("again".into(), again.snapshot(None));
    app.restore_acknowledged(kept.acknowledged.clone());
    let restored = policy_alert(&app, "agent-triage").clone();
    assert_ne!(restored.id, acked.id);
    assert!(app.is_acknowledged(&restored));
    assert!(!app.is_acknowledged(policy_alert(&app, "agent-other")));
    assert_eq!(
        app.unacknowledged().critical,
        1,
        "only agent-other's is loud"
    );

    // Taken back in the alert list (newest first: agent-triage's): the row is deleted.
    press(&mut app, KeyCode::Char('A'));
    press(&mut app, KeyCode::Char('x'));
    assert!(!app.is_acknowledged(&restored));
    assert_eq!(keep_acks(&mut app, kept), [AckChange::TakenBack(key)]);
    let store = Store::open(&path).expect("reopen");
    assert_eq!(store.acknowledged().expect("read"), []);
}

#[test]
fn an_acknowledgement_covers_the_episodes_begun_by_then_not_later_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tokentop").join("state.db");
    let policy = "[[policy]]\nname = \"no shell\"\ndeny = [\"Bash\"]\n";
    let key = FindingKey {
        kind: "policy".into(),
        subject: "agent-triage · Bash · no shell".into(),
    };
    let bash_at = |e: &mut Engine, time: TimeMs, n: u64| {
        e.advance(time - MIN);
        e.ingest(&call("agent-triage", time, n, "Bash"));
        e.advance(time + MIN);
    };

    let mut first = engine_with(policy);
    let (kept, _) = start(&path, &mut first);
    bash_at(&mut first, NOON, 1);
    let mut app = App::new("first".into(), first.snapshot(None));
    app.restore_acknowledged(kept.acknowledged.clone());
    press(&mut app, KeyCode::Char('x'));
    let at = NOON + MIN;
    let acked = AckChange::Acknowledged {
        key: key.clone(),
        at,
    };
    assert_eq!(keep_acks(&mut app, kept), [acked]);

    // History read again at start holds that episode; an hour later a new one begins.
    let mut again = engine_with(policy);
    let (kept, _) = start(&path, &mut again);
    assert_eq!(kept.acknowledged, [(key.clone(), at)]);
    bash_at(&mut again, NOON, 1);
    again.advance(NOON + 30 * MIN);
    bash_at(&mut again, NOON + 60 * MIN, 2);
    let mut app = App::new("again".into(), again.snapshot(None));
    app.restore_acknowledged(kept.acknowledged.clone());
    let episode = |app: &App, started_at: TimeMs| {
        let alerts = &app.snapshot.alerts;
        let found = alerts
            .iter()
            .find(|a| a.kind == AlertKind::Policy && a.started_at == started_at);
        let all: Vec<_> = alerts.iter().map(|a| (a.kind, a.started_at)).collect();
        found.unwrap_or_else(|| panic!("{all:?}")).clone()
    };
    assert!(app.is_acknowledged(&episode(&app, NOON)), "begun by then");
    let new = episode(&app, NOON + 60 * MIN);
    assert_eq!(new.subject, key.subject);
    assert!(!app.is_acknowledged(&new), "begun later: news");
    assert_eq!(app.unacknowledged().critical, 1);

    // Acknowledging the new episode keeps the later time.
    press(&mut app, KeyCode::Char('x'));
    assert!(app.is_acknowledged(&new));
    let later = AckChange::Acknowledged {
        key: key.clone(),
        at: NOON + 61 * MIN,
    };
    assert_eq!(keep_acks(&mut app, kept), [later]);
    let store = Store::open(&path).expect("reopen");
    let row = (key.kind, key.subject, NOON + 61 * MIN);
    assert_eq!(store.acknowledged().expect("read"), [row]);
}
