//! Following files: backfill what is there, then read appends as they land. Files are
//! known by inode, not by name, so rotation (rename + create), truncation, deletion and
//! files or folders that appear later are each read exactly once. Filesystem events
//! (notify) wake the reader at once; a poll interval catches what events miss, and is all
//! there is where events never come (network mounts: [`FollowOptions::watch`] off).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::time::{Duration, Instant};

use super::copilot_export::{SharedIndex, lock};
use super::db::{self, Database};
use super::discover::SourceSpec;
use super::health::SourceHealth;
use super::origin::Origins;
use super::parallel::{PARALLEL_FROM_BYTES, read_files};
use super::tail::{FileId, TailedFile, file_id};
use super::watch::{Wake, Watches};
use super::{BATCH, Feed};
use crate::event::{Event, TimeMs};
use crate::secrets::Scanner;

/// Folders are walked again for new files at least this often (sooner on a create,
/// rename or delete event).
const RESCAN_EVERY: Duration = Duration::from_secs(2);
/// Open handles kept at most; the least recently active files are closed beyond this.
pub const MAX_OPEN_FILES: usize = 256;
/// A file that went away (rotated out of sight, deleted) is still read this long, for
/// writers that append a last line before they reopen their log.
const DRAIN_FOR: Duration = Duration::from_secs(5);

struct Source {
    spec: SourceSpec,
    files: HashMap<FileId, TailedFile>,
    /// Files no longer at any path in scope, read until `DRAIN_FOR` has passed.
    draining: Vec<(Instant, TailedFile)>,
    /// Files with an open handle after the last poll.
    files_open: usize,
    /// When each file last had new bytes (in polls), to close the idlest handles first.
    active: HashMap<FileId, u64>,
    health: SourceHealth,
    /// What the last scan could not read (the spec itself, folders, dangling links).
    scan_errors: Vec<String>,
    /// The files whose last read failed, and why.
    read_errors: BTreeMap<FileId, String>,
    /// Why the filesystem watcher does not watch this source's folder (changes are then
    /// found by polling only).
    watch_error: Option<(PathBuf, String)>,
    /// The agent database the path names (then it has no files): polled instead.
    db: Option<Database>,
}

impl Source {
    /// The source's `last_error`: the first thing that could not be read, and how many
    /// more there are.
    fn update_error(&mut self) {
        let mut errors = (self.watch_error.iter().map(|(_, e)| e))
            .chain(&self.scan_errors)
            .chain(self.read_errors.values());
        self.health.last_error = errors.next().map(|first| match errors.count() {
            0 => first.clone(),
            more => format!("{first} (and {more} more unreadable)"),
        });
    }
}

/// Every source's files and health; the same reader serves reports and live follow. It
/// outlives a follow thread: restarting the loop with it continues where it stopped.
pub struct Follower {
    sources: Vec<Source>,
    polls: u64,
    /// The read buffer, reused across files and polls.
    scratch: Vec<u8>,
    /// Where every file read is registered, for events to say where they came from.
    origins: Origins,
    /// Scans every record for secrets when set.
    scanner: Option<Arc<Scanner>>,
    /// Copilot's export indexed once for all its session files, brought up to date at
    /// most once per scan or poll.
    exports: SharedIndex,
}

impl Follower {
    /// `origins`: the registry the files' events point into (the caller keeps a clone to
    /// fetch raw records from).
    pub fn new(specs: Vec<SourceSpec>, origins: Origins) -> Self {
        let sources = specs
            .into_iter()
            .filter(|spec| !spec.is_stream())
            .map(|spec| Source {
                health: SourceHealth::new(&spec.label()),
                spec,
                files: HashMap::new(),
                draining: Vec::new(),
                files_open: 0,
                active: HashMap::new(),
                scan_errors: Vec::new(),
                read_errors: BTreeMap::new(),
                watch_error: None,
                db: None,
            })
            .collect();
        Follower {
            sources,
            polls: 0,
            scratch: Vec::new(),
            origins,
            scanner: None,
            exports: SharedIndex::default(),
        }
    }

