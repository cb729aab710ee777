//! Following real files in a temp dir through every way files change under a reader:
//! appends, half-written lines, rotation, truncation, deletion, late files and folders,
//! and restarts of the follow loop. Each test waits for the expected state (with a
//! generous hang guard), never for a fixed time; each checks that no line is lost or
//! counted twice by giving every line a distinct input count.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokentop::event::Event;
use tokentop::parse::RejectReason;
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::{self, FollowOptions, Follower};
use tokentop::source::health::SourceHealth;
use tokentop::source::origin::Origins;
use tokentop::source::{CHANNEL_CAPACITY, Feed};

use crate::common::NOON;

/// Long enough for the slowest CI machine; the tests finish in milliseconds normally.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// A short poll interval also exercises the fallback when no inotify event comes.
const POLL: Duration = Duration::from_millis(50);

struct Followed {
    rx: mpsc::Receiver<Feed>,
    thread: JoinHandle<Follower>,
    events: Vec<Event>,
    health: Vec<SourceHealth>,
}

impl Followed {
    fn start(path: &Path) -> Self {
        Followed::start_with(path, FollowOptions::watching(POLL))
    }

    fn start_with(path: &Path, options: FollowOptions) -> Self {
        Followed::resume_with(
            Follower::new(
                vec![SourceSpec::parse(&path.to_string_lossy())],
                Origins::default(),
            ),
            options,
        )
    }

    fn resume(follower: Follower) -> Self {
        Followed::resume_with(follower, FollowOptions::watching(POLL))
    }

    fn resume_with(follower: Follower, options: FollowOptions) -> Self {
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let thread = follow::spawn(follower, tx, options).expect("spawn follower");
        Followed {
            rx,
            thread,
            events: Vec::new(),
            health: Vec::new(),
        }
    }

    /// Stops the follow loop and hands back its reader state.
    fn stop(self) -> Follower {
        drop(self.rx);
        self.thread.join().expect("follow thread")
    }

    /// Takes feeds until `done` holds; panics with `what` if it never does.
    fn wait_until(&mut self, what: &str, done: impl Fn(&Followed) -> bool) {
        let deadline = Instant::now() + HANG_GUARD;
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; got {} events, health {:?}",
                self.events.len(),
                self.health
            );
            match self.rx.try_recv() {
                Ok(Feed::Events(batch)) => self.events.extend(batch),
                Ok(Feed::Health(h)) => self.health = h,
                Ok(other) => unreachable!("files send events and health only: {other:?}"),
                Err(mpsc::TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("follower stopped: {e}"),
            }
        }
    }

    fn inputs(&self) -> Vec<u64> {
        let mut inputs: Vec<u64> = self.events.iter().map(|e| e.tokens.input).collect();
        inputs.sort();
        inputs
    }

    fn health(&self) -> &SourceHealth {
        &self.health[0]
    }
}

fn line(n: u64) -> String {
    format!(
        r#"{{"tokentop":1,"ts":"2026-01-01T00:00:{:02}Z","identity":"svc","model":"gpt-4o-mini","tokens":{{"input":{n},"output":1}}}}"#,
        n % 60
    )
}

fn lines(range: std::ops::RangeInclusive<u64>) -> String {
    range.map(|n| line(n) + "\n").collect()
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("append");
}

/// One OTLP JSON line, as the Collector's `file` exporter writes it: a Claude Code
/// `api_request` record per input count in `range`.
fn otlp_line(range: std::ops::RangeInclusive<u64>) -> String {
    let records: Vec<String> = range
        .map(|n| {
            format!(
                r#"{{"timeUnixNano":"1767225600000000000","eventName":"claude_code.api_request","attributes":[{{"key":"model","value":{{"stringValue":"claude-sonnet-4-5"}}}},{{"key":"input_tokens","value":{{"intValue":"{n}"}}}},{{"key":"request_id","value":{{"stringValue":"req_{n}"}}}}]}}"#
            )
        })
        .collect();
    format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{}]}}]}}]}}"#,
        records.join(",")
    ) + "\n"
}

fn all(range: std::ops::RangeInclusive<u64>) -> Vec<u64> {
    range.collect()
}

