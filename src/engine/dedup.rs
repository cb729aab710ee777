//! Copies of one response: the largest copy is counted, tool calls are the union of the
//! tool ids over every copy, and the distributions get each response once, when final.
//!
//! A Claude Code or Codex tool call is also counted once across responses and sources
//! ([`super::calls`]); the request it belongs to still counts it among its calls in the
//! distributions.
//!
//! Memory stays bounded: the latest [`ACTIVE_RESPONSES`] responses are kept whole; an
//! older one is let go and only its 16-byte fingerprint is kept, for [`RETENTION_MS`], so
//! that a later copy (a resumed session copying lines days old) is still not counted again.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Map;
use super::calls::{Calls, Site, Take};
use super::fingerprints::Fingerprints;

use jiff::civil::Date;

use super::usage::Usage;
use crate::event::{DedupKey, Event, Kind, TimeMs, ToolCall};

/// What dedup holds on to over a long run (shown in the sources view, for a soak's
/// memory line): it grows with the requests of the retention horizon, not the clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Held {
    pub keys: usize,
    pub bytes: usize,
}

/// Where and how a response was counted, so that it can be taken back out.
#[derive(Clone, Debug, PartialEq)]
pub struct Counted {
    pub identity: usize,
    pub time: TimeMs,
    pub day: Date,
    pub model: Arc<str>,
    pub usage: Usage,
    /// Copies of one response are normally one kind of call; the counted copy's is what
    /// is taken back out when a larger one replaces it.
    pub kind: Kind,
}

#[derive(Clone, Debug)]
struct Kept {
    counted: Counted,
    sidechain: bool,
    /// The counted copy is the agent's own telemetry: no log copy replaces it.
    telemetry: bool,
    /// Hashes of the tool-call ids seen on any copy (8 bytes each instead of a string),
    /// and, marked by [`CHARGED`], of the tool names charged the response's cost.
    tool_ids: Vec<u64>,
    last_update: TimeMs,
    in_distributions: bool,
    /// Tool calls over every copy, each call once.
    tool_calls: u32,
    /// When a copy last arrived, in the order of arrivals (see [`Copies::order`]).
    seq: u64,
}

/// Responses kept whole (a few hundred bytes each, ~5 MB): a copy that arrives after this
/// many other responses can no longer replace the counted one (it counts as a smaller copy).
/// Copies of a response are written within seconds, and a resumed session's copies are
/// identical, so this is never reached in practice (the 200,000-response benchmark tree
/// gives the same totals as with every response kept). At 65,536 the monitor following
/// 2,000,000 requests peaked at 190-198 MiB, past the 200 MB goal; at 16,384, 155-157 MiB.
pub const ACTIVE_RESPONSES: usize = 1 << 14;
/// The retention horizon: a response's fingerprint is kept this long (engine time) after
/// it is let go. A copy read later than that counts again.
pub const RETENTION_MS: TimeMs = 7 * 86_400_000;

/// The responses seen are kept in this many maps, chosen by key, so that growing one
/// (which briefly holds the old table and the new, and rehashes every entry) costs a
/// fraction of the memory and time. Shard `i` takes a share of keys proportional to
/// `i + 1`: equal shards would all fill up and rehash within the same few events, one
/// long stall for the live loop instead of sixteen short ones spread out.
const SHARDS: usize = 16;
/// `1 + 2 + ... + SHARDS`: the keys are spread over this many equal slices.
const SLICES: u64 = (SHARDS * (SHARDS + 1) / 2) as u64;

/// The shard owning each slice: shard `i` owns `i + 1` of them.
const SHARD_OF_SLICE: [u8; SLICES as usize] = {
    let mut table = [0; SLICES as usize];
    let (mut slice, mut shard) = (0, 0);
    while shard < SHARDS {
        let mut owned = 0;
        while owned <= shard {
            table[slice] = shard as u8;
            (slice, owned) = (slice + 1, owned + 1);
        }
        shard += 1;
    }
    table
};

