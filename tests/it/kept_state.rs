//! What the monitor keeps in its state store across a restart, through the path the live
//! loop and engine thread take (`live::restore`, the keeper's outboxes): tools identities
//! called, so that a restart never raises `new_tool` again, and findings acknowledged.

use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokentop::app::{AckChange, App, FindingKey, Msg};
use tokentop::engine::Engine;
use tokentop::engine::alerts::{Alert, AlertKind, Change};
use tokentop::live::{Keep, Kept, restore};
use tokentop::source::Feed;
use tokentop::state::Store;

use crate::budgets::engine_with;
use crate::common::{MIN, NOON};
use crate::known_tools::call;

/// Long enough for any write to finish; `finish` returns as soon as the keeper is done.
const DONE: Duration = Duration::from_secs(60);

/// A run starting on the store at `path`: the engine takes what it kept.
fn start(path: &Path, engine: &mut Engine) -> (Kept, Receiver<Feed>) {
    let (warn, warnings) = sync_channel(64);
    let store = Store::open(path).expect("open the store");
    (restore(store, engine, &warn), warnings)
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
    assert_eq!(kept.acknowledged, std::slice::from_ref(&key));
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