#[test]
fn backfills_then_follows_appends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=2));
    let mut f = Followed::start(dir.path());
    f.wait_until("the backfill is read", |f| f.events.len() == 2);
    for n in 3..=20 {
        append(&path, &lines(n..=n));
    }
    f.wait_until("18 appended lines arrive", |f| f.events.len() == 20);
    let inputs: Vec<u64> = f.events.iter().map(|e| e.tokens.input).collect();
    assert_eq!(inputs, all(1..=20), "in order, none lost or doubled");
    f.wait_until("health counts all lines", |f| {
        f.health.first().is_some_and(|h| h.lines == 20)
    });
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=1));
    let mut f = Followed::start(&path);
    f.wait_until("the first line is read", |f| f.events.len() == 1);

    let whole = line(42);
    let (head, tail) = whole.split_at(whole.len() / 2);
    append(&path, head);
    // The reader has seen the half line (it is held, shown as lag) and parsed nothing.
    let held = head.len() as u64;
    f.wait_until("the half line is held", |f| {
        f.health.first().is_some_and(|h| h.lag_bytes == held)
    });
    assert_eq!(
        (f.health().lines, f.health().rejected_lines()),
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
fn a_very_long_line_written_in_many_pieces_is_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    let long = line(7).replace(
        r#""model""#,
        &format!(r#""note":"{}","model""#, "y".repeat(3 << 20)),
    );
    let mut f = Followed::start(&path);
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("open");
    for piece in long.as_bytes().chunks(64 * 1024) {
        file.write_all(piece).expect("write");
        file.flush().expect("flush");
    }
    file.write_all(b"\n").expect("write");
    append(&path, &lines(8..=8));
    f.wait_until("both lines arrive", |f| f.events.len() == 2);
    assert_eq!(f.inputs(), vec![7, 8]);
    f.wait_until("health settles", |f| f.health().lines == 2);
    assert_eq!(f.health().rejected_lines(), 0);
}

#[test]
fn rotation_by_rename_and_create_loses_and_doubles_nothing() {
    for follow_folder in [false, true] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("usage.jsonl");
        append(&path, &lines(1..=3));
        let mut f = Followed::start(if follow_folder { dir.path() } else { &path });
        f.wait_until("the first lines arrive", |f| f.events.len() == 3);
        // Lines written just before the rotation are read from the renamed file; in a
        // followed folder the renamed file still matches *.jsonl and must not be re-read.
        append(&path, &lines(4..=5));
        std::fs::rename(&path, dir.path().join("usage-1.jsonl")).expect("rename");
        append(&path, &lines(6..=7));
        f.wait_until("every line arrives", |f| f.events.len() >= 7);
        append(&path, &lines(8..=8));
        f.wait_until("a later line arrives", |f| f.events.len() >= 8);
        assert_eq!(f.inputs(), all(1..=8), "folder followed: {follow_folder}");
    }
}

#[test]
fn otlp_json_lines_are_followed_through_appends_and_rotation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("otel.jsonl");
    append(&path, &otlp_line(1..=3));
    let mut f = Followed::start(dir.path());
    f.wait_until("the first line's records arrive", |f| f.events.len() == 3);
    append(&path, &otlp_line(4..=5));
    std::fs::rename(&path, dir.path().join("otel-1.jsonl")).expect("rename");
    append(&path, &otlp_line(6..=8));
    f.wait_until("every record arrives", |f| f.events.len() >= 8);
    assert_eq!(f.inputs(), all(1..=8), "none lost or doubled");
    f.wait_until("health counts every record", |f| {
        f.health
            .first()
            .is_some_and(|h| h.lines == 8 && h.events == 8)
    });
}

#[test]
fn without_a_watcher_polling_alone_reads_appends_rotation_and_new_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=2));
    let poll_only = FollowOptions {
        poll_every: POLL,
        watch: false,
    };
    let mut f = Followed::start_with(dir.path(), poll_only);
    f.wait_until("the backfill is read", |f| f.events.len() == 2);
    append(&path, &lines(3..=4));
    f.wait_until("appends arrive", |f| f.events.len() == 4);
    std::fs::rename(&path, dir.path().join("usage-1.jsonl")).expect("rename");
    append(&path, &lines(5..=5));
    append(&dir.path().join("late.jsonl"), &lines(6..=6));
    f.wait_until("the rotated and the new file are read", |f| {
        f.events.len() >= 6
    });
    assert_eq!(f.inputs(), all(1..=6));
}

