//! Records of every kind through both encodings, counted by what came out.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

use super::*;
use crate::event::{Event, Format, IdentityKind, Kind, TimeMs, Tokens};
use crate::parse::{Parsed, RejectReason};

const API_REQUEST: &str = r#"{"resourceLogs":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"claude-code"}},
  {"key":"team.id","value":{"stringValue":"platform"}}]},
 "scopeLogs":[{"logRecords":[{"timeUnixNano":"1785589514000000000",
  "body":{"stringValue":"claude_code.api_request"},
  "attributes":[
   {"key":"event.name","value":{"stringValue":"api_request"}},
   {"key":"session.id","value":{"stringValue":"sess-1"}},
   {"key":"user.account_uuid","value":{"stringValue":"acct-1"}},
   {"key":"user.email","value":{"stringValue":"ada@example.com"}},
   {"key":"model","value":{"stringValue":"claude-sonnet-4-5-20250929"}},
   {"key":"cost_usd","value":{"doubleValue":0.0416}},
   {"key":"duration_ms","value":{"intValue":"3120"}},
   {"key":"input_tokens","value":{"intValue":"50"}},
   {"key":"output_tokens","value":{"intValue":93}},
   {"key":"cache_read_tokens","value":{"stringValue":"14265"}},
   {"key":"cache_creation_tokens","value":{"doubleValue":10408}},
   {"key":"request_id","value":{"stringValue":"req_1"}},
   {"key":"query_source","value":{"stringValue":"subagent"}},
   {"key":"agent.name","value":{"stringValue":"reviewer"}}]}]}]}]}"#;

/// When the bodies are read: after every record's time.
const NOW: TimeMs = 1_800_000_000_000;

fn run(signal: Signal, encoding: Encoding, body: &[u8]) -> Vec<Outcome> {
    outcomes(
        &decode(signal, encoding, body).unwrap(),
        NOW,
        &identity(),
        None,
    )
}

pub(super) fn identity() -> Vec<String> {
    DEFAULT_IDENTITY.map(String::from).to_vec()
}

fn event(o: &Outcome) -> &Event {
    match &o.parsed {
        Parsed::Event(e) => e,
        other => panic!("{}: {other:?}", o.name),
    }
}

#[test]
fn a_claude_code_api_request_in_json() {
    let out = run(Signal::Logs, Encoding::Json, API_REQUEST.as_bytes());
    let e = event(&out[0]);
    assert_eq!(e.identity, "ada@example.com");
    assert_eq!(e.identity_kind, IdentityKind::Human);
    assert_eq!(e.format, Format::ClaudeCode);
    assert_eq!(e.model, "claude-sonnet-4-5-20250929");
    let want = Tokens {
        input: 50,
        cache_read: 14265,
        cache_write_5m: 10408,
        output: 93,
        ..Tokens::default()
    };
    assert_eq!(e.tokens, want);
    assert_eq!(e.record_cost_usd, Some(0.0416));
    assert_eq!(e.latency_ms, Some(3120));
    assert_eq!(e.dedup_key, Some("req_1".into()));
    assert_eq!(e.time, 1_785_589_514_000);
    assert!(e.flags.sidechain && e.flags.final_copy && !e.flags.time_from_read);
    assert_eq!(e.attrs.team.as_deref(), Some("platform"));
    assert_eq!(e.attrs.session.as_deref(), Some("sess-1"));
    assert_eq!(e.attrs.agent.as_deref(), Some("reviewer"));
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
    }
}

fn s(v: &str) -> any_value::Value {
    any_value::Value::StringValue(v.into())
}

fn i(v: i64) -> any_value::Value {
    any_value::Value::IntValue(v)
}

