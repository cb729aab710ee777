//! `tokentop replay`: the monitor over history, driven by event time instead of the wall
//! clock, through the same engine as live ingest. History is read once ([`history`]); a
//! [`cursor::Cursor`] plays it into the engine up to a time; a [`player::Player`] moves
//! that time (playing, paused, keys); [`controls::Replay`] ties them to keys; [`run`] is
//! the terminal loop. Replay runs no alert command, rings no bell, writes no alerts file
//! and never opens the state store.

pub mod controls;
pub mod cursor;
pub mod history;
pub mod jump;
pub mod player;
mod run;

use std::sync::Arc;

use jiff::tz::TimeZone;

pub use self::run::{ReplayOptions, run};
use crate::config::Config;
use crate::engine::Engine;
use crate::event::TimeMs;
use crate::pricing::PriceTable;
use crate::secrets::Scanner;
use crate::source::discover::SourceSpec;
use controls::Replay;
use cursor::{Cursor, STEP_MS};
use history::History;
use player::Player;

/// How far before `--since` history is read: the burst detector warms up and the usual
/// rates settle in it, as in `incident`.
pub const WARM_UP_MS: TimeMs = crate::incident::BASELINE_MS;
/// Without `--until`, history runs this far past the last event, so that the alerts open
/// at the end are seen to end.
pub const TAIL_MS: TimeMs = 15 * 60_000;

/// What one replay reads, resolved from the command line at the edge.
#[derive(Debug)]
pub struct ReplayRequest {
    pub specs: Vec<SourceSpec>,
    pub config: Config,
    pub tz: TimeZone,
    pub prices: Arc<PriceTable>,
    /// `--since` and `--until`.
    pub range: (Option<TimeMs>, Option<TimeMs>),
    pub scanner: Option<Arc<Scanner>>,
    /// Event time per unit of wall-clock time at start.
    pub speed: u32,
}

/// Reads the request's sources at `now`; history reaches back [`WARM_UP_MS`] before
/// `--since`.
pub fn read(request: &ReplayRequest, now: TimeMs) -> History {
    let (since, until) = request.range;
    let from = since.map(|s| s.saturating_sub(WARM_UP_MS));
    history::read(
        request.specs.clone(),
        request.scanner.clone(),
        (from, until),
        now,
    )
}

/// The replay of `history`, paused at `--since` or else the first event (the grid step
/// that holds it), so that the first screen is the same every time. `None`: no event to
/// play.
pub fn start(
    history: &History,
    engine: Engine,
    range: (Option<TimeMs>, Option<TimeMs>),
    speed: u32,
) -> Option<Replay> {
    let tz = engine.time_zone().clone();
    let cursor = Cursor::new(Arc::clone(&history.events), engine);
    let (first, last) = cursor.span()?;
    let start = range.0.unwrap_or(first);
    // The grid step at or after it: the first event is in.
    let start = (start + STEP_MS - 1).div_euclid(STEP_MS) * STEP_MS;
    let end = range.1.map_or(last + TAIL_MS, |until| until - 1);
    Some(Replay::new(cursor, Player::new(start, end, speed), tz))
}
