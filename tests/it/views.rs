//! View snapshots: the screens drawn into a TestBackend at two sizes (and a small one),
//! driven through the same `update` the live loop uses: keys go through
//! `tokentop::live::update`, which hands the app a fresh snapshot when the focus changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use std::sync::Arc;

use tokentop::app::{App, Msg, SortKey};
use tokentop::engine::Engine;
use tokentop::engine::snapshot::{RateWindow, TimelineSpan};
use tokentop::event::{IdentityKind, ToolCall};
use tokentop::layout;
use tokentop::live;
use tokentop::source::health::SourceHealth;
use tokentop::theme::Theme;
use tokentop::ui;

use crate::common::{MIN, NOON, copy, engine, event};

/// An engine and the app on top of it, as the loop holds them.
pub struct Screen {
    pub engine: Engine,
    pub app: App,
}

impl Screen {
    pub fn new(title: &str, mut engine: Engine, height: u16) -> Screen {
        engine.advance(NOON);
        let mut app = App::new(title.into(), engine.snapshot(None));
        app.update(Msg::Area(Rect::new(0, 0, 80, height)));
        Screen { engine, app }
    }

    pub fn key(&mut self, code: KeyCode) {
        let key = KeyEvent::new(code, KeyModifiers::NONE);
        live::update(&self.engine, &mut self.app, Msg::Key(key));
    }

    pub fn press(&mut self, c: char) {
        self.key(KeyCode::Char(c));
    }

    pub fn draw(&self, width: u16, height: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
        terminal
            .draw(|frame| ui::render(frame, &self.app, &Theme::builtin()))
            .expect("draw");
        terminal
    }

    pub fn selected(&self) -> Option<&str> {
        self.app.selected_row().map(|r| r.name.as_str())
    }
}

fn empty(height: u16) -> Screen {
    Screen::new("~/.claude/projects", engine(), height)
}

/// A coding agent with two priced models, one unpriced, tools (one over MCP), copies of
/// responses, an estimated request and latencies: everything the detail panel shows.
fn ingest_agent(e: &mut Engine) {
    let name = "agent-triage";
    for j in 0..14i64 {
        let key = format!("msg_{j}:req_{j}");
        let time = NOON - j * 2 * MIN - 5_000;
        let tool = format!("toolu_{j}");
        let mut first = copy(name, time - 2_000, &key, 2, None, false);
        let mut last = copy(name, time, &key, 300 + 40 * j as u64, Some(&tool), true);
        for c in [&mut first, &mut last] {
            c.identity_kind = IdentityKind::Agent;
            c.tokens.cache_read = 20_000 + 3_000 * j as u64;
        }
        if j % 3 == 1 {
            last.tools.push(ToolCall::new(
                Some(format!("toolu_mcp_{j}")),
                "mcp__github__create_issue".into(),
            ));
        }
        if j % 4 == 2 {
            last.tools
                .push(ToolCall::new(Some(format!("toolu_r{j}")), "Read".into()));
        }
        last.latency_ms = Some(1_500 + 200 * j as u64);
        e.ingest(&first);
        e.ingest(&last);
    }
    let mut haiku = event(name, NOON - 40_000, 3_000, 120);
    haiku.model = "claude-haiku-4-5".into();
    haiku.identity_kind = IdentityKind::Agent;
    haiku.flags.estimated = true;
    e.ingest(&haiku);
    let mut unpriced = event(name, NOON - 20_000, 800, 60);
    unpriced.model = "acme-internal-llm-v2".into();
    unpriced.identity_kind = IdentityKind::Agent;
    e.ingest(&unpriced);
}

pub fn busy(height: u16) -> Screen {
    let mut e = engine();
    ingest_busy(&mut e);
    busy_screen(e, height)
}

/// Fifteen identities with their own patterns, the agent, a quiet one and a hostile name.
pub fn ingest_busy(e: &mut Engine) {
    let kinds = [
        IdentityKind::ServiceAccount,
        IdentityKind::ApiKey,
        IdentityKind::Agent,
    ];
    for i in 0..15u64 {
        let name = format!("identity-{i:02}");
        let mut put = |time: i64, input: u64, output: u64| {
            let mut ev = event(&name, time, input, output);
            ev.identity_kind = kinds[i as usize % 3];
            ev.tokens.cache_read = 500 * i;
            if i == 3 {
                ev.model = "acme-internal-llm-v2".into();
            }
            if i % 4 == 1 {
                ev.tools = vec![ToolCall::new(None, "search".into())];
            }
            e.ingest(&ev);
        };
        for k in 0..(i + 1) {
            put(
                NOON - (k as i64 % 50) * 6_000 - 1_000,
                1000 * (i + 1),
                100 + k,
            );
        }
        // Older minutes, in a pattern of its own per identity, for the sparklines.
        for m in 2..30i64 {
            if (m + i as i64) % 5 < 2 || (i % 6 == 0 && m > 20) {
                put(
                    NOON - m * MIN - 30_000,
                    200 * (i + 1) * (m as u64 % 7 + 1),
                    50,
                );
            }
        }
    }
    ingest_agent(e);
    // One identity that went quiet 20 minutes ago.
    e.ingest(&event("quiet-batch-job", NOON - 20 * MIN, 90_000, 5_000));
    // A name that tries to move the cursor and recolour the terminal.
    e.ingest(&event("evil\x1b[2J\x1b[31mname", NOON - 2_000, 10, 1));
}

