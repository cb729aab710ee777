//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokentop::engine::{Engine, Snapshot};
use tokentop::event::{
    Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
};
use tokentop::pricing::PriceTable;
use tokentop::report::read_all;
use tokentop::source::discover::SourceSpec;
use tokentop::source::health::SourceHealth;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// 2026-01-01T12:00:00Z: "now" in the scenario and view tests.
pub const NOON: TimeMs = 1_767_268_800_000;
pub const MIN: TimeMs = 60_000;

pub fn engine() -> Engine {
    Engine::new(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    )
}

/// A priced completion (gpt-4o-mini) for `identity` at `time`.
pub fn event(identity: &str, time: TimeMs, input: u64, output: u64) -> Event {
    Event {
        time,
        identity: identity.to_string(),
        identity_kind: IdentityKind::ServiceAccount,
        attrs: IdentityAttrs::default(),
        format: Format::Tokentop,
        provider: "openai".into(),
        model: "gpt-4o-mini".into(),
        kind: Kind::Completion,
        tokens: Tokens {
            input,
            output,
            ..Tokens::default()
        },
        tools: Vec::new(),
        dedup_key: None,
        latency_ms: None,
        record_cost_usd: None,
        cumulative: None,
        origin: None,
        line: None,
        secrets: None,
        flags: Flags {
            final_copy: true,
            ..Flags::default()
        },
    }
}

/// A copy of one Claude Code response: `key` shared, `output` growing, `tool` on this copy.
pub fn copy(
    identity: &str,
    time: TimeMs,
    key: &str,
    output: u64,
    tool: Option<&str>,
    last: bool,
) -> Event {
    let mut e = event(identity, time, 10, output);
    e.format = Format::ClaudeCode;
    e.provider = "anthropic".into();
    e.model = "claude-sonnet-4-20250514".into();
    e.tokens.cache_read = 1000;
    e.dedup_key = Some(key.into());
    e.tools = tool
        .map(|id| vec![ToolCall::new(Some(id.to_string()), "Bash".into())])
        .unwrap_or_default();
    e.flags.final_copy = last;
    e
}

/// The events a scanning reader makes of `text` (whole lines), as a file of Claude Code
/// project `project` would give them: secrets found, carriers for lines without usage.
pub fn scanned(text: &str, project: Option<&str>, read_time: TimeMs) -> Vec<Event> {
    let scanner = tokentop::secrets::Scanner::new(
        tokentop::secrets::FingerprintKey::from_bytes([8; 32]),
        tokentop::secrets::Ignore::default(),
    );
    let mut reader = tokentop::source::lines::LineReader::new(project.map(str::to_string), None)
        .scanning(Some(Arc::new(scanner)));
    let mut health = tokentop::source::health::SourceHealth::new("test");
    let mut events = Vec::new();
    reader.feed(text.as_bytes(), read_time, &mut health, &mut |e| {
        events.push(e)
    });
    reader.finish(read_time, &mut health, &mut |e| events.push(e));
    events
}

/// Reads `paths` as one report run would, every line accounted for.
pub fn read_paths(paths: &[&Path]) -> (Engine, Snapshot, Vec<SourceHealth>) {
    let specs = paths
        .iter()
        .map(|p| SourceSpec::parse(&p.to_string_lossy()))
        .collect();
    let (engine, health) = read_all(
        specs,
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
        (None, None),
        NOON,
    );
    for h in &health {
        assert_eq!(
            h.lines,
            h.events + h.lines_without_usage + h.rejected_lines(),
            "every line is accounted for"
        );
    }
    let snapshot = engine.snapshot(None);
    (engine, snapshot, health)
}
