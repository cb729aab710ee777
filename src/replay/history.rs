//! The history a replay plays: every source read once, as `report` reads it, the events
//! merged by event time. A record that carries no time of its own (stamped when read:
//! `time_from_read`) has no place in history: it is skipped, and counted as a rejected
//! line of its source so the sources view says so.

use std::sync::Arc;

use crate::event::{Event, TimeMs};
use crate::parse::RejectReason;
use crate::report::read_events;
use crate::secrets::Scanner;
use crate::source::discover::SourceSpec;
use crate::source::health::SourceHealth;
use crate::source::origin::Origins;

/// Shown as the example of the records skipped.
const NO_TIME: &[u8] = b"a record without a time of its own: replay skips it";

/// What a replay plays and where it came from.
pub struct History {
    /// Sorted by time; among equal times, in the order read (files in order, lines in order).
    pub events: Arc<[Event]>,
    pub sources: Vec<SourceHealth>,
    /// Where each event's line is, for the event popup.
    pub origins: Origins,
}

/// Reads `specs` once at `now`, keeping events in `[since, until)`.
pub fn read(
    specs: Vec<SourceSpec>,
    scanner: Option<Arc<Scanner>>,
    range: (Option<TimeMs>, Option<TimeMs>),
    now: TimeMs,
) -> History {
    let origins = Origins::default();
    let mut events = Vec::new();
    let mut timeless = Vec::new();
    let mut sources = read_events(
        specs,
        scanner,
        origins.clone(),
        range,
        now,
        &mut |e: Event| {
            if e.flags.time_from_read {
                timeless.push(e.origin);
            } else {
                events.push(e);
            }
        },
    );
    for origin in timeless {
        let file = origin.and_then(|o| origins.name(o.source));
        if let Some(health) = source_of(&mut sources, file.as_deref()) {
            health.events = health.events.saturating_sub(1);
            health.reject(RejectReason::MissingField, NO_TIME);
        }
    }
    events.sort_by_key(|e| e.time);
    History {
        events: events.into(),
        sources,
        origins,
    }
}

/// The source a file was read under: the one whose path it starts with, else the first.
fn source_of<'a>(
    sources: &'a mut [SourceHealth],
    file: Option<&str>,
) -> Option<&'a mut SourceHealth> {
    let at = file.and_then(|f| sources.iter().position(|s| f.starts_with(&s.path)));
    sources.get_mut(at.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_without_a_time_is_skipped_and_counted_against_its_source() {
        let dir = tempfile::tempdir().expect("dir");
        // One OTLP log record with no timestamp (stamped when read), then two with one.
        let record = |nanos: Option<&str>, id: &str| {
            let time = nanos.map_or(String::new(), |n| format!(r#""timeUnixNano":"{n}","#));
            format!(
                r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"claude-code"}}}},{{"key":"user.email","value":{{"stringValue":"a@example.com"}}}}]}},"scopeLogs":[{{"logRecords":[{{{time}"attributes":[{{"key":"event.name","value":{{"stringValue":"api_request"}}}},{{"key":"model","value":{{"stringValue":"claude-sonnet-4-5"}}}},{{"key":"input_tokens","value":{{"stringValue":"100"}}}},{{"key":"output_tokens","value":{{"stringValue":"10"}}}},{{"key":"request_id","value":{{"stringValue":"{id}"}}}}]}}]}}]}}]}}"#
            )
        };
        let text = [
            record(None, "r1"),
            record(Some("1767225660000000000"), "r2"),
            record(Some("1767225600000000000"), "r3"),
        ]
        .join("\n");
        let path = dir.path().join("otlp.jsonl");
        std::fs::write(&path, text + "\n").expect("write");
        let specs = crate::cli::source_specs(&[path.display().to_string()]).expect("spec");
        let history = read(specs, None, (None, None), 1_800_000_000_000);
        let times: Vec<TimeMs> = history.events.iter().map(|e| e.time).collect();
        assert_eq!(
            times,
            [1_767_225_600_000, 1_767_225_660_000],
            "sorted by time"
        );
        let health = &history.sources[0];
        assert_eq!(health.events, 2, "{health:?}");
        assert_eq!(health.rejected[&RejectReason::MissingField].count, 1);
    }
}
