//! Provider pollers: read the OpenAI and Anthropic usage and cost reports over HTTPS into
//! [`ProviderBucket`]s, following `next_page` to the end, and report their own health. IO
//! only: the parsers live in `parse::provider`.

mod endpoints;
pub mod http;
pub mod poll;
pub mod schedule;

use std::time::Duration;

use serde::Serialize;

use self::http::{AdminKey, Attempts, FetchError, Http, RetryPolicy, Sleeper};
use crate::event::TimeMs;
use crate::parse::provider::{Family, Provider, ProviderBucket, ProviderUpdate, Width};

/// A provider run for one page after another would loop on a cursor that never ends.
const MAX_PAGES: u64 = 1000;

/// One provider to read, resolved from the command line and the config.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderSpec {
    pub provider: Provider,
    /// Environment variables that may hold the admin key, the first set one wins.
    pub key_env: Vec<String>,
    /// The API's base URL, without a trailing `/`.
    pub url: String,
    /// How often the monitor polls (kept for it; reports read once).
    pub interval: Duration,
}

impl ProviderSpec {
    /// The provider with its defaults: the public API, the usual key variables, 60 s.
    pub fn new(provider: Provider) -> Self {
        let (url, key_env): (&str, &[&str]) = match provider {
            Provider::OpenAi => ("https://api.openai.com/v1", &["OPENAI_ADMIN_KEY"]),
            Provider::Anthropic => (
                "https://api.anthropic.com",
                &["ANTHROPIC_ADMIN_KEY", "ANTHROPIC_ADMIN_API_KEY"],
            ),
        };
        ProviderSpec {
            provider,
            key_env: key_env.iter().map(|s| s.to_string()).collect(),
            url: url.to_string(),
            interval: Duration::from_secs(60),
        }
    }

    /// The variables, as a message names them.
    fn key_names(&self) -> String {
        self.key_env.join(" or ")
    }

    /// Why this provider cannot be read without a key, and what to do.
    pub fn missing_key(&self) -> String {
        format!(
            "{}: {} is not set: it needs an organization admin key",
            self.provider.name(),
            self.key_names()
        )
    }

    /// The admin key from the first variable that is set and not empty.
    pub fn key(&self) -> Option<AdminKey> {
        self.key_env
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|v| !v.trim().is_empty())
            .map(|v| AdminKey::new(v.trim().to_string()))
    }
}

/// How a provider's reading went.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProviderHealth {
    pub url: String,
    /// Every report was read to its last page.
    pub ok: bool,
    pub last_error: Option<String>,
    /// When the last page was read (RFC 3339).
    pub last_success: Option<String>,
    pub pages: u64,
    /// HTTP requests made, retries included.
    pub requests: u64,
    pub retries: u64,
    /// Answers of 429 Too Many Requests.
    pub rate_limited: u64,
    /// Results of kinds this version does not read.
    pub skipped_results: u64,
}

/// A polled provider as the monitor shows it: its health, when it polls next, and whether
/// it is waiting out a rate limit or has stopped for good (a refused key).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProviderStatus {
    pub provider: Option<Provider>,
    pub health: ProviderHealth,
    /// When the next poll is due (wall clock).
    pub next_poll: Option<TimeMs>,
    /// Answered 429: no request before this.
    pub rate_limited_until: Option<TimeMs>,
    /// Polling ended for good: `health.last_error` says why and what to do.
    pub stopped: bool,
    /// Buckets read back from the state store at start, not fetched again.
    pub restored_buckets: u64,
}

/// What one provider gave for a range, and how it went.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub provider: Provider,
    pub buckets: Vec<ProviderBucket>,
    pub health: ProviderHealth,
}

