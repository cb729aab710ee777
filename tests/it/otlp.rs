//! The OTLP/HTTP receiver over real HTTP on 127.0.0.1: token counts for protobuf and JSON,
//! gzip, the size bound (a gzip bomb too), bad bodies, content types, partial success,
//! the bearer token and a full engine channel.

use std::io::Write;
use std::sync::mpsc::{Receiver as Rx, sync_channel};

use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tokentop::access::{OTLP, Token, token_for};
use tokentop::config::OtlpSettings;
use tokentop::event::{Event, Kind, TimeMs};
use tokentop::parse::RejectReason;
use tokentop::source::Feed;
use tokentop::source::health::SourceHealth;
use tokentop::source::otlp::{MAX_BODY_BYTES, Receiver};

const NOW: TimeMs = 1_800_000_000_000;

fn clock() -> TimeMs {
    NOW
}

struct Peer {
    url: String,
    feeds: Rx<Feed>,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A receiver on a free loopback port; `fill` sends that many nudges first, so that a
/// channel of that capacity is full.
fn start(capacity: usize, fill: usize, token: Option<Token>) -> Peer {
    start_with(capacity, fill, token, OtlpSettings::default())
}

fn start_with(capacity: usize, fill: usize, token: Option<Token>, settings: OtlpSettings) -> Peer {
    let (tx, feeds) = sync_channel(capacity);
    for _ in 0..fill {
        tx.send(Feed::Nudge).unwrap();
    }
    let receiver = Receiver::bind("127.0.0.1:0".parse().unwrap(), token, settings).unwrap();
    serving(receiver, tx, feeds)
}

/// `receiver` serving into `tx`, and a client of it.
fn serving(receiver: Receiver, tx: std::sync::mpsc::SyncSender<Feed>, feeds: Rx<Feed>) -> Peer {
    let url = format!("http://{}", receiver.local_addr().unwrap());
    assert_eq!(receiver.name(), format!("otlp {}", &url[7..]));
    receiver.spawn(tx, clock).unwrap();
    tokentop::source::provider::http::install_crypto();
    Peer {
        url,
        feeds,
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        client: reqwest::Client::new(),
    }
}

impl Peer {
    fn post(&self, path: &str, content_type: &str, gzip: bool, body: Vec<u8>) -> Reply {
        self.post_with(path, content_type, gzip, body, None)
    }

    fn post_with(
        &self,
        path: &str,
        content_type: &str,
        gzip: bool,
        body: Vec<u8>,
        auth: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        if gzip {
            request = request.header("content-encoding", "gzip");
        }
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            Reply {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                body: response.bytes().await.unwrap().to_vec(),
            }
        })
    }

    /// Everything sent so far: the events and the latest health.
    fn drain(&self) -> (Vec<Event>, SourceHealth) {
        let mut events = Vec::new();
        let mut health = SourceHealth::default();
        while let Ok(feed) = self.feeds.try_recv() {
            match feed {
                Feed::Events(batch) => events.extend(batch),
                Feed::Health(mut h) => health = h.remove(0),
                _ => {}
            }
        }
        (events, health)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    out.write_all(bytes).unwrap();
    out.finish().unwrap()
}

fn api_request(model_key: &str, input: &str) -> String {
    format!(
        r#"{{"timeUnixNano":"1785589514000000000","body":{{"stringValue":"claude_code.api_request"}},"attributes":[
        {{"key":"{model_key}","value":{{"stringValue":"claude-sonnet-4-5"}}}},
        {{"key":"input_tokens","value":{{"intValue":"{input}"}}}},
        {{"key":"output_tokens","value":{{"intValue":93}}}},
        {{"key":"cache_read_tokens","value":{{"intValue":"14265"}}}},
        {{"key":"cost_usd","value":{{"doubleValue":0.0416}}}},
        {{"key":"request_id","value":{{"stringValue":"req_{input}"}}}}]}}"#
    )
}

fn logs_json(records: &[String]) -> Vec<u8> {
    format!(
        r#"{{"resourceLogs":[{{"resource":{{"attributes":[
        {{"key":"service.name","value":{{"stringValue":"claude-code"}}}},
        {{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}},
        {{"key":"department","value":{{"stringValue":"eng"}}}}]}},
        "scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    )
    .into_bytes()
}