    /// Scans every record read for secrets with `scanner` (none: no scan).
    pub fn scanning(mut self, scanner: Option<Arc<Scanner>>) -> Self {
        self.scanner = scanner;
        self
    }

    /// Looks for files that appeared, moved or went away since the last scan. A file that
    /// went away (deleted, or renamed out of sight) is read to its end, and drained a while.
    pub fn rescan(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        lock(&self.exports).next_poll();
        for source in &mut self.sources {
            if source.db.is_none() {
                source.db = db::locate(&source.spec).map(Database::new);
            }
            if source.db.is_some() {
                continue;
            }
            let mut walk = match source.spec.files() {
                Ok(walk) => walk,
                Err(e) => {
                    source.scan_errors = vec![format!(
                        "{}: {e}; check the path, or point tokentop at a file or folder of JSONL logs",
                        source.spec.label()
                    )];
                    source.update_error();
                    // A listing that failed says nothing about the files: keep them all.
                    continue;
                }
            };
            source.scan_errors = std::mem::take(&mut walk.errors);
            let mut present = HashSet::new();
            let mut new_files = Vec::new();
            // Known files first: a renamed file must take its new name (and keep its
            // source id) before a new file at its old name is registered.
            for path in std::mem::take(&mut walk.files) {
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let id = file_id(&meta);
                if !present.insert(id) {
                    // Another name (a hard link) of a file already seen: the first name holds.
                    continue;
                }
                if let Some(file) = source.files.get_mut(&id) {
                    if file.path != path {
                        relocate(&self.origins, file, path);
                    }
                } else if let Some(i) = source.draining.iter().position(|(_, f)| f.id == id) {
                    // Back in sight under a name the scan covers (e.g. renamed into the
                    // folder): it takes that name again, released when it went away.
                    let (_, mut file) = source.draining.swap_remove(i);
                    relocate(&self.origins, &mut file, path);
                    source.files.insert(id, file);
                } else {
                    new_files.push((id, path, meta.len()));
                }
            }
            // A file below a folder that could not be listed was not seen: it stays.
            let gone: Vec<FileId> = source
                .files
                .iter()
                .filter(|(id, f)| !present.contains(*id) && !walk.missed(&f.path))
                .map(|(id, _)| *id)
                .collect();
            for id in gone {
                if let Some(mut file) = source.files.remove(&id) {
                    // Errors here only mean there is nothing left to read.
                    let _ = file.read_new(read_time, &mut self.scratch, &mut source.health, sink);
                    source.active.remove(&id);
                    source.read_errors.remove(&id);
                    // Its name is free for whatever file comes to stand there.
                    if let Some(origin) = file.source() {
                        self.origins.release(origin, &file.path);
                    }
                    source.draining.push((Instant::now(), file));
                }
            }
            // A first scan of a large tree adds thousands: grow the map once.
            source.files.reserve(new_files.len());
            for (id, path, len) in new_files {
                let origin = self.origins.register_file(&path);
                let file = TailedFile::new(path, id, origin, self.scanner.clone(), &self.exports)
                    .listed_at(len);
                source.files.insert(id, file);
            }
            source
                .draining
                .retain(|(since, _)| since.elapsed() < DRAIN_FOR);
            source.health.files = source.files.len();
            source.update_error();
        }
    }

    /// Reads new lines from every file, in path order, handing each event to `sink`. A
    /// large backlog is parsed on every core.
    pub fn poll(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        self.poll_some(read_time, None, sink);
    }

    /// Reads new lines, as [`Follower::poll`] does, from the files at these paths only
    /// (those a filesystem event named): a wake does not look at every file.
    pub fn poll_paths(
        &mut self,
        read_time: TimeMs,
        paths: &HashSet<PathBuf>,
        sink: &mut dyn FnMut(Event),
    ) {
        self.poll_some(read_time, Some(paths), sink);
    }

