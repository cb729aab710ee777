//! The first screen, as issue 13 asks of it: the header's units and changes, the table's
//! ranges, whose budget a row shows, names, the attention order and the side panel.

use crossterm::event::KeyCode;
use tokentop::app::Msg;
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;

use crate::views::busy;

/// The text of the screen, line by line.
fn lines(screen: &crate::views::Screen, width: u16, height: u16) -> Vec<String> {
    let t = screen.draw(width, height);
    let buffer = t.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

/// `1m $189/h` read as a million: the window is written out beside the rate, and each
/// figure carries what it did over the last minute.
#[test]
fn the_header_names_the_rates_window_and_the_last_minutes_change() {
    let screen = busy(48);
    let s = &screen.app.snapshot;
    assert!(s.last_minute.requests > 0 && s.last_minute.cost_usd > 0.0);
    let header = lines(&screen, 160, 48)[..2].join("\n");
    assert!(header.contains("/h (1 min)"), "{header}");
    assert!(!header.contains("1m $"), "{header}");
    let requests = format!(
        "{} requests +{}",
        tokentop::format::int(s.totals.requests),
        s.last_minute.requests
    );
    assert!(header.contains(&requests), "{requests} in\n{header}");
    assert!(header.contains("today $0.76 +$"), "{header}");
}

/// However much the second line has to say, the count of requests read stays at 160.
#[test]
fn the_request_count_stays_in_a_crowded_header_at_160_columns() {
    let mut screen = busy(48);
    let mut failing = SourceHealth::new("/var/log/llm/second/*.jsonl");
    failing.last_error = Some(format!("/var/log/llm/second: {}", "very ".repeat(12)));
    for _ in 0..1_234 {
        failing.reject(RejectReason::InvalidJson, b"{not json");
    }
    screen.app.update(Msg::Health(vec![failing]));
    // A filter that lets every row through still says so.
    screen.press('/');
    screen.press('-');
    screen.key(KeyCode::Enter);
    let header = lines(&screen, 160, 48)[..2].join("\n");
    assert!(header.contains(" requests"), "{header}");
}
