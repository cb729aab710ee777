//! Pause, the sources view and the mouse, driven through `live::update` as the loop does:
//! screens are drawn into a TestBackend, and clicks are aimed at what was drawn.

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokentop::app::Msg;
use tokentop::engine::Engine;
use tokentop::event::IdentityKind;
use tokentop::keymap::Screen as View;
use tokentop::live;
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;
use tokentop::ui;

use crate::common::{NOON, engine, event};
use crate::views::Screen;

/// Eight identities spending different amounts, so the default order (today's spend) is
/// known: `svc-7` first, `svc-0` last.
fn ingest(e: &mut Engine, at: i64) {
    for i in 0..8u64 {
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
    screen.app.update(Msg::Viewport(ui::table_rows(area)));
}

fn text(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

/// Line `y` of what was drawn.
fn line(t: &Terminal<TestBackend>, y: u16) -> String {
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
fn a_new_focus_while_paused_takes_a_fresh_snapshot_and_stays_paused() {
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
    // Moving to the next identity needs its detail: taken at once.
    s.press('j');
    assert_eq!(s.app.detail().map(|d| d.row.name.as_str()), s.selected());
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
    let status = line(&s.draw(80, 24), 23);
    assert!(status.contains(" h sources q quit"), "{status}");
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
