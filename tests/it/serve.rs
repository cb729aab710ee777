//! `tokentop serve` end to end: the binary on a free loopback port, read over HTTP, and
//! checked by real Prometheus peers (`promtool`, `prometheus`) when they are installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::peers::program_or_skip;

/// Far beyond what the answers take; only a broken build waits this long.
const PATIENCE: Duration = Duration::from_secs(60);

const LOG: &str = r#"{"tokentop":1,"ts":"2026-01-01T09:00:00Z","identity":"ana@example.com","model":"gpt-4o-mini","tokens":{"input":1000,"cache_read":24,"output":200,"reasoning":50},"cost_usd":0.5,"request_id":"r1","tools":[{"name":"Bash","id":"t1"}]}
{"tokentop":1,"ts":"2026-01-01T09:01:00Z","identity":"bo","model":"gpt-4o-mini","tokens":{"input":10,"output":5},"cost_usd":0.25,"request_id":"r2"}
this line is not JSON
"#;

/// A running `tokentop serve`, stopped when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tokentop serve ARGS` on a free loopback port, with HOME and the XDG folders in
/// `home`, and waits for the address it prints.
fn serve(args: &[&str], home: &Path) -> Served {
    serve_on("127.0.0.1:0", args, home, &[])
}

/// `serve` on `listen`, with `env` set too.
fn serve_on(listen: &str, args: &[&str], home: &Path, env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("tokentop"))
        .arg("serve")
        .args(args)
        .args(["--listen", listen, "--no-state"])
        .envs(env.iter().copied())
        .env("HOME", home)
        .env("XDG_STATE_HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tokentop serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("tokentop serve ended before saying where it listens")
            .expect("read stderr");
        if let Some(addr) = line.split("http://").nth(1) {
            break addr.trim().to_string();
        }
    };
    Served { child, addr }
}

/// GET `path` from `addr`: the status and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    get_with(addr, path, "")
}

/// GET with extra header lines (each ending in CRLF).
fn get_with(addr: &str, path: &str, headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    assert!(
        !path.starts_with("/metrics")
            || status != 200
            || head
                .to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    (status, body.to_string())
}

/// Polls `probe` until it gives something, or panics after [`PATIENCE`].
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A temp folder with the log in it, and `serve` reading it, once both requests counted.
fn served_log() -> (tempfile::TempDir, Served, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("usage.jsonl");
    std::fs::write(&log, LOG).expect("write log");
    let served = serve(&[log.to_str().expect("utf-8 path")], dir.path());
    let metrics = wait_for("both requests on /metrics", || {
        let (status, body) = get(&served.addr, "/metrics");
        assert_eq!(status, 200, "{body}");
        body.contains("tokentop_requests_total{identity=\"bo\"} 1")
            .then_some(body)
    });
    (dir, served, metrics)
}

fn has(text: &str, line: &str) {
    assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
}

#[test]
fn serve_counts_a_log_on_metrics_and_says_it_is_healthy() {
    let (dir, served, metrics) = served_log();
    let ana = r#"identity="ana@example.com""#;
    for (class, n) in [("input", 1000), ("cache_read", 24), ("output", 200)] {
        let line =
            format!("tokentop_tokens_total{{{ana},class=\"{class}\",model=\"gpt-4o-mini\"}} {n}");
        has(&metrics, &line);
    }
    has(
        &metrics,
        &format!("tokentop_reasoning_tokens_total{{{ana},model=\"gpt-4o-mini\"}} 50"),
    );
    has(
        &metrics,
        &format!("tokentop_cost_usd_total{{{ana},model=\"gpt-4o-mini\"}} 0.5"),
    );
    has(
        &metrics,
        r#"tokentop_cost_usd_total{identity="bo",model="gpt-4o-mini"} 0.25"#,
    );
    has(
        &metrics,
        &format!("tokentop_tool_calls_total{{{ana},tool=\"Bash\",mcp_server=\"\"}} 1"),
    );
    let log = dir.path().join("usage.jsonl");
    let source = log.display();
    has(
        &metrics,
        &format!("tokentop_source_lines_total{{source=\"{source}\",outcome=\"event\"}} 2"),
    );
    has(
        &metrics,
        &format!(
            "tokentop_source_lines_total{{source=\"{source}\",outcome=\"rejected\",reason=\"invalid_json\"}} 1"
        ),
    );
    let lag = metrics
        .lines()
        .find(|l| l.starts_with("tokentop_ingest_lag_seconds{"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("a lag");
    assert!(lag > 86_400.0, "the events are from 2026-01-01: {lag}");
    let (status, body) = get(&served.addr, "/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok\n"), "{body}");
    assert!(
        body.contains(&format!(
            "source {source}: ok (1 files, 3 lines, 2 events, 1 rejected"
        )),
        "{body}"
    );
}

#[test]
fn healthz_answers_503_when_no_source_can_be_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nowhere.jsonl");
    let served = serve(&[missing.to_str().expect("utf-8 path")], dir.path());
    let body = wait_for("a 503 from /healthz", || {
        let (status, body) = get(&served.addr, "/healthz");
        (status == 503).then_some(body)
    });
    assert!(
        body.starts_with("unavailable: no source can be read\n"),
        "{body}"
    );
    assert!(
        body.contains(&format!("source {}: error:", missing.display())),
        "{body}"
    );
    let (status, metrics) = get(&served.addr, "/metrics");
    assert_eq!(status, 200);
    assert!(!metrics.contains("tokentop_tokens_total{"), "{metrics}");
}

#[test]
fn listening_beyond_loopback_without_consent_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(assert_cmd::cargo::cargo_bin!("tokentop"))
        .args(["serve", "--listen", "0.0.0.0:0", "-"])
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen-allow-remote"), "{err}");
}