#[test]
fn truncation_in_place_reads_the_new_content_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=3));
    let mut f = Followed::start(&path);
    f.wait_until("the first lines arrive", |f| f.events.len() == 3);
    // copytruncate: the content is copied elsewhere, the file cut to zero and written on.
    OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    append(&path, &lines(10..=13));
    f.wait_until("the new lines arrive", |f| f.events.len() >= 7);
    append(&path, &lines(14..=14));
    f.wait_until("a later line arrives", |f| f.events.len() >= 8);
    assert_eq!(f.inputs(), vec![1, 2, 3, 10, 11, 12, 13, 14]);
    f.wait_until("the restart is counted", |f| f.health().restarts == 1);
}

#[test]
fn a_deleted_file_is_dropped_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    append(&dir.path().join("a.jsonl"), &lines(1..=2));
    append(&dir.path().join("b.jsonl"), &lines(3..=3));
    let mut f = Followed::start(dir.path());
    f.wait_until("both files are read", |f| f.events.len() == 3);
    std::fs::remove_file(dir.path().join("a.jsonl")).expect("delete");
    append(&dir.path().join("b.jsonl"), &lines(4..=4));
    f.wait_until("the other file goes on", |f| f.events.len() == 4);
    f.wait_until("the deleted file is gone", |f| f.health().files == 1);
    assert_eq!(f.inputs(), all(1..=4));
    assert!(f.health().is_ok(), "{:?}", f.health().last_error);
}

#[test]
fn a_file_created_later_in_a_followed_folder_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut f = Followed::start(dir.path());
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    append(&dir.path().join("late.jsonl"), &lines(5..=5));
    f.wait_until("the new file's line arrives", |f| f.events.len() == 1);
    assert_eq!(f.events[0].tokens.input, 5);
}

#[test]
fn a_folder_created_later_is_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("sessions/2026");
    let mut f = Followed::start(&folder);
    f.wait_until("the missing folder is reported", |f| {
        f.health.first().is_some_and(|h| !h.is_ok())
    });
    assert!(
        f.health()
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("sessions/2026")
    );
    std::fs::create_dir_all(&folder).expect("mkdir");
    append(&folder.join("rollout.jsonl"), &lines(9..=10));
    f.wait_until("the new folder's lines arrive", |f| f.events.len() == 2);
    f.wait_until("the error clears", |f| f.health().is_ok());
    assert_eq!(f.inputs(), vec![9, 10]);
}

#[test]
fn a_restarted_follow_loop_continues_where_it_stopped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=2));
    let mut first = Followed::start(dir.path());
    first.wait_until("the first lines arrive", |f| f.events.len() == 2);
    // A half line written while the loop is down is completed after it restarts.
    let half = line(4);
    let (head, tail) = half.split_at(10);
    append(&path, &format!("{}{head}", lines(3..=3)));
    first.wait_until("line 3 arrives", |f| f.events.len() == 3);
    let follower = first.stop();
    append(&path, &format!("{tail}\n{}", lines(5..=5)));
    let mut second = Followed::resume(follower);
    second.wait_until("the lines written meanwhile arrive", |f| {
        f.events.len() >= 2
    });
    append(&path, &lines(6..=6));
    second.wait_until("a later line arrives", |f| f.events.len() >= 3);
    assert_eq!(
        second.inputs(),
        vec![4, 5, 6],
        "nothing from before the restart again"
    );
}

#[test]
fn more_files_than_the_handle_limit_are_all_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = follow::MAX_OPEN_FILES as u64 + 50;
    for n in 1..=count {
        append(&dir.path().join(format!("f{n:04}.jsonl")), &lines(n..=n));
    }
    let mut follower = Follower::new(
        vec![SourceSpec::parse(&dir.path().to_string_lossy())],
        Origins::default(),
    );
    let mut inputs = Vec::new();
    follower.rescan(NOON, &mut |e| inputs.push(e.tokens.input));
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    assert!(follower.open_handles() <= follow::MAX_OPEN_FILES);
    // A later append to a file whose handle was given back is still read, once.
    append(
        &dir.path().join(format!("f{count:04}.jsonl")),
        &lines(count + 1..=count + 1),
    );
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    inputs.sort();
    assert_eq!(inputs, all(1..=count + 1));
    assert!(follower.open_handles() <= follow::MAX_OPEN_FILES);
}

