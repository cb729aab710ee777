//! Cutting a byte stream into whole lines and parsing each: shared by files and stdin.
//! A line is parsed once its newline has arrived, at the end of the input, or (when
//! following) once it has sat idle as one whole JSON object; an over-long one is skipped
//! without being held in memory whole.

use std::sync::Arc;

use super::health::SourceHealth;
use crate::event::{Event, Exposed, TimeMs};
use crate::event::{Origin, SourceId};
use crate::parse::{
    FileFacts, LineContext, LineParser, MAX_LINE_BYTES, Parsed, RejectReason, plausible,
};
use crate::secrets::Scanner;

/// How much of an over-long line is kept, as the example in the source's health.
const TOO_LONG_EXAMPLE: usize = 256;

#[derive(Debug, Default)]
pub struct LineReader {
    /// The Claude Code project folder the stream belongs to, if any.
    project_dir: Option<String>,
    /// The project root the agent's own records give for the stream (Gemini CLI), if any.
    project_root: Option<String>,
    /// What the agent keeps about the file outside it (Kimi CLI's work folder and model).
    facts: Option<FileFacts>,
    parser: LineParser,
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Inside a line longer than [`MAX_LINE_BYTES`]: drop bytes until its newline.
    discarding: bool,
    /// The line being assembled was already counted before its newline came (it sat idle
    /// as a whole JSON object): its newline ends it, and bytes before that newline make
    /// it a rejected line, never a second event.
    counted: bool,
    /// Something other than blanks was written after the counted line (`partial` keeps
    /// the start of the line and of what extends it, as the rejected line's example).
    extended: bool,
    /// What events are stamped as read from; `None` for a stream that cannot be read back.
    source: Option<SourceId>,
    /// Bytes taken so far: the stream offset of the next byte fed.
    fed: u64,
    /// The stream offset where the line being assembled starts.
    line_start: u64,
    /// Lines ended so far: the line being assembled is the next one.
    lines_ended: u64,
    /// Scans every record for secrets when set (live, `check`, `report --findings`).
    scanner: Option<Arc<Scanner>>,
}

impl LineReader {
    pub fn new(project_dir: Option<String>, source: Option<SourceId>) -> Self {
        LineReader {
            project_dir,
            source,
            ..LineReader::default()
        }
    }

    /// The source its events are stamped with.
    pub fn source(&self) -> Option<SourceId> {
        self.source
    }

    /// Bytes held back waiting for a newline.
    pub fn held(&self) -> usize {
        if self.counted { 0 } else { self.partial.len() }
    }

    /// The input ended: a last line without a newline is complete.
    pub fn finish(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        if self.held() > 0 || self.discarding || self.extended {
            self.feed(b"\n", read_time, health, sink);
        }
    }

    /// Counts the held last line now, without its newline, when it is one whole JSON
    /// object (a writer that ends its last line late, or never): for a line that has sat
    /// idle. Returns whether it was counted. Whatever is later written on the same line
    /// makes it a rejected line, not a second event: the extended line counts as one more
    /// line, rejected as `invalid_json` with the line's start as its example, so `lines`
    /// stays the sum of events, lines without usage and rejected lines (the idle line's
    /// event, already counted, stays).
    pub fn complete_idle(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) -> bool {
        if self.counted || self.discarding || !is_whole_object(&self.partial) {
            return false;
        }
        let ctx = LineContext {
            project_dir: self.project_dir.as_deref(),
            project_root: self.project_root.as_deref(),
            facts: self.facts.as_ref(),
            read_time,
        };
        let line = Line {
            source: self.source,
            start: self.line_start,
            number: self.lines_ended + 1,
            scanner: self.scanner.as_deref(),
        };
        line.handle(&mut self.parser, &self.partial, &ctx, health, sink);
        // Its start stays, as the example should the line be extended.
        self.partial.truncate(TOO_LONG_EXAMPLE);
        self.counted = true;
        true
    }

    /// Scans every record for secrets with `scanner` (none: no scan).
    pub fn scanning(mut self, scanner: Option<Arc<Scanner>>) -> Self {
        self.parser = LineParser::scanning(scanner.clone());
        self.scanner = scanner;
        self
    }

    /// Gives the stream's records the project root `root`, where they name none.
    pub fn in_project(mut self, root: Option<String>) -> Self {
        self.project_root = root;
        self
    }

