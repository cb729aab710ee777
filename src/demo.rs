//! `--demo`: bundled sample logs replayed as a live stream, through the same parsers and
//! engine as real files. The recording is a 10-minute loop. At start, about two hours of
//! history ([`HISTORY_PASSES`] loops) are replayed at full speed, so that windows are full
//! and burst baselines warm; then playback goes on in real time, forever. Live playback
//! starts [`LIVE_FROM_MS`] into the loop, a few seconds into a burst of
//! `agent-loop-runner`, so that the first burst alert shows within seconds.
//!
//! Each pass is its own: its responses get ids of their own (else the engine would take a
//! pass for copies of the one before and count nothing), and every pass but the first live
//! one leaves out a share of each identity's responses (0-20%, chosen per pass and
//! identity by a fixed hash), so that the history is not one perfect loop.

pub mod mock_provider;

use std::path::Path;
use std::sync::mpsc::SyncSender;
use std::time::Duration;

use crate::event::Origin;
use crate::event::{DedupKey, Event, Exposed, TimeMs};
use crate::parse::{LineContext, LineParser, Parsed, parse_line};
use crate::secrets::{FingerprintKey, Ignore, Scanner};
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;
use crate::source::tail::project_dir;
use crate::source::{BATCH, Feed};
use crate::timefmt::parse_rfc3339_ms;

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
/// The demo's own identity names and budgets (rolling, so that what it shows does not
/// depend on the time of day): used unless `--config` names another file.
pub const CONFIG: &str = include_str!("../sample-data/demo/config.toml");

/// [`CONFIG`], parsed.
pub fn config() -> Result<crate::config::Config, crate::config::ConfigError> {
    crate::config::Config::parse(CONFIG, std::path::Path::new("sample-data/demo/config.toml"))
}

pub const LOOP_MS: TimeMs = 600_000;
/// Loops of history replayed at start: two hours.
pub const HISTORY_PASSES: i64 = 12;
/// Where in the loop live playback starts: 5 s into `agent-loop-runner`'s first burst
/// (120-160 s).
pub const LIVE_FROM_MS: TimeMs = 125_000;
/// How often replayed events are handed over while playing in real time.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The keys that hold a line's time in the two recorded formats.
const TIME_KEYS: [&str; 2] = ["\"timestamp\":\"", "\"ts\":\""];
/// Every pass but live pass 0 keeps between this share and all of an identity's responses.
const LEAST_KEPT: f64 = 0.8;

/// One recorded line, parsed once.
#[derive(Debug)]
struct RecordedLine {
    offset_ms: TimeMs,
    text: &'static str,
    parsed: Parsed,
    /// The same number for every copy of one response, and on every run (dedup keys are
    /// seeded per process): what decides whether a pass keeps the response.
    response: u64,
}

fn locate_time(text: &str) -> Option<TimeMs> {
    TIME_KEYS.iter().find_map(|key| {
        let at = text.find(key)? + key.len();
        let len = text[at..].find('"')?;
        parse_rfc3339_ms(&text[at..at + len])
    })
}