pub fn busy_screen(e: Engine, height: u16) -> Screen {
    let mut screen = Screen::new("demo", e, height);
    let mut broken = SourceHealth::new("/var/log/llm/*.jsonl");
    broken.last_error = Some("/var/log/llm: permission denied".into());
    screen
        .app
        .update(Msg::Health(vec![SourceHealth::new("demo"), broken]));
    screen
}

/// The busy screen with the agent's detail panel open, reached as a person would: sort
/// by name, go to the top, press Enter.
pub fn detail(height: u16) -> Screen {
    let mut screen = busy(height);
    screen.press('n');
    screen.press('g');
    screen.key(KeyCode::Enter);
    screen
}

#[test]
fn empty_80x24() {
    insta::assert_snapshot!(empty(24).draw(80, 24).backend());
}

#[test]
fn empty_160x48() {
    insta::assert_snapshot!(empty(48).draw(160, 48).backend());
}

#[test]
fn busy_80x24() {
    insta::assert_snapshot!(busy(24).draw(80, 24).backend());
}

#[test]
fn busy_160x48() {
    let screen = busy(48).draw(160, 48);
    let text = format!("{}", screen.backend());
    assert!(
        text.contains("sort: attention"),
        "the default sort is named"
    );
    insta::assert_snapshot!(screen.backend());
    // At 160 columns the side panel and the P90 IN column take the sparklines' room; wider,
    // they come back.
    let wide = format!("{}", busy(48).draw(200, 48).backend());
    assert!(wide.contains("TOKENS/MIN, 30 MIN"), "sparklines are shown");
}

#[test]
fn busy_sorted_by_name_scrolled_80x24() {
    let mut screen = busy(24);
    screen.press('n');
    screen.press('g');
    for _ in 0..17 {
        screen.press('j');
    }
    insta::assert_snapshot!(screen.draw(80, 24).backend());
    assert_eq!(screen.selected(), Some("quiet-batch-job"));
}

/// `S` four times from today's spend steps left: $/h, cache%, p90 in/req, out/min.
fn sorted_by_output(height: u16) -> Screen {
    let mut screen = busy(height);
    screen.press('$');
    for _ in 0..4 {
        screen.key(KeyCode::Char('S'));
    }
    assert_eq!(screen.app.sort(), SortKey::Output);
    assert!(screen.app.sort_descending());
    screen
}

#[test]
fn sorted_by_output_80x24() {
    let screen = sorted_by_output(24).draw(80, 24);
    assert!(format!("{}", screen.backend()).contains("OUT/MIN▼"));
    insta::assert_snapshot!(screen.backend());
}

#[test]
fn sorted_by_output_160x48() {
    insta::assert_snapshot!(sorted_by_output(48).draw(160, 48).backend());
}

/// The engine thread hands over each snapshot with the table's order worked out: the app
/// takes that order while it was worked out by the sort and filter in effect, and sorts the
/// snapshot itself once the user has changed either (the thread's next one catches up).
#[test]
fn an_order_worked_out_elsewhere_is_used_only_for_the_sort_and_filter_in_effect() {
    let mut screen = busy(24);
    let snapshot = Arc::new(screen.engine.snapshot(None));
    let by = screen.app.table_order().clone();
    // Not the order the app would work out: proof that it was taken as given.
    let mut arranged = by.arrange(&snapshot, None);
    arranged.order.reverse();
    let given = arranged.order.clone();
    screen
        .app
        .update(Msg::Arranged(Arc::clone(&snapshot), arranged.clone()));
    assert_eq!(screen.app.order, given);
    screen.press('n');
    screen
        .app
        .update(Msg::Arranged(Arc::clone(&snapshot), arranged));
    let by_name = screen.app.table_order().arrange(&snapshot, None).order;
    assert_ne!(by_name, given);
    assert_eq!(screen.app.order, by_name, "sorted by name here");
}

#[test]
fn every_column_sorts_and_inverting_flips_the_marker() {
    let mut screen = busy(24);
    let start = screen.app.sort();
    let mut seen = vec![start];
    loop {
        screen.press('s');
        if screen.app.sort() == start {
            break;
        }
        seen.push(screen.app.sort());
    }
    // With no budgets configured and no findings, the BUDGET, ETA and RISK columns are
    // hidden and skipped.
    assert_eq!(seen.len(), SortKey::ALL.len() - 3);
    assert!(
        !seen.contains(&SortKey::Budget)
            && !seen.contains(&SortKey::Eta)
            && !seen.contains(&SortKey::Risk)
    );
    screen.press('n');
    assert!(!screen.app.sort_descending(), "names sort A to Z");
    let marked = |s: &Screen| format!("{}", s.draw(160, 48).backend());
    assert!(marked(&screen).contains("IDENTITY▲"));
    screen.press('i');
    assert!(marked(&screen).contains("IDENTITY▼"));
    screen.press('s');
    assert_eq!(screen.app.sort(), SortKey::Kind);
    assert!(
        !screen.app.sort_descending(),
        "a new column starts uninverted"
    );
}

