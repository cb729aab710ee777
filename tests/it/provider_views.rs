//! The providers view (`P`) and the providers in the sources view and the header, drawn
//! into a TestBackend at 120x40 and 80x24 and driven through `live::update` as the loop
//! does. The snapshot's provider part is made here, as the engine hands it over.

use std::sync::Arc;

use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokentop::app::Msg;
use tokentop::engine::Engine;
use tokentop::engine::providers::reconcile::{Basis, ReconcileRow, UnmappedKey};
use tokentop::engine::providers::{ProviderToday, ProvidersView};
use tokentop::event::Tokens;
use tokentop::keymap::Screen as View;
use tokentop::parse::provider::Provider;
use tokentop::source::health::SourceHealth;
use tokentop::source::provider::{ProviderHealth, ProviderStatus};

use crate::common::{NOON, event};
use crate::views::Screen;

const REFUSED: &str = "anthropic: the admin key was refused (401 Unauthorized): set \
                       ANTHROPIC_ADMIN_KEY to an organization admin key";

/// Three identities with logged spend, in an engine in `tz`.
fn logged(tz: jiff::tz::TimeZone) -> Engine {
    let mut e = Engine::new(
        Arc::new(tokentop::pricing::PriceTable::builtin().clone()),
        tz,
    );
    for (i, name) in ["svc-checkout", "svc-search", "svc-batch"]
        .iter()
        .enumerate()
    {
        e.ingest(&event(name, NOON - 60_000 * (i as i64 + 1), 20_000, 900));
    }
    e
}

fn screen_in(tz: jiff::tz::TimeZone, width: u16, height: u16) -> Screen {
    let mut s = Screen::new("demo", logged(tz), height);
    s.app.update(Msg::Area(Rect::new(0, 0, width, height)));
    s
}

fn screen(width: u16, height: u16) -> Screen {
    screen_in(jiff::tz::TimeZone::UTC, width, height)
}

/// OpenAI polled fine a minute ago (after a retry and a 429); Anthropic stopped on a
/// refused key, with what it read before and restored from the store.
fn statuses() -> [ProviderStatus; 2] {
    let openai = ProviderStatus {
        provider: Some(Provider::OpenAi),
        health: ProviderHealth {
            url: "https://api.openai.com/v1".into(),
            ok: true,
            last_error: None,
            last_success: Some("2026-01-01T11:59:00Z".into()),
            pages: 12,
            requests: 14,
            retries: 2,
            rate_limited: 1,
            skipped_results: 0,
        },
        next_poll: Some(NOON + 45_000),
        rate_limited_until: None,
        stopped: false,
        restored_buckets: 96,
    };
    let anthropic = ProviderStatus {
        provider: Some(Provider::Anthropic),
        health: ProviderHealth {
            url: "https://api.anthropic.com".into(),
            ok: false,
            last_error: Some(REFUSED.into()),
            last_success: None,
            pages: 0,
            requests: 1,
            retries: 0,
            rate_limited: 0,
            skipped_results: 0,
        },
        next_poll: None,
        rate_limited_until: None,
        stopped: true,
        restored_buckets: 40,
    };
    [openai, anthropic]
}

fn row(identity: &str, day: &str, provider: f64, basis: Basis, logged: f64) -> ReconcileRow {
    ReconcileRow {
        identity: identity.into(),
        day: day.into(),
        provider_usd: provider,
        provider_basis: basis,
        logged_usd: logged,
        unattributed_usd: provider - logged,
        over: false,
        settled: true,
        unpriced_rows: 0,
    }
}