/// Beyond loopback, only a scraper with the token reads anything (reached here through
/// 127.0.0.1, where the wildcard address listens too).
#[test]
fn beyond_loopback_the_bearer_token_is_required() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("usage.jsonl");
    std::fs::write(&log, LOG).expect("write log");
    let args = [
        log.to_str().expect("utf-8 path"),
        "--listen-allow-remote",
        "--listen-token-env",
        "TT_SCRAPE_TOKEN",
    ];
    let env = [("TT_SCRAPE_TOKEN", "s3cret-token")];
    let served = serve_on("0.0.0.0:0", &args, dir.path(), &env);
    let port = served.addr.rsplit(':').next().expect("a port");
    let local = format!("127.0.0.1:{port}");
    let (status, body) = get(&local, "/healthz");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authorization: Bearer"), "{body}");
    assert!(!body.contains("s3cret"), "{body}");
    let (status, _) = get_with(&local, "/metrics", "Authorization: Bearer wrong\r\n");
    assert_eq!(status, 401);
    let metrics = wait_for("the cost with the token", || {
        let (status, body) = get_with(&local, "/metrics", "Authorization: Bearer s3cret-token\r\n");
        assert_eq!(status, 200, "{body}");
        body.contains("tokentop_cost_usd_total{identity=\"bo\",model=\"gpt-4o-mini\"} 0.25")
            .then_some(body)
    });
    assert!(metrics.contains("tokentop_requests_total{identity=\"ana@example.com\"} 1"));
}

#[test]
fn serve_help_says_remote_listening_needs_a_token() {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("tokentop"))
        .args(["serve", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 127.0.0.1:9464]"), "{help}");
    assert!(help.contains("--listen-allow-remote"), "{help}");
    assert!(help.contains("labels carry user emails"), "{help}");
    assert!(help.contains("Authorization: Bearer TOKEN"), "{help}");
}

#[test]
fn promtool_finds_nothing_to_say_about_the_metrics() {
    let Some(promtool) = program_or_skip(
        "promtool",
        "serve::promtool_finds_nothing_to_say_about_the_metrics",
    ) else {
        return;
    };
    let (_dir, _served, metrics) = served_log();
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(metrics.as_bytes())
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert_eq!(said.trim(), "", "promtool's findings");
}

/// A loopback port free right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