fn logs_pb(resource: Vec<KeyValue>, records: Vec<LogRecord>) -> Vec<u8> {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: resource,
                ..Resource::default()
            }),
            scope_logs: vec![ScopeLogs {
                log_records: records,
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn claude_code_events_in_protobuf() {
    let request = LogRecord {
        event_name: "claude_code.api_request".into(),
        attributes: vec![
            kv("model", s("claude-opus-4-1")),
            kv("input_tokens", i(11)),
            kv("output_tokens", i(22)),
            kv("cost_usd", any_value::Value::DoubleValue(1.25)),
        ],
        ..LogRecord::default()
    };
    let tool = LogRecord {
        body: Some(AnyValue {
            value: Some(s("claude_code.tool_result")),
        }),
        attributes: vec![
            kv("tool_name", s("mcp_tool")),
            kv("tool_use_id", s("toolu_1")),
            kv(
                "tool_parameters",
                s(r#"{"mcp_server_name":"github","mcp_tool_name":"create_issue"}"#),
            ),
        ],
        ..LogRecord::default()
    };
    let prompt = LogRecord {
        event_name: "claude_code.user_prompt".into(),
        ..LogRecord::default()
    };
    let body = logs_pb(
        vec![
            kv("service.name", s("claude-code")),
            kv("user.id", s("install-1")),
        ],
        vec![request, tool, prompt],
    );
    let out = run(Signal::Logs, Encoding::Protobuf, &body);
    let e = event(&out[0]);
    assert_eq!(e.identity, "install-1");
    assert_eq!((e.tokens.input, e.tokens.output), (11, 22));
    assert_eq!(e.record_cost_usd, Some(1.25));
    // No time in the record: the read time, flagged.
    assert_eq!(e.time, NOW);
    assert!(e.flags.time_from_read);
    let t = event(&out[1]);
    assert_eq!(t.kind, Kind::Tool);
    assert!(t.flags.no_cost);
    assert_eq!(t.tools[0].name, "create_issue");
    assert_eq!(t.tools[0].mcp_server.as_deref(), Some("github"));
    assert_eq!(t.tools[0].id.as_deref(), Some("toolu_1"));
    assert_eq!(out[2].parsed, Parsed::NoUsage);
}

#[test]
fn codex_counts_and_tool_results() {
    let completed = LogRecord {
        event_name: "codex.sse_event".into(),
        attributes: vec![
            kv("event.kind", s("response.completed")),
            kv("model", s("gpt-5-codex")),
            kv("conversation.id", s("conv-1")),
            kv("input_token_count", s("1000")),
            kv("cached_token_count", i(800)),
            kv("output_token_count", i(300)),
            kv("reasoning_token_count", i(200)),
        ],
        ..LogRecord::default()
    };
    let delta = LogRecord {
        event_name: "codex.sse_event".into(),
        attributes: vec![kv("event.kind", s("response.output_text.delta"))],
        ..LogRecord::default()
    };
    let tool = LogRecord {
        attributes: vec![
            kv("event.name", s("tool_result")),
            kv("tool_name", s("shell")),
            kv("call_id", s("call_9")),
        ],
        ..LogRecord::default()
    };
    let body = logs_pb(
        vec![kv("service.name", s("codex-cli"))],
        vec![completed, delta, tool],
    );
    let out = run(Signal::Logs, Encoding::Protobuf, &body);
    let e = event(&out[0]);
    assert_eq!(e.format, Format::Codex);
    assert_eq!(e.identity, "codex-cli");
    assert_eq!(e.identity_kind, IdentityKind::ServiceAccount);
    let want = Tokens {
        input: 200,
        cache_read: 800,
        output: 300,
        reasoning: 200,
        ..Tokens::default()
    };
    assert_eq!(e.tokens, want);
    assert_eq!(e.attrs.session.as_deref(), Some("conv-1"));
    // Keyed as the rollout's count of the same response, and winning over it.
    let key = crate::parse::codex::response_key("conv-1", [1000, 800, 300, 200]);
    assert_eq!(e.dedup_key, Some(key));
    assert!(e.flags.telemetry && e.flags.final_copy);
    assert_eq!(out[1].parsed, Parsed::NoUsage);
    assert_eq!(event(&out[2]).tools[0].name, "shell");
}

fn chat_span(input: i64) -> Span {
    Span {
        trace_id: vec![0xab; 16],
        span_id: vec![2; 8],
        parent_span_id: vec![1; 8],
        name: "chat claude-sonnet-4-5".into(),
        start_time_unix_nano: 1_785_589_512_000_000_000,
        end_time_unix_nano: 1_785_589_513_420_000_000,
        attributes: vec![
            kv("gen_ai.operation.name", s("chat")),
            kv("gen_ai.provider.name", s("anthropic")),
            kv("gen_ai.usage.input_tokens", i(input)),
            kv("gen_ai.usage.cache_read.input_tokens", i(1000)),
            kv("gen_ai.usage.cache_creation.input_tokens", i(200)),
            kv("gen_ai.usage.output_tokens", i(57)),
        ],
        ..Span::default()
    }
}

fn traces_pb(spans: Vec<Span>) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    kv("service.name", s("support-agent")),
                    kv("department", s("billing")),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
    .encode_to_vec()
}

#[test]
fn genai_spans_follow_the_input_rule_both_ways() {
    let agent = Span {
        span_id: vec![1; 8],
        name: "invoke_agent Billing Helper".into(),
        attributes: vec![
            kv("gen_ai.operation.name", s("invoke_agent")),
            kv("gen_ai.agent.name", s("Billing Helper")),
        ],
        ..Span::default()
    };
    let mut second = chat_span(500);
    second.span_id = vec![3; 8];
    let tool = Span {
        name: "execute_tool get_invoice".into(),
        attributes: vec![kv("gen_ai.tool.call.id", s("call_1"))],
        ..Span::default()
    };
    let body = traces_pb(vec![agent, chat_span(1280), second, tool]);
    let out = run(Signal::Traces, Encoding::Protobuf, &body);
    assert_eq!(out[0].parsed, Parsed::NoUsage);
    // Includes its cache tokens: they are taken out.
    let e = event(&out[1]);
    assert!(!out[1].uncached_input);
    assert_eq!(
        (
            e.tokens.input,
            e.tokens.cache_read,
            e.tokens.cache_write_5m,
            e.tokens.output
        ),
        (80, 1000, 200, 57)
    );
    assert_eq!(e.model, "claude-sonnet-4-5");
    assert_eq!(e.format, Format::Anthropic);
    assert_eq!(e.latency_ms, Some(1420));
    assert_eq!(e.time, 1_785_589_513_420);
    assert_eq!(e.attrs.agent.as_deref(), Some("Billing Helper"));
    assert_eq!(e.attrs.team.as_deref(), Some("billing"));
    // Below its cache tokens: taken as uncached, and counted.
    let e = event(&out[2]);
    assert!(out[2].uncached_input);
    assert_eq!((e.tokens.input, e.tokens.cache_read), (500, 1000));
    let t = event(&out[3]);
    assert_eq!(t.kind, Kind::Tool);
    assert_eq!(t.tools[0].name, "get_invoice");
}

#[test]
fn genai_json_span_as_the_conventions_show_it() {
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-agent"}}]},
    "scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174","name":"embeddings text-embedding-3-small",
      "startTimeUnixNano":"1785589512000000000","endTimeUnixNano":1785589512100000000,
      "attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1280"}},
        {"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"1024"}},
        {"key":"gen_ai.system","value":{"stringValue":"openai"}},
        {"key":"gen_ai.agent.name","value":{"stringValue":"Billing Helper"}}]}]}]}]}"#;
    let out = run(Signal::Traces, Encoding::Json, body.as_bytes());
    let e = event(&out[0]);
    assert_eq!(e.kind, Kind::Embedding);
    assert_eq!(e.model, "text-embedding-3-small");
    assert_eq!((e.tokens.input, e.tokens.cache_read), (256, 1024));
    assert_eq!(e.identity, "Billing Helper");
    assert_eq!(e.identity_kind, IdentityKind::Agent);
    assert_eq!(e.format, Format::OpenAi);
    assert_eq!(e.latency_ms, Some(100));
    assert_eq!(
        e.dedup_key,
        Some("5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174".into())
    );
}

