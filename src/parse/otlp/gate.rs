//! Metric points wait before they count. An agent that sends events (Claude Code's
//! `api_request` logs, GenAI spans) sends the same usage again in its metrics, so a
//! session's points are held for one export interval and dropped if an event of that
//! session arrives: the events (one per request, with request ids) count. A session whose
//! points were counted stays counted from metrics: the usage of its later events is
//! dropped instead, so that a session never counts twice.
//!
//! A point with no session id (`OTEL_METRICS_INCLUDE_SESSION_ID=false`, most GenAI
//! instrumentations) is matched by its source instead: the identity and the resource's
//! service, instance and host.

use std::collections::{HashMap, VecDeque};

use super::value::{Value, text};
use crate::event::{Event, TimeMs};

/// Past this many held points, metric exports are refused (answered 503) until some are
/// released.
pub const MAX_PENDING: usize = 65_536;
/// Sessions and sources are forgotten this long after they were last seen.
const KEY_HORIZON_MS: TimeMs = 86_400_000;
/// At most this many sessions and sources are remembered on each side; past it the
/// idlest half is forgotten (a sender inventing a session per record cannot grow them).
const MAX_KEYS: usize = 1 << 18;
/// Forgotten keys are looked for at most this often.
const PRUNE_EVERY_MS: TimeMs = 60_000;

/// What matches a point with events: its session, else its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateKey {
    session: Option<String>,
    source: String,
}

impl GateKey {
    /// The key of `event`, sent under `resource`.
    pub fn of(event: &Event, resource: &[(String, Value)]) -> GateKey {
        let part = |k| text(resource, k).unwrap_or("");
        GateKey {
            session: event.attrs.session.as_ref().map(|s| format!("s:{s}")),
            source: format!(
                "r:{}|{}|{}|{}",
                event.identity,
                part("service.name"),
                part("service.instance.id"),
                part("host.name")
            ),
        }
    }

    /// What a point is matched by: its session when it has one.
    fn primary(&self) -> &str {
        self.session.as_deref().unwrap_or(&self.source)
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        self.session.as_deref().into_iter().chain([&*self.source])
    }
}

/// The event of an export's points (those that differ only in their token type), and
/// what matches it with events.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub key: GateKey,
    pub event: Event,
    /// The data points it stands for: what source health counts.
    pub points: u64,
}

/// What became of a point given to [`MetricGate::hold`].
#[derive(Debug, PartialEq)]
pub enum Hold {
    /// Held until its wait ends.
    Waiting,
    /// Its session sends events: they count instead.
    Dropped,
    /// Its session is counted from metrics: it counts now.
    Now(Box<Held>),
}

/// The points waiting, and which sessions count from events or from metrics.
#[derive(Debug)]
pub struct MetricGate {
    wait_ms: TimeMs,
    pending: VecDeque<(TimeMs, Held)>,
    /// Keys of events, with when one last came.
    sending: HashMap<String, TimeMs>,
    /// Primary keys of points that counted, with when one last did.
    counted: HashMap<String, TimeMs>,
    /// How many held points each primary key has: an event of a session with none held
    /// costs no pass over the held points.
    held_keys: HashMap<String, usize>,
    pruned_at: TimeMs,
    dropped: u64,
}

impl MetricGate {
    /// A gate holding points `wait_ms` (the senders' metric export interval).
    pub fn new(wait_ms: TimeMs) -> Self {
        MetricGate {
            wait_ms,
            pending: VecDeque::new(),
            sending: HashMap::new(),
            counted: HashMap::new(),
            held_keys: HashMap::new(),
            pruned_at: TimeMs::MIN,
            dropped: 0,
        }
    }

    fn held(&mut self, held: Held, arrived: TimeMs, front: bool) {
        *self
            .held_keys
            .entry(held.key.primary().to_string())
            .or_default() += 1;
        if front {
            self.pending.push_front((arrived, held));
        } else {
            self.pending.push_back((arrived, held));
        }
    }

