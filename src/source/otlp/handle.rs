//! One export request: who sent it, how it is encoded, its body within bounds, its
//! records into events, and the answer the OTLP specification asks for.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use prost::Message;

use super::Clock;
use crate::access::{Token, authorized};
use crate::config::OtlpSettings;
use crate::event::{Kind, TimeMs};
use crate::parse::otlp::{self, Encoding, GateKey, Held, Hold, MetricGate, Series, Signal};
use crate::parse::{Parsed, RejectReason};
use crate::secrets::Scanner;
use crate::source::Feed;
use crate::source::health::SourceHealth;

/// Bodies past this size, decompressed, are refused (413) without being read further.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// What a 503 asks the exporter to wait before retrying, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

pub(super) struct Shared {
    pub tx: SyncSender<Feed>,
    pub clock: Clock,
    pub token: Option<Token>,
    pub settings: OtlpSettings,
    pub scanner: Option<Arc<Scanner>>,
    pub health: Mutex<SourceHealth>,
    pub metrics: Mutex<Metrics>,
    /// Told when the engine's channel closes: the server then stops.
    pub closed: tokio::sync::Notify,
}

/// What metric points need across requests: the cumulative series, and the gate that
/// holds points back while their sessions may still send events.
pub(super) struct Metrics {
    pub series: Series,
    pub gate: MetricGate,
}

impl Shared {
    pub fn health(&self) -> SourceHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut SourceHealth)) {
        if let Ok(mut health) = self.health.lock() {
            f(&mut health);
        }
    }

    /// Counts a request refused whole, and says why among the sources.
    fn refuse(&self, reason: RejectReason, why: &str) {
        self.update(|h| {
            h.reject(reason, why.as_bytes());
            h.last_error = Some(why.to_string());
        });
        self.report();
    }

    /// Sends the health; a full channel skips it (the next request sends it again).
    fn report(&self) {
        if let Err(TrySendError::Disconnected(_)) =
            self.tx.try_send(Feed::Health(vec![self.health()]))
        {
            self.closed.notify_one();
        }
    }
}

pub(super) async fn export(shared: &Shared, signal: Signal, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(token) = &shared.token {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if !authorized(given, token) {
            return plain(
                StatusCode::UNAUTHORIZED,
                "a bearer token is required: send Authorization: Bearer <token>",
            );
        }
    }
    let encoding = match encoding_of(&parts.headers) {
        Ok(encoding) => encoding,
        Err(why) => return plain(StatusCode::UNSUPPORTED_MEDIA_TYPE, &why),
    };
    let body = match read_body(&parts.headers, body).await {
        Ok(body) => body,
        Err((status, why)) => {
            let reason = if status == StatusCode::PAYLOAD_TOO_LARGE {
                RejectReason::TooLong
            } else {
                RejectReason::InvalidBody
            };
            shared.refuse(reason, &why);
            return status_reply(status, encoding, &why);
        }
    };
    let mut batch = match otlp::decode(signal, encoding, &body) {
        Ok(batch) => batch,
        Err(e) => {
            let why = e.to_string();
            shared.refuse(RejectReason::InvalidBody, &why);
            return status_reply(StatusCode::BAD_REQUEST, encoding, &why);
        }
    };
    let now = (shared.clock)();
    let mut rejected: BTreeMap<RejectReason, u64> = BTreeMap::new();
    let mut examples: Vec<(RejectReason, String)> = batch
        .unreadable_points
        .iter()
        .map(|(reason, name)| (*reason, name.clone()))
        .collect();
    if batch.malformed > 0 {
        rejected.insert(RejectReason::InvalidField, batch.malformed);
    }
    let mut events = Vec::new();
    let mut carriers = Vec::new();
    let mut uncached = Vec::new();
    let mut without_usage = batch.other_points;
    let parts = batch.parts();
    let released = {
        let Ok(mut metrics) = shared.metrics.lock() else {
            return busy(encoding);
        };
        if !batch.points.is_empty() && metrics.gate.is_full() {
            return busy(encoding);
        }
        let scanner = shared.scanner.as_deref();
        let outcomes = otlp::outcomes(&batch, now, &shared.settings.identity, scanner);
        for (record, o) in batch.records.iter().zip(outcomes) {
            if o.uncached_input {
                uncached.push(o.name.clone());
            }
            carriers.extend(o.carrier);
            match o.parsed {
                Parsed::Event(mut e) => {
                    let key = GateKey::of(&e, &record.resource);
                    // A session counted from its metrics keeps only the events' tool calls.
                    if metrics.gate.event(&key, now) || e.kind == Kind::Tool {
                        events.push(*e);
                    } else {
                        without_usage += 1;
                        // Its usage is counted from the points; what it exposed is not.
                        if e.secrets.is_some() {
                            e.flags.no_usage = true;
                            carriers.push(*e);
                        }
                    }
                }
                // A record is never many records.
                Parsed::NoUsage | Parsed::Records(_) => without_usage += 1,
                Parsed::Rejected(reason) => examples.push((reason, o.name)),
            }
        }
        let points = std::mem::take(&mut batch.points);
        let metric_events = metric_events(&mut metrics, points, now, &shared.settings);
        without_usage += metric_events.empty;
        examples.extend(metric_events.rejected);
        let mut released = metric_events.now;
        released.extend(metrics.gate.release(now));
        released
    };
    for (reason, _) in &examples {
        *rejected.entry(*reason).or_default() += 1;
    }
    let record_events = events.len();
    let mut metric_count: u64 = released.iter().map(|h| h.points).sum();
    events.extend(released.iter().map(|h| h.event.clone()));
    // Counted as records without usage above; like events, they make a retry worth it.
    let carried = carriers.len();
    events.extend(carriers);
    if !events.is_empty()
        && let Err(e) = shared.tx.try_send(Feed::Events(events))
    {
        put_back(shared, released);
        if let TrySendError::Disconnected(_) = e {
            shared.closed.notify_one();
        }
        if record_events + carried > 0 {
            return busy(encoding);
        }
        // Only metric points: they wait in the gate, and this request is taken.
        metric_count = 0;
    }
    // Taken once the request is: a 503 above leaves them for the retry's count.
    without_usage += shared
        .metrics
        .lock()
        .map_or(0, |mut m| m.gate.take_dropped());
    shared.update(|h| {
        h.bytes += body.len() as u64;
        h.lines += parts;
        h.events += record_events as u64 + metric_count;
        h.lines_without_usage += without_usage;
        for (reason, name) in &examples {
            h.reject(*reason, name.as_bytes());
        }
        reject_many(
            h,
            RejectReason::InvalidField,
            &format!("{signal:?} parts"),
            batch.malformed,
        );
        for name in &uncached {
            h.reject(RejectReason::InputBelowCache, name.as_bytes());
        }
        h.last_error = None;
    });
    shared.report();
    success(signal, encoding, &rejected)
}