/// Today's usage of both, an OVER row (a settled day), a pending row (today), a row the
/// logs more than explain, and two keys no rule maps.
fn view() -> ProvidersView {
    let openai = ProviderToday {
        provider: Provider::OpenAi,
        day: "2026-01-01".into(),
        tokens: Tokens {
            input: 1_200_000,
            cache_read: 3_400_000,
            output: 210_000,
            ..Tokens::default()
        },
        requests: Some(1_234),
        usd: 12.34,
        basis: Basis::Billed,
        unpriced_rows: 0,
        keys: 3,
    };
    let anthropic = ProviderToday {
        provider: Provider::Anthropic,
        day: "2026-01-01".into(),
        tokens: Tokens {
            input: 80_000,
            cache_read: 500_000,
            cache_write_5m: 40_000,
            cache_write_1h: 10_000,
            output: 30_000,
            ..Tokens::default()
        },
        requests: None,
        usd: 3.21,
        basis: Basis::Estimated,
        unpriced_rows: 2,
        keys: 1,
    };
    let mut over = row("svc-leaky", "2025-12-31", 9.5, Basis::Billed, 0.0);
    over.over = true;
    let mut pending = row("svc-checkout", "2026-01-01", 3.0, Basis::Estimated, 2.0);
    pending.settled = false;
    let explained = row("svc-search", "2025-12-30", 4.0, Basis::Billed, 5.0);
    ProvidersView {
        today: vec![openai, anthropic],
        logged_today_usd: 10.0,
        rows: vec![over, pending, explained],
        unmapped: vec![
            UnmappedKey {
                provider: Provider::OpenAi,
                api_key_id: Some("key_7Hq2side".into()),
                project: Some("proj_side".into()),
                estimated_usd: 1.75,
                unpriced_rows: 0,
            },
            UnmappedKey {
                provider: Provider::Anthropic,
                api_key_id: None,
                project: Some("wrkspc_01".into()),
                estimated_usd: 0.4,
                unpriced_rows: 0,
            },
        ],
        threshold_usd: 5.0,
        settle: "2h".into(),
    }
}

/// The snapshot shown, with `view` as its provider part.
fn show(s: &mut Screen, view: ProvidersView) {
    let mut snapshot = (*s.app.snapshot).clone();
    snapshot.providers = Some(Arc::new(view));
    s.app.update(Msg::Snapshot(Arc::new(snapshot)));
}

fn with_providers(mut s: Screen) -> Screen {
    for status in statuses() {
        s.app.update(Msg::ProviderStatus(status));
    }
    show(&mut s, view());
    s
}

fn providers(width: u16, height: u16) -> Screen {
    let mut s = with_providers(screen(width, height));
    s.press('P');
    assert_eq!(s.app.screen(), View::Providers);
    s
}

fn text(t: &Terminal<TestBackend>) -> String {
    format!("{}", t.backend())
}

fn line(t: &Terminal<TestBackend>, y: u16) -> String {
    crate::tui_more::line(t, y)
}

/// The line of the drawing that holds `what`.
fn line_with(t: &Terminal<TestBackend>, what: &str) -> String {
    let height = t.backend().buffer().area.height;
    (0..height)
        .map(|y| line(t, y))
        .find(|l| l.contains(what))
        .unwrap_or_else(|| panic!("{what} not drawn:\n{}", text(t)))
}