    /// Hands `facts` about the file to its parser with every line.
    pub fn with_facts(mut self, facts: Option<FileFacts>) -> Self {
        self.facts = facts;
        self
    }

    /// Replaces what is known about the file (read again beside it).
    pub fn set_facts(&mut self, facts: Option<FileFacts>) {
        self.facts = facts;
    }

    /// What is known about the file besides its lines.
    pub fn facts(&self) -> Option<&FileFacts> {
        self.facts.as_ref()
    }

    /// Whether counted records wait for the agent's export to show them (Copilot CLI).
    pub fn awaits_export(&self) -> bool {
        self.parser.awaits_export()
    }

    /// Hands `sink` the copies that take out what the file's facts now show is counted
    /// elsewhere (Copilot CLI segments found in its export).
    pub fn recheck(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        let ctx = LineContext {
            project_dir: self.project_dir.as_deref(),
            project_root: self.project_root.as_deref(),
            facts: self.facts.as_ref(),
            read_time,
        };
        self.parser.recheck(&ctx).into_iter().for_each(sink);
    }

    /// Forgets everything about the stream (the file was truncated or replaced).
    pub fn reset(&mut self) {
        let scanner = self.scanner.take();
        *self = LineReader::new(self.project_dir.take(), self.source)
            .scanning(scanner)
            .in_project(self.project_root.take())
            .with_facts(self.facts.take());
    }

    /// Takes the next bytes of the stream; every line they complete is parsed, counted in
    /// `health` and, when it is an event, handed to `sink`.
    pub fn feed(
        &mut self,
        mut chunk: &[u8],
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        let ctx = LineContext {
            project_dir: self.project_dir.as_deref(),
            project_root: self.project_root.as_deref(),
            facts: self.facts.as_ref(),
            read_time,
        };
        let mut at = self.fed;
        self.fed += chunk.len() as u64;
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            chunk = rest;
            at += nl as u64 + 1;
            self.lines_ended += 1;
            let line = Line {
                source: self.source,
                start: std::mem::replace(&mut self.line_start, at),
                number: self.lines_ended,
                scanner: self.scanner.as_deref(),
            };
            if self.counted {
                // The end of a line counted while it sat idle.
                take_extension(&mut self.partial, &mut self.extended, head);
                if self.extended {
                    health.lines += 1;
                    health.reject(RejectReason::InvalidJson, &self.partial);
                }
                self.counted = false;
                self.extended = false;
                self.discarding = false;
                self.partial.clear();
            } else if self.discarding {
                self.discarding = false;
                health.lines += 1;
                health.reject(RejectReason::TooLong, &self.partial);
                self.partial.clear();
            } else if self.partial.is_empty() {
                line.handle(&mut self.parser, head, &ctx, health, sink);
            } else {
                self.partial.extend_from_slice(head);
                line.handle(&mut self.parser, &self.partial, &ctx, health, sink);
                self.partial.clear();
            }
        }
        if self.counted {
            // Bytes after a counted line: kept only as an example of the rejected line.
            take_extension(&mut self.partial, &mut self.extended, chunk);
            return;
        }
        if self.discarding {
            return;
        }
        self.partial.extend_from_slice(chunk);
        if self.partial.len() > MAX_LINE_BYTES {
            self.discarding = true;
            self.partial.truncate(TOO_LONG_EXAMPLE);
            self.partial.shrink_to_fit();
        }
    }
}