/// The shard of a key: by its slice, the key modulo [`SLICES`], worked out from its two
/// halves in 64-bit arithmetic (a 128-bit division is a slow library call, and this runs
/// several times per event).
fn shard_of(key: DedupKey) -> usize {
    let (high, low) = ((key.0 >> 64) as u64, key.0 as u64);
    let two_to_64 = (u64::MAX % SLICES + 1) % SLICES;
    let slice = ((high % SLICES) * two_to_64 + low % SLICES) % SLICES;
    usize::from(SHARD_OF_SLICE[slice as usize])
}

/// Sets apart a charged tool name's hash from the call ids' in `tool_ids` (one vector for
/// both: no extra memory per response).
const CHARGED: u64 = 0x9e37_79b9_7f4a_7c15;

fn tool_id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    static SEED: std::sync::LazyLock<foldhash::fast::RandomState> =
        std::sync::LazyLock::new(foldhash::fast::RandomState::default);
    SEED.hash_one(id)
}

/// Whether a copy is counted.
#[derive(Debug, PartialEq)]
pub enum Decision {
    /// The first copy of its response (or an event with no dedup key): count it.
    New,
    /// Larger than the copy counted so far: take that one out, count this one.
    Replaces(Counted),
    /// Not larger than what is already counted.
    Smaller,
    /// A response counted earlier and let go: only its fingerprint is left, so neither the
    /// copy nor its tool calls count.
    Seen,
}

/// Everything one copy changes, decided at once by [`Copies::take`]; the engine applies it.
#[derive(Debug)]
pub struct Verdict<'e> {
    pub decision: Decision,
    /// A larger copy changed the response's cost: the tools charged it earlier follow.
    pub recharge: Option<Recharge>,
    /// The tool calls of this copy new to its response (and not counted by another copy
    /// of the call first, unless it moves here).
    pub tools: Vec<ToolCharge<'e>>,
    /// Calls counted from a log copy under another identity that this telemetry copy
    /// counts instead: take them out of where they were.
    pub moved: Vec<Site>,
    /// The response this copy completes, if it goes into the distributions now: events
    /// without a key at once, keyed ones on their final copy (else later, by `settle`).
    pub finished: Option<Done>,
}

/// A tool call new to its response, and the response's cost if the tool is charged it now
/// (once per response, however many calls and copies name the tool; `None` if unpriced).
#[derive(Debug)]
pub struct ToolCharge<'e> {
    pub call: &'e ToolCall,
    pub share: Option<f64>,
}

/// The change in a response's cost, for the tools it was charged to before this copy (on
/// the identity that counts it; a copy that moved identity leaves them be).
#[derive(Debug)]
pub struct Recharge {
    pub diff: f64,
    /// The response's `tool_ids` before this copy, charged tool names marked.
    marks: Vec<u64>,
}

impl Recharge {
    /// Whether tool `name` was charged the response's cost before this copy.
    pub fn charged(&self, name: &str) -> bool {
        self.marks.contains(&(tool_id_hash(name) ^ CHARGED))
    }
}

/// A response ready for the distributions.
#[derive(Debug)]
pub struct Done {
    pub identity: usize,
    /// When its counted copy was stamped.
    pub time: TimeMs,
    pub usage: Usage,
    pub tool_calls: u32,
}