/// Points into events: held by the gate, or counted now for sessions counted from metrics.
struct MetricEvents {
    now: Vec<Held>,
    empty: u64,
    rejected: Vec<(RejectReason, String)>,
}

fn metric_events(
    metrics: &mut Metrics,
    points: Vec<otlp::Point>,
    now: TimeMs,
    settings: &OtlpSettings,
) -> MetricEvents {
    let mut rejected = Vec::new();
    let mut grown = Vec::with_capacity(points.len());
    for point in points {
        match metrics
            .series
            .growth(&point, now, settings.metric_interval_ms)
        {
            Ok(growth) => grown.push((point, growth)),
            Err(reason) => rejected.push((reason, point.measure.name().to_string())),
        }
    }
    let grouped = otlp::group(&grown, &settings.identity, now);
    rejected.extend(grouped.rejected);
    let mut counted_now = Vec::new();
    for held in grouped.events {
        if let Hold::Now(held) = metrics.gate.hold(held, now) {
            counted_now.push(*held);
        }
    }
    MetricEvents {
        now: counted_now,
        empty: grouped.empty,
        rejected,
    }
}

/// Released points that could not be sent: they go first next time.
fn put_back(shared: &Shared, held: Vec<Held>) {
    if held.is_empty() {
        return;
    }
    if let Ok(mut metrics) = shared.metrics.lock() {
        metrics.gate.put_back(held);
    }
}

/// Sends the metric points whose wait ended (the receiver's timer calls this each second,
/// so a point counts even when nothing else arrives).
pub(super) fn release_due(shared: &Shared) {
    let now = (shared.clock)();
    let due = match shared.metrics.lock() {
        Ok(mut metrics) => {
            metrics.series.forget(now);
            metrics.gate.release(now)
        }
        Err(_) => return,
    };
    if due.is_empty() {
        return;
    }
    let count: u64 = due.iter().map(|h| h.points).sum();
    let events = due.iter().map(|h| h.event.clone()).collect();
    match shared.tx.try_send(Feed::Events(events)) {
        Ok(()) => {
            shared.update(|h| h.events += count);
            shared.report();
        }
        Err(e) => {
            put_back(shared, due);
            if let TrySendError::Disconnected(_) = e {
                shared.closed.notify_one();
            }
        }
    }
}

/// Counts `n` rejections of one reason with one example.
fn reject_many(health: &mut SourceHealth, reason: RejectReason, example: &str, n: u64) {
    if n > 0 {
        health.reject(reason, example.as_bytes());
        if let Some(entry) = health.rejected.get_mut(&reason) {
            entry.count += n - 1;
        }
    }
}