#[test]
fn claude_code_json_logs_count_their_tokens_and_cost() {
    let peer = start(64, 0, None);
    let reply = peer.post(
        "/v1/logs",
        "application/json",
        false,
        logs_json(&[api_request("model", "50")]),
    );
    assert_eq!((reply.status, reply.text().as_str()), (200, "{}"));
    assert_eq!(reply.headers["content-type"], "application/json");
    let (events, health) = peer.drain();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.identity, "ada@example.com");
    assert_eq!(
        (e.tokens.input, e.tokens.output, e.tokens.cache_read),
        (50, 93, 14265)
    );
    assert_eq!(e.record_cost_usd, Some(0.0416));
    assert_eq!(e.attrs.team.as_deref(), Some("eng"));
    assert_eq!((health.lines, health.events), (1, 1));
    assert!(
        health.path.starts_with("otlp 127.0.0.1:"),
        "{}",
        health.path
    );
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
    }
}

fn chat(span: u8, input: i64) -> Span {
    let int = any_value::Value::IntValue;
    Span {
        span_id: vec![span; 8],
        name: "chat claude-sonnet-4-5".into(),
        start_time_unix_nano: 1_785_589_512_000_000_000,
        end_time_unix_nano: 1_785_589_513_000_000_000,
        attributes: vec![
            kv(
                "gen_ai.provider.name",
                any_value::Value::StringValue("anthropic".into()),
            ),
            kv("gen_ai.usage.input_tokens", int(input)),
            kv("gen_ai.usage.cache_read.input_tokens", int(1000)),
            kv("gen_ai.usage.output_tokens", int(57)),
        ],
        ..Span::default()
    }
}

fn traces_pb(spans: Vec<Span>) -> Vec<u8> {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("support-agent".into()),
                )],
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
fn genai_protobuf_spans_gzipped_with_the_input_rule_and_a_tool_call() {
    let peer = start(64, 0, None);
    let tool = Span {
        span_id: vec![9; 8],
        name: "execute_tool get_invoice".into(),
        ..Span::default()
    };
    let body = gzip(&traces_pb(vec![chat(1, 1280), chat(2, 400), tool]));
    let reply = peer.post("/v1/traces", "application/x-protobuf", true, body);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/x-protobuf");
    let answer = ExportTraceServiceResponse::decode(&reply.body[..]).unwrap();
    assert_eq!(answer.partial_success, None);
    let (events, health) = peer.drain();
    let inputs: Vec<_> = events
        .iter()
        .map(|e| (e.tokens.input, e.tokens.cache_read))
        .collect();
    // 1280 includes its 1000 cached tokens; 400 cannot, so it is taken as uncached.
    assert_eq!(inputs, [(280, 1000), (400, 1000), (0, 0)]);
    assert_eq!(events[2].kind, Kind::Tool);
    assert_eq!(events[2].tools[0].name, "get_invoice");
    assert_eq!(health.events, 3);
    assert_eq!(health.rejected[&RejectReason::InputBelowCache].count, 1);
}

#[test]
fn some_rejected_records_answer_partial_success_in_both_encodings() {
    let peer = start(64, 0, None);
    let body = logs_json(&[api_request("model", "5"), api_request("modelx", "6")]);
    let reply = peer.post("/v1/logs", "application/json; charset=utf-8", false, body);
    assert_eq!(reply.status, 200);
    let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedLogRecords"], "1");
    assert_eq!(answer["partialSuccess"]["errorMessage"], "1 missing_field");
    let (events, health) = peer.drain();
    assert_eq!(events.len(), 1);
    assert_eq!(health.rejected[&RejectReason::MissingField].count, 1);

    let metrics = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"claude_code.token.usage","gauge":{"dataPoints":[{"asDouble":5},{"asDouble":6}]}}]}]}]}"#;
    let reply = peer.post("/v1/metrics", "application/json", false, metrics.to_vec());
    let answer: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(answer["partialSuccess"]["rejectedDataPoints"], "2");
    assert_eq!(answer["partialSuccess"]["errorMessage"], "2 unsupported");

    let mut bad = chat(3, 10);
    bad.name = "chat".into();
    let reply = peer.post(
        "/v1/traces",
        "application/x-protobuf",
        false,
        traces_pb(vec![bad, chat(4, 2000)]),
    );
    let answer = ExportTraceServiceResponse::decode(&reply.body[..]).unwrap();
    let partial = answer.partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 1);
    assert_eq!(partial.error_message, "1 missing_field");
    assert_eq!(peer.drain().0[0].tokens.input, 1000);
}