impl Done {
    fn of(kept: &Kept) -> Self {
        Done {
            identity: kept.counted.identity,
            time: kept.counted.time,
            usage: kept.counted.usage,
            tool_calls: kept.tool_calls,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Copies {
    kept: [Map<DedupKey, Kept>; SHARDS],
    /// Keys whose response has no final copy yet, in arrival order.
    pending: VecDeque<(TimeMs, DedupKey)>,
    /// Keys in the order their copies arrived, with the arrival's number: the oldest
    /// whose number is still its entry's `seq` is let go first.
    order: VecDeque<(u64, DedupKey)>,
    next_seq: u64,
    /// Responses let go.
    fingerprints: Fingerprints,
    /// Claude Code and Codex tool calls counted, by call id.
    calls: Calls,
}

impl Copies {
    fn shard(&mut self, key: DedupKey) -> &mut Map<DedupKey, Kept> {
        &mut self.kept[shard_of(key)]
    }

    /// Takes in one copy of a response (or an event with no dedup key) at engine time
    /// `now` and says what it changes: counted or not, its new tool calls and their
    /// charges, and whether it completes its response.
    pub fn take<'e>(
        &mut self,
        event: &'e Event,
        model: &Arc<str>,
        (who, day): (usize, Date),
        usage: &Usage,
        now: TimeMs,
    ) -> Verdict<'e> {
        let decision = self.offer(event, model, who, day, usage);
        let recharge = match (&decision, event.dedup_key) {
            (Decision::Replaces(old), Some(key)) => self.recharge(key, old, who, usage),
            _ => None,
        };
        let (tools, moved, called) = match decision {
            Decision::Seen => (Vec::new(), Vec::new(), 0),
            _ => self.charge_tools(event, usage, (model, who, day), now),
        };
        let finished = self.finished(event, who, usage, called);
        Verdict {
            decision,
            recharge,
            tools,
            moved,
            finished,
        }
    }

    fn offer(
        &mut self,
        event: &Event,
        model: &Arc<str>,
        who: usize,
        day: Date,
        usage: &Usage,
    ) -> Decision {
        let Some(key) = event.dedup_key else {
            return Decision::New;
        };
        let counted = Counted {
            identity: who,
            time: event.time,
            day,
            model: model.clone(),
            usage: *usage,
            kind: event.kind,
        };
        let (sidechain, telemetry) = (event.flags.sidechain, event.flags.telemetry);
        let seq = self.next_seq;
        self.next_seq += 1;
        let shard = &mut self.kept[shard_of(key)];
        let Some(kept) = shard.get_mut(&key) else {
            if self.fingerprints.contains(key) {
                return Decision::Seen;
            }
            self.order.push_back((seq, key));
            shard.insert(
                key,
                Kept {
                    counted,
                    sidechain,
                    telemetry,
                    tool_ids: Vec::new(),
                    last_update: event.time,
                    in_distributions: false,
                    tool_calls: 0,
                    seq,
                },
            );
            return Decision::New;
        };
        kept.last_update = kept.last_update.max(event.time);
        kept.seq = seq;
        self.order.push_back((seq, key));
        let (new, old) = (usage.total_tokens(), kept.counted.usage.total_tokens());
        // Telemetry's final counts win over a log's copy, whatever the sizes; between
        // copies of one kind the larger is counted.
        let wins = match (telemetry, kept.telemetry) {
            (true, false) => true,
            (false, true) => false,
            _ => new > old || (new == old && kept.sidechain && !sidechain),
        };
        if !wins {
            return Decision::Smaller;
        }
        (kept.sidechain, kept.telemetry) = (sidechain, telemetry);
        Decision::Replaces(std::mem::replace(&mut kept.counted, counted))
    }

    /// How the cost change from `old` to `usage` reaches the tools charged the response
    /// before: only when both are priced, on the same identity, and the cost moved.
    fn recharge(
        &self,
        key: DedupKey,
        old: &Counted,
        who: usize,
        usage: &Usage,
    ) -> Option<Recharge> {
        let priced = old.usage.unpriced_requests == 0 && usage.unpriced_requests == 0;
        let diff = usage.cost_usd - old.usage.cost_usd;
        if old.identity != who || !priced || diff == 0.0 {
            return None;
        }
        let marks = self.kept[shard_of(key)].get(&key)?.tool_ids.clone();
        Some(Recharge { diff, marks })
    }

    /// This copy's new tool calls not counted elsewhere first, each with the cost it
    /// charges its tool: the response's as counted now (for a smaller copy, the counted
    /// one's), to a tool not charged it yet, or for a call moving here, what it charged
    /// where it was; the calls moving here; and how many calls are new to its response.
    fn charge_tools<'e>(
        &mut self,
        event: &'e Event,
        usage: &Usage,
        (model, who, day): (&Arc<str>, usize, Date),
        now: TimeMs,
    ) -> (Vec<ToolCharge<'e>>, Vec<Site>, usize) {
        let fresh = self.new_tools(event);
        let called = fresh.len();
        let mut moved = Vec::new();
        let at = now.max(event.time);
        let kept = &self.kept;
        let whole = |key: DedupKey| kept[shard_of(key)].contains_key(&key);
        // Each call with its cross-response key, and if it moves here, what it charged.
        let mut counting = Vec::with_capacity(fresh.len());
        for call in fresh {
            let key = Calls::key(event, call);
            let Some(k) = key else {
                counting.push((call, None, None));
                continue;
            };
            match self.calls.take(k, event.flags.telemetry, who, at, whole) {
                Take::Count => counting.push((call, key, None)),
                Take::Counted => {}
                Take::Moves(site) => {
                    counting.push((call, key, Some(site.share)));
                    moved.push(site);
                }
            }
        }
        let counted = match event.dedup_key.and_then(|k| self.kept[shard_of(k)].get(&k)) {
            Some(kept) => kept.counted.usage,
            None => *usage,
        };
        let cost = (counted.unpriced_requests == 0).then_some(counted.cost_usd);
        let mut charges = Vec::with_capacity(counting.len());
        for (i, &(call, key, moved_share)) in counting.iter().enumerate() {
            let first = match event.dedup_key {
                Some(key) => self.first_charge(key, &call.name),
                None => !counting[..i].iter().any(|t| t.0.name == call.name),
            };
            let share = moved_share.unwrap_or_else(|| cost.filter(|_| first));
            charges.push(ToolCharge { call, share });
            // A log's call can still move to the telemetry's identity.
            if let (false, Some(response), Some(key)) =
                (event.flags.telemetry, event.dedup_key, key)
            {
                self.calls.counted_at(Site {
                    key,
                    identity: who,
                    time: event.time,
                    day,
                    model: model.clone(),
                    name: call.name.clone(),
                    mcp_server: call.mcp_server.clone(),
                    response,
                    share,
                });
            }
        }
        (charges, moved, called)
    }

