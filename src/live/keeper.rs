//! What the monitor learns as it runs, written into the state store on a thread of its
//! own: the tools identities call and the secrets they expose for the first time (from the
//! engine thread, a batch a tick) and the findings a person acknowledges or takes back
//! (from the loop). Neither waits on SQLite. A write refused because another connection
//! holds the file (the provider poller writing a backfill, another tokentop) is held and
//! tried again later, in order, waiting longer each time; any other failure is said among
//! the sources each time, with a count, and the run goes on.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::app::{AckChange, FindingKey};
use crate::engine::Engine;
use crate::engine::exposures::SeenSecret;
use crate::engine::known_tools::KnownTool;
use crate::event::TimeMs;
use crate::source::Feed;
use crate::state::{Store, StoreError};

use super::sources::store_health;

/// Writes waiting for the keeper's thread; past this, senders hold theirs in an [`Outbox`].
const QUEUE: usize = 64;
/// How often [`Keeper::finish`] looks whether the last writes are done.
const FINISH_POLL: Duration = Duration::from_millis(10);
/// Writes held while the store is busy (batches of one kind in a row count as one); past
/// this, newer ones are let go and counted.
const MAX_HELD: usize = 256;
/// The wait before trying a busy store again, doubled each time it is still busy…
const RETRY_FIRST: Duration = Duration::from_millis(500);
/// …up to this.
const RETRY_MAX: Duration = Duration::from_secs(30);

/// One write.
#[derive(Debug, PartialEq)]
pub enum Keep {
    Tools(Vec<KnownTool>),
    Secrets(Vec<SeenSecret>),
    Ack(AckChange),
}

/// The keeper's thread, ended once every [`Outbox`] (and the keeper) let go.
pub struct Keeper {
    tx: SyncSender<Keep>,
    thread: JoinHandle<()>,
}

/// What the monitor read back from the store at start, and the keeper of what it learns.
#[derive(Default)]
pub struct Kept {
    pub keeper: Option<Keeper>,
    /// Findings acknowledged in earlier runs, with when.
    pub acknowledged: Vec<(FindingKey, TimeMs)>,
}

impl Keeper {
    /// Starts the thread writing into `store`; what goes wrong goes to `warn` as the
    /// store's health.
    pub fn spawn(store: Store, warn: SyncSender<Feed>) -> std::io::Result<Keeper> {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("state keeper".into())
            .spawn(move || keep(Writer::new(store), &rx, &warn))?;
        Ok(Keeper { tx, thread })
    }

    /// A sender of writes, for one thread.
    pub fn outbox(&self) -> Outbox {
        Outbox {
            tx: self.tx.clone(),
            waiting: VecDeque::new(),
        }
    }

    /// Lets go and waits up to `grace` for the writes already sent (every outbox must
    /// have been flushed or dropped first).
    pub fn finish(self, grace: Duration) {
        drop(self.tx);
        let until = Instant::now() + grace;
        while !self.thread.is_finished() && Instant::now() < until {
            std::thread::sleep(FINISH_POLL);
        }
    }
}

/// Writes until every sender is gone, trying held writes again when they are due; held
/// writes get one last try at the end.
fn keep(mut writer: Writer, rx: &Receiver<Keep>, warn: &SyncSender<Feed>) {
    loop {
        let got = match writer.due_in(Instant::now()) {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(wait) => rx.recv_timeout(wait),
        };
        let (said, last) = match got {
            Ok(write) => (writer.take(write, Instant::now()), false),
            Err(RecvTimeoutError::Timeout) => (writer.write_held(Instant::now()), false),
            Err(RecvTimeoutError::Disconnected) => (writer.write_held(Instant::now()), true),
        };
        if let Some(problem) = said {
            let _ = warn.try_send(Feed::Health(vec![store_health(&problem)]));
        }
        if last {
            return;
        }
    }
}

/// The keeper thread's side: writes into the store in order, holding the writes a busy
/// store refused. Time is an argument, so that its waits are tested without waiting.
struct Writer {
    store: Store,
    held: VecDeque<Keep>,
    /// When the held writes are tried again (`None`: at once).
    next_try: Option<Instant>,
    /// The wait after the next busy try.
    backoff: Duration,
    /// Writes that failed for another reason than a busy store.
    failed: u64,
    /// Writes let go because too many were held.
    let_go: u64,
}

impl Writer {
    fn new(store: Store) -> Self {
        Writer {
            store,
            held: VecDeque::new(),
            next_try: None,
            backoff: RETRY_FIRST,
            failed: 0,
            let_go: 0,
        }
    }

