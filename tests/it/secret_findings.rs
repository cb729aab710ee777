//! Secrets from raw records to what the engine holds: the scanner on a real-shaped line,
//! then the engine's findings.

use std::sync::Arc;

use tokentop::engine::alerts::AlertKind;
use tokentop::event::TimeMs;
use tokentop::parse::{LineContext, LineParser};
use tokentop::secrets::{FingerprintKey, Ignore, Scanner};

use crate::common::{MIN, NOON, engine};

fn scanner() -> Arc<Scanner> {
    Arc::new(Scanner::new(
        FingerprintKey::from_bytes([6; 32]),
        Ignore::default(),
    ))
}

/// A Claude Code tool result that prints a token, the way Claude Code writes it twice (in
/// the message and in `toolUseResult`), at `time`.
fn tool_result(token: &str, time: TimeMs) -> String {
    let ts = jiff::Timestamp::from_millisecond(time).expect("time");
    format!(
        r#"{{"parentUuid":"p","isSidechain":false,"cwd":"/home/dev/shop","sessionId":"s1","type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"toolu_1","content":"NPM_TOKEN={token}"}}]}},"toolUseResult":{{"stdout":"NPM_TOKEN={token}","stderr":""}},"uuid":"u","timestamp":"{ts}"}}"#
    )
}

#[test]
fn a_secret_printed_twice_in_one_record_is_one_sighting_of_a_project_shown_by_path() {
    let token = format!("glpat-{}", "Qw3Rt5Yu7Io9Pa1Sd2Fg");
    let line = tool_result(&token, NOON);
    let scanner = scanner();
    let found = scanner.scan(&line);
    assert_eq!(found.len(), 2, "the message and toolUseResult");
    let ctx = LineContext {
        project_dir: Some("-home-dev-shop"),
        project_root: None,
        facts: None,
        read_time: NOON,
    };
    let mut carrier = LineParser::default()
        .carrier(line.as_bytes(), &ctx)
        .expect("a turn");
    carrier.secrets = Some(Box::new(tokentop::event::Exposed { found }));
    let mut engine = engine();
    engine.advance(NOON);
    engine.ingest(&carrier);
    engine.advance(NOON + MIN);
    let snapshot = engine.snapshot(None);
    let secret: Vec<_> = snapshot
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Secret)
        .collect();
    assert_eq!(secret.len(), 1);
    assert_eq!(secret[0].value, 1.0, "one record, one sighting");
    assert!(
        !serde_json::to_string(&snapshot)
            .expect("json")
            .contains(&token)
    );
    // An identity only a prompt named is still shown by its project's path.
    let row = &snapshot.identities[0];
    assert_eq!(row.name, "-home-dev-shop");
    assert_eq!(row.display.as_deref(), Some("/home/dev/shop"));
    assert_eq!(snapshot.ingest.events, 0, "a carrier is no event");
}