#[test]
fn unusable_records_are_rejected_by_reason() {
    let no_model = API_REQUEST.replace(r#""key":"model""#, r#""key":"modelx""#);
    let negative = API_REQUEST.replace(r#"{"intValue":"50"}"#, r#"{"intValue":"-50"}"#);
    let huge = API_REQUEST.replace(r#"{"intValue":"50"}"#, r#"{"intValue":"1e30"}"#);
    let absurd = API_REQUEST.replace(r#"{"intValue":"50"}"#, r#"{"intValue":"900000000000"}"#);
    let bad_cost = API_REQUEST.replace("0.0416", r#""lots""#);
    let ahead = API_REQUEST.replace("1785589514000000000", "1900000000000000000");
    for (body, want) in [
        (ahead, RejectReason::FutureTime),
        (no_model, RejectReason::MissingField),
        (negative, RejectReason::InvalidField),
        (huge, RejectReason::InvalidField),
        (absurd, RejectReason::Implausible),
        (bad_cost, RejectReason::InvalidField),
    ] {
        let out = run(Signal::Logs, Encoding::Json, body.as_bytes());
        assert_eq!(out[0].parsed, Parsed::Rejected(want), "{want:?}");
    }
}

/// A deterministic byte stream (xorshift), for the no-panic loops.
fn noise(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed as u8
        })
        .collect()
}

#[test]
fn truncated_and_random_bodies_never_panic() {
    let body = traces_pb(vec![chat_span(1280), chat_span(5)]);
    for cut in 0..body.len() {
        for signal in [Signal::Logs, Signal::Traces, Signal::Metrics] {
            if let Ok(batch) = decode(signal, Encoding::Protobuf, &body[..cut]) {
                outcomes(&batch, 0, &identity(), None);
            }
        }
    }
    let json = API_REQUEST.as_bytes();
    for cut in 0..json.len() {
        assert!(decode(Signal::Logs, Encoding::Json, &json[..cut]).is_err());
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    for n in 0..2000 {
        let bytes = noise(&mut seed, n % 300);
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            if let Ok(batch) = decode(Signal::Logs, encoding, &bytes) {
                outcomes(&batch, 0, &identity(), None);
            }
        }
    }
}

/// A prompt logged with `OTEL_LOG_USER_PROMPTS=1` carries no usage: a token in it reaches
/// the prompt's identity as a carrier; a tool's parameters go with its tool event.
#[test]
fn secrets_in_prompts_and_tool_parameters_go_with_their_records() {
    let token = format!("ghp_{}", "Zz09Yy18Xx27".repeat(3));
    let body = format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[
  {{"key":"service.name","value":{{"stringValue":"claude-code"}}}}]}},
 "scopeLogs":[{{"logRecords":[
  {{"timeUnixNano":"1785589514000000000","body":{{"stringValue":"claude_code.user_prompt"}},
   "attributes":[{{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}},
    {{"key":"prompt","value":{{"stringValue":"push with {token} please"}}}}]}},
  {{"timeUnixNano":"1785589515000000000","body":{{"stringValue":"claude_code.tool_result"}},
   "attributes":[{{"key":"user.email","value":{{"stringValue":"bo@example.com"}}}},
    {{"key":"tool_name","value":{{"stringValue":"Bash"}}}},
    {{"key":"tool_parameters","value":{{"stringValue":"{{\"command\":\"export AWS_ACCESS_KEY_ID=AKIAQ3EGRVX5L7WZ2MNP\"}}"}}}}]}}]}}]}}]}}"#
    );
    let batch = decode(Signal::Logs, Encoding::Json, body.as_bytes()).unwrap();
    let scanner = crate::secrets::Scanner::new(
        crate::secrets::FingerprintKey::from_bytes([9; 32]),
        crate::secrets::Ignore::default(),
    );
    // Without a scanner, nothing is looked at.
    let plain = outcomes(&batch, NOW, &identity(), None);
    assert!(plain[0].carrier.is_none() && event(&plain[1]).secrets.is_none());
    let out = outcomes(&batch, NOW, &identity(), Some(&scanner));
    assert_eq!(
        out[0].parsed,
        Parsed::NoUsage,
        "still a record without usage"
    );
    let carrier = out[0].carrier.as_ref().expect("the prompt's carrier");
    assert_eq!(carrier.identity, "ada@example.com");
    assert_eq!(carrier.time, 1_785_589_514_000);
    assert!(carrier.flags.no_usage);
    let found = &carrier.secrets.as_ref().expect("found").found;
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("github_token", "attributes.prompt")
    );
    let tool = event(&out[1]);
    assert_eq!(tool.identity, "bo@example.com");
    let found = &tool.secrets.as_ref().expect("found").found;
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("aws_access_key_id", "attributes.tool_parameters")
    );
    assert_eq!(tool.line, None, "a record received over OTLP has no line");
}

