//! One frame of the live monitor with many identities: an engine holding 10,000 identities
//! (a few requests each over the last half hour), an app sorted by spend today, drawn by
//! `ui::render` into a 160x48 `TestBackend`. Separately, what the loop does on a tick
//! before drawing: `Engine::snapshot(None)` and `App::update(Msg::Snapshot)`, which sorts
//! (the engine thread's share now), and what stays on the loop: taking a snapshot whose
//! order the engine thread worked out (`Msg::Arranged`).
//! The same frame with 100 identities shows that drawing does not grow with the identity
//! count (only the rows on screen are formatted). The identity view of one of them (its
//! timeline over 24 hours, tables and latest requests), and the snapshot that carries it.
//!   cargo bench --bench render
//! Figures are quoted in docs/benchmarks.md.

mod common;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use tokentop::app::{App, Msg, SortKey};
use tokentop::engine::Engine;
use tokentop::event::{Event, IdentityKind, Tokens, ToolCall};
use tokentop::theme::Theme;
use tokentop::{live, ui};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
const EVENTS_PER_IDENTITY: u64 = 4;
/// 2026-01-01T12:00:00Z, the engine's "now".
const NOW: i64 = 1_767_268_800_000;

fn engine(identities: u64) -> Engine {
    let kinds = [
        IdentityKind::ServiceAccount,
        IdentityKind::ApiKey,
        IdentityKind::Agent,
    ];
    let mut engine = common::engine();
    for i in 0..identities * EVENTS_PER_IDENTITY {
        let who = i % identities;
        let event = Event {
            identity_kind: kinds[(who % 3) as usize],
            ..common::request(
                // Spread over the last 30 minutes, so rates and sparklines have something.
                NOW - 1_800_000 + (i * 7_919 % 1_800_000) as i64,
                format!("identity-{who:05}"),
                common::MODELS[(i % 4) as usize],
                Tokens {
                    input: 500 + i * 37 % 30_000,
                    cache_read: i * 13 % 2048,
                    output: 50 + i * 11 % 700,
                    ..Tokens::default()
                },
                if i % 7 == 0 {
                    vec![ToolCall::new(None, "search".into())]
                } else {
                    Vec::new()
                },
                100 + i % 5000,
            )
        };
        engine.ingest(&event);
    }
    engine.advance(NOW);
    engine
}

fn app(engine: &Engine) -> App {
    let mut app = App::new("bench".into(), engine.snapshot(None));
    assert_eq!(app.sort(), SortKey::Attention);
    app.update(Msg::Area(Rect::new(0, 0, WIDTH, HEIGHT)));
    app
}

fn benches(c: &mut Criterion) {
    let theme = Theme::builtin();
    let mut group = c.benchmark_group("live");
    for identities in [10_000, 100] {
        let engine = engine(identities);
        let app = app(&engine);
        assert_eq!(app.order.len(), identities as usize);
        let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
        group.bench_function(
            format!("frame {WIDTH}x{HEIGHT}, {identities} identities"),
            |b| {
                b.iter(|| {
                    terminal
                        .draw(|frame| ui::render(frame, &app, &theme))
                        .expect("draw");
                })
            },
        );
    }
    let engine = engine(10_000);
    let mut app = app(&engine);
    group.bench_function("snapshot + sort, 10000 identities", |b| {
        b.iter(|| {
            let snapshot = engine.snapshot(None);
            black_box(app.update(Msg::Snapshot(std::sync::Arc::new(snapshot))));
        })
    });
    // What is left on the UI loop when the engine thread has sorted the table: taking the
    // snapshot with its order (cloned from the watch, as the loop does).
    let snapshot = std::sync::Arc::new(engine.snapshot(None));
    let arranged = app.table_order().arrange(&snapshot, None);
    group.bench_function("take an arranged snapshot, 10000 identities", |b| {
        b.iter(|| {
            let msg = Msg::Arranged(std::sync::Arc::clone(&snapshot), arranged.clone());
            black_box(app.update(msg));
        })
    });
    // The identity view, its timeline over 24 hours: the widest one to draw.
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    let w = KeyEvent::new(KeyCode::Char('w'), KeyModifiers::NONE);
    for key in [enter, w, w] {
        live::update(&engine, &mut app, Msg::Key(key));
    }
    assert!(app.detail().is_some_and(|d| d.timeline.points.len() == 96));
    group.bench_function("identity view snapshot, 10000 identities", |b| {
        b.iter(|| black_box(engine.snapshot_with(&app.view())))
    });
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    group.bench_function(format!("identity view frame {WIDTH}x{HEIGHT}"), |b| {
        b.iter(|| {
            terminal
                .draw(|frame| ui::render(frame, &app, &theme))
                .expect("draw");
        })
    });
    group.finish();
}

criterion_group!(render, benches);
criterion_main!(render);
