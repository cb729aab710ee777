//! Raw records read back on demand: an event counted by the engine points at its line,
//! and fetching that origin gives the line as written (from a followed folder, after a
//! rotation, and from the demo's embedded recordings).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokentop::engine::recent::RecentEvent;
use tokentop::event::{Event, TimeMs};
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::{self, FollowOptions, Follower};
use tokentop::source::origin::{MAX_GONE_FILES, Origins};
use tokentop::source::{CHANNEL_CAPACITY, Feed};

use crate::common::{NOON, engine};

const HANG_GUARD: Duration = Duration::from_secs(60);
const PROJECT: &str = "-home-dev-app";

/// A Claude Code user turn, then response `n` in two copies (text, then the final
/// tool_use copy with more output), as Claude Code writes them.
fn response(n: u64) -> Vec<String> {
    let user = format!(
        r#"{{"parentUuid":"p{n}","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s1","version":"2.0.76","gitBranch":"main","type":"user","message":{{"role":"user","content":[{{"tool_use_id":"toolu_{n}","type":"tool_result","content":"ok"}}]}},"uuid":"u{n}","timestamp":"2026-01-01T11:00:0{n}.000Z"}}"#
    );
    let copy = |block: &str, output: u64, stop: &str, ms: u64| {
        format!(
            r#"{{"parentUuid":"u{n}","isSidechain":false,"userType":"external","cwd":"/home/dev/app","sessionId":"s1","version":"2.0.76","gitBranch":"main","message":{{"model":"claude-sonnet-4-20250514","id":"msg_{n}","type":"message","role":"assistant","content":[{block}],"stop_reason":{stop},"stop_sequence":null,"usage":{{"input_tokens":4,"cache_creation_input_tokens":{n}00,"cache_read_input_tokens":20000,"output_tokens":{output},"service_tier":"standard"}}}},"requestId":"req_{n}","type":"assistant","uuid":"a{n}-{ms}","timestamp":"2026-01-01T11:00:0{n}.{ms:03}Z"}}"#
        )
    };
    vec![
        user,
        copy(r#"{"type":"text","text":"Looking."}"#, 3, "null", 100),
        copy(
            r#"{"type":"tool_use","id":"toolu_b1","name":"Bash","input":{"command":"cargo test"}}"#,
            400 + n,
            r#""tool_use""#,
            200,
        ),
    ]
}

fn append(path: &Path, lines: &[String]) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open");
    for line in lines {
        writeln!(f, "{line}").expect("append");
    }
}

/// A follow thread over `dir`, registering into `origins`.
struct Following {
    rx: mpsc::Receiver<Feed>,
    events: Vec<Event>,
}

impl Following {
    fn start(dir: &Path, origins: &Origins) -> Self {
        let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
        let follower = folder_follower(dir, origins);
        // The thread ends when `rx` is dropped.
        follow::spawn(
            follower,
            tx,
            FollowOptions::watching(Duration::from_millis(50)),
        )
        .expect("spawn follower");
        Following {
            rx,
            events: Vec::new(),
        }
    }

    fn wait_for(&mut self, count: usize) {
        let deadline = Instant::now() + HANG_GUARD;
        while self.events.len() < count {
            assert!(
                Instant::now() < deadline,
                "timed out with {} events",
                self.events.len()
            );
            match self.rx.try_recv() {
                Ok(Feed::Events(batch)) => self.events.extend(batch),
                Ok(_) => {}
                Err(mpsc::TryRecvError::Empty) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => panic!("follower stopped: {e}"),
            }
        }
    }
}

/// The newest entry of `name`'s recent list after ingesting `events`.
fn newest(events: &[Event], name: &str) -> RecentEvent {
    let mut engine = engine();
    events.iter().for_each(|e| engine.ingest(e));
    engine.advance(NOON);
    let detail = engine.detail(name).expect("identity");
    detail.recent[0].clone()
}

fn fetch_raw(origins: &Origins, recent: &RecentEvent) -> Result<String, String> {
    let origin = recent.origin.expect("the event has an origin");
    origins.fetch(origin, recent.time).map(|r| r.raw)
}

