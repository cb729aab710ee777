//! OTLP JSON bodies (the proto3 JSON mapping with OTLP's changes: lowerCamelCase keys,
//! ids as hex, 64-bit integers as strings or numbers), read from `serde_json::Value` by
//! hand. A part of the wrong shape is skipped and counted, never a panic or a silent loss.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::value::Value;
use super::{Attrs, Batch, BodyError, Measure, Point, Record, Signal, Temporality};
use crate::parse::RejectReason;

pub(super) fn decode(signal: Signal, body: &[u8]) -> Result<Batch, BodyError> {
    let root: Json = serde_json::from_slice(body).map_err(|e| BodyError::Json(e.to_string()))?;
    let Json::Object(root) = root else {
        return Err(BodyError::Json(
            "expected an object with resourceLogs, resourceSpans or resourceMetrics".into(),
        ));
    };
    let (outer, inner, items) = match signal {
        Signal::Logs => ("resourceLogs", "scopeLogs", "logRecords"),
        Signal::Traces => ("resourceSpans", "scopeSpans", "spans"),
        Signal::Metrics => ("resourceMetrics", "scopeMetrics", "metrics"),
    };
    let mut batch = Batch::default();
    for resource in list(&root, outer, &mut batch.malformed) {
        let Json::Object(resource) = resource else {
            batch.malformed += 1;
            continue;
        };
        let attrs: Attrs = match resource.get("resource") {
            Some(Json::Object(r)) => Arc::from(attributes(r)),
            _ => Arc::from(Vec::new()),
        };
        for scope in list(resource, inner, &mut batch.malformed) {
            let Json::Object(scope) = scope else {
                batch.malformed += 1;
                continue;
            };
            for item in list(scope, items, &mut batch.malformed) {
                let Json::Object(item) = item else {
                    batch.malformed += 1;
                    continue;
                };
                match signal {
                    Signal::Logs => batch.records.push(log(item, &attrs)),
                    Signal::Traces => batch.records.push(span(item, &attrs)),
                    Signal::Metrics => metric_points(item, &attrs, &mut batch),
                }
            }
        }
    }
    Ok(batch)
}

/// The array under `key` (absent: empty; another type: counted as one malformed part).
fn list<'a>(object: &'a Map<String, Json>, key: &str, malformed: &mut u64) -> &'a [Json] {
    match object.get(key) {
        Some(Json::Array(items)) => items,
        None | Some(Json::Null) => &[],
        Some(_) => {
            *malformed += 1;
            &[]
        }
    }
}

