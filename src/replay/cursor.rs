//! The engine as of a point in history, for replay: the events up to the cursor ingested
//! and the clock moved on a fixed grid of event time, so that where the cursor stops, and
//! how it got there (playing, stepping, jumping back), never changes what the engine holds.
//!
//! The clock ticks every [`STEP_MS`] of event time while anything is happening (an event
//! in the last [`BUSY_MS`], or an alert open, whose end needs the clock), and otherwise
//! jumps to the grid step of the next event: days of quiet cost nothing. Going back
//! restores the last checkpoint at or before the target and plays forward from it;
//! checkpoints are taken every [`CHECKPOINT_EVERY`] events ingested.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::engine::Engine;
use crate::engine::alerts::Change;
use crate::event::{Event, TimeMs};

/// The replay clock's grid.
pub const STEP_MS: TimeMs = 5_000;
/// The clock keeps ticking this long after an event: bursts and minute rates settle.
pub const BUSY_MS: TimeMs = 2 * 60_000;
/// Events between two checkpoints.
pub const CHECKPOINT_EVERY: usize = 20_000;

/// The engine at a grid time, with the events ingested so far.
#[derive(Clone)]
struct State {
    engine: Engine,
    /// Events `[..next]` are ingested.
    next: usize,
    /// The grid time the clock was last moved to (`None`: not yet).
    clock: Option<TimeMs>,
}

/// History played up to a cursor.
pub struct Cursor {
    /// Every event, sorted by time (stable: files in order, lines in order).
    events: Arc<[Event]>,
    state: State,
    /// The engine before any event, then one state every `every` events.
    checkpoints: Vec<State>,
    every: usize,
    /// The grid steps at which an alert seen so far started: the same whichever way the cursor moved, as
    /// playing is deterministic, so `[` and `]` can jump between them.
    starts: BTreeSet<TimeMs>,
}

impl Cursor {
    /// A cursor before the first event; `engine` is configured and empty.
    pub fn new(events: Arc<[Event]>, engine: Engine) -> Self {
        Cursor::with_checkpoints(events, engine, CHECKPOINT_EVERY)
    }

