//! Alerts out of the terminal. `--alerts-file` appends every alert's start and end as one
//! JSON line, written and flushed per alert; `--on-alert` runs a command (with `sh -c`)
//! per new alert, the alert as JSON on its stdin, in its own process group, and the whole
//! group is killed after [`COMMAND_TIMEOUT`] (a `sleep` or `yes` it started goes too). Each
//! sink has its own worker thread behind a bounded queue, so a slow disk or a hung command
//! never holds up the screen. Each reports its health as a source does (alerts handled,
//! last error), shown in the header with the real sources.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::alerts::{Alert, AlertEvent, Change};
use crate::sanitize::{json_safe, sanitize};
use crate::source::health::SourceHealth;
use crate::timefmt::format_rfc3339_ms;

/// A command still running after this long is killed (and the run counted as failed).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Alerts waiting for a sink; past this, new ones are dropped (and counted).
const QUEUE: usize = 256;
/// How often a running command is checked on.
const POLL: Duration = Duration::from_millis(20);
/// Bytes of a failed command's stderr quoted in the error.
const STDERR_TAIL: usize = 200;
/// Bytes of a command's stderr read at most; past this its pipe is closed (its stdout
/// goes nowhere), so a chatty command costs no more than this.
const STDERR_MAX: u64 = 64 * 1024;

/// Where alerts go besides the screen.
#[derive(Clone, Debug, Default)]
pub struct AlertSinks {
    pub file: Option<PathBuf>,
    pub command: Option<String>,
}

/// One line of the alerts file.
#[derive(Serialize)]
struct Record<'a> {
    event: Change,
    /// When the alert started or ended (RFC 3339, UTC).
    time: String,
    alert: &'a Alert,
}

/// An alert event as one JSON line (with its newline).
pub fn json_line(event: &AlertEvent) -> Vec<u8> {
    let at = match event.change {
        Change::Started => event.alert.started_at,
        Change::Ended => event.alert.ended_at.unwrap_or(event.alert.started_at),
    };
    let record = Record {
        event: event.change,
        time: format_rfc3339_ms(at),
        alert: &event.alert,
    };
    // Serializing plain data into memory cannot fail; an empty line would say it did.
    let mut record = serde_json::to_value(&record).unwrap_or_default();
    if event.alert.kind.counts()
        && let Some(alert) = record.get_mut("alert").and_then(|a| a.as_object_mut())
    {
        // Its number is how many calls or sightings, not a value against a threshold.
        let count = alert.insert("value".into(), serde_json::Value::Null);
        let count = count.and_then(|v| v.as_f64()).unwrap_or(0.0) as u64;
        alert.insert("count".into(), count.into());
    }
    let mut line = json_safe(serde_json::to_string(&record).unwrap_or_default()).into_bytes();
    line.push(b'\n');
    line
}

struct Worker {
    queue: SyncSender<AlertEvent>,
    thread: JoinHandle<()>,
    /// The latest report from the worker.
    health: SourceHealth,
    /// Alerts the queue had no room for.
    dropped: u64,
    /// Only started alerts go to this sink (the command); the file takes every change.
    started_only: bool,
}

/// The sinks' workers and their latest health.
pub struct AlertOut {
    workers: Vec<Worker>,
    reports: Receiver<SourceHealth>,
    changed: bool,
}

impl AlertOut {
    /// Opens the alerts file at once (a bad path fails at start, not at the first alert)
    /// and starts one worker per sink. A FIFO is opened by its worker at the first alert:
    /// opening one waits for a reader, which must never hold up the start.
    pub fn start(sinks: AlertSinks) -> std::io::Result<AlertOut> {
        let (report_tx, reports) = mpsc::sync_channel(QUEUE);
        let mut workers = Vec::new();
        if let Some(path) = sinks.file {
            let fifo = std::fs::metadata(&path).is_ok_and(|m| m.file_type().is_fifo());
            let mut file = if fifo {
                None
            } else {
                Some(open_alerts_file(&path)?)
            };
            let health = SourceHealth::new(&format!("alerts file {}", path.display()));
            let report = report_tx.clone();
            let mut state = health.clone();
            let (queue, thread) = spawn("tokentop-alerts-file", move |event| {
                if file.is_none() {
                    match open_alerts_file(&path) {
                        Ok(opened) => file = Some(opened),
                        Err(e) => state.last_error = Some(e.to_string()),
                    }
                }
                if let Some(file) = &file {
                    write_line(file, &event, &mut state);
                }
                // A full report queue only delays the news: the next report carries it.
                let _ = report.try_send(state.clone());
            })?;
            workers.push(Worker {
                queue,
                thread,
                health,
                dropped: 0,
                started_only: false,
            });
        }
        if let Some(command) = sinks.command {
            let health = SourceHealth::new(&format!("--on-alert {command}"));
            let mut state = health.clone();
            let mut failed = 0u64;
            let (queue, thread) = spawn("tokentop-on-alert", move |event| {
                state.events += 1;
                if let Err(e) = run_command(&command, &event, COMMAND_TIMEOUT) {
                    failed += 1;
                    let runs = state.events;
                    state.last_error = Some(format!("{failed} of {runs} runs failed; last: {e}"));
                }
                let _ = report_tx.try_send(state.clone());
            })?;
            workers.push(Worker {
                queue,
                thread,
                health,
                dropped: 0,
                started_only: true,
            });
        }
        Ok(AlertOut {
            changed: !workers.is_empty(),
            workers,
            reports,
        })
    }

