//! `←` in replay on a large history: the time of a one-minute step back (restore the last
//! checkpoint at or before the target, play forward from it) at points spread over the
//! events, from the densest parts of the history. Also prints the read, the jumps forward
//! and the peak resident set (the checkpoints are engines).
//!   python3 scripts/gen_claude_tree.py /tmp/tree200k       # 200,000 responses
//!   cargo bench --bench replay -- /tmp/tree200k      # PATH [POINTS], 10 points by default
//! Figures are quoted in docs/benchmarks.md.

mod process;

use std::time::Instant;

use process::{arg, status_mib};
use tokentop::replay::controls::Control;

// The binary's allocator, so that the times are the ones `tokentop replay` would have.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "/tmp/tree200k".into());
    let specs = tokentop::cli::source_specs(std::slice::from_ref(&path)).expect("path");
    let now = jiff::Timestamp::now().as_millisecond();
    let wall = Instant::now();
    let history = tokentop::replay::history::read(specs, None, (None, None), now);
    let read_s = wall.elapsed().as_secs_f64();
    let events = history.events.len();
    println!(
        "{path}: {events} events read and sorted in {read_s:.2} s, resident set {:.0} MiB",
        status_mib("VmRSS:")
    );
    assert!(events > 0, "no events in {path}");
    let points = usize::try_from(arg(1, 10)).unwrap_or(10).max(1);
    let engine = tokentop::engine::Engine::new(
        std::sync::Arc::new(tokentop::pricing::PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    );
    let mut replay = tokentop::replay::start(&history, engine, (None, None), 60).expect("history");
    let mut backs = Vec::new();
    for point in 1..=points {
        // A minute after an event, so the step back lands among events.
        let at = history.events[events * point / (points + 1)].time + 60_000;
        replay.control(Control::Jump);
        let wall = Instant::now();
        let shown = jump_to(&mut replay, at);
        let forward_s = wall.elapsed().as_secs_f64();
        let wall = Instant::now();
        replay.control(Control::Back);
        let back = wall.elapsed().as_secs_f64();
        backs.push(back);
        println!(
            "{shown}: forward {forward_s:.3} s, one minute back {:.1} ms",
            back * 1e3
        );
    }
    backs.sort_by(f64::total_cmp);
    println!(
        "one minute back over {points} points: median {:.1} ms, max {:.1} ms",
        backs[points / 2] * 1e3,
        backs[points - 1] * 1e3
    );
    // The checkpoints are engines: what they hold shows in the resident set.
    println!(
        "peak resident set {:.0} MiB, at the end {:.0} MiB",
        status_mib("VmHWM:"),
        status_mib("VmRSS:")
    );
}

/// Types the time in (as `:` does) and returns the cursor's clock.
fn jump_to(replay: &mut tokentop::replay::controls::Replay, at: i64) -> String {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let text = tokentop::timefmt::format_rfc3339_ms(at);
    for c in text.chars().chain(['\r']) {
        let code = if c == '\r' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        replay.key(&KeyEvent::new(code, KeyModifiers::NONE), false);
    }
    replay.status().clock
}