#[test]
fn bad_bodies_are_refused_with_a_reason_and_counted() {
    let peer = start(64, 0, None);
    let reply = peer.post("/v1/logs", "application/x-protobuf", false, vec![0xff; 9]);
    assert_eq!(reply.status, 400);
    let status: (i32, String) = {
        #[derive(Clone, PartialEq, prost::Message)]
        struct Status {
            #[prost(int32, tag = "1")]
            code: i32,
            #[prost(string, tag = "2")]
            message: String,
        }
        let s = Status::decode(&reply.body[..]).unwrap();
        (s.code, s.message)
    };
    assert_eq!(status.0, 3);
    assert!(status.1.contains("not an OTLP protobuf"), "{}", status.1);
    let reply = peer.post(
        "/v1/traces",
        "application/json",
        false,
        b"{\"resourceSpans\":[".to_vec(),
    );
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("not OTLP JSON"), "{}", reply.text());
    let reply = peer.post("/v1/logs", "application/json", true, b"not gzip".to_vec());
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("gzip"), "{}", reply.text());
    // Every cut of a protobuf body: refused or read, and the receiver still answers.
    let body = traces_pb(vec![chat(1, 1280)]);
    for cut in [1, 7, 19, body.len() / 2, body.len() - 1] {
        let reply = peer.post(
            "/v1/traces",
            "application/x-protobuf",
            false,
            body[..cut].to_vec(),
        );
        assert!(matches!(reply.status, 200 | 400), "{cut}: {}", reply.status);
    }
    let (events, health) = peer.drain();
    assert!(events.is_empty());
    assert!(health.rejected[&RejectReason::InvalidBody].count >= 3);
    assert!(health.last_error.is_some());

    let reply = peer.post("/v1/logs", "text/plain", false, b"hello".to_vec());
    assert_eq!(reply.status, 415);
    assert!(
        reply
            .text()
            .contains("application/x-protobuf or application/json")
    );
}

#[test]
fn bodies_past_the_bound_are_refused_gzipped_or_not() {
    let peer = start(64, 0, None);
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    let reply = peer.post("/v1/logs", "application/json", false, big.clone());
    assert_eq!(reply.status, 413);
    assert!(reply.text().contains("over 16 MiB"), "{}", reply.text());
    // A bomb: a few KiB that inflate past the bound.
    let bomb = gzip(&big);
    assert!(bomb.len() < 64 * 1024);
    let reply = peer.post("/v1/logs", "application/json", true, bomb);
    assert_eq!(reply.status, 413);
    // Chunked, with no length declared: cut off at the bound as it streams.
    let mut stream = std::net::TcpStream::connect(&peer.url[7..]).unwrap();
    // A safety net against a hang, not a timing threshold: the answer comes at once.
    let net = Some(std::time::Duration::from_secs(60));
    stream.set_read_timeout(net).unwrap();
    let head = "POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..=(MAX_BODY_BYTES >> 20) {
        if write!(stream, "{:x}\r\n", chunk.len()).is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut stream, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Just within the bound, gzipped: read.
    let mut fits = logs_json(&[api_request("model", "77")]);
    fits.resize(MAX_BODY_BYTES, b' ');
    let reply = peer.post("/v1/logs", "application/json", true, gzip(&fits));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let (events, health) = peer.drain();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tokens.input, 77);
    assert_eq!(health.rejected[&RejectReason::TooLong].count, 3);
}

#[test]
fn a_full_engine_channel_is_answered_503_with_retry_after() {
    let peer = start(1, 1, None);
    let reply = peer.post(
        "/v1/logs",
        "application/json",
        false,
        logs_json(&[api_request("model", "50")]),
    );
    assert_eq!(reply.status, 503);
    assert_eq!(reply.headers["retry-after"], "1");
    // The nudge that filled it, and nothing else.
    assert!(matches!(peer.feeds.try_recv(), Ok(Feed::Nudge)));
    assert!(peer.feeds.try_recv().is_err());
}

