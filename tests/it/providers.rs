//! Provider usage and cost APIs over real HTTP on 127.0.0.1: the pages formats.md shows,
//! pagination over three pages, and every fault (429 with and without Retry-After, 5xx,
//! a timeout, a refused connection, malformed JSON, an empty page, has_more without
//! next_page, 401 and 403). The sleeper is injected: no test waits for a backoff. The
//! sentinel key must appear in nothing tokentop returns or prints.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokentop::parse::provider::{Provider, Report};
use tokentop::source::provider::http::{AdminKey, RetryPolicy, Sleeper};
use tokentop::source::provider::{Fetched, ProviderSpec, fetch_blocking_with};

use crate::provider_server::{Reply, Request, Server, page, page_with_cursor};

pub const SENTINEL: &str = "sk-admin-SENTINEL-9f27c1d4";

/// `tokentop ARGS` with the sentinel as both admin keys and a home of its own (no default
/// logs, config or state), failing if the key shows in what it printed; the home lives as
/// long as the caller keeps it.
pub fn run_with_sentinel(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("tokentop")
        .unwrap()
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("XDG_STATE_HOME", home.path())
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env("OPENAI_ADMIN_KEY", SENTINEL)
        .env("ANTHROPIC_ADMIN_KEY", SENTINEL)
        .env_remove("ANTHROPIC_ADMIN_API_KEY")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("SENTINEL"), "the key leaked: {all}");
    (out, home)
}
/// 2026-08-01T00:00:00Z .. 2026-08-02T00:00:00Z: the day of formats.md's examples.
const DAY: (i64, i64) = (1_785_542_400_000, 1_785_628_800_000);

/// A healthy organization: completions over three pages, every other report on one.
pub fn healthy(r: &Request) -> Reply {
    match r.path.as_str() {
        "/v1/organization/usage/completions" => match r.param("page").as_deref() {
            None => Reply::json(page_with_cursor("openai_completions", Some("p2"))),
            Some("p2") => Reply::json(page_with_cursor("openai_completions", Some("p3"))),
            Some("p3") => Reply::json(page_with_cursor("openai_completions", None)),
            Some(_) => Reply::status(400),
        },
        "/v1/organization/usage/embeddings" => Reply::json(page("openai_embeddings")),
        "/v1/organization/costs" => Reply::json(page_with_cursor("openai_costs", None)),
        "/v1/organizations/usage_report/messages" => Reply::json(page("anthropic_messages")),
        "/v1/organizations/cost_report" => Reply::json(page("anthropic_cost_report")),
        "/v1/organizations/usage_report/claude_code" => Reply::json(page("anthropic_claude_code")),
        _ => Reply::status(404),
    }
}

/// The delays a fetch asked for, instead of waiting them.
fn recording() -> (Sleeper, Arc<Mutex<Vec<Duration>>>) {
    let slept = Arc::new(Mutex::new(Vec::new()));
    let log = slept.clone();
    let sleeper: Sleeper = Arc::new(move |d| {
        log.lock().unwrap().push(d);
        Box::pin(async {})
    });
    (sleeper, slept)
}

pub fn policy() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(500),
        cap: Duration::from_secs(4),
        timeout: Duration::from_millis(300),
    }
}

pub fn spec(provider: Provider, server: &Server) -> ProviderSpec {
    let mut spec = ProviderSpec::new(provider);
    spec.url = match provider {
        Provider::OpenAi => format!("{}/v1", server.base),
        Provider::Anthropic => server.base.clone(),
    };
    spec
}

/// Fetches `providers` from `server` with the sentinel key; asserts that the key is in
/// nothing returned; gives the results and the delays slept.
fn fetch(server: &Server, providers: &[Provider]) -> (Vec<Fetched>, Vec<Duration>) {
    let jobs: Vec<_> = providers
        .iter()
        .map(|&p| (spec(p, server), Some(AdminKey::new(SENTINEL.into()))))
        .collect();
    let (sleeper, slept) = recording();
    let fetched = fetch_blocking_with(&jobs, DAY, DAY.1, policy(), sleeper);
    let shown = format!("{fetched:?} {jobs:?}");
    assert!(!shown.contains("SENTINEL"), "the key leaked: {shown}");
    let slept = slept.lock().unwrap().clone();
    (fetched, slept)
}

fn one(server: &Server, provider: Provider) -> (Fetched, Vec<Duration>) {
    let (mut all, slept) = fetch(server, &[provider]);
    (all.remove(0), slept)
}

fn error(f: &Fetched) -> String {
    f.health.last_error.clone().unwrap_or_default()
}