    fn poll_some(
        &mut self,
        read_time: TimeMs,
        only: Option<&HashSet<PathBuf>>,
        sink: &mut dyn FnMut(Event),
    ) {
        self.polls += 1;
        lock(&self.exports).next_poll();
        for source in &mut self.sources {
            if let Some(db) = &mut source.db {
                db.poll(read_time, &mut source.health, sink);
                continue;
            }
            // Only files whose length moved are read (a closed file is not reopened for
            // nothing); files newly opened beyond the handle limit are closed after reading.
            let mut backlog = 0;
            let mut files: Vec<&mut TailedFile> = source
                .files
                .values_mut()
                .filter(|f| only.is_none_or(|paths| paths.contains(&f.path)))
                .filter_map(|f| {
                    backlog += f.news()?;
                    Some(f)
                })
                .collect();
            files.sort_by(|a, b| a.order().cmp(b.order()));
            let mut open = source.files_open;
            for file in &mut files {
                let keep = file.is_open() || open < MAX_OPEN_FILES;
                open += usize::from(keep && !file.is_open());
                file.keep_open(keep);
            }
            let ids: Vec<(FileId, PathBuf)> =
                files.iter().map(|f| (f.id, f.path.clone())).collect();
            let results = if backlog >= PARALLEL_FROM_BYTES && files.len() > 1 {
                read_files(files, read_time, &mut source.health, sink)
            } else {
                let scratch = &mut self.scratch;
                let health = &mut source.health;
                files
                    .into_iter()
                    .map(|f| f.read_new(read_time, scratch, health, sink))
                    .collect()
            };
            for ((id, path), result) in ids.into_iter().zip(results) {
                match result {
                    Ok(read) => {
                        if read > 0 {
                            source.active.insert(id, self.polls);
                        }
                        source.read_errors.remove(&id);
                    }
                    Err(e) => {
                        let error = format!("{}: {e}", path.display());
                        source.read_errors.insert(id, error);
                    }
                }
            }
            for (_, file) in &mut source.draining {
                let _ = file.read_new(read_time, &mut self.scratch, &mut source.health, sink);
            }
            // A Copilot session counted from its shutdown may show up in the export's
            // last batch, written after it.
            for file in source.files.values_mut() {
                file.recheck_export(read_time, sink);
            }
            let now = Instant::now();
            let draining = source.draining.iter_mut().map(|(_, f)| f);
            for file in source.files.values_mut().chain(draining) {
                file.complete_idle(read_time, now, &mut source.health, sink);
            }
            close_idle_handles(source);
            source.files_open = source.files.values().filter(|f| f.is_open()).count();
            source.health.lag_bytes = source.files.values().map(TailedFile::lag).sum();
            source.update_error();
        }
    }

    /// The input ends here (a report): every last line without a newline is complete.
    pub fn finish(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        for source in &mut self.sources {
            let draining = source.draining.iter_mut().map(|(_, f)| f);
            let mut files: Vec<&mut TailedFile> =
                source.files.values_mut().chain(draining).collect();
            files.sort_by(|a, b| a.order().cmp(b.order()));
            for file in files {
                file.finish(read_time, &mut source.health, sink);
            }
            source.health.lag_bytes = source.files.values().map(TailedFile::lag).sum();
        }
    }

    /// File handles held now: never more than `MAX_OPEN_FILES` a source.
    pub fn open_handles(&self) -> usize {
        self.sources
            .iter()
            .map(|s| s.files.values().filter(|f| f.is_open()).count())
            .sum()
    }

    pub fn health(&self) -> Vec<SourceHealth> {
        self.sources.iter().map(|s| s.health.clone()).collect()
    }

    /// Records why the folder `root` is not watched (`None`: it is watched now, or let go),
    /// on the sources watched from there.
    pub(super) fn watch_failed(&mut self, root: &Path, error: Option<&str>) {
        for source in &mut self.sources {
            match error {
                Some(error) if source.spec.watch_root().is_some_and(|(r, _)| r == root) => {
                    source.watch_error = Some((root.to_path_buf(), error.to_string()));
                }
                None if source.watch_error.as_ref().is_some_and(|(r, _)| r == root) => {
                    source.watch_error = None;
                }
                _ => continue,
            }
            source.update_error();
        }
    }

    pub(super) fn watch_roots(&self) -> Vec<(PathBuf, bool)> {
        self.sources
            .iter()
            .filter_map(|s| match &s.db {
                // Only the database's folder: its legacy JSON tree is read once, unwatched.
                Some(db) => db.folder().map(|d| (d, false)),
                None => s.spec.watch_root(),
            })
            .collect()
    }
}

