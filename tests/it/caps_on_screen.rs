//! What a long run must keep in sight: the request count in the header, and the row that
//! folds identities past the cap.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokentop::app::Msg;
use tokentop::engine::{MAX_IDENTITIES, OTHER_IDENTITY};
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;

use crate::common::{NOON, copy, engine, event};
use crate::views::Screen;

fn text(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

#[test]
fn the_header_keeps_the_request_count_beside_a_long_error_at_160_columns() {
    let mut e = engine();
    e.ingest(&event("svc", NOON - 1_000, 10, 1));
    let mut screen = Screen::new("demo", e, 48);
    let mut broken = SourceHealth::new("/var/log/llm/*.jsonl");
    broken.last_error = Some(format!(
        "/var/log/llm/{}: permission denied",
        "x".repeat(80)
    ));
    broken.reject(RejectReason::InvalidJson, b"{oops");
    screen
        .app
        .update(Msg::Health(vec![SourceHealth::new("demo"), broken]));
    let mut snapshot = (*screen.app.snapshot).clone();
    snapshot.totals.requests = 2_000_000;
    screen
        .app
        .update(Msg::Snapshot(std::sync::Arc::new(snapshot)));
    let drawn = text(&screen.draw(160, 48));
    assert!(drawn.contains("sources degraded"), "{drawn}");
    assert!(drawn.contains("2,000,000 requests"), "{drawn}");
}

#[test]
fn at_the_identity_cap_the_folding_row_is_on_screen_with_its_count() {
    let mut e = engine();
    // The capped identities spend more than the rest, so "(other)" sorts last.
    for i in 0..MAX_IDENTITIES {
        e.ingest(&event(&format!("id-{i:05}"), NOON - 1_000, 10_000, 10));
    }
    for i in 0..3 {
        e.ingest(&event(&format!("late-{i}"), NOON - 1_000, 1, 1));
    }
    // Two copies of one response: one request, not two.
    for output in [1, 2] {
        e.ingest(&copy(
            "late-copied",
            NOON - 1_000,
            "msg_1:req_1",
            output,
            None,
            output == 2,
        ));
    }
    let screen = Screen::new("demo", e, 24);
    assert_eq!(screen.app.snapshot.ingest.folded, 5, "events folded");
    for width in [80, 160] {
        let drawn = text(&screen.draw(width, 24));
        assert!(
            drawn.contains(&format!("{OTHER_IDENTITY}: 4 requests of identities past")),
            "{drawn}"
        );
    }
}