/// The encoding named by `Content-Type`; anything else is answered 415.
fn encoding_of(headers: &HeaderMap) -> Result<Encoding, String> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = value.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Ok(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Ok(Encoding::Json)
    } else {
        Err(format!(
            "Content-Type {:?} is not OTLP: send application/x-protobuf or application/json",
            crate::sanitize::sanitize(value, 80)
        ))
    }
}

/// What is read and thrown away of a body refused for its declared length.
const DISCARD_BYTES: usize = 4 * MAX_BODY_BYTES;

/// Reads what is left of a refused body and throws it away, up to [`DISCARD_BYTES`], so
/// that a client still sending it reads the 413 rather than a reset connection. Nothing is
/// held: each chunk is dropped as it comes.
async fn discard(body: Body) {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut seen = 0;
    while let Some(Ok(chunk)) = stream.next().await {
        seen += chunk.len();
        if seen > DISCARD_BYTES {
            break;
        }
    }
}

/// The body, gunzipped when it says so, never past [`MAX_BODY_BYTES`] read or held.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, (StatusCode, String)> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the body is over {} MiB: send smaller batches",
                MAX_BODY_BYTES >> 20
            ),
        )
    };
    let declared: Option<u64> = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        discard(body).await;
        return Err(too_large());
    }
    // With a declared length within the bound, a failed read is a body cut short.
    let raw = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| match declared {
            Some(_) => (
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            ),
            None => too_large(),
        })?;
    let coding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim();
    if coding.eq_ignore_ascii_case("identity") || coding.is_empty() {
        return Ok(raw.to_vec());
    }
    if !coding.eq_ignore_ascii_case("gzip") {
        return Err((
            StatusCode::BAD_REQUEST,
            format!("Content-Encoding {coding:?} is not supported: send gzip or no encoding"),
        ));
    }
    let mut out = Vec::new();
    let limit = MAX_BODY_BYTES as u64 + 1;
    flate2::read::MultiGzDecoder::new(&raw[..])
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("the gzip body is corrupt: {e}"),
            )
        })?;
    if out.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    Ok(out)
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = Response::new(Body::from(text.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn encoded(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let media = match encoding {
        Encoding::Protobuf => "application/x-protobuf",
        Encoding::Json => "application/json",
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    response
}

/// `google.rpc.Status`, the body of an OTLP error answer.
#[derive(Clone, PartialEq, prost::Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn status_reply(status: StatusCode, encoding: Encoding, why: &str) -> Response {
    // gRPC codes: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE.
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        _ => 3,
    };
    let body = match encoding {
        Encoding::Protobuf => Status {
            code,
            message: why.to_string(),
        }
        .encode_to_vec(),
        Encoding::Json => serde_json::json!({ "code": code, "message": why })
            .to_string()
            .into_bytes(),
    };
    encoded(status, encoding, body)
}

/// The engine cannot take more now: the exporter retries after `Retry-After`.
fn busy(encoding: Encoding) -> Response {
    let mut response = status_reply(
        StatusCode::SERVICE_UNAVAILABLE,
        encoding,
        "tokentop is not keeping up: retry after the Retry-After delay",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

/// 200 with `partial_success` when records were rejected, in the request's encoding.
fn success(signal: Signal, encoding: Encoding, rejected: &BTreeMap<RejectReason, u64>) -> Response {
    use opentelemetry_proto::tonic::collector::{logs, metrics, trace};
    let count: u64 = rejected.values().sum();
    let message = rejected
        .iter()
        .map(|(reason, n)| format!("{n} {}", reason.label()))
        .collect::<Vec<_>>()
        .join(", ");
    let count_i64 = i64::try_from(count).unwrap_or(i64::MAX);
    let body = match encoding {
        Encoding::Protobuf if count == 0 => Vec::new(),
        Encoding::Protobuf => match signal {
            Signal::Logs => logs::v1::ExportLogsServiceResponse {
                partial_success: Some(logs::v1::ExportLogsPartialSuccess {
                    rejected_log_records: count_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            Signal::Traces => trace::v1::ExportTraceServiceResponse {
                partial_success: Some(trace::v1::ExportTracePartialSuccess {
                    rejected_spans: count_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            Signal::Metrics => metrics::v1::ExportMetricsServiceResponse {
                partial_success: Some(metrics::v1::ExportMetricsPartialSuccess {
                    rejected_data_points: count_i64,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
        },
        Encoding::Json if count == 0 => b"{}".to_vec(),
        Encoding::Json => {
            let key = match signal {
                Signal::Logs => "rejectedLogRecords",
                Signal::Traces => "rejectedSpans",
                Signal::Metrics => "rejectedDataPoints",
            };
            serde_json::json!({
                "partialSuccess": { key: count.to_string(), "errorMessage": message }
            })
            .to_string()
            .into_bytes()
        }
    };
    encoded(StatusCode::OK, encoding, body)
}
