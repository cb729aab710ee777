//! Alert states on screen: coloured rows, the header's counts, the alerts pane and the
//! full-screen list, acknowledging. Driven through `live::update` like the other views;
//! the text is snapshotted, and the colours that carry the meaning are checked cell by cell.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier};
use tokentop::engine::Engine;
use tokentop::event::{Event, IdentityKind, TimeMs};

use crate::budgets::{engine_with, spend};
use crate::common::{MIN, NOON, engine, event};
use crate::tui_more::line;
use crate::views::Screen;

const RUNAWAY: &str = "agent-loop-runner";

/// Requests of `name` every `every` ms over `[from, to)`.
fn steady(name: &str, (from, to): (TimeMs, TimeMs), every: TimeMs, size: u64) -> Vec<Event> {
    (from..to)
        .step_by(every as usize)
        .map(|t| {
            let mut ev = event(name, t, size, size / 8);
            ev.identity_kind = IdentityKind::Agent;
            ev
        })
        .collect()
}

/// Feeds `events` in time order, the clock advancing every 5 s up to `NOON`.
fn play(e: &mut Engine, mut events: Vec<Event>, start: TimeMs) {
    events.sort_by_key(|ev| ev.time);
    let mut events = events.into_iter().peekable();
    for t in (start..=NOON).step_by(5_000) {
        while let Some(ev) = events.next_if(|ev| ev.time <= t) {
            e.ingest(&ev);
        }
        e.advance(t);
    }
}

/// Two hours of four identities; the runaway agent burst once an hour ago (ended) and is
/// bursting again now; the checkout service passed its daily budget's warning, then its
/// limit (the warning ended), and the search service passed its warning three minutes ago.
pub fn alerting(height: u16) -> Screen {
    let start = NOON - 2 * 60 * MIN;
    let mut events = Vec::new();
    let services = [
        ("svc-checkout", 2_000, 1_500),
        ("svc-search-rag", 1_500, 3_000),
        ("key_prod_web", 3_000, 2_500),
    ];
    for (name, every, size) in services {
        events.extend(steady(name, (start, NOON), every, size));
    }
    let quiet = |from, to| steady(RUNAWAY, (from, to), 6_000, 2_000);
    let runaway = |from, to| steady(RUNAWAY, (from, to), 300, 20_000);
    events.extend(quiet(start, NOON - 60 * MIN));
    events.extend(runaway(NOON - 60 * MIN, NOON - 58 * MIN));
    events.extend(quiet(NOON - 58 * MIN, NOON - 40_000));
    events.extend(runaway(NOON - 40_000, NOON));
    // What the services spend in those two hours sets the limits: round shares of them.
    let mut plain = engine();
    play(&mut plain, events.clone(), start);
    let spent = |name: &str| {
        let s = plain.snapshot(None);
        s.identities
            .iter()
            .find(|r| r.name == name)
            .map_or(0.0, |r| r.today.cost_usd)
    };
    let config = format!(
        r#"
[[budget]]
name = "checkout daily"
identity = "svc-checkout"
period = "day"
limit_usd = {checkout}

[[budget]]
name = "search daily"
identity = "svc-search-rag"
period = "day"
limit_usd = {search}
"#,
        checkout = spent("svc-checkout") / 1.25,
        search = spent("svc-search-rag") / 0.82,
    );
    let mut e = engine_with(&config);
    play(&mut e, events, start);
    Screen::new("demo", e, height)
}

/// The style of the first cell of the row whose text contains `needle`.
fn row_style(t: &Terminal<TestBackend>, needle: &str) -> ratatui::style::Style {
    let buffer = t.backend().buffer();
    let width = buffer.area.width as usize;
    let text: Vec<String> = buffer
        .content
        .chunks(width)
        .map(|row| row.iter().map(|c| c.symbol()).collect())
        .collect();
    let y = text
        .iter()
        .position(|l| l.contains(needle))
        .expect("row on screen");
    buffer.content[y * width].style()
}

