//! Per-source health: what was read, what was used, what was rejected and why.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::{Parsed, Records, RejectReason};
use crate::redact::redact;
use crate::sanitize::sanitize;

/// How much of a rejected line is kept as an example.
const EXAMPLE_CHARS: usize = 120;
/// How much of a rejected line is searched for secrets before its example is cut.
const REDACT_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rejections {
    pub count: u64,
    /// The first rejected line of this kind, sanitized and cut short.
    pub example: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SourceHealth {
    /// The path, folder or glob as the user gave it.
    pub path: String,
    pub files: usize,
    pub bytes: u64,
    /// Lines read; a line (or request body) of OTLP counts once per record in it, so that
    /// lines stay the sum of events, lines without usage and rejections (but for
    /// `input_below_cache`, which is counted beside the event it notes).
    pub lines: u64,
    pub events: u64,
    /// Well-formed lines with no usage in them (user turns, summaries...).
    pub lines_without_usage: u64,
    pub rejected: BTreeMap<RejectReason, Rejections>,
    /// Bytes written to the files but not read yet (including a held partial line).
    pub lag_bytes: u64,
    /// Times a file was read again from its start because it was truncated or rewritten.
    pub restarts: u64,
    pub last_error: Option<String>,
    /// The input ended for good (stdin closed); not an error.
    pub finished: bool,
    /// The latest event time read (ms since the epoch), for `serve`'s ingest lag; not in
    /// reports.
    #[serde(skip)]
    pub newest_event: Option<crate::event::TimeMs>,
}

impl SourceHealth {
    pub fn new(path: &str) -> Self {
        SourceHealth {
            path: path.to_string(),
            ..SourceHealth::default()
        }
    }

    pub fn rejected_lines(&self) -> u64 {
        self.rejected.values().map(|r| r.count).sum()
    }

    /// Healthy: no error now. Rejected lines are shown but do not make a source unhealthy.
    pub fn is_ok(&self) -> bool {
        self.last_error.is_none()
    }

    /// Counts one line's outcome.
    pub fn count(&mut self, line: &[u8], parsed: &Parsed) {
        match parsed {
            // A record without usage that carries a finding (the demo's recorded lines).
            Parsed::Event(event) if event.flags.no_usage => {
                self.lines += 1;
                self.lines_without_usage += 1;
            }
            Parsed::Event(event) => {
                self.lines += 1;
                self.events += 1;
                self.newest_event = self.newest_event.max(Some(event.time));
            }
            Parsed::NoUsage => {
                self.lines += 1;
                self.lines_without_usage += 1;
            }
            Parsed::Rejected(reason) => {
                self.lines += 1;
                self.reject(*reason, line);
            }
            Parsed::Records(records) => self.count_records(records),
        }
    }

    /// Counts each record of a line that holds many as a line of its own.
    fn count_records(&mut self, records: &Records) {
        self.lines += records.len();
        self.events += records.events.len() as u64;
        let newest = records.events.iter().map(|e| e.time).max();
        self.newest_event = self.newest_event.max(newest);
        self.lines_without_usage += records.without_usage;
        for counted in records.rejected.iter().chain(&records.noted) {
            self.reject(counted.reason, counted.example.as_bytes());
            if let Some(entry) = self.rejected.get_mut(&counted.reason) {
                entry.count += counted.count - 1;
            }
        }
    }

    /// Adds the counts of a partial reading of the same source (one file read elsewhere).
    pub fn absorb(&mut self, other: SourceHealth) {
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.events += other.events;
        self.lines_without_usage += other.lines_without_usage;
        self.restarts += other.restarts;
        self.newest_event = self.newest_event.max(other.newest_event);
        for (reason, r) in other.rejected {
            let entry = self.rejected.entry(reason).or_default();
            if entry.count == 0 {
                entry.example = r.example;
            }
            entry.count += r.count;
        }
    }

    pub fn reject(&mut self, reason: RejectReason, line: &[u8]) {
        let entry = self.rejected.entry(reason).or_default();
        if entry.count == 0 {
            // Redacted whole (up to a bound far past what is kept), so no key is cut
            // short of what its pattern needs and shown in part.
            let text = String::from_utf8_lossy(&line[..line.len().min(REDACT_BYTES)]);
            entry.example = sanitize(&redact(&text), EXAMPLE_CHARS);
        }
        entry.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_example_never_shows_a_secret() {
        let key = format!("sk-ant-api03-{}AA", "k".repeat(93));
        // The key runs past the example's length: it is redacted before the cut.
        let line = format!("{}{{broken \"auth\": \"{key}\"", "x".repeat(80));
        let mut health = SourceHealth::new("/logs");
        health.reject(RejectReason::InvalidJson, line.as_bytes());
        let example = &health.rejected[&RejectReason::InvalidJson].example;
        assert!(!example.contains("kkkk"), "{example}");
        assert!(example.contains("sk-ant-…[redacted]"), "{example}");
    }

    #[test]
    fn a_rejected_example_hides_credential_fields_and_headers() {
        let line =
            r#"{"password":"hunter2","client_secret":"cs_live_1","headers":"Cookie: sid=abc"#;
        let mut health = SourceHealth::new("/logs");
        health.reject(RejectReason::InvalidJson, line.as_bytes());
        let example = &health.rejected[&RejectReason::InvalidJson].example;
        for secret in ["hunter2", "cs_live_1", "sid=abc"] {
            assert!(!example.contains(secret), "{example}");
        }
    }
}