fn log(item: &Map<String, Json>, resource: &Attrs) -> Record {
    let name = match (item.get("eventName"), item.get("body")) {
        (Some(Json::String(s)), _) if !s.is_empty() => s.clone(),
        (_, Some(Json::Object(body))) => match body.get("stringValue") {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let time = nanos(item.get("timeUnixNano"));
    Record {
        signal: Signal::Logs,
        name,
        time_ns: if time != 0 {
            time
        } else {
            nanos(item.get("observedTimeUnixNano"))
        },
        start_ns: 0,
        trace_id: id(item.get("traceId")),
        span_id: id(item.get("spanId")),
        parent_span_id: String::new(),
        attrs: attributes(item),
        resource: resource.clone(),
    }
}

fn span(item: &Map<String, Json>, resource: &Attrs) -> Record {
    Record {
        signal: Signal::Traces,
        name: match item.get("name") {
            Some(Json::String(s)) => s.clone(),
            _ => String::new(),
        },
        time_ns: nanos(item.get("endTimeUnixNano")),
        start_ns: nanos(item.get("startTimeUnixNano")),
        trace_id: id(item.get("traceId")),
        span_id: id(item.get("spanId")),
        parent_span_id: id(item.get("parentSpanId")),
        attrs: attributes(item),
        resource: resource.clone(),
    }
}

/// The points of one metric: usage points into `batch.points`, the rest counted.
fn metric_points(metric: &Map<String, Json>, resource: &Attrs, batch: &mut Batch) {
    const KINDS: [&str; 5] = [
        "sum",
        "histogram",
        "gauge",
        "exponentialHistogram",
        "summary",
    ];
    let Some((kind, data)) = KINDS
        .iter()
        .find_map(|k| Some((*k, metric.get(*k)?.as_object()?)))
    else {
        return;
    };
    let points = match data.get("dataPoints") {
        Some(Json::Array(points)) => points.as_slice(),
        _ => &[],
    };
    let name = metric.get("name").and_then(Json::as_str).unwrap_or("");
    let Some(measure) = Measure::of(name) else {
        batch.other_points += points.len() as u64;
        return;
    };
    let mut unreadable = |reason: RejectReason, n: usize| {
        batch
            .unreadable_points
            .extend(std::iter::repeat_n((reason, name.to_string()), n));
    };
    if kind != "sum" && kind != "histogram" {
        return unreadable(RejectReason::Unsupported, points.len());
    }
    let Some(temporality) = temporality(data.get("aggregationTemporality")) else {
        return unreadable(RejectReason::InvalidField, points.len());
    };
    for p in points {
        let Json::Object(p) = p else {
            batch.malformed += 1;
            continue;
        };
        let value = if kind == "sum" {
            number(p.get("asInt").or_else(|| p.get("asDouble")))
        } else {
            match p.get("sum") {
                Some(sum) => number(Some(sum)),
                None => {
                    unreadable(RejectReason::MissingField, 1);
                    continue;
                }
            }
        };
        batch.points.push(Point {
            measure,
            temporality,
            start_ns: nanos(p.get("startTimeUnixNano")),
            time_ns: nanos(p.get("timeUnixNano")),
            value,
            attrs: attributes(p),
            resource: resource.clone(),
        });
    }
}

/// `aggregationTemporality`: its number or its enum name.
fn temporality(v: Option<&Json>) -> Option<Temporality> {
    match v? {
        Json::Number(n) => Temporality::of(i32::try_from(n.as_i64()?).ok()?),
        Json::String(s) => match s.as_str() {
            "AGGREGATION_TEMPORALITY_DELTA" => Some(Temporality::Delta),
            "AGGREGATION_TEMPORALITY_CUMULATIVE" => Some(Temporality::Cumulative),
            _ => None,
        },
        _ => None,
    }
}

/// A point's value: a number or a numeric string, kept as sent for the number rules.
fn number(v: Option<&Json>) -> Value {
    match v {
        Some(Json::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Other, Value::Double),
        },
        Some(Json::String(s)) => Value::Str(s.clone()),
        _ => Value::Other,
    }
}

/// A `*UnixNano` field: a decimal string or a number; 0 when absent or unreadable.
fn nanos(v: Option<&Json>) -> u64 {
    match v {
        Some(Json::String(s)) => s.trim().parse().unwrap_or(0),
        Some(Json::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// A trace or span id: hex in OTLP JSON, compared case-insensitively.
fn id(v: Option<&Json>) -> String {
    match v {
        Some(Json::String(s)) => s.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The `attributes` list of an object; entries of the wrong shape are skipped.
fn attributes(object: &Map<String, Json>) -> Vec<(String, Value)> {
    let Some(Json::Array(list)) = object.get("attributes") else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|kv| {
            let key = kv.get("key")?.as_str()?;
            Some((key.to_string(), any_value(kv.get("value"))))
        })
        .collect()
}

fn any_value(v: Option<&Json>) -> Value {
    let Some(Json::Object(v)) = v else {
        return Value::Other;
    };
    if let Some(s) = v.get("stringValue").and_then(Json::as_str) {
        return Value::Str(s.to_string());
    }
    if let Some(b) = v.get("boolValue").and_then(Json::as_bool) {
        return Value::Bool(b);
    }
    for key in ["intValue", "doubleValue"] {
        match v.get(key) {
            Some(Json::Number(n)) => {
                return match n.as_i64() {
                    Some(i) => Value::Int(i),
                    None => n.as_f64().map_or(Value::Other, Value::Double),
                };
            }
            Some(Json::String(s)) => {
                return match s.trim().parse::<i64>() {
                    Ok(i) => Value::Int(i),
                    // Kept as text: the number rules read it (huge, fractional, "NaN").
                    Err(_) => Value::Str(s.clone()),
                };
            }
            _ => {}
        }
    }
    Value::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_every_form() {
        let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"chat m","endTimeUnixNano":"1785589513420000000","attributes":[
            {"key":"a","value":{"intValue":"1280"}},
            {"key":"b","value":{"intValue":57}},
            {"key":"c","value":{"doubleValue":3.0}},
            {"key":"d","value":{"doubleValue":"0.5"}},
            {"key":"e","value":{"intValue":"99999999999999999999999"}},
            {"key":"f"},
            {"nokey":1}
        ]}]}]}]}"#;
        let batch = decode(Signal::Traces, body).unwrap();
        let r = &batch.records[0];
        assert_eq!(r.time_ns, 1_785_589_513_420_000_000);
        let v: Vec<_> = r.attrs.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(v[0], Value::Int(1280));
        assert_eq!(v[1], Value::Int(57));
        assert_eq!(v[2].as_count(), Ok(3));
        assert_eq!(v[3].as_amount(), Ok(0.5));
        assert_eq!(v[4].as_count(), Err(super::super::value::BadNumber));
        assert_eq!(v[5], Value::Other);
        assert_eq!(v.len(), 6);
    }

    #[test]
    fn wrong_shapes_are_counted_not_fatal() {
        let body = br#"{"resourceLogs":[7,{"scopeLogs":{"x":1}},{"scopeLogs":[{"logRecords":["x",{"eventName":"e"}]}]}]}"#;
        let batch = decode(Signal::Logs, body).unwrap();
        assert_eq!(batch.records.len(), 1);
        assert_eq!(batch.records[0].name, "e");
        assert_eq!(batch.malformed, 3);
        assert!(decode(Signal::Logs, b"[1]").is_err());
        assert!(decode(Signal::Logs, b"{\"resourceLogs\":").is_err());
    }
}
