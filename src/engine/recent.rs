//! The last few requests of one identity, for the detail panel: what "it is doing right
//! now" looks like, one line per response.
//!
//! Bounded and lazy: nothing is allocated until the identity's first event, and never more
//! than [`RECENT_EVENTS`] entries of at most [`MAX_TOOLS_LISTED`] tool names each. Entries are
//! kept in event-time order, so a backfill that reads files out of order still keeps the
//! newest requests, and a larger copy of a response updates its entry instead of adding one.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;

use crate::event::Origin;
use crate::event::{DedupKey, Event, Format, Kind, TimeMs, Tokens, ToolCall};
use crate::pricing::UnpricedReason;

/// Requests kept per identity.
pub const RECENT_EVENTS: usize = 32;
/// Distinct tool names listed per request; further calls are only counted.
pub const MAX_TOOLS_LISTED: usize = 8;

/// Calls of one tool in one response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecentTool {
    pub name: String,
    pub calls: u32,
}

/// One response as the detail panel lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecentEvent {
    pub time: TimeMs,
    pub model: Arc<str>,
    pub tokens: Tokens,
    /// `None`: the model has no price (never shown as $0).
    pub cost_usd: Option<f64>,
    /// Where `cost_usd` came from.
    pub cost_source: CostSource,
    pub tools: Vec<RecentTool>,
    /// Calls of tools past [`MAX_TOOLS_LISTED`] distinct names.
    pub tools_unlisted: u32,
    /// Token counts were estimated, not reported.
    pub estimated: bool,
    /// The record carried no time: `time` is when it was read.
    pub time_from_read: bool,
    pub kind: Kind,
    pub format: Format,
    pub latency_ms: Option<u64>,
    /// The line of the copy counted, for the event popup to fetch the raw record from
    /// (process-local, so never serialized).
    #[serde(skip)]
    pub origin: Option<Origin>,
    /// The response's copies share it: what tells this entry apart as it is updated.
    #[serde(skip)]
    pub key: Option<DedupKey>,
}

/// Where a response's cost came from, for the event popup.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostSource {
    /// The record's own cost (or none is due: Claude Code's `<synthetic>` lines).
    Record,
    /// The price table's entry with this key.
    Table(Arc<str>),
    /// The table has no price for the model.
    Unpriced(UnpricedReason),
}

impl RecentEvent {
    /// The entry for one copy of a response, before its tool calls are added.
    pub fn of(
        event: &Event,
        model: Arc<str>,
        cost_usd: Option<f64>,
        cost_source: CostSource,
    ) -> Self {
        RecentEvent {
            time: event.time,
            model,
            tokens: event.tokens,
            cost_usd,
            cost_source,
            tools: Vec::new(),
            tools_unlisted: 0,
            estimated: event.flags.estimated,
            time_from_read: event.flags.time_from_read,
            kind: event.kind,
            format: event.format,
            latency_ms: event.latency_ms,
            origin: event.origin,
            key: event.dedup_key,
        }
    }

    fn add_tools<'t>(&mut self, tools: impl IntoIterator<Item = &'t ToolCall>) {
        for tool in tools {
            if let Some(listed) = self.tools.iter_mut().find(|t| t.name == tool.name) {
                listed.calls += 1;
            } else if self.tools.len() < MAX_TOOLS_LISTED {
                self.tools.push(RecentTool {
                    name: tool.name.clone(),
                    calls: 1,
                });
            } else {
                self.tools_unlisted += 1;
            }
        }
    }

    fn merge_tools(&mut self, older: RecentEvent) {
        self.tools_unlisted += older.tools_unlisted;
        for tool in older.tools {
            if let Some(listed) = self.tools.iter_mut().find(|t| t.name == tool.name) {
                listed.calls += tool.calls;
            } else if self.tools.len() < MAX_TOOLS_LISTED {
                self.tools.push(tool);
            } else {
                self.tools_unlisted += tool.calls;
            }
        }
    }
}

/// The newest [`RECENT_EVENTS`] responses of one identity, oldest first inside.
#[derive(Clone, Debug, Default)]
pub struct RecentEvents {
    entries: VecDeque<RecentEvent>,
}

impl RecentEvents {
    fn position(&self, key: Option<DedupKey>) -> Option<usize> {
        let key = key?;
        self.entries.iter().rposition(|e| e.key == Some(key))
    }

