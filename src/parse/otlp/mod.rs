//! OTLP (OpenTelemetry) logs, traces and metrics: pure decoders from a request body,
//! protobuf or JSON, into one record shape ([`Record`]) or metric point ([`Point`]), then
//! into events ([`events`], [`metrics`]), metric points held back by the [`gate`]; a line
//! of OTLP JSON lines (the Collector's `file` exporter) goes the same way ([`json_line`]).
//! Both encodings are decoded by hand into the same records so that JSON never loses what
//! protobuf keeps (numbers as `intValue`, `doubleValue` or numeric strings; ids as hex).
//! Nothing here reads a clock or a socket: the time a body was received comes in as an
//! argument.

mod events;
mod gate;
mod json;
mod line;
mod metrics;
mod pb;
mod value;

use std::sync::Arc;

pub use self::events::{DEFAULT_IDENTITY, Outcome, outcomes};
pub use self::gate::{GateKey, Held, Hold, MAX_PENDING, MetricGate};
pub use self::line::{json_line, starts_as_line};
pub use self::metrics::{Grouped, Measure, Point, Series, Temporality, group};
pub use self::value::Value;
use crate::event::TimeMs;
use crate::parse::RejectReason;

/// The OTLP signal a request carries, named by its path (`/v1/logs`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Logs,
    Traces,
    Metrics,
}

/// How a body is encoded, named by its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// A body that is not an export request at all: answered 400, counted in source health.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is not an OTLP protobuf export request: {0}")]
    Protobuf(String),
    #[error("the body is not OTLP JSON: {0}")]
    Json(String),
}

/// One attribute list, shared by every record of a resource.
pub type Attrs = Arc<[(String, Value)]>;

/// One log record or span, whatever the encoding it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub signal: Signal,
    /// Log: `eventName`, else the body when it is a string. Span: its name.
    pub name: String,
    /// Nanoseconds since the epoch; 0 when absent. Log: its time, else its observed time;
    /// span: its end.
    pub time_ns: u64,
    /// Span only: its start (0 for logs).
    pub start_ns: u64,
    /// Lowercase hex (empty when absent).
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub attrs: Vec<(String, Value)>,
    pub resource: Attrs,
}

/// What a body held: its records, and how many parts could not be read as records (a
/// record of the wrong shape in JSON), counted as rejected.
#[derive(Debug, Default, PartialEq)]
pub struct Batch {
    pub records: Vec<Record>,
    pub malformed: u64,
    /// Data points of the usage metrics ([`Measure`]).
    pub points: Vec<Point>,
    /// Data points of a usage metric that cannot be read as usage (a gauge, a histogram
    /// without its sum, no temporality), with the metric's name.
    pub unreadable_points: Vec<(RejectReason, String)>,
    /// Data points of other metrics (sessions, lines of code): no usage in them.
    pub other_points: u64,
}

impl Batch {
    /// Every part of the body: records, metric points, and parts of the wrong shape.
    pub fn parts(&self) -> u64 {
        (self.records.len() + self.points.len() + self.unreadable_points.len()) as u64
            + self.malformed
            + self.other_points
    }
}

/// Decodes one export request body of `signal` in `encoding`.
pub fn decode(signal: Signal, encoding: Encoding, body: &[u8]) -> Result<Batch, BodyError> {
    match encoding {
        Encoding::Protobuf => pb::decode(signal, body),
        Encoding::Json => json::decode(signal, body),
    }
}

/// Milliseconds of a nanosecond time, `None` for 0 (absent) or past the range.
pub(crate) fn millis_of(ns: u64) -> Option<TimeMs> {
    (ns != 0)
        .then(|| TimeMs::try_from(ns / 1_000_000).ok())
        .flatten()
}

#[cfg(test)]
mod metrics_tests;
#[cfg(test)]
mod tests;