#[test]
fn a_followed_claude_code_response_is_fetched_back_as_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("projects").join(PROJECT);
    std::fs::create_dir_all(&folder).expect("mkdir");
    let path = folder.join("s1.jsonl");
    let first = response(1);
    append(&path, &first);
    let origins = Origins::default();
    let mut f = Following::start(dir.path(), &origins);
    f.wait_for(2);

    let counted = newest(&f.events, PROJECT);
    assert_eq!(
        counted.tokens.output, 401,
        "the larger copy is the one counted"
    );
    let origin = counted.origin.expect("origin");
    let record = origins.fetch(origin, counted.time).expect("fetch");
    assert_eq!(record.raw, first[2], "the exact line of the counted copy");
    assert!(!record.truncated);
    let again = &record.events[0];
    assert_eq!((again.tokens, again.time), (counted.tokens, counted.time));
    assert_eq!(
        again.identity, PROJECT,
        "re-parsed with the file's project folder"
    );

    // Rotation: the file is renamed (still in the folder) and a new one takes its name.
    // Once the folder is scanned again, the follower knows the old one's new name.
    let rotated = folder.join("s1-1.jsonl");
    std::fs::rename(&path, &rotated).expect("rename");
    append(&path, &response(2));
    f.wait_for(4);
    let late = response(3);
    append(&rotated, &late);
    f.wait_for(6);
    let recent = newest(&f.events, PROJECT);
    assert_eq!(recent.tokens.output, 403);
    assert_eq!(fetch_raw(&origins, &recent), Ok(late[2].clone()));

    // The first response was read under the old name, which now holds another file: it
    // is fetched from the file's new name, and the new file's from the old name.
    assert_eq!(fetch_raw(&origins, &counted), Ok(first[2].clone()));
    let record = origins.fetch(counted.origin.expect("origin"), counted.time);
    assert!(record.expect("fetch").source.ends_with("s1-1.jsonl"));
    let second = f
        .events
        .iter()
        .find(|e| e.tokens.output == 402)
        .expect("the new file's response");
    let fetched = origins.fetch(second.origin.expect("origin"), second.time);
    assert_eq!(fetched.map(|r| r.raw), Ok(response(2)[2].clone()));
}

/// A reader of the folder `dir`, registering into `origins`.
fn folder_follower(dir: &Path, origins: &Origins) -> Follower {
    Follower::new(
        vec![SourceSpec::parse(&dir.to_string_lossy())],
        origins.clone(),
    )
}

/// One rescan and poll of `follower`, its events added to `events`.
fn scan(follower: &mut Follower, events: &mut Vec<Event>) {
    follower.rescan(NOON, &mut |e| events.push(e));
    follower.poll(NOON, &mut |e| events.push(e));
}

/// The raw line of the event with `output` tokens, and the file it was fetched from.
fn fetch_by_output(origins: &Origins, events: &[Event], output: u64) -> (String, String) {
    let event = events
        .iter()
        .find(|e| e.tokens.output == output)
        .expect("the response was read");
    let record = origins
        .fetch(event.origin.expect("origin"), event.time)
        .expect("fetch");
    (record.raw, record.source)
}

#[test]
fn a_file_renamed_to_a_later_name_keeps_its_id_when_a_new_file_takes_the_old_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (old, renamed) = (dir.path().join("s1.jsonl"), dir.path().join("s2.jsonl"));
    append(&old, &response(1));
    let origins = Origins::default();
    let mut follower = folder_follower(dir.path(), &origins);
    let mut events = Vec::new();
    scan(&mut follower, &mut events);

    // The new file at the old name is listed before the renamed one: it must not take
    // the id the renamed file's events carry.
    std::fs::rename(&old, &renamed).expect("rename");
    append(&old, &response(2));
    scan(&mut follower, &mut events);

    let (raw, source) = fetch_by_output(&origins, &events, 401);
    assert_eq!(raw, response(1)[2]);
    assert!(source.ends_with("s2.jsonl"), "fetched from {source}");
    let (raw, source) = fetch_by_output(&origins, &events, 402);
    assert_eq!(raw, response(2)[2]);
    assert!(source.ends_with("s1.jsonl"), "fetched from {source}");
}

#[test]
fn a_file_rotated_out_of_sight_frees_its_name_for_the_next_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s1.jsonl");
    append(&path, &response(1));
    let origins = Origins::default();
    let mut follower = folder_follower(dir.path(), &origins);
    let mut events = Vec::new();
    scan(&mut follower, &mut events);

    // Rotated to a name the folder scan does not cover, then a new file starts.
    let hidden = dir.path().join("s1.jsonl.1");
    std::fs::rename(&path, &hidden).expect("rename");
    scan(&mut follower, &mut events);
    append(&path, &response(2));
    scan(&mut follower, &mut events);
    // The old file comes back in sight (renamed into the scan) while still draining:
    // only its own events move with it.
    std::fs::rename(&hidden, dir.path().join("s0.jsonl")).expect("rename");
    scan(&mut follower, &mut events);

    let (raw, source) = fetch_by_output(&origins, &events, 401);
    assert_eq!(raw, response(1)[2]);
    assert!(source.ends_with("s0.jsonl"), "fetched from {source}");
    let (raw, source) = fetch_by_output(&origins, &events, 402);
    assert_eq!(raw, response(2)[2]);
    assert!(source.ends_with("s1.jsonl"), "fetched from {source}");
}