#[test]
fn detail_80x24() {
    let screen = detail(24);
    let text = format!("{}", screen.draw(80, 24).backend());
    assert!(text.contains("agent-triage"));
    insta::assert_snapshot!(screen.draw(80, 24).backend());
}

#[test]
fn detail_160x48() {
    let screen = detail(48);
    let text = format!("{}", screen.draw(160, 48).backend());
    for shown in ["MODEL", "TOOL", "create_issue", "github", "unpriced", "~"] {
        assert!(text.contains(shown), "{shown} missing");
    }
    insta::assert_snapshot!(screen.draw(160, 48).backend());
}

#[test]
fn detail_40x10() {
    insta::assert_snapshot!(detail(10).draw(40, 10).backend());
}

#[test]
fn the_identity_view_moves_through_its_events_and_opens_one() {
    let mut screen = detail(24);
    assert_eq!(screen.app.focus(), Some("agent-triage"));
    let shown = |s: &Screen| s.app.detail().map(|d| d.row.name.clone());
    assert_eq!(shown(&screen).as_deref(), Some("agent-triage"));
    let events = screen.app.detail().map_or(0, |d| d.recent.len());
    assert!(events > 3);
    // In the view, moving goes through its events, not to another identity.
    screen.press('j');
    screen.press('j');
    assert_eq!(screen.app.focus(), Some("agent-triage"));
    assert_eq!(screen.app.event_cursor(), 2);
    screen.press('G');
    assert_eq!(screen.app.event_cursor(), events - 1);
    screen.press('g');
    screen.press('j');
    // Enter opens the selected event; `[` `]` step through events inside the popup.
    screen.key(KeyCode::Enter);
    let second = screen.app.detail().map(|d| d.recent[1].time);
    assert_eq!(screen.app.event_popup().map(|e| e.time), second);
    screen.press('[');
    let first = screen.app.detail().map(|d| d.recent[0].time);
    assert_eq!(screen.app.event_popup().map(|e| e.time), first);
    // Esc closes the popup, then the view.
    screen.key(KeyCode::Esc);
    assert!(screen.app.event_popup().is_none());
    assert_eq!(screen.app.focus(), Some("agent-triage"));
    screen.key(KeyCode::Esc);
    assert_eq!(screen.app.focus(), None);
    assert_eq!(
        screen.app.snapshot.detail, None,
        "the engine stops the detail work"
    );
    screen.key(KeyCode::Enter);
    assert!(screen.app.focus().is_some());
    assert_eq!(
        screen.app.event_cursor(),
        0,
        "a view opens on the newest event"
    );
    screen.press('q');
    assert!(screen.app.quit, "q quits from the view");
}

#[test]
fn the_event_cursor_stays_on_its_event_as_newer_ones_arrive() {
    let mut screen = detail(24);
    screen.press('j');
    let picked = screen.app.detail().map(|d| d.recent[1].time);
    screen
        .engine
        .ingest(&event("agent-triage", NOON + 1_000, 10, 10));
    screen.engine.advance(NOON + 2_000);
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(screen.app.event_cursor(), 2);
    let now_at = screen.app.detail().map(|d| d.recent[2].time);
    assert_eq!(now_at, picked);
}

#[test]
fn w_switches_the_rate_window_and_the_timeline_span() {
    let mut screen = busy(24);
    assert_eq!(screen.app.snapshot.window, RateWindow::OneMinute);
    screen.press('w');
    assert_eq!(
        screen.app.snapshot.window,
        RateWindow::FiveMinutes,
        "a fresh snapshot at once"
    );
    let header = format!("{}", screen.draw(160, 48).backend());
    assert!(header.contains("/h (5 min)"), "the header names the window");
    for _ in 0..3 {
        screen.press('w');
    }
    assert_eq!(
        screen.app.snapshot.window,
        RateWindow::OneMinute,
        "and round again"
    );
    screen.key(KeyCode::Enter);
    let span = |s: &Screen| s.app.detail().map(|d| d.timeline.span);
    assert_eq!(span(&screen), Some(TimelineSpan::OneHour));
    screen.press('w');
    assert_eq!(span(&screen), Some(TimelineSpan::SixHours));
    assert_eq!(
        screen.app.snapshot.window,
        RateWindow::OneMinute,
        "the overview's is kept"
    );
}