/// Bytes written after a counted line, before its newline: whether they are more than
/// blanks goes to `extended`, their start to `example`.
fn take_extension(example: &mut Vec<u8>, extended: &mut bool, bytes: &[u8]) {
    *extended |= !bytes.trim_ascii().is_empty();
    let room = TOO_LONG_EXAMPLE.saturating_sub(example.len());
    example.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// Whether `bytes` are one JSON object and nothing else (surrounding blanks aside): a
/// line that can be complete without its newline.
fn is_whole_object(bytes: &[u8]) -> bool {
    bytes.trim_ascii_start().starts_with(b"{")
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

/// Where a complete line was found, and the scanner its record goes through.
struct Line<'a> {
    source: Option<SourceId>,
    start: u64,
    /// 1-based.
    number: u64,
    scanner: Option<&'a Scanner>,
}

impl Line<'_> {
    fn handle(
        self,
        parser: &mut LineParser,
        bytes: &[u8],
        ctx: &LineContext,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        let parsed = match parser.parse(bytes, ctx) {
            Parsed::Event(e) if !plausible::time_is_plausible(&e, ctx.read_time) => {
                Parsed::Rejected(RejectReason::FutureTime)
            }
            parsed => parsed,
        };
        health.count(bytes, &parsed);
        let origin = || self.source.map(|s| Origin::new(s, self.start, bytes));
        let line = Some(self.number);
        let exposed = self.scan(bytes, &parsed);
        match parsed {
            Parsed::Event(mut event) => {
                event.origin = origin();
                event.line = line;
                event.secrets = exposed;
                sink(*event);
            }
            Parsed::Records(records) => {
                // Every event of the line points at the line; the parser scanned each
                // record (its findings go with the record's own identity).
                let origin = origin();
                for mut event in records.events.into_iter().chain(records.carriers) {
                    event.origin = origin;
                    event.line = line;
                    sink(event);
                }
            }
            Parsed::NoUsage => {
                // A prompt or a tool result: its record's identity still gets the finding.
                if let Some(exposed) = exposed
                    && let Some(mut carrier) = parser.carrier(bytes, ctx)
                {
                    carrier.origin = origin();
                    carrier.line = line;
                    carrier.secrets = Some(exposed);
                    sink(carrier);
                }
            }
            Parsed::Rejected(_) => {}
        }
    }

    /// The secrets in a record that was read: a rejected line is not scanned, and a line
    /// of many records was scanned record by record by the parser.
    fn scan(&self, bytes: &[u8], parsed: &Parsed) -> Option<Box<Exposed>> {
        let scanner = self.scanner?;
        if matches!(parsed, Parsed::Rejected(_) | Parsed::Records(_)) {
            return None;
        }
        let found = scanner.scan(std::str::from_utf8(bytes).ok()?);
        (!found.is_empty()).then(|| Box::new(Exposed { found }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str =
        r#"{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","tokens":{"input":5}}"#;
    /// When the lines are read: the day `LINE` is stamped.
    const READ_AT: TimeMs = 1_767_225_600_000;

    fn run(chunks: &[&[u8]]) -> (Vec<Event>, SourceHealth, usize) {
        let mut reader = LineReader::new(None, Some(SourceId(7)));
        let mut health = SourceHealth::new("test");
        let mut events = Vec::new();
        for chunk in chunks {
            reader.feed(chunk, READ_AT, &mut health, &mut |e| events.push(e));
        }
        (events, health, reader.held())
    }

    #[test]
    fn a_line_split_across_many_writes_is_parsed_once_whole() {
        let bytes = format!("{LINE}\n");
        let pieces: Vec<&[u8]> = bytes.as_bytes().chunks(3).collect();
        let (events, health, held) = run(&pieces[..pieces.len() - 1]);
        assert!(events.is_empty());
        let last = pieces[pieces.len() - 1].len();
        assert_eq!((health.lines, held), (0, bytes.len() - last));
        let (events, health, held) = run(&pieces);
        assert_eq!((events.len(), health.lines, held), (1, 1, 0));
    }

    #[test]
    fn several_lines_in_one_chunk() {
        let bytes = format!("{LINE}\n\n{LINE}\n{LINE}");
        let (events, health, held) = run(&[bytes.as_bytes()]);
        assert_eq!((events.len(), health.lines, held), (2, 3, LINE.len()));
    }

    #[test]
    fn a_last_line_without_a_newline_counts_at_the_end_of_the_input() {
        let mut reader = LineReader::new(None, Some(SourceId(7)));
        let mut health = SourceHealth::new("test");
        let mut events = Vec::new();
        reader.feed(
            format!("{LINE}\n{LINE}").as_bytes(),
            READ_AT,
            &mut health,
            &mut |e| events.push(e),
        );
        assert_eq!(events.len(), 1);
        reader.finish(READ_AT, &mut health, &mut |e| events.push(e));
        assert_eq!((events.len(), health.lines, reader.held()), (2, 2, 0));
    }

    #[test]
    fn an_idle_whole_object_counts_once_and_an_extension_is_rejected() {
        let mut health = SourceHealth::new("test");
        let mut events = Vec::new();
        let mut reader = LineReader::new(None, Some(SourceId(7)));
        // Half an object is never complete.
        let (head, tail) = LINE.split_at(20);
        reader.feed(head.as_bytes(), READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        assert!(!reader.complete_idle(READ_AT, &mut health, &mut |e| events.push(e)));
        reader.feed(tail.as_bytes(), READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        assert!(reader.complete_idle(READ_AT, &mut health, &mut |e| events.push(e)));
        assert!(!reader.complete_idle(READ_AT, &mut health, &mut |e| events.push(e)));
        assert_eq!((events.len(), health.lines, reader.held()), (1, 1, 0));
        // Its late newline ends it without a second count.
        reader.feed(b"\n", READ_AT, &mut health, &mut |e| events.push(e));
        assert_eq!(
            (events.len(), health.lines, health.rejected_lines()),
            (1, 1, 0)
        );

        // Bytes that extend a counted line make it rejected, never a second event.
        reader.feed(LINE.as_bytes(), READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        assert!(reader.complete_idle(READ_AT, &mut health, &mut |e| events.push(e)));
        reader.feed(br#","more":1}"#, READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        reader.feed(
            format!("\n{LINE}\n").as_bytes(),
            READ_AT,
            &mut health,
            &mut |e| events.push(e),
        );
        assert_eq!(events.len(), 3);
        assert_eq!(health.rejected[&RejectReason::InvalidJson].count, 1);
        // The extended line is one more line, the rejected one: every line is counted
        // once, as an event, a line without usage or a rejection.
        let consistent =
            |h: &SourceHealth| h.lines == h.events + h.lines_without_usage + h.rejected_lines();
        assert_eq!((health.lines, health.events), (4, 3));
        assert!(consistent(&health), "{health:?}");
        // Its example is the line, from its start.
        let example = &health.rejected[&RejectReason::InvalidJson].example;
        assert!(example.starts_with(r#"{"tokentop":1,"#), "{example}");
        assert!(example.ends_with(r#","more":1}"#), "{example}");
        // At the end of the input too.
        reader.feed(LINE.as_bytes(), READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        assert!(reader.complete_idle(READ_AT, &mut health, &mut |e| events.push(e)));
        reader.feed(b"x", READ_AT, &mut health, &mut |e| events.push(e));
        reader.finish(READ_AT, &mut health, &mut |e| events.push(e));
        assert_eq!(events.len(), 4);
        assert_eq!(health.rejected[&RejectReason::InvalidJson].count, 2);
        assert_eq!(health.lines, 6);
        assert!(consistent(&health), "{health:?}");
    }

    #[test]
    fn a_line_of_many_records_counts_each_and_its_events_point_at_it() {
        let otlp = include_str!("../../tests/fixtures/otlp_file.jsonl");
        let mut reader = LineReader::new(None, Some(SourceId(7)));
        let mut health = SourceHealth::new("test");
        let mut events = Vec::new();
        // After the fixture's records: 2026-01-01T12:00Z.
        let noon = READ_AT + 12 * 3_600_000;
        let bytes = format!("{LINE}\n{otlp}");
        reader.feed(bytes.as_bytes(), noon, &mut health, &mut |e| events.push(e));
        assert_eq!(events.len(), 6);
        assert_eq!(
            (health.lines, health.events, health.lines_without_usage),
            (13, 6, 2)
        );
        let count = |reason| health.rejected.get(&reason).map(|r| r.count);
        assert_eq!(count(RejectReason::Unsupported), Some(3));
        assert_eq!(count(RejectReason::InvalidJson), Some(1));
        assert_eq!(count(RejectReason::MissingField), Some(1));
        let example = &health.rejected[&RejectReason::MissingField].example;
        assert_eq!(example, "claude_code.api_request");
        assert_eq!(
            health.lines,
            health.events + health.lines_without_usage + health.rejected_lines()
        );
        assert_eq!(health.newest_event, Some(noon), "the record without a time");
        let first = otlp.lines().next().expect("a line");
        let origin = Origin::new(SourceId(7), LINE.len() as u64 + 1, first.as_bytes());
        assert_eq!(events[1].origin, Some(origin));
        assert_eq!(events[2].origin, Some(origin));
        assert_ne!(events[3].origin, Some(origin));
    }

    #[test]
    fn events_are_stamped_with_the_offset_where_their_line_starts() {
        let long = format!("{}\n", "x".repeat(MAX_LINE_BYTES + 1));
        let bytes = format!("{LINE}\n\n{long}{LINE}\r\n{LINE}\n");
        // Whole, and cut so that lines straddle chunks.
        for size in [bytes.len(), 4093] {
            let pieces: Vec<&[u8]> = bytes.as_bytes().chunks(size).collect();
            let (events, _, _) = run(&pieces);
            let origins: Vec<Option<Origin>> = events.iter().map(|e| e.origin).collect();
            let second = LINE.len() + 2 + long.len();
            let want = [
                Origin::new(SourceId(7), 0, LINE.as_bytes()),
                Origin::new(SourceId(7), second as u64, format!("{LINE}\r").as_bytes()),
                Origin::new(
                    SourceId(7),
                    (second + LINE.len() + 2) as u64,
                    LINE.as_bytes(),
                ),
            ];
            assert_eq!(origins, want.map(Some), "chunks of {size}");
            let lines: Vec<Option<u64>> = events.iter().map(|e| e.line).collect();
            assert_eq!(lines, [Some(1), Some(4), Some(5)], "chunks of {size}");
        }
        let mut stdin = LineReader::new(None, None);
        let mut events = Vec::new();
        let mut health = SourceHealth::new("stdin");
        stdin.feed(
            format!("{LINE}\n").as_bytes(),
            READ_AT,
            &mut health,
            &mut |e| events.push(e),
        );
        assert_eq!((events[0].origin, events[0].line), (None, Some(1)));
    }

    /// A scanning reader: a usage line's secret rides on its event, a prompt line (no
    /// usage) becomes a carrier, an OTLP line's record is scanned on its own; each finding
    /// names its line. Health counts lines as before: carriers are no events.
    #[test]
    fn a_scanning_reader_stamps_findings_with_their_line() {
        let token = format!("glpat-{}", "Ab3dE5gH7jK9mN1pQ2sT");
        let usage = LINE.replace(
            r#""identity":"k""#,
            &format!(r#""identity":"k","note":"{token}""#),
        );
        let prompt = format!(
            r#"{{"parentUuid":null,"cwd":"/srv/app","sessionId":"s","type":"user","message":{{"role":"user","content":"deploy with {token}"}},"timestamp":"2026-01-01T00:00:01Z"}}"#
        );
        let otlp = format!(
            r#"{{"resourceLogs":[{{"resource":{{"attributes":[{{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}}]}},"scopeLogs":[{{"logRecords":[{{"timeUnixNano":"1767225600000000000","body":{{"stringValue":"claude_code.user_prompt"}},"attributes":[{{"key":"prompt","value":{{"stringValue":"{token}"}}}}]}}]}}]}}]}}"#
        );
        let scanner = Scanner::new(
            crate::secrets::FingerprintKey::from_bytes([1; 32]),
            crate::secrets::Ignore::default(),
        );
        let mut reader = LineReader::new(None, Some(SourceId(7))).scanning(Some(Arc::new(scanner)));
        let mut health = SourceHealth::new("test");
        let mut events = Vec::new();
        let text = format!("{usage}\n{prompt}\n{LINE}\n{otlp}\n");
        reader.feed(text.as_bytes(), READ_AT, &mut health, &mut |e| {
            events.push(e)
        });
        let seen: Vec<_> = events
            .iter()
            .map(|e| {
                let exposed = e.secrets.as_deref();
                (
                    e.identity.as_str(),
                    e.flags.no_usage,
                    exposed.map(|x| (e.line, x.found[0].secret_type, x.found[0].path.clone())),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "k",
                    false,
                    Some((Some(1), "gitlab_token", "note".to_string()))
                ),
                (
                    "-srv-app",
                    true,
                    Some((Some(2), "gitlab_token", "message.content".to_string()))
                ),
                ("k", false, None),
                (
                    "ada@example.com",
                    true,
                    Some((Some(4), "gitlab_token", "attributes.prompt".to_string()))
                ),
            ]
        );
        assert_eq!(
            (health.lines, health.events, health.lines_without_usage),
            (4, 2, 2)
        );
        assert_eq!(events[3].origin.map(|o| o.source), Some(SourceId(7)));
    }
}