fn close_idle_handles(source: &mut Source) {
    let open = source.files.values().filter(|f| f.is_open()).count();
    if open <= MAX_OPEN_FILES {
        return;
    }
    let mut by_age: Vec<(u64, FileId)> = source
        .files
        .iter()
        .filter(|(_, f)| f.is_open())
        .map(|(id, _)| (source.active.get(id).copied().unwrap_or(0), *id))
        .collect();
    by_age.sort();
    for (_, id) in by_age.into_iter().take(open - MAX_OPEN_FILES) {
        if let Some(file) = source.files.get_mut(&id) {
            file.close();
        }
    }
}

/// Collects events into batches and sends them; `open` turns false once the receiver is gone.
struct Batcher {
    tx: SyncSender<Feed>,
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
            self.open &= self.tx.send(Feed::Events(batch)).is_ok();
        }
    }

    fn send_health(&mut self, health: Vec<SourceHealth>) {
        self.open &= self.tx.send(Feed::Health(health)).is_ok();
    }
}

/// How the follow thread learns that files changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowOptions {
    /// Files are read at least this often, whether or not an event came.
    pub poll_every: Duration,
    /// Whether filesystem events wake the reader; off, only the poll interval does (for
    /// filesystems that never send events, such as network mounts).
    pub watch: bool,
}

impl FollowOptions {
    /// Filesystem events, and a poll every `poll_every` for what they miss.
    pub fn watching(poll_every: Duration) -> Self {
        FollowOptions {
            poll_every,
            watch: true,
        }
    }
}

/// Runs `follower` on its own thread until the receiving side closes, then hands it back
/// (so a restarted loop continues from the same offsets).
pub fn spawn(
    follower: Follower,
    tx: SyncSender<Feed>,
    options: FollowOptions,
) -> std::io::Result<std::thread::JoinHandle<Follower>> {
    std::thread::Builder::new()
        .name("tokentop-follow".into())
        .spawn(move || run(follower, tx, options))
}

/// A followed file was found under a new name: it, and the origins of every event read
/// from it, move there.
fn relocate(origins: &Origins, file: &mut TailedFile, path: PathBuf) {
    if let Some(id) = file.source() {
        origins.relocate(id, &path);
    }
    file.moved(path);
}

fn run(mut follower: Follower, tx: SyncSender<Feed>, options: FollowOptions) -> Follower {
    let poll_every = options.poll_every;
    let mut watches = Watches::new(options.watch);
    let mut out = Batcher {
        tx,
        batch: Vec::with_capacity(BATCH),
        open: true,
    };
    let mut last_scan: Option<Instant> = None;
    let mut last_full_poll: Option<Instant> = None;
    let mut wake = Wake::everything(true);
    let mut last_health = Vec::new();
    while out.open {
        let now = jiff::Timestamp::now().as_millisecond();
        let newly_watched = watches.keep(&mut follower);
        let rescan =
            wake.rescan || newly_watched || last_scan.is_none_or(|t| t.elapsed() >= RESCAN_EVERY);
        if rescan {
            follower.rescan(now, &mut |e| out.push(e));
            last_scan = Some(Instant::now());
        }
        // A wake looks at the files its events name; every file is looked at once per
        // poll interval, and after a scan.
        let full = rescan || last_full_poll.is_none_or(|t| t.elapsed() >= poll_every);
        match wake.paths.as_ref().filter(|_| !full) {
            Some(paths) => follower.poll_paths(now, paths, &mut |e| out.push(e)),
            None => {
                follower.poll(now, &mut |e| out.push(e));
                last_full_poll = Some(Instant::now());
            }
        }
        out.flush();
        // A std sender learns that the receiver is gone only when it sends: the health goes
        // out again on every full poll, so an idle follower also ends once nobody listens.
        let health = follower.health();
        if health != last_health || full {
            out.send_health(health.clone());
            last_health = health;
        }
        wake = watches.wait(poll_every, &mut follower);
    }
    follower
}
