//! Following files: backfill what is there, then read appends as they land. Filesystem
//! events (notify) wake the reader at once; a poll interval catches what events miss
//! (network filesystems, editors that replace files, dropped events).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::discover::SourceSpec;
use super::health::SourceHealth;
use super::tail::TailedFile;
use super::{BATCH, Feed};
use crate::event::{Event, TimeMs};

/// Folders are walked again for new files at most this often.
const RESCAN_EVERY: Duration = Duration::from_secs(2);

struct Source {
    spec: SourceSpec,
    files: BTreeMap<PathBuf, TailedFile>,
    health: SourceHealth,
}

/// Every source's files and health; the same reader serves reports and live follow.
pub struct Follower {
    sources: Vec<Source>,
}

impl Follower {
    pub fn new(specs: Vec<SourceSpec>) -> Self {
        let sources = specs
            .into_iter()
            .map(|spec| Source {
                health: SourceHealth::new(&spec.label()),
                spec,
                files: BTreeMap::new(),
            })
            .collect();
        Follower { sources }
    }

    /// Looks for files that appeared since the last scan.
    pub fn rescan(&mut self) {
        for source in &mut self.sources {
            match source.spec.files() {
                Ok(paths) => {
                    for path in paths {
                        source
                            .files
                            .entry(path.clone())
                            .or_insert_with(|| TailedFile::new(path));
                    }
                    source.health.files = source.files.len();
                }
                Err(e) => {
                    source.health.last_error = Some(format!(
                        "{}: {e}; check the path, or point tokentop at a file or folder of JSONL logs",
                        source.spec.label()
                    ));
                }
            }
        }
    }

    /// Reads new lines from every file, handing each event to `sink`.
    pub fn poll(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        for source in &mut self.sources {
            let mut error = None;
            for file in source.files.values_mut() {
                if let Err(e) = file.read_new(read_time, &mut source.health, sink) {
                    error = Some(format!("{}: {e}", file.path.display()));
                }
            }
            source.health.lag_bytes = source.files.values().map(TailedFile::lag).sum();
            if error.is_some() || !source.files.is_empty() {
                source.health.last_error = error;
            }
        }
    }

    pub fn health(&self) -> Vec<SourceHealth> {
        self.sources.iter().map(|s| s.health.clone()).collect()
    }

    fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        self.sources
            .iter()
            .filter_map(|s| s.spec.watch_root())
            .collect()
    }
}

/// Collects events into batches and sends them; false once the receiver is gone.
struct Batcher {
    tx: mpsc::Sender<Feed>,
    batch: Vec<Event>,
    open: bool,
}

impl Batcher {
    fn push(&mut self, event: Event) {
        self.batch.push(event);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.batch.is_empty() {
            let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            self.open &= self.tx.blocking_send(Feed::Events(batch)).is_ok();
        }
    }

    fn send_health(&mut self, health: Vec<SourceHealth>) {
        self.open &= self.tx.blocking_send(Feed::Health(health)).is_ok();
    }
}

/// Runs a follower on its own thread until the receiving side closes.
pub fn spawn(
    specs: Vec<SourceSpec>,
    tx: mpsc::Sender<Feed>,
    poll_every: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("tokentop-follow".into())
        .spawn(move || run(Follower::new(specs), tx, poll_every))
}

fn run(mut follower: Follower, tx: mpsc::Sender<Feed>, poll_every: Duration) {
    let (fs_tx, fs_rx) = std_mpsc::channel();
    // Without a watcher the poll interval still finds every change, only later.
    let mut watcher = notify::recommended_watcher(move |res| {
        let _ = fs_tx.send(res);
    })
    .ok();
    if let Some(w) = watcher.as_mut() {
        for (root, recursive) in follower.watch_roots() {
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            let _ = w.watch(&root, mode);
        }
    }
    let mut out = Batcher {
        tx,
        batch: Vec::with_capacity(BATCH),
        open: true,
    };
    let mut last_scan: Option<Instant> = None;
    let mut last_health = Vec::new();
    while out.open {
        if last_scan.is_none_or(|t| t.elapsed() >= RESCAN_EVERY) {
            follower.rescan();
            last_scan = Some(Instant::now());
        }
        follower.poll(jiff::Timestamp::now().as_millisecond(), &mut |e| {
            out.push(e)
        });
        out.flush();
        let health = follower.health();
        if health != last_health {
            out.send_health(health.clone());
            last_health = health;
        }
        match fs_rx.recv_timeout(poll_every) {
            Ok(_) | Err(std_mpsc::RecvTimeoutError::Timeout) => {}
            Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(poll_every);
            }
        }
        // Coalesce a burst of filesystem events into one pass.
        while fs_rx.try_recv().is_ok() {}
        if out.tx.is_closed() {
            break;
        }
    }
}
