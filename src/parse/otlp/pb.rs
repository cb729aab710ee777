//! Protobuf bodies, through the prost messages of `opentelemetry-proto`.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::{Metric, number_data_point};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::value::{Value, hex};
use super::{Attrs, Batch, BodyError, Measure, Point, Record, Signal, Temporality};
use crate::parse::RejectReason;

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
            for rm in request.resource_metrics {
                let resource = resource_attrs(rm.resource);
                for metric in rm.scope_metrics.into_iter().flat_map(|s| s.metrics) {
                    metric_points(metric, &resource, &mut batch);
                }
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

/// The points of one metric: usage points into `batch.points`, the rest counted.
fn metric_points(metric: Metric, resource: &Attrs, batch: &mut Batch) {
    let Some(measure) = Measure::of(&metric.name) else {
        batch.other_points += match metric.data {
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
            None => 0,
        } as u64;
        return;
    };
    let name = || metric.name.clone();
    let mut unreadable = |reason: RejectReason, n: usize| {
        batch
            .unreadable_points
            .extend(std::iter::repeat_n((reason, name()), n));
    };
    let point = |temporality, start_ns, time_ns, value, attributes| Point {
        measure,
        temporality,
        start_ns,
        time_ns,
        value,
        attrs: attrs(attributes),
        resource: resource.clone(),
    };
    match metric.data {
        Some(Data::Sum(sum)) => {
            let Some(temporality) = Temporality::of(sum.aggregation_temporality) else {
                return unreadable(RejectReason::InvalidField, sum.data_points.len());
            };
            for p in sum.data_points {
                let value = match p.value {
                    Some(number_data_point::Value::AsInt(i)) => Value::Int(i),
                    Some(number_data_point::Value::AsDouble(d)) => Value::Double(d),
                    None => Value::Other,
                };
                let point = point(
                    temporality,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    value,
                    p.attributes,
                );
                batch.points.push(point);
            }
        }
        Some(Data::Histogram(h)) => {
            let Some(temporality) = Temporality::of(h.aggregation_temporality) else {
                return unreadable(RejectReason::InvalidField, h.data_points.len());
            };
            for p in h.data_points {
                let Some(sum) = p.sum else {
                    unreadable(RejectReason::MissingField, 1);
                    continue;
                };
                let point = point(
                    temporality,
                    p.start_time_unix_nano,
                    p.time_unix_nano,
                    Value::Double(sum),
                    p.attributes,
                );
                batch.points.push(point);
            }
        }
        Some(Data::Gauge(g)) => unreadable(RejectReason::Unsupported, g.data_points.len()),
        Some(Data::ExponentialHistogram(h)) => {
            unreadable(RejectReason::Unsupported, h.data_points.len())
        }
        Some(Data::Summary(s)) => unreadable(RejectReason::Unsupported, s.data_points.len()),
        None => {}
    }
}