    /// Lets the sinks finish what is queued, waiting at most `grace` in all (on quit, so
    /// that the last alerts reach the file; a hung command is not waited for).
    pub fn shutdown(self, grace: Duration) {
        let deadline = Instant::now() + grace;
        let threads: Vec<JoinHandle<()>> = self.workers.into_iter().map(|w| w.thread).collect();
        // The queues are gone with the workers: each thread ends after its last alert.
        while threads.iter().any(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(POLL);
        }
    }

    /// Hands new alert events to every sink without waiting.
    pub fn send(&mut self, events: &[AlertEvent]) {
        for worker in &mut self.workers {
            let wanted = events
                .iter()
                .filter(|e| !worker.started_only || e.change == Change::Started);
            for event in wanted {
                if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
                    worker.queue.try_send(event.clone())
                {
                    worker.dropped += 1;
                    self.changed = true;
                }
            }
        }
    }

    /// The sinks' health, when it changed since the last call.
    pub fn health(&mut self) -> Option<Vec<SourceHealth>> {
        while let Ok(report) = self.reports.try_recv() {
            if let Some(w) = self
                .workers
                .iter_mut()
                .find(|w| w.health.path == report.path)
            {
                w.health = report;
                self.changed = true;
            }
        }
        if !std::mem::take(&mut self.changed) {
            return None;
        }
        let health = self.workers.iter().map(|w| {
            let mut health = w.health.clone();
            if w.dropped > 0 {
                let dropped = format!(
                    "{} dropped: the sink is too slow",
                    crate::format::count(w.dropped, "alert", "alerts")
                );
                health.last_error = Some(match health.last_error {
                    Some(error) => format!("{error}; {dropped}"),
                    None => dropped,
                });
            }
            health
        });
        Some(health.collect())
    }
}

/// The alerts file opened for appending, its path in any error.
fn open_alerts_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            let message = format!("--alerts-file {}: {e}", path.display());
            std::io::Error::new(e.kind(), message)
        })
}

/// A thread that hands each queued event to `handle` until the queue's sender is gone.
fn spawn(
    name: &str,
    mut handle: impl FnMut(AlertEvent) + Send + 'static,
) -> std::io::Result<(SyncSender<AlertEvent>, JoinHandle<()>)> {
    let (tx, rx) = mpsc::sync_channel::<AlertEvent>(QUEUE);
    let thread = std::thread::Builder::new()
        .name(name.into())
        .spawn(move || rx.into_iter().for_each(&mut handle))?;
    Ok((tx, thread))
}

fn write_line(mut file: &File, event: &AlertEvent, health: &mut SourceHealth) {
    let line = json_line(event);
    match file.write_all(&line).and_then(|()| file.flush()) {
        Ok(()) => {
            health.events += 1;
            health.lines += 1;
            health.bytes += line.len() as u64;
        }
        Err(e) => health.last_error = Some(format!("cannot append: {e}")),
    }
}

/// Keeps the last bytes written to it.
struct Tail(Vec<u8>);

impl Write for Tail {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        let extra = self.0.len().saturating_sub(STDERR_TAIL);
        self.0.drain(..extra);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Kills the command's process group (it leads its own, see `process_group(0)`), so
/// what the shell started dies with it; the shell alone if the group is gone.
fn kill_group(child: &mut Child) {
    let group = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    let killed = group.is_some_and(|pid| {
        rustix::process::kill_process_group(pid, rustix::process::Signal::KILL).is_ok()
    });
    if !killed {
        let _ = child.kill();
    }
}

/// Runs `command` with the alert on its stdin; an error says why it failed, in one line.
pub fn run_command(command: &str, event: &AlertEvent, timeout: Duration) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("TOKENTOP_ALERT_KIND", event.alert.kind.label())
        .env("TOKENTOP_ALERT_SEVERITY", event.alert.severity.label())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // Written on a thread: an alert larger than the pipe's buffer, sent to a command that
        // never reads it, must not hold up the timeout below. Not reading it is no error.
        let line = json_line(event);
        std::thread::spawn(move || {
            let _ = stdin.write_all(&line);
        });
    }
    // Stderr is drained on a thread (a chatty command must not block on a full pipe) and
    // waited for only briefly: a background child of the shell may hold it open.
    let (tail_tx, tail_rx) = mpsc::sync_channel(1);
    if let Some(mut stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            let mut tail = Tail(Vec::new());
            let _ = std::io::copy(&mut (&mut stderr).take(STDERR_MAX), &mut tail);
            let _ = tail_tx.send(tail.0);
        });
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group(&mut child);
                let _ = child.wait();
                return Err(format!("timed out after {timeout:?}, killed"));
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let tail = tail_rx.recv_timeout(POLL * 5).unwrap_or_default();
    let text = String::from_utf8_lossy(&tail);
    match text.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => Err(format!("{status}: {}", sanitize(last.trim(), 120))),
        None => Err(status.to_string()),
    }
}
