//! The live provider poller over real HTTP on 127.0.0.1: the backfill, then minute polls,
//! pages followed to the end, a refused key stopping only its provider, restored updates
//! sparing the backfill, a rate limit shown as such, and the key in no message. Time is a
//! fake clock that only the injected sleeper moves: no test waits for an interval.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokentop::parse::provider::{Family, Provider, ProviderUpdate, Width};
use tokentop::source::Feed;
use tokentop::source::provider::ProviderStatus;
use tokentop::source::provider::http::{AdminKey, Sleeper};
use tokentop::source::provider::poll::{Clock, Persist, Polling, spawn_with};

use crate::provider_server::{Reply, Server};
use crate::providers::{SENTINEL, faulty, healthy, policy, spec};

/// 2026-08-01T10:20:00Z, on the day of formats.md's examples.
const START: i64 = 1_785_579_600_000;
const DAY_START: i64 = 1_785_542_400_000;
const HOUR_START: i64 = DAY_START + 10 * 3_600_000;
const MINUTE: i64 = 60_000;
/// A test that waits this long for a message has failed.
const PATIENCE: Duration = Duration::from_secs(10);

/// A clock of its own for each test, starting at [`START`], and a sleeper that moves it
/// on by what it is asked to wait instead of waiting.
macro_rules! fake_time {
    () => {{
        static NOW: AtomicI64 = AtomicI64::new(START);
        fn now() -> i64 {
            NOW.load(Ordering::SeqCst)
        }
        let sleeper: Sleeper = Arc::new(|d: Duration| {
            NOW.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
            Box::pin(async {})
        });
        (now as Clock, sleeper)
    }};
}

/// What the poller sent and persisted.
struct Poll {
    rx: Receiver<Feed>,
    handle: JoinHandle<()>,
    persisted: Arc<Mutex<Vec<ProviderUpdate>>>,
    feeds: Vec<Feed>,
}

impl Poll {
    fn start(
        jobs: Vec<(tokentop::source::provider::ProviderSpec, Option<AdminKey>)>,
        (clock, sleeper): (Clock, Sleeper),
        restored: Vec<ProviderUpdate>,
    ) -> Poll {
        let (tx, rx) = sync_channel(16);
        let persisted = Arc::new(Mutex::new(Vec::new()));
        let kept = persisted.clone();
        let persist: Persist = Box::new(move |u| kept.lock().unwrap().push(u.clone()));
        let polling = Polling {
            jobs,
            clock,
            policy: policy(),
            sleeper,
        };
        let handle = spawn_with(polling, tx, restored, persist).unwrap();
        Poll {
            rx,
            handle,
            persisted,
            feeds: Vec::new(),
        }
    }

    /// Reads feeds until `done` holds for them.
    fn until(&mut self, done: impl Fn(&[Feed]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        while !done(&self.feeds) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(feed) => self.feeds.push(feed),
                Err(e) => panic!("{e:?} after {:#?}", self.feeds),
            }
        }
    }

    /// Closes the channel, and checks that the poller ends with it.
    fn close(self) -> (Vec<Feed>, Vec<ProviderUpdate>) {
        drop(self.rx);
        let deadline = Instant::now() + PATIENCE;
        while !self.handle.is_finished() {
            assert!(Instant::now() < deadline, "the poller outlived its channel");
            std::thread::sleep(Duration::from_millis(5));
        }
        let persisted = self.persisted.lock().unwrap().clone();
        (self.feeds, persisted)
    }
}

fn updates(feeds: &[Feed], provider: Provider) -> Vec<&ProviderUpdate> {
    feeds
        .iter()
        .filter_map(|f| match f {
            Feed::Provider(u) if u.provider == provider => Some(u),
            _ => None,
        })
        .collect()
}

fn statuses(feeds: &[Feed], provider: Provider) -> Vec<&ProviderStatus> {
    feeds
        .iter()
        .filter_map(|f| match f {
            Feed::ProviderStatus(s) if s.provider == Some(provider) => Some(s),
            _ => None,
        })
        .collect()
}

