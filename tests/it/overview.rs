//! The first screen, as issue 13 asks of it: the header's units and changes, the table's
//! ranges, whose budget a row shows, names, the attention order and the side panel.

use crossterm::event::KeyCode;
use tokentop::app::{Msg, RERANK_MS, SortKey, TableOrder};
use tokentop::engine::snapshot::TotalsRange;
use tokentop::live;
use tokentop::parse::RejectReason;
use tokentop::source::health::SourceHealth;

use crate::common::{MIN, NOON, engine, event};
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

/// The rows' names in the table's order.
fn names(screen: &crate::views::Screen) -> Vec<String> {
    let rows = &screen.app.snapshot.identities;
    screen
        .app
        .order
        .iter()
        .map(|&i| rows[i].name.clone())
        .collect()
}

/// The runaway agent sat on row 9 of 12 under "today": `attention`, the default, puts
/// unacknowledged critical alerts first, then warnings, then the highest spend rate.
#[test]
fn attention_is_the_default_and_puts_open_alerts_first() {
    let mut screen = crate::alert_views::alerting(24);
    assert_eq!(screen.app.sort(), SortKey::Attention);
    let s = &screen.app.snapshot;
    let order = names(&screen);
    let rate = |name: &str| {
        let r = s.identities.iter().find(|r| r.name == name).expect("row");
        r.rates.cost_per_hour
    };
    // Both critical (the burst, the budget over), by rate; then the warning; then the rest.
    let (first, second) = (&order[0], &order[1]);
    let mut criticals = ["agent-loop-runner", "svc-checkout"];
    criticals.sort_by(|a, b| rate(b).total_cmp(&rate(a)));
    assert_eq!([first.as_str(), second.as_str()], criticals[..]);
    assert_eq!(order[2], "svc-search-rag");
    assert_eq!(order[3], "key_prod_web");
    assert_eq!(screen.app.selected, 0);
    let text = lines(&screen, 120, 24).join("\n");
    assert!(text.contains(" 1 of 4 "), "{text}");
    // Acknowledging the top row's alerts ranks again at once: it goes down among the
    // rows without open alerts, and the selection stays on row 1.
    let top = order[0].clone();
    screen.press('x');
    let order = names(&screen);
    assert_ne!(order[0], top);
    assert_eq!(screen.app.selected, 0);
    // `s` steps from attention to the first column, S back.
    screen.press('s');
    assert_eq!(screen.app.sort(), SortKey::Name);
    screen.press('S');
    assert_eq!(screen.app.sort(), SortKey::Attention);
}

/// Rates move with every snapshot; the attention order holds for 5 s of snapshot time so
/// that rows do not shuffle under the reader, then is ranked again.
#[test]
fn the_attention_order_is_ranked_at_most_every_five_seconds() {
    let mut e = engine();
    for (name, input) in [("a-first", 900_000), ("b-second", 500_000)] {
        e.ingest(&event(name, NOON - 10_000, input, 100));
    }
    e.advance(NOON);
    let by = TableOrder::default();
    let first = by.arrange(&e.snapshot(None), None);
    let kept = first.ranking.clone().expect("attention keeps a ranking");
    assert_eq!(kept.at, NOON);
    // b-second now spends far more than a-first.
    e.ingest(&event("b-second", NOON + 1_000, 9_000_000, 100));
    let order_at = |e: &mut tokentop::engine::Engine, now| {
        e.advance(now);
        let s = e.snapshot(None);
        let arranged = by.arrange(&s, Some(&kept));
        let names: Vec<String> = arranged
            .order
            .iter()
            .map(|&i| s.identities[i].name.clone())
            .collect();
        (names, arranged.ranking.expect("ranking").at)
    };
    let held = order_at(&mut e, NOON + RERANK_MS - 1);
    assert_eq!(held, (vec!["a-first".into(), "b-second".into()], NOON));
    let ranked = order_at(&mut e, NOON + RERANK_MS);
    assert_eq!(
        ranked,
        (vec!["b-second".into(), "a-first".into()], NOON + RERANK_MS)
    );
}

