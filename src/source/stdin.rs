//! Streams: `-` (lines piped into standard input) and FIFOs named as paths (`<(cmd)` is
//! one), each read until it closes.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::Feed;
use super::discover::SourceSpec;
use super::health::SourceHealth;
use super::lines::LineReader;
use crate::event::{Event, TimeMs};

const CHUNK: usize = 64 * 1024;
/// Health is reported at most this often while lines stream in.
const HEALTH_EVERY: Duration = Duration::from_millis(250);

/// Reads `input` to its end, handing the events of each read to `on_read` (which returns
/// false to stop). A last line without a newline is complete at the end of the input.
pub fn read_to_end(
    mut input: impl Read,
    clock: &dyn Fn() -> TimeMs,
    health: &mut SourceHealth,
    mut on_read: impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) {
    let mut lines = LineReader::new(None, None);
    let mut buf = vec![0; CHUNK];
    loop {
        let mut events = Vec::new();
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                health.bytes += n as u64;
                lines.feed(&buf[..n], clock(), health, &mut |e| events.push(e));
                health.lag_bytes = lines.held() as u64;
                if !on_read(events, health) {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                health.last_error = Some(format!("stdin: {e}"));
                break;
            }
        }
    }
    let mut events = Vec::new();
    lines.finish(clock(), health, &mut |e| events.push(e));
    health.lag_bytes = 0;
    health.finished = true;
    on_read(events, health);
}

/// Reads the stream `spec` names (stdin, or a FIFO opened now) to its end, as
/// [`read_to_end`] does; a stream that cannot be opened is reported in its health.
pub fn read_spec(
    spec: &SourceSpec,
    clock: &dyn Fn() -> TimeMs,
    mut on_read: impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) -> SourceHealth {
    let mut health = SourceHealth::new(&spec.label());
    match spec {
        SourceSpec::Stream(path) => match std::fs::File::open(path) {
            Ok(file) => read_to_end(file, clock, &mut health, on_read),
            Err(e) => {
                health.last_error = Some(format!("{}: {e}", path.display()));
                health.finished = true;
                on_read(Vec::new(), &health);
            }
        },
        _ => read_to_end(io::stdin().lock(), clock, &mut health, on_read),
    }
    health
}

/// Follows the stream `spec` names on its own thread until it closes. What each read
/// brings is sent at once (a pipe may go quiet for minutes); health at most every
/// `HEALTH_EVERY`, and once more at the end.
pub fn spawn(
    spec: &SourceSpec,
    tx: mpsc::Sender<Feed>,
    clock: fn() -> TimeMs,
) -> io::Result<std::thread::JoinHandle<()>> {
    let spec = spec.clone();
    std::thread::Builder::new()
        .name("tokentop-stream".into())
        .spawn(move || {
            let mut last_health: Option<Instant> = None;
            read_spec(&spec, &clock, |events, h| {
                let mut open = events.is_empty() || tx.blocking_send(Feed::Events(events)).is_ok();
                if h.finished || last_health.is_none_or(|t| t.elapsed() >= HEALTH_EVERY) {
                    last_health = Some(Instant::now());
                    open &= tx.blocking_send(Feed::Health(vec![h.clone()])).is_ok();
                }
                open
            });
        })
}