/// A span without usage under an `invoke_agent` span carries its finding to that agent,
/// as the agent's chat spans carry their usage.
#[test]
fn a_carrier_span_belongs_to_its_parent_agent() {
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},
 "scopeSpans":[{"spans":[
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","name":"invoke_agent Billing Helper",
   "startTimeUnixNano":"1785589514000000000","endTimeUnixNano":"1785589515000000000",
   "attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"invoke_agent"}},
                 {"key":"gen_ai.agent.name","value":{"stringValue":"Billing Helper"}}]},
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","parentSpanId":"b7ad6b7169203331",
   "name":"lookup","startTimeUnixNano":"1785589514100000000","endTimeUnixNano":"1785589514200000000",
   "attributes":[{"key":"http.request.header.authorization","value":{"stringValue":"Bearer sk-proj-Zx81Qw72Er63Ty54Ui45Op36As27Df18Gh09"}}]}]}]}]}"#;
    let batch = decode(Signal::Traces, Encoding::Json, body.as_bytes()).unwrap();
    let scanner = crate::secrets::Scanner::new(
        crate::secrets::FingerprintKey::from_bytes([9; 32]),
        crate::secrets::Ignore::default(),
    );
    let out = outcomes(&batch, NOW, &identity(), Some(&scanner));
    let carrier = out[1].carrier.as_ref().expect("the span's carrier");
    assert_eq!(carrier.attrs.agent.as_deref(), Some("Billing Helper"));
    assert_eq!(carrier.identity, "billing");
    let found = &carrier.secrets.as_ref().expect("found").found;
    assert_eq!(
        (found[0].secret_type, found[0].path.as_str()),
        ("token", "attributes.http.request.header.authorization")
    );
}
