//! `--demo`'s built-in provider: OpenAI's and Anthropic's usage and cost reports on a
//! loopback port the system chooses, answered from the same recording the demo replays,
//! so that the Providers view and reconciliation work with no credentials.
//!
//! The provider sees every request of the recording, the logs only those each replayed
//! pass keeps (80-100%): the small gap is what logs that miss requests look like. One
//! key no log explains ([`LEAKED_KEY`]) has spent steadily since yesterday's UTC midnight,
//! billed once the day is over: mapped onto `svc-checkout` by the demo's config, it shows
//! as unattributed spend and raises an `unattributed` alert.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

use super::{HISTORY_PASSES, LIVE_FROM_MS, LOOP_MS, Recording};
use crate::event::{TimeMs, Tokens};
use crate::pricing::PriceTable;
use crate::source::origin::Origins;

/// The key billed for usage no log explains.
pub const LEAKED_KEY: &str = "key_ci_runner_3f9a";
const LEAKED_MODEL: &str = "gpt-4.1";
const LEAKED_PROJECT: &str = "proj_checkout";
/// What the leaked key spends each minute: about $0.08 at gpt-4.1's prices.
const LEAKED_PER_MINUTE: Tokens = Tokens {
    input: 30_000,
    cache_read: 0,
    cache_write_5m: 0,
    cache_write_1h: 0,
    output: 3_000,
    reasoning: 0,
};
const MINUTE_MS: TimeMs = 60_000;
const DAY_MS: TimeMs = 86_400_000;
/// A request line and headers larger than this are refused: the port is loopback, but
/// still open to every local program.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// Usage of one key and model.
#[derive(Clone, Debug, Default, PartialEq)]
struct Use {
    tokens: Tokens,
    requests: u64,
}

impl Use {
    fn add(&mut self, t: &Tokens, requests: u64) {
        self.tokens = self.tokens.zip_with(t, u64::saturating_add);
        self.requests += requests;
    }
}

/// (provider, key, project, model): the groups a report's rows are by.
type Group = (String, String, String, String);

/// The recording by minute of its loop, and where its timeline sits on the wall clock.
pub struct Mock {
    minutes: Vec<BTreeMap<Group, Use>>,
    /// Where the loop starts (as the demo replays it) and from when its history is played.
    zero: TimeMs,
    history_from: TimeMs,
    /// Yesterday's UTC midnight at start: the leaked key spends from then on.
    leak_from: TimeMs,
    prices: PriceTable,
}

impl Mock {
    /// The recording aggregated by loop minute, placed as the demo started at `start`
    /// places it.
    pub fn new(start: TimeMs) -> Mock {
        let recording = Recording::load(&Origins::default());
        let mut minutes = vec![BTreeMap::new(); (LOOP_MS / MINUTE_MS) as usize];
        for e in recording.events(0, 0) {
            let (Some(key), Some(slot)) = (
                e.attrs.api_key_id.clone(),
                minutes.get_mut((e.time / MINUTE_MS) as usize),
            ) else {
                continue;
            };
            let project = e.attrs.project.clone().unwrap_or_default();
            let group = (e.provider.clone(), key, project, e.model.clone());
            slot.entry(group)
                .or_insert_with(Use::default)
                .add(&e.tokens, 1);
        }
        let zero = start - LIVE_FROM_MS;
        Mock {
            minutes,
            zero,
            history_from: zero - HISTORY_PASSES * LOOP_MS,
            leak_from: start - start.rem_euclid(DAY_MS) - DAY_MS,
            prices: PriceTable::builtin().clone(),
        }
    }

    /// Usage by group over `[start, end)`, as known at `now`.
    fn usage(
        &self,
        provider: &str,
        start: TimeMs,
        end: TimeMs,
        now: TimeMs,
    ) -> BTreeMap<Group, Use> {
        let mut out: BTreeMap<Group, Use> = BTreeMap::new();
        let mut minute = start.max(self.history_from);
        minute -= minute.rem_euclid(MINUTE_MS);
        while minute < end.min(now) {
            let slot = ((minute - self.zero).rem_euclid(LOOP_MS) / MINUTE_MS) as usize;
            for (group, u) in self.minutes.get(slot).into_iter().flatten() {
                if group.0 == provider {
                    out.entry(group.clone())
                        .or_default()
                        .add(&u.tokens, u.requests);
                }
            }
            minute += MINUTE_MS;
        }
        if provider == "openai" {
            let from = start.max(self.leak_from);
            let minutes = ((end.min(now) - from).max(0) / MINUTE_MS) as u64;
            if minutes > 0 {
                let group = (
                    provider.to_string(),
                    LEAKED_KEY.to_string(),
                    LEAKED_PROJECT.to_string(),
                    LEAKED_MODEL.to_string(),
                );
                let t = &LEAKED_PER_MINUTE;
                let scaled = Tokens {
                    input: t.input * minutes,
                    output: t.output * minutes,
                    ..Tokens::default()
                };
                out.entry(group).or_default().add(&scaled, minutes * 4);
            }
        }
        out
    }

