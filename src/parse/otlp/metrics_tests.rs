//! Metric points through both encodings, differenced and grouped into events.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::tests::identity;
use super::*;
use crate::event::{Format, IdentityKind, TimeMs, Tokens};
use crate::parse::RejectReason;

const NOW: TimeMs = 1_800_000_000_000;
const MINUTE: TimeMs = 60_000;
const T1: &str = "1785589514000000000";

/// One Claude Code export: a point per token type and one of cost, delta, in every
/// number form.
fn claude_code_json(session: &str) -> String {
    let point = |value: &str, kind: Option<&str>| {
        let kind = kind
            .map(|k| format!(r#",{{"key":"type","value":{{"stringValue":"{k}"}}}}"#))
            .unwrap_or_default();
        format!(
            r#"{{"timeUnixNano":"{T1}","startTimeUnixNano":"1785589454000000000",{value},"attributes":[
            {{"key":"session.id","value":{{"stringValue":"{session}"}}}},
            {{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}},
            {{"key":"model","value":{{"stringValue":"claude-sonnet-4-5"}}}}{kind}]}}"#
        )
    };
    let tokens = [
        point(r#""asInt":"50""#, Some("input")),
        point(r#""asInt":93"#, Some("output")),
        point(r#""asDouble":14265.0"#, Some("cacheRead")),
        point(r#""asDouble":"10408""#, Some("cacheCreation")),
    ]
    .join(",");
    let cost = point(r#""asDouble":0.0416"#, None);
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"claude-code"}}}}]}},
        "scopeMetrics":[{{"metrics":[
        {{"name":"claude_code.token.usage","sum":{{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{tokens}]}}}},
        {{"name":"claude_code.cost.usage","sum":{{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA","dataPoints":[{cost}]}}}},
        {{"name":"claude_code.session.count","sum":{{"aggregationTemporality":1,"dataPoints":[{{"asInt":"1"}}]}}}}]}}]}}]}}"#
    )
}

/// Every point of `batch` grown and grouped, as the receiver does.
fn grouped(batch: Batch, series: &mut Series, identity: &[String]) -> Grouped {
    let grown: Vec<_> = batch
        .points
        .into_iter()
        .map(|p| {
            let growth = series.growth(&p, NOW, MINUTE).unwrap();
            (p, growth)
        })
        .collect();
    group(&grown, identity, NOW)
}

#[test]
fn claude_code_points_of_one_export_make_one_event() {
    let batch = decode(
        Signal::Metrics,
        Encoding::Json,
        claude_code_json("s-1").as_bytes(),
    )
    .unwrap();
    assert_eq!((batch.points.len(), batch.other_points), (5, 1));
    assert_eq!(batch.parts(), 6);
    let out = grouped(batch, &mut Series::default(), &identity());
    assert_eq!((out.events.len(), out.rejected.len(), out.empty), (1, 0, 0));
    let e = &out.events[0].event;
    let want = Tokens {
        input: 50,
        output: 93,
        cache_read: 14265,
        cache_write_5m: 10408,
        ..Tokens::default()
    };
    assert_eq!(e.tokens, want);
    assert_eq!(e.record_cost_usd, Some(0.0416));
    assert!(e.flags.aggregate, "a point is no request");
    assert_eq!(
        (e.identity.as_str(), e.identity_kind),
        ("ada@example.com", IdentityKind::Human)
    );
    assert_eq!(e.attrs.session.as_deref(), Some("s-1"));
    assert_eq!(
        (e.format, e.model.as_str()),
        (Format::ClaudeCode, "claude-sonnet-4-5")
    );
    assert_eq!(e.time, 1_785_589_514_000);
}

#[test]
fn configured_identity_attributes_name_who() {
    let batch = decode(
        Signal::Metrics,
        Encoding::Json,
        claude_code_json("s-1").as_bytes(),
    )
    .unwrap();
    let keys = vec!["service.name".to_string()];
    let out = grouped(batch, &mut Series::default(), &keys);
    let e = &out.events[0].event;
    assert_eq!(
        (e.identity.as_str(), e.identity_kind),
        ("claude-code", IdentityKind::ServiceAccount)
    );
}

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
    }
}