/// A fixed 64-bit mix (splitmix64): the same pass looks the same on every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A fixed hash of a name (FNV-1a), for choices that must not change between runs.
fn name_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A number in [0, 1) from a hash.
fn unit_interval(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The recording, every line parsed once, in time order.
#[derive(Debug)]
pub struct Recording {
    lines: Vec<RecordedLine>,
}

impl Recording {
    /// Parses the embedded files (lines without a time are left out), registering each
    /// in `origins` so that every event points at its recorded line.
    pub fn load(origins: &Origins) -> Recording {
        // A fixed key: the demo's findings are the same in every run.
        let scanner = &Scanner::new(FingerprintKey::from_bytes([0x74; 32]), Ignore::default());
        let files: Vec<_> = FILES
            .iter()
            .map(|(path, text)| {
                let source = origins.register_embedded(path, text.as_bytes());
                (project_dir(Path::new(path)), source, *text)
            })
            .collect();
        let mut lines: Vec<RecordedLine> = files
            .iter()
            .flat_map(|(project, source, text)| {
                let mut offset = 0;
                let mut number = 0;
                text.split_inclusive('\n').filter_map(move |with_end| {
                    let at = offset;
                    offset += with_end.len() as u64;
                    number += 1;
                    let line = with_end.strip_suffix('\n').unwrap_or(with_end);
                    let time = locate_time(line)?;
                    let ctx = LineContext {
                        project_dir: project.as_deref(),
                        project_root: None,
                        facts: None,
                        read_time: time,
                    };
                    let mut parsed = parse_line(line.as_bytes(), &ctx);
                    if let Some(exposed) = exposed(scanner, line) {
                        // A prompt or tool result that exposed a secret plays as its carrier.
                        if let Parsed::NoUsage = parsed
                            && let Some(carrier) =
                                LineParser::default().carrier(line.as_bytes(), &ctx)
                        {
                            parsed = Parsed::Event(Box::new(carrier));
                        }
                        if let Parsed::Event(event) = &mut parsed {
                            event.secrets = Some(exposed);
                        }
                    }
                    if let Parsed::Event(event) = &mut parsed {
                        event.origin = Some(Origin::new(*source, at, line.as_bytes()));
                        event.line = Some(number);
                    }
                    Some(RecordedLine {
                        offset_ms: time - RECORDING_START,
                        text: line,
                        parsed,
                        response: 0,
                    })
                })
            })
            .collect();
        lines.sort_by_key(|l| l.offset_ms);
        // Responses numbered in order of first appearance.
        let mut first_seen = std::collections::HashMap::new();
        for (i, line) in lines.iter_mut().enumerate() {
            let key = match &line.parsed {
                Parsed::Event(e) => e.dedup_key,
                _ => None,
            };
            line.response = match key {
                Some(key) => *first_seen.entry(key).or_insert(i as u64),
                None => i as u64,
            };
        }
        Recording { lines }
    }

    /// Whether pass `n` keeps this response.
    fn keeps(n: i64, line: &RecordedLine, event: &Event) -> bool {
        if n == 0 {
            return true;
        }
        let pass = mix(n as u64);
        let share =
            LEAST_KEPT + (1.0 - LEAST_KEPT) * unit_interval(mix(pass ^ name_hash(&event.identity)));
        unit_interval(mix(pass ^ mix(line.response))) < share
    }

    /// Line `line`'s event as pass `n` plays it, with the loop's start at `zero + n × LOOP`;
    /// `None` for lines without usage and responses the pass leaves out.
    fn event(&self, line: &RecordedLine, n: i64, zero: TimeMs) -> Option<Event> {
        let Parsed::Event(recorded) = &line.parsed else {
            return None;
        };
        if !Self::keeps(n, line, recorded) {
            return None;
        }
        let mut event = Event::clone(recorded);
        event.time += zero + n * LOOP_MS - RECORDING_START;
        if n != 0 {
            let salt = u128::from(mix(n as u64)) << 64 | u128::from(mix(!(n as u64)));
            event.dedup_key = event.dedup_key.map(|k| DedupKey(k.0 ^ salt));
            // A Claude Code or Codex call id counts once across responses: each pass
            // makes calls of its own.
            for id in event.tools.iter_mut().filter_map(|t| t.id.as_mut()) {
                *id = format!("{id}#{n}");
            }
        }
        Some(event)
    }

    /// The events of pass `n`, in time order, with the loop's start at `zero + n × LOOP`.
    pub fn events(&self, n: i64, zero: TimeMs) -> impl Iterator<Item = Event> + '_ {
        self.lines
            .iter()
            .filter_map(move |l| self.event(l, n, zero))
    }
}

/// What a recorded line exposes.
fn exposed(scanner: &Scanner, line: &str) -> Option<Box<Exposed>> {
    let found = scanner.scan(line);
    (!found.is_empty()).then(|| Box::new(Exposed { found }))
}

/// Replays the recording on its own thread until the receiver closes. `clock` gives the
/// current time (the wall clock in the app); the recordings are registered in `origins`.
pub fn spawn(
    tx: SyncSender<Feed>,
    clock: fn() -> TimeMs,
    origins: Origins,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("tokentop-demo".into())
        .spawn(move || run(tx, clock, &origins))
}

