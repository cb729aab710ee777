//! GitHub Copilot CLI session events (`~/.copilot/session-state/<session>/events.jsonl`),
//! lines `{"type", "id", "timestamp", "data"}`. Usage is written only at
//! `session.shutdown`, per model: `data.modelMetrics.<model>.usage` (`inputTokens`, which
//! includes both cache buckets, `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`,
//! `reasoningTokens`). Each model's usage of a shutdown is one event at the shutdown's
//! time, marked as the sum of many calls ([`Flags::aggregate`]).
//!
//! A resumed session appends another shutdown, and each covers its own segment (the
//! reference's sources: agentsview sums them, and Copilot's resume sequence is `shutdown,
//! resume, ..., shutdown`): each shutdown counts in full. Each is keyed by the session,
//! its own `id` and the model, so a copy of the file counts nothing again, and a later,
//! larger copy of the same shutdown replaces the earlier.
//!
//! The OpenTelemetry export, when it was on, holds the same usage per call, and is counted
//! from there: a segment (from its `session.start` or `session.resume`, else the previous
//! shutdown, to its shutdown) in whose time the export holds usage of the session
//! ([`FileFacts::exported`]) is not counted from its shutdown. This is decided per
//! segment, since the export is switched on per run. The export is written in batches,
//! the last one as the process exits, after its shutdown line: a segment counted while
//! the export showed none of it is remembered, and taken out ([`LineParser::recheck`],
//! with a copy that carries nothing, as sums are in `copilot_otel`) once the source finds
//! its usage in the export.
//!
//! [`FileFacts::exported`]: super::FileFacts::exported

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;

use super::copilot_otel::{LABEL, nothing_under};
use super::{LineContext, LineParser, Parsed, Records, RejectReason, plausible, reason_of};
use crate::event::{
    DedupKey, Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens,
    agent_identity,
};
use crate::timefmt::parse_rfc3339_ms;

/// Models read from one shutdown: a bound on what a hostile line can make.
const MAX_MODELS: usize = 64;
/// Counted segments remembered per file until the export shows them (the oldest go).
const MAX_PENDING: usize = 16;
/// How long after its shutdown a counted segment may still show up in the export: its
/// last batch is written as Copilot exits, seconds after the shutdown line. A segment read
/// later than that (a backfill of old sessions) is not remembered at all.
const PENDING_FOR: TimeMs = 10 * 60_000;

/// The session so far: its id and folder from `session.start`, how many shutdowns, when
/// the segment being read began, and the segments counted that the export may still show.
#[derive(Debug, Default)]
pub(super) struct State {
    session: Option<String>,
    cwd: Option<String>,
    shutdowns: u64,
    segment_start: Option<TimeMs>,
    pending: VecDeque<Segment>,
}

/// A segment counted from its shutdown: its time and the events counted.
#[derive(Debug)]
struct Segment {
    start: Option<TimeMs>,
    end: TimeMs,
    events: Vec<Event>,
}

/// Whether `exported` (sorted) holds a time in the segment from `start` to `end`.
fn in_segment(exported: &[TimeMs], start: Option<TimeMs>, end: TimeMs) -> bool {
    let from = exported.partition_point(|&t| start.is_some_and(|s| t < s));
    exported.get(from).is_some_and(|&t| t <= end)
}

/// A line's type and time, read first: a resume is read no further.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    data: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    session_id: Option<String>,
    context: Option<Context>,
    model_metrics: Option<BTreeMap<String, Metrics>>,
}

#[derive(Deserialize)]
struct Context {
    cwd: Option<String>,
}

#[derive(Deserialize)]
struct Metrics {
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    cache_read_tokens: u64,
    #[serde(default)]
    cache_write_tokens: u64,
    #[serde(default)]
    reasoning_tokens: u64,
}

/// Whether a line may be a session event worth reading (cheap test).
pub(super) fn may_be_line(text: &str) -> bool {
    [
        "\"session.start\"",
        "\"session.resume\"",
        "\"session.shutdown\"",
    ]
    .iter()
    .any(|kind| text.contains(kind))
}

/// A session event worth reading, by its top-level `type`.
pub(super) fn is_line(kind: Option<&str>) -> bool {
    matches!(
        kind,
        Some("session.start" | "session.resume" | "session.shutdown")
    )
}

impl LineParser {
    /// Whether a Copilot session's segments were counted that the export may still show.
    pub fn awaits_export(&self) -> bool {
        !self.copilot_events.pending.is_empty()
    }

