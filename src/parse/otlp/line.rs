//! OTLP JSON lines, as the Collector's `file` exporter writes them: one export request per
//! line, of the signal its one top-level key names. A line gives one outcome per record
//! ([`Parsed::Records`]); metric points are read only by the receiver (their wait for a
//! session's events needs the receiver's clock), so here they count as unsupported. The
//! identity follows the default attributes (`[otlp] identity` is the receiver's).

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Batch, DEFAULT_IDENTITY, Signal, json, outcomes};
use crate::event::TimeMs;
use crate::parse::{Parsed, Records, RejectReason, reason_of};
use crate::secrets::Scanner;

/// How a line of each signal starts, as the Collector writes it (its one key first).
const STARTS: [&str; 3] = [
    "{\"resourceLogs\":",
    "{\"resourceSpans\":",
    "{\"resourceMetrics\":",
];

/// The example shown for metric points counted as unsupported.
const METRICS_EXAMPLE: &str =
    "OTLP metric points: tokentop reads metrics only through its --otlp receiver";

#[derive(Deserialize)]
struct Keys {
    #[serde(rename = "resourceLogs")]
    logs: Option<IgnoredAny>,
    #[serde(rename = "resourceSpans")]
    spans: Option<IgnoredAny>,
    #[serde(rename = "resourceMetrics")]
    metrics: Option<IgnoredAny>,
}

/// Whether `text` starts as the Collector writes an export request: detection needs to
/// read no further.
pub fn starts_as_line(text: &str) -> bool {
    STARTS.iter().any(|s| text.starts_with(s))
}

/// One line (`text`, one JSON object) as the outcomes of its records; `read_time` stands
/// for records without a time, as it does for a body the receiver takes.
pub fn json_line(text: &str, read_time: TimeMs, scanner: Option<&Scanner>) -> Parsed {
    let (signal, batch) = match decode_line(text) {
        Ok(decoded) => decoded,
        Err(reason) => return Parsed::Rejected(reason),
    };
    let mut records = Records::default();
    let identity = DEFAULT_IDENTITY.map(String::from);
    for o in outcomes(&batch, read_time, &identity, scanner) {
        let example = if o.name.is_empty() {
            "an OTLP record without a name"
        } else {
            o.name.as_str()
        };
        if o.uncached_input {
            records.note(RejectReason::InputBelowCache, example);
        }
        match o.parsed {
            Parsed::Event(e) => records.events.push(*e),
            Parsed::Rejected(reason) => records.reject(reason, 1, example),
            // A record is never many records.
            Parsed::NoUsage | Parsed::Records(_) => records.without_usage += 1,
        }
        records.carriers.extend(o.carrier);
    }
    let parts = format!("OTLP {signal:?} parts of the wrong shape");
    records.reject(RejectReason::InvalidField, batch.malformed, &parts);
    let points = (batch.points.len() + batch.unreadable_points.len()) as u64 + batch.other_points;
    records.reject(RejectReason::Unsupported, points, METRICS_EXAMPLE);
    if records.is_empty() {
        // An export request with nothing in it: a line without usage.
        return Parsed::NoUsage;
    }
    Parsed::Records(Box::new(records))
}

/// The signal the line's one top-level key names, and the line decoded as its request.
fn decode_line(text: &str) -> Result<(Signal, Batch), RejectReason> {
    let keys: Keys = serde_json::from_str(text).map_err(|e| reason_of(&e))?;
    let present = [
        (Signal::Logs, keys.logs.is_some()),
        (Signal::Traces, keys.spans.is_some()),
        (Signal::Metrics, keys.metrics.is_some()),
    ];
    let mut signals = present.iter().filter(|(_, there)| *there).map(|(s, _)| *s);
    let signal = signals.next().ok_or(RejectReason::MissingField)?;
    if signals.next().is_some() {
        // Not one export request: which records would count is a guess.
        return Err(RejectReason::InvalidField);
    }
    let batch = json::decode(signal, text.as_bytes()).map_err(|_| RejectReason::InvalidJson)?;
    Ok((signal, batch))
}

#[cfg(test)]
mod tests {
    use crate::event::{Format, Kind, TimeMs, Tokens};
    use crate::parse::{Counted, LineContext, Parsed, Records, RejectReason, parse_line};

    /// Synthetic lines: Claude Code logs, GenAI spans, metrics, a malformed line, and logs
    /// with a record rejected beside a record without a time.
    const FILE: &str = include_str!("../../../tests/fixtures/otlp_file.jsonl");
    /// When the lines are read (2026-01-01T12:00Z): after every record's time.
    const READ: TimeMs = 1_767_268_800_000;

