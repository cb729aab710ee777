//! Pause, the sources view and the mouse, driven through `live::update` as the loop does:
//! screens are drawn into a TestBackend, and clicks are aimed at what was drawn.

use crossterm::event::{KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokentop::app::{Msg, SortKey};
use tokentop::engine::Engine;
use tokentop::event::IdentityKind;
use tokentop::keymap::Screen as View;
use tokentop::layout;
use tokentop::live;
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;

use crate::common::{NOON, engine, event};
use crate::views::Screen;

/// Eight identities spending different amounts, so the default order (today's spend) is
/// known: `svc-7` first, `svc-0` last.
fn ingest(e: &mut Engine, at: i64) {
    for i in 0..8u64 {
        ingest_one(e, i, at);
    }
}

/// The requests of `svc-{i}`: `i + 1` of them, 20 s apart, the last a second before `at`.
fn ingest_one(e: &mut Engine, i: u64, at: i64) {
    let name = format!("svc-{i}");
    for k in 0..=i {
        let mut ev = event(
            &name,
            at - (k as i64) * 20_000 - 1_000,
            2_000 * (i + 1),
            300,
        );
        ev.identity_kind = IdentityKind::ServiceAccount;
        e.ingest(&ev);
    }
}

/// The app on a `width` x `height` terminal, told its size as the loop tells it.
fn screen(width: u16, height: u16) -> Screen {
    let mut e = engine();
    ingest(&mut e, NOON);
    let mut screen = Screen::new("demo", e, height);
    resize(&mut screen, width, height);
    screen
}

fn resize(screen: &mut Screen, width: u16, height: u16) {
    let area = Rect::new(0, 0, width, height);
    screen.app.update(Msg::Area(area));
}

fn text(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

/// Line `y` of what was drawn.
pub fn line(t: &Terminal<TestBackend>, y: u16) -> String {
    let buffer = t.backend().buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect()
}

// ---- pause ----

#[test]
fn paused_header_80x24() {
    let mut s = screen(80, 24);
    s.press('p');
    assert!(s.app.paused());
    let t = s.draw(80, 24);
    assert!(
        line(&t, 0).contains("⏸ PAUSED 12:00:00 UTC"),
        "{}",
        text(&t)
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn paused_header_160x48() {
    let mut s = screen(160, 48);
    s.press('p');
    insta::assert_snapshot!(s.draw(160, 48).backend());
}

#[test]
fn the_paused_indicator_is_styled_by_the_theme() {
    let mut s = screen(80, 24);
    s.press('p');
    let t = s.draw(80, 24);
    let row = line(&t, 0);
    let x = row.chars().position(|c| c == '⏸').expect("indicator") as u16;
    let style = t.backend().buffer()[(x, 0)].style();
    let want = tokentop::theme::Theme::builtin().paused();
    assert_eq!((style.fg, style.add_modifier), (want.fg, want.add_modifier));
}

#[test]
fn pause_keeps_the_shown_snapshot_while_the_engine_moves_on() {
    let mut s = screen(80, 24);
    let live_before = text(&s.draw(80, 24));
    s.press('p');
    let frozen = text(&s.draw(80, 24));
    assert!(frozen.contains("⏸ PAUSED 12:00:00"));
    // Ingest goes on, the engine advances and the loop hands the app new snapshots.
    let later = NOON + 5_000;
    s.engine
        .ingest(&event("svc-new", later - 500, 900_000, 9_000));
    s.engine.advance(later);
    live::refresh(&s.engine, &mut s.app);
    live::refresh(&s.engine, &mut s.app);
    assert_eq!(text(&s.draw(80, 24)), frozen, "the screen is unchanged");
    assert_eq!(s.app.snapshot.now, NOON);
    // Keys still work on the frozen snapshot, and the pause holds.
    s.press('n');
    s.press('g');
    s.press('j');
    assert_eq!(s.selected(), Some("svc-1"));
    assert!(s.app.paused());
    s.press('$');
    // Resuming jumps to now: the new identity and the new clock.
    s.press('p');
    assert!(!s.app.paused());
    let resumed = text(&s.draw(80, 24));
    assert!(
        resumed.contains("svc-new") && resumed.contains("12:00:05"),
        "{resumed}"
    );
    assert!(!resumed.contains("PAUSED"));
    assert_ne!(resumed, live_before);
}

#[test]
fn a_new_focus_or_span_while_paused_takes_a_fresh_snapshot_and_stays_paused() {
    let mut s = screen(80, 24);
    s.press('p');
    s.engine.advance(NOON + 3_000);
    s.key(KeyCode::Enter);
    assert!(s.app.paused());
    assert_eq!(s.app.detail().map(|d| d.row.name.as_str()), Some("svc-7"));
    assert!(text(&s.draw(80, 24)).contains("⏸ PAUSED 12:00:03"));
    // Ticks while the panel is open are still not shown.
    s.engine.advance(NOON + 9_000);
    live::refresh(&s.engine, &mut s.app);
    assert!(text(&s.draw(80, 24)).contains("⏸ PAUSED 12:00:03"));
    // Another timeline span needs its numbers: taken at once.
    s.press('w');
    assert_eq!(s.app.detail().map(|d| d.timeline.span), Some(s.app.span));
    assert!(text(&s.draw(80, 24)).contains("⏸ PAUSED 12:00:09"));
    // Closing needs nothing new, and reopening the same identity neither.
    s.key(KeyCode::Esc);
    s.engine.advance(NOON + 20_000);
    s.key(KeyCode::Enter);
    assert!(text(&s.draw(80, 24)).contains("⏸ PAUSED 12:00:09"));
}

// ---- sources ----

/// A healthy file source, a stdin that finished, and a failing one with four reasons to
/// reject lines (one example carrying an escape sequence, one longer than any screen).
fn with_sources(mut s: Screen) -> Screen {
    let mut ok = SourceHealth::new("~/.claude/projects");
    (ok.files, ok.bytes, ok.lines, ok.events) = (42, 3_565_158, 12_345, 9_876);
    ok.lines_without_usage = 2_469;
    let mut done = SourceHealth::new("-");
    (done.lines, done.events, done.finished) = (10, 10, true);
    let mut bad = SourceHealth::new("/var/log/llm/*.jsonl");
    (bad.files, bad.bytes, bad.lines, bad.events) = (3, 1_258_291, 1_500, 1_200);
    (bad.lag_bytes, bad.restarts) = (4_096, 2);
    bad.last_error = Some("/var/log/llm/b.jsonl: permission denied".into());
    let long = format!(
        "{{\"usage\": {{\"input_tokens\": \"{}\"}}}}",
        "9".repeat(300)
    );
    for _ in 0..7 {
        bad.reject(RejectReason::InvalidJson, b"{\"usage\": {\"input_tok");
    }
    for _ in 0..1_234 {
        bad.reject(RejectReason::InvalidField, long.as_bytes());
    }
    bad.reject(RejectReason::Binary, b"\x1b[2J\x1b]0;pwned\x07");
    bad.reject(RejectReason::UnknownFormat, b"{\"usage\":{\"units\":3}}");
    s.app.update(Msg::Health(vec![ok, done, bad]));
    s
}

fn sources(width: u16, height: u16) -> Screen {
    let mut s = with_sources(screen(width, height));
    s.press('h');
    assert_eq!(s.app.screen(), View::Sources);
    s
}

#[test]
fn sources_80x24() {
    let t = sources(80, 24).draw(80, 24);
    let all = text(&t);
    assert!(!all.contains('\x1b'), "{all}");
    let first = all.find("/var/log/llm/*.jsonl").expect("failing source");
    assert!(first < all.find("~/.claude/projects").expect("ok source"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn sources_160x48() {
    let t = sources(160, 48).draw(160, 48);
    let all = text(&t);
    for shown in [
        "failing",
        "permission denied",
        "1.2 MiB",
        "3.4 MiB",
        "12.3k",
        "invalid_field",
        "1.2k",
        "\\x1b[2J",
        "finished",
    ] {
        assert!(all.contains(shown), "{shown} missing:\n{all}");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn broken_sources_are_drawn_as_errors() {
    let t = sources(80, 24).draw(80, 24);
    let critical = tokentop::theme::Theme::builtin().level(tokentop::theme::Level::Critical);
    let y = (0..24)
        .find(|&y| line(&t, y).contains("/var/log/llm/*.jsonl"))
        .expect("on screen");
    let x = line(&t, y).chars().position(|c| c == '/').expect("path") as u16;
    for x in [0, x] {
        let style = t.backend().buffer()[(x, y)].style();
        assert_eq!(style.fg, critical.fg, "column {x}");
    }
}

#[test]
fn the_status_line_leads_to_the_sources_when_one_fails() {
    let s = with_sources(screen(80, 24));
    let header = line(&s.draw(80, 24), 1);
    assert!(header.starts_with(" 1 of 3 sources degraded: "), "{header}");
    let status = line(&s.draw(80, 24), 23);
    assert!(status.contains(" h sources ? help q quit"), "{status}");
    let healthy = screen(80, 24);
    assert!(!line(&healthy.draw(80, 24), 23).contains("h sources"));
}

#[test]
fn the_sources_view_scrolls_and_closes() {
    let mut s = sources(80, 12);
    let top = text(&s.draw(80, 12));
    assert!(top.contains("lines 1-7 of 17"), "{top}");
    s.press('j');
    assert_eq!(s.app.sources_scroll(), Some(1));
    s.press('G');
    assert_eq!(s.app.sources_scroll(), Some(10));
    let bottom = text(&s.draw(80, 12));
    assert!(
        bottom.contains("lines 11-17 of 17") && bottom.contains("finished"),
        "{bottom}"
    );
    s.key(KeyCode::Down);
    assert_eq!(
        s.app.sources_scroll(),
        Some(10),
        "no scrolling past the end"
    );
    s.key(KeyCode::PageUp);
    assert_eq!(s.app.sources_scroll(), Some(3));
    s.press('g');
    assert_eq!(s.app.sources_scroll(), Some(0));
    // Other screens' keys wait; pausing works here too.
    s.key(KeyCode::Enter);
    s.press('A');
    assert_eq!(s.app.screen(), View::Sources);
    s.press('p');
    assert!(s.app.paused());
    s.key(KeyCode::Esc);
    assert_eq!(s.app.screen(), View::Table);
    s.press('h');
    s.press('h');
    assert_eq!(s.app.screen(), View::Table, "h toggles");
}

#[test]
fn the_sources_view_fits_small_terminals() {
    let mut s = sources(40, 10);
    s.draw(40, 10);
    for w in 1..=20 {
        for h in 1..=8 {
            resize(&mut s, w, h);
            s.press('G');
            s.draw(w, h);
        }
    }
    let empty = {
        let mut s = screen(40, 10);
        s.press('h');
        s
    };
    assert!(text(&empty.draw(40, 10)).contains("No source"));
    for w in 1..=20 {
        for h in 1..=8 {
            empty.draw(w, h);
        }
    }
}

// ---- mouse ----

const LEFT: MouseEventKind = MouseEventKind::Down(MouseButton::Left);

/// A mouse event at (`column`, `row`), `at_ms` on the test's own clock.
fn mouse(s: &mut Screen, kind: MouseEventKind, column: u16, row: u16, at_ms: i64) -> bool {
    let event = MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    live::update(&s.engine, &mut s.app, Msg::Mouse { event, at_ms })
}

/// The first word drawn on line `y`.
fn word(t: &Terminal<TestBackend>, y: u16) -> String {
    line(t, y)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The column where `title` is drawn on line `y`.
fn column_of(t: &Terminal<TestBackend>, y: u16, title: &str) -> u16 {
    let text = line(t, y);
    let at = text.find(title).expect("title drawn");
    text[..at].chars().count() as u16
}

#[test]
fn a_click_selects_the_row_drawn_where_it_lands() {
    for (w, h) in [(80, 24), (160, 48), (50, 12)] {
        let mut s = screen(w, h);
        let t = s.draw(w, h);
        // Rows start under the header (2 lines), the rule and the column titles.
        for y in [4, 6, 9, 11].into_iter().filter(|&y| y < h - 2) {
            let drawn = word(&t, y);
            assert!(mouse(&mut s, LEFT, 2, y, 10_000 * i64::from(y)));
            assert_eq!(s.selected(), Some(drawn.as_str()), "{w}x{h} line {y}");
            assert_eq!(s.app.focus(), None, "one click only selects");
        }
        // Below the last row, on the header or on the status line: nothing.
        let selected = s.app.selected;
        for y in [0, 1, 12.min(h - 2), h - 1] {
            mouse(&mut s, LEFT, 2, y, 900_000);
            assert_eq!(s.app.selected, selected, "{w}x{h} line {y}");
        }
    }
}

#[test]
fn a_click_lands_on_the_row_drawn_after_scrolling() {
    let mut s = screen(80, 10);
    s.press('G');
    for y in [7, 4, 5, 6] {
        let t = s.draw(80, 10);
        let drawn = word(&t, y);
        mouse(&mut s, LEFT, 0, y, 10_000 * i64::from(y));
        assert_eq!(
            s.selected(),
            Some(drawn.as_str()),
            "line {y}:\n{}",
            text(&t)
        );
    }
}

#[test]
fn a_click_on_a_scrolled_table_does_not_scroll_it_and_a_double_click_opens_that_row() {
    let mut s = screen(80, 10);
    s.press('G');
    let before: Vec<String> = (4..8).map(|y| word(&s.draw(80, 10), y)).collect();
    mouse(&mut s, LEFT, 0, 4, 1_000);
    let after: Vec<String> = (4..8).map(|y| word(&s.draw(80, 10), y)).collect();
    assert_eq!(before, after, "the rows stay where they were clicked");
    mouse(&mut s, LEFT, 0, 4, 1_200);
    assert_eq!(s.app.focus(), Some(before[0].as_str()));
    // Keys scroll just enough too: up from the top row shows the row above it there.
    s.key(KeyCode::Esc);
    s.press('k');
    assert_eq!(word(&s.draw(80, 10), 4), s.selected().unwrap_or_default());
}

#[test]
fn a_double_click_opens_the_detail_and_a_slow_one_does_not() {
    let mut s = screen(80, 24);
    let t = s.draw(80, 24);
    let name = word(&t, 6);
    mouse(&mut s, LEFT, 5, 6, 1_000);
    mouse(&mut s, LEFT, 5, 6, 1_401);
    assert_eq!(s.app.focus(), None, "401 ms apart is two clicks");
    // Two presses on different rows are two clicks too.
    mouse(&mut s, LEFT, 5, 7, 1_500);
    mouse(&mut s, LEFT, 5, 6, 1_600);
    assert_eq!(s.app.focus(), None);
    mouse(&mut s, LEFT, 30, 6, 1_990);
    assert_eq!(s.app.focus(), Some(name.as_str()));
    assert_eq!(
        s.app.detail().map(|d| d.row.name.as_str()),
        Some(name.as_str()),
        "the detail came with it, as after Enter"
    );
    assert_eq!(s.app.screen(), View::Detail);
    // In the open panel, clicks do nothing for now.
    mouse(&mut s, LEFT, 5, 8, 5_000);
    mouse(&mut s, LEFT, 5, 8, 5_100);
    assert_eq!(s.app.focus(), Some(name.as_str()));
}

#[test]
fn a_click_on_a_column_title_sorts_and_again_inverts() {
    let mut s = screen(80, 24);
    // A row the user moved to: the selection follows it through every sort.
    s.press('j');
    let chosen = s.selected().map(str::to_string);
    let t = s.draw(80, 24);
    let x = column_of(&t, 3, "OUT/MIN");
    mouse(&mut s, LEFT, x + 2, 3, 1_000);
    assert_eq!(s.app.sort(), SortKey::Output);
    assert!(s.app.sort_descending());
    assert!(line(&s.draw(80, 24), 3).contains("OUT/MIN▼"));
    mouse(&mut s, LEFT, x, 3, 3_000);
    assert_eq!(s.app.sort(), SortKey::Output);
    assert!(!s.app.sort_descending(), "the same title again inverts");
    assert!(line(&s.draw(80, 24), 3).contains("OUT/MIN▲"));
    // Every title drawn sorts by its own column, the identity's included.
    let t = s.draw(80, 24);
    for (title, key) in [
        ("IDENTITY", SortKey::Name),
        ("REQ/MIN", SortKey::Requests),
        ("CACHE%", SortKey::Cache),
        ("TODAY", SortKey::Spend),
        ("$/H", SortKey::Rate),
    ] {
        let x = column_of(&t, 3, title);
        mouse(&mut s, LEFT, x, 3, 10_000);
        assert_eq!(s.app.sort(), key, "{title}");
    }
    assert_eq!(
        s.selected().map(str::to_string),
        chosen,
        "the selection follows its row"
    );
}

#[test]
fn the_wheel_moves_the_selection_by_three() {
    let mut s = screen(80, 24);
    let down = MouseEventKind::ScrollDown;
    mouse(&mut s, down, 10, 8, 0);
    assert_eq!(s.app.selected, 3);
    mouse(&mut s, down, 10, 8, 0);
    assert_eq!(s.app.selected, 6);
    mouse(&mut s, down, 10, 8, 0);
    assert_eq!(s.app.selected, 7, "no further than the last row");
    mouse(&mut s, MouseEventKind::ScrollUp, 10, 3, 0);
    assert_eq!(s.app.selected, 4);
    assert_eq!(s.selected(), Some("svc-3"));
    // Paused, the wheel still moves.
    s.press('p');
    mouse(&mut s, MouseEventKind::ScrollUp, 10, 8, 0);
    assert_eq!(s.app.selected, 1);
    // Moving the pointer alone does nothing and asks for no redraw.
    assert!(!mouse(&mut s, MouseEventKind::Moved, 10, 8, 0));
}

#[test]
fn the_mouse_waits_under_the_help_and_the_filter_prompt() {
    let mut s = screen(80, 24);
    s.press('?');
    mouse(&mut s, MouseEventKind::ScrollDown, 1, 8, 0);
    assert_eq!(s.app.selected, 0);
    s.key(KeyCode::Esc);
    s.press('/');
    mouse(&mut s, LEFT, 1, 8, 0);
    assert_eq!(s.app.selected, 0);
}

/// Over-budget alerts for `svc-1` to `svc-6`, newest (svc-6) first, with the list open:
/// each has a tiny daily budget, and its spend is read a second after the one before.
fn alert_list(width: u16, height: u16) -> Screen {
    let config: String = (1..=6)
        .map(|i| {
            format!("[[budget]]\nname = \"svc-{i} daily\"\nidentity = \"svc-{i}\"\nperiod = \"day\"\nlimit_usd = 0.000001\n")
        })
        .collect();
    let mut e = crate::budgets::engine_with(&config);
    for i in 0..8 {
        ingest_one(&mut e, i, NOON);
        e.advance(NOON - 8_000 + i as i64 * 1_000);
    }
    let mut s = Screen::new("demo", e, height);
    resize(&mut s, width, height);
    assert_eq!(s.app.snapshot.alerts.len(), 6);
    s.press('A');
    s
}

#[test]
fn in_the_alert_list_a_click_selects_a_double_click_goes_to_it_and_the_wheel_scrolls() {
    let mut s = alert_list(80, 24);
    let t = s.draw(80, 24);
    let drawn = line(&t, 6);
    mouse(&mut s, LEFT, 3, 6, 1_000);
    let cursor = s.app.alert_cursor();
    let alert = &s.app.snapshot.alerts[cursor];
    assert!(
        drawn.contains(&alert.reason[..20]),
        "{drawn} / {}",
        alert.reason
    );
    assert_eq!(cursor, 2);
    let name = alert.identities[0].clone();
    let alert_id = alert.id;
    mouse(&mut s, MouseEventKind::ScrollDown, 3, 6, 1_100);
    assert_eq!(s.app.alert_cursor(), 5);
    mouse(&mut s, MouseEventKind::ScrollUp, 3, 20, 1_200);
    assert_eq!(s.app.alert_cursor(), 2);
    // Double-click: the alert in full, as Enter does; over it the mouse waits, and Enter
    // goes on to the table, on the alert's identity.
    mouse(&mut s, LEFT, 3, 6, 2_000);
    mouse(&mut s, LEFT, 3, 6, 2_200);
    assert_eq!(s.app.alert_popup().map(|a| a.id), Some(alert_id));
    mouse(&mut s, MouseEventKind::ScrollDown, 3, 6, 2_300);
    assert_eq!(s.app.alert_cursor(), 2, "the popup keeps its alert");
    s.key(KeyCode::Enter);
    assert_eq!(s.app.screen(), View::Table);
    assert_eq!(s.selected(), Some(name.as_str()));
}

#[test]
fn in_a_short_alert_list_clicks_land_on_the_alerts_shown() {
    let mut s = alert_list(80, 9);
    s.press('G');
    let t = s.draw(80, 9);
    let y = (0..9)
        .find(|&y| line(&t, y).contains("svc-1 daily"))
        .expect("the selected alert is in view");
    mouse(&mut s, LEFT, 3, y - 1, 1_000);
    assert!(line(&t, y - 1).contains(&s.app.snapshot.alerts[s.app.alert_cursor()].reason[..20]));
    // The "… more" line and the rules are no alert.
    let cursor = s.app.alert_cursor();
    for y in [2, 3, 7] {
        mouse(&mut s, LEFT, 3, y, 5_000 + i64::from(y) * 1_000);
        assert_eq!(s.app.alert_cursor(), cursor, "line {y}:\n{}", text(&t));
    }
}

#[test]
fn the_wheel_scrolls_the_sources_view() {
    let mut s = sources(80, 12);
    mouse(&mut s, MouseEventKind::ScrollDown, 5, 5, 0);
    assert_eq!(s.app.sources_scroll(), Some(3));
    for _ in 0..5 {
        mouse(&mut s, MouseEventKind::ScrollDown, 5, 5, 0);
    }
    assert_eq!(s.app.sources_scroll(), Some(10), "no further than the end");
    mouse(&mut s, MouseEventKind::ScrollUp, 5, 5, 0);
    assert_eq!(s.app.sources_scroll(), Some(7));
    mouse(&mut s, LEFT, 5, 5, 0);
    assert_eq!(s.app.screen(), View::Sources, "a click does nothing here");
}

#[test]
fn hits_and_clicks_on_tiny_screens_do_not_panic() {
    let mut screens = vec![screen(80, 24), alert_list(80, 24), sources(80, 24)];
    let mut paused = screen(80, 24);
    paused.press('p');
    screens.push(paused);
    let mut empty_list = Screen::new("demo", engine(), 24);
    empty_list.press('A');
    screens.push(empty_list);
    for s in &mut screens {
        for w in 1..=20 {
            for h in 1..=8 {
                resize(s, w, h);
                s.draw(w, h);
                for x in 0..=w {
                    for y in 0..=h {
                        layout::hit(&s.app, Rect::new(0, 0, w, h), x, y);
                        mouse(s, MouseEventKind::ScrollDown, x, y, 0);
                        mouse(s, LEFT, x, y, i64::from(y));
                    }
                }
            }
        }
    }
}

// ---- the identity view's mouse ----

/// The line and column of the latest requests' title row, as drawn.
fn events_title(t: &Terminal<TestBackend>) -> (u16, u16) {
    let height = t.backend().buffer().area.height;
    (0..height)
        .find_map(|y| {
            line(t, y)
                .find("WHEN")
                .map(|at| (y, line(t, y)[..at].chars().count() as u16))
        })
        .expect("latest requests drawn")
}

#[test]
fn in_the_identity_view_a_click_selects_the_event_drawn_and_a_double_click_opens_it() {
    for (w, h) in [(160, 48), (80, 44)] {
        let mut s = crate::views::detail(h);
        resize(&mut s, w, h);
        let t = s.draw(w, h);
        let (title, x) = events_title(&t);
        for (k, at) in [(2u16, 1_000), (0, 5_000), (3, 9_000)] {
            let y = title + 1 + k;
            assert!(mouse(&mut s, LEFT, x + 1, y, at), "{w}x{h} line {y}");
            assert_eq!(s.app.event_cursor(), usize::from(k), "{w}x{h} line {y}");
            // The row drawn highlighted is the one clicked.
            let t = s.draw(w, h);
            let selected = tokentop::theme::Theme::builtin().row(true);
            assert_eq!(
                t.backend().buffer()[(x + 1, y)].bg,
                selected.bg.expect("bg")
            );
        }
        assert!(s.app.event_popup().is_none(), "single clicks only select");
        mouse(&mut s, LEFT, x + 1, title + 4, 9_300);
        let third = s.app.detail().map(|d| d.recent[3].time);
        assert_eq!(s.app.event_popup().map(|e| e.time), third, "{w}x{h}");
        // Over the popup the mouse waits.
        assert!(!mouse(&mut s, LEFT, x + 1, title + 2, 20_000));
        s.key(KeyCode::Esc);
        // The wheel anywhere in the view moves through the events.
        mouse(&mut s, MouseEventKind::ScrollDown, 1, title + 1, 30_000);
        assert_eq!(s.app.event_cursor(), 6);
        mouse(&mut s, MouseEventKind::ScrollUp, 1, 5, 31_000);
        assert_eq!(s.app.event_cursor(), 3);
    }
}

#[test]
fn the_sources_view_says_what_the_engine_set_apart() {
    let mut e = engine();
    e.advance(NOON);
    // An hour ahead of the clock: counted at it.
    e.ingest(&event("svc", NOON + 3_600_000, 10, 10));
    // Within the token bound, priced far past what one request costs.
    let max = tokentop::parse::plausible::MAX_TOKENS_PER_CLASS;
    let mut absurd = event("svc", NOON, 10, max);
    absurd.model = "claude-opus-4-20250514".into();
    e.ingest(&absurd);
    let mut s = with_sources(Screen::new("demo", e, 48));
    resize(&mut s, 160, 48);
    s.press('h');
    let all = text(&s.draw(160, 48));
    assert!(all.contains("1 ahead of the clock, counted at it"), "{all}");
    assert!(
        all.contains("1 implausible at their price, left out"),
        "{all}"
    );
}

/// The keys that count each request once are the memory that grows with traffic: the
/// sources view says how many the engine holds and what they take.
#[test]
fn the_sources_view_says_what_dedup_holds() {
    let mut e = engine();
    e.advance(NOON);
    let over = tokentop::engine::ACTIVE_RESPONSES + 1_500;
    for n in 0..over {
        let mut request = event("svc", NOON, 10, 10);
        request.dedup_key = Some(tokentop::event::DedupKey::of(&["req_", &n.to_string()]));
        e.ingest(&request);
    }
    let held = e.snapshot(None).dedup_held;
    assert_eq!(
        held.keys, 1_500,
        "the responses let go past those kept whole"
    );
    assert!(held.bytes >= 1_500 * 16, "{held:?}");
    let mut s = with_sources(Screen::new("demo", e, 48));
    resize(&mut s, 160, 48);
    s.press('h');
    let all = text(&s.draw(160, 48));
    assert!(all.contains("dedup 1.5k keys "), "{all}");
}

/// The list's cursor belongs to the list: it opens on the newest alert every time, as
/// reopening a list does in k9s or btop, rather than where it was left.
#[test]
fn the_alert_list_opens_on_the_newest_alert_each_time() {
    let mut s = alert_list(80, 24);
    assert_eq!(s.app.alert_cursor(), 0);
    s.press('j');
    s.press('j');
    assert_eq!(s.app.alert_cursor(), 2);
    s.key(KeyCode::Esc);
    assert_eq!(s.app.screen(), View::Table);
    s.press('A');
    assert_eq!(s.app.screen(), View::Alerts);
    assert_eq!(s.app.alert_cursor(), 0);
}