fn minutes(feeds: &[Feed], provider: Provider) -> usize {
    updates(feeds, provider)
        .iter()
        .filter(|u| u.width == Width::Minute)
        .count()
}

fn sentinel() -> Option<AdminKey> {
    Some(AdminKey::new(SENTINEL.into()))
}

#[test]
fn the_month_and_today_are_backfilled_then_minutes_are_polled_every_interval() {
    let server = Server::start(healthy);
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), sentinel())],
        fake_time!(),
        Vec::new(),
    );
    poll.until(|f| minutes(f, Provider::OpenAi) == 3);
    let (feeds, persisted) = poll.close();
    let got: Vec<(Family, Width, (i64, i64), i64)> = updates(&feeds, Provider::OpenAi)
        .iter()
        .map(|u| (u.family, u.width, u.range, u.fetched_at))
        .collect();
    let month = (DAY_START - 86_400_000, START);
    assert_eq!(
        got,
        [
            // On the 1st, the month reaches back to yesterday, last month's last day.
            (Family::Usage, Width::Day, month, START),
            (Family::Cost, Width::Day, month, START),
            (Family::Usage, Width::Hour, (DAY_START, START), START),
            (Family::Usage, Width::Minute, (HOUR_START, START), START),
            (
                Family::Usage,
                Width::Minute,
                (HOUR_START, START + MINUTE),
                START + MINUTE
            ),
            (
                Family::Usage,
                Width::Minute,
                (HOUR_START, START + 2 * MINUTE),
                START + 2 * MINUTE
            ),
        ]
    );
    // Persisted first, in the order sent.
    let sent: Vec<ProviderUpdate> = updates(&feeds, Provider::OpenAi)
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(persisted[..sent.len()], sent);
    let widths: Vec<String> = server
        .to("/v1/organization/usage/completions")
        .iter()
        .filter(|r| r.param("page").is_none())
        .map(|r| r.param("bucket_width").unwrap())
        .collect();
    assert_eq!(widths[..5], ["1d", "1h", "1m", "1m", "1m"]);
    let minute = &server.to("/v1/organization/usage/completions")[6];
    assert_eq!(
        minute.param("start_time"),
        Some((HOUR_START / 1000).to_string())
    );
    let status = statuses(&feeds, Provider::OpenAi);
    // Before the first round, then after each.
    assert_eq!(status[0].next_poll, Some(START));
    assert!(status[1].health.ok, "{:?}", status[1]);
    assert_eq!(status[1].next_poll, Some(START + MINUTE));
    assert!(!status[1].stopped && status[1].rate_limited_until.is_none());
    assert_eq!(status[1].health.pages, 3 + 1 + 1 + 3 + 1 + 3 + 1);
}

#[test]
fn every_page_is_read_into_one_update() {
    let server = Server::start(healthy);
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), sentinel())],
        fake_time!(),
        Vec::new(),
    );
    poll.until(|f| minutes(f, Provider::OpenAi) == 1);
    let (feeds, _) = poll.close();
    let pages: Vec<Option<String>> = server
        .to("/v1/organization/usage/completions")
        .iter()
        .map(|r| r.param("page"))
        .collect();
    let one = [None, Some("p2".to_string()), Some("p3".to_string())];
    let three = [one.clone(), one.clone(), one];
    assert_eq!(pages[..9], three.concat());
    // Two completions buckets on each of three pages, and one of embeddings.
    let sizes: Vec<usize> = updates(&feeds, Provider::OpenAi)
        .iter()
        .map(|u| u.buckets.len())
        .collect();
    assert_eq!(sizes, [7, 4, 7, 7]);
}