/// A cumulative `claude_code.token.usage` export of one input point.
fn cumulative_pb(start_ns: u64, time_ns: u64, value: i64) -> Vec<u8> {
    let point = NumberDataPoint {
        attributes: vec![
            kv("type", "input"),
            kv("model", "claude-sonnet-4-5"),
            kv("user.id", "u-1"),
        ],
        start_time_unix_nano: start_ns,
        time_unix_nano: time_ns,
        value: Some(number_data_point::Value::AsInt(value)),
        ..NumberDataPoint::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![kv("service.name", "claude-code")],
                ..Resource::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "claude_code.token.usage".into(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![point],
                        aggregation_temporality: 2,
                        is_monotonic: true,
                    })),
                    ..Metric::default()
                }],
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn cumulative_points_count_their_growth_per_series_and_start_time() {
    let mut series = Series::default();
    let minute = 60_000_000_000;
    let start = 1_785_589_000_000_000_000;
    let mut inputs = Vec::new();
    for (start_ns, value) in [
        (start, 100),         // the first point counts whole
        (start, 250),         // then its growth
        (start, 250),         // unchanged: nothing
        (start, 40),          // a fall: the sender restarted, counts whole
        (start + minute, 70), // a new start time counts whole
    ] {
        let time = start_ns + 2 * minute + inputs.len() as u64 * minute;
        let body = cumulative_pb(start_ns, time, value);
        let batch = decode(Signal::Metrics, Encoding::Protobuf, &body).unwrap();
        let out = grouped(batch, &mut series, &identity());
        let input: u64 = out.events.iter().map(|h| h.event.tokens.input).sum();
        inputs.push((input, out.empty));
    }
    assert_eq!(inputs, [(100, 0), (150, 0), (0, 1), (40, 0), (70, 0)]);
}

#[test]
fn a_series_that_started_before_we_listened_is_a_baseline_and_retries_add_nothing() {
    let mut series = Series::default();
    let minute = 60_000_000_000;
    let start = 1_785_589_000_000_000_000;
    let mut inputs = Vec::new();
    for (time, value) in [
        (start + 180 * minute, 90_000), // running for 3 hours: only the baseline
        (start + 181 * minute, 90_400), // then its growth
        (start + 181 * minute, 90_400), // the same point again (a retry): nothing
        (start + 180 * minute, 90_000), // an older one (a reorder): nothing
        (start + 182 * minute, 90_500),
    ] {
        let body = cumulative_pb(start, time, value);
        let batch = decode(Signal::Metrics, Encoding::Protobuf, &body).unwrap();
        let out = grouped(batch, &mut series, &identity());
        inputs.push(out.events.iter().map(|h| h.event.tokens.input).sum::<u64>());
    }
    assert_eq!(inputs, [0, 400, 0, 0, 100]);
}

#[test]
fn genai_histograms_count_their_sums_and_other_shapes_are_rejected() {
    let body = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"rag-api"}}]},"scopeMetrics":[{"metrics":[
      {"name":"gen_ai.client.token.usage","histogram":{"aggregationTemporality":2,"dataPoints":[
        {"startTimeUnixNano":"1785589454000000000","timeUnixNano":"1785589514000000000","sum":1200,"count":"3","attributes":[
          {"key":"gen_ai.token.type","value":{"stringValue":"input"}},
          {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
          {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}}]},
        {"startTimeUnixNano":"1785589454000000000","timeUnixNano":"1785589514000000000","sum":"310","attributes":[
          {"key":"gen_ai.token.type","value":{"stringValue":"output"}},
          {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
          {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}}]},
        {"timeUnixNano":"1785589514000000000","count":"1"}]}},
      {"name":"claude_code.token.usage","gauge":{"dataPoints":[{"asInt":"5"},{"asInt":"6"}]}},
      {"name":"claude_code.cost.usage","sum":{"dataPoints":[{"asDouble":1.5}]}}]}]}]}"#;
    let batch = decode(Signal::Metrics, Encoding::Json, body.as_bytes()).unwrap();
    let unreadable: Vec<RejectReason> = batch.unreadable_points.iter().map(|r| r.0).collect();
    assert_eq!(
        unreadable,
        [
            RejectReason::MissingField,
            RejectReason::Unsupported,
            RejectReason::Unsupported,
            RejectReason::InvalidField,
        ],
        "a histogram without its sum, a gauge, a sum without temporality"
    );
    let out = grouped(batch, &mut Series::default(), &identity());
    assert_eq!(out.events.len(), 1);
    let e = &out.events[0].event;
    assert_eq!((e.tokens.input, e.tokens.output), (1200, 310));
    assert_eq!(
        (e.identity.as_str(), e.provider.as_str(), e.format),
        ("rag-api", "openai", Format::OpenAi)
    );
}

#[test]
fn a_point_of_an_unknown_class_or_without_a_model_is_rejected() {
    let body = claude_code_json("s-1").replace("cacheRead", "cacheSomething");
    let batch = decode(Signal::Metrics, Encoding::Json, body.as_bytes()).unwrap();
    let out = grouped(batch, &mut Series::default(), &identity());
    assert_eq!(
        out.rejected,
        [(RejectReason::InvalidField, "claude_code.token.usage".into())]
    );
    assert_eq!(out.events[0].event.tokens.cache_read, 0);
    assert_eq!(out.events[0].event.tokens.input, 50);

    let body = claude_code_json("s-1").replace("claude-sonnet-4-5", "");
    let batch = decode(Signal::Metrics, Encoding::Json, body.as_bytes()).unwrap();
    let out = grouped(batch, &mut Series::default(), &identity());
    assert!(out.events.is_empty());
    assert_eq!(out.rejected.len(), 5);
    assert!(
        out.rejected
            .iter()
            .all(|(r, _)| *r == RejectReason::MissingField)
    );
}
