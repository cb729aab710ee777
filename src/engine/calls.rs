//! Claude Code and Codex tool calls by call id, across responses and sources: the call
//! `toolu_X` of a transcript's response and the agent's OTel `tool_result` with
//! `tool_use_id = toolu_X` (Codex: `call_id`) are one call, counted once, by whichever
//! copy arrives first. A call counted from a log copy first moves to the telemetry's
//! identity when the telemetry's copy arrives, as its request does.
//!
//! Other formats' ids are only unique within their response (some servers number calls
//! `call_0`, `call_1`, ... in every response): they are counted per response only.
//!
//! Memory stays bounded: every call counted is remembered as a 16-byte fingerprint for the
//! retention horizon; only the latest [`MOVABLE_CALLS`] counted from a log copy are kept
//! whole, so that telemetry arriving later can move them (an older one stays where it was
//! counted, and its telemetry copy still does not count it again).

use std::sync::Arc;

use jiff::civil::Date;

use super::Map;
use super::fingerprints::Fingerprints;
use crate::event::{DedupKey, Event, Format, TimeMs, ToolCall};

/// Calls counted from a log copy kept whole (about 150 bytes each, ~2.5 MB), so that the
/// telemetry of the same call can move them: live, it arrives within seconds.
pub const MOVABLE_CALLS: usize = 1 << 14;

/// Where a call counted from a log copy was counted, to take it back out from there.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    /// The call's key ([`Calls::key`]).
    pub key: DedupKey,
    pub identity: usize,
    pub time: TimeMs,
    pub day: Date,
    pub model: Arc<str>,
    /// The tool as that copy named it (a transcript names an MCP tool `mcp__server__tool`,
    /// the telemetry by its own name and server).
    pub name: String,
    pub mcp_server: Option<String>,
    /// The response it was counted with.
    pub response: DedupKey,
    /// The response's cost charged to its tool with it.
    pub share: Option<f64>,
}

/// What a call with a cross-response id does.
#[derive(Debug, PartialEq)]
pub enum Take {
    /// First seen: it counts.
    Count,
    /// Counted already, and stays where it is.
    Counted,
    /// Counted from a log copy under another identity: the telemetry's copy counts it
    /// and it is taken out of there.
    Moves(Site),
}

#[derive(Clone, Debug, Default)]
pub struct Calls {
    seen: Fingerprints,
    /// The latest sites counted from a log copy, a ring of [`MOVABLE_CALLS`] slots (the
    /// oldest is overwritten): whole sites never move in memory, and the index below
    /// stays small (24 bytes an entry), so keeping it up to date costs little.
    sites: Vec<Site>,
    /// The slot the next site goes in.
    next: usize,
    /// The slot of each site that can still move.
    movable: Map<DedupKey, u32>,
}

impl Calls {
    /// The key of `call` if it counts once across responses: a Claude Code or Codex call
    /// with an id.
    pub fn key(event: &Event, call: &ToolCall) -> Option<DedupKey> {
        match (event.format, &call.id) {
            (Format::ClaudeCode | Format::Codex, Some(id)) => Some(DedupKey::of(&["tool:", id])),
            _ => None,
        }
    }

    /// Takes in a copy of the call `key` under identity `who`, from the agent's telemetry
    /// or not; `kept` says whether a response is still kept whole (a call moves only while
    /// the response it was counted with can still change in the reports' sums).
    /// Remembered from `at`.
    pub fn take(
        &mut self,
        key: DedupKey,
        telemetry: bool,
        who: usize,
        at: TimeMs,
        kept: impl Fn(DedupKey) -> bool,
    ) -> Take {
        if !self.seen.contains(key) {
            self.seen.insert(key, at);
            return Take::Count;
        }
        let moves = telemetry
            && self
                .movable
                .get(&key)
                .map(|&slot| &self.sites[slot as usize])
                .is_some_and(|site| site.identity != who && kept(site.response));
        match moves.then(|| self.movable.remove(&key)).flatten() {
            Some(slot) => Take::Moves(self.sites[slot as usize].clone()),
            None => Take::Counted,
        }
    }

    /// A call just counted from a log copy at `site`: telemetry may move it.
    pub fn counted_at(&mut self, site: Site) {
        let (key, slot) = (site.key, self.next);
        if slot < self.sites.len() {
            let old = std::mem::replace(&mut self.sites[slot], site);
            if self.movable.get(&old.key) == Some(&(slot as u32)) {
                self.movable.remove(&old.key);
            }
        } else {
            self.sites.push(site);
        }
        self.movable.insert(key, slot as u32);
        self.next = (slot + 1) % MOVABLE_CALLS;
    }

    /// Forgets the calls counted before `cutoff`.
    pub fn expire(&mut self, cutoff: TimeMs) {
        self.seen.expire(cutoff);
    }

    /// Calls remembered by id: 16 bytes each.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// The heap the remembered ids hold.
    pub fn bytes(&self) -> usize {
        self.seen.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(n: usize) -> Site {
        Site {
            key: DedupKey(n as u128),
            identity: 0,
            time: 0,
            day: Date::constant(2026, 8, 1),
            model: Arc::from("m"),
            name: "Bash".into(),
            mcp_server: None,
            response: DedupKey(u128::MAX),
            share: None,
        }
    }

    /// Past the bound the oldest log call can no longer move, but is still counted once.
    #[test]
    fn only_the_latest_log_calls_can_move_and_none_counts_twice() {
        let mut calls = Calls::default();
        for n in 0..=MOVABLE_CALLS {
            let key = DedupKey(n as u128);
            assert_eq!(calls.take(key, false, 0, 0, |_| true), Take::Count);
            calls.counted_at(site(n));
        }
        let (oldest, latest) = (DedupKey(0), DedupKey(MOVABLE_CALLS as u128));
        assert_eq!(calls.take(oldest, true, 1, 0, |_| true), Take::Counted);
        assert_eq!(calls.take(latest, false, 1, 0, |_| true), Take::Counted);
        assert_eq!(calls.take(latest, true, 0, 0, |_| true), Take::Counted);
        assert_eq!(calls.take(latest, true, 1, 0, |_| false), Take::Counted);
        let moved = calls.take(latest, true, 1, 0, |_| true);
        assert_eq!(moved, Take::Moves(site(MOVABLE_CALLS)));
        assert_eq!(calls.take(latest, true, 2, 0, |_| true), Take::Counted);
        assert_eq!(calls.len(), MOVABLE_CALLS + 1);
    }
}