#[test]
fn openai_follows_next_page_over_three_pages_with_its_admin_key() {
    let server = Server::start(healthy);
    let (f, slept) = one(&server, Provider::OpenAi);
    assert!(f.health.ok, "{:?}", f.health);
    assert!(slept.is_empty());
    let pages: Vec<Option<String>> = server
        .to("/v1/organization/usage/completions")
        .iter()
        .map(|r| r.param("page"))
        .collect();
    assert_eq!(pages, [None, Some("p2".into()), Some("p3".into())]);
    assert_eq!(f.health.pages, 5);
    let usage = f
        .buckets
        .iter()
        .filter(|b| b.report == Report::Usage)
        .count();
    let costs = f
        .buckets
        .iter()
        .filter(|b| b.report == Report::Cost)
        .count();
    assert_eq!((usage, costs), (2 * 3 + 1, 4));
    for r in server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {SENTINEL}").as_str())
        );
        assert_eq!(r.param("start_time").as_deref(), Some("1785542400"));
        assert_eq!(r.param("end_time").as_deref(), Some("1785628800"));
        assert_eq!(r.param("bucket_width").as_deref(), Some("1d"));
    }
    let completions = &server.to("/v1/organization/usage/completions")[0];
    let groups: Vec<String> = completions
        .params()
        .into_iter()
        .filter(|(n, _)| n == "group_by[]")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(groups, ["api_key_id", "project_id", "user_id", "model"]);
}

#[test]
fn anthropic_sends_its_key_and_version_and_reads_every_report() {
    let server = Server::start(healthy);
    let (f, _) = one(&server, Provider::Anthropic);
    assert!(f.health.ok, "{:?}", f.health);
    for r in server.requests() {
        assert_eq!(r.header("x-api-key"), Some(SENTINEL));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.header("authorization"), None);
    }
    let messages = &server.to("/v1/organizations/usage_report/messages")[0];
    assert_eq!(
        messages.param("starting_at").as_deref(),
        Some("2026-08-01T00:00:00.000Z")
    );
    assert_eq!(
        messages.param("ending_at").as_deref(),
        Some("2026-08-02T00:00:00.000Z")
    );
    let days: Vec<Option<String>> = server
        .to("/v1/organizations/usage_report/claude_code")
        .iter()
        .map(|r| r.param("starting_at"))
        .collect();
    assert_eq!(days, [Some("2026-08-01".into())]);
    let count = |report| f.buckets.iter().filter(|b| b.report == report).count();
    assert_eq!(
        (
            count(Report::Usage),
            count(Report::Cost),
            count(Report::ClaudeCode)
        ),
        (2, 3, 2)
    );
    assert!(f.buckets.iter().all(|b| b.requests.is_none()));
}

/// `healthy`, except that the first `n` completions requests get `fault()`.
pub fn faulty(n: usize, fault: impl Fn() -> Reply + Send + Sync + 'static) -> Server {
    let hits = Mutex::new(0usize);
    Server::start(move |r| {
        if r.path == "/v1/organization/usage/completions" {
            let mut hits = hits.lock().unwrap();
            *hits += 1;
            if *hits <= n {
                return fault();
            }
        }
        healthy(r)
    })
}

#[test]
fn a_429_waits_what_retry_after_says_then_goes_on() {
    let server = faulty(1, || {
        Reply::Http(429, vec![("retry-after", "7".into())], String::new())
    });
    let (f, slept) = one(&server, Provider::OpenAi);
    assert!(f.health.ok, "{:?}", f.health);
    assert_eq!(
        slept,
        [Duration::from_secs(4)],
        "7 s capped at the policy's 4 s"
    );
    assert_eq!((f.health.rate_limited, f.health.retries), (1, 1));
    let server = faulty(1, || {
        Reply::Http(429, vec![("retry-after", "2".into())], String::new())
    });
    assert_eq!(one(&server, Provider::OpenAi).1, [Duration::from_secs(2)]);
}

#[test]
fn a_429_without_retry_after_backs_off_exponentially_with_jitter() {
    let server = faulty(3, || Reply::status(429));
    let (f, slept) = one(&server, Provider::OpenAi);
    assert!(f.health.ok, "{:?}", f.health);
    assert_eq!(slept.len(), 3);
    for (n, d) in slept.iter().enumerate() {
        let full = Duration::from_millis(500 * (1 << n));
        assert!(
            *d >= full / 2 && *d <= full,
            "retry {n}: {d:?} not in [{:?}, {full:?}]",
            full / 2
        );
    }
    assert_eq!(f.health.rate_limited, 3);
}