    /// The copies that take out the counted segments the export now shows (`ctx.facts`),
    /// read again by the source after the file's last line.
    pub fn recheck(&mut self, ctx: &LineContext) -> Vec<Event> {
        let Some(facts) = ctx.facts else {
            return Vec::new();
        };
        let pending = &mut self.copilot_events.pending;
        let mut taken_out = Vec::new();
        pending.retain(|s| {
            let shown = in_segment(&facts.exported, s.start, s.end);
            if shown {
                let copies = s.events.iter();
                taken_out.extend(copies.filter_map(|e| Some(nothing_under(e, e.dedup_key?))));
            }
            !shown && s.end.saturating_add(PENDING_FOR) >= ctx.read_time
        });
        taken_out
    }
}

impl State {
    pub(super) fn parse(&mut self, text: &str, ctx: &LineContext) -> Parsed {
        let head: Head = match serde_json::from_str(text) {
            Ok(head) => head,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let time = head.timestamp.as_deref().map(parse_rfc3339_ms);
        if head.kind == "session.resume" {
            // Only its time is read: what else it holds is not settled.
            self.segment_start = time.flatten().or(self.segment_start);
            return Parsed::NoUsage;
        }
        let line: Line = match serde_json::from_str(text) {
            Ok(line) => line,
            Err(e) => return Parsed::Rejected(reason_of(&e)),
        };
        let data = line.data;
        if line.kind != "session.shutdown" {
            self.segment_start = time.flatten().or(self.segment_start);
            if let Some(data) = data {
                self.session = data.session_id.or(self.session.take());
                self.cwd = data.context.and_then(|c| c.cwd).or(self.cwd.take());
            }
            return Parsed::NoUsage;
        }
        self.shutdowns += 1;
        let Some(metrics) = data.and_then(|d| d.model_metrics) else {
            return Parsed::NoUsage;
        };
        let Some(time) = time else {
            return Parsed::Rejected(RejectReason::MissingField);
        };
        let Some(time) = time else {
            return Parsed::Rejected(RejectReason::InvalidField);
        };
        let start = self.segment_start.replace(time);
        let exported = ctx.facts.map_or(&[][..], |f| &f.exported[..]);
        if in_segment(exported, start, time) {
            return Parsed::NoUsage;
        }
        let session = (self.session.clone()).or_else(|| ctx.facts.and_then(|f| f.session.clone()));
        let shutdown = match line.id {
            Some(id) => id.into_owned(),
            None => format!("#{}", self.shutdowns),
        };
        let mut records = Records::default();
        for (model, m) in metrics.into_iter().take(MAX_MODELS) {
            let Some(usage) = m.usage else {
                records.without_usage += 1;
                continue;
            };
            let model = if model.is_empty() {
                "unknown".to_string()
            } else {
                model
            };
            let key = [
                "copilot-shutdown:",
                session.as_deref().unwrap_or(""),
                ":",
                &shutdown,
                ":",
                &model,
            ];
            let event = self.event(
                usage,
                model.clone(),
                time,
                session.clone(),
                DedupKey::of(&key),
            );
            match plausible::check(&event) {
                Some(reason) => records.reject(reason, 1, &model),
                None if !plausible::time_is_plausible(&event, ctx.read_time) => {
                    records.reject(RejectReason::FutureTime, 1, &model);
                }
                None => records.events.push(event),
            }
        }
        if records.is_empty() {
            return Parsed::NoUsage;
        }
        if !records.events.is_empty() && time.saturating_add(PENDING_FOR) >= ctx.read_time {
            if self.pending.len() >= MAX_PENDING {
                self.pending.pop_front();
            }
            self.pending.push_back(Segment {
                start,
                end: time,
                events: records.events.clone(),
            });
        }
        Parsed::Records(Box::new(records))
    }

    fn event(
        &self,
        u: Usage,
        model: String,
        time: TimeMs,
        session: Option<String>,
        key: DedupKey,
    ) -> Event {
        // `inputTokens` holds both cache buckets; below their sum it is taken as uncached.
        let cached = u.cache_read_tokens.saturating_add(u.cache_write_tokens);
        let input = u.input_tokens.checked_sub(cached).unwrap_or(u.input_tokens);
        let identity = agent_identity(LABEL, self.cwd.as_deref());
        Event {
            time,
            identity,
            identity_kind: IdentityKind::Agent,
            attrs: IdentityAttrs {
                project: self.cwd.clone(),
                session,
                ..IdentityAttrs::default()
            },
            format: Format::CopilotCli,
            provider: "github-copilot".to_string(),
            model,
            kind: Kind::Completion,
            tokens: Tokens {
                input,
                cache_read: u.cache_read_tokens,
                cache_write_5m: u.cache_write_tokens,
                output: u.output_tokens,
                reasoning: u.reasoning_tokens.min(u.output_tokens),
                ..Tokens::default()
            },
            tools: Vec::new(),
            dedup_key: Some(key),
            latency_ms: None,
            record_cost_usd: None,
            cumulative: None,
            flags: Flags {
                final_copy: true,
                aggregate: true,
                ..Flags::default()
            },
            origin: None,
            line: None,
            secrets: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::FileFacts;
    use crate::parse::testing::parse_in_order;

    /// 2026-01-01T10:10:00Z, inside the segment of [`START`] and [`SHUTDOWN`].
    const IN_SEGMENT: TimeMs = 1_767_262_200_000;

    /// The facts the source hands over for an `events.jsonl`: the folder's session, and
    /// when the OpenTelemetry export holds usage of it.
    fn facts(session: &str, exported: &[TimeMs]) -> FileFacts {
        FileFacts {
            session: Some(session.into()),
            exported: exported.to_vec(),
            ..FileFacts::default()
        }
    }

    const START: &str = r#"{"type":"session.start","id":"e1","timestamp":"2026-01-01T10:00:00.000Z","parentId":null,"data":{"sessionId":"c0ffee12","selectedModel":"claude-sonnet-4.5","version":1,"producer":"copilot-agent","context":{"cwd":"/home/ana/web","gitRoot":"/home/ana/web","branch":"main"}}}"#;
    const SHUTDOWN: &str = r#"{"type":"session.shutdown","id":"9d1e","parentId":"7a2b","timestamp":"2026-01-01T10:30:00.000Z","data":{"totalPremiumRequests":2,"totalNanoAiu":556570000,"modelMetrics":{"claude-sonnet-4.5":{"requests":{"count":6,"cost":2},"usage":{"inputTokens":120400,"outputTokens":3100,"cacheReadTokens":98000,"cacheWriteTokens":12000,"reasoningTokens":0}},"gpt-5-mini":{"requests":{"count":1,"cost":0},"usage":{"inputTokens":900,"outputTokens":40,"cacheReadTokens":0,"cacheWriteTokens":0,"reasoningTokens":10}}}}}"#;

    fn run(lines: &[&str], facts: Option<&FileFacts>) -> Vec<Parsed> {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts,
            read_time: 1_767_268_800_000,
        };
        parse_in_order(lines, &ctx)
    }

    fn events(parsed: Parsed) -> Vec<Event> {
        match parsed {
            Parsed::Records(r) => r.events,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_shutdown_counts_each_model_at_its_time() {
        let mut parsed = run(&[START, SHUTDOWN], None);
        assert_eq!(parsed[0], Parsed::NoUsage);
        let e = events(parsed.remove(1));
        assert_eq!(e.len(), 2);
        let t = e[0].tokens;
        // 120,400 input holds 98,000 read and 12,000 written: 10,400 uncached.
        assert_eq!(
            (t.input, t.cache_read, t.cache_write_5m, t.output),
            (10_400, 98_000, 12_000, 3_100)
        );
        assert_eq!(e[0].model, "claude-sonnet-4.5");
        assert_eq!(e[1].model, "gpt-5-mini");
        assert_eq!(e[1].tokens.reasoning, 10);
        assert_eq!(e[0].time, 1_767_263_400_000);
        assert_eq!(e[0].identity, "copilot-cli:/home/ana/web");
        assert_eq!(e[0].attrs.session.as_deref(), Some("c0ffee12"));
        assert!(e[0].flags.aggregate);
        assert_eq!(
            e[0].dedup_key,
            Some(DedupKey::from(
                "copilot-shutdown:c0ffee12:9d1e:claude-sonnet-4.5"
            ))
        );
    }

    #[test]
    fn a_segment_the_telemetry_shows_counts_no_shutdown() {
        let covered = facts("c0ffee12", &[IN_SEGMENT]);
        let parsed = run(&[START, SHUTDOWN], Some(&covered));
        assert_eq!(parsed[1], Parsed::NoUsage);
        // Usage exported before the segment began (an earlier run) is another segment's.
        let before = facts("c0ffee12", &[IN_SEGMENT - 3_600_000]);
        let parsed = run(&[START, SHUTDOWN], Some(&before));
        assert!(matches!(parsed[1], Parsed::Records(_)), "{:?}", parsed[1]);
        let open = facts("c0ffee12", &[]);
        let parsed = run(&[SHUTDOWN], Some(&open));
        match &parsed[0] {
            Parsed::Records(r) => {
                assert_eq!(r.events[0].attrs.session.as_deref(), Some("c0ffee12"));
                assert_eq!(r.events[0].identity, "copilot-cli");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn shutdowns_without_time_or_usage() {
        let no_time = SHUTDOWN.replace(r#""timestamp":"2026-01-01T10:30:00.000Z","#, "");
        let bad_time = SHUTDOWN.replace("2026-01-01T10:30:00.000Z", "later");
        let empty = r#"{"type":"session.shutdown","id":"x","timestamp":"2026-01-01T10:30:00.000Z","data":{"modelMetrics":{}}}"#;
        let parsed = run(&[&no_time, &bad_time, empty], None);
        assert_eq!(parsed[0], Parsed::Rejected(RejectReason::MissingField));
        assert_eq!(parsed[1], Parsed::Rejected(RejectReason::InvalidField));
        assert_eq!(parsed[2], Parsed::NoUsage);
    }

    #[test]
    fn a_resume_starts_the_segment_its_shutdown_ends() {
        // Its data is not read: a shape other than the start's is no rejected line.
        let resume = r#"{"type":"session.resume","id":"r1","timestamp":"2026-01-01T11:00:00.000Z","data":{"context":"odd"}}"#;
        let second = SHUTDOWN
            .replace("9d1e", "a2")
            .replace("10:30:00", "11:30:00");
        let lines = [START, SHUTDOWN, resume, &second];
        let counted = |exported: &[TimeMs]| -> Vec<bool> {
            let facts = facts("c0ffee12", exported);
            let parsed = run(&lines, Some(&facts));
            assert_eq!(parsed[2], Parsed::NoUsage);
            [1, 3]
                .iter()
                .map(|&i| matches!(parsed[i], Parsed::Records(_)))
                .collect()
        };
        // 10:45, between the first shutdown and the resume: in neither segment.
        assert_eq!(counted(&[IN_SEGMENT + 2_100_000]), vec![true, true]);
        // 11:10, in the resumed segment only.
        assert_eq!(counted(&[IN_SEGMENT + 3_600_000]), vec![true, false]);
        assert_eq!(counted(&[IN_SEGMENT]), vec![false, true]);
    }

    #[test]
    fn a_counted_segment_the_export_shows_later_is_taken_out() {
        let open = facts("c0ffee12", &[]);
        // Read at `at`: 10:31, a minute after the shutdown, or 10:45.
        let at = |facts, at: &str| LineContext {
            project_dir: None,
            project_root: None,
            facts: Some(facts),
            read_time: parse_rfc3339_ms(at).expect("a time"),
        };
        let ctx = |facts| at(facts, "2026-01-01T10:31:00Z");
        let late = |facts| at(facts, "2026-01-01T10:45:00Z");
        let mut parser = LineParser::default();
        for line in [START, SHUTDOWN] {
            parser.parse(line.as_bytes(), &late(&open));
        }
        // Read a quarter of an hour after its shutdown: its export has long been written.
        assert!(!parser.awaits_export());
        let mut parser = LineParser::default();
        for line in [START, SHUTDOWN] {
            parser.parse(line.as_bytes(), &ctx(&open));
        }
        assert!(parser.awaits_export());
        assert!(parser.recheck(&ctx(&open)).is_empty());
        let later = facts("c0ffee12", &[IN_SEGMENT + 3_600_000]);
        assert!(parser.recheck(&ctx(&later)).is_empty(), "after the segment");
        let shown = facts("c0ffee12", &[IN_SEGMENT]);
        let taken_out = parser.recheck(&ctx(&shown));
        // One copy per model counted, under its key, carrying nothing, winning as telemetry.
        let keys: Vec<_> = taken_out.iter().map(|e| e.dedup_key).collect();
        assert_eq!(
            keys,
            vec![
                Some(DedupKey::from(
                    "copilot-shutdown:c0ffee12:9d1e:claude-sonnet-4.5"
                )),
                Some(DedupKey::from("copilot-shutdown:c0ffee12:9d1e:gpt-5-mini")),
            ]
        );
        assert!(
            taken_out
                .iter()
                .all(|e| e.tokens == Tokens::default() && e.flags.telemetry)
        );
        assert!(!parser.awaits_export());
        assert!(parser.recheck(&ctx(&shown)).is_empty());
        // Not shown within the while the export may take: let go.
        let mut parser = LineParser::default();
        for line in [START, SHUTDOWN] {
            parser.parse(line.as_bytes(), &ctx(&open));
        }
        assert!(parser.recheck(&late(&open)).is_empty());
        assert!(!parser.awaits_export());
    }
}