    /// Whether tool `name` is charged the cost of response `key` for the first time (it
    /// is charged once, however many calls and copies name it).
    fn first_charge(&mut self, key: DedupKey, name: &str) -> bool {
        let Some(kept) = self.shard(key).get_mut(&key) else {
            return true;
        };
        let mark = tool_id_hash(name) ^ CHARGED;
        if kept.tool_ids.contains(&mark) {
            return false;
        }
        kept.tool_ids.push(mark);
        true
    }

    /// The tool calls of this copy not seen on an earlier copy of the same response.
    fn new_tools<'e>(&mut self, event: &'e Event) -> Vec<&'e ToolCall> {
        let kept = event.dedup_key.and_then(|k| self.shard(k).get_mut(&k));
        let Some(kept) = kept else {
            return event.tools.iter().collect();
        };
        let mut fresh = Vec::new();
        for tool in &event.tools {
            match tool.id.as_deref().map(tool_id_hash) {
                Some(id) if kept.tool_ids.contains(&id) => {}
                Some(id) => {
                    kept.tool_ids.push(id);
                    fresh.push(tool);
                }
                None => fresh.push(tool),
            }
        }
        fresh
    }

    /// The response this event completes, if it goes into the distributions now; this
    /// copy brought `new_tools` tool calls its response had not had. A tool event is no
    /// request: it never goes into the per-request distributions.
    fn finished(
        &mut self,
        event: &Event,
        who: usize,
        usage: &Usage,
        new_tools: usize,
    ) -> Option<Done> {
        let new_tools = u32::try_from(new_tools).unwrap_or(u32::MAX);
        let request = event.kind != Kind::Tool;
        let Some(key) = event.dedup_key else {
            return request.then_some(Done {
                identity: who,
                time: event.time,
                usage: *usage,
                tool_calls: new_tools,
            });
        };
        let kept = self.shard(key).get_mut(&key)?;
        kept.tool_calls = kept.tool_calls.saturating_add(new_tools);
        if kept.in_distributions || !request {
            kept.in_distributions = true;
            return None;
        }
        if event.flags.final_copy {
            kept.in_distributions = true;
            return Some(Done::of(kept));
        }
        self.pending.push_back((event.time, key));
        None
    }

    /// Responses with no copy newer than `cutoff` that never got a final copy.
    pub fn settle(&mut self, cutoff: TimeMs) -> Vec<Done> {
        let mut done = Vec::new();
        while let Some((time, _)) = self.pending.front() {
            if *time > cutoff {
                break;
            }
            let Some((_, key)) = self.pending.pop_front() else {
                break;
            };
            if let Some(kept) = self.shard(key).get_mut(&key)
                && !kept.in_distributions
                && kept.last_update <= cutoff
            {
                kept.in_distributions = true;
                done.push(Done::of(kept));
            }
        }
        done
    }
}