#[test]
fn a_refused_key_stops_its_provider_with_the_variable_named_while_the_other_polls_on() {
    let server = Server::start(|r| {
        if r.path.starts_with("/v1/organization/") {
            Reply::status(401)
        } else {
            healthy(r)
        }
    });
    let jobs = vec![
        (spec(Provider::OpenAi, &server), sentinel()),
        (spec(Provider::Anthropic, &server), sentinel()),
    ];
    let mut poll = Poll::start(jobs, fake_time!(), Vec::new());
    poll.until(|f| {
        statuses(f, Provider::OpenAi).iter().any(|s| s.stopped)
            && minutes(f, Provider::Anthropic) >= 4
    });
    let (feeds, _) = poll.close();
    let stopped = statuses(&feeds, Provider::OpenAi).pop().unwrap().clone();
    assert!(stopped.stopped && stopped.next_poll.is_none());
    assert!(!stopped.health.ok);
    let why = stopped.health.last_error.unwrap();
    assert!(
        why.starts_with("openai: ") && why.contains("HTTP 401") && why.contains("OPENAI_ADMIN_KEY"),
        "{why}"
    );
    // Asked once, never again; nothing it half read reached the engine.
    assert_eq!(server.to("/v1/organization/usage/completions").len(), 1);
    assert!(updates(&feeds, Provider::OpenAi).is_empty());
    let anthropic = statuses(&feeds, Provider::Anthropic);
    assert!(
        anthropic
            .iter()
            .all(|s| !s.stopped && s.health.last_error.is_none())
    );
    assert!(
        updates(&feeds, Provider::Anthropic)
            .iter()
            .all(|u| !u.buckets.is_empty())
    );
}

fn restored_update(family: Family, width: Width, range: (i64, i64), at: i64) -> ProviderUpdate {
    let mut update = ProviderUpdate {
        provider: Provider::OpenAi,
        family,
        width,
        range,
        fetched_at: at,
        buckets: Vec::new(),
    };
    // One bucket of formats.md's example, as the store would have kept it.
    let page = tokentop::parse::provider::openai::page(&crate::provider_server::page(
        "openai_completions",
    ))
    .unwrap();
    update.buckets.push(page.buckets[0].clone());
    update
}

#[test]
fn restored_updates_are_sent_first_and_spare_the_backfill() {
    let server = Server::start(healthy);
    let restored = vec![
        restored_update(
            Family::Usage,
            Width::Day,
            (DAY_START, START - 10 * MINUTE),
            START - 10 * MINUTE,
        ),
        restored_update(
            Family::Cost,
            Width::Day,
            (DAY_START, START - 10 * MINUTE),
            START - 10 * MINUTE,
        ),
        restored_update(
            Family::Usage,
            Width::Hour,
            (DAY_START, START - 30_000),
            START - 30_000,
        ),
        restored_update(
            Family::Usage,
            Width::Minute,
            (HOUR_START, START - 30_000),
            START - 30_000,
        ),
    ];
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), sentinel())],
        fake_time!(),
        restored.clone(),
    );
    poll.until(|f| updates(f, Provider::OpenAi).len() == 6);
    let (feeds, persisted) = poll.close();
    let sent: Vec<ProviderUpdate> = feeds[..4]
        .iter()
        .map(|f| match f {
            Feed::Provider(u) => u.clone(),
            other => panic!("{other:?} before the restored updates"),
        })
        .collect();
    assert_eq!(sent, restored);
    let Feed::ProviderStatus(first) = &feeds[4] else {
        panic!("{:?}", feeds[4]);
    };
    assert_eq!(first.restored_buckets, 4);
    assert_eq!(first.next_poll, Some(START + 30_000));
    let fresh: Vec<(Width, (i64, i64))> = updates(&feeds, Provider::OpenAi)[4..]
        .iter()
        .map(|u| (u.width, u.range))
        .collect();
    assert_eq!(
        fresh,
        [
            (Width::Minute, (HOUR_START, START + 30_000)),
            (Width::Minute, (HOUR_START, START + 90_000)),
        ]
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.param("bucket_width").as_deref() == Some("1m"))
    );
    // What was restored is not written back.
    let fresh: Vec<ProviderUpdate> = updates(&feeds, Provider::OpenAi)[4..]
        .iter()
        .map(|u| (*u).clone())
        .collect();
    assert_eq!(persisted[..2], fresh);
}