#[test]
fn a_5xx_is_retried_until_the_attempts_run_out() {
    let server = faulty(usize::MAX, || Reply::status(503));
    let (f, slept) = one(&server, Provider::OpenAi);
    assert!(!f.health.ok);
    assert!(
        error(&f).contains("HTTP 503 after 4 attempts"),
        "{}",
        error(&f)
    );
    assert_eq!(slept.len(), 3);
    assert!(slept.iter().all(|d| *d <= Duration::from_secs(4)));
    assert_eq!(server.to("/v1/organization/usage/completions").len(), 4);
    // One 502 then success: read in full.
    let (f, _) = one(&faulty(1, || Reply::status(502)), Provider::OpenAi);
    assert!(f.health.ok, "{:?}", f.health);
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = faulty(usize::MAX, || Reply::Hang);
    let (f, slept) = one(&server, Provider::OpenAi);
    assert!(
        error(&f).contains("timed out after 4 attempts"),
        "{}",
        error(&f)
    );
    assert_eq!(slept.len(), 3);
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut spec = ProviderSpec::new(Provider::OpenAi);
    spec.url = format!("http://127.0.0.1:{port}/v1");
    let (sleeper, slept) = recording();
    let jobs = [(spec, Some(AdminKey::new(SENTINEL.into())))];
    let f = fetch_blocking_with(&jobs, DAY, DAY.1, policy(), sleeper).remove(0);
    assert!(
        error(&f).contains("could not connect after 4 attempts"),
        "{}",
        error(&f)
    );
    assert!(!format!("{f:?}").contains("SENTINEL"));
    assert_eq!(slept.lock().unwrap().len(), 3);
}

#[test]
fn malformed_json_is_an_error_that_says_so_and_never_echoes_the_key() {
    let (f, _) = one(&faulty(1, || Reply::json("{\"data\": [")), Provider::OpenAi);
    assert!(error(&f).contains("not the JSON page"), "{}", error(&f));
    // A server that echoes the key where a value belongs: serde quotes it, tokentop not.
    let echo = format!("{{\"data\":[],\"has_more\":\"{SENTINEL}\",\"next_page\":null}}");
    let (f, _) = one(
        &faulty(1, move || Reply::json(echo.clone())),
        Provider::OpenAi,
    );
    assert!(error(&f).contains("[redacted key]"), "{}", error(&f));
}

#[test]
fn an_empty_page_is_read_as_nothing() {
    let empty = r#"{"object":"page","data":[],"has_more":false,"next_page":null}"#;
    let (f, _) = one(&faulty(1, move || Reply::json(empty)), Provider::OpenAi);
    assert!(f.health.ok, "{:?}", f.health);
    assert!(
        f.buckets
            .iter()
            .all(|b| b.model.as_deref() != Some("gpt-4.1-mini-2025-04-14"))
    );
}

#[test]
fn has_more_without_next_page_stops_with_an_error_not_a_loop() {
    let page = r#"{"object":"page","data":[],"has_more":true,"next_page":null}"#;
    let (f, _) = one(
        &faulty(usize::MAX, move || Reply::json(page)),
        Provider::OpenAi,
    );
    assert!(
        error(&f).contains("has_more is true but next_page is missing"),
        "{}",
        error(&f)
    );
    assert_eq!(f.health.pages, 1);
}

#[test]
fn a_refused_key_names_its_variable_and_only_that_provider_stops() {
    for (status, provider, variable) in [
        (401, Provider::OpenAi, "OPENAI_ADMIN_KEY"),
        (
            403,
            Provider::Anthropic,
            "ANTHROPIC_ADMIN_KEY or ANTHROPIC_ADMIN_API_KEY",
        ),
    ] {
        let server = Server::start(move |r| {
            let refused = match provider {
                Provider::OpenAi => r.path.starts_with("/v1/organization/"),
                Provider::Anthropic => r.path.starts_with("/v1/organizations/"),
            };
            if refused {
                Reply::status(status)
            } else {
                healthy(r)
            }
        });
        let (all, slept) = fetch(&server, &[Provider::OpenAi, Provider::Anthropic]);
        assert!(slept.is_empty(), "{status} is not retried");
        let (bad, good): (Vec<&Fetched>, Vec<&Fetched>) =
            all.iter().partition(|f| f.provider == provider);
        let why = error(bad[0]);
        assert!(
            why.contains(&format!("HTTP {status}")) && why.contains(variable),
            "{why}"
        );
        assert!(why.contains("admin key"), "{why}");
        assert!(good[0].health.ok, "{:?}", good[0].health);
        assert!(!good[0].buckets.is_empty());
    }
}

#[test]
fn a_missing_key_names_the_variable_without_asking() {
    let server = Server::start(healthy);
    let jobs = [(spec(Provider::OpenAi, &server), None)];
    let (sleeper, _) = recording();
    let f = fetch_blocking_with(&jobs, DAY, DAY.1, policy(), sleeper).remove(0);
    assert!(
        error(&f).contains("OPENAI_ADMIN_KEY is not set"),
        "{}",
        error(&f)
    );
    assert!(server.requests().is_empty());
}