#[test]
fn the_status_line_follows_the_screen() {
    let mut screen = busy(24);
    let status = |s: &Screen| {
        let t = s.draw(160, 48);
        let text = format!("{}", t.backend());
        text.lines().last().unwrap_or_default().to_string()
    };
    let table = status(&screen);
    assert!(table.contains("sort: attention ▼") && table.contains("s/S sort column"));
    assert!(!table.contains("Esc"));
    screen.key(KeyCode::Enter);
    let panel = status(&screen);
    assert!(panel.contains("Esc back") && !panel.contains("sort column"));
    assert!(panel.starts_with("\" identity "), "{panel}");
    screen.key(KeyCode::Enter);
    let popup = status(&screen);
    assert!(
        popup.starts_with("\" event ") && popup.contains("Esc back"),
        "{popup}"
    );
}

#[test]
fn no_escape_sequence_reaches_the_screen() {
    let text = format!("{}", busy(48).draw(160, 48).backend());
    assert!(!text.contains('\x1b'));
    assert!(text.contains("evil\\x1b[2J\\x1b[31mname"));
    let mut screen = busy(48);
    screen.press('n');
    screen.press('g');
    screen.press('j');
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.focus(), Some("evil\x1b[2J\x1b[31mname"));
    let text = format!("{}", screen.draw(160, 48).backend());
    assert!(!text.contains('\x1b'));
    assert!(text.contains("evil\\x1b[2J"));
}

#[test]
fn tiny_terminals_do_not_panic() {
    let mut open_empty = empty(24);
    open_empty.key(KeyCode::Enter);
    let screens = [busy(24), empty(24), detail(24), open_empty];
    let sizes = [
        (40, 10),
        (20, 5),
        (1, 1),
        (0, 0),
        (200, 3),
        (3, 200),
        (119, 8),
    ];
    let sweep = (0..=130)
        .step_by(7)
        .flat_map(|w| (0..=26).step_by(3).map(move |h| (w, h)));
    for (w, h) in sizes.into_iter().chain(sweep) {
        for screen in &screens {
            screen.draw(w, h);
        }
    }
}

/// The cause of the end-to-end test's flake: the selection clung to whichever identity
/// came first in the first snapshot, so once the table filled and re-sorted, `j` moved from
/// wherever that identity had gone. Until the user moves, the selection is the top row.
#[test]
fn the_selection_stays_on_the_top_row_until_the_user_moves_it() {
    let mut screen = empty(24);
    // By spend, which re-sorts with every snapshot (`attention` holds its ranking 5 s).
    screen.press('$');
    let arrive = |screen: &mut Screen, name: &str, at: i64, input: u64| {
        screen.engine.ingest(&event(name, NOON + at, input, 10));
        screen.engine.advance(NOON + at);
        live::refresh(&screen.engine, &mut screen.app);
    };
    arrive(&mut screen, "first-to-arrive", 1_000, 1_000);
    assert_eq!(screen.selected(), Some("first-to-arrive"));
    arrive(&mut screen, "big-spender", 2_000, 9_000_000);
    assert_eq!(
        screen.selected(),
        Some("big-spender"),
        "an untouched selection stays on the top row as the table re-sorts"
    );
    screen.press('j');
    assert_eq!(screen.selected(), Some("first-to-arrive"));
    arrive(&mut screen, "first-to-arrive", 3_000, 90_000_000);
    assert_eq!(
        (screen.selected(), screen.app.selected),
        (Some("first-to-arrive"), 0),
        "once the user has moved, the selection follows its identity"
    );
}

#[test]
fn sort_keys_reorder_and_q_quits() {
    let mut screen = busy(24);
    let top = |s: &Screen| s.app.snapshot.identities[s.app.order[0]].name.clone();
    screen.press('j');
    let selected = screen.selected().map(str::to_string);
    screen.press('n');
    assert_eq!(top(&screen), "agent-triage");
    assert_eq!(
        screen.selected().map(str::to_string),
        selected,
        "the selection follows its row"
    );
    screen.press('n');
    assert_eq!(
        top(&screen),
        "quiet-batch-job",
        "the same key again inverts"
    );
    screen.press('$');
    assert!(!screen.app.quit);
    screen.press('q');
    assert!(screen.app.quit);
}

/// The busy screen under budgets: identity-14 over its own, identities 10 to 14 (team
/// "search") warned by the team's, the quiet job over (idle, but still critical), the agent
/// on a rolling hour with an ETA. Limits are set from the spend so the shares are round.
pub fn budgeted(height: u16) -> Screen {
    let mut plain = engine();
    ingest_busy(&mut plain);
    plain.advance(NOON);
    let spent = plain.snapshot(None);
    let today = |name: &str| {
        spent
            .identities
            .iter()
            .find(|r| r.name == name)
            .map_or(0.0, |r| r.today.cost_usd)
    };
    let team: f64 = (10..15).map(|i| today(&format!("identity-{i}"))).sum();
    let agent_hour = today("agent-triage");
    let config = format!(
        r#"
[[identity]]
match = {{ identity = "identity-1?" }}
team = "search"

[[budget]]
name = "identity-14 daily"
identity = "identity-14"
period = "day"
limit_usd = {over}

[[budget]]
name = "search daily"
team = "search"
period = "day"
limit_usd = {warn}

[[budget]]
name = "quiet job"
identity = "quiet-batch-job"
period = "day"
limit_usd = 0.001

[[budget]]
name = "agent hourly"
identity = "agent-triage"
rolling = "1h"
limit_usd = {agent}
"#,
        over = today("identity-14") / 1.25,
        warn = team / 0.85,
        agent = agent_hour * 4.0,
    );
    let mut e = crate::budgets::engine_with(&config);
    ingest_busy(&mut e);
    busy_screen(e, height)
}

