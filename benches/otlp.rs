//! OTLP ingest throughput: a Rust client posts protobuf trace export requests of 100 GenAI
//! chat spans each to the receiver on loopback (`--otlp`), one request at a time on each
//! of several connections, while a consumer thread ingests every event into an engine, as
//! the monitor's engine thread does. Events per second from the first request sent to the
//! last event ingested, and how often the receiver answered 503 (the engine behind; the
//! client then waits 5 ms and sends the request again).
//!
//!   cargo bench --bench otlp                 # 400 requests of 100 spans, 4 connections
//!   cargo bench --bench otlp -- 1000 8       # requests, connections
//!
//! With `--to ADDR` it is only a client, paced: it sends to a receiver already running (the
//! monitor's `--otlp`), `--rate` events per second for `--seconds`, and prints what it
//! achieved; `scripts/ui_latency_during_otlp.sh` times keys in the monitor meanwhile.
//!
//!   cargo bench --bench otlp -- --to 127.0.0.1:4318 --rate 20000 --seconds 30
//!
//! Figures are quoted in docs/benchmarks.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use tokentop::engine::Engine;
use tokentop::pricing::PriceTable;
use tokentop::source::otlp::Receiver;
use tokentop::source::{CHANNEL_CAPACITY, Feed};

const SPANS_PER_REQUEST: usize = 100;

fn clock() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
    }
}

