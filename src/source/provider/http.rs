//! One GET with retries: exponential backoff with jitter, capped, `Retry-After` honoured,
//! the sleeper injected so tests never wait. The admin key goes into a sensitive header
//! and is scrubbed from every message, so it never reaches output, an error or a panic.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderName, HeaderValue, RETRY_AFTER};

/// Waits between attempts; real code sleeps on tokio, tests record the delay and return.
pub type Sleeper = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The sleeper the binary uses.
pub fn tokio_sleeper() -> Sleeper {
    Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

/// An admin key. Its Debug never shows it.
#[derive(Clone)]
pub struct AdminKey(String);

impl AdminKey {
    pub fn new(key: String) -> Self {
        AdminKey(key)
    }

    /// The key itself, for the one header that carries it.
    pub(super) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every copy of the key replaced.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "[redacted key]")
    }
}

impl std::fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminKey([redacted])")
    }
}

/// How retries are spaced.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first wait; each next one doubles.
    pub base: Duration,
    /// No wait (backoff or `Retry-After`) is longer.
    pub cap: Duration,
    /// Per request, connecting included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `n` (0 for the first retry): `base * 2^n`, capped, then a
    /// jitter `unit` in [0, 1) takes it somewhere in its upper half, so that clients
    /// throttled together do not retry together.
    pub fn backoff(&self, n: u32, unit: f64) -> Duration {
        let full = self
            .base
            .saturating_mul(2u32.saturating_pow(n))
            .min(self.cap);
        full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// Why a GET failed for good.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {0}: the admin key was refused")]
    Refused(u16),
    #[error("HTTP {status} after {attempts} attempts")]
    Status { status: u16, attempts: u32 },
    #[error("timed out after {attempts} attempts")]
    Timeout { attempts: u32 },
    #[error("could not connect after {attempts} attempts: {reason}")]
    Connect { attempts: u32, reason: String },
    #[error("{0}")]
    Other(String),
}

/// What one GET cost in retries.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attempts {
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
}

/// A client, its retry policy, its sleeper and its jitter.
pub struct Http {
    client: reqwest::Client,
    policy: RetryPolicy,
    sleeper: Sleeper,
    jitter: std::sync::Mutex<u64>,
}

/// rustls with ring, installed once per process before any client is built.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // Deprecated in rustls 0.23.48 for lacking post-quantum key exchange; ring is the
    // provider crates.md chose for its build cost, and TLS 1.3 with X25519 is kept.
    #[allow(deprecated)]
    ONCE.call_once(|| {
        // Err only when another provider was installed first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Http {
    pub fn new(policy: RetryPolicy, sleeper: Sleeper) -> Result<Http, FetchError> {
        install_crypto();
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .user_agent(concat!("tokentop/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Other(format!("cannot build an HTTP client: {e}")))?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            | 1;
        Ok(Http {
            client,
            policy,
            sleeper,
            jitter: std::sync::Mutex::new(seed),
        })
    }

    /// A number in [0, 1) (xorshift64*; jitter needs no better).
    fn unit(&self) -> f64 {
        let mut state = self.jitter.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// GETs `url` with `query` and `headers` (the key among them, marked sensitive), retrying
    /// 429, 5xx, timeouts and refused connections; 401 and 403 are not retried.
    pub async fn get(
        &self,
        url: &str,
        query: &[(&str, String)],
        headers: &[(&'static str, &str)],
        key: &AdminKey,
        tally: &mut Attempts,
    ) -> Result<String, FetchError> {
        let mut url = reqwest::Url::parse(url)
            .map_err(|e| FetchError::Other(format!("the URL {url:?} is not valid: {e}")))?;
        url.query_pairs_mut().extend_pairs(query);
        let mut attempt = 0;
        loop {
            attempt += 1;
            tally.requests += 1;
            let mut request = self.client.get(url.clone());
            for (name, value) in headers {
                let mut value = HeaderValue::from_str(value).map_err(|_| {
                    FetchError::Other("the admin key is not a valid header value".into())
                })?;
                value.set_sensitive(true);
                request = request.header(HeaderName::from_static(name), value);
            }
            let wait = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return response.text().await.map_err(|e| {
                            FetchError::Other(
                                key.scrub(&format!("reading the body: {}", chain(&e))),
                            )
                        });
                    }
                    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                        return Err(FetchError::Refused(status.as_u16()));
                    }
                    let retry_after = retry_after(&response);
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        tally.rate_limited += 1;
                    } else if !status.is_server_error() {
                        return Err(FetchError::Status {
                            status: status.as_u16(),
                            attempts: attempt,
                        });
                    }
                    if attempt >= self.policy.attempts {
                        return Err(FetchError::Status {
                            status: status.as_u16(),
                            attempts: attempt,
                        });
                    }
                    retry_after.map(|d| d.min(self.policy.cap))
                }
                Err(e) if attempt >= self.policy.attempts => {
                    return Err(if e.is_timeout() {
                        FetchError::Timeout { attempts: attempt }
                    } else {
                        FetchError::Connect {
                            attempts: attempt,
                            reason: key.scrub(&chain(&e)),
                        }
                    });
                }
                Err(_) => None,
            };
            let wait = wait.unwrap_or_else(|| self.policy.backoff(attempt - 1, self.unit()));
            tally.retries += 1;
            (self.sleeper)(wait).await;
        }
    }
}

/// `Retry-After` in seconds (the HTTP-date form falls back to backoff).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let text = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// An error and its causes, `a: b: c`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_its_upper_half() {
        let p = RetryPolicy {
            attempts: 9,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(50));
        assert_eq!(p.backoff(2, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff(10, 1.0), Duration::from_secs(1));
        assert_eq!(p.backoff(40, 0.0), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_in_the_unit_interval_and_varies() {
        let http = Http::new(RetryPolicy::default(), tokio_sleeper()).unwrap();
        let units: Vec<f64> = (0..1000).map(|_| http.unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        assert!(units.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn a_key_never_shows_in_debug_or_scrubbed_text() {
        let key = AdminKey::new("sk-admin-SENTINEL".into());
        assert!(!format!("{key:?}").contains("SENTINEL"));
        assert_eq!(key.scrub("x sk-admin-SENTINEL y"), "x [redacted key] y");
    }
}