#[test]
fn an_idle_last_line_without_a_newline_counts_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &format!("{}{}", lines(1..=1), line(2)));
    let mut f = Followed::start(&path);
    // The whole object on the last line counts once it has sat idle.
    f.wait_until("the idle last line counts", |f| f.events.len() == 2);
    f.wait_until("nothing is held", |f| {
        f.health
            .first()
            .is_some_and(|h| h.lines == 2 && h.lag_bytes == 0)
    });
    // Bytes that extend that line make it a rejected line, never a second event.
    append(&path, &format!(r#","late":true}}{}"#, "\n"));
    append(&path, &lines(3..=3));
    f.wait_until("the next line arrives", |f| f.events.len() == 3);
    // The health that counts line 3 follows its batch: the one before may already show
    // the rejection.
    f.wait_until("the extended line is rejected and line 3 counted", |f| {
        f.health().rejected_lines() == 1 && f.health().events == 3
    });
    assert_eq!(f.inputs(), all(1..=3));
    assert_eq!(
        f.health()
            .rejected
            .keys()
            .map(|r| r.label())
            .collect::<Vec<_>>(),
        ["invalid_json"]
    );
    // Lines 1 and 3, line 2 while idle, and line 2 extended: four lines, three events,
    // one rejected, shown from the line's start.
    let h = f.health();
    assert_eq!((h.lines, h.events), (4, 3));
    let example = &h.rejected[&RejectReason::InvalidJson].example;
    assert!(example.starts_with(&line(2)[..40]), "{example}");
}

#[test]
fn a_rewrite_that_starts_alike_between_two_polls_is_read_from_its_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("usage.jsonl");
    append(&path, &lines(1..=3));
    let mut follower = Follower::new(
        vec![SourceSpec::parse(&path.to_string_lossy())],
        Origins::default(),
    );
    let mut inputs = Vec::new();
    follower.rescan(NOON, &mut |e| inputs.push(e.tokens.input));
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    assert_eq!(inputs, all(1..=3));
    // copytruncate, then one write past the old offset before the next poll: line 61
    // starts with the very bytes line 1 did (the time is the same second of a minute).
    OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    append(&path, &lines(61..=66));
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    assert_eq!(inputs, [all(1..=3), all(61..=66)].concat());
    assert_eq!(follower.health()[0].restarts, 1);
    assert_eq!(follower.health()[0].rejected_lines(), 0);
}

#[test]
fn what_cannot_be_read_shows_in_the_source_health() {
    let dir = tempfile::tempdir().expect("temp dir");
    append(&dir.path().join("a.jsonl"), &lines(1..=1));
    let mut f = Followed::start(dir.path());
    f.wait_until("the file is read", |f| f.events.len() == 1);
    // Tests may run as root: a link to nowhere is a file in scope that cannot be opened.
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("b.jsonl"))
        .expect("symlink");
    f.wait_until("the unreadable file is reported", |f| {
        f.health.first().is_some_and(|h| !h.is_ok())
    });
    assert!(
        f.health()
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("b.jsonl"),
        "{:?}",
        f.health()
    );
    std::fs::remove_file(dir.path().join("b.jsonl")).expect("remove");
    f.wait_until("the error clears", |f| f.health().is_ok());

    // A file named on its own that goes away stays reported while it is gone, however
    // many polls follow.
    let named = dir.path().join("a.jsonl");
    let mut follower = Follower::new(
        vec![SourceSpec::parse(&named.to_string_lossy())],
        Origins::default(),
    );
    follower.rescan(NOON, &mut |_| {});
    follower.poll(NOON, &mut |_| {});
    assert!(follower.health()[0].is_ok());
    std::fs::remove_file(&named).expect("remove");
    follower.rescan(NOON, &mut |_| {});
    follower.poll(NOON, &mut |_| {});
    follower.poll(NOON, &mut |_| {});
    let error = follower.health()[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("a.jsonl"), "{error:?}");
}

