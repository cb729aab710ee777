//! Following real files in a temp dir: appends arrive, half-written lines wait for their
//! newline. Each test waits for the expected state (with a generous hang guard), never
//! for a fixed time.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use tokentop::event::Event;
use tokentop::source::discover::SourceSpec;
use tokentop::source::health::SourceHealth;
use tokentop::source::{CHANNEL_CAPACITY, Feed, follow};
use tokio::sync::mpsc;

/// Long enough for the slowest CI machine; the tests finish in milliseconds normally.
const HANG_GUARD: Duration = Duration::from_secs(60);

struct Followed {
    rx: mpsc::Receiver<Feed>,
    events: Vec<Event>,
    health: Vec<SourceHealth>,
}

impl Followed {
    fn start(path: &Path) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let spec = SourceSpec::parse(&path.to_string_lossy());
        // A short poll interval also exercises the fallback when no inotify event comes.
        follow::spawn(vec![spec], tx, Duration::from_millis(50)).expect("spawn follower");
        Followed {
            rx,
            events: Vec::new(),
            health: Vec::new(),
        }
    }

    /// Takes feeds until `done` holds; panics with `what` if it never does.
    fn wait_until(&mut self, what: &str, done: impl Fn(&Followed) -> bool) {
        let deadline = Instant::now() + HANG_GUARD;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "timed out waiting until {what}");
            match self.rx.try_recv() {
                Ok(Feed::Events(batch)) => self.events.extend(batch),
                Ok(Feed::Health(h)) => self.health = h,
                Err(mpsc::error::TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("follower stopped: {e}"),
            }
        }
    }
}

fn line(identity: &str, n: u64) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T00:00:{:02}Z","identity":"{identity}","model":"gpt-4o-mini","tokens":{{"input":{n},"output":1}}}}"#,
        n % 60
    )
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn backfills_then_follows_appends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &format!("{}\n{}\n", line("a", 1), line("a", 2)));
    let mut f = Followed::start(dir.path());
    f.wait_until("the backfill is read", |f| f.events.len() == 2);
    for n in 3..=20 {
        append(&path, &format!("{}\n", line("b", n)));
    }
    f.wait_until("18 appended lines arrive", |f| f.events.len() == 20);
    let inputs: Vec<u64> = f.events.iter().map(|e| e.tokens.input).collect();
    assert_eq!(
        inputs,
        (1..=20).collect::<Vec<_>>(),
        "in order, none lost or doubled"
    );
    f.wait_until("health counts all lines", |f| {
        f.health.first().is_some_and(|h| h.lines == 20)
    });
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &format!("{}\n", line("a", 1)));
    let mut f = Followed::start(&path);
    f.wait_until("the first line is read", |f| f.events.len() == 1);

    let whole = line("a", 42);
    let (head, tail) = whole.split_at(whole.len() / 2);
    append(&path, head);
    // The reader has seen the half line (it is held, shown as lag) and parsed nothing.
    let held = head.len() as u64;
    f.wait_until("the half line is held", |f| {
        f.health.first().is_some_and(|h| h.lag_bytes == held)
    });
    let h = &f.health[0];
    assert_eq!(
        (h.lines, h.rejected_lines()),
        (1, 0),
        "a half-written line is never parsed"
    );
    assert_eq!(f.events.len(), 1);

    append(&path, &format!("{tail}\n"));
    f.wait_until("the completed line arrives", |f| f.events.len() == 2);
    assert_eq!(f.events[1].tokens.input, 42);
    f.wait_until("nothing is held", |f| {
        f.health
            .first()
            .is_some_and(|h| h.lag_bytes == 0 && h.lines == 2)
    });
}

#[test]
fn a_file_created_later_in_a_followed_folder_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut f = Followed::start(dir.path());
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    append(
        &dir.path().join("late.jsonl"),
        &format!("{}\n", line("late", 5)),
    );
    f.wait_until("the new file's line arrives", |f| f.events.len() == 1);
    assert_eq!(f.events[0].identity, "late");
}