/// The style of the first cell of the row whose text starts with `name`.
fn row_style(t: &Terminal<TestBackend>, name: &str) -> ratatui::style::Style {
    let buffer = t.backend().buffer();
    let area = buffer.area;
    let y = (0..area.height)
        .find(|&y| {
            let line: String = (0..area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            // Rows in an alert start with its marker.
            line.trim_start_matches(['▲', '△', ' ']).starts_with(name)
        })
        .expect("row on screen");
    buffer[(0, y)].style()
}

#[test]
fn budgets_80x24() {
    let screen = budgeted(24);
    let t = screen.draw(80, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("BUDGET") && text.contains("ETA"), "{text}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn budgets_160x48() {
    let screen = budgeted(48);
    let t = screen.draw(160, 48);
    let text = format!("{}", t.backend());
    for shown in ["125%", "85%", "over", "25%"] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn rows_take_their_budget_colour_from_the_theme() {
    use tokentop::theme::Level;
    let mut screen = budgeted(48);
    // The top spender selected: a row with no alert.
    screen.press('$');
    let t = screen.draw(160, 48);
    let theme = Theme::builtin();
    // An over-budget identity is in a critical budget alert: the alert's row style.
    let critical = theme.alert_row(tokentop::engine::alerts::Severity::Critical);
    assert_eq!(row_style(&t, "identity-14").fg, critical.fg);
    assert_eq!(
        row_style(&t, "quiet-batch-job").fg,
        critical.fg,
        "over budget wins over idle"
    );
    assert_eq!(row_style(&t, "identity-12").fg, theme.level(Level::Warn).fg);
    assert_eq!(row_style(&t, "identity-02").fg, theme.row(false).fg);
    let selected = row_style(&t, "agent-triage");
    let want = theme.row(true);
    assert_eq!(
        (selected.fg, selected.bg),
        (want.fg, want.bg),
        "the selected row keeps the selection's style"
    );
}

#[test]
fn the_budget_columns_sort() {
    let mut screen = budgeted(24);
    // From today's spend, `s` steps right to the budget column, then ETA.
    screen.press('$');
    screen.press('s');
    assert_eq!(screen.app.sort(), SortKey::Budget);
    let top = |s: &Screen| s.app.snapshot.identities[s.app.order[0]].name.clone();
    assert_eq!(top(&screen), "quiet-batch-job", "the highest share first");
    assert!(format!("{}", screen.draw(80, 24).backend()).contains("BUDGET▼"));
    screen.press('s');
    assert_eq!(screen.app.sort(), SortKey::Eta);
    assert!(!screen.app.sort_descending(), "soonest first");
    let over = |s: &Screen| {
        s.app.snapshot.identities[s.app.order[0]]
            .budget
            .as_ref()
            .map(|b| b.level)
    };
    assert_eq!(
        over(&screen),
        Some(tokentop::engine::budget::BudgetLevel::Over),
        "over budget sorts first by ETA"
    );
}

/// NO_COLOR (passed as the flag `main` reads from the environment): the busy screen with
/// alerts and a selection draws no colour in any cell, yet the selection is still marked.
#[test]
fn no_color_draws_no_colours() {
    use ratatui::style::{Color, Modifier};
    let screen = busy(24);
    let theme = Theme::load(Some("high-contrast"), true).expect("theme");
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    terminal
        .draw(|frame| ui::render(frame, &screen.app, &theme))
        .expect("draw");
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    assert!(
        buffer
            .content()
            .iter()
            .any(|c| c.modifier.contains(Modifier::REVERSED)),
        "the selected row is drawn in reverse video"
    );
}

/// The help overlay, opened with `?` over the busy table: every binding of the keymap.
fn help(height: u16) -> Screen {
    let mut screen = busy(height);
    screen.press('?');
    assert!(screen.app.help_open());
    screen
}

#[test]
fn help_80x24() {
    let t = help(24).draw(80, 24);
    let text = format!("{}", t.backend());
    for binding in tokentop::keymap::KEYMAP {
        assert!(
            text.contains(binding.help),
            "{} missing:\n{text}",
            binding.help
        );
    }
    for legend in [
        "▲",
        "△",
        "CACHE%",
        "BUDGET",
        "ETA",
        "tightest budget's share used",
    ] {
        assert!(text.contains(legend), "{legend} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
}

/// `? help` and `q quit` lead the status line, so no width hides them (below ~140
/// columns `? help` fell off the end).
#[test]
fn help_and_quit_lead_the_status_line_at_any_width() {
    let screen = busy(24);
    for width in [60, 80, 120] {
        let t = screen.draw(width, 24);
        let buffer = t.backend().buffer();
        let last: String = (0..width)
            .map(|x| buffer[(x, 23)].symbol().to_string())
            .collect();
        // Only a failing source's key (this screen has one) goes before them.
        assert!(
            last.starts_with(" sort: attention ▼  h sources ? help q quit "),
            "{width}: {last}"
        );
    }
}

#[test]
fn help_160x48() {
    insta::assert_snapshot!(help(48).draw(160, 48).backend());
}

#[test]
fn help_fits_40x10_and_closes() {
    let mut screen = help(10);
    screen.draw(40, 10);
    screen.press('j');
    assert_eq!(screen.app.selected, 0, "keys under the help do nothing");
    screen.key(KeyCode::Esc);
    assert!(!screen.app.help_open());
    screen.press('?');
    screen.press('?');
    assert!(!screen.app.help_open(), "? toggles");
}

/// Types `text` after `/` as a person would, through the loop's update.
fn type_filter(screen: &mut Screen, text: &str) {
    screen.press('/');
    for c in text.chars() {
        screen.press(c);
    }
}

#[test]
fn filter_prompt_while_typing_80x24() {
    let mut screen = busy(24);
    type_filter(&mut screen, "identity-1 kind:ag");
    assert_eq!(screen.app.prompt(), Some("identity-1 kind:ag"));
    assert_eq!(
        screen.app.order.len(),
        2,
        "the table filters as it is typed"
    );
    insta::assert_snapshot!(screen.draw(80, 24).backend());
}

#[test]
fn filter_applied_80x24() {
    let mut screen = busy(24);
    type_filter(&mut screen, "identity-1 kind:ag");
    screen.key(KeyCode::Enter);
    let names: Vec<&str> = screen
        .app
        .order
        .iter()
        .map(|&i| screen.app.snapshot.identities[i].name.as_str())
        .collect();
    assert_eq!(names, ["identity-14", "identity-11"]);
    let t = screen.draw(80, 24);
    assert!(format!("{}", t.backend()).contains("2 of 18 identities"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn filter_applied_160x48() {
    let mut screen = busy(48);
    type_filter(&mut screen, "kind:service");
    screen.key(KeyCode::Backspace);
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.filter().text(), "kind:servic");
    assert_eq!(screen.app.order.len(), 7, "the service accounts");
    insta::assert_snapshot!(screen.draw(160, 48).backend());
}

#[test]
fn the_filter_holds_across_snapshots_and_esc_clears_it() {
    let mut screen = busy(24);
    type_filter(&mut screen, "quiet");
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.order.len(), 1);
    assert_eq!(screen.selected(), Some("quiet-batch-job"));
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(screen.app.order.len(), 1, "a new snapshot is filtered too");
    // `/` opens the prompt on the filter in effect; Esc clears it.
    screen.press('/');
    assert_eq!(screen.app.prompt(), Some("quiet"));
    screen.key(KeyCode::Esc);
    assert_eq!(screen.app.prompt(), None);
    assert!(screen.app.filter().is_empty());
    assert_eq!(screen.app.order.len(), 18);
}

/// The KIND column writes `svc-acct`: typing what is shown finds the rows.
#[test]
fn the_filter_matches_the_kind_as_the_column_writes_it() {
    for typed in ["kind:svc", "kind:svc-acct"] {
        let mut screen = busy(24);
        type_filter(&mut screen, typed);
        screen.key(KeyCode::Enter);
        assert_eq!(screen.app.order.len(), 7, "{typed}: the service accounts");
    }
}

/// The identity view of an identity over its budget, with its alert.
fn identity_at_stake(height: u16) -> Screen {
    let mut screen = budgeted(height);
    screen.press('n');
    let at = screen
        .app
        .order
        .iter()
        .position(|&i| screen.app.snapshot.identities[i].name == "identity-14")
        .expect("identity-14 listed");
    for _ in 0..at {
        screen.press('j');
    }
    screen.key(KeyCode::Enter);
    screen
}

#[test]
fn identity_view_with_budgets_and_alerts_80x24() {
    let t = identity_at_stake(24).draw(80, 24);
    let text = format!("{}", t.backend());
    assert!(
        text.contains("BUDGETS") && text.contains("identity-14 daily"),
        "{text}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn identity_view_with_budgets_and_alerts_160x48() {
    let t = identity_at_stake(48).draw(160, 48);
    let text = format!("{}", t.backend());
    for shown in [
        "BUDGETS",
        "ALERTS",
        "TOKENS/MIN",
        "COST/MIN",
        "KIND (ALL LOADED)",
        "over",
    ] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn identity_view_over_24_hours_160x48() {
    let mut screen = detail(48);
    for _ in 0..2 {
        screen.press('w');
    }
    let t = screen.draw(160, 48);
    assert!(format!("{}", t.backend()).contains("last 24h"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn event_popup_80x24() {
    let mut screen = detail(24);
    screen.press('j');
    screen.key(KeyCode::Enter);
    insta::assert_snapshot!(screen.draw(80, 24).backend());
}

#[test]
fn event_popup_160x48() {
    let mut screen = detail(48);
    screen.key(KeyCode::Enter);
    let t = screen.draw(160, 48);
    let text = format!("{}", t.backend());
    for shown in ["event 1 of", "cache read", "reasoning", "Bash"] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_timeline_colours_each_token_class_from_the_theme() {
    let screen = detail(48);
    let t = screen.draw(160, 48);
    let theme = Theme::builtin();
    let buf = t.backend().buffer();
    let used: Vec<_> = buf
        .content()
        .iter()
        .filter(|c| c.symbol() == "█")
        .map(|c| c.fg)
        .collect();
    // The agent reads from cache and writes output: both classes are drawn in their colours.
    for class in [1, 3] {
        assert!(
            used.contains(&theme.class(class).fg.expect("colour")),
            "class {class}"
        );
    }
}

#[test]
fn every_view_survives_tiny_terminals() {
    let mut screens = vec![busy(10), detail(10), identity_at_stake(10)];
    let mut popup = detail(10);
    popup.key(KeyCode::Enter);
    screens.push(popup);
    for screen in &screens {
        for (w, h) in [(40, 10), (1, 1), (20, 5), (39, 9), (60, 12)] {
            screen.draw(w, h);
            // Every cell can be clicked: the hit-test follows the same layout.
            for (x, y) in (0..w).flat_map(|x| (0..h).map(move |y| (x, y))) {
                layout::hit(&screen.app, Rect::new(0, 0, w, h), x, y);
            }
        }
    }
}

#[test]
fn an_open_popup_keeps_its_event_as_newer_ones_arrive_and_after_it_leaves_the_list() {
    let mut screen = detail(24);
    // Opened straight away on the newest, before any snapshot has placed the cursor.
    screen.key(KeyCode::Enter);
    let shown = screen.app.event_popup().map(|e| (e.time, e.tokens));
    screen
        .engine
        .ingest(&event("agent-triage", NOON + 1_000, 777, 1));
    screen.engine.advance(NOON + 2_000);
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(screen.app.event_popup().map(|e| (e.time, e.tokens)), shown);
    assert_eq!(screen.app.event_cursor(), 1, "the newest moved down one");
    // Two requests in the same millisecond are still two events.
    screen
        .engine
        .ingest(&event("agent-triage", NOON + 1_000, 5, 5));
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(screen.app.event_popup().map(|e| (e.time, e.tokens)), shown);
    // Pushed out of the list by newer requests (a backfill does that within a frame):
    // the popup holds on to its event, and says so; it never shows another.
    for i in 0..40 {
        screen
            .engine
            .ingest(&event("agent-triage", NOON + 3_000 + i, 1, 1));
    }
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(screen.app.event_popup().map(|e| (e.time, e.tokens)), shown);
    assert!(!screen.app.popup_listed());
    let text = format!("{}", screen.draw(80, 24).backend());
    assert!(text.contains("no longer among the latest 32"), "{text}");
    // Nothing is older in the list: the next request keeps the held event, and moving
    // (which scrolls the record) does not fall through to the overview's selection.
    let identity = screen.selected().map(str::to_string);
    for key in [
        KeyCode::Char(']'),
        KeyCode::Down,
        KeyCode::PageDown,
        KeyCode::End,
    ] {
        screen.key(key);
        assert_eq!(screen.app.event_popup().map(|e| (e.time, e.tokens)), shown);
        assert_eq!(screen.selected().map(str::to_string), identity);
    }
    // The previous request is the oldest listed event, the one just newer than the held one.
    screen.press('[');
    assert!(screen.app.popup_listed());
    assert_eq!(screen.app.event_popup().map(|e| e.time), Some(NOON + 3_008));
    screen.press('[');
    assert_eq!(screen.app.event_popup().map(|e| e.time), Some(NOON + 3_009));
}

#[test]
fn the_popup_is_drawn_only_on_its_own_screen() {
    let mut screen = detail(48);
    screen.key(KeyCode::Enter);
    assert!(format!("{}", screen.draw(160, 48).backend()).contains("event 1 of"));
    for key in ['h', 'A'] {
        screen.press(key);
        let text = format!("{}", screen.draw(160, 48).backend());
        assert!(!text.contains("event 1 of"), "under {key}:\n{text}");
        screen.key(KeyCode::Esc);
    }
    assert!(format!("{}", screen.draw(160, 48).backend()).contains("event 1 of"));
}

#[test]
fn going_to_another_identity_from_the_alert_list_starts_its_view_afresh() {
    let mut screen = identity_at_stake(48);
    screen.press('j');
    screen.press('j');
    screen.key(KeyCode::Enter);
    assert!(screen.app.event_popup().is_some());
    screen.press('A');
    let other = screen
        .app
        .snapshot
        .alerts
        .iter()
        .position(|a| !a.concerns("identity-14"))
        .expect("an alert of another identity");
    for _ in 0..other {
        screen.press('j');
    }
    screen.key(KeyCode::Enter);
    screen.key(KeyCode::Enter);
    assert_ne!(screen.app.focus(), Some("identity-14"));
    assert_eq!(screen.app.event_cursor(), 0);
    assert!(screen.app.event_popup().is_none());
}

#[test]
fn an_open_popup_follows_its_response_as_a_larger_copy_arrives() {
    let mut screen = detail(24);
    screen.key(KeyCode::Enter);
    let before = screen.app.event_popup().cloned().expect("popup");
    assert!(
        before.key.is_some(),
        "the newest event is a response with copies"
    );
    let mut larger = copy(
        "agent-triage",
        NOON - 4_000,
        "msg_0:req_0",
        5_000,
        None,
        true,
    );
    larger.identity_kind = IdentityKind::Agent;
    larger.tokens.cache_read = 20_000;
    screen.engine.ingest(&larger);
    live::refresh(&screen.engine, &mut screen.app);
    let after = screen.app.event_popup().expect("still open");
    assert_eq!(after.key, before.key);
    assert_eq!(
        after.tokens.output, 5_000,
        "the popup shows the larger copy"
    );
}

#[test]
fn a_page_is_the_rows_in_sight_above_the_alerts_pane() {
    let mut e = engine();
    for i in 0..60 {
        e.ingest(&event(&format!("svc-{i:02}"), NOON - 1_000, 10 + i, 1));
    }
    let mut screen = Screen::new("t", e, 24);
    let area = Rect::new(0, 0, 80, 24);
    let full = layout::table_rows(&screen.app, area);
    screen.key(KeyCode::PageDown);
    assert_eq!(screen.app.selected, full);
    screen.press('g');
    screen.press('a');
    let beside = layout::table_rows(&screen.app, area);
    assert!(beside < full, "the pane takes rows: {beside} of {full}");
    for page in 1..=3 {
        screen.key(KeyCode::PageDown);
        assert_eq!(screen.app.selected, page * beside);
        // The selection is in sight above the pane, and no row was skipped unseen.
        let name = screen.selected().expect("a selection").to_string();
        let text = format!("{}", screen.draw(80, 24).backend());
        assert!(text.contains(&name), "{name} not in sight:\n{text}");
    }
}

#[test]
fn a_page_of_latest_requests_is_the_rows_in_sight() {
    let mut screen = detail(30);
    let area = Rect::new(0, 0, 100, 30);
    screen.app.update(Msg::Area(area));
    let rows = layout::page_rows(&screen.app, area);
    let count = screen.app.detail().map_or(0, |d| d.recent.len());
    assert!(1 < rows && rows < count, "{rows} in sight of {count}");
    // The requests drawn: the lines between the list's title and its "… N more".
    let text = format!("{}", screen.draw(100, 30).backend());
    let lines: Vec<&str> = text.lines().collect();
    let title = lines.iter().position(|l| l.contains("WHEN    MODEL"));
    // The first "… N more" under the title (a table above may be cut too).
    let more = |t: usize| lines[t..].iter().position(|l| l.contains("more "));
    let drawn = title.and_then(|t| more(t).map(|m| m - 1));
    assert_eq!(drawn, Some(rows), "a page is what is drawn:\n{text}");
    screen.key(KeyCode::PageDown);
    assert_eq!(screen.app.event_cursor(), rows);
}

/// The time axis ends under the last bar ("now" sat at the right edge, past the bars, at
/// 80 columns), and an alert's ▲ at the last minute leaves "now" readable (at 60 it wrote
/// over it).
#[test]
fn the_time_axis_ends_under_the_bars_beside_its_markers() {
    for width in [160, 80, 60] {
        let t = identity_at_stake(24).draw(width, 24);
        let rows: Vec<Vec<char>> = (0..24)
            .map(|y| {
                (0..width)
                    .map(|x| {
                        t.backend().buffer()[(x, y)]
                            .symbol()
                            .chars()
                            .next()
                            .unwrap_or(' ')
                    })
                    .collect()
            })
            .collect();
        let text = |y: usize| rows[y].iter().collect::<String>();
        let axis = (0..24).find(|&y| text(y).starts_with("-1h")).expect("axis");
        let head = (0..axis)
            .rev()
            .find(|&y| text(y).starts_with("TOKENS/MIN"))
            .expect("chart");
        // The last column with a bar (the charts share the left column with tables at 160).
        let last_bar = (head + 1..axis)
            .filter_map(|y| {
                rows[y][..60]
                    .iter()
                    .rposition(|&c| ('▁'..='█').contains(&c))
            })
            .max()
            .expect("bars");
        let line = text(axis);
        let now = line
            .find("now")
            .map(|b| line[..b].chars().count())
            .expect("now");
        let marker = rows[axis].iter().position(|&c| c == '▲').expect("marker");
        assert!(
            marker <= last_bar + 1 && marker > now + 2,
            "{width}: {line}"
        );
        assert!(
            now + 3 <= last_bar + 1 && now + 6 >= last_bar,
            "{width}: {line}"
        );
    }
}
