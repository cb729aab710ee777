//! `--demo`: bundled sample logs replayed as a live stream, through the same parsers and
//! engine as real files. The recording is a 10-minute loop; the first pass is placed in the
//! past (so the windows are full at start), later passes play in real time, forever.

use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::event::{Event, TimeMs};
use crate::parse::{LineContext, Parsed, parse_line};
use crate::source::health::SourceHealth;
use crate::source::tail::project_dir;
use crate::source::{BATCH, Feed};
use crate::timefmt::{format_rfc3339_ms, parse_rfc3339_ms};

/// The recorded files, by the path they would have on disk (it decides the identity of
/// Claude Code lines, as for real logs).
const FILES: &[(&str, &str)] = &[
    (
        "sample-data/demo/tokentop.jsonl",
        include_str!("../sample-data/demo/tokentop.jsonl"),
    ),
    (
        "sample-data/demo/claude/projects/-home-dev-payments-api/58e3159e-18fb-4bcb-a332-b5f8a4617393.jsonl",
        include_str!(
            "../sample-data/demo/claude/projects/-home-dev-payments-api/58e3159e-18fb-4bcb-a332-b5f8a4617393.jsonl"
        ),
    ),
    (
        "sample-data/demo/claude/projects/-home-dev-payments-api/2486b2ef-12e9-4f7d-b62a-264b167be2f8.jsonl",
        include_str!(
            "../sample-data/demo/claude/projects/-home-dev-payments-api/2486b2ef-12e9-4f7d-b62a-264b167be2f8.jsonl"
        ),
    ),
    (
        "sample-data/demo/claude/projects/-home-dev-infra-terraform/ecc20bda-ac1d-4cbe-883b-1c4b0ec90059.jsonl",
        include_str!(
            "../sample-data/demo/claude/projects/-home-dev-infra-terraform/ecc20bda-ac1d-4cbe-883b-1c4b0ec90059.jsonl"
        ),
    ),
];

/// The recording starts at this time (2026-01-01T00:00:00Z) and lasts [`LOOP_MS`].
const RECORDING_START: TimeMs = 1_767_225_600_000;
const LOOP_MS: TimeMs = 600_000;
/// How often replayed events are handed over while playing in real time.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The keys that hold a line's time in the two recorded formats.
const TIME_KEYS: [&str; 2] = ["\"timestamp\":\"", "\"ts\":\""];

/// One recorded line and where its time sits in the text.
#[derive(Clone, Copy, Debug)]
pub struct DemoLine {
    pub offset_ms: TimeMs,
    file: usize,
    text: &'static str,
    time_at: usize,
    time_len: usize,
}

impl DemoLine {
    /// The line with its time moved by `shift_ms`.
    pub fn shifted(&self, shift_ms: TimeMs) -> String {
        let time = format_rfc3339_ms(RECORDING_START + self.offset_ms + shift_ms);
        let mut out = String::with_capacity(self.text.len() + 4);
        out.push_str(&self.text[..self.time_at]);
        out.push_str(&time);
        out.push_str(&self.text[self.time_at + self.time_len..]);
        out
    }
}

fn locate_time(text: &str) -> Option<(usize, usize, TimeMs)> {
    TIME_KEYS.iter().find_map(|key| {
        let at = text.find(key)? + key.len();
        let len = text[at..].find('"')?;
        Some((at, len, parse_rfc3339_ms(&text[at..at + len])?))
    })
}

/// Every recorded line in time order (lines without a time are left out).
pub fn recording() -> Vec<DemoLine> {
    let mut lines: Vec<DemoLine> = FILES
        .iter()
        .enumerate()
        .flat_map(|(file, (_, text))| {
            text.lines().filter_map(move |line| {
                let (time_at, time_len, time) = locate_time(line)?;
                Some(DemoLine {
                    offset_ms: time - RECORDING_START,
                    file,
                    text: line,
                    time_at,
                    time_len,
                })
            })
        })
        .collect();
    lines.sort_by_key(|l| l.offset_ms);
    lines
}

/// Parses a replayed line exactly as the file reader would.
fn parse(
    line: &DemoLine,
    shift_ms: TimeMs,
    projects: &[Option<String>],
    health: &mut SourceHealth,
) -> Option<Event> {
    let text = line.shifted(shift_ms);
    let ctx = LineContext {
        project_dir: projects[line.file].as_deref(),
        read_time: RECORDING_START + line.offset_ms + shift_ms,
    };
    let parsed = parse_line(text.as_bytes(), &ctx);
    health.count(text.as_bytes(), &parsed);
    health.bytes += text.len() as u64 + 1;
    match parsed {
        Parsed::Event(e) => Some(*e),
        _ => None,
    }
}

/// Replays the recording on its own thread until the receiver closes. `clock` gives the
/// current time (the wall clock in the app).
pub fn spawn(
    tx: mpsc::Sender<Feed>,
    clock: fn() -> TimeMs,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("tokentop-demo".into())
        .spawn(move || run(tx, clock))
}

fn run(tx: mpsc::Sender<Feed>, clock: fn() -> TimeMs) {
    let lines = recording();
    let projects: Vec<Option<String>> = FILES
        .iter()
        .map(|(p, _)| project_dir(Path::new(p)))
        .collect();
    let mut health = SourceHealth::new("demo (bundled sample data)");
    health.files = FILES.len();
    let start = clock();
    let mut batch = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Event>, health: &SourceHealth| -> bool {
        let events = std::mem::take(batch);
        (events.is_empty() || tx.blocking_send(Feed::Events(events)).is_ok())
            && tx.blocking_send(Feed::Health(vec![health.clone()])).is_ok()
    };
    for pass in 0.. {
        // Pass 0 ends at `start`; pass 1 begins there.
        let shift = start - RECORDING_START + (pass - 1) * LOOP_MS;
        for line in &lines {
            let due = RECORDING_START + line.offset_ms + shift;
            loop {
                let now = clock();
                if now >= due {
                    break;
                }
                if !send(&mut batch, &health) {
                    return;
                }
                std::thread::sleep(FLUSH_EVERY.min(Duration::from_millis((due - now) as u64)));
            }
            if let Some(event) = parse(line, shift, &projects, &mut health) {
                batch.push(event);
            }
            if batch.len() >= BATCH && !send(&mut batch, &health) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_usage_line_parses_after_shifting() {
        let lines = recording();
        let projects: Vec<Option<String>> = FILES
            .iter()
            .map(|(p, _)| project_dir(Path::new(p)))
            .collect();
        let mut health = SourceHealth::new("demo");
        let shift = 123_456_789;
        let events: Vec<Event> = lines
            .iter()
            .filter_map(|l| parse(l, shift, &projects, &mut health))
            .collect();
        assert!(health.rejected.is_empty(), "{:?}", health.rejected);
        assert!(lines.iter().all(|l| (0..LOOP_MS).contains(&l.offset_ms)));
        let mut identities: Vec<&str> = events.iter().map(|e| e.identity.as_str()).collect();
        identities.sort();
        identities.dedup();
        assert_eq!(identities.len(), 12, "{identities:?}");
        assert!(identities.contains(&"-home-dev-payments-api"));
        let first = &events[0];
        assert!(first.time >= RECORDING_START + shift);
    }
}