#[test]
fn a_wake_reads_only_the_files_its_events_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    append(&a, &lines(1..=1));
    append(&b, &lines(2..=2));
    let mut follower = Follower::new(
        vec![SourceSpec::parse(&dir.path().to_string_lossy())],
        Origins::default(),
    );
    let mut inputs = Vec::new();
    follower.rescan(NOON, &mut |e| inputs.push(e.tokens.input));
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    append(&a, &lines(3..=3));
    append(&b, &lines(4..=4));
    let named = std::collections::HashSet::from([a.clone()]);
    follower.poll_paths(NOON, &named, &mut |e| inputs.push(e.tokens.input));
    assert_eq!(inputs, [1, 2, 3], "b was not named");
    follower.poll(NOON, &mut |e| inputs.push(e.tokens.input));
    assert_eq!(inputs, [1, 2, 3, 4]);
}

#[test]
fn the_live_loop_reads_the_files_its_wakes_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
    append(&a, &lines(1..=1));
    append(&b, &lines(2..=2));
    // No poll in the test's time: each line below is read because its event named its file.
    let events_only = FollowOptions::watching(Duration::from_secs(3600));
    let mut f = Followed::start_with(dir.path(), events_only);
    f.wait_until("the backfill is read", |f| f.events.len() == 2);
    append(&a, &lines(3..=3));
    f.wait_until("a's line is read", |f| f.events.len() == 3);
    append(&b, &lines(4..=4));
    f.wait_until("b's line is read", |f| f.events.len() == 4);
    assert_eq!(f.inputs(), all(1..=4));
}

#[test]
fn a_followed_folder_deleted_and_made_again_is_watched_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::create_dir_all(&b).expect("mkdir");
    append(&a.join("x.jsonl"), &lines(1..=1));
    let specs = [&a, &b].map(|p| SourceSpec::parse(&p.to_string_lossy()));
    // No poll in the test's time: only filesystem events can wake the reader.
    let events_only = FollowOptions::watching(Duration::from_secs(3600));
    let mut f = Followed::resume_with(
        Follower::new(specs.to_vec(), Origins::default()),
        events_only,
    );
    f.wait_until("the first line is read", |f| f.events.len() == 1);
    std::fs::remove_dir_all(&a).expect("remove");
    // An event from the other folder wakes the reader after `a` is gone.
    append(&b.join("y.jsonl"), &lines(2..=2));
    f.wait_until("the deleted folder is reported", |f| {
        f.events.len() == 2 && !f.health[0].is_ok()
    });
    std::fs::create_dir_all(&a).expect("mkdir");
    f.wait_until("the folder is back", |f| f.health[0].is_ok());
    append(&a.join("z.jsonl"), &lines(3..=3));
    f.wait_until("the remade folder's new file is read", |f| {
        f.events.len() == 3
    });
    assert_eq!(f.inputs(), all(1..=3));
}

#[test]
fn a_followed_folder_deleted_and_made_again_is_read_again_when_polling_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a");
    std::fs::create_dir_all(&a).expect("mkdir");
    append(&a.join("x.jsonl"), &lines(1..=1));
    let poll_only = FollowOptions {
        poll_every: POLL,
        watch: false,
    };
    let mut f = Followed::start_with(&a, poll_only);
    f.wait_until("the first line is read", |f| f.events.len() == 1);
    std::fs::remove_dir_all(&a).expect("remove");
    f.wait_until("the deleted folder is reported", |f| {
        f.health.first().is_some_and(|h| !h.is_ok())
    });
    std::fs::create_dir_all(&a).expect("mkdir");
    append(&a.join("z.jsonl"), &lines(2..=2));
    f.wait_until("the remade folder's new file is read", |f| {
        f.events.len() == 2 && f.health().is_ok()
    });
    assert_eq!(f.inputs(), all(1..=2));
}

