//! What the engine counts, change by change, for an exporter that keeps its own counters
//! since start (`tokentop serve`): the snapshot's sums can go down when a larger copy of a
//! response moves under another identity, and the rolling histograms forget; Prometheus
//! counters must do neither. Kept only when asked for, and drained by the caller.

use super::hist::RequestSize;
use super::usage::Usage;

/// One change to what is counted.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A request's usage added to (or, for a copy replaced by a larger one, taken out of)
    /// an identity and model. Tool calls are not in it: see [`Entry::ToolCall`].
    Usage {
        add: bool,
        identity: String,
        model: String,
        usage: Usage,
    },
    /// One tool call, counted once per call id, added or (a call that moved to the
    /// telemetry's identity) taken out.
    ToolCall {
        add: bool,
        identity: String,
        tool: String,
        mcp_server: Option<String>,
    },
    /// A finished request's sizes, once per response.
    Request { identity: String, size: RequestSize },
}
