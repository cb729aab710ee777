//! Parsers: pure functions from one log line to a normalized [`Event`], one module per
//! format, chosen per line by [`parse_line`]. A line that cannot be used is counted under a
//! [`RejectReason`], never a panic.

pub mod claude_code;
pub mod tokentop;

use serde::Serialize;

use crate::event::{Event, TimeMs};

/// Lines longer than this are skipped (and counted) without being held in memory whole.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What the source knows about a line besides its bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct LineContext<'a> {
    /// The Claude Code project folder (`projects/<this>/...`) the file lives in, if any.
    pub project_dir: Option<&'a str>,
    /// When the line was read: the time given to records that carry none (and flagged so).
    pub read_time: TimeMs,
}

/// Parses the lines of one file in order. Formats whose lines depend on earlier lines of
/// the same file keep that memory here; one parser per file, never shared.
#[derive(Debug, Default)]
pub struct LineParser {}

impl LineParser {
    pub fn parse(&mut self, line: &[u8], ctx: &LineContext) -> Parsed {
        parse_line(line, ctx)
    }
}

/// Why a line was not turned into an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Control bytes (NUL and the like) that JSON text never contains.
    Binary,
    InvalidUtf8,
    /// Not a complete JSON object: malformed or cut short.
    InvalidJson,
    /// Longer than [`MAX_LINE_BYTES`].
    TooLong,
    /// A recognized record without a field it needs (time, model, identity).
    MissingField,
    /// A recognized record with a field of the wrong type or an impossible value.
    InvalidField,
    /// An own-schema line of a version this build does not know.
    UnsupportedVersion,
}

impl RejectReason {
    pub fn label(self) -> &'static str {
        match self {
            RejectReason::Binary => "binary",
            RejectReason::InvalidUtf8 => "invalid_utf8",
            RejectReason::InvalidJson => "invalid_json",
            RejectReason::TooLong => "too_long",
            RejectReason::MissingField => "missing_field",
            RejectReason::InvalidField => "invalid_field",
            RejectReason::UnsupportedVersion => "unsupported_version",
        }
    }
}

/// The outcome of one line.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Event(Box<Event>),
    /// A well-formed line that carries no usage (user turns, summaries, blank lines...).
    NoUsage,
    Rejected(RejectReason),
}

/// Detects the line's format and parses it.
///
/// Cheap byte tests come first so that the many lines without usage (Claude Code user
/// turns and tool results are most of the bytes) are never JSON-parsed: such a line is only
/// checked to look like one whole JSON object, which catches truncation.
pub fn parse_line(line: &[u8], ctx: &LineContext) -> Parsed {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Parsed::NoUsage;
    }
    if line.len() > MAX_LINE_BYTES {
        return Parsed::Rejected(RejectReason::TooLong);
    }
    if line.iter().any(|&b| b < 0x20 && b != b'\t') {
        return Parsed::Rejected(RejectReason::Binary);
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return Parsed::Rejected(RejectReason::InvalidUtf8);
    };
    if !(text.starts_with('{') && text.ends_with('}')) {
        return Parsed::Rejected(RejectReason::InvalidJson);
    }
    if text.contains("\"tokentop\"") {
        return tokentop::parse(text);
    }
    if text.contains("\"usage\"") {
        return claude_code::parse(text, ctx);
    }
    Parsed::NoUsage
}

/// Maps a serde error to the reason a person can act on.
pub(crate) fn reason_of(err: &serde_json::Error) -> RejectReason {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof | Category::Io => RejectReason::InvalidJson,
        Category::Data if err.to_string().starts_with("missing field") => {
            RejectReason::MissingField
        }
        Category::Data => RejectReason::InvalidField,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(line: &[u8]) -> Option<RejectReason> {
        match parse_line(line, &LineContext::default()) {
            Parsed::Rejected(r) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn bad_bytes_are_classified() {
        assert_eq!(reason(b"\x00\x01\x02binary"), Some(RejectReason::Binary));
        assert_eq!(
            reason(b"{\"type\":\"user\",\"x\":\"\xff\xfe\"}"),
            Some(RejectReason::InvalidUtf8)
        );
        assert_eq!(
            reason(b"{\"type\":\"assistant\",\"message\":{\"usage\":{"),
            Some(RejectReason::InvalidJson)
        );
        assert_eq!(reason(b"not json at all"), Some(RejectReason::InvalidJson));
        assert_eq!(reason(b"   \r"), None);
        assert_eq!(reason(b"{\"type\":\"summary\",\"summary\":\"x\"}"), None);
    }

    #[test]
    fn over_long_lines_are_rejected() {
        let mut line = b"{\"usage\":\"".to_vec();
        line.resize(MAX_LINE_BYTES + 10, b'a');
        line.extend_from_slice(b"\"}");
        assert_eq!(reason(&line), Some(RejectReason::TooLong));
    }
}
