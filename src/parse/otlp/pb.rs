//! Protobuf bodies, through the prost messages of `opentelemetry-proto`.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::value::{Value, hex};
use super::{Attrs, Batch, BodyError, Record, Signal};

pub(super) fn decode(signal: Signal, body: &[u8]) -> Result<Batch, BodyError> {
    let bad = |e: prost::DecodeError| BodyError::Protobuf(e.to_string());
    let mut batch = Batch::default();
    match signal {
        Signal::Logs => {
            let request = ExportLogsServiceRequest::decode(body).map_err(bad)?;
            for rl in request.resource_logs {
                let resource = resource_attrs(rl.resource);
                for log in rl.scope_logs.into_iter().flat_map(|s| s.log_records) {
                    let name = if log.event_name.is_empty() {
                        match log.body.and_then(|b| b.value) {
                            Some(any_value::Value::StringValue(s)) => s,
                            _ => String::new(),
                        }
                    } else {
                        log.event_name
                    };
                    let time_ns = if log.time_unix_nano != 0 {
                        log.time_unix_nano
                    } else {
                        log.observed_time_unix_nano
                    };
                    batch.records.push(Record {
                        signal,
                        name,
                        time_ns,
                        start_ns: 0,
                        trace_id: hex(&log.trace_id),
                        span_id: hex(&log.span_id),
                        parent_span_id: String::new(),
                        attrs: attrs(log.attributes),
                        resource: resource.clone(),
                    });
                }
            }
        }
        Signal::Traces => {
            let request = ExportTraceServiceRequest::decode(body).map_err(bad)?;
            for rs in request.resource_spans {
                let resource = resource_attrs(rs.resource);
                for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
                    batch.records.push(Record {
                        signal,
                        name: span.name,
                        time_ns: span.end_time_unix_nano,
                        start_ns: span.start_time_unix_nano,
                        trace_id: hex(&span.trace_id),
                        span_id: hex(&span.span_id),
                        parent_span_id: hex(&span.parent_span_id),
                        attrs: attrs(span.attributes),
                        resource: resource.clone(),
                    });
                }
            }
        }
        Signal::Metrics => {
            let request = ExportMetricsServiceRequest::decode(body).map_err(bad)?;
            let metrics = request
                .resource_metrics
                .into_iter()
                .flat_map(|r| r.scope_metrics)
                .flat_map(|s| s.metrics);
            for metric in metrics {
                let points = match metric.data {
                    Some(Data::Gauge(g)) => g.data_points.len(),
                    Some(Data::Sum(s)) => s.data_points.len(),
                    Some(Data::Histogram(h)) => h.data_points.len(),
                    Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
                    Some(Data::Summary(s)) => s.data_points.len(),
                    None => 0,
                };
                batch.data_points += points as u64;
            }
        }
    }
    Ok(batch)
}

fn resource_attrs(resource: Option<Resource>) -> Attrs {
    Arc::from(resource.map(|r| attrs(r.attributes)).unwrap_or_default())
}

fn attrs(list: Vec<KeyValue>) -> Vec<(String, Value)> {
    list.into_iter()
        .map(|kv| (kv.key, value(kv.value)))
        .collect()
}

fn value(any: Option<AnyValue>) -> Value {
    match any.and_then(|a| a.value) {
        Some(any_value::Value::StringValue(s)) => Value::Str(s),
        Some(any_value::Value::IntValue(i)) => Value::Int(i),
        Some(any_value::Value::DoubleValue(d)) => Value::Double(d),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(b),
        Some(_) | None => Value::Other,
    }
}
