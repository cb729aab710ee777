//! The cheap test that spares most lines a parse: a line in which no format's marker occurs
//! holds no usage.

use std::sync::LazyLock;

use aho_corasick::packed;

use super::{MAX_LINE_BYTES, Parsed, RejectReason};

/// Byte strings of which at least one is in every line any parser uses: usage objects,
/// the own schema and its wrapper, Codex rollout and `exec` lines, Anthropic stream events,
/// OTLP export requests, Gemini CLI responses and session metadata, Qwen Code responses,
/// Kimi CLI status updates, pi session headers, Copilot CLI spans, logs and session events.
const MARKERS: [&str; 23] = [
    "\"usage\"",
    "\"litellm_call_id\"",
    "\"tokentop",
    "\"payload\"",
    "\"turn.completed\"",
    "\"thread.started\"",
    "\"message_start\"",
    "\"message_delta\"",
    "\"message_stop\"",
    "\"content_block_start\"",
    "\"resourceLogs\"",
    "\"resourceSpans\"",
    "\"resourceMetrics\"",
    "\"gemini\"",
    "\"projectHash\"",
    "\"usageMetadata\"",
    "\"StatusUpdate\"",
    "{\"type\":\"session\"",
    "\"type\":\"span\"",
    "\"spanContext\"",
    "\"session.start\"",
    "\"session.resume\"",
    "\"session.shutdown\"",
];

/// `None` only if the fixed patterns could not be built: then every line is parsed.
/// The packed (SIMD) searcher looks for all of them sixteen bytes at a time; the general
/// matcher fell back to a rare-byte search for this many patterns, which stopped every
/// few bytes of a Claude Code `file-history-snapshot` line (as costly as parsing it).
fn markers() -> Option<&'static packed::Searcher> {
    static MATCHER: LazyLock<Option<packed::Searcher>> =
        LazyLock::new(|| packed::Searcher::new(MARKERS));
    MATCHER.as_ref()
}

/// The outcome of a line that no parser needs to look into, found with one vectorized
/// pass (most bytes of a Claude Code log are such lines: user turns and tool results).
/// Such a line is only checked to be shaped like one JSON object; `None` means "parse it".
pub(super) fn without_markers(line: &[u8]) -> Option<Parsed> {
    let line = line.trim_ascii();
    if line.is_empty() {
        return Some(Parsed::NoUsage);
    }
    if line.len() > MAX_LINE_BYTES {
        return Some(Parsed::Rejected(RejectReason::TooLong));
    }
    if !(line.starts_with(b"{") && line.ends_with(b"}")) {
        return Some(Parsed::Rejected(RejectReason::InvalidJson));
    }
    let has_marker = markers().is_none_or(|m| m.find(line).is_some());
    (!has_marker).then_some(Parsed::NoUsage)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every marker, anywhere in a line (short or long, at either end), sends the line to
    /// be parsed; a line with none is one without usage.
    #[test]
    fn every_marker_is_found_wherever_it_sits() {
        let filler = "x".repeat(300);
        for marker in MARKERS {
            for line in [
                format!("{{{marker}}}"),
                format!("{{\"a\":1,{marker}}}"),
                format!("{{{marker}{filler}}}"),
                format!("{{\"{filler}\":1,{marker}:2}}"),
            ] {
                assert_eq!(without_markers(line.as_bytes()), None, "{line}");
            }
        }
        let plain = format!("{{\"type\":\"file-history-snapshot\",\"f\":\"{filler}\"}}");
        assert_eq!(without_markers(plain.as_bytes()), Some(Parsed::NoUsage));
    }
}
