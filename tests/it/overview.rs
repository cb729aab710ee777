//! The first screen, as issue 13 asks of it: the header's units and changes, the table's
//! ranges, whose budget a row shows, names, the attention order and the side panel.

use crossterm::event::KeyCode;
use tokentop::app::Msg;
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;

use crate::common::{MIN, NOON};
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

/// Three identities: `solo` has a budget of its own and is in the `search` team with
/// `mate`, whose budget is the team's; `free` has none but the fleet's.
fn three_budgets() -> crate::views::Screen {
    let mut e = crate::budgets::engine_with(
        r#"
[[identity]]
match = { identity = "solo" }
team = "search"
[[identity]]
match = { identity = "mate" }
team = "search"

[[budget]]
name = "solo daily"
identity = "solo"
period = "day"
limit_usd = 100
[[budget]]
name = "search daily"
team = "search"
period = "day"
limit_usd = 40
[[budget]]
name = "everything"
all = true
period = "day"
limit_usd = 1000
"#,
    );
    for (name, usd) in [("solo", 10.0), ("mate", 20.0), ("free", 150.0)] {
        e.ingest(&crate::budgets::spend(name, NOON - 5 * MIN, usd));
    }
    crate::views::Screen::new("budgets", e, 24)
}

/// A fleet budget is the header's: on every row it read as each identity's own.
#[test]
fn rows_show_their_own_budget_and_the_fleets_is_in_the_header() {
    let screen = three_budgets();
    let s = &screen.app.snapshot;
    let row = |name: &str| {
        let r = s.identities.iter().find(|r| r.name == name).expect("row");
        r.budget.as_ref().map(|b| (b.name.as_str(), b.shared))
    };
    // solo: 10% of its own, 75% of the team's: the team's is tighter, and shared.
    assert_eq!(row("solo"), Some(("search daily", true)));
    assert_eq!(row("mate"), Some(("search daily", true)));
    assert_eq!(row("free"), None, "the fleet's budget is nobody's own");
    let everything = s.budgets.iter().find(|b| b.name == "everything");
    assert!(everything.is_some_and(|b| b.fleet));
    let text = lines(&screen, 120, 24);
    assert!(text[1].contains("fleet budget 18%"), "{}", text[1]);
    let free = text
        .iter()
        .find(|l| l.starts_with("free"))
        .expect("free row");
    assert!(!free.contains("18%"), "{free}");
    let mate = text
        .iter()
        .find(|l| l.starts_with("mate"))
        .expect("mate row");
    assert!(mate.contains("75%*"), "shared budgets are marked: {mate}");
}