#[test]
fn a_file_with_two_names_is_read_once_under_the_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a.jsonl");
    append(&path, &response(1));
    std::fs::hard_link(&path, dir.path().join("b.jsonl")).expect("hard link");
    let origins = Origins::default();
    let mut follower = folder_follower(dir.path(), &origins);
    let mut events = Vec::new();
    scan(&mut follower, &mut events);
    scan(&mut follower, &mut events);
    assert_eq!(events.len(), 2, "the two copies of one response, once");
    let (raw, source) = fetch_by_output(&origins, &events, 401);
    assert_eq!(raw, response(1)[2]);
    assert!(source.ends_with("a.jsonl"), "fetched from {source}");
}

#[test]
fn a_folder_where_files_come_and_go_forgets_the_files_gone_longest() {
    let dir = tempfile::tempdir().expect("temp dir");
    let origins = Origins::default();
    let mut follower = folder_follower(dir.path(), &origins);
    let mut events = Vec::new();
    // A new session file per run, deleted after it.
    let name = |n: usize| dir.path().join(format!("run-{n}.jsonl"));
    for n in 0..=MAX_GONE_FILES {
        let line = format!(
            r#"{{"tokentop":1,"ts":{NOON},"identity":"k","model":"m","tokens":{{"output":{n}}}}}"#
        );
        append(&name(n), &[line]);
        scan(&mut follower, &mut events);
        std::fs::remove_file(name(n)).expect("remove");
        scan(&mut follower, &mut events);
    }
    assert_eq!(events.len(), MAX_GONE_FILES + 1);
    let fetch = |n: usize| {
        let event = &events[n];
        assert_eq!(event.tokens.output, n as u64);
        origins.fetch(event.origin.expect("origin"), event.time)
    };
    let first = fetch(0).expect_err("forgotten");
    assert!(first.contains("no longer remembered"), "{first}");
    let last = fetch(MAX_GONE_FILES).expect_err("deleted");
    let gone = format!("{} no longer exists", name(MAX_GONE_FILES).display());
    assert!(last.starts_with(&gone), "{last}");
}

#[test]
fn a_backfill_read_on_every_core_stamps_every_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pad = "p".repeat(1000);
    let per_file = 2500;
    for file in 0..2 {
        let lines: Vec<String> = (0..per_file)
            .map(|n| {
                format!(
                    r#"{{"tokentop":1,"ts":{},"identity":"svc","model":"gpt-4o-mini","tokens":{{"input":{}}},"note":"{pad}"}}"#,
                    NOON - 1000 + n,
                    file * per_file + n
                )
            })
            .collect();
        append(&dir.path().join(format!("f{file}.jsonl")), &lines);
    }
    let origins = Origins::default();
    let mut follower = folder_follower(dir.path(), &origins);
    let mut events = Vec::new();
    scan(&mut follower, &mut events);
    assert!(
        events.len() as u64 * 1000 >= tokentop::source::parallel::PARALLEL_FROM_BYTES,
        "enough to be read in parallel"
    );
    assert_eq!(events.len() as i64, 2 * per_file);
    for event in &events {
        let origin = event.origin.expect("origin");
        let record = origins.fetch(origin, event.time).expect("fetch");
        assert_eq!(record.events[0].tokens, event.tokens);
    }
}

/// A fixed clock for the demo: history is replayed up to it.
fn noon() -> TimeMs {
    NOON
}

#[test]
fn a_demo_event_is_fetched_from_its_embedded_recording() {
    let origins = Origins::default();
    let (tx, rx) = mpsc::sync_channel(CHANNEL_CAPACITY);
    tokentop::demo::spawn(tx, noon, origins.clone()).expect("spawn demo");
    let events = loop {
        if let Feed::Events(events) = rx.recv().expect("demo feed") {
            break events;
        }
    };
    drop(rx);
    let name = events[0].identity.clone();
    let recent = newest(&events, &name);
    let origin = recent.origin.expect("origin");
    let record = origins.fetch(origin, recent.time).expect("fetch");
    let recordings = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/demo");
    let recorded = ["tokentop.jsonl", "claude/projects"]
        .iter()
        .any(|p| contains_line(&recordings.join(p), &record.raw));
    assert!(recorded, "{} is a recorded line", record.raw);
    assert_eq!(record.events[0].tokens, recent.tokens);
}