    fn line(n: usize) -> &'static str {
        FILE.lines().nth(n).expect("fixture line")
    }

    /// The line through detection, as a file's reader parses it.
    fn parse(text: &str) -> Parsed {
        let ctx = LineContext {
            project_dir: None,
            project_root: None,
            facts: None,
            read_time: READ,
        };
        parse_line(text.as_bytes(), &ctx)
    }

    fn records(text: &str) -> Records {
        match parse(text) {
            Parsed::Records(records) => *records,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_logs_line_gives_a_request_and_a_tool_call() {
        let r = records(line(0));
        assert_eq!((r.events.len(), r.without_usage, r.len()), (2, 1, 3));
        assert!(r.rejected.is_empty() && r.noted.is_empty());
        let request = &r.events[0];
        assert_eq!(request.format, Format::ClaudeCode);
        assert_eq!(request.identity, "ada@example.com");
        assert_eq!(
            request.tokens,
            Tokens {
                input: 120,
                cache_read: 3000,
                cache_write_5m: 500,
                output: 80,
                ..Tokens::default()
            }
        );
        assert_eq!(request.record_cost_usd, Some(0.012));
        assert_eq!(request.time, 1_767_261_600_000);
        assert_eq!(request.dedup_key, Some("req_file_1".into()));
        let tool = &r.events[1];
        assert_eq!(tool.kind, Kind::Tool);
        assert_eq!(tool.tools[0].name, "create_issue");
        assert_eq!(tool.tools[0].mcp_server.as_deref(), Some("github"));
    }

    #[test]
    fn a_spans_line_gives_genai_usage_under_its_agent() {
        let r = records(line(1));
        assert_eq!((r.events.len(), r.without_usage), (2, 1));
        let chat = &r.events[0];
        assert_eq!(
            (chat.format, chat.model.as_str()),
            (Format::OpenAi, "gpt-4o-mini")
        );
        // The cache reads come out of the input, as the conventions count them.
        let t = chat.tokens;
        assert_eq!((t.input, t.cache_read, t.output), (500, 1000, 200));
        assert_eq!(chat.attrs.agent.as_deref(), Some("Billing Helper"));
        assert_eq!(chat.identity, "support-agent");
        assert_eq!(chat.latency_ms, Some(1500));
        assert_eq!(r.events[1].tools[0].name, "get_invoice");
    }

    #[test]
    fn a_metrics_line_counts_each_point_as_unsupported() {
        let r = records(line(2));
        assert!(r.events.is_empty());
        assert_eq!(r.len(), 3);
        let Counted {
            reason,
            count,
            example,
        } = &r.rejected[0];
        assert_eq!((*reason, *count), (RejectReason::Unsupported, 3));
        assert!(example.contains("--otlp receiver"), "{example}");
    }

    #[test]
    fn a_malformed_line_is_one_rejected_line() {
        assert_eq!(parse(line(3)), Parsed::Rejected(RejectReason::InvalidJson));
        // Cut short: not even shaped like an object.
        let cut = &line(0)[..200];
        assert_eq!(parse(cut), Parsed::Rejected(RejectReason::InvalidJson));
        // Two requests in one object: which records count would be a guess.
        let both = format!("{},{}", &line(0)[..line(0).len() - 1], &line(1)[1..]);
        assert_eq!(parse(&both), Parsed::Rejected(RejectReason::InvalidField));
    }

    #[test]
    fn one_record_is_rejected_while_the_next_counts_at_the_read_time() {
        let r = records(line(4));
        assert_eq!(r.events.len(), 1);
        assert_eq!(
            r.rejected,
            [Counted {
                reason: RejectReason::MissingField,
                count: 1,
                example: "claude_code.api_request".into(),
            }]
        );
        let e = &r.events[0];
        assert_eq!((e.time, e.flags.time_from_read), (READ, true));
        assert_eq!((e.tokens.input, e.tokens.output), (10, 5));
    }

    #[test]
    fn a_request_written_with_spaces_is_still_detected() {
        let spaced = line(1).replacen("{\"resourceSpans\":", "{ \"resourceSpans\" :", 1);
        assert_eq!(records(&spaced).events.len(), 2);
        // The key inside a value is not a request.
        let note = r#"{"type":"note","text":"see \"resourceLogs\": in the exporter"}"#;
        assert_eq!(parse(note), Parsed::NoUsage);
        assert_eq!(parse(r#"{"resourceLogs":[]}"#), Parsed::NoUsage);
    }

    #[test]
    fn input_below_its_cache_counts_and_is_noted() {
        let below = line(1).replace(r#"{"intValue":"1500"}"#, r#"{"intValue":"600"}"#);
        let r = records(&below);
        assert_eq!(r.events[0].tokens.input, 600);
        assert_eq!(r.noted[0].reason, RejectReason::InputBelowCache);
        assert_eq!(r.noted[0].example, "chat gpt-4o-mini");
    }
}
