//! Streams: `-` (lines piped into standard input) and FIFOs named as paths (`<(cmd)` is
//! one), each read until it closes.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use super::Feed;
use super::discover::SourceSpec;
use super::health::SourceHealth;
use super::lines::LineReader;
use super::tail::IDLE_LINE;
use crate::event::{Event, TimeMs};
use crate::secrets::Scanner;

const CHUNK: usize = 64 * 1024;
/// Health is reported at most this often while lines stream in.
const HEALTH_EVERY: Duration = Duration::from_millis(250);

/// Reads `input` to its end, handing the events of each read to `on_read` (which returns
/// false to stop). A last line without a newline is complete at the end of the input.
pub fn read_to_end(
    mut input: impl Read,
    mut lines: LineReader,
    clock: &dyn Fn() -> TimeMs,
    health: &mut SourceHealth,
    mut on_read: impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) {
    let mut buf = vec![0; CHUNK];
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if !take(&mut lines, &buf[..n], clock(), health, &mut on_read) {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                health.last_error = Some(format!("{}: {e}", health.path));
                break;
            }
        }
    }
    end(&mut lines, clock(), health, &mut on_read);
}

/// Reads `input` to its end as [`read_to_end`] does, while following it live: a last
/// line that has sat idle for [`IDLE_LINE`] as one whole JSON object counts without its
/// newline. The blocking reads happen on a thread of their own.
pub fn follow_to_end(
    mut input: impl Read + Send + 'static,
    mut lines: LineReader,
    clock: &dyn Fn() -> TimeMs,
    health: &mut SourceHealth,
    mut on_read: impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) {
    let (tx, chunks) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    let spawned = std::thread::Builder::new()
        .name("tokentop-stream-read".into())
        .spawn(move || {
            let mut buf = vec![0; CHUNK];
            loop {
                let chunk = match input.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => Ok(buf[..n].to_vec()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = chunk.is_err();
                if tx.send(chunk).is_err() || failed {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        health.last_error = Some(format!("{}: {e}", health.path));
    }
    // Whether the held line was looked at since it last grew.
    let mut idle_checked = true;
    loop {
        match chunks.recv_timeout(IDLE_LINE) {
            Ok(Ok(chunk)) => {
                idle_checked = false;
                if !take(&mut lines, &chunk, clock(), health, &mut on_read) {
                    return;
                }
            }
            Ok(Err(e)) => {
                health.last_error = Some(format!("{}: {e}", health.path));
                break;
            }
            Err(RecvTimeoutError::Timeout) if !idle_checked => {
                idle_checked = true;
                let mut events = Vec::new();
                if lines.complete_idle(clock(), health, &mut |e| events.push(e)) {
                    health.lag_bytes = lines.held() as u64;
                    if !on_read(events, health) {
                        return;
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    end(&mut lines, clock(), health, &mut on_read);
}

/// Parses one chunk of the stream and hands its events on.
fn take(
    lines: &mut LineReader,
    chunk: &[u8],
    read_time: TimeMs,
    health: &mut SourceHealth,
    on_read: &mut impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) -> bool {
    let mut events = Vec::new();
    health.bytes += chunk.len() as u64;
    lines.feed(chunk, read_time, health, &mut |e| events.push(e));
    health.lag_bytes = lines.held() as u64;
    on_read(events, health)
}

/// The stream ended: a last line without a newline is complete.
fn end(
    lines: &mut LineReader,
    read_time: TimeMs,
    health: &mut SourceHealth,
    on_read: &mut impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) {
    let mut events = Vec::new();
    lines.finish(read_time, health, &mut |e| events.push(e));
    health.lag_bytes = 0;
    health.finished = true;
    on_read(events, health);
}

/// Reads the stream `spec` names (stdin, or a FIFO opened now) to its end, as
/// [`read_to_end`] does, or as [`follow_to_end`] does when `live`; a stream that cannot
/// be opened is reported in its health. `scanner` scans its records for secrets.
pub fn read_spec(
    spec: &SourceSpec,
    live: bool,
    scanner: Option<Arc<Scanner>>,
    clock: &dyn Fn() -> TimeMs,
    mut on_read: impl FnMut(Vec<Event>, &SourceHealth) -> bool,
) -> SourceHealth {
    let mut health = SourceHealth::new(&spec.label());
    let input: Box<dyn Read + Send> = match spec {
        SourceSpec::Stream(path) => match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                health.last_error = Some(format!("{}: {e}", path.display()));
                health.finished = true;
                on_read(Vec::new(), &health);
                return health;
            }
        },
        _ => Box::new(io::stdin()),
    };
    let lines = LineReader::new(None, None).scanning(scanner);
    if live {
        follow_to_end(input, lines, clock, &mut health, on_read);
    } else {
        read_to_end(input, lines, clock, &mut health, on_read);
    }
    health
}

/// Follows the stream `spec` names on its own thread until it closes (an idle last line
/// counts as [`follow_to_end`] says). What each read
/// brings is sent at once (a pipe may go quiet for minutes); health at most every
/// `HEALTH_EVERY`, and once more at the end.
pub fn spawn(
    spec: &SourceSpec,
    scanner: Option<Arc<Scanner>>,
    tx: SyncSender<Feed>,
    clock: fn() -> TimeMs,
) -> io::Result<std::thread::JoinHandle<()>> {
    let spec = spec.clone();
    std::thread::Builder::new()
        .name("tokentop-stream".into())
        .spawn(move || {
            let mut last_health: Option<Instant> = None;
            read_spec(&spec, true, scanner, &clock, |events, h| {
                let mut open = events.is_empty() || tx.send(Feed::Events(events)).is_ok();
                if h.finished || last_health.is_none_or(|t| t.elapsed() >= HEALTH_EVERY) {
                    last_health = Some(Instant::now());
                    open &= tx.send(Feed::Health(vec![h.clone()])).is_ok();
                }
                open
            });
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::RejectReason;

    const LINE: &str =
        r#"{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","tokens":{"input":5}}"#;

    /// A pipe whose writes the test makes one by one.
    struct Pipe(std::sync::mpsc::Receiver<Vec<u8>>, Vec<u8>);

    impl Read for Pipe {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1.is_empty() {
                match self.0.recv() {
                    Ok(bytes) => self.1 = bytes,
                    Err(_) => return Ok(0),
                }
            }
            let n = buf.len().min(self.1.len());
            buf[..n].copy_from_slice(&self.1[..n]);
            self.1.drain(..n);
            Ok(n)
        }
    }

    #[test]
    fn a_followed_stream_counts_an_idle_last_line_once() {
        let (write, pipe) = std::sync::mpsc::channel::<Vec<u8>>();
        let (seen_tx, seen) = std::sync::mpsc::channel::<u64>();
        let reader = std::thread::spawn(move || {
            let mut health = SourceHealth::new("stdin");
            follow_to_end(
                Pipe(pipe, Vec::new()),
                LineReader::new(None, None),
                &|| 1_767_225_600_000,
                &mut health,
                |events, _| {
                    events.iter().for_each(|e| {
                        let _ = seen_tx.send(e.tokens.input);
                    });
                    true
                },
            );
            health
        });
        write.send(LINE.as_bytes().to_vec()).expect("write");
        // The idle whole object counts without its newline (the guard only stops a hang).
        let first = seen
            .recv_timeout(Duration::from_secs(60))
            .expect("idle line");
        assert_eq!(first, 5);
        write.send(b",\"late\":1}\n".to_vec()).expect("write");
        write
            .send(LINE.replace('5', "6").into_bytes())
            .expect("write");
        drop(write);
        let health = reader.join().expect("reader");
        let rest: Vec<u64> = seen.try_iter().collect();
        assert_eq!(rest, [6], "the extension is no second event");
        assert_eq!(health.rejected[&RejectReason::InvalidJson].count, 1);
        assert!(health.finished);
    }
}