/// Whether the file, or a file below the folder, has `line` as one of its lines.
fn contains_line(path: &Path, line: &str) -> bool {
    if path.is_dir() {
        let entries = std::fs::read_dir(path).expect("read dir");
        return entries.flatten().any(|e| contains_line(&e.path(), line));
    }
    std::fs::read_to_string(path).is_ok_and(|text| text.lines().any(|l| l == line))
}

#[test]
fn the_event_popup_shows_the_raw_record_with_its_secrets_redacted() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use tokentop::app::{App, Msg};
    use tokentop::live;
    use tokentop::theme::Theme;

    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("projects").join(PROJECT);
    std::fs::create_dir_all(&folder).expect("mkdir");
    let key = format!("sk-ant-api03-{}AA", "Q".repeat(93));
    let lines: Vec<String> = response(1)
        .into_iter()
        .map(|l| l.replace("cargo test", &format!("ANTHROPIC_API_KEY={key} cargo test")))
        .collect();
    append(&folder.join("s1.jsonl"), &lines);
    let origins = Origins::default();
    let mut f = Following::start(dir.path(), &origins);
    f.wait_for(2);

    let mut engine = engine();
    f.events.iter().for_each(|e| engine.ingest(e));
    engine.advance(NOON);
    let mut app = App::new("test".into(), engine.snapshot(None));
    let key_press = |app: &mut App, code| {
        let msg = Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
        live::update(&engine, app, msg);
    };
    key_press(&mut app, KeyCode::Enter);
    key_press(&mut app, KeyCode::Enter);
    assert!(app.event_popup().is_some());
    assert!(app.wanted_record().is_some(), "the popup asks for its line");
    let wanted = app.wanted_record().expect("the popup's line");
    // An answer for another event (the popup moved on before it came) is dropped.
    let (origin, time) = wanted;
    let stale = Msg::Record {
        origin: tokentop::event::Origin::new(origin.source, origin.offset + 1, b"other"),
        time,
        result: Err("stale".to_string()),
    };
    assert!(!app.update(stale), "a stale answer changes nothing");
    assert_eq!(
        app.wanted_record(),
        Some(wanted),
        "still waiting for its own"
    );
    assert!(app.update(live::fetch_record(&origins, wanted)));
    assert!(app.wanted_record().is_none(), "fetched once");
    // Closed and opened again, it is read again (what could not be read may be by now).
    key_press(&mut app, KeyCode::Esc);
    key_press(&mut app, KeyCode::Enter);
    assert_eq!(app.wanted_record(), Some(wanted));
    assert!(app.update(live::fetch_record(&origins, wanted)));

    let mut terminal = Terminal::new(TestBackend::new(160, 60)).expect("terminal");
    terminal
        .draw(|frame| tokentop::ui::render(frame, &app, &Theme::builtin()))
        .expect("draw");
    let text = format!("{}", terminal.backend());
    for shown in [
        "s1.jsonl, byte",
        "\"requestId\": \"req_1\"",
        "sk-ant-…[redacted] cargo test",
    ] {
        assert!(text.contains(shown), "{shown} missing:\n{text}");
    }
    assert!(
        !text.contains("QQQQ"),
        "the key never reaches the screen:\n{text}"
    );

    // The record keeps its own key order (sorted, `usage` fell off the bottom).
    let Some(Ok(record)) = app.popup_record() else {
        panic!("the record is fetched");
    };
    let at = |key: &str| {
        record
            .lines
            .iter()
            .position(|l| l.trim_start().starts_with(&format!("\"{key}\"")))
            .unwrap_or_else(|| panic!("{key} missing"))
    };
    let keys = [
        "parentUuid",
        "cwd",
        "message",
        "usage",
        "requestId",
        "timestamp",
    ];
    let order: Vec<usize> = keys.iter().map(|k| at(k)).collect();
    assert!(order.is_sorted(), "{keys:?} at {order:?}");
    // On a short screen it scrolls: G shows its end, g its start again.
    let draw = |app: &App| {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
        terminal
            .draw(|frame| tokentop::ui::render(frame, app, &Theme::builtin()))
            .expect("draw");
        format!("{}", terminal.backend())
    };
    let top = draw(&app);
    assert!(
        top.contains("\"parentUuid\"") && !top.contains("\"timestamp\""),
        "{top}"
    );
    assert!(top.contains("scroll"), "it says it scrolls:\n{top}");
    key_press(&mut app, KeyCode::End);
    let bottom = draw(&app);
    assert!(
        bottom.contains("\"timestamp\"") && !bottom.contains("\"parentUuid\""),
        "{bottom}"
    );
    key_press(&mut app, KeyCode::PageUp);
    key_press(&mut app, KeyCode::Home);
    assert_eq!(draw(&app), top);
    assert!(
        app.event_popup().is_some(),
        "moving scrolled, the popup stayed"
    );
}