#[test]
fn a_token_is_required_when_configured() {
    let env = |name: &str| (name == "TT_OTLP_TOKEN").then(|| "t0ken".to_string());
    let token = token_for(
        &OTLP,
        "127.0.0.1:4318".parse().unwrap(),
        false,
        Some("TT_OTLP_TOKEN"),
        env,
    )
    .unwrap();
    let peer = start(64, 0, token);
    let body = logs_json(&[api_request("model", "50")]);
    let reply = peer.post("/v1/logs", "application/json", false, body.clone());
    assert_eq!(reply.status, 401);
    assert!(!reply.text().contains("t0ken"));
    let reply = peer.post_with(
        "/v1/logs",
        "application/json",
        false,
        body.clone(),
        Some("Bearer nope"),
    );
    assert_eq!(reply.status, 401);
    assert!(peer.drain().0.is_empty());
    let reply = peer.post_with(
        "/v1/logs",
        "application/json",
        false,
        body,
        Some("Bearer t0ken"),
    );
    assert_eq!(reply.status, 200);
    assert_eq!(peer.drain().0[0].tokens.input, 50);
}

mod cli {
    use clap::Parser;
    use tokentop::cli::Cli;
    use tokentop::config::OtlpSettings;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("tokentop").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_address_comes_only_with_equals() {
        let cli = parse(&["--otlp", "logs/"]);
        assert_eq!(cli.run.otlp.otlp.as_deref(), Some("127.0.0.1:4318"));
        assert_eq!(cli.paths, ["logs/"]);
        let cli = parse(&["--otlp=127.0.0.1:9999", "logs/"]);
        assert_eq!(cli.run.otlp.otlp.as_deref(), Some("127.0.0.1:9999"));
        assert_eq!(cli.paths, ["logs/"]);
        let cli = parse(&["logs/"]);
        assert_eq!(cli.run.otlp.otlp, None);
        assert!(Cli::try_parse_from(["tokentop", "--otlp-allow-remote"]).is_err());
    }

    #[test]
    fn a_remote_address_needs_the_flag_and_a_token() {
        let refused = parse(&["--otlp=0.0.0.0:0"])
            .run
            .otlp
            .bind(&OtlpSettings::default())
            .unwrap_err();
        assert!(
            refused.to_string().contains("--otlp-allow-remote"),
            "{refused}"
        );
        let refused = parse(&["--otlp=0.0.0.0:0", "--otlp-allow-remote"])
            .run
            .otlp
            .bind(&OtlpSettings::default())
            .unwrap_err();
        assert!(
            refused.to_string().contains("--otlp-token-env"),
            "{refused}"
        );
        let refused = parse(&["--otlp=nowhere"])
            .run
            .otlp
            .bind(&OtlpSettings::default())
            .unwrap_err();
        assert!(refused.to_string().contains("IP:PORT"), "{refused}");
        let bound = parse(&["--otlp=127.0.0.1:0"])
            .run
            .otlp
            .bind(&OtlpSettings::default())
            .unwrap()
            .unwrap();
        assert!(bound.name().starts_with("otlp 127.0.0.1:"));
    }

    /// Without a terminal the monitor stops at taking it: what it says shows whether the
    /// missing log folders stopped it first.
    #[test]
    fn with_otlp_no_log_folder_is_not_an_error() {
        let home = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = assert_cmd::Command::cargo_bin("tokentop")
                .unwrap()
                .args(args)
                .env("HOME", home.path())
                .env("XDG_STATE_HOME", home.path())
                .env("XDG_CONFIG_HOME", home.path())
                .env_remove("CLAUDE_CONFIG_DIR")
                .env_remove("CODEX_HOME")
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        assert!(run(&[]).contains("no usage logs in the default places"));
        let err = run(&["--otlp=127.0.0.1:0"]);
        assert!(!err.contains("no usage logs"), "{err}");
        assert!(err.contains("not a terminal"), "{err}");
    }

