//! `-`: lines piped into standard input, read until it closes.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::Feed;
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

/// Follows standard input on its own thread until it closes. What each read brings is
/// sent at once (a pipe may go quiet for minutes); health at most every `HEALTH_EVERY`,
/// and once more at the end.
pub fn spawn(
    tx: mpsc::Sender<Feed>,
    clock: fn() -> TimeMs,
) -> io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("tokentop-stdin".into())
        .spawn(move || {
            let mut health = SourceHealth::new("stdin");
            let mut last_health: Option<Instant> = None;
            read_to_end(io::stdin().lock(), &clock, &mut health, |events, h| {
                let mut open = events.is_empty() || tx.blocking_send(Feed::Events(events)).is_ok();
                if h.finished || last_health.is_none_or(|t| t.elapsed() >= HEALTH_EVERY) {
                    last_health = Some(Instant::now());
                    open &= tx.blocking_send(Feed::Health(vec![h.clone()])).is_ok();
                }
                open
            });
        })
}