/// Reads every report of `spec` for `range` in 1d buckets. A failure stops this provider
/// (keeping what it read) and is its health's `last_error`; `now` stamps success.
pub async fn fetch(
    http: &Http,
    spec: &ProviderSpec,
    key: Option<AdminKey>,
    range: (TimeMs, TimeMs),
    now: TimeMs,
) -> Fetched {
    let mut fetched = Fetched {
        provider: spec.provider,
        buckets: Vec::new(),
        health: ProviderHealth {
            url: spec.url.clone(),
            ..ProviderHealth::default()
        },
    };
    let Some(key) = key else {
        fetched.health.last_error = Some(spec.missing_key());
        return fetched;
    };
    let mut tally = Attempts::default();
    let mut result = Ok(());
    for family in [Family::Usage, Family::Cost] {
        let mut read = Read {
            http,
            spec,
            key: &key,
            tally: &mut tally,
            health: &mut fetched.health,
        };
        let (update, read) = read.update(family, Width::Day, range, now).await;
        fetched.buckets.extend(update.buckets);
        if read.is_err() {
            result = read;
            break;
        }
    }
    let h = &mut fetched.health;
    (h.requests, h.retries, h.rate_limited) = (tally.requests, tally.retries, tally.rate_limited);
    match result {
        Ok(()) => h.ok = true,
        Err(e) => h.last_error = Some(key.scrub(&format!("{}: {e}", spec.provider.name()))),
    }
    fetched
}

/// One provider's reading in progress: where to ask, with which key, and what it has cost.
pub struct Read<'a> {
    pub http: &'a Http,
    pub spec: &'a ProviderSpec,
    pub key: &'a AdminKey,
    pub tally: &'a mut Attempts,
    pub health: &'a mut ProviderHealth,
}

impl Read<'_> {
    /// Reads one family of reports for `range` (aligned to `width` here) in `width`
    /// buckets, every page of every report, into one update stamped `now`. On an error
    /// the update holds what was read before it: a report may show it, but it must not
    /// replace its range. The error names the report and says what to do; it never holds
    /// the key.
    pub async fn update(
        &mut self,
        family: Family,
        width: Width,
        (start, end): (TimeMs, TimeMs),
        now: TimeMs,
    ) -> (ProviderUpdate, Result<(), ReadError>) {
        let width = match family {
            Family::Cost => Width::Day,
            Family::Usage => width,
        };
        let range = (width.floor(start), end);
        let mut update = ProviderUpdate {
            provider: self.spec.provider,
            family,
            width,
            range,
            fetched_at: now,
            buckets: Vec::new(),
        };
        for endpoint in endpoints::endpoints(self.spec.provider, family, width, range) {
            if let Err(e) = self.read_pages(&endpoint, &mut update.buckets, now).await {
                return (update, Err(e));
            }
        }
        (update, Ok(()))
    }

    /// Reads one report to its last page into `buckets`.
    async fn read_pages(
        &mut self,
        endpoint: &endpoints::Endpoint,
        buckets: &mut Vec<ProviderBucket>,
        now: TimeMs,
    ) -> Result<(), ReadError> {
        let url = format!("{}{}", self.spec.url.trim_end_matches('/'), endpoint.path);
        let auth = match self.spec.provider {
            Provider::OpenAi => format!("Bearer {}", key_text(self.key)),
            Provider::Anthropic => key_text(self.key).to_string(),
        };
        let headers: Vec<(&'static str, &str)> = match self.spec.provider {
            Provider::OpenAi => vec![("authorization", auth.as_str())],
            Provider::Anthropic => vec![
                ("x-api-key", auth.as_str()),
                ("anthropic-version", "2023-06-01"),
            ],
        };
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, String)> = endpoint.query.clone();
            if let Some(c) = &cursor {
                query.push(("page", c.clone()));
            }
            let body = self
                .http
                .get(&url, &query, &headers, self.key, self.tally)
                .await
                .map_err(|e| describe(self.spec, endpoint.path, e))?;
            let page = (endpoint.parse)(&body)
                .map_err(|e| ReadError::other(format!("{}: {e}", endpoint.path)))?;
            self.health.pages += 1;
            self.health.skipped_results += page.skipped as u64;
            self.health.last_success = Some(crate::timefmt::format_rfc3339_ms(now));
            buckets.extend(page.buckets);
            match (page.has_more, page.next_page) {
                (false, _) => return Ok(()),
                (true, None) => {
                    return Err(ReadError::other(format!(
                        "{}: has_more is true but next_page is missing; stopped after {} pages",
                        endpoint.path, self.health.pages
                    )));
                }
                (true, Some(next)) if cursor.as_deref() == Some(next.as_str()) => {
                    return Err(ReadError::other(format!(
                        "{}: next_page repeats the page just read",
                        endpoint.path
                    )));
                }
                (true, Some(next)) => cursor = Some(next),
            }
        }
        Err(ReadError::other(format!(
            "{}: more than {MAX_PAGES} pages",
            endpoint.path
        )))
    }
}