#[test]
fn a_real_prometheus_scrapes_the_cost() {
    let Some(prometheus) =
        program_or_skip("prometheus", "serve::a_real_prometheus_scrapes_the_cost")
    else {
        return;
    };
    let (dir, served, _) = served_log();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tokentop\n    static_configs:\n      - targets: ['{}']\n",
            served.addr
        ),
    )
    .expect("write config");
    let web = format!("127.0.0.1:{}", free_port());
    let child = Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("tsdb").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    let _prometheus = Served {
        child,
        addr: web.clone(),
    };
    let query = "/api/v1/query?query=sum(tokentop_cost_usd_total)";
    let value = wait_for("Prometheus to have scraped the cost", || {
        let (status, body) = TcpStream::connect(&web).ok().map(|_| get(&web, query))?;
        if status != 200 {
            return None;
        }
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        let value = json["data"]["result"][0]["value"][1].as_str()?;
        Some(value.to_string())
    });
    assert_eq!(value, "0.75");
}

/// The value of the series that starts with `series` (labels included), when exposed.
fn series_value(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// The official OpenTelemetry messages from PyPI, sent by `tests/otel/send.py` as a real
/// client sends them, protobuf and JSON: a Claude Code `api_request`, a GenAI chat span and
/// metric points come out of `serve --otlp` as the tokens and cost they carry, the points
/// of a session that sent its event not counted again.
#[test]
fn a_real_opentelemetry_client_is_counted_in_protobuf_and_in_json() {
    let test = "serve::a_real_opentelemetry_client_is_counted_in_protobuf_and_in_json";
    let Some(python) = crate::peers::otel_python_or_skip(test) else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send.py");
    for encoding in ["protobuf", "json"] {
        let home = tempfile::tempdir().expect("home");
        // Metric points count at once (no export interval to wait in a test).
        let config = home.path().join("tokentop/config.toml");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        std::fs::write(&config, "[otlp]\nmetric_interval_secs = 0\n").unwrap();
        let port = free_port();
        let served = serve(&[&format!("--otlp=127.0.0.1:{port}")], home.path());
        let sent = Command::new(&python)
            .arg(&script)
            .arg(format!("http://127.0.0.1:{port}"))
            .arg(encoding)
            .output()
            .expect("run the client");
        assert!(sent.status.success(), "{encoding}: {sent:?}");
        assert_eq!(String::from_utf8_lossy(&sent.stdout).trim(), "200 200 200");
        let claude = r#"identity="otel-dev@example.com""#;
        let body = wait_for("the client's tokens on /metrics", || {
            let (_, body) = get(&served.addr, "/metrics");
            (body.contains(claude) && body.contains("otel-metrics-svc")).then_some(body)
        });
        let tokens = |identity: &str, class: &str| {
            let series = format!(r#"tokentop_tokens_total{{identity="{identity}",class="{class}""#);
            series_value(&body, &series).unwrap_or_else(|| panic!("{series}: {body}"))
        };
        let me = "otel-dev@example.com";
        assert_eq!(
            [
                tokens(me, "input"),
                tokens(me, "cache_read"),
                tokens(me, "cache_write_5m") + tokens(me, "cache_write_1h"),
                tokens(me, "output")
            ],
            [1000.0, 2000.0, 300.0, 150.0],
            "{encoding}"
        );
        let cost = series_value(&body, &format!(r#"tokentop_cost_usd_total{{{claude}"#)).unwrap();
        assert!((cost - 0.0123).abs() < 1e-9, "{encoding}: {cost}");
        // The chat span: 500 input of which 100 cache reads, 40 output, by its agent.
        let agent = "otel-agent";
        assert_eq!(
            [
                tokens(agent, "input"),
                tokens(agent, "cache_read"),
                tokens(agent, "output")
            ],
            [400.0, 100.0, 40.0],
            "{encoding}"
        );
        // Metric points: a session with no events, and a service's histogram.
        let only = "metrics-only@example.com";
        assert_eq!(
            [tokens(only, "input"), tokens(only, "output")],
            [700.0, 70.0],
            "{encoding}"
        );
        let only_cost = format!(r#"tokentop_cost_usd_total{{identity="{only}""#);
        let cost = series_value(&body, &only_cost).unwrap();
        assert!((cost - 0.005).abs() < 1e-9, "{encoding}: {cost}");
        assert_eq!(tokens("otel-metrics-svc", "input"), 900.0, "{encoding}");
        // Points are no requests: only the api_request is one.
        let requests = series_value(&body, r#"tokentop_requests_total{identity="metrics-only"#);
        assert_eq!(requests.unwrap_or(0.0), 0.0, "{encoding}");
    }
}