    fn unheld(&mut self, key: &str) {
        if let Some(n) = self.held_keys.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                self.held_keys.remove(key);
            }
        }
    }

    /// An event under `key` arrived at `now`. Returns whether its usage counts: not when
    /// its session or source is counted from metrics. Held points of its session drop.
    pub fn event(&mut self, key: &GateKey, now: TimeMs) -> bool {
        if key.all().any(|k| self.counted.contains_key(k)) {
            return false;
        }
        let mut held = false;
        for k in key.all() {
            if self.sending.insert(k.to_string(), now).is_none() {
                held |= self.held_keys.contains_key(k);
            }
        }
        if self.sending.len() > MAX_KEYS {
            forget_half(&mut self.sending);
        }
        if held {
            let sending = &self.sending;
            let mut dropped = 0;
            self.pending.retain(|(_, held)| {
                let keep = !sending.contains_key(held.key.primary());
                if !keep {
                    dropped += held.points;
                }
                keep
            });
            self.dropped += dropped;
            let pending = &self.pending;
            self.held_keys = HashMap::new();
            for (_, h) in pending {
                *self
                    .held_keys
                    .entry(h.key.primary().to_string())
                    .or_default() += 1;
            }
        }
        true
    }

    /// A point's event arrived at `now`.
    pub fn hold(&mut self, held: Held, now: TimeMs) -> Hold {
        let key = held.key.primary();
        if self.sending.contains_key(key) {
            self.dropped += held.points;
            return Hold::Dropped;
        }
        if let Some(seen) = self.counted.get_mut(key) {
            *seen = now;
            return Hold::Now(Box::new(held));
        }
        self.held(held, now, false);
        Hold::Waiting
    }

    /// The points whose wait ended by `now`: their sessions count from metrics from now on.
    pub fn release(&mut self, now: TimeMs) -> Vec<Held> {
        let mut due = Vec::new();
        while let Some((arrived, _)) = self.pending.front() {
            if arrived.saturating_add(self.wait_ms) > now {
                break;
            }
            if let Some((_, held)) = self.pending.pop_front() {
                self.unheld(held.key.primary());
                self.counted.insert(held.key.primary().to_string(), now);
                due.push(held);
            }
        }
        if self.counted.len() > MAX_KEYS {
            forget_half(&mut self.counted);
        }
        if now.saturating_sub(self.pruned_at) >= PRUNE_EVERY_MS {
            self.pruned_at = now;
            let horizon = now - KEY_HORIZON_MS;
            self.sending.retain(|_, seen| *seen >= horizon);
            self.counted.retain(|_, seen| *seen >= horizon);
        }
        due
    }

    /// Released points that could not be sent on: the first to go next time.
    pub fn put_back(&mut self, held: Vec<Held>) {
        for h in held.into_iter().rev() {
            self.held(h, TimeMs::MIN, true);
        }
    }

    /// Whether so many points are held that another export must wait.
    pub fn is_full(&self) -> bool {
        self.pending.len() >= MAX_PENDING
    }

    /// Data points dropped since the last call, their session sending events.
    pub fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }
}

