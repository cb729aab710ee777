//! The follow loop's filesystem watcher: which folders are watched (again, once a folder
//! that was deleted comes back), why one cannot be, and what each wake names, so that a
//! wake looks only at the files its events are about.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::follow::Follower;
use super::tail::{FileId, file_id};

/// A folder that could not be watched is tried again after this long.
const RETRY_WATCH: Duration = Duration::from_secs(2);

/// A watched folder, known by its (device, inode): a folder deleted and made again under
/// the same name is another folder, watched anew.
enum Watched {
    Yes(FileId),
    /// The watch failed at that time.
    Failed(FileId, Instant),
}

impl Watched {
    fn id(&self) -> FileId {
        match self {
            Watched::Yes(id) | Watched::Failed(id, _) => *id,
        }
    }
}

/// What woke the loop.
#[derive(Debug)]
pub struct Wake {
    /// A file may have appeared, moved or gone: the folders are walked again.
    pub rescan: bool,
    /// The paths the events named; `None`: every file is looked at (the poll interval
    /// passed, or an event named no path).
    pub paths: Option<HashSet<PathBuf>>,
}

impl Wake {
    /// A wake that looks at every file.
    pub fn everything(rescan: bool) -> Self {
        Wake {
            rescan,
            paths: None,
        }
    }
}

pub struct Watches {
    /// `None`: watching is off, or no watcher could be had; the poll interval finds
    /// every change, only later.
    watcher: Option<RecommendedWatcher>,
    watched: HashMap<PathBuf, Watched>,
    events: mpsc::Receiver<notify::Result<notify::Event>>,
}

impl Watches {
    pub fn new(watch: bool) -> Self {
        let (tx, events) = mpsc::channel();
        // Without a watcher `tx` is dropped, and waiting is a plain sleep.
        let watcher = if watch {
            notify::recommended_watcher(move |res| {
                let _ = tx.send(res);
            })
            .ok()
        } else {
            None
        };
        Watches {
            watcher,
            watched: HashMap::new(),
            events,
        }
    }

    /// Watches every source's folder as it is now: a new folder, or one deleted and made
    /// again, is watched (again); one that is gone is let go; one that cannot be watched
    /// becomes its sources' `last_error`. Returns whether a folder was newly watched (its
    /// files must be looked for).
    pub fn keep(&mut self, follower: &mut Follower) -> bool {
        let Some(watcher) = self.watcher.as_mut() else {
            return false;
        };
        let roots: HashMap<PathBuf, (FileId, bool)> = follower
            .watch_roots()
            .into_iter()
            .filter_map(|(root, recursive)| {
                let meta = std::fs::metadata(&root).ok()?;
                Some((root, (file_id(&meta), recursive)))
            })
            .collect();
        self.watched.retain(|root, watched| {
            let same = roots.get(root).is_some_and(|(id, _)| *id == watched.id());
            if !same {
                // Gone with its folder, most likely: nothing to undo then.
                let _ = watcher.unwatch(root);
                follower.watch_failed(root, None);
            }
            same
        });
        let mut fresh = false;
        for (root, (id, recursive)) in roots {
            match self.watched.get(&root) {
                Some(Watched::Yes(_)) => continue,
                Some(Watched::Failed(_, at)) if at.elapsed() < RETRY_WATCH => continue,
                _ => {}
            }
            let mode = if recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            match watcher.watch(&root, mode) {
                Ok(()) => {
                    follower.watch_failed(&root, None);
                    self.watched.insert(root, Watched::Yes(id));
                    fresh = true;
                }
                Err(e) => {
                    let error = format!(
                        "watching {}: {e}; changes are found by polling every --poll-ms",
                        root.display()
                    );
                    follower.watch_failed(&root, Some(&error));
                    self.watched
                        .insert(root, Watched::Failed(id, Instant::now()));
                }
            }
        }
        fresh
    }

    /// Waits for filesystem events, at most `poll_every`, and takes every event queued
    /// behind the first (a burst is one pass).
    pub fn wait(&mut self, poll_every: Duration, follower: &mut Follower) -> Wake {
        let first = match self.events.recv_timeout(poll_every) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => return Wake::everything(false),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(poll_every);
                return Wake::everything(false);
            }
        };
        let mut wake = Wake {
            rescan: false,
            paths: Some(HashSet::new()),
        };
        for event in std::iter::once(first).chain(self.events.try_iter()) {
            match event {
                Ok(event) => {
                    wake.rescan |= needs_rescan(&event.kind) || event.need_rescan();
                    match wake.paths.as_mut() {
                        Some(paths) if !event.paths.is_empty() => paths.extend(event.paths),
                        _ => wake.paths = None,
                    }
                }
                Err(e) => watch_failed(&mut self.watched, &e, follower),
            }
        }
        wake
    }
}

/// A watcher error goes to the sources of the folders it names (all, when it names none);
/// those folders are watched again after [`RETRY_WATCH`].
fn watch_failed(
    watched: &mut HashMap<PathBuf, Watched>,
    error: &notify::Error,
    follower: &mut Follower,
) {
    let text = format!("file watcher: {error}; changes are found by polling every --poll-ms");
    for (root, state) in watched.iter_mut() {
        if error.paths.is_empty() || error.paths.iter().any(|p| p.starts_with(root)) {
            follower.watch_failed(root, Some(&text));
            *state = Watched::Failed(state.id(), Instant::now());
        }
    }
}

/// Whether a filesystem event can mean a file appeared, moved or went away.
fn needs_rescan(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Create(_)
            | EventKind::Remove(_)
            | EventKind::Modify(notify::event::ModifyKind::Name(_))
            | EventKind::Any
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::discover::SourceSpec;
    use crate::source::origin::Origins;

    #[test]
    fn a_watcher_error_is_the_last_error_of_the_sources_it_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).expect("mkdir");
        std::fs::create_dir_all(&b).expect("mkdir");
        let specs = [&a, &b].map(|p| SourceSpec::parse(&p.to_string_lossy()));
        let mut follower = Follower::new(specs.to_vec(), Origins::default());
        let mut watches = Watches::new(true);
        assert!(watches.keep(&mut follower), "both folders are watched");
        let error = notify::Error::generic("queue overflow").add_path(a.join("x.jsonl"));
        watch_failed(&mut watches.watched, &error, &mut follower);
        let health = follower.health();
        let last = health[0].last_error.as_deref().unwrap_or_default();
        assert!(last.contains("queue overflow"), "{last}");
        assert!(health[1].is_ok(), "{:?}", health[1]);
        // Not retried at once: the error stays in sight a while.
        assert!(!watches.keep(&mut follower));
        assert!(!follower.health()[0].is_ok());
    }
}