/// A backfill's first snapshots hold rows whose events are all older than the rate
/// window: ranked by name only, they must not hold that order for 5 s.
#[test]
fn a_ranking_with_nothing_to_rank_by_does_not_hold() {
    let mut e = engine();
    let hour = 60 * MIN;
    for (name, input) in [("a-small", 1_000), ("b-large", 900_000)] {
        e.ingest(&event(name, NOON - 2 * hour, input, 100));
    }
    e.advance(NOON);
    let by = TableOrder::default();
    let first = by.arrange(&e.snapshot(None), None);
    let kept = first.ranking.expect("a ranking");
    // The backfill reaches the last minute: b-large is busy now.
    e.ingest(&event("b-large", NOON + 500, 900_000, 100));
    e.advance(NOON + 1_000);
    let s = e.snapshot(None);
    let order = by.arrange(&s, Some(&kept)).order;
    let names: Vec<&str> = order
        .iter()
        .map(|&i| s.identities[i].name.as_str())
        .collect();
    assert_eq!(names, ["b-large", "a-small"]);
}

/// The selection starts on row 1 and stays there across snapshots (whoever is there); once
/// a key moves it, it stays on its identity as rows move.
#[test]
fn the_selection_stays_on_row_one_until_a_key_moves_it() {
    let mut e = engine();
    for (name, input) in [("a", 900_000), ("b", 500_000), ("c", 100_000)] {
        e.ingest(&event(name, NOON - 10_000, input, 100));
    }
    let mut screen = crate::views::Screen::new("t", e, 24);
    assert_eq!(screen.selected(), Some("a"));
    // c overtakes everyone; once ranked again, row 1 is c, and so is the selection.
    screen
        .engine
        .ingest(&event("c", NOON + 1_000, 90_000_000, 100));
    screen.engine.advance(NOON + RERANK_MS);
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(names(&screen)[0], "c");
    assert_eq!(screen.selected(), Some("c"), "row 1, whoever is there");
    screen.press('j');
    assert_eq!(screen.selected(), Some("a"));
    screen
        .engine
        .ingest(&event("b", NOON + 6_000, 900_000_000, 100));
    screen.engine.advance(NOON + 2 * RERANK_MS);
    live::refresh(&screen.engine, &mut screen.app);
    assert_eq!(names(&screen)[0], "b");
    assert_eq!(
        screen.selected(),
        Some("a"),
        "the moved selection keeps its identity"
    );
}

/// Old logs: spend 3, 20 and 40 days ago, nothing today.
fn old_logs() -> crate::views::Screen {
    let mut e = engine();
    let day = 24 * 60 * MIN;
    for (name, days, usd) in [("recent", 3, 1.5), ("month", 20, 4.0), ("old", 40, 10.0)] {
        e.ingest(&crate::budgets::spend(name, NOON - days * day, usd));
    }
    crate::views::Screen::new("old", e, 24)
}

/// On last month's logs every cost read `$0`: the totals column's range cycles with `t`
/// through today, 7 days, 30 days and all loaded, named in its title, and the header says
/// that nothing happened today but shows what was loaded.
#[test]
fn old_logs_are_not_zero_the_totals_column_takes_a_range() {
    let mut screen = old_logs();
    screen.press('$');
    let text = lines(&screen, 120, 24);
    assert!(
        text[0].contains("nothing today · loaded $15.50"),
        "{}",
        text[0]
    );
    assert!(text[3].contains("TODAY▼"), "{}", text[3]);
    // Old rows have no rate: the totals column holds the row's only amount.
    let cell = |text: &[String], name: &str| {
        let line = text.iter().find(|l| l.starts_with(name)).expect("row");
        let amount = line.split_whitespace().find(|w| w.starts_with('$'));
        amount.unwrap_or("·").to_string()
    };
    assert_eq!(cell(&text, "recent"), "·", "nothing today is not $0");
    let expect = [
        ("7D▼", "7 days $1.50", ["$1.50", "·", "·"]),
        ("30D▼", "30 days $5.50", ["$1.50", "$4.00", "·"]),
        (
            "ALL▼",
            "nothing today · loaded $15.50",
            ["$1.50", "$4.00", "$10.00"],
        ),
    ];
    for (title, header, cells) in expect {
        screen.press('t');
        let text = lines(&screen, 120, 24);
        assert!(text[3].contains(title), "{}", text.join("\n"));
        assert!(text[0].contains(header), "{}", text[0]);
        let shown = ["recent", "month", "old"].map(|n| cell(&text, n));
        assert_eq!(shown, cells, "{title}");
    }
    // The order follows the range's spend; under `attention` too, with no rates to go by.
    assert_eq!(names(&screen), ["old", "month", "recent"]);
    // From the totals column `s` steps over the empty columns, round to attention.
    screen.press('s');
    assert_eq!(screen.app.sort(), SortKey::Attention);
    assert_eq!(names(&screen), ["old", "month", "recent"]);
    screen.press('t');
    assert_eq!(
        screen.app.snapshot.range,
        TotalsRange::Today,
        "and round again"
    );
}