fn run(tx: SyncSender<Feed>, clock: fn() -> TimeMs, origins: &Origins) {
    let recording = Recording::load(origins);
    let mut health = SourceHealth::new("demo (bundled sample data)");
    health.files = FILES.len();
    let start = clock();
    let zero = start - LIVE_FROM_MS;
    let mut batch = Vec::with_capacity(BATCH);
    let send = |batch: &mut Vec<Event>, health: &SourceHealth| -> bool {
        let events = std::mem::take(batch);
        (events.is_empty() || tx.send(Feed::Events(events)).is_ok())
            && tx.send(Feed::Health(vec![health.clone()])).is_ok()
    };
    let replay =
        |line: &RecordedLine, n: i64, batch: &mut Vec<Event>, health: &mut SourceHealth| {
            health.count(line.text.as_bytes(), &line.parsed);
            health.bytes += line.text.len() as u64 + 1;
            batch.extend(recording.event(line, n, zero));
        };
    // History, as fast as the engine takes it: every line before `start`.
    for n in -HISTORY_PASSES..=0 {
        for line in &recording.lines {
            if zero + n * LOOP_MS + line.offset_ms >= start {
                break;
            }
            replay(line, n, &mut batch, &mut health);
            if batch.len() >= BATCH && !send(&mut batch, &health) {
                return;
            }
        }
    }
    // Then in real time, forever.
    for n in 0.. {
        for line in &recording.lines {
            let due = zero + n * LOOP_MS + line.offset_ms;
            if due < start {
                continue;
            }
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
            replay(line, n, &mut batch, &mut health);
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
    fn every_recorded_usage_line_parses() {
        let recording = Recording::load(&Origins::default());
        let mut health = SourceHealth::new("demo");
        for line in &recording.lines {
            health.count(line.text.as_bytes(), &line.parsed);
        }
        assert!(health.rejected.is_empty(), "{:?}", health.rejected);
        assert!(
            recording
                .lines
                .iter()
                .all(|l| (0..LOOP_MS).contains(&l.offset_ms))
        );
        let events: Vec<Event> = recording.events(0, 0).collect();
        let mut identities: Vec<&str> = events.iter().map(|e| e.identity.as_str()).collect();
        identities.sort();
        identities.dedup();
        assert_eq!(identities.len(), 12, "{identities:?}");
        assert!(identities.contains(&"-home-dev-payments-api"));
        assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(events[0].time >= 0 && events[events.len() - 1].time < LOOP_MS);
    }

    /// The infra project's agent printed an AWS key in a tool result: the one secret the
    /// demo shows, carried by that turn (it has no usage, and counts as a line without
    /// usage in the demo's health), at its line.
    #[test]
    fn the_recording_exposes_one_secret_in_a_tool_result() {
        let recording = Recording::load(&Origins::default());
        let exposed: Vec<(&str, bool, Option<u64>, &str, &str)> = recording
            .lines
            .iter()
            .filter_map(|l| match &l.parsed {
                Parsed::Event(e) => e.secrets.as_deref().map(|x| (e, x)),
                _ => None,
            })
            .flat_map(|(e, x)| {
                x.found.iter().map(move |f| {
                    (
                        e.identity.as_str(),
                        e.flags.no_usage,
                        e.line,
                        f.secret_type,
                        f.path.as_str(),
                    )
                })
            })
            .collect();
        let mut health = SourceHealth::new("demo");
        for line in &recording.lines {
            health.count(line.text.as_bytes(), &line.parsed);
        }
        let usage_lines = recording
            .lines
            .iter()
            .filter(|l| matches!(&l.parsed, Parsed::Event(e) if !e.flags.no_usage));
        assert_eq!(health.events, usage_lines.count() as u64);
        assert_eq!(
            exposed,
            [(
                "-home-dev-infra-terraform",
                true,
                Some(71),
                "aws_access_key_id",
                "message.content[0].content"
            )]
        );
    }

    #[test]
    fn every_event_points_at_its_recorded_line() {
        let origins = Origins::default();
        let recording = Recording::load(&origins);
        let mut fetched = 0;
        for line in &recording.lines {
            if let Parsed::Event(event) = &line.parsed {
                let origin = event.origin.expect("origin");
                let record = origins.fetch(origin, event.time).expect("fetch");
                assert_eq!(record.raw, line.text);
                if event.flags.no_usage {
                    continue;
                }
                assert_eq!(record.events[0].tokens, event.tokens);
                fetched += 1;
            }
        }
        assert!(fetched > 100, "{fetched}");
        let played = recording.events(-2, 0).next().expect("event");
        assert!(played.origin.is_some(), "replayed passes keep the origin");
    }

    #[test]
    fn passes_differ_and_never_share_a_response() {
        let recording = Recording::load(&Origins::default());
        let zero = 1_000 * LOOP_MS;
        let live: Vec<Event> = recording.events(0, zero).collect();
        let history: Vec<Event> = recording.events(-3, zero).collect();
        let kept = history.len() as f64 / live.len() as f64;
        assert!((0.8..0.97).contains(&kept), "{kept}");
        assert!(history.iter().all(|e| e.time < zero - 2 * LOOP_MS));
        let keys: std::collections::HashSet<_> = live.iter().filter_map(|e| e.dedup_key).collect();
        assert!(
            history
                .iter()
                .filter_map(|e| e.dedup_key)
                .all(|k| !keys.contains(&k))
        );
        let again: Vec<Event> = recording.events(-3, zero).collect();
        assert_eq!(history, again, "the same on every run");
    }
}