#[test]
fn a_symlink_loop_under_a_followed_glob_ends() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sub in ["a", "b"] {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        std::os::unix::fs::symlink("..", dir.path().join(sub).join("up")).expect("symlink");
    }
    append(&dir.path().join("a/x.jsonl"), &lines(1..=1));
    let pattern = format!("{}/**/*.jsonl", dir.path().display());
    let mut f = Followed::start(Path::new(&pattern));
    f.wait_until("the file is read", |f| f.events.len() == 1);
    append(&dir.path().join("b/y.jsonl"), &lines(2..=2));
    f.wait_until("a new file is read", |f| f.events.len() == 2);
    f.wait_until("both files are counted", |f| f.health().files == 2);
    assert_eq!(f.inputs(), all(1..=2), "each file once, under one name");
}

/// The totals of `events` as the engine counts them (copies of a response once):
/// (input, cache read, output, requests).
fn counted(events: &[Event]) -> (u64, u64, u64, u64) {
    let mut engine = crate::common::engine();
    for e in events {
        engine.ingest(e);
    }
    engine.advance(NOON);
    let t = engine.snapshot(None).totals;
    (t.input, t.cache_read, t.output, t.requests)
}

fn gemini_message(id: &str, input: u64, tools: &str) -> String {
    format!(
        r#"{{"id":"{id}","timestamp":"2025-12-20T11:07:32.000Z","type":"gemini","content":"","tokens":{{"input":{input},"output":10,"cached":100,"thoughts":0,"tool":0,"total":{}}},"model":"gemini-2.5-flash"{tools}}}"#,
        input + 10
    )
}

#[test]
fn a_gemini_session_is_followed_and_a_re_appended_message_replaces_its_copy() {
    let home = tempfile::tempdir().expect("temp dir");
    let chats = home.path().join(".gemini/tmp/proj/chats");
    std::fs::create_dir_all(&chats).expect("mkdir");
    std::fs::write(
        home.path().join(".gemini/tmp/proj/.project_root"),
        "/home/ana/proj\n",
    )
    .expect("write");
    let path = chats.join("session-2025-12-20T11-07-8f0c2a1e.jsonl");
    let meta = r#"{"sessionId":"8f0c2a1e","projectHash":"h","kind":"main"}"#;
    append(
        &path,
        &format!("{meta}\n{}\n", gemini_message("g1", 1_000, "")),
    );
    let mut f = Followed::start(&home.path().join(".gemini/tmp"));
    f.wait_until("the first response is read", |f| f.events.len() == 1);
    assert_eq!(f.events[0].identity, "gemini-cli:/home/ana/proj");
    let call = r#","toolCalls":[{"id":"read_file-1","name":"read_file","args":{}}]"#;
    append(&path, &(gemini_message("g1", 1_000, call) + "\n"));
    append(&path, &(gemini_message("g2", 2_000, "") + "\n"));
    f.wait_until("the copy and the next response arrive", |f| {
        f.events.len() == 3
    });
    assert_eq!(counted(&f.events), (2_800, 200, 20, 2));
    assert_eq!(f.events[1].tools.len(), 1);
}

#[test]
fn a_legacy_gemini_document_rewritten_in_place_is_read_whole_again() {
    let home = tempfile::tempdir().expect("temp dir");
    let chats = home.path().join(".gemini/tmp/proj/chats");
    std::fs::create_dir_all(&chats).expect("mkdir");
    let path = chats.join("session-2025-09-01T09-00-11111111.json");
    let doc = |messages: &[String]| {
        format!(
            "{{\n  \"sessionId\": \"s0\",\n  \"projectHash\": \"h\",\n  \"messages\": [\n    {}\n  ]\n}}",
            messages.join(",\n    ")
        )
    };
    let first = vec![gemini_message("gL1", 1_000, "")];
    std::fs::write(&path, doc(&first)).expect("write");
    let mut f = Followed::start(&home.path().join(".gemini"));
    f.wait_until("the document is read", |f| f.events.len() == 1);
    let mut both = first.clone();
    both.push(gemini_message("gL2", 3_000, ""));
    // Rewritten whole, in place, as Gemini CLI did.
    std::fs::write(&path, doc(&both)).expect("rewrite");
    f.wait_until("the rewritten document is read", |f| f.events.len() == 3);
    assert_eq!(counted(&f.events), (3_800, 200, 20, 2), "gL1 once");
    f.wait_until("no line is rejected", |f| {
        f.health.first().is_some_and(|h| h.rejected_lines() == 0)
    });
}