    /// Takes one write at `now`: written at once unless held writes wait before it and
    /// are not due. Returns what to say among the sources, if anything.
    fn take(&mut self, write: Keep, now: Instant) -> Option<String> {
        let full = self.held.len() >= MAX_HELD;
        match (self.held.back_mut(), write) {
            (Some(Keep::Tools(held)), Keep::Tools(more)) => held.extend(more),
            (Some(Keep::Secrets(held)), Keep::Secrets(more)) => held.extend(more),
            (_, write) if !full => self.held.push_back(write),
            (_, _) => {
                self.let_go += 1;
                return Some(format!(
                    "state store {} stayed busy (another program is writing it), writes not \
                     kept: {}; close the other tokentop or run with --no-state",
                    self.store.path().display(),
                    self.let_go
                ));
            }
        }
        if self.next_try.is_some_and(|at| now < at) {
            return None;
        }
        self.write_held(now)
    }

    /// Writes what is held, in order, until the store is busy (then waits longer before
    /// the next try). Returns what to say among the sources, if anything.
    fn write_held(&mut self, now: Instant) -> Option<String> {
        let mut said = None;
        while let Some(write) = self.held.front() {
            let done = match write {
                Keep::Tools(tools) => self.store.keep_tools(tools),
                Keep::Secrets(secrets) => self.store.keep_secrets(secrets),
                Keep::Ack(change) => keep_ack(&mut self.store, change),
            };
            match done {
                Ok(()) => {
                    self.held.pop_front();
                    self.next_try = None;
                    self.backoff = RETRY_FIRST;
                }
                Err(StoreError::Locked { .. }) => {
                    self.next_try = Some(now + self.backoff);
                    self.backoff = (self.backoff * 2).min(RETRY_MAX);
                    return said;
                }
                Err(e) => {
                    self.held.pop_front();
                    self.failed += 1;
                    said = Some(format!("{e} (failed writes so far: {})", self.failed));
                }
            }
        }
        said
    }

    /// How long until the held writes are due (`None`: none is held).
    fn due_in(&self, now: Instant) -> Option<Duration> {
        if self.held.is_empty() {
            return None;
        }
        Some(
            self.next_try
                .map_or(Duration::ZERO, |at| at.saturating_duration_since(now)),
        )
    }
}

fn keep_ack(store: &mut Store, change: &AckChange) -> Result<(), StoreError> {
    match change {
        AckChange::Acknowledged { key, at } => store.acknowledge(&key.kind, &key.subject, *at),
        AckChange::TakenBack(key) => store.take_back(&key.kind, &key.subject),
    }
}

/// One thread's writes on their way to the keeper, in order: one the queue has no room for
/// waits here for the next [`Outbox::retry`], so the sender never blocks.
pub struct Outbox {
    tx: SyncSender<Keep>,
    waiting: VecDeque<Keep>,
}

impl Outbox {
    pub fn send(&mut self, write: Keep) {
        self.waiting.push_back(write);
        self.retry();
    }

    /// The engine's newly learnt tools and secrets, a write each (none when there are
    /// none).
    pub fn send_learnt(&mut self, engine: &mut Engine) {
        let tools = engine.take_learnt_tools();
        if !tools.is_empty() {
            self.waiting.push_back(Keep::Tools(tools));
        }
        let secrets = engine.take_learnt_secrets();
        if !secrets.is_empty() {
            self.waiting.push_back(Keep::Secrets(secrets));
        }
        self.retry();
    }

    /// Sends what waits, as far as the queue has room.
    pub fn retry(&mut self) {
        while let Some(write) = self.waiting.pop_front() {
            match self.tx.try_send(write) {
                Ok(()) => {}
                Err(TrySendError::Full(write)) => {
                    self.waiting.push_front(write);
                    return;
                }
                // The keeper is gone: nothing will be written any more.
                Err(TrySendError::Disconnected(_)) => {
                    self.waiting.clear();
                    return;
                }
            }
        }
    }

    /// At the end of a run: sends what waits, waiting for room.
    pub fn flush(mut self) {
        for write in self.waiting.drain(..) {
            if self.tx.send(write).is_err() {
                return;
            }
        }
    }
}