/// `--since` sets the first range: the smallest that covers it.
#[test]
fn since_sets_the_first_range() {
    let tz = jiff::tz::TimeZone::UTC;
    let range =
        |text: Option<&str>| tokentop::request::monitor_range(text, &tz, NOON).expect("reads");
    assert_eq!(range(None), TotalsRange::Today);
    assert_eq!(range(Some("2h")), TotalsRange::Today);
    assert_eq!(range(Some("1d")), TotalsRange::Today);
    assert_eq!(range(Some("7d")), TotalsRange::SevenDays);
    assert_eq!(range(Some("2025-12-26")), TotalsRange::SevenDays);
    assert_eq!(range(Some("2025-12-25")), TotalsRange::ThirtyDays);
    assert_eq!(range(Some("30d")), TotalsRange::ThirtyDays);
    assert_eq!(range(Some("5w")), TotalsRange::All);
    assert_eq!(range(Some("2020-01-01")), TotalsRange::All);
    assert!(tokentop::request::monitor_range(Some("lately"), &tz, NOON).is_err());
}

/// A Claude Code response of the project in the folder `-home-dev-payments-api`.
fn project_event(time: tokentop::event::TimeMs) -> tokentop::event::Event {
    let mut e = crate::common::copy("-home-dev-payments-api", time, "m1:r1", 40, None, true);
    e.attrs.project = Some("/home/dev/payments-api".into());
    e
}

/// The folder's dashed name reads badly: the table shows the project's path, `~` only for
/// this machine's home; rules, budgets and reports keep the folder's name, and the filter
/// finds either.
#[test]
fn a_claude_code_project_is_shown_by_its_path() {
    let shown = |home: Option<&str>, config: &str| {
        let mut e = crate::budgets::engine_with(config);
        e.set_home(home.map(str::to_string));
        e.ingest(&project_event(NOON - MIN));
        e.advance(NOON);
        let row = e.snapshot(None).identities[0].clone();
        (row.name, row.display)
    };
    let folder = "-home-dev-payments-api".to_string();
    assert_eq!(
        shown(Some("/home"), ""),
        (folder.clone(), Some("~/dev/payments-api".into()))
    );
    assert_eq!(
        shown(Some("/home/ana"), ""),
        (folder.clone(), Some("/home/dev/payments-api".into())),
        "another's home stays whole"
    );
    assert_eq!(
        shown(Some("/home/dev/pay"), ""),
        (folder, Some("/home/dev/payments-api".into())),
        "a home is a whole folder"
    );
    let renamed = "[[identity]]\nmatch = { identity = \"-home-dev-*\" }\nname = \"payments\"\n";
    assert_eq!(shown(Some("/home"), renamed), ("payments".into(), None));

    let mut e = engine();
    e.set_home(Some("/home".into()));
    e.ingest(&project_event(NOON - MIN));
    let mut screen = crate::views::Screen::new("t", e, 24);
    let text = lines(&screen, 80, 24).join("\n");
    assert!(text.contains("~/dev/payments-api"), "{text}");
    assert!(!text.contains("-home-dev-payments-api"), "{text}");
    for typed in ["~/dev/pay", "-home-dev-pay"] {
        screen.press('/');
        typed.chars().for_each(|c| screen.press(c));
        screen.key(KeyCode::Enter);
        assert_eq!(screen.app.order.len(), 1, "{typed}");
        screen.press('/');
        screen.key(KeyCode::Esc);
    }
    // Its view is titled by the path too, the folder's name beside it.
    screen.key(KeyCode::Enter);
    let text = lines(&screen, 120, 40).join("\n");
    assert!(
        text.contains("~/dev/payments-api (-home-dev-payments-api)"),
        "{text}"
    );
}

