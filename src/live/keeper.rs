//! What the monitor learns as it runs, written into the state store on a thread of its
//! own: the tools identities call for the first time (from the engine thread, a batch a
//! tick) and the findings a person acknowledges or takes back (from the loop). Neither
//! waits on SQLite; a write that fails is said once among the sources, and the run goes on.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::app::{AckChange, FindingKey};
use crate::engine::Engine;
use crate::engine::known_tools::KnownTool;
use crate::source::Feed;
use crate::state::{Store, StoreError};

use super::sources::store_health;

/// Writes waiting for the keeper's thread; past this, senders hold theirs in an [`Outbox`].
const QUEUE: usize = 64;
/// How often [`Keeper::finish`] looks whether the last writes are done.
const FINISH_POLL: Duration = Duration::from_millis(10);

/// One write.
#[derive(Debug, PartialEq)]
pub enum Keep {
    Tools(Vec<KnownTool>),
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
    /// Findings acknowledged in earlier runs.
    pub acknowledged: Vec<FindingKey>,
}

impl Keeper {
    /// Starts the thread writing into `store`; its failures go to `warn` as the store's
    /// health, once.
    pub fn spawn(store: Store, warn: SyncSender<Feed>) -> std::io::Result<Keeper> {
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("state keeper".into())
            .spawn(move || keep(store, &rx, &warn))?;
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

/// Writes until every sender is gone.
fn keep(mut store: Store, rx: &Receiver<Keep>, warn: &SyncSender<Feed>) {
    let mut warned = false;
    for write in rx {
        let done = match &write {
            Keep::Tools(tools) => store.keep_tools(tools),
            Keep::Ack(change) => keep_ack(&mut store, change),
        };
        if let Err(e) = done
            && !std::mem::replace(&mut warned, true)
        {
            let _ = warn.try_send(Feed::Health(vec![store_health(&e.to_string())]));
        }
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

    /// The engine's newly learnt tools, as one write (none when there are none).
    pub fn send_learnt(&mut self, engine: &mut Engine) {
        let tools = engine.take_learnt_tools();
        if tools.is_empty() {
            self.retry();
        } else {
            self.send(Keep::Tools(tools));
        }
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

/// At start: hands `engine` the tools identities called in earlier runs and reads back the
/// findings acknowledged, then starts the keeper on `store` (a store that cannot be read
/// is said among the sources; what this run learns is still kept).
pub fn restore(store: Store, engine: &mut Engine, warn: &SyncSender<Feed>) -> Kept {
    let mut problems: Vec<StoreError> = Vec::new();
    let tools = store.known_tools().unwrap_or_else(|e| {
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
        .map(|(kind, subject)| FindingKey { kind, subject })
        .collect();
    match Keeper::spawn(store, warn.clone()) {
        Ok(keeper) => {
            engine.know_tools(tools);
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