/// The key as sent; only ever placed in a header marked sensitive.
fn key_text(key: &AdminKey) -> &str {
    key.expose()
}

/// Why a read stopped, in words that say what to do (never holding the key).
#[derive(Clone, Debug, PartialEq)]
pub struct ReadError {
    pub message: String,
    pub kind: Failure,
}

/// What kind of failure stopped a read: a poller stops for good on a refused key and
/// shows a rate limit as such.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 401 or 403: the key is wrong, asking again will not help.
    Refused,
    /// 429 until the attempts ran out.
    RateLimited,
    Other,
}

impl ReadError {
    fn other(message: String) -> Self {
        ReadError {
            message,
            kind: Failure::Other,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed GET as a message that says what to do: a refused key names its variable.
fn describe(spec: &ProviderSpec, path: &str, e: FetchError) -> ReadError {
    let kind = match e {
        FetchError::Refused(_) => Failure::Refused,
        FetchError::Status { status: 429, .. } => Failure::RateLimited,
        _ => Failure::Other,
    };
    let message = match e {
        FetchError::Refused(status) => format!(
            "{path}: HTTP {status}: the key in {} was refused; it must be an organization admin key ({}), not a project or workspace key",
            spec.key_names(),
            match spec.provider {
                Provider::OpenAi => "sk-admin-…",
                Provider::Anthropic => "sk-ant-admin…",
            }
        ),
        e => format!("{path}: {e}"),
    };
    ReadError { message, kind }
}

/// Reads every provider once for `range` on a runtime of its own (for `report` and
/// `check`, which are not async), keys from the environment.
pub fn fetch_blocking(
    specs: &[ProviderSpec],
    range: (TimeMs, TimeMs),
    now: TimeMs,
) -> Vec<Fetched> {
    let jobs: Vec<(ProviderSpec, Option<AdminKey>)> =
        specs.iter().map(|s| (s.clone(), s.key())).collect();
    fetch_blocking_with(
        &jobs,
        range,
        now,
        RetryPolicy::default(),
        http::tokio_sleeper(),
    )
}

/// [`fetch_blocking`] with the keys, the retry policy and the sleeper given (tests never
/// wait, nor touch the environment).
pub fn fetch_blocking_with(
    jobs: &[(ProviderSpec, Option<AdminKey>)],
    range: (TimeMs, TimeMs),
    now: TimeMs,
    policy: RetryPolicy,
    sleeper: Sleeper,
) -> Vec<Fetched> {
    // No runtime and no client (which loads the system's certificates) for nothing.
    if jobs.is_empty() {
        return Vec::new();
    }
    let failed = |spec: &ProviderSpec, why: String| Fetched {
        provider: spec.provider,
        buckets: Vec::new(),
        health: ProviderHealth {
            url: spec.url.clone(),
            last_error: Some(format!("{}: {why}", spec.provider.name())),
            ..ProviderHealth::default()
        },
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            return jobs
                .iter()
                .map(|(s, _)| failed(s, format!("no runtime: {e}")))
                .collect();
        }
    };
    let http = match Http::new(policy, sleeper) {
        Ok(h) => h,
        Err(e) => return jobs.iter().map(|(s, _)| failed(s, e.to_string())).collect(),
    };
    runtime.block_on(async {
        let mut all = Vec::new();
        for (spec, key) in jobs {
            all.push(fetch(&http, spec, key.clone(), range, now).await);
        }
        all
    })
}
