"""Sends OTLP/HTTP to tokentop the way a real client does, with the official OpenTelemetry
protobuf messages (`opentelemetry-proto`, the package the SDK's exporters build on):
one Claude Code `claude_code.api_request` log event, one GenAI `chat` span, and metric
points (Claude Code delta counters, a GenAI cumulative histogram), as protobuf or as OTLP
JSON. Prints each answer's status; exits 1 if one was not 200.

    python3 send.py http://127.0.0.1:4318 protobuf|json
"""

import base64
import json
import sys
import time
import urllib.request

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    AGGREGATION_TEMPORALITY_CUMULATIVE,
    AGGREGATION_TEMPORALITY_DELTA,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span


def attr(key, value):
    if isinstance(value, bool):
        v = AnyValue(bool_value=value)
    elif isinstance(value, int):
        v = AnyValue(int_value=value)
    elif isinstance(value, float):
        v = AnyValue(double_value=value)
    else:
        v = AnyValue(string_value=str(value))
    return KeyValue(key=key, value=v)


def logs(now_ns):
    """A Claude Code api_request: 1,000 uncached input, 2,000 cache reads, 300 cache
    writes, 150 output tokens, $0.0123, for otel-dev@example.com."""
    record = LogRecord(
        time_unix_nano=now_ns,
        observed_time_unix_nano=now_ns,
        body=AnyValue(string_value="claude_code.api_request"),
        attributes=[
            attr("event.name", "api_request"),
            attr("event.timestamp", time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now_ns / 1e9))),
            attr("user.email", "otel-dev@example.com"),
            attr("session.id", "sess-otel-1"),
            attr("model", "claude-sonnet-4-5-20250929"),
            attr("input_tokens", 1000),
            attr("output_tokens", 150),
            attr("cache_read_tokens", 2000),
            attr("cache_creation_tokens", 300),
            attr("cost_usd", 0.0123),
            attr("duration_ms", 2400),
            attr("request_id", "req_otel_0001"),
        ],
    )
    resource = Resource(attributes=[attr("service.name", "claude-code")])
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=[record])])]
    )


def traces(now_ns):
    """A GenAI chat span of gpt-4o for the agent `otel-agent`: 500 input tokens (100 of
    them cache reads), 40 output."""
    span = Span(
        trace_id=bytes.fromhex("5b8efff798038103d269b633813fc60c"),
        span_id=bytes.fromhex("eee19b7ec3c1b174"),
        name="chat gpt-4o",
        start_time_unix_nano=now_ns - 1_500_000_000,
        end_time_unix_nano=now_ns,
        attributes=[
            attr("gen_ai.operation.name", "chat"),
            attr("gen_ai.provider.name", "openai"),
            attr("gen_ai.request.model", "gpt-4o"),
            attr("gen_ai.response.model", "gpt-4o-2024-08-06"),
            attr("gen_ai.response.id", "chatcmpl-otel-1"),
            attr("gen_ai.agent.name", "otel-agent"),
            attr("gen_ai.usage.input_tokens", 500),
            attr("gen_ai.usage.cache_read.input_tokens", 100),
            attr("gen_ai.usage.output_tokens", 40),
        ],
    )
    resource = Resource(attributes=[attr("service.name", "otel-service")])
    return ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=[span])])]
    )


def metrics(now_ns):
    """Claude Code counters, delta: session sess-otel-2 of metrics-only@example.com (700
    input, 70 output tokens, $0.005), and session sess-otel-1, whose api_request event was
    sent before (its points must not count again). A GenAI histogram, cumulative, from
    service `otel-metrics-svc`: 900 input tokens over 3 requests."""
    start = now_ns - 60_000_000_000

    def point(session, value, kind=None):
        attributes = [
            attr("session.id", session),
            attr("user.email", "metrics-only@example.com" if session == "sess-otel-2" else "otel-dev@example.com"),
            attr("model", "claude-sonnet-4-5-20250929"),
        ]
        if kind:
            attributes.append(attr("type", kind))
        number = {"as_double": value} if isinstance(value, float) else {"as_int": value}
        return NumberDataPoint(attributes=attributes, start_time_unix_nano=start, time_unix_nano=now_ns, **number)

    tokens = Metric(
        name="claude_code.token.usage",
        unit="tokens",
        sum=Sum(
            aggregation_temporality=AGGREGATION_TEMPORALITY_DELTA,
            is_monotonic=True,
            data_points=[
                point("sess-otel-2", 700, "input"),
                point("sess-otel-2", 70, "output"),
                point("sess-otel-1", 1000, "input"),
            ],
        ),
    )
    cost = Metric(
        name="claude_code.cost.usage",
        unit="USD",
        sum=Sum(
            aggregation_temporality=AGGREGATION_TEMPORALITY_DELTA,
            is_monotonic=True,
            data_points=[point("sess-otel-2", 0.005), point("sess-otel-1", 0.0123)],
        ),
    )
    claude = ResourceMetrics(
        resource=Resource(attributes=[attr("service.name", "claude-code")]),
        scope_metrics=[ScopeMetrics(metrics=[tokens, cost])],
    )
    histogram = Metric(
        name="gen_ai.client.token.usage",
        unit="{token}",
        histogram=Histogram(
            aggregation_temporality=AGGREGATION_TEMPORALITY_CUMULATIVE,
            data_points=[
                HistogramDataPoint(
                    attributes=[
                        attr("gen_ai.token.type", "input"),
                        attr("gen_ai.provider.name", "openai"),
                        attr("gen_ai.request.model", "gpt-4o-mini"),
                    ],
                    start_time_unix_nano=start,
                    time_unix_nano=now_ns,
                    count=3,
                    sum=900.0,
                )
            ],
        ),
    )
    genai = ResourceMetrics(
        resource=Resource(attributes=[attr("service.name", "otel-metrics-svc")]),
        scope_metrics=[ScopeMetrics(metrics=[histogram])],
    )
    return ExportMetricsServiceRequest(resource_metrics=[claude, genai])


def hex_ids(value):
    """OTLP JSON writes trace and span ids in hex where protobuf's JSON mapping uses base64."""
    if isinstance(value, dict):
        return {
            k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") and v else hex_ids(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [hex_ids(v) for v in value]
    return value


def post(url, message, encoding):
    if encoding == "json":
        body = json.dumps(hex_ids(json_format.MessageToDict(message))).encode()
        kind = "application/json"
    else:
        body = message.SerializeToString()
        kind = "application/x-protobuf"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": kind}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        print(f"{url}: {e.code} {e.read()[:200]!r}", file=sys.stderr)
        return e.code


def main():
    base, encoding = sys.argv[1].rstrip("/"), sys.argv[2]
    now_ns = time.time_ns()
    statuses = [
        post(f"{base}/v1/logs", logs(now_ns), encoding),
        post(f"{base}/v1/traces", traces(now_ns), encoding),
        post(f"{base}/v1/metrics", metrics(now_ns), encoding),
    ]
    print(" ".join(str(s) for s in statuses))
    sys.exit(0 if all(s == 200 for s in statuses) else 1)


if __name__ == "__main__":
    main()