#[test]
fn alerting_rows_and_header_80x24() {
    let screen = alerting(24);
    let t = screen.draw(80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("alerts 2 crit 1 warn"), "{text}");
    assert!(text.contains("▲ agent-loop"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alerting_rows_and_header_160x48() {
    insta::assert_snapshot!(alerting(48).draw(160, 48).backend());
}

#[test]
fn critical_rows_stand_out_and_dim_once_acknowledged() {
    let mut screen = alerting(24);
    screen.press('n');
    screen.press('g');
    assert_eq!(screen.selected(), Some(RUNAWAY));
    screen.press('j');
    let style = row_style(&screen.draw(160, 48), RUNAWAY);
    assert_eq!((style.fg, style.bg), (Some(Color::White), Some(Color::Red)));
    assert!(style.add_modifier.contains(Modifier::BOLD));
    let warn = row_style(&screen.draw(160, 48), "svc-search-rag");
    assert_eq!(warn.fg, Some(Color::Yellow));
    // x on the runaway's row acknowledges its alerts: still marked, no longer loud.
    screen.press('g');
    screen.press('x');
    screen.press('j');
    let t = screen.draw(160, 48);
    let style = row_style(&t, RUNAWAY);
    assert_eq!(style.fg, Some(Color::Indexed(95)));
    assert_ne!(style.bg, Some(Color::Red));
    assert!(format!("{}", t.backend()).contains(&format!("△ {RUNAWAY}")));
    assert_eq!(
        screen.app.unacknowledged().critical,
        1,
        "the budget is still loud"
    );
    screen.press('g');
    screen.press('x');
    assert_eq!(
        screen.app.unacknowledged().critical,
        2,
        "x again takes it back"
    );
}

/// The cursor on a row in trouble: the identity keeps its severity's colours, the rest
/// of the row shows the selection.
#[test]
fn the_selection_keeps_the_rows_severity_in_sight() {
    let mut screen = alerting(24);
    screen.press('n');
    screen.press('g');
    assert_eq!(screen.selected(), Some(RUNAWAY));
    let t = screen.draw(160, 48);
    let name = row_style(&t, RUNAWAY);
    assert_eq!((name.fg, name.bg), (Some(Color::White), Some(Color::Red)));
    let buffer = t.backend().buffer();
    let width = buffer.area.width as usize;
    let row = |y: usize| &buffer.content[y * width..(y + 1) * width];
    let y = (0..buffer.area.height as usize)
        .find(|&y| {
            row(y)
                .iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .contains(RUNAWAY)
        })
        .expect("row on screen");
    // The table's last cell, left of the side panel's border.
    let end = row(y)
        .iter()
        .position(|c| c.symbol() == "│")
        .unwrap_or(width);
    let last = row(y)[end - 1].style();
    assert_eq!((last.fg, last.bg), (Some(Color::Black), Some(Color::Cyan)));
}

/// Unasked, the pane opens on the active alerts (critical first), each reason whole over
/// as many lines as it takes, and the table keeps its rows.
#[test]
fn alerts_pane_80x24() {
    let screen = alerting(24);
    let t = screen.draw(80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("alerts: 3 active"), "{text}");
    assert!(!text.contains("ended"), "only the active ones: {text}");
    for row in [
        "svc-search-rag",
        "agent-loop-runner",
        "key_prod_web",
        "svc-checkout",
    ] {
        assert!(text.contains(row), "{row} missing:\n{text}");
    }
    // Every reason ends on screen with its start, wrapped under itself.
    assert_eq!(text.matches("(since").count(), 3, "{text}");
    for start in ["11:59)", "11:36)", "11:57)"] {
        assert!(text.contains(start), "{start} missing:\n{text}");
    }
    let first = (0..24)
        .find(|&y| line(&t, y).starts_with("▲ crit"))
        .expect("pane");
    assert!(
        line(&t, first).contains("agent-loop-runner"),
        "critical first"
    );
    assert!(line(&t, first + 1).starts_with(&" ".repeat(35)), "wrapped");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alerts_pane_160x48() {
    let t = alerting(48).draw(160, 48);
    let text = format!("{}", t.backend());
    for shown in ["over budget", "budget warn", "burst", "x its usual"] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
}

/// When the pane would leave the table too few rows, one line shows the worst alert.
#[test]
fn a_short_terminal_gets_the_worst_alert_on_one_line() {
    let screen = alerting(14);
    let t = screen.draw(80, 14);
    let strip = line(&t, 12);
    assert!(
        strip.starts_with("▲ crit burst agent-loop-runner: ") && strip.contains("+2 more: a, A"),
        "{strip}"
    );
    assert!(strip.contains('…'), "cut visibly: {strip}");
    assert!(!format!("{}", t.backend()).contains("alerts: 3 active"));
}

/// `a` overrides the pane's own choice for the rest of the session, either way.
#[test]
fn a_hides_the_pane_and_shows_it_again_for_good() {
    let mut screen = alerting(24);
    screen.draw(80, 24);
    screen.press('a');
    let hidden = format!("{}", screen.draw(80, 24).backend());
    assert!(!hidden.contains("alerts: 3 active"), "{hidden}");
    tokentop::live::refresh(&screen.engine, &mut screen.app);
    let still = format!("{}", screen.draw(80, 24).backend());
    assert!(
        !still.contains("alerts: 3 active"),
        "a new snapshot keeps it hidden"
    );
    screen.press('a');
    let shown = format!("{}", screen.draw(80, 24).backend());
    assert!(shown.contains("alerts: 3 active"), "{shown}");
    // Opened by hand it lists the ended alerts too, and grows from the strip.
    let mut short = alerting(14);
    short.draw(80, 14);
    short.press('a');
    let t = short.draw(80, 14);
    assert!(format!("{}", t.backend()).contains("alerts: 3 active"));
}

#[test]
fn alert_list_80x24() {
    let mut screen = alerting(24);
    screen.key(KeyCode::Char('A'));
    screen.press('j');
    screen.press('x');
    let t = screen.draw(80, 24);
    let status = format!("{}", t.backend());
    assert!(status.contains(" alerts  ? help q quit"), "{status}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn alert_list_160x48() {
    let mut screen = alerting(48);
    screen.key(KeyCode::Char('A'));
    screen.press('j');
    screen.press('x');
    insta::assert_snapshot!(screen.draw(160, 48).backend());
}

#[test]
fn the_alert_list_acknowledges_and_leads_back_to_the_identity() {
    let mut screen = alerting(24);
    screen.key(KeyCode::Char('A'));
    let newest = screen.app.snapshot.alerts[0].clone();
    assert!(newest.active());
    screen.press('x');
    assert!(screen.app.is_acknowledged(&newest));
    // The acknowledgement survives a new snapshot; the alert stays in the list.
    tokentop::live::refresh(&screen.engine, &mut screen.app);
    assert!(screen.app.is_acknowledged(&newest));
    assert_eq!(screen.app.snapshot.alerts.len(), 5);
    screen.press('G');
    let last = &screen.app.snapshot.alerts[4];
    assert!(!last.active(), "ended alerts come last");
    assert_eq!(last.identities, ["svc-checkout"]);
    screen.key(KeyCode::Enter);
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.screen(), tokentop::keymap::Screen::Table);
    assert_eq!(screen.selected(), Some("svc-checkout"));
    screen.key(KeyCode::Char('A'));
    screen.key(KeyCode::Esc);
    assert_eq!(screen.app.screen(), tokentop::keymap::Screen::Table);
}

/// Enter on an alert of the list opens it in full; Esc closes only that; Enter again goes
/// to the identity.
#[test]
fn the_alert_list_opens_an_alert_in_full() {
    let mut screen = alerting(24);
    screen.key(KeyCode::Char('A'));
    screen.key(KeyCode::Enter);
    let alert = screen.app.alert_popup().expect("popup").clone();
    assert_eq!(
        alert.identities,
        [RUNAWAY],
        "the list opens on its first alert"
    );
    let t = screen.draw(80, 24);
    let text = format!("{}", t.backend());
    for shown in [
        "crit burst · agent-loop-runner",
        "peak",
        "threshold",
        "usual",
        "identities",
        "started",
        "peak at",
        "still active",
        "(since 11:59)",
    ] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
    screen.key(KeyCode::Esc);
    assert!(screen.app.alert_popup().is_none());
    assert_eq!(screen.app.screen(), tokentop::keymap::Screen::Alerts);
    screen.key(KeyCode::Enter);
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.screen(), tokentop::keymap::Screen::Table);
    assert_eq!(screen.selected(), Some(RUNAWAY));
}

#[test]
fn bell_rings_for_critical_starts_only() {
    let mut e = engine_with(
        "[[budget]]\nname = \"b\"\nidentity = \"x\"\nperiod = \"day\"\nlimit_usd = 50\n",
    );
    e.ingest(&spend("x", NOON - 1_000, 41.0));
    e.advance(NOON);
    assert!(!tokentop::live::rings_bell(&e.take_alert_events()));
    e.ingest(&spend("x", NOON + 1_000, 10.0));
    e.advance(NOON + 2_000);
    assert!(tokentop::live::rings_bell(&e.take_alert_events()));
}