    #[test]
    fn help_states_the_remote_rule() {
        let out = assert_cmd::Command::cargo_bin("tokentop")
            .unwrap()
            .arg("--help")
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        for needle in [
            "--otlp[=<ADDR>]",
            "--otlp-allow-remote",
            "--otlp-token-env",
            "other than loopback needs",
        ] {
            assert!(text.contains(needle), "{needle} missing from help:\n{text}");
        }
    }
}

/// A Claude Code transcript line of request `req_50` with `output` tokens and `cached`
/// cache reads, in project `-home-dev-app`.
fn transcript(output: u64, cached: u64) -> Event {
    let line = format!(
        r#"{{"parentUuid":"p","isSidechain":false,"cwd":"/home/dev/app","sessionId":"s","message":{{"id":"msg_50","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{{"input_tokens":50,"output_tokens":{output},"cache_read_input_tokens":{cached}}}}},"requestId":"req_50","type":"assistant","uuid":"u","timestamp":"2026-08-01T13:05:14Z"}}"#
    );
    let ctx = tokentop::parse::LineContext {
        project_dir: Some("-home-dev-app"),
        project_root: None,
        facts: None,
        read_time: clock(),
    };
    match tokentop::parse::parse_line(line.as_bytes(), &ctx) {
        tokentop::parse::Parsed::Event(e) => *e,
        other => panic!("{other:?}"),
    }
}

/// One request in a transcript and as the agent's OTel `api_request` is one request, with
/// the telemetry's final counts and identity, whichever arrives first and whatever the
/// transcript's counts (placeholders, or larger).
#[test]
fn a_request_in_a_transcript_and_in_telemetry_counts_once_as_the_telemetry_says() {
    let peer = start(64, 0, None);
    peer.post(
        "/v1/logs",
        "application/json",
        false,
        logs_json(&[api_request("model", "50")]),
    );
    let (events, _) = peer.drain();
    let otel = events.into_iter().next().expect("the api_request");
    // A placeholder copy first; then a copy larger than the telemetry's, after it.
    let cases = [
        (transcript(1, 0), otel.clone()),
        (otel.clone(), transcript(500, 20_000)),
    ];
    for (first, second) in cases {
        let mut engine = tokentop::engine::Engine::new(
            std::sync::Arc::new(tokentop::pricing::PriceTable::builtin().clone()),
            jiff::tz::TimeZone::UTC,
        );
        engine.ingest(&first);
        engine.ingest(&second);
        let snap = engine.snapshot(None);
        assert_eq!(snap.totals.requests, 1);
        assert_eq!((snap.totals.output, snap.totals.cache_read), (93, 14265));
        assert!((snap.totals.cost_usd - 0.0416).abs() < 1e-12);
        let ada = engine
            .detail("ada@example.com")
            .expect("the OTel identity")
            .row;
        assert_eq!(ada.totals.requests, 1);
        let app = engine
            .detail("-home-dev-app")
            .map_or(0, |d| d.row.totals.requests);
        assert_eq!(
            app, 0,
            "the transcript's copy moved to the telemetry's identity"
        );
    }
}

/// Claude Code metric points of `session` for ada: `input` tokens, delta, in OTLP JSON.
fn metric_points(session: &str, input: u64) -> Vec<u8> {
    format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[
        {{"key":"service.name","value":{{"stringValue":"claude-code"}}}},
        {{"key":"user.email","value":{{"stringValue":"ada@example.com"}}}}]}},
        "scopeMetrics":[{{"metrics":[{{"name":"claude_code.token.usage","sum":{{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[
        {{"timeUnixNano":"1785589514000000000","asInt":"{input}","attributes":[
          {{"key":"session.id","value":{{"stringValue":"{session}"}}}},
          {{"key":"model","value":{{"stringValue":"claude-sonnet-4-5"}}}},
          {{"key":"type","value":{{"stringValue":"input"}}}}]}}]}}}}]}}]}}]}}"#
    )
    .into_bytes()
}