/// Forgets the idlest half of `keys`, however many share a time.
fn forget_half(keys: &mut HashMap<String, TimeMs>) {
    let mut by_age: Vec<(TimeMs, String)> = keys.iter().map(|(k, t)| (*t, k.clone())).collect();
    let half = by_age.len() / 2;
    by_age.select_nth_unstable(half);
    for (_, key) in &by_age[..half] {
        keys.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, Format, IdentityAttrs, IdentityKind, Kind, Tokens};

    const WAIT: TimeMs = 60_000;

    fn event(identity: &str, session: Option<&str>, input: u64) -> Event {
        Event {
            time: 0,
            identity: identity.into(),
            identity_kind: IdentityKind::Human,
            attrs: IdentityAttrs {
                session: session.map(String::from),
                ..IdentityAttrs::default()
            },
            format: Format::ClaudeCode,
            provider: "anthropic".into(),
            model: "claude-sonnet-4-5".into(),
            kind: Kind::Completion,
            tokens: Tokens {
                input,
                ..Tokens::default()
            },
            tools: Vec::new(),
            dedup_key: None,
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            flags: Default::default(),
            origin: None,
            line: None,
            secrets: None,
        }
    }

    fn held(identity: &str, session: Option<&str>, input: u64) -> Held {
        let event = event(identity, session, input);
        let resource = [("service.name".to_string(), Value::Str("claude-code".into()))];
        Held {
            key: GateKey::of(&event, &resource),
            event,
            points: 1,
        }
    }

    fn inputs(held: &[Held]) -> Vec<u64> {
        held.iter().map(|h| h.event.tokens.input).collect()
    }

    #[test]
    fn points_wait_one_interval_and_drop_when_their_session_sends_events() {
        let mut gate = MetricGate::new(WAIT);
        assert_eq!(gate.hold(held("ada", Some("s-1"), 10), 0), Hold::Waiting);
        assert_eq!(
            gate.hold(held("bob", Some("s-2"), 20), 1_000),
            Hold::Waiting
        );
        assert!(
            gate.release(WAIT - 1).is_empty(),
            "nothing before its wait ends"
        );
        // Ada's session sends an event: its point drops, and so do its later ones.
        assert!(gate.event(&held("ada", Some("s-1"), 0).key, 30_000));
        assert_eq!(
            gate.hold(held("ada", Some("s-1"), 11), 31_000),
            Hold::Dropped
        );
        assert_eq!(gate.take_dropped(), 2);
        assert_eq!(inputs(&gate.release(WAIT + 1_000)), [20]);
        // Bob's session is counted from metrics from now on: points at once, events not.
        assert!(matches!(
            gate.hold(held("bob", Some("s-2"), 21), 62_000),
            Hold::Now(h) if h.event.tokens.input == 21
        ));
        assert!(!gate.event(&held("bob", Some("s-2"), 0).key, 63_000));
        assert_eq!(gate.take_dropped(), 0);
    }

    #[test]
    fn points_without_a_session_are_matched_by_their_source() {
        let mut gate = MetricGate::new(WAIT);
        assert_eq!(gate.hold(held("svc", None, 5), 0), Hold::Waiting);
        assert_eq!(gate.hold(held("other", None, 6), 0), Hold::Waiting);
        // A span of the same service and identity, in a session: the source sends events.
        assert!(gate.event(&held("svc", Some("conv-9"), 0).key, 1_000));
        assert_eq!(
            inputs(&gate.release(WAIT)),
            [6],
            "only the other source counts"
        );
    }

    #[test]
    fn a_session_per_record_cannot_grow_the_gate_without_bound() {
        let mut gate = MetricGate::new(WAIT);
        for n in 0..MAX_KEYS + 1_000 {
            gate.event(&held("ada", Some(&format!("s-{n}")), 0).key, n as TimeMs);
        }
        assert!(gate.sending.len() <= MAX_KEYS, "{}", gate.sending.len());
        // The newest are kept: a point of the last session still drops.
        let last = format!("s-{}", MAX_KEYS + 999);
        assert_eq!(gate.hold(held("ada", Some(&last), 1), 0), Hold::Dropped);
    }

    #[test]
    fn points_that_could_not_be_sent_go_first_next_time() {
        let mut gate = MetricGate::new(0);
        gate.hold(held("ada", Some("s-1"), 1), 0);
        gate.hold(held("ada", Some("s-1"), 2), 0);
        let due = gate.release(0);
        assert_eq!(inputs(&due), [1, 2]);
        gate.put_back(due);
        assert_eq!(inputs(&gate.release(5)), [1, 2]);
        assert!(!gate.is_full());
    }
}
