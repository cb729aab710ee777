//! What the engine benchmarks share: an engine priced by the built-in table, and the
//! synthetic requests they feed it, built in one place so that every bench counts the same
//! kind of event.

use std::sync::Arc;

use tokentop::engine::Engine;
use tokentop::event::{
    Event, Flags, Format, IdentityAttrs, IdentityKind, Kind, TimeMs, Tokens, ToolCall,
};
use tokentop::pricing::PriceTable;

/// The models the synthetic requests take turns on, each priced by the built-in table.
pub const MODELS: [&str; 4] = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5-20250929", "o3"];

/// An engine with the built-in prices and its calendar in UTC.
pub fn engine() -> Engine {
    Engine::new(
        Arc::new(PriceTable::builtin().clone()),
        jiff::tz::TimeZone::UTC,
    )
}

/// A service account's completion in tokentop's own format, final and with no dedup key
/// (a response of its own), priced by the table. Benches change other fields with
/// `Event { field, ..request(...) }`.
pub fn request(
    time: TimeMs,
    identity: String,
    model: &str,
    tokens: Tokens,
    tools: Vec<ToolCall>,
    latency_ms: u64,
) -> Event {
    Event {
        time,
        identity,
        identity_kind: IdentityKind::ServiceAccount,
        attrs: IdentityAttrs::default(),
        format: Format::Tokentop,
        provider: "openai".into(),
        model: model.into(),
        kind: Kind::Completion,
        tokens,
        tools,
        dedup_key: None,
        latency_ms: Some(latency_ms),
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