impl Copies {
    /// Lets go of the oldest responses past [`ACTIVE_RESPONSES`], at engine time `now`,
    /// telling `gone` each key; returns those that had not gone into the distributions yet.
    pub fn let_go(&mut self, now: TimeMs, mut gone: impl FnMut(DedupKey)) -> Vec<Done> {
        let mut done = Vec::new();
        while self.whole() > ACTIVE_RESPONSES {
            let Some((seq, key)) = self.order.pop_front() else {
                break;
            };
            let shard = self.shard(key);
            if shard.get(&key).is_none_or(|k| k.seq != seq) {
                continue; // a later copy arrived: its own entry comes later
            }
            let Some(kept) = shard.remove(&key) else {
                continue;
            };
            gone(key);
            if !kept.in_distributions {
                done.push(Done::of(&kept));
            }
            self.fingerprints.insert(key, now);
        }
        // Copies of responses still kept add entries without letting any go: drop the
        // outdated ones before they outnumber the responses.
        if self.order.len() > 4 * ACTIVE_RESPONSES {
            let kept = &self.kept;
            self.order
                .retain(|&(seq, key)| kept[shard_of(key)].get(&key).is_some_and(|k| k.seq == seq));
        }
        done
    }

    /// Forgets the fingerprints (of responses and of tool calls) older than the
    /// retention horizon at `now`.
    pub fn expire(&mut self, now: TimeMs) {
        self.fingerprints.expire(now.saturating_sub(RETENTION_MS));
        self.calls.expire(now.saturating_sub(RETENTION_MS));
    }

    /// Claude Code and Codex tool calls remembered by id: 16 bytes each.
    pub fn call_ids(&self) -> usize {
        self.calls.len()
    }

    /// Responses kept whole, at most [`ACTIVE_RESPONSES`].
    pub fn whole(&self) -> usize {
        self.kept.iter().map(|s| s.len()).sum()
    }

    /// Responses let go within the retention horizon: 16 bytes each.
    pub fn fingerprints(&self) -> usize {
        self.fingerprints.len()
    }

    /// The keys that count responses and tool calls once, and the heap they hold.
    pub fn held(&self) -> Held {
        Held {
            keys: self.fingerprints.len() + self.calls.len(),
            bytes: self.fingerprints.bytes() + self.calls.bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shard is the one the plain definition gives: slice = key mod [`SLICES`] in
    /// 128 bits, shard `i` owning the `i + 1` slices after shard `i - 1`'s.
    #[test]
    fn a_key_goes_to_the_shard_its_slice_names() {
        let plain = |key: u128| {
            let slice = (key % u128::from(SLICES)) as usize;
            let mut end = 0;
            (0..SHARDS).find(|i| {
                end += i + 1;
                slice < end
            })
        };
        let mut key = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834_u128;
        for n in 0..100_000u128 {
            key = key.rotate_left(17) ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d);
            for k in [key, n, u128::MAX - n, n << 64] {
                assert_eq!(Some(shard_of(DedupKey(k))), plain(k), "{k:#x}");
            }
        }
    }

    #[test]
    fn shards_take_growing_shares_of_the_keys() {
        let mut counts = [0usize; SHARDS];
        for n in 0..SLICES {
            counts[shard_of(DedupKey(n.into()))] += 1;
        }
        let want: Vec<usize> = (1..=SHARDS).collect();
        assert_eq!(counts.to_vec(), want);
    }
}