#[test]
fn providers_120x40() {
    let t = providers(120, 40).draw(120, 40);
    let openai = line_with(&t, "✓ openai");
    assert!(openai.contains("ok  https://api.openai.com/v1"), "{openai}");
    let stopped = line_with(&t, "✗ anthropic");
    assert!(stopped.contains("stopped"), "{stopped}");
    assert!(line_with(&t, "error").contains("401 Unauthorized"));
    let polled = line_with(&t, "last ok");
    assert!(
        polled.contains("last ok 11:59:00 (1m ago) · next poll 12:00:45 (in 45s)"),
        "{polled}"
    );
    let http = line_with(&t, "retries");
    assert!(
        http.contains("requests 14 · retries 2 · 429s 1 · pages 12 · restored 96 buckets"),
        "{http}"
    );
    assert!(line_with(&t, "$12.34 billed").contains("requests 1,234 · keys 3"));
    let anthropic = line_with(&t, "$3.21 estimated");
    assert!(
        anthropic.contains("requests — · keys 1 · unpriced 2 rows"),
        "{anthropic}"
    );
    assert!(
        line_with(&t, "cache write 5m 40.0k").contains("1h 10.0k · output 30.0k"),
        "anthropic's tokens by class"
    );
    let today = line_with(&t, "logged $10.00");
    assert!(
        today.contains("│ openai $12.34 billed │ anthropic $3.21 estimated"),
        "{today}"
    );
    let over = line_with(&t, "svc-leaky");
    for cell in ["2025-12-31", "$9.50", "billed", "$0", "+$9.50", "OVER"] {
        assert!(over.contains(cell), "{cell} missing: {over}");
    }
    let pending = line_with(&t, "svc-checkout");
    for cell in ["$3.00", "estimated", "$2.00", "+$1.00", "pending"] {
        assert!(pending.contains(cell), "{cell} missing: {pending}");
    }
    assert!(line_with(&t, "svc-search").contains("-$1.00"));
    let unmapped = line_with(&t, "key_7Hq2side");
    assert!(
        unmapped.contains("openai") && unmapped.contains("proj_side") && unmapped.contains("$1.75"),
        "{unmapped}"
    );
    assert!(line_with(&t, "wrkspc_01").contains("—"));
    // The order is the engine's: most unattributed first.
    let all = text(&t);
    assert!(all.find("svc-leaky") < all.find("svc-search"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn providers_80x24() {
    let t = providers(80, 24).draw(80, 24);
    let all = text(&t);
    assert!(all.contains("providers: 2, 1 degraded"), "{all}");
    assert!(
        all.contains("lines 1-19 of 26"),
        "it scrolls, the error over two lines: {all}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_finding_is_drawn_as_one() {
    let t = providers(120, 40).draw(120, 40);
    let critical = tokentop::theme::Theme::builtin().level(tokentop::theme::Level::Critical);
    let y = (0..40)
        .find(|&y| line(&t, y).contains("svc-leaky"))
        .expect("on screen");
    let x = line(&t, y).find("OVER").expect("mark");
    let x = line(&t, y)[..x].chars().count() as u16;
    assert_eq!(t.backend().buffer()[(x, y)].style().fg, critical.fg);
}

#[test]
fn p_opens_the_providers_esc_and_p_close_them_and_moving_scrolls() {
    let mut s = providers(80, 24);
    s.press('j');
    assert_eq!(s.app.providers_scroll(), Some(1));
    s.press('G');
    let bottom = s.draw(80, 24);
    let last = line(&bottom, 21);
    assert!(
        last.contains("wrkspc_01"),
        "the last line is the last key:\n{}",
        text(&bottom)
    );
    let max = s.app.providers_scroll().expect("open");
    s.key(KeyCode::Down);
    assert_eq!(
        s.app.providers_scroll(),
        Some(max),
        "no scrolling past the end"
    );
    s.press('k');
    assert_eq!(s.app.providers_scroll(), Some(max - 1));
    s.press('g');
    assert_eq!(s.app.providers_scroll(), Some(0));
    // Other screens' keys wait here.
    for c in ['A', 's', 'a'] {
        s.press(c);
        assert_eq!(s.app.screen(), View::Providers, "{c}");
    }
    s.key(KeyCode::Esc);
    assert_eq!(s.app.screen(), View::Table);
    s.press('P');
    assert_eq!(s.app.screen(), View::Providers);
    s.press('P');
    assert_eq!(s.app.screen(), View::Table, "P toggles");
    // h and P go from one page to the other, at its top; Esc goes back under both.
    s.press('P');
    s.press('j');
    s.press('h');
    assert_eq!(s.app.screen(), View::Sources);
    assert_eq!(s.app.sources_scroll(), Some(0));
    s.press('P');
    assert_eq!(s.app.screen(), View::Providers);
    assert_eq!(s.app.providers_scroll(), Some(0));
    s.key(KeyCode::Esc);
    assert_eq!(s.app.screen(), View::Table);
    // The help lists it.
    s.press('?');
    assert!(s.app.help_open());
    let help = text(&s.draw(120, 40));
    assert!(help.contains("P            providers"), "{help}");
    s.key(KeyCode::Esc);
    s.press('P');
    s.press('q');
    assert!(s.app.quit, "q quits from here as everywhere");
}

#[test]
fn the_wheel_scrolls_the_providers_view() {
    use crossterm::event::{KeyModifiers, MouseEvent, MouseEventKind};
    let mut s = providers(80, 24);
    let wheel = MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 10,
        row: 10,
        modifiers: KeyModifiers::NONE,
    };
    tokentop::live::update(
        &s.engine,
        &mut s.app,
        Msg::Mouse {
            event: wheel,
            at_ms: 0,
        },
    );
    assert_eq!(s.app.providers_scroll(), Some(3));
}

fn empty_providers(width: u16, height: u16) -> Terminal<TestBackend> {
    let mut s = screen(width, height);
    s.press('P');
    assert_eq!(s.app.screen(), View::Providers);
    s.draw(width, height)
}

fn assert_says_how_to_turn_them_on(t: &Terminal<TestBackend>) {
    let all = text(t);
    for said in [
        "No provider is polled.",
        "--openai or --anthropic",
        "[providers.openai] / [providers.anthropic]",
        "OPENAI_ADMIN_KEY or ANTHROPIC_ADMIN_KEY",
    ] {
        assert!(all.contains(said), "{said} missing:\n{all}");
    }
}

#[test]
fn no_provider_120x40() {
    let t = empty_providers(120, 40);
    assert_says_how_to_turn_them_on(&t);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn no_provider_80x24() {
    let t = empty_providers(80, 24);
    assert_says_how_to_turn_them_on(&t);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn a_provider_not_read_yet_says_so() {
    let mut s = screen(80, 24);
    s.app.update(Msg::ProviderStatus(ProviderStatus {
        provider: Some(Provider::OpenAi),
        ..ProviderStatus::default()
    }));
    s.press('P');
    let t = s.draw(80, 24);
    assert!(line_with(&t, "openai").contains("starting"));
    assert!(line_with(&t, "last ok").contains("last ok never · next poll —"));
    line_with(&t, "nothing read for today yet");
    line_with(&t, "Nothing read from the providers yet");
}

#[test]
fn a_rate_limit_and_the_times_follow_the_engines_time_zone() {
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("bundled");
    let mut s = screen_in(tokyo, 120, 40);
    let [mut openai, _] = statuses();
    openai.rate_limited_until = Some(NOON + 90_000);
    s.app.update(Msg::ProviderStatus(openai));
    s.press('P');
    let t = s.draw(120, 40);
    assert!(
        line_with(&t, "openai").contains("rate limited until 21:01:30"),
        "UTC+9"
    );
    assert!(line_with(&t, "last ok").contains("last ok 20:59:00 (1m ago) · next poll 21:00:45"));
}

/// The sources view with a log source and both providers.
fn sources(width: u16, height: u16) -> Screen {
    let mut s = with_providers(screen(width, height));
    let mut logs = SourceHealth::new("~/.claude/projects");
    (logs.files, logs.lines, logs.events) = (4, 120, 100);
    s.app.update(Msg::Health(vec![logs]));
    s.press('h');
    assert_eq!(s.app.screen(), View::Sources);
    s
}

fn assert_sources(t: &Terminal<TestBackend>) {
    let all = text(t);
    assert!(all.contains("sources: 3, 1 failing"), "{all}");
    let stopped = line_with(t, "✗ anthropic");
    assert!(
        stopped.contains("https://api.anthropic.com  stopped"),
        "{stopped}"
    );
    assert!(line_with(t, "error").contains("401 Unauthorized"));
    assert!(line_with(t, "✓ openai").contains("https://api.openai.com/v1  ok"));
    // Failing first.
    assert!(all.find("anthropic") < all.find("~/.claude/projects"));
    assert!(all.find("~/.claude/projects") < all.find("✓ openai"));
}

#[test]
fn sources_with_providers_120x40() {
    let t = sources(120, 40).draw(120, 40);
    assert_sources(&t);
    assert!(line_with(&t, "✓ openai").contains("ok"));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn sources_with_providers_80x24() {
    let t = sources(80, 24).draw(80, 24);
    assert_sources(&t);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_header_counts_providers_among_the_sources() {
    for (width, height) in [(120, 40), (80, 24)] {
        let mut s = screen(width, height);
        s.app
            .update(Msg::Health(vec![SourceHealth::new("~/.claude/projects")]));
        let [openai, anthropic] = statuses();
        s.app.update(Msg::ProviderStatus(openai));
        let t = s.draw(width, height);
        assert!(
            line(&t, 1).starts_with(" sources ok (2) "),
            "{}",
            line(&t, 1)
        );
        s.app.update(Msg::ProviderStatus(anthropic));
        let t = s.draw(width, height);
        let header = line(&t, 1);
        assert!(
            header.starts_with(" 1 of 3 sources degraded: anthropic: the admin key was refused"),
            "{header}"
        );
        let status = line(&t, height - 1);
        assert!(
            status.contains(" h sources"),
            "a failing provider leads to h: {status}"
        );
    }
}

#[test]
fn a_provider_stopped_alone_is_a_degraded_source() {
    let mut s = screen(120, 40);
    let [_, anthropic] = statuses();
    s.app.update(Msg::ProviderStatus(anthropic));
    let header = line(&s.draw(120, 40), 1);
    assert!(header.starts_with(" 1 of 1 sources degraded: "), "{header}");
}

#[test]
fn hostile_provider_strings_are_sanitized() {
    let mut s = screen(120, 40);
    let [mut openai, _] = statuses();
    openai.health.url = "https://evil.example/\x1b]0;pwned\x07".into();
    openai.health.last_error = Some("openai: \x1b[2Jcleared".into());
    openai.health.last_success = Some("\x1b[31mnot a time".into());
    s.app.update(Msg::ProviderStatus(openai));
    let mut v = view();
    v.rows[0].identity = "svc-\x1b[31mred\x1b[0m".into();
    v.rows[1].day = "\u{202e}2026-01-01".into();
    v.unmapped[0].api_key_id = Some("key_\x1b[2Jgone".into());
    v.unmapped[1].project = Some("ws\u{7}bell".into());
    v.settle = "2h\x1b[1A".into();
    show(&mut s, v);
    for page in ['P', 'h'] {
        s.press(page);
        let t = s.draw(120, 40);
        let all = text(&t);
        assert!(
            !all.contains('\x1b') && !all.contains('\u{7}') && !all.contains('\u{202e}'),
            "{all}"
        );
        if page == 'P' {
            for shown in [
                "svc-\\x1b[31mred",
                "key_\\x1b[2Jgone",
                "ws\\x07bell",
                "\\u{202e}2",
                "\\x1b[31mnot a time",
                "2h\\x1b[1A",
            ] {
                assert!(all.contains(shown), "{shown} missing:\n{all}");
            }
        }
        assert!(all.contains("evil.example/\\x1b]0;pwned\\x07"), "{all}");
        assert!(all.contains("openai: \\x1b[2Jcleared"), "{all}");
        s.key(KeyCode::Esc);
    }
}

/// A next poll whose time has come reads as due, not as a time ahead.
#[test]
fn a_poll_that_is_due_says_so() {
    let mut s = screen(120, 40);
    let [mut openai, _] = statuses();
    openai.next_poll = Some(NOON - 5_000);
    s.app.update(Msg::ProviderStatus(openai));
    s.press('P');
    assert!(line_with(&s.draw(120, 40), "next poll").contains("next poll 11:59:55 (due)"));
}

#[test]
fn the_providers_view_fits_small_terminals() {
    let mut s = providers(40, 10);
    let mut empty = screen(40, 10);
    empty.press('P');
    for w in 1..=20 {
        for h in 1..=8 {
            for s in [&mut s, &mut empty] {
                s.app.update(Msg::Area(Rect::new(0, 0, w, h)));
                s.press('G');
                s.draw(w, h);
            }
        }
    }
    assert_eq!(s.app.screen(), View::Providers);
}
