//! Sources: IO only. They find files, read new bytes, cut them into lines (or poll an
//! agent's database for new rows), hand each record to the parsers and report their own
//! health. They know nothing about aggregation.

pub mod copilot_export;
pub mod db;
pub mod discover;
pub mod facts;
pub mod follow;
pub mod gemini;
pub mod health;
pub mod lines;
pub mod origin;
pub mod otlp;
pub mod parallel;
pub mod provider;
pub mod stdin;
pub mod tail;
pub mod walk;
pub mod watch;

use crate::event::Event;
use health::SourceHealth;

/// What sources send to whoever runs the engine.
#[derive(Debug)]
pub enum Feed {
    Events(Vec<Event>),
    /// The current health of the sender's sources (replacing earlier reports of the same paths).
    Health(Vec<SourceHealth>),
    /// What a provider poll brought, replacing what was known for its range.
    Provider(crate::parse::provider::ProviderUpdate),
    /// A polled provider's health, replacing its earlier report.
    ProviderStatus(provider::ProviderStatus),
    /// Not from a source: the screen wakes the engine's thread to look at what it wants now,
    /// so that the thread can sleep until a batch, a nudge or its tick.
    Nudge,
}

/// Events are sent in batches of at most this many, so one busy file cannot hog the channel.
pub const BATCH: usize = 4096;
/// Batches in flight between sources and the engine: beyond this, readers wait (backpressure).
pub const CHANNEL_CAPACITY: usize = 64;