    /// A report's buckets over `[start, end)` in `width`, as at `now`: `row` makes one
    /// result of a group's usage (`None` leaves the group out).
    fn buckets(
        &self,
        provider: &str,
        (start, end, width): (TimeMs, TimeMs, TimeMs),
        now: TimeMs,
        row: &dyn Fn(&Group, &Use, bool) -> Option<Value>,
        when: &dyn Fn(TimeMs, TimeMs) -> Value,
    ) -> Value {
        let mut data = Vec::new();
        let mut b = start - start.rem_euclid(width);
        while b < end {
            let ended = b + width <= now;
            let results: Vec<Value> = self
                .usage(provider, b, b + width, now)
                .iter()
                .filter_map(|(g, u)| row(g, u, ended))
                .collect();
            let mut bucket = when(b, b + width);
            bucket["results"] = Value::Array(results);
            data.push(bucket);
            b += width;
        }
        json!({ "data": data, "has_more": false, "next_page": null })
    }

    fn cost(&self, model: &str, u: &Use) -> f64 {
        self.prices.cost(model, &u.tokens).unwrap_or(0.0)
    }

    /// The answer to one GET: the path and its decoded query.
    pub fn answer(&self, path: &str, query: &[(String, String)], now: TimeMs) -> Option<Value> {
        let param = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        let width = match param("bucket_width").unwrap_or("1d") {
            "1m" => MINUTE_MS,
            "1h" => 3_600_000,
            _ => DAY_MS,
        };
        let seconds = |n: &str| {
            param(n)
                .and_then(|v| v.parse::<i64>().ok())
                .map(|s| s * 1000)
        };
        let rfc = |n: &str| param(n).and_then(crate::timefmt::parse_rfc3339_ms);
        let openai_when = |s: TimeMs, e: TimeMs| json!({ "object": "bucket", "start_time": s / 1000, "end_time": e / 1000 });
        let anthropic_when = |s: TimeMs, e: TimeMs| {
            json!({
                "starting_at": crate::timefmt::format_rfc3339_ms(s),
                "ending_at": crate::timefmt::format_rfc3339_ms(e),
            })
        };
        match path {
            "/v1/organization/usage/completions" | "/v1/organization/usage/embeddings" => {
                let embeddings = path.ends_with("embeddings");
                let range = (
                    seconds("start_time")?,
                    seconds("end_time").unwrap_or(now),
                    width,
                );
                let row = |g: &Group, u: &Use, _: bool| {
                    (g.3.starts_with("text-embedding") == embeddings).then(|| {
                        let t = &u.tokens;
                        json!({
                            "object": if embeddings { "organization.usage.embeddings.result" } else { "organization.usage.completions.result" },
                            "input_tokens": t.input + t.cache_read,
                            "input_cached_tokens": t.cache_read,
                            "input_uncached_tokens": t.input,
                            "output_tokens": t.output,
                            "num_model_requests": u.requests,
                            "api_key_id": g.1, "project_id": g.2, "user_id": null, "model": g.3,
                        })
                    })
                };
                Some(self.buckets("openai", range, now, &row, &openai_when))
            }
            "/v1/organization/costs" => {
                let range = (
                    seconds("start_time")?,
                    seconds("end_time").unwrap_or(now),
                    DAY_MS,
                );
                // Bills come for days that are over.
                let row = |g: &Group, u: &Use, ended: bool| {
                    ended.then(|| {
                        json!({
                            "object": "organization.costs.result",
                            "amount": { "value": self.cost(&g.3, u), "currency": "usd" },
                            "line_item": format!("{}, input and output", g.3),
                            "api_key_id": g.1, "project_id": g.2,
                        })
                    })
                };
                Some(self.buckets("openai", range, now, &row, &openai_when))
            }
            "/v1/organizations/usage_report/messages" => {
                let range = (rfc("starting_at")?, rfc("ending_at").unwrap_or(now), width);
                let row = |g: &Group, u: &Use, _: bool| {
                    let t = &u.tokens;
                    Some(json!({
                        "api_key_id": g.1, "workspace_id": g.2, "model": g.3, "service_tier": "standard",
                        "uncached_input_tokens": t.input,
                        "cache_read_input_tokens": t.cache_read,
                        "cache_creation": {
                            "ephemeral_5m_input_tokens": t.cache_write_5m,
                            "ephemeral_1h_input_tokens": t.cache_write_1h,
                        },
                        "output_tokens": t.output,
                    }))
                };
                Some(self.buckets("anthropic", range, now, &row, &anthropic_when))
            }
            // Anthropic bills by workspace only; the demo's workspaces have none.
            "/v1/organizations/cost_report" | "/v1/organizations/usage_report/claude_code" => {
                Some(json!({ "data": [], "has_more": false, "next_page": null }))
            }
            _ => None,
        }
    }
}

/// The running mock: its base URL, for both providers (OpenAI's under `/v1`).
pub struct MockServer {
    pub base: String,
}