#[test]
fn a_qwen_session_is_followed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let chats = dir.path().join("projects/-home-bo-app/chats");
    std::fs::create_dir_all(&chats).expect("mkdir");
    let path = chats.join("d96bf338.jsonl");
    let record = |uuid: &str, prompt: u64| {
        format!(
            r#"{{"uuid":"{uuid}","sessionId":"d96bf338","timestamp":"2025-12-22T14:24:56.857Z","type":"assistant","cwd":"/home/bo/app","model":"qwen3-coder-plus","message":{{"role":"model","parts":[]}},"usageMetadata":{{"promptTokenCount":{prompt},"candidatesTokenCount":5,"cachedContentTokenCount":0,"totalTokenCount":{}}}}}"#,
            prompt + 5
        ) + "\n"
    };
    append(&path, &record("q1", 100));
    let mut f = Followed::start(dir.path());
    f.wait_until("the first response is read", |f| f.events.len() == 1);
    append(&path, &record("q2", 200));
    f.wait_until("the appended response arrives", |f| f.events.len() == 2);
    assert_eq!(counted(&f.events), (300, 0, 10, 2));
    assert_eq!(f.events[1].identity, "qwen-code:/home/bo/app");
}

#[test]
fn a_legacy_gemini_document_caught_half_written_waits_for_its_end() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("session-2025-09-01T09-00-11111111.json");
    let doc = format!(
        "{{\n  \"sessionId\": \"s0\",\n  \"projectHash\": \"h\",\n  \"messages\": [\n    {}\n  ]\n}}",
        gemini_message("gL1", 1_000, "")
    );
    std::fs::write(&path, &doc[..doc.len() - 10]).expect("write");
    let mut follower = Follower::new(
        vec![SourceSpec::parse(&path.to_string_lossy())],
        Origins::default(),
    );
    let mut events = Vec::new();
    follower.rescan(NOON, &mut |e| events.push(e));
    follower.poll(NOON, &mut |e| events.push(e));
    let h = &follower.health()[0];
    assert_eq!((events.len(), h.lines, h.rejected_lines()), (0, 0, 0));
    std::fs::write(&path, &doc).expect("write");
    follower.poll(NOON, &mut |e| events.push(e));
    let h = &follower.health()[0];
    assert_eq!((events.len(), h.lines, h.rejected_lines()), (1, 1, 0));
    assert_eq!(events[0].tokens.input, 900);
}

/// A Kimi CLI status update of `input` uncached tokens, for step `id`.
fn kimi_status(id: &str, input: u64) -> String {
    format!(
        r#"{{"timestamp":1767261605.5,"message":{{"type":"StatusUpdate","payload":{{"token_usage":{{"input_other":{input},"output":1,"input_cache_read":0,"input_cache_creation":0}},"message_id":"{id}"}}}}}}"#
    ) + "\n"
}

#[test]
fn kimi_sessions_are_followed_with_their_work_folder_and_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let share = dir.path();
    // md5("/home/ana/proj"): the folder Kimi CLI makes for that work folder.
    let folder = share.join("sessions/e05bc5d0d79f7ba24a515f475a529bae");
    std::fs::create_dir_all(&folder).expect("mkdir");
    append(
        &share.join("kimi.json"),
        r#"{"work_dirs":[{"path":"/home/ana/proj","kaos":"local"}]}"#,
    );
    append(&share.join("config.toml"), "default_model = \"kimi-k2\"\n");
    let mut f = Followed::start(&share.join("sessions"));
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    let wire = folder.join("s1/wire.jsonl");
    std::fs::create_dir_all(folder.join("s1")).expect("mkdir");
    append(
        &wire,
        "{\"type\":\"metadata\",\"protocol_version\":\"1.3\"}\n",
    );
    append(&wire, &kimi_status("m1", 11));
    f.wait_until("the new session's step arrives", |f| f.events.len() == 1);
    append(&wire, &kimi_status("m2", 12));
    f.wait_until("the appended step arrives", |f| f.events.len() == 2);
    assert_eq!(f.inputs(), vec![11, 12]);
    let e = &f.events[1];
    assert_eq!(e.identity, "kimi-cli:/home/ana/proj");
    assert_eq!(e.model, "kimi-k2");
    assert_eq!(e.attrs.session.as_deref(), Some("s1"));
}