/// The Gemini CLI fixture's `.gemini` folder (its project registry, a session file and a
/// legacy document) copied into `dir`.
fn gemini_tree(dir: &Path) -> std::path::PathBuf {
    let from = crate::common::fixture("gemini_home/.gemini");
    let gemini = dir.join(".gemini");
    let chats = "tmp/proj/chats";
    std::fs::create_dir_all(gemini.join(chats)).expect("mkdir");
    for name in [
        "projects.json",
        "tmp/proj/chats/session-2025-12-20T11-07-8f0c2a1e.jsonl",
        "tmp/proj/chats/session-2025-09-01T09-00-11111111.json",
    ] {
        std::fs::copy(from.join(name), gemini.join(name)).expect("copy");
    }
    gemini
}

#[test]
fn a_gemini_record_is_re_parsed_under_its_project_and_a_legacy_message_found_by_id() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use tokentop::app::{App, Msg};
    use tokentop::live;

    let dir = tempfile::tempdir().expect("temp dir");
    let gemini = gemini_tree(dir.path());
    let origins = Origins::default();
    let mut follower = folder_follower(&gemini, &origins);
    let mut events = Vec::new();
    scan(&mut follower, &mut events);
    let from = |e: &Event, suffix: &str| {
        let source = e.origin.map(|o| o.source);
        source
            .and_then(|s| origins.name(s))
            .is_some_and(|n| n.ends_with(suffix))
    };

    // A `.jsonl` line: the re-parse names the project the live reader found.
    let live = events
        .iter()
        .find(|e| from(e, ".jsonl") && e.tokens.output == 942)
        .expect("g1 read live");
    assert_eq!(live.identity, "gemini-cli:/home/ana/proj");
    let record = origins
        .fetch(live.origin.expect("origin"), live.time)
        .expect("fetch")
        .for_event(live.dedup_key);
    assert_eq!(record.events.len(), 1);
    assert_eq!(record.events[0].identity, live.identity);
    assert_eq!(record.events[0].attrs.project, live.attrs.project);

    // A legacy `.json` document: the popup shows the event's own message, found by id.
    let live = events
        .iter()
        .find(|e| from(e, ".json") && e.tokens.output == 70)
        .expect("gL2 read live");
    let record = origins
        .fetch(live.origin.expect("origin"), live.time)
        .expect("a whole document is read back")
        .for_event(live.dedup_key);
    let message: serde_json::Value = serde_json::from_str(&record.raw).expect("one message");
    assert_eq!(message["id"], "gL2");
    assert_eq!(message["tokens"]["cached"], 4000);
    assert!(!record.truncated);
    assert_eq!(record.events.len(), 1);
    assert_eq!(record.events[0].tokens, live.tokens);
    assert_eq!(record.events[0].identity, "gemini-cli:/home/ana/proj");

    // Through the popup: the document's newest response, its message alone.
    let mut engine = engine();
    events
        .iter()
        .filter(|e| from(e, ".json"))
        .for_each(|e| engine.ingest(e));
    engine.advance(NOON);
    let mut app = App::new("test".into(), engine.snapshot(None));
    for _ in 0..2 {
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        live::update(&engine, &mut app, Msg::Key(enter));
    }
    let wanted = app.wanted_record().expect("the popup's record");
    assert!(app.update(live::fetch_record(&origins, wanted)));
    let Some(Ok(shown)) = app.popup_record() else {
        panic!("the record is fetched");
    };
    let text = shown.lines.join("\n");
    assert!(text.contains(r#""id": "gL2""#), "{text}");
    assert!(
        !text.contains("gL1") && !text.contains("sessionId"),
        "{text}"
    );
}