/// At start: hands `engine` the tools identities called and the secrets they exposed in
/// earlier runs and reads back the findings acknowledged, then starts the keeper on `store` (a store that cannot be read
/// is said among the sources; what this run learns is still kept).
pub fn restore(store: Store, engine: &mut Engine, warn: &SyncSender<Feed>) -> Kept {
    let mut problems: Vec<StoreError> = Vec::new();
    let tools = store.known_tools().unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    let secrets = store.seen_secrets().unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    let acknowledged = store.acknowledged().unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    if let Some(e) = problems.first() {
        let _ = warn.try_send(Feed::Health(vec![store_health(&e.to_string())]));
    }
    let acknowledged = acknowledged
        .into_iter()
        .map(|(kind, subject, at)| (FindingKey { kind, subject }, at))
        .collect();
    match Keeper::spawn(store, warn.clone()) {
        Ok(keeper) => {
            engine.know_tools(tools);
            engine.know_secrets(secrets);
            Kept {
                keeper: Some(keeper),
                acknowledged,
            }
        }
        Err(e) => {
            let problem =
                format!("the state store's writer did not start ({e}): nothing learnt is kept");
            let _ = warn.try_send(Feed::Health(vec![store_health(&problem)]));
            Kept {
                keeper: None,
                acknowledged,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(tool: &str, first_seen: TimeMs) -> KnownTool {
        KnownTool {
            identity: "agent-x".into(),
            tool: tool.into(),
            first_seen,
        }
    }

    fn ack(subject: &str, at: TimeMs) -> Keep {
        Keep::Ack(AckChange::Acknowledged {
            key: FindingKey {
                kind: "policy".into(),
                subject: subject.into(),
            },
            at,
        })
    }

    /// A writer on a fresh store, and a second connection to the same file.
    fn writer_and_other() -> (tempfile::TempDir, Writer, rusqlite::Connection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tokentop").join("state.db");
        let writer = Writer::new(Store::open(&path).expect("open"));
        let other = rusqlite::Connection::open(&path).expect("second connection");
        (dir, writer, other)
    }

    #[test]
    fn writes_a_busy_store_refused_are_held_and_written_later_in_order() {
        let (_dir, mut writer, other) = writer_and_other();
        // Another writer (the poller's backfill) holds the file.
        other.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let t0 = Instant::now();
        assert_eq!(writer.take(Keep::Tools(vec![known("Read", 1)]), t0), None);
        assert_eq!(
            writer.due_in(t0),
            Some(RETRY_FIRST),
            "held, tried again later"
        );
        // Before it is due: held behind it, batches of a kind in a row as one.
        let soon = t0 + Duration::from_millis(1);
        assert_eq!(writer.take(Keep::Tools(vec![known("Bash", 2)]), soon), None);
        assert_eq!(writer.take(ack("agent-x · Bash · no shell", 3), soon), None);
        assert_eq!(writer.held.len(), 2);
        // Still busy when due: the next wait is longer.
        let due = t0 + RETRY_FIRST;
        assert_eq!(writer.write_held(due), None);
        assert_eq!(writer.due_in(due), Some(RETRY_FIRST * 2));
        other.execute_batch("COMMIT").expect("unlock");
        assert_eq!(writer.write_held(due + RETRY_FIRST * 2), None);
        assert_eq!(writer.due_in(due + RETRY_FIRST * 2), None, "all written");
        assert_eq!(
            writer.store.known_tools().expect("read"),
            [known("Read", 1), known("Bash", 2)]
        );
        let acked = writer.store.acknowledged().expect("read");
        assert_eq!(acked.len(), 1);
        assert_eq!(acked[0].1, "agent-x · Bash · no shell");
    }

    #[test]
    fn too_many_held_writes_let_the_newest_go_and_say_how_many() {
        let (_dir, mut writer, other) = writer_and_other();
        other.execute_batch("BEGIN IMMEDIATE").expect("lock");
        let t0 = Instant::now();
        assert_eq!(writer.take(ack("s0", 0), t0), None);
        for n in 1..MAX_HELD {
            assert_eq!(writer.take(ack(&format!("s{n}"), 0), t0), None);
        }
        let said = writer.take(ack("one too many", 0), t0).expect("said");
        assert!(said.contains("writes not kept: 1;"), "{said}");
        let said = writer.take(ack("two too many", 0), t0).expect("said");
        assert!(said.contains("writes not kept: 2;"), "{said}");
        assert_eq!(writer.held.len(), MAX_HELD);
    }

    #[test]
    fn every_other_failure_is_said_with_a_count_and_the_write_let_go() {
        let (_dir, mut writer, other) = writer_and_other();
        other
            .execute_batch("DROP TABLE known_tool")
            .expect("break the store");
        let t0 = Instant::now();
        let first = writer.take(Keep::Tools(vec![known("Read", 1)]), t0);
        let first = first.expect("said");
        assert!(first.contains("known_tool"), "{first}");
        assert!(first.ends_with("(failed writes so far: 1)"), "{first}");
        let again = writer.take(Keep::Tools(vec![known("Bash", 2)]), t0);
        let again = again.expect("said again");
        assert!(again.ends_with("(failed writes so far: 2)"), "{again}");
        assert_eq!(writer.due_in(t0), None, "nothing held");
        // The writes after it go on.
        assert_eq!(writer.take(ack("s", 5), t0), None);
        assert_eq!(writer.store.acknowledged().expect("read").len(), 1);
    }
}