/// Serves `mock` on a loopback port the system chooses, on its own thread, for as long
/// as the process runs; `clock` gives `now`.
pub fn spawn(mock: Mock, clock: fn() -> TimeMs) -> std::io::Result<MockServer> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    std::thread::Builder::new()
        .name("tokentop-demo-provider".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                // One connection at a time: the demo's poller is the only client.
                let _ = serve(&mock, stream, clock());
            }
        })?;
    Ok(MockServer { base })
}

fn serve(mock: &Mock, stream: TcpStream, now: TimeMs) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let mut seen = first.len();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
        seen += header.len();
        if seen > MAX_REQUEST_BYTES {
            break;
        }
    }
    let target = first.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (status, body) = match mock.answer(path, &decode_query(query), now) {
        Some(v) => ("200 OK", v.to_string()),
        None => (
            "404 Not Found",
            json!({ "error": { "message": "not found" } }).to_string(),
        ),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

/// `a=1&group_by%5B%5D=model` as decoded pairs.
fn decode_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
                (b'%', Some(byte)) => {
                    out.push(byte);
                    i += 3;
                }
                (b'+', _) => {
                    out.push(b' ');
                    i += 1;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::provider::{Report, anthropic, openai};

    /// 2026-08-01 12:02:05 UTC: the loop then starts on a whole minute (12:00).
    const START: TimeMs = 1_785_585_600_000 + LIVE_FROM_MS;

    fn query(pairs: &[(&str, String)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn one_loop_of_usage_is_the_recordings_and_parses_as_openai_pages() {
        let mock = Mock::new(START);
        // The loop that ends at live start + (LOOP - LIVE_FROM): one whole loop.
        let (from, to) = (mock.zero - LOOP_MS, mock.zero);
        let q = query(&[
            ("start_time", (from / 1000).to_string()),
            ("end_time", (to / 1000).to_string()),
            ("bucket_width", "1m".into()),
        ]);
        let body = mock
            .answer("/v1/organization/usage/completions", &q, START)
            .unwrap();
        let page = openai::page(&body.to_string()).expect("parses");
        assert_eq!(page.skipped, 0);
        let web: Vec<_> = page
            .buckets
            .iter()
            .filter(|b| b.api_key_id.as_deref() == Some("key_prod_web"))
            .collect();
        let requests: u64 = web.iter().filter_map(|b| b.requests).sum();
        let output: u64 = web.iter().map(|b| b.tokens.output).sum();
        assert_eq!((requests, output), (406, 199_945), "the recording's loop");
        assert!(page.buckets.iter().all(|b| b.end - b.start == MINUTE_MS));
    }

    #[test]
    fn the_leaked_key_spent_all_of_yesterday_and_is_billed_for_it() {
        let mock = Mock::new(START);
        let yesterday = START - START.rem_euclid(DAY_MS) - DAY_MS;
        let q = query(&[
            ("start_time", (yesterday / 1000).to_string()),
            ("end_time", ((yesterday + DAY_MS) / 1000).to_string()),
            ("bucket_width", "1d".into()),
        ]);
        let usage = mock
            .answer("/v1/organization/usage/completions", &q, START)
            .unwrap();
        let page = openai::page(&usage.to_string()).unwrap();
        let leaked = page
            .buckets
            .iter()
            .find(|b| b.api_key_id.as_deref() == Some(LEAKED_KEY))
            .expect("the leaked key");
        assert_eq!(leaked.tokens.input, 1440 * 30_000);
        let costs = mock.answer("/v1/organization/costs", &q, START).unwrap();
        let bills = openai::page(&costs.to_string()).unwrap();
        let bill = bills
            .buckets
            .iter()
            .find(|b| b.api_key_id.as_deref() == Some(LEAKED_KEY) && b.report == Report::Cost)
            .expect("billed");
        let usd = bill.billed_usd.unwrap();
        assert!((100.0..150.0).contains(&usd), "{usd}");
        // Today is not billed yet.
        let today = query(&[
            ("start_time", ((yesterday + DAY_MS) / 1000).to_string()),
            ("end_time", (START / 1000).to_string()),
        ]);
        let costs = mock
            .answer("/v1/organization/costs", &today, START)
            .unwrap();
        assert!(openai::page(&costs.to_string()).unwrap().buckets.is_empty());
    }

    #[test]
    fn anthropic_pages_parse_with_the_recordings_keys() {
        let mock = Mock::new(START);
        let q = query(&[
            (
                "starting_at",
                crate::timefmt::format_rfc3339_ms(mock.history_from),
            ),
            ("ending_at", crate::timefmt::format_rfc3339_ms(START)),
            ("bucket_width", "1h".into()),
        ]);
        let body = mock
            .answer("/v1/organizations/usage_report/messages", &q, START)
            .unwrap();
        let page = anthropic::messages_page(&body.to_string()).expect("parses");
        assert!(
            page.buckets
                .iter()
                .any(|b| b.api_key_id.as_deref() == Some("key_846a32c3bb81"))
        );
        assert!(
            page.buckets
                .iter()
                .all(|b| b.api_key_id.as_deref() != Some(LEAKED_KEY))
        );
        assert!(mock.answer("/v1/nothing", &q, START).is_none());
    }
}
