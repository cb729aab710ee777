//! Copies of one response read back to back, taken as one.
//!
//! Claude Code writes a response as one line per content block, each with the usage so
//! far: taken one at a time, every later copy takes the earlier one back out of every sum
//! and puts itself in (windows, tallies, histograms, the recent ring). A headless read
//! (`report`, `check`) hands such a run to [`Engine::ingest_run`] instead, which counts
//! once the copy the engine would have kept and notes each copy's activity in order: the
//! same sums, with one count instead of one per copy. Where one at a time could end
//! differently (a copy past the clock, an implausible cost, copies that differ in who,
//! model or pricing, a final copy before the last, a kept copy that is not the latest,
//! tool calls on another copy, counted at that copy's time), the run is taken one copy at
//! a time.

use super::usage::Usage;
use super::{Engine, MAX_IDENTITIES, MAX_SKEW_MS};
use crate::event::{DedupKey, Event};

/// The run being gathered from a stream of events, handed to the engine when it ends.
#[derive(Default)]
pub struct CopyRuns {
    run: Vec<Event>,
}

impl CopyRuns {
    /// Takes the next event read: a copy of the run's response joins it; anything else
    /// ends the run first.
    pub fn push(&mut self, engine: &mut Engine, event: Event) {
        let key = runnable(&event);
        if key.is_some() && key == self.run.first().and_then(|e| e.dedup_key) {
            self.run.push(event);
            return;
        }
        self.flush(engine);
        if key.is_some() {
            self.run.push(event);
        } else {
            engine.ingest(&event);
        }
    }

    /// Hands the run gathered so far to the engine.
    pub fn flush(&mut self, engine: &mut Engine) {
        match self.run.as_slice() {
            [] => {}
            [one] => engine.ingest(one),
            run => engine.ingest_run(run),
        }
        self.run.clear();
    }
}

/// The key of an event that can join a run: a plain copy of a keyed response (no running
/// total to turn into growth, no secrets to note, usage to count).
fn runnable(event: &Event) -> Option<DedupKey> {
    let plain = event.cumulative.is_none() && event.secrets.is_none() && !event.flags.no_usage;
    event.dedup_key.filter(|_| plain)
}

impl Engine {
    /// Counts copies of one response read back to back (same dedup key, in read order)
    /// as [`Engine::ingest`] of each in turn would.
    pub fn ingest_run(&mut self, copies: &[Event]) {
        let Some((kept, merged)) = self.merged(copies) else {
            copies.iter().for_each(|c| self.ingest(c));
            return;
        };
        for (i, copy) in copies.iter().enumerate() {
            if i == kept {
                self.ingest(&merged);
            } else {
                let who = self.identity_index(copy);
                self.note_activity(who, copy);
            }
        }
        let others = copies.len() as u64 - 1;
        self.stats.events += others;
        self.stats.copies_merged += others;
    }

    /// The copy the engine would keep of `copies` (its index) as it counts it, or `None`
    /// when counting it alone could end differently than one at a time.
    fn merged(&mut self, copies: &[Event]) -> Option<(usize, Event)> {
        let first = copies.first()?;
        let alike = |c: &Event| {
            c.identity == first.identity
                && c.identity_kind == first.identity_kind
                && c.model == first.model
                && c.provider == first.provider
                && c.format == first.format
                && c.kind == first.kind
                && c.flags.telemetry == first.flags.telemetry
                && runnable(c) == first.dedup_key
        };
        let last = copies.len() - 1;
        let ahead = |c: &Event| self.now > 0 && c.time > self.now + MAX_SKEW_MS;
        let final_early = copies[..last].iter().any(|c| c.flags.final_copy);
        if final_early || !copies.iter().all(alike) || copies.iter().any(ahead) {
            return None;
        }
        let rule = self.mapping.rule_for(first);
        for copy in &copies[1..] {
            if self.mapping.rule_for(copy) != rule {
                return None;
            }
        }
        // Past the identity cap a new name is folded, and each lookup counts a fold.
        let name = rule
            .and_then(|r| self.mapping.rule(r))
            .and_then(|r| r.name.as_deref())
            .unwrap_or(first.identity.as_str());
        if self.identities.len() >= MAX_IDENTITIES && !self.index.contains_key(name) {
            return None;
        }
        // The engine keeps the first copy of the largest size (telemetry over logs, then
        // tokens, then a main-chain copy over a sidechain one); the cost decides the rest.
        let mut kept = 0;
        let mut kept_rank = None;
        let mut priced = None;
        for (i, copy) in copies.iter().enumerate() {
            let (cost, _) = self.cost(copy);
            if cost.is_some_and(|c| !crate::parse::plausible::cost_is_plausible(c)) {
                return None;
            }
            if *priced.get_or_insert(cost.is_some()) != cost.is_some() {
                return None;
            }
            let rank = (
                copy.flags.telemetry,
                Usage::of(copy, cost).total_tokens(),
                !copy.flags.sidechain,
            );
            if kept_rank.is_none_or(|r| rank > r) {
                (kept, kept_rank) = (i, Some(rank));
            }
        }
        // Its last update is the kept copy's time, and tool calls count at their copy's
        // time: no other copy may be later or carry calls. The recent ring shows the kept
        // copy's latency, the distributions the last copy's.
        let later = copies.iter().any(|c| c.time > copies[kept].time);
        let calls_elsewhere =
            (copies.iter().enumerate()).any(|(i, c)| i != kept && !c.tools.is_empty());
        if later || calls_elsewhere || copies[kept].latency_ms != copies[last].latency_ms {
            return None;
        }
        let mut merged = copies[kept].clone();
        merged.flags.final_copy = copies[last].flags.final_copy;
        Some((kept, merged))
    }
}