#[test]
fn a_rate_limit_shows_until_when_it_waited_and_the_poll_goes_on() {
    let server = faulty(1, || {
        Reply::Http(429, vec![("retry-after", "3".into())], String::new())
    });
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), sentinel())],
        fake_time!(),
        Vec::new(),
    );
    poll.until(|f| statuses(f, Provider::OpenAi).len() == 3);
    let (feeds, _) = poll.close();
    let status = statuses(&feeds, Provider::OpenAi);
    let limited = status[1];
    assert!(limited.health.ok, "{limited:?}");
    assert_eq!(limited.health.rate_limited, 1);
    assert_eq!(limited.rate_limited_until, Some(START + 3_000));
    // The fetches after the wait are stamped when they began.
    assert_eq!(
        updates(&feeds, Provider::OpenAi)[1].fetched_at,
        START + 3_000
    );
    assert_eq!(status[2].rate_limited_until, None);
}

#[test]
fn a_missing_key_stops_its_provider_without_asking() {
    let server = Server::start(healthy);
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), None)],
        fake_time!(),
        Vec::new(),
    );
    poll.until(|f| !f.is_empty());
    let (feeds, _) = poll.close();
    let status = statuses(&feeds, Provider::OpenAi);
    assert!(status[0].stopped);
    let why = status[0].health.last_error.as_deref().unwrap();
    assert!(why.contains("OPENAI_ADMIN_KEY is not set"), "{why}");
    assert!(server.requests().is_empty());
}

#[test]
fn the_key_is_in_no_message_whatever_fails() {
    // Anthropic's answers are not JSON and carry the key back; OpenAI's key is refused.
    let server = Server::start(|r| {
        if r.path.starts_with("/v1/organizations/") {
            let echoed = r.header("x-api-key").unwrap_or_default();
            Reply::json(format!("not json: {echoed}"))
        } else {
            Reply::status(401)
        }
    });
    let jobs = vec![
        (spec(Provider::OpenAi, &server), sentinel()),
        (spec(Provider::Anthropic, &server), sentinel()),
    ];
    let mut poll = Poll::start(jobs, fake_time!(), Vec::new());
    poll.until(|f| {
        statuses(f, Provider::OpenAi).iter().any(|s| s.stopped)
            && statuses(f, Provider::Anthropic).len() >= 3
    });
    let (feeds, _) = poll.close();
    let shown = format!("{feeds:?}");
    assert!(!shown.contains("SENTINEL"), "the key leaked: {shown}");
    // Anthropic failed, and tries again an interval later, without stopping.
    let anthropic = statuses(&feeds, Provider::Anthropic);
    let (first, second) = (anthropic[1], anthropic[2]);
    let why = first.health.last_error.as_deref().unwrap();
    assert!(
        why.contains("usage_report/messages") && why.contains("not the JSON page"),
        "{why}"
    );
    assert!(!first.stopped && !first.health.ok);
    assert_eq!(second.next_poll.unwrap() - first.next_poll.unwrap(), MINUTE);
}

#[test]
fn a_rate_limit_that_outlasts_the_retries_holds_the_provider_off_until_its_next_poll() {
    let server = faulty(usize::MAX, || Reply::status(429));
    let mut poll = Poll::start(
        vec![(spec(Provider::OpenAi, &server), sentinel())],
        fake_time!(),
        Vec::new(),
    );
    poll.until(|f| statuses(f, Provider::OpenAi).len() == 3);
    let (feeds, _) = poll.close();
    let status = statuses(&feeds, Provider::OpenAi);
    for limited in &status[1..] {
        assert!(!limited.health.ok && !limited.stopped, "{limited:?}");
        assert!(limited.next_poll.is_some());
        assert_eq!(limited.rate_limited_until, limited.next_poll);
        let why = limited.health.last_error.as_deref().unwrap();
        assert!(why.contains("HTTP 429 after 4 attempts"), "{why}");
    }
    // Tried again an interval after it gave up, not at once.
    let gave_up = status[1].next_poll.unwrap();
    assert_eq!(status[2].next_poll.unwrap(), gave_up + MINUTE);
    assert!(updates(&feeds, Provider::OpenAi).is_empty());
}