/// `batch-nightly-summa` was cut silently: a name too long for its column ends in `…`,
/// and the columns empty on every row give the names their room.
#[test]
fn names_are_cut_with_an_ellipsis_and_take_the_room_of_empty_columns() {
    let long = "batch-nightly-summarizer-for-the-finance-team-eu";
    let one = || {
        let mut e = engine();
        e.ingest(&event(long, NOON - 10_000, 1_000, 100));
        e
    };
    let (e, mut t) = (one(), one());
    t.ingest(&{
        let mut ev = event("tools", NOON - 10_000, 1_000, 100);
        ev.tools = vec![tokentop::event::ToolCall::new(None, "search".into())];
        ev
    });
    // Too long for its column: cut, and marked.
    let name_at = |screen: crate::views::Screen, width| {
        let text = lines(&screen, width, 24);
        let row = text.iter().find(|l| l.starts_with("batch")).expect("row");
        let name = row
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(name.ends_with('…'), "{row}");
        assert!(long.starts_with(name.trim_end_matches('…')), "{row}");
        let header = &text[3];
        (
            name.chars().count(),
            header.contains("TOOLS/MIN"),
            header.contains("P90 IN"),
        )
    };
    let (with_tools, shown, p90_with) = name_at(crate::views::Screen::new("t", t, 24), 100);
    assert!(shown);
    // No tool call anywhere: the TOOLS/MIN column gives its room to the names, less what
    // a column that had given way to them takes back (P90 IN: 7 and its space).
    let (without, shown, p90_without) = name_at(crate::views::Screen::new("t", e, 24), 100);
    assert!(!shown);
    let back = if p90_without && !p90_with { 8 } else { 0 };
    assert_eq!(without, with_tools + 11 - back, "the column and its space");
}

/// Wider than 140 columns a side panel shows the spend's shares by model, team and kind
/// (from the snapshot); Tab gives it the keys, Enter filters the table to a share.
#[test]
fn a_wide_terminal_shows_the_shares_and_enter_filters_by_one() {
    let mut screen = crate::views::budgeted(48);
    screen
        .app
        .update(Msg::Area(ratatui::layout::Rect::new(0, 0, 160, 48)));
    let shares = screen.app.snapshot.shares.clone();
    let sum =
        |list: &[tokentop::engine::snapshot::Share]| list.iter().map(|s| s.share).sum::<f64>();
    assert!((sum(&shares.kind) - 1.0).abs() < 1e-9, "{:?}", shares.kind);
    assert!((sum(&shares.team) - 1.0).abs() < 1e-9, "{:?}", shares.team);
    let search = shares.team.iter().position(|s| s.label == "search");
    let search = search.expect("the search team's share");
    let text = lines(&screen, 160, 48).join("\n");
    for shown in [
        "spend today",
        "by model",
        "by team",
        "by kind",
        "gpt-4o-mini",
    ] {
        assert!(text.contains(shown), "{shown}:\n{text}");
    }
    let narrow = lines(&screen, 140, 48).join("\n");
    assert!(!narrow.contains("by team"), "{narrow}");
    // Tab, down to the search team, Enter: only the team's identities are left.
    screen.key(KeyCode::Tab);
    assert_eq!(screen.app.panel_cursor(), Some(0));
    for _ in 0..shares.model.len() + search {
        screen.press('j');
    }
    assert_eq!(
        screen.app.selected, 0,
        "the panel has the keys, not the table"
    );
    screen.key(KeyCode::Enter);
    assert_eq!(screen.app.filter().text(), "team:search");
    assert_eq!(screen.app.order.len(), 5);
    assert_eq!(screen.app.panel_cursor(), None, "back to the table");
}

/// An alert names its identity first, as the table shows it: a Claude Code project by its
/// path; the alert's identities keep the folder's name that rules and budgets know.
#[test]
fn alerts_name_a_project_by_its_path_too() {
    let config = "[[budget]]\nname = \"pay daily\"\nidentity = \"-home-dev-payments-api\"\nperiod = \"day\"\nlimit_usd = 0.000001\n";
    let mut e = crate::budgets::engine_with(config);
    e.set_home(Some("/home".into()));
    e.ingest(&project_event(NOON - MIN));
    e.advance(NOON);
    let alerts = e.snapshot(None).alerts;
    let alert = alerts.first().expect("an over-budget alert");
    assert!(
        alert.reason.starts_with("~/dev/payments-api: "),
        "{}",
        alert.reason
    );
    assert_eq!(alert.identities, ["-home-dev-payments-api"]);
}