    /// Records a response (the first copy, or a larger one that replaces the counted copy):
    /// a response already listed is updated in place, keeping the tools of earlier copies,
    /// and so are those of `moved`, its entry under another identity.
    pub fn upsert<'t>(
        &mut self,
        key: Option<DedupKey>,
        mut event: RecentEvent,
        tools: impl IntoIterator<Item = &'t ToolCall>,
        moved: Option<RecentEvent>,
    ) {
        event.key = key;
        event.add_tools(tools);
        if let Some(old) = self.position(key).and_then(|i| self.entries.remove(i)) {
            event.merge_tools(old);
        }
        if let Some(old) = moved {
            event.merge_tools(old);
        }
        self.insert(event);
    }

    /// Adds the new tool calls of a copy that did not replace the counted one.
    pub fn add_tools<'t>(
        &mut self,
        key: Option<DedupKey>,
        tools: impl IntoIterator<Item = &'t ToolCall>,
    ) {
        if let Some(i) = self.position(key) {
            self.entries[i].add_tools(tools);
        }
    }

    /// Takes out a response that a larger copy moves to another identity.
    pub fn take(&mut self, key: DedupKey) -> Option<RecentEvent> {
        let i = self.position(Some(key))?;
        self.entries.remove(i)
    }

    fn insert(&mut self, entry: RecentEvent) {
        let time = entry.time;
        if self.entries.len() >= RECENT_EVENTS
            && self.entries.front().is_some_and(|e| time < e.time)
        {
            return;
        }
        if self.entries.capacity() == 0 {
            self.entries.reserve_exact(RECENT_EVENTS + 1);
        }
        let at = self.entries.partition_point(|e| e.time <= time);
        self.entries.insert(at, entry);
        if self.entries.len() > RECENT_EVENTS {
            self.entries.pop_front();
        }
    }

    /// The entries, newest first.
    pub fn newest_first(&self) -> Vec<RecentEvent> {
        self.entries.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceId;
    use crate::event::{Flags, IdentityAttrs, IdentityKind};

    fn event(time: TimeMs, output: u64) -> Event {
        Event {
            time,
            identity: "id".into(),
            identity_kind: IdentityKind::Agent,
            attrs: IdentityAttrs::default(),
            format: Format::Tokentop,
            provider: "p".into(),
            model: "m".into(),
            kind: Kind::Completion,
            tokens: Tokens {
                output,
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

    const UNPRICED: CostSource = CostSource::Unpriced(UnpricedReason::UnknownModel);

    fn tool(name: &str) -> ToolCall {
        ToolCall::new(None, name.into())
    }

    #[test]
    fn nothing_is_allocated_before_the_first_event() {
        let ring = RecentEvents::default();
        assert_eq!(ring.entries.capacity(), 0);
    }

    #[test]
    fn out_of_order_events_keep_the_newest() {
        let mut ring = RecentEvents::default();
        for t in (0..RECENT_EVENTS as i64 + 10).rev() {
            ring.upsert(
                None,
                RecentEvent::of(&event(t, 1), "m".into(), None, UNPRICED),
                [],
                None,
            );
        }
        assert_eq!(ring.entries.len(), RECENT_EVENTS);
        let times: Vec<TimeMs> = ring.newest_first().iter().map(|e| e.time).collect();
        assert_eq!(times[0], RECENT_EVENTS as i64 + 9);
        assert_eq!(times[RECENT_EVENTS - 1], 10);
        assert!(ring.entries.capacity() <= RECENT_EVENTS + 1);
    }

    #[test]
    fn tools_are_counted_by_name_and_capped() {
        let mut ring = RecentEvents::default();
        let many: Vec<ToolCall> = (0..MAX_TOOLS_LISTED + 2)
            .map(|i| tool(&format!("t{i}")))
            .chain([tool("t0")])
            .collect();
        ring.upsert(
            Some(DedupKey(1)),
            RecentEvent::of(&event(5, 1), "m".into(), None, UNPRICED),
            &many,
            None,
        );
        ring.add_tools(Some(DedupKey(1)), &[tool("t1")]);
        let e = &ring.newest_first()[0];
        assert_eq!(e.tools.len(), MAX_TOOLS_LISTED);
        assert_eq!((e.tools[0].calls, e.tools[1].calls), (2, 2));
        assert_eq!(e.tools_unlisted, 2);
    }

    #[test]
    fn a_larger_copy_brings_its_own_line() {
        let mut ring = RecentEvents::default();
        let key = Some(DedupKey(1));
        for (output, offset) in [(3, 0), (400, 100), (5, 200)] {
            let mut copy = event(5, output);
            copy.origin = Some(Origin::new(SourceId(0), offset, b"line"));
            copy.latency_ms = Some(output);
            if output == 5 {
                // A smaller copy after the larger one: not counted, nothing replaced.
                ring.add_tools(key, &copy.tools);
            } else {
                ring.upsert(
                    key,
                    RecentEvent::of(&copy, "m".into(), None, UNPRICED),
                    [],
                    None,
                );
            }
        }
        let e = &ring.newest_first()[0];
        assert_eq!(e.origin.map(|o| o.offset), Some(100));
        assert_eq!((e.tokens.output, e.latency_ms), (400, Some(400)));
        assert_eq!((e.kind, e.format), (Kind::Completion, Format::Tokentop));
    }
}
