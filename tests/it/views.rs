//! View snapshots: the overview drawn into a TestBackend at two sizes, empty and busy,
//! driven through the same `App::update` the live loop uses.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokentop::app::{App, Msg};
use tokentop::event::IdentityKind;
use tokentop::source::health::SourceHealth;
use tokentop::theme::Theme;
use tokentop::ui;

use crate::common::{MIN, NOON, engine, event};

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal
        .draw(|frame| ui::render(frame, app, &Theme::builtin()))
        .expect("draw");
    terminal
}

fn empty_app() -> App {
    let mut e = engine();
    e.advance(NOON);
    App::new("~/.claude/projects".into(), e.snapshot(None))
}

fn busy_app(height: u16) -> App {
    let mut e = engine();
    let kinds = [
        IdentityKind::ServiceAccount,
        IdentityKind::ApiKey,
        IdentityKind::Agent,
    ];
    for i in 0..15u64 {
        let name = format!("identity-{i:02}");
        for k in 0..(i + 1) {
            let mut ev = event(
                &name,
                NOON - (k as i64 % 50) * 6_000 - 1_000,
                1000 * (i + 1),
                100 + k,
            );
            ev.identity_kind = kinds[i as usize % 3];
            ev.tokens.cache_read = 500 * i;
            if i == 3 {
                ev.model = "acme-internal-llm-v2".into();
            }
            if i % 4 == 1 {
                ev.tools = vec![tokentop::event::ToolCall::new(None, "search".into())];
            }
            e.ingest(&ev);
        }
    }
    // One identity that went quiet 20 minutes ago.
    e.ingest(&event("quiet-batch-job", NOON - 20 * MIN, 90_000, 5_000));
    // A name that tries to move the cursor and recolour the terminal.
    e.ingest(&event("evil\x1b[2J\x1b[31mname", NOON - 2_000, 10, 1));
    e.advance(NOON);
    let mut app = App::new("demo".into(), e.snapshot(None));
    let mut broken = SourceHealth::new("/var/log/llm/*.jsonl");
    broken.last_error = Some("/var/log/llm: permission denied".into());
    app.update(Msg::Health(vec![SourceHealth::new("demo"), broken]));
    app.update(Msg::Viewport(ui::table_rows(ratatui::layout::Rect::new(
        0, 0, 80, height,
    ))));
    app
}

fn press(app: &mut App, c: char) {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )));
}

#[test]
fn empty_80x24() {
    insta::assert_snapshot!(draw(&empty_app(), 80, 24).backend());
}

#[test]
fn empty_160x48() {
    insta::assert_snapshot!(draw(&empty_app(), 160, 48).backend());
}

#[test]
fn busy_80x24() {
    insta::assert_snapshot!(draw(&busy_app(24), 80, 24).backend());
}

#[test]
fn busy_160x48() {
    insta::assert_snapshot!(draw(&busy_app(48), 160, 48).backend());
}

#[test]
fn busy_sorted_by_name_scrolled_80x24() {
    let mut app = busy_app(24);
    press(&mut app, 'n');
    press(&mut app, 'g');
    for _ in 0..16 {
        press(&mut app, 'j');
    }
    let screen = draw(&app, 80, 24);
    insta::assert_snapshot!(screen.backend());
    assert_eq!(
        app.selected_row().map(|r| r.name.as_str()),
        Some("quiet-batch-job")
    );
}

#[test]
fn no_escape_sequence_reaches_the_screen() {
    let screen = draw(&busy_app(48), 160, 48);
    let text = format!("{}", screen.backend());
    assert!(!text.contains('\x1b'));
    assert!(text.contains("evil\\x1b[2J\\x1b[31mname"));
}

#[test]
fn tiny_terminals_do_not_panic() {
    for (w, h) in [(40, 10), (20, 5), (1, 1), (0, 0)] {
        draw(&busy_app(h), w, h);
        draw(&empty_app(), w, h);
    }
}

#[test]
fn sort_keys_reorder_and_q_quits() {
    let mut app = busy_app(24);
    let top = |app: &App| app.snapshot.identities[app.order[0]].name.clone();
    let selected = app.selected_row().map(|r| r.name.clone());
    press(&mut app, 'n');
    assert_eq!(top(&app), "evil\x1b[2J\x1b[31mname");
    assert_eq!(
        app.selected_row().map(|r| r.name.clone()),
        selected,
        "the selection follows its row"
    );
    press(&mut app, 'n');
    assert_eq!(top(&app), "quiet-batch-job", "the same key again inverts");
    press(&mut app, '$');
    assert!(!app.quit);
    press(&mut app, 'q');
    assert!(app.quit);
}