#[test]
fn pi_sessions_are_followed_with_their_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("--home-u-proj--");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let mut f = Followed::start(dir.path());
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    let file = folder.join("2026-01-01T10-00-00-000Z_s1.jsonl");
    append(
        &file,
        "{\"type\":\"session\",\"version\":3,\"id\":\"s1\",\"timestamp\":\"2026-01-01T10:00:00.000Z\",\"cwd\":\"/home/u/proj\"}\n",
    );
    for (n, id) in [(21, "aaaa0001"), (22, "aaaa0002")] {
        append(
            &file,
            &(format!(
                r#"{{"type":"message","id":"{id}","parentId":null,"timestamp":"2026-01-01T10:00:{n}.000Z","message":{{"role":"assistant","content":[],"provider":"anthropic","model":"claude-sonnet-4-5","usage":{{"input":{n},"output":1,"cacheRead":0,"cacheWrite":0,"cost":{{"total":0.001}}}}}}}}"#
            ) + "\n"),
        );
        f.wait_until("the appended entry arrives", |f| {
            f.events.len() as u64 == n - 20
        });
    }
    assert_eq!(f.inputs(), vec![21, 22]);
    assert_eq!(f.events[1].identity, "pi:/home/u/proj");
    assert_eq!(f.events[1].record_cost_usd, Some(0.001));
}

#[test]
fn copilot_telemetry_and_sessions_are_followed_and_a_covered_shutdown_is_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path();
    std::fs::create_dir_all(home.join("otel")).expect("mkdir");
    std::fs::create_dir_all(home.join("session-state/s7")).expect("mkdir");
    let mut f = Followed::start(home);
    f.wait_until("the follower reports in", |f| !f.health.is_empty());
    let events = home.join("session-state/s7/events.jsonl");
    append(
        &events,
        "{\"type\":\"session.start\",\"id\":\"e1\",\"timestamp\":\"2026-01-01T10:00:00.000Z\",\"data\":{\"sessionId\":\"s7\",\"context\":{\"cwd\":\"/home/ana/web\"}}}\n",
    );
    // The export grows after the session's events file was opened.
    append(
        &home.join("otel/a.jsonl"),
        &(r#"{"type":"span","traceId":"t1","spanId":"c1","name":"chat gpt-5-mini","startTime":[1767261600,0],"endTime":[1767261601,0],"attributes":{"gen_ai.operation.name":"chat","gen_ai.response.model":"gpt-5-mini","gen_ai.conversation.id":"s7","gen_ai.usage.input_tokens":31,"gen_ai.usage.output_tokens":2}}"#.to_string() + "\n"),
    );
    f.wait_until("the chat span arrives", |f| f.events.len() == 1);
    append(
        &events,
        "{\"type\":\"session.shutdown\",\"id\":\"e9\",\"timestamp\":\"2026-01-01T10:30:00.000Z\",\"data\":{\"modelMetrics\":{\"gpt-5-mini\":{\"usage\":{\"inputTokens\":31,\"outputTokens\":2}}}}}\n",
    );
    // A shutdown of another session, without telemetry, after it: it counts.
    let other = home.join("session-state/s8/events.jsonl");
    std::fs::create_dir_all(home.join("session-state/s8")).expect("mkdir");
    append(
        &other,
        "{\"type\":\"session.shutdown\",\"id\":\"f9\",\"timestamp\":\"2026-01-01T10:40:00.000Z\",\"data\":{\"modelMetrics\":{\"gpt-5-mini\":{\"usage\":{\"inputTokens\":44,\"outputTokens\":2}}}}}\n",
    );
    f.wait_until("the uncovered shutdown arrives", |f| f.events.len() == 2);
    f.wait_until("both session files are read", |f| {
        f.health().lines_without_usage >= 2
    });
    assert_eq!(
        f.inputs(),
        vec![31, 44],
        "the covered shutdown adds nothing"
    );
}