/// One export request of 100 chat spans by 10 agents, each span its own response.
fn request(n: usize, now_ns: u64) -> Vec<u8> {
    let spans = (0..SPANS_PER_REQUEST)
        .map(|i| {
            let id = (n * SPANS_PER_REQUEST + i) as u64;
            Span {
                trace_id: id.to_be_bytes().repeat(2),
                span_id: id.to_be_bytes().to_vec(),
                name: "chat gpt-4o-mini".into(),
                start_time_unix_nano: now_ns - 1_000_000_000,
                end_time_unix_nano: now_ns,
                attributes: vec![
                    kv(
                        "gen_ai.operation.name",
                        any_value::Value::StringValue("chat".into()),
                    ),
                    kv(
                        "gen_ai.request.model",
                        any_value::Value::StringValue("gpt-4o-mini".into()),
                    ),
                    kv(
                        "gen_ai.response.id",
                        any_value::Value::StringValue(format!("chatcmpl-{id}")),
                    ),
                    kv(
                        "gen_ai.agent.name",
                        any_value::Value::StringValue(format!("agent-{}", i % 10)),
                    ),
                    kv(
                        "gen_ai.usage.input_tokens",
                        any_value::Value::IntValue(1_200),
                    ),
                    kv("gen_ai.usage.output_tokens", any_value::Value::IntValue(80)),
                ],
                ..Span::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("bench".into()),
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

/// The client's runtime, one worker thread, in both modes.
fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// Posts one export request until it is taken: a 503 (the engine behind) is counted in
/// `busy` and sent again 5 ms later.
async fn send(client: &reqwest::Client, url: &str, body: &[u8], busy: &AtomicU64) {
    loop {
        let answer = client
            .post(url)
            .header("content-type", "application/x-protobuf")
            .body(body.to_vec())
            .send()
            .await
            .expect("send");
        if answer.status().as_u16() != 503 {
            assert_eq!(answer.status().as_u16(), 200);
            return;
        }
        busy.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        all.iter()
            .position(|a| a == name)
            .and_then(|i| all.get(i + 1))
            .cloned()
    };
    if let Some(addr) = flag("--to") {
        let number = |name, default| flag(name).and_then(|v| v.parse().ok()).unwrap_or(default);
        return paced(&addr, number("--rate", 20_000), number("--seconds", 30));
    }
    let args: Vec<usize> = all.iter().filter_map(|a| a.parse().ok()).collect();
    let requests = args.first().copied().unwrap_or(400);
    let connections = args.get(1).copied().unwrap_or(4).max(1);
    let expected = (requests * SPANS_PER_REQUEST) as u64;

    let (tx, rx) = std::sync::mpsc::sync_channel::<Feed>(CHANNEL_CAPACITY);
    let receiver =
        Receiver::bind("127.0.0.1:0".parse().unwrap(), None, Default::default()).expect("bind");
    let url = format!("http://{}/v1/traces", receiver.local_addr().unwrap());
    let _server = receiver.spawn(tx, clock).expect("spawn");
    let ingested = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&ingested);
    let consumer = std::thread::spawn(move || {
        let mut engine = Engine::new(
            Arc::new(PriceTable::builtin().clone()),
            jiff::tz::TimeZone::UTC,
        );
        let mut last = Instant::now();
        while let Ok(feed) = rx.recv() {
            if let Feed::Events(batch) = feed {
                batch.iter().for_each(|e| engine.ingest(e));
                last = Instant::now();
                if counted.fetch_add(batch.len() as u64, Ordering::SeqCst) + batch.len() as u64
                    >= expected
                {
                    return (last, engine.snapshot(None).totals.requests);
                }
            }
        }
        (last, 0)
    });

    // reqwest is built without a TLS provider of its own: tokentop installs ring.
    tokentop::source::provider::http::install_crypto();
    let now_ns = (clock() as u64) * 1_000_000;
    let bodies: Vec<Vec<u8>> = (0..requests).map(|n| request(n, now_ns)).collect();
    let busy = Arc::new(AtomicU64::new(0));
    let runtime = client_runtime();
    let start = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let bodies = Arc::new(bodies);
        let tasks: Vec<_> = (0..connections)
            .map(|c| {
                let (client, url, bodies, busy) = (
                    client.clone(),
                    url.clone(),
                    Arc::clone(&bodies),
                    Arc::clone(&busy),
                );
                tokio::spawn(async move {
                    for body in bodies.iter().skip(c).step_by(connections) {
                        send(&client, &url, body, &busy).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    let sent = start.elapsed();
    let (last, requests_counted) = consumer.join().expect("consumer");
    let total = last.duration_since(start);
    println!(
        "otlp: {requests} requests x {SPANS_PER_REQUEST} spans over {connections} connections: sent in {:.2} s, all {expected} ingested in {:.2} s = {:.0} events/s; {} answers 503; engine counted {requests_counted} requests",
        sent.as_secs_f64(),
        total.as_secs_f64(),
        expected as f64 / total.as_secs_f64(),
        busy.load(Ordering::SeqCst),
    );
}

/// Sends `rate` events a second for `seconds` to the receiver at `addr`, a request of 100
/// spans every `100 / rate` seconds (a 503 is sent again 5 ms later), and prints what went.
fn paced(addr: &str, rate: usize, seconds: usize) {
    tokentop::source::provider::http::install_crypto();
    let url = format!("http://{addr}/v1/traces");
    let requests = rate * seconds / SPANS_PER_REQUEST;
    let every = Duration::from_secs_f64(SPANS_PER_REQUEST as f64 / rate as f64);
    let busy = Arc::new(AtomicU64::new(0));
    let runtime = client_runtime();
    let start = Instant::now();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut tasks = Vec::with_capacity(requests);
        for n in 0..requests {
            tick.tick().await;
            let body = request(n, (clock() as u64) * 1_000_000);
            let (client, url, busy) = (client.clone(), url.clone(), Arc::clone(&busy));
            tasks.push(tokio::spawn(async move {
                send(&client, &url, &body, &busy).await
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let took = start.elapsed().as_secs_f64();
    let events = requests * SPANS_PER_REQUEST;
    println!(
        "otlp client: {events} events in {requests} requests to {addr} in {took:.2} s = {:.0} events/s (asked {rate}); {} answers 503",
        events as f64 / took,
        busy.load(Ordering::SeqCst),
    );
}