/// An api_request of `session` with `input` tokens.
fn session_request(session: &str, input: &str) -> Vec<u8> {
    let record = api_request("model", input).replace(
        r#""attributes":["#,
        &format!(r#""attributes":[{{"key":"session.id","value":{{"stringValue":"{session}"}}}},"#),
    );
    logs_json(&[record])
}

#[test]
fn metric_points_count_only_for_sessions_that_send_no_events() {
    let settings = OtlpSettings {
        metric_interval_ms: 0,
        ..OtlpSettings::default()
    };
    let peer = start_with(64, 0, None, settings);
    let json = "application/json";
    // s-events sends its event first: its points are the same usage again.
    assert_eq!(
        peer.post("/v1/logs", json, false, session_request("s-events", "50"))
            .status,
        200
    );
    let reply = peer.post("/v1/metrics", json, false, metric_points("s-events", 50));
    assert_eq!((reply.status, reply.text().as_str()), (200, "{}"));
    // s-metrics sends points only: they count, and so does its later point.
    for input in [700, 30] {
        let reply = peer.post(
            "/v1/metrics",
            json,
            false,
            metric_points("s-metrics", input),
        );
        assert_eq!(reply.status, 200);
    }
    // Its late event would count the same usage twice: only points count for it.
    assert_eq!(
        peer.post("/v1/logs", json, false, session_request("s-metrics", "700"))
            .status,
        200
    );
    let (events, health) = peer.drain();
    let by_session = |s: &str| -> Vec<(u64, bool)> {
        events
            .iter()
            .filter(|e| e.attrs.session.as_deref() == Some(s))
            .map(|e| (e.tokens.input, e.flags.aggregate))
            .collect()
    };
    assert_eq!(by_session("s-events"), [(50, false)]);
    assert_eq!(by_session("s-metrics"), [(700, true), (30, true)]);
    assert_eq!(health.events, 3);
    assert_eq!(health.lines, 5);
    assert_eq!(
        health.lines_without_usage, 2,
        "a dropped point and a dropped event"
    );
}

#[test]
fn metric_points_that_meet_a_full_channel_wait_in_the_gate_and_count_later() {
    let settings = OtlpSettings {
        metric_interval_ms: 0,
        ..OtlpSettings::default()
    };
    let peer = start_with(1, 1, None, settings);
    let reply = peer.post(
        "/v1/metrics",
        "application/json",
        false,
        metric_points("s-1", 640),
    );
    assert_eq!(
        reply.status, 200,
        "the points are taken: they wait in the gate"
    );
    assert!(matches!(peer.feeds.try_recv(), Ok(Feed::Nudge)));
    // The receiver looks at its gate every second: the points go once there is room.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let event = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match peer.feeds.recv_timeout(left) {
            Ok(Feed::Events(mut events)) => break events.remove(0),
            Ok(_) => continue,
            Err(e) => panic!("the held points never came: {e}"),
        }
    };
    assert_eq!((event.tokens.input, event.flags.aggregate), (640, true));
}

/// End to end: Claude Code's and Codex's telemetry posted to the receiver and their logs
/// (a transcript, a rollout) read into one engine count each request and each tool call
/// once, under the telemetry's identity, with the per-request sizes recorded once each.
#[test]
fn telemetry_posted_and_logs_read_count_each_request_and_call_once() {
    use crate::telemetry_dedup as td;
    let peer = start(64, 0, None);
    let bodies = [
        td::logs_body(
            "claude-code",
            &[
                td::api_request(),
                td::tool_result("toolu_1", "Bash"),
                td::tool_result("toolu_2", "Read"),
            ],
        ),
        td::logs_body(
            "codex-cli",
            &[
                td::sse_event(td::FIRST),
                td::sse_event(td::SECOND),
                td::codex_tool_result("call_1"),
            ],
        ),
    ];
    for body in bodies {
        let reply = peer.post("/v1/logs", "application/json", false, body);
        assert_eq!((reply.status, reply.text().as_str()), (200, "{}"));
    }
    let (otel, _) = peer.drain();
    assert_eq!(otel.len(), 6);
    let mut logs = vec![td::transcript(&[("toolu_1", "Bash"), ("toolu_2", "Read")])];
    logs.extend(td::codex_rollout());
    let mut engine = td::tracked_engine();
    for e in logs.iter().chain(&otel) {
        engine.ingest(e);
    }
    assert_eq!(td::counts(&mut engine), (3, 3, 3));
    assert_eq!(td::exported_calls(&mut engine), (3, 3));
    let snap = engine.snapshot(None);
    // Claude Code's 93 output tokens and Codex's 500 + 300, and every call, under the user.
    assert_eq!(td::identity(&snap, "ada@example.com"), (3, 3, 893));
    assert_eq!(snap.totals.output, 893);
}