    /// A cursor that keeps a checkpoint every `every` events.
    pub fn with_checkpoints(events: Arc<[Event]>, engine: Engine, every: usize) -> Self {
        let state = State {
            engine,
            next: 0,
            clock: None,
        };
        Cursor {
            events,
            checkpoints: vec![state.clone()],
            state,
            every: every.max(1),
            starts: BTreeSet::new(),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.state.engine
    }

    /// The first and last events' times (`None` for no event).
    pub fn span(&self) -> Option<(TimeMs, TimeMs)> {
        Some((self.events.first()?.time, self.events.last()?.time))
    }

    /// The grid time the engine stands at (`None` before the first event).
    pub fn at(&self) -> Option<TimeMs> {
        self.state.clock
    }

    /// Moves to the last grid time at or before `target`, forward or back.
    pub fn seek(&mut self, target: TimeMs) {
        let target = target.div_euclid(STEP_MS) * STEP_MS;
        if self.state.clock.is_some_and(|c| c > target) {
            let back = self
                .checkpoints
                .iter()
                .rev()
                .find(|c| c.clock.is_none_or(|t| t <= target))
                .cloned();
            if let Some(back) = back {
                self.state = back;
            }
        }
        self.play_to(target);
    }

    /// The latest alert start before `t`.
    pub fn previous_alert(&self, t: TimeMs) -> Option<TimeMs> {
        self.starts.range(..t).next_back().copied()
    }

    /// The first alert start after `t` and before `end`, playing forward a grid step at a
    /// time from `t` until one starts (the cursor is left where the search stopped).
    pub fn next_alert(&mut self, t: TimeMs, end: TimeMs) -> Option<TimeMs> {
        self.seek(t);
        let mut at = t;
        loop {
            if let Some(&start) = self.starts.range(t + 1..).next() {
                return Some(start);
            }
            if at >= end {
                return None;
            }
            at = (at + STEP_MS).min(end);
            self.seek(at);
        }
    }

    /// Plays forward on the grid to `target` (a grid time).
    fn play_to(&mut self, target: TimeMs) {
        loop {
            let next_event = self.events.get(self.state.next).map(|e| e.time);
            let tick = match self.state.clock {
                None => match next_event {
                    Some(t) => t.div_euclid(STEP_MS) * STEP_MS,
                    None => return,
                },
                Some(clock) => {
                    let busy = self.state.next > 0
                        && clock - self.events[self.state.next - 1].time < BUSY_MS;
                    if busy || self.state.engine.any_alert_open() {
                        clock + STEP_MS
                    } else {
                        match next_event {
                            // Quiet: straight to the step that holds the next event.
                            Some(t) => (t.div_euclid(STEP_MS) * STEP_MS).max(clock + STEP_MS),
                            None => target.max(clock),
                        }
                    }
                }
            };
            if tick > target || self.state.clock == Some(tick) {
                return;
            }
            self.step(tick);
        }
    }

    /// Ingests the events up to `tick` (inclusive) and moves the clock there.
    fn step(&mut self, tick: TimeMs) {
        let State {
            engine,
            next,
            clock,
        } = &mut self.state;
        let before = *next;
        while let Some(e) = self.events.get(*next).filter(|e| e.time <= tick) {
            engine.ingest(e);
            *next += 1;
        }
        engine.advance(tick);
        // Replay runs no alert sink: what started or ended is only shown, and the step an
        // alert first shows at noted for `[` and `]`.
        let events = engine.take_alert_events();
        if events.iter().any(|e| e.change == Change::Started) {
            self.starts.insert(tick);
        }
        *clock = Some(tick);
        let last = self.checkpoints.last().map_or(0, |c| c.next);
        if self.state.next >= last + self.every && self.state.next > before {
            self.checkpoints.push(self.state.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Flags, Format, IdentityAttrs, IdentityKind, Kind, Tokens};
    use crate::pricing::PriceTable;

    const MIN: TimeMs = 60_000;
    const T0: TimeMs = 1_767_225_600_000;

    fn event(identity: &str, time: TimeMs, input: u64) -> Event {
        Event {
            time,
            identity: identity.to_string(),
            identity_kind: IdentityKind::ApiKey,
            attrs: IdentityAttrs::default(),
            format: Format::Tokentop,
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            kind: Kind::Completion,
            tokens: Tokens {
                input,
                output: 10,
                ..Tokens::default()
            },
            tools: Vec::new(),
            dedup_key: None,
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            flags: Flags::default(),
            origin: None,
            line: None,
            secrets: None,
        }
    }

    /// Two hours of a steady pace (one request a minute), a burst of 400 requests in
    /// minute 100, a day of quiet, then more.
    fn history() -> Arc<[Event]> {
        let mut events: Vec<Event> = (0..120)
            .map(|m| event("steady", T0 + m * MIN, 100))
            .collect();
        events.extend((0..400).map(|i| event("steady", T0 + 100 * MIN + i * 100, 100)));
        events.extend((0..30).map(|m| event("late", T0 + 26 * 60 * MIN + m * MIN, 5)));
        events.sort_by_key(|e| e.time);
        events.into()
    }

    /// A cursor with a checkpoint every 50 events, so that going back restores one.
    fn cursor() -> Cursor {
        let engine = Engine::new(
            Arc::new(PriceTable::builtin().clone()),
            jiff::tz::TimeZone::UTC,
        );
        Cursor::with_checkpoints(history(), engine, 50)
    }

    /// What the screen would show: the whole snapshot, as text.
    fn seen(c: &Cursor) -> String {
        serde_json::to_string(&c.engine().snapshot(None)).expect("json")
    }

    #[test]
    fn the_state_at_a_time_does_not_depend_on_how_the_cursor_got_there() {
        let target = T0 + 110 * MIN + 7_000;
        let mut straight = cursor();
        straight.seek(target);
        assert_eq!(straight.at(), Some(T0 + 110 * MIN + 5_000), "on the grid");
        let alerts = straight.engine().snapshot(None).alerts;
        assert!(
            alerts
                .iter()
                .any(|a| a.kind == crate::engine::alerts::AlertKind::Burst),
            "the burst in minute 100 is an alert: {alerts:?}"
        );
        // Minute by minute, past it, and back.
        let mut stepped = cursor();
        let mut t = T0 - MIN;
        while t < T0 + 26 * 60 * MIN {
            stepped.seek(t);
            t += 7 * MIN;
        }
        assert!(
            stepped.checkpoints.len() > 5,
            "{}",
            stepped.checkpoints.len()
        );
        stepped.seek(target);
        assert_eq!(seen(&stepped), seen(&straight));
        // And the same again: replay is deterministic.
        let mut again = cursor();
        again.seek(target);
        assert_eq!(seen(&again), seen(&straight));
    }

    #[test]
    fn quiet_days_cost_no_ticks_and_before_the_first_event_nothing_is_read() {
        let mut c = cursor();
        c.seek(T0 - MIN);
        assert_eq!(c.at(), None);
        c.seek(T0 + 27 * 60 * MIN);
        assert_eq!(c.engine().stats().events, 550);
        assert_eq!(c.span(), Some((T0, T0 + 26 * 60 * MIN + 29 * MIN)));
    }
}
