//! The raw record behind the event in the popup: the loop reads its line back (IO, on its
//! blocking pool: `live::RecordFetch`) and hands it over; here it is made readable
//! (pretty JSON when it parses) and every secret in it redacted, once, before anything
//! draws it.

use super::App;
use crate::event::Origin;
use crate::event::TimeMs;
use crate::redact::{redact, redact_json};
use crate::source::origin::Record;

/// A record ready to draw (still to be sanitized, as all log text is, when drawn).
#[derive(Clone, Debug, PartialEq)]
pub struct RawRecord {
    /// Where it was read from.
    pub source: String,
    /// Its text, redacted, one entry per line.
    pub lines: Vec<String>,
    /// The line was longer than what was read back.
    pub truncated: bool,
}

impl From<Record> for RawRecord {
    fn from(record: Record) -> Self {
        // JSON is redacted as values, decoded: no escape can hide a key, and credential
        // fields go whole whatever they hold.
        let pretty = if record.truncated {
            None
        } else {
            serde_json::from_str::<serde_json::Value>(&record.raw)
                .ok()
                .and_then(|mut v| {
                    redact_json(&mut v);
                    serde_json::to_string_pretty(&v).ok()
                })
        };
        let text = pretty.unwrap_or_else(|| {
            let mut raw = record.raw;
            if record.truncated {
                // A token cut at the end could be too short to be told for a secret.
                let keep = raw
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .map_or(0, |at| at + 1);
                raw.truncate(keep);
            }
            redact(&raw)
        });
        RawRecord {
            source: record.source,
            lines: text.lines().map(str::to_string).collect(),
            truncated: record.truncated,
        }
    }
}

/// What the loop fetched for one event: its record, or why there is none.
#[derive(Debug)]
pub(super) struct Fetched {
    origin: Origin,
    time: TimeMs,
    result: Result<RawRecord, String>,
}

impl App {
    /// The line the open popup is about (an event's, or the record behind a finding) and
    /// the time it is asked for at: `None` when there is none to read back.
    fn popup_line(&self) -> Option<(Origin, TimeMs)> {
        if let Some(finding) = self.finding_popup() {
            return Some((finding.record?.origin?, finding.started_at));
        }
        let event = self.event_popup()?;
        Some((event.origin?, event.time))
    }

    /// The line the popup needs and does not have yet: for the loop to fetch.
    pub fn wanted_record(&self) -> Option<(Origin, TimeMs)> {
        let line = self.popup_line()?;
        let have = self
            .screen
            .identity()
            .and_then(|v| v.record.as_ref())
            .is_some_and(|f| (f.origin, f.time) == line);
        (!have).then_some(line)
    }

    /// The popup's raw record: `None` while not fetched (or never kept: stdin).
    pub fn popup_record(&self) -> Option<&Result<RawRecord, String>> {
        let line = self.popup_line()?;
        let fetched = self.screen.identity()?.record.as_ref()?;
        ((fetched.origin, fetched.time) == line).then_some(&fetched.result)
    }

    /// Keeps a record read back, if it is the one the popup waits for: an answer that
    /// comes after the popup moved on is dropped. Whether it was kept.
    pub(super) fn take_record(
        &mut self,
        origin: Origin,
        time: TimeMs,
        result: Result<Record, String>,
    ) -> bool {
        if self.wanted_record() != Some((origin, time)) {
            return false;
        }
        // A document's record narrows to the event's own message; a finding's stays whole.
        let key = match self.finding_popup() {
            Some(_) => None,
            None => self.event_popup().and_then(|e| e.key),
        };
        let Some(view) = self.screen.identity_mut() else {
            return false;
        };
        view.record = Some(Fetched {
            origin,
            time,
            result: result.map(|r| RawRecord::from(r.for_event(key))),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::origin::MAX_RAW_BYTES;

    #[test]
    fn a_long_record_read_in_part_is_redacted_too() {
        let filler = "x".repeat(MAX_RAW_BYTES);
        let raw = format!(
            r#"{{"request":{{"password":"hunter2","client_secret":"cs-9f8e7d","text":"{filler}"#
        );
        let record = RawRecord::from(Record {
            source: "/logs/a.jsonl".into(),
            raw,
            truncated: true,
            events: Vec::new(),
            messages: Vec::new(),
        });
        let text = record.lines.join("\n");
        assert!(
            !text.contains("hunter2"),
            "{}",
            text.chars().take(80).collect::<String>()
        );
        assert!(
            !text.contains("cs-9f8e7d"),
            "{}",
            text.chars().take(80).collect::<String>()
        );
        assert!(text.contains(r#""password":"…[redacted]""#));
    }
}
