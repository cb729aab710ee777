//! Live follow latency: for each line appended to a followed file, the time from just before
//! its `write` to the moment its event has come through the follower's channel, been
//! ingested and is in an `Engine::snapshot(None)`. Lines are appended one at a time, 2-5 ms
//! apart, to a file in a temp dir followed the way `tokentop DIR` follows it, in three modes:
//! filesystem events (inotify, with the default 1000 ms poll behind them) and the polling
//! fallback alone (`--poll-only`) at the default 1000 ms and at 100 ms.
//!
//!   cargo bench --bench latency                  # every mode, 2,000 lines each
//!   cargo bench --bench latency -- 500 events    # N lines; one mode: events, poll-1000, poll-100
//!
//! Prints p50/p90/p99/max per mode. Figures are quoted in docs/benchmarks.md. The screen
//! itself is redrawn on the live loop's 100 ms tick, which comes on top of these figures.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tokentop::engine::Engine;
use tokentop::pricing::PriceTable;
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::{self, FollowOptions, Follower};
use tokentop::source::origin::Origins;
use tokentop::source::{CHANNEL_CAPACITY, Feed};

const DEFAULT_LINES: usize = 2_000;
/// Appends are this far apart, plus up to `SPACING_JITTER`.
const SPACING_MIN: Duration = Duration::from_millis(2);
const SPACING_JITTER_US: u64 = 3_000;
/// A line that has not arrived this long after the last one means the follower lost it.
const HANG_GUARD: Duration = Duration::from_secs(30);

struct Mode {
    name: &'static str,
    options: FollowOptions,
}

fn modes() -> [Mode; 3] {
    let poll_only = |ms| FollowOptions {
        poll_every: Duration::from_millis(ms),
        watch: false,
    };
    [
        Mode {
            name: "events",
            options: FollowOptions::watching(Duration::from_millis(1000)),
        },
        Mode {
            name: "poll-1000",
            options: poll_only(1000),
        },
        Mode {
            name: "poll-100",
            options: poll_only(100),
        },
    ]
}

/// Positional arguments (cargo passes `--bench`, which is skipped).
fn args() -> (usize, Option<String>) {
    let positional: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let lines = positional
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(DEFAULT_LINES);
    (lines, positional.get(1).cloned())
}

/// Line `n`: its input token count is `n`, so the event says which write it came from.
fn line(n: usize) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T12:00:00Z","identity":"svc-latency","model":"gpt-4o-mini","tokens":{{"input":{n},"output":1}}}}"#
    ) + "\n"
}

/// A small deterministic jitter (xorshift), so appends do not land in lockstep with polls.
fn spacing(state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    SPACING_MIN + Duration::from_micros(*state % SPACING_JITTER_US)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

struct Stages {
    /// Write -> the batch holding the event taken off the channel.
    received: Vec<f64>,
    /// Write -> ingested and in a snapshot.
    in_snapshot: Vec<f64>,
}

fn run(mode: &Mode, lines: usize, prices: &Arc<PriceTable>) -> Stages {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("create the followed file");
    // Line 0 is there before the follower starts: once it arrives the follower is watching.
    file.write_all(line(0).as_bytes()).expect("write");

    let (tx, rx) = mpsc::sync_channel::<Feed>(CHANNEL_CAPACITY);
    let spec = SourceSpec::parse(&dir.path().to_string_lossy());
    let follower = follow::spawn(
        Follower::new(vec![spec], Origins::default()),
        tx,
        mode.options,
    )
    .expect("spawn follower");
    let mut engine = Engine::new(prices.clone(), jiff::tz::TimeZone::UTC);
    let mut received = vec![None; lines + 1];
    let mut in_snapshot = vec![None; lines + 1];
    let mut count = 0;
    let mut writer = None;
    while count < lines + 1 {
        let feed = rx.recv_timeout(HANG_GUARD).unwrap_or_else(|e| {
            panic!(
                "{}: {count} of {} lines arrived ({e})",
                mode.name,
                lines + 1
            )
        });
        let Feed::Events(batch) = feed else { continue };
        let arrived = Instant::now();
        for event in &batch {
            engine.ingest(event);
        }
        engine.advance(jiff::Timestamp::now().as_millisecond());
        let snapshot = engine.snapshot(None);
        let done = Instant::now();
        assert!(snapshot.totals.requests as usize >= count + batch.len());
        for event in &batch {
            let n = event.tokens.input as usize;
            assert!(received[n].is_none(), "line {n} arrived twice");
            received[n] = Some(arrived);
            in_snapshot[n] = Some(done);
        }
        count += batch.len();
        if writer.is_none() && received[0].is_some() {
            let mut file = file.try_clone().expect("file handle");
            writer = Some(std::thread::spawn(move || {
                let mut jitter = 0x9e37_79b9_7f4a_7c15;
                let mut written = vec![Instant::now()];
                for n in 1..=lines {
                    std::thread::sleep(spacing(&mut jitter));
                    let text = line(n);
                    written.push(Instant::now());
                    file.write_all(text.as_bytes()).expect("append");
                }
                written
            }));
        }
    }
    let written = writer.expect("writer").join().expect("writer thread");
    drop(rx);
    follower.join().expect("follow thread");
    let ms = |at: &[Option<Instant>]| -> Vec<f64> {
        let mut v: Vec<f64> = (1..=lines)
            .map(|n| {
                let at = at[n].expect("every line arrived");
                at.duration_since(written[n]).as_secs_f64() * 1e3
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    Stages {
        received: ms(&received),
        in_snapshot: ms(&in_snapshot),
    }
}

fn main() {
    let (lines, only) = args();
    let prices = Arc::new(PriceTable::builtin().clone());
    println!(
        "{lines} appends, {}-{} ms apart; latency from just before write(), in ms",
        SPACING_MIN.as_millis(),
        (SPACING_MIN + Duration::from_micros(SPACING_JITTER_US)).as_millis()
    );
    println!(
        "{:<10} {:<24} {:>8} {:>8} {:>8} {:>8}",
        "mode", "until", "p50", "p90", "p99", "max"
    );
    let mut ran = false;
    for mode in modes()
        .iter()
        .filter(|m| only.as_deref().is_none_or(|o| o == m.name))
    {
        ran = true;
        let stages = run(mode, lines, &prices);
        for (until, v) in [
            ("received from channel", &stages.received),
            ("ingested, in snapshot", &stages.in_snapshot),
        ] {
            println!(
                "{:<10} {until:<24} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                mode.name,
                percentile(v, 0.50),
                percentile(v, 0.90),
                percentile(v, 0.99),
                percentile(v, 1.0),
            );
        }
    }
    if !ran {
        eprintln!("unknown mode {only:?}: use events, poll-1000 or poll-100");
        std::process::exit(2);
    }
}