/// Source health counts data points: the points of one export that make one event count as
/// events each, so that lines = events + without usage + rejected holds for metrics too.
#[test]
fn health_counts_each_point_of_an_export_that_makes_one_event() {
    let settings = OtlpSettings {
        metric_interval_ms: 0,
        ..OtlpSettings::default()
    };
    let peer = start_with(64, 0, None, settings);
    let both = String::from_utf8(metric_points("s-two", 300))
        .unwrap()
        .replace(
            r#"{"key":"type","value":{"stringValue":"input"}}]}"#,
            r#"{"key":"type","value":{"stringValue":"input"}}]},
            {"timeUnixNano":"1785589514000000000","asInt":"40","attributes":[
              {"key":"session.id","value":{"stringValue":"s-two"}},
              {"key":"model","value":{"stringValue":"claude-sonnet-4-5"}},
              {"key":"type","value":{"stringValue":"output"}}]}"#,
        );
    let reply = peer.post("/v1/metrics", "application/json", false, both.into_bytes());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let (events, health) = peer.drain();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].tokens.input, events[0].tokens.output), (300, 40));
    let rejected: u64 = health.rejected.values().map(|r| r.count).sum();
    assert_eq!((health.lines, health.events), (2, 2));
    assert_eq!(
        health.lines,
        health.events + health.lines_without_usage + rejected
    );
}

/// A prompt with a key, posted with content logging on: the receiver hands the engine a
/// carrier (no usage, the prompt's identity, the key's type and place), and health still
/// counts the record as one without usage; the engine raises one secret alert.
#[test]
fn a_secret_in_a_posted_prompt_reaches_its_identity_as_a_finding() {
    let (tx, feeds) = sync_channel(64);
    let scanner = tokentop::secrets::Scanner::new(
        tokentop::secrets::FingerprintKey::from_bytes([5; 32]),
        tokentop::secrets::Ignore::default(),
    );
    let receiver = Receiver::bind(
        "127.0.0.1:0".parse().unwrap(),
        None,
        OtlpSettings::default(),
    )
    .unwrap()
    .scanning(Some(std::sync::Arc::new(scanner)));
    let peer = serving(receiver, tx, feeds);
    let key = "sk-ant-api03-".to_string() + &"Qw3rTy7uIo9pAs2dFg4hJk6l".repeat(4);
    let prompt = format!(
        r#"{{"timeUnixNano":"1785589514000000000","body":{{"stringValue":"claude_code.user_prompt"}},"attributes":[{{"key":"prompt","value":{{"stringValue":"use ANTHROPIC_API_KEY={key}"}}}}]}}"#
    );
    let reply = peer.post("/v1/logs", "application/json", false, logs_json(&[prompt]));
    assert_eq!(reply.status, 200);
    let (events, health) = peer.drain();
    assert_eq!(
        (health.lines, health.events, health.lines_without_usage),
        (1, 0, 1)
    );
    assert_eq!(events.len(), 1);
    assert!(events[0].flags.no_usage);
    assert_eq!(events[0].identity, "ada@example.com");
    let mut engine = crate::common::engine();
    engine.advance(1_785_589_514_000);
    engine.ingest(&events[0]);
    engine.advance(1_785_589_515_000);
    let snapshot = engine.snapshot(None);
    let secret: Vec<_> = snapshot
        .alerts
        .iter()
        .filter(|a| a.kind == tokentop::engine::alerts::AlertKind::Secret)
        .collect();
    assert_eq!(secret.len(), 1);
    let note = secret[0].secret.as_ref().expect("note");
    assert_eq!(
        (note.secret_type, note.place.as_str()),
        ("anthropic_api_key", "attributes.prompt")
    );
    assert_eq!(snapshot.ingest.events, 0, "a carrier counts no event");
    let shown = serde_json::to_string(&secret[0]).expect("json");
    assert!(!shown.contains(&key), "{shown}");
}
