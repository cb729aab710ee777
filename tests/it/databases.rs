//! Agents that keep usage in SQLite (OpenCode, Goose), read from real database files made
//! here with the schemas of shared/reference/agent-logs-more.md (sections 2 and 6) and
//! invented values; totals are worked out by hand in the comments. The live tests write
//! with a second connection, as the agent does, while tokentop polls.

use std::path::Path;

use assert_cmd::Command;
use rusqlite::{Connection, params};
use tokentop::engine::{Engine, Snapshot};
use tokentop::event::{Event, Format};
use tokentop::parse::RejectReason;
use tokentop::source::discover::SourceSpec;
use tokentop::source::follow::Follower;
use tokentop::source::health::SourceHealth;
use tokentop::source::origin::Origins;

use crate::common::{MIN, NOON, engine, read_paths};

const OPENCODE_SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL);
    CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT,
        directory TEXT NOT NULL, title TEXT, version TEXT, cost REAL,
        tokens_input INTEGER, tokens_output INTEGER, tokens_reasoning INTEGER,
        tokens_cache_read INTEGER, tokens_cache_write INTEGER,
        time_created INTEGER, time_updated INTEGER, time_archived INTEGER);
    CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
        time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE INDEX message_session_idx ON message (session_id);
    CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
        time_created INTEGER, time_updated INTEGER, data TEXT NOT NULL);
    CREATE INDEX part_message_idx ON part (message_id);";

/// 2026-01-01T11:00:00Z, an hour before NOON.
const T0: i64 = NOON - 60 * MIN;

/// An assistant message's `data`: `completed` or still streaming.
fn assistant(
    input: u64,
    output: u64,
    reasoning: u64,
    cache: (u64, u64),
    cost: f64,
    done: bool,
) -> String {
    let completed = if done {
        format!(r#","completed":{}"#, T0 + 4210)
    } else {
        String::new()
    };
    format!(
        r#"{{"role":"assistant","time":{{"created":{T0}{completed}}},"modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","agent":"build","path":{{"cwd":"/home/u/proj","root":"/home/u/proj"}},"cost":{cost},"tokens":{{"input":{input},"output":{output},"reasoning":{reasoning},"cache":{{"read":{},"write":{}}}}}}}"#,
        cache.0, cache.1
    )
}

fn opencode_db(dir: &Path) -> Connection {
    let conn = Connection::open(dir.join("opencode.db")).expect("create the database");
    conn.execute_batch(OPENCODE_SCHEMA).expect("schema");
    // The session's own sums are aggregates: never counted.
    conn.execute(
        "INSERT INTO session (id, directory, cost, tokens_input, tokens_output) VALUES
         ('ses_A', '/home/u/proj', 99.0, 999999, 999999), ('ses_F', '/home/u/proj', 0, 0, 0)",
        [],
    )
    .expect("sessions");
    conn
}

fn message(conn: &Connection, id: &str, session: &str, data: &str) {
    conn.execute(
        "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES (?1, ?2, ?3, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, time_updated = time_updated + 1",
        params![id, session, T0, data],
    )
    .expect("message");
}

fn part(conn: &Connection, id: &str, message: &str, data: &str) {
    conn.execute(
        "INSERT INTO part (id, message_id, session_id, data) VALUES (?1, ?2, 'ses_A', ?3)",
        params![id, message, data],
    )
    .expect("part");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("folders");
    std::fs::write(path, text).expect("write");
}

/// The data folder of OpenCode: its database, and the legacy JSON tree the migration left.
fn opencode_folder(dir: &Path) {
    let conn = opencode_db(dir);
    message(
        &conn,
        "msg_01",
        "ses_A",
        r#"{"role":"user","time":{"created":1767264000000},"agent":"build"}"#,
    );
    message(
        &conn,
        "msg_02",
        "ses_A",
        &assistant(120, 300, 20, (12800, 200), 0.0123, true),
    );
    part(
        &conn,
        "prt_1",
        "msg_02",
        r#"{"type":"tool","callID":"toolu_01","tool":"bash","state":{"status":"completed","input":{"command":"npm test"}}}"#,
    );
    part(
        &conn,
        "prt_2",
        "msg_02",
        r#"{"type":"step-finish","cost":0.0123,"tokens":{"input":120,"output":300,"reasoning":20,"cache":{"read":12800,"write":200}}}"#,
    );
    part(&conn, "prt_3", "msg_02", r#"{"type":"text","text":"done"}"#);
    // Cost 0: OpenCode knew no price, so the table prices it.
    message(
        &conn,
        "msg_03",
        "ses_A",
        &assistant(50, 10, 0, (0, 0), 0.0, true),
    );
    message(&conn, "msg_04", "ses_A", r#"{"role":"assistant","#);
    // A fork copied msg_02 into another session.
    message(
        &conn,
        "msg_09",
        "ses_F",
        &assistant(120, 300, 20, (12800, 200), 0.0123, true),
    );
    let storage = dir.join("storage");
    // The JSON copy of a row the database holds (values changed: the row wins).
    write(
        &storage.join("message/ses_A/msg_02.json"),
        &assistant(999_999, 300, 20, (12800, 200), 0.0123, true).replacen(
            '{',
            r#"{"id":"msg_02","sessionID":"ses_A","#,
            1,
        ),
    );
    // A message only the legacy tree has, with its tool part.
    write(
        &storage.join("message/ses_OLD/msg_00.json"),
        r#"{"id":"msg_00","sessionID":"ses_OLD","role":"assistant","time":{"created":1767265200000,"completed":1767265201000},"modelID":"claude-sonnet-4-5","providerID":"anthropic","path":{"cwd":"/home/u/old","root":"/home/u/old"},"cost":0.001,"tokens":{"input":7,"output":3,"reasoning":0,"cache":{"read":0,"write":0}}}"#,
    );
    write(
        &storage.join("part/msg_00/prt_9.json"),
        r#"{"type":"tool","callID":"toolu_09","tool":"read"}"#,
    );
}

fn report(path: &Path) -> (Engine, Snapshot, SourceHealth) {
    let (engine, snapshot, health) = read_paths(&[path]);
    let health = health.into_iter().next().expect("one source");
    (engine, snapshot, health)
}

fn names(s: &Snapshot) -> Vec<&str> {
    let mut names: Vec<&str> = s.identities.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    names
}

fn tools(engine: &Engine, identity: &str) -> Vec<(String, u64)> {
    let mut tools: Vec<_> = engine
        .detail(identity)
        .expect("identity")
        .tools
        .into_iter()
        .map(|t| (t.name, t.calls))
        .collect();
    tools.sort();
    tools
}

#[test]
fn opencode_rows_count_once_beside_their_json_copies_and_forks() {
    let dir = tempfile::tempdir().expect("dir");
    opencode_folder(dir.path());
    let (engine, s, h) = report(dir.path());
    // Rows msg_01..04, msg_09 and two legacy files.
    assert_eq!((h.lines, h.files), (7, 3));
    assert_eq!(h.events, 4, "msg_02, msg_03, its fork msg_09, msg_00");
    assert_eq!(
        h.lines_without_usage, 2,
        "the user row, the JSON copy of msg_02"
    );
    assert_eq!(h.rejected[&RejectReason::InvalidJson].count, 1);
    assert_eq!(h.last_error, None);
    let t = &s.totals;
    // msg_02 (once: its fork and JSON copy collapse) + msg_03 + msg_00.
    assert_eq!(t.requests, 3);
    assert_eq!(
        (t.input, t.cache_read, t.cache_write()),
        (120 + 50 + 7, 12800, 200)
    );
    assert_eq!((t.output, t.reasoning), (320 + 10 + 3, 20));
    // Own costs 0.0123 and 0.001; msg_03 priced at $3/M in, $15/M out: 0.0003.
    assert!((t.cost_usd - 0.0136).abs() < 1e-9, "cost {}", t.cost_usd);
    assert_eq!(
        names(&s),
        vec!["opencode:/home/u/old", "opencode:/home/u/proj"]
    );
    assert!(s.identities.iter().all(|r| r.format == Format::OpenCode));
    assert!(
        s.identities
            .iter()
            .all(|r| r.labels.iter().any(|l| l == "opencode"))
    );
    assert_eq!(
        tools(&engine, "opencode:/home/u/proj"),
        vec![("bash".into(), 1)]
    );
    assert_eq!(
        tools(&engine, "opencode:/home/u/old"),
        vec![("read".into(), 1)]
    );
}

#[test]
fn a_database_file_named_on_the_command_line_is_read_by_report_and_check() {
    let dir = tempfile::tempdir().expect("dir");
    opencode_folder(dir.path());
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["report", "--json"])
        .arg(dir.path().join("opencode.db"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // The legacy tree beside the file is read with it.
    assert_eq!(r["totals"]["requests"], 3);
    assert_eq!(r["totals"]["input"], 177);
    assert_eq!(r["sources"][0]["events"], 4);
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .arg("check")
        .arg(dir.path().join("opencode.db"))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

/// A follower of one path, polled by hand, its events counted by an engine.
struct Polled {
    follower: Follower,
    engine: Engine,
    events: Vec<Event>,
}

impl Polled {
    fn new(path: &Path) -> Self {
        let spec = SourceSpec::parse(&path.to_string_lossy());
        let mut polled = Polled {
            follower: Follower::new(vec![spec], Origins::default()),
            engine: engine(),
            events: Vec::new(),
        };
        polled.engine.advance(NOON);
        let (engine, events) = (&mut polled.engine, &mut polled.events);
        polled.follower.rescan(NOON, &mut |e| {
            engine.ingest(&e);
            events.push(e);
        });
        polled.poll();
        polled
    }

    fn poll(&mut self) -> usize {
        let before = self.events.len();
        let (engine, events) = (&mut self.engine, &mut self.events);
        self.follower.poll(NOON, &mut |e| {
            engine.ingest(&e);
            events.push(e);
        });
        self.events.len() - before
    }

    fn health(&self) -> SourceHealth {
        self.follower.health().remove(0)
    }
}

#[test]
fn opencode_rows_inserted_and_updated_after_start_count_once() {
    let dir = tempfile::tempdir().expect("dir");
    let writer = opencode_db(dir.path());
    writer
        .busy_timeout(std::time::Duration::ZERO)
        .expect("no waiting");
    message(
        &writer,
        "msg_02",
        "ses_A",
        &assistant(120, 300, 20, (12800, 200), 0.0123, true),
    );
    let mut live = Polled::new(dir.path());
    assert_eq!(live.events.len(), 1);
    assert_eq!(live.poll(), 0, "nothing committed since");
    // A message starts streaming, then its counts arrive, then it completes.
    message(
        &writer,
        "msg_05",
        "ses_A",
        &assistant(0, 0, 0, (0, 0), 0.0, false),
    );
    assert_eq!(live.poll(), 1);
    message(
        &writer,
        "msg_05",
        "ses_A",
        &assistant(10, 5, 0, (100, 0), 0.0, false),
    );
    part(
        &writer,
        "prt_5",
        "msg_05",
        r#"{"type":"tool","callID":"toolu_05","tool":"edit"}"#,
    );
    assert_eq!(live.poll(), 1);
    // Completed, and a new message in the same transaction.
    let tx = writer.unchecked_transaction().expect("transaction");
    message(
        &tx,
        "msg_05",
        "ses_A",
        &assistant(40, 8, 0, (900, 30), 0.004, true),
    );
    message(
        &tx,
        "msg_06",
        "ses_A",
        &assistant(1, 2, 0, (0, 0), 0.001, true),
    );
    tx.commit().expect("commit");
    assert_eq!(live.poll(), 2);
    // Another OpenCode process commits a row just below the greatest id read.
    message(
        &writer,
        "msg_055",
        "ses_A",
        &assistant(3, 1, 0, (0, 0), 0.0, true),
    );
    assert_eq!(live.poll(), 1);
    // A row rewritten after it completed is no longer read; nothing else changed.
    message(
        &writer,
        "msg_01",
        "ses_A",
        r#"{"role":"user","time":{"created":1767264000000}}"#,
    );
    assert_eq!(live.poll(), 0);
    let t = live.engine.snapshot(None).totals;
    // msg_02 + msg_05's last version + msg_06 + msg_055.
    assert_eq!(t.requests, 4);
    assert_eq!(
        (t.input, t.cache_read, t.cache_write()),
        (120 + 40 + 1 + 3, 12800 + 900, 200 + 30)
    );
    assert_eq!((t.output, t.reasoning), (320 + 8 + 2 + 1, 20));
    // Own costs 0.0123 + 0.004 + 0.001; msg_055 priced: 3 x 3e-6 + 1 x 1.5e-5.
    assert!((t.cost_usd - 0.017324).abs() < 1e-9, "cost {}", t.cost_usd);
    assert_eq!(
        tools(&live.engine, "opencode:/home/u/proj"),
        vec![("edit".into(), 1)]
    );
    let h = live.health();
    assert_eq!((h.lines, h.events, h.lines_without_usage), (6, 6, 0));
}

#[test]
fn the_writer_never_waits_on_the_poller() {
    let dir = tempfile::tempdir().expect("dir");
    drop(opencode_db(dir.path()));
    let mut live = Polled::new(dir.path());
    let path = dir.path().join("opencode.db");
    const MESSAGES: u64 = 150;
    let writer = std::thread::spawn(move || {
        let conn = Connection::open(path).expect("open");
        // Any lock held by the reader would fail a write at once (SQLITE_BUSY).
        conn.busy_timeout(std::time::Duration::ZERO)
            .expect("no waiting");
        for n in 1..=MESSAGES {
            let id = format!("msg_{n:04}");
            let streaming = assistant(n, 0, 0, (0, 0), 0.0, false);
            let done = assistant(n, n, 0, (0, 0), 0.0, true);
            for data in [streaming, done] {
                conn.execute(
                    "INSERT INTO message (id, session_id, time_created, time_updated, data)
                     VALUES (?1, 'ses_A', 1, 1, ?2)
                     ON CONFLICT (id) DO UPDATE SET data = excluded.data",
                    params![id, data],
                )
                .unwrap_or_else(|e| panic!("the writer had to wait: {e}"));
            }
        }
    });
    while !writer.is_finished() {
        live.poll();
    }
    writer.join().expect("the writer never waited");
    live.poll();
    let t = live.engine.snapshot(None).totals;
    let sum = MESSAGES * (MESSAGES + 1) / 2;
    assert_eq!((t.requests, t.input, t.output), (MESSAGES, sum, sum));
    assert_eq!(live.health().last_error, None);
}

const GOOSE_SESSIONS: &str = "
    PRAGMA journal_mode = WAL;
    CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT, working_dir TEXT NOT NULL,
        session_type TEXT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
        updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, extension_data TEXT,
        total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER,
        accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER,
        accumulated_output_tokens INTEGER, schedule_id TEXT, provider_name TEXT,
        model_config_json TEXT);
    CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT,
        session_id TEXT NOT NULL, role TEXT NOT NULL, content_json TEXT NOT NULL,
        created_timestamp INTEGER NOT NULL, timestamp TIMESTAMP, tokens INTEGER,
        metadata_json TEXT);";

const GOOSE_LEDGER: &str = "
    CREATE TABLE usage_ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL,
        created_timestamp INTEGER NOT NULL, model TEXT, input_tokens INTEGER,
        output_tokens INTEGER, total_tokens INTEGER, cache_read_tokens INTEGER,
        cache_write_tokens INTEGER, cost REAL, cost_source TEXT, is_compaction INTEGER);";

fn goose_db(dir: &Path, ledger: bool) -> Connection {
    let conn = Connection::open(dir.join("sessions.db")).expect("create the database");
    conn.execute_batch(GOOSE_SESSIONS).expect("schema");
    if ledger {
        conn.execute_batch(GOOSE_LEDGER).expect("ledger");
    }
    conn.busy_timeout(std::time::Duration::ZERO)
        .expect("no waiting");
    conn
}

fn goose_session(conn: &Connection, updated: &str, input: u64, output: u64) {
    conn.execute(
        "INSERT INTO sessions (id, working_dir, session_type, created_at, updated_at,
            input_tokens, output_tokens, total_tokens, accumulated_input_tokens,
            accumulated_output_tokens, accumulated_total_tokens, provider_name, model_config_json)
         VALUES ('20260426_8', '/home/u/proj', 'user', '2025-12-31 09:15:02', ?1, 9800, 420, 10220,
            ?2, ?3, ?2 + ?3, 'anthropic', '{\"model_name\":\"claude-sonnet-4-5\",\"context_limit\":200000}')
         ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at,
            accumulated_input_tokens = excluded.accumulated_input_tokens,
            accumulated_output_tokens = excluded.accumulated_output_tokens,
            accumulated_total_tokens = excluded.accumulated_total_tokens",
        params![updated, input, output],
    )
    .expect("session");
}

#[test]
fn goose_session_snapshots_replace_each_other_and_windows_see_the_growth() {
    let dir = tempfile::tempdir().expect("dir");
    let writer = goose_db(dir.path(), false);
    // Yesterday's snapshot, then today's: the session grew by 10,000 in, 500 out.
    goose_session(&writer, "2025-12-31 18:00:00", 154_000, 6_100);
    let mut live = Polled::new(dir.path());
    assert_eq!(live.events.len(), 1);
    goose_session(&writer, "2026-01-01 11:58:00", 164_000, 6_600);
    assert_eq!(live.poll(), 1);
    assert_eq!(live.poll(), 0, "nothing committed since");
    let s = live.engine.snapshot(None);
    assert_eq!(
        (s.totals.input, s.totals.output),
        (164_000, 6_600),
        "the last snapshot, not a sum"
    );
    let row = &s.identities[0];
    assert_eq!(row.name, "goose:/home/u/proj");
    assert_eq!(row.format, Format::Goose);
    assert!(row.labels.iter().any(|l| l == "goose"));
    assert_eq!(
        (row.today.input, row.today.output),
        (10_000, 500),
        "today sees the growth"
    );
    // $3/M in, $15/M out on the whole session.
    assert!(
        (s.totals.cost_usd - (0.492 + 0.099)).abs() < 1e-9,
        "{}",
        s.totals.cost_usd
    );
}

#[test]
fn two_goose_databases_with_the_same_session_id_count_both_sessions() {
    // Goose names sessions by day and number: two machines' databases share names.
    let (a, b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    goose_session(
        &goose_db(a.path(), false),
        "2026-01-01 10:00:00",
        154_000,
        6_100,
    );
    goose_session(
        &goose_db(b.path(), false),
        "2026-01-01 11:00:00",
        100_000,
        4_000,
    );
    let (a, b) = (a.path().join("sessions.db"), b.path().join("sessions.db"));
    let (_, s, _) = read_paths(&[&a, &b]);
    assert_eq!(
        (s.totals.input, s.totals.output, s.totals.requests),
        (254_000, 10_100, 2),
        "each database's session counts whole"
    );
}

#[test]
fn goose_ledger_rows_are_requests_and_the_session_totals_are_not_added() {
    let dir = tempfile::tempdir().expect("dir");
    let writer = goose_db(dir.path(), true);
    goose_session(&writer, "2026-01-01 11:00:00", 154_000, 6_100);
    let ledger = |at: i64, input: u64, output: u64, cost: f64| {
        writer
            .execute(
                "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens,
                    output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, cost,
                    cost_source, is_compaction)
                 VALUES ('20260426_8', ?1, 'claude-sonnet-4-5', ?2, ?3, ?2 + ?3, 8000, 300, ?4,
                    'provider_reported', 0)",
                params![at / 1000, input, output, cost],
            )
            .expect("ledger row");
    };
    ledger(T0, 9_800, 420, 0.021);
    ledger(T0 + MIN, 10_300, 100, 0.0);
    let mut live = Polled::new(dir.path());
    assert_eq!(live.events.len(), 2);
    ledger(T0 + 2 * MIN, 8_500, 50, 0.002);
    assert_eq!(live.poll(), 1);
    assert_eq!(live.poll(), 0);
    let t = live.engine.snapshot(None).totals;
    // Input includes the cache (8,000 read, 300 written per row): 1,500 + 2,000 + 200.
    assert_eq!(t.requests, 3);
    assert_eq!(
        (t.input, t.cache_read, t.cache_write(), t.output),
        (3_700, 24_000, 900, 570)
    );
    // 0.021 + 0.002 own; the second priced: 2,000 x 3e-6 + 8,000 x 3e-7 + 300 x 3.75e-6
    // + 100 x 1.5e-5 = 0.006 + 0.0024 + 0.001125 + 0.0015.
    assert!(
        (t.cost_usd - (0.023 + 0.011025)).abs() < 1e-9,
        "cost {}",
        t.cost_usd
    );
    let h = live.health();
    assert_eq!((h.lines, h.events, h.files), (3, 3, 1));
}

/// A database upgraded to the ledger keeps its older sessions, which have no ledger rows:
/// they count from their running totals; a session with ledger rows counts from those only.
#[test]
fn goose_sessions_older_than_the_ledger_count_from_their_totals() {
    let dir = tempfile::tempdir().expect("dir");
    let writer = goose_db(dir.path(), true);
    goose_session(&writer, "2026-01-01 11:00:00", 154_000, 6_100);
    writer
        .execute(
            "INSERT INTO sessions (id, working_dir, session_type, created_at, updated_at,
                accumulated_input_tokens, accumulated_output_tokens, accumulated_total_tokens,
                provider_name, model_config_json)
             VALUES ('20251201_1', '/home/u/old', 'user', '2025-12-01 09:00:00',
                '2025-12-01 10:00:00', 5000, 700, 5700, 'anthropic',
                '{\"model_name\":\"claude-sonnet-4-5\"}')",
            [],
        )
        .expect("old session");
    writer
        .execute(
            "INSERT INTO usage_ledger (session_id, created_timestamp, model, input_tokens,
                output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, cost,
                cost_source, is_compaction)
             VALUES ('20260426_8', ?1, 'claude-sonnet-4-5', 9800, 420, 10220, 8000, 300, 0.021,
                'provider_reported', 0)",
            [T0 / 1000],
        )
        .expect("ledger row");
    let live = Polled::new(dir.path());
    let s = live.engine.snapshot(None);
    assert_eq!(s.totals.requests, 2, "the ledger row and the old session");
    assert_eq!(
        (s.totals.input, s.totals.output),
        (1_500 + 5_000, 420 + 700),
        "the ledger row and the old session's totals, not the new session's"
    );
    assert_eq!(names(&s), ["goose:/home/u/old", "goose:/home/u/proj"]);
}

#[test]
fn a_file_that_is_no_agent_database_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .and_then(|c| c.execute_batch("CREATE TABLE t (x INTEGER);"))
        .expect("create");
    let (_, s, h) = report(&path);
    assert_eq!(s.totals.requests, 0);
    let error = h.last_error.expect("an error");
    assert!(error.contains("neither OpenCode's tables"), "{error}");
}

/// `sessions.db` is a common name: a folder of logs that holds one of some other program
/// stays a folder of logs, its lines read.
#[test]
fn a_folder_of_logs_beside_an_unrelated_database_is_read_as_logs() {
    let dir = tempfile::tempdir().expect("dir");
    Connection::open(dir.path().join("sessions.db"))
        .and_then(|c| c.execute_batch("CREATE TABLE t (x INTEGER);"))
        .expect("create");
    let line = r#"{"tokentop":1,"ts":"2026-01-01T11:00:00Z","identity":"svc","model":"gpt-4o-mini","tokens":{"input":100,"output":10}}"#;
    std::fs::write(dir.path().join("usage.jsonl"), format!("{line}\n")).expect("write");
    let (_, s, h) = report(dir.path());
    assert_eq!((s.totals.requests, s.totals.input), (1, 100));
    assert_eq!(h.last_error, None);
}

#[test]
fn default_places_find_the_databases() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join(".local/share");
    std::fs::create_dir_all(data.join("opencode")).expect("folders");
    opencode_folder(&data.join("opencode"));
    std::fs::create_dir_all(data.join("goose/sessions")).expect("folders");
    goose_session(
        &goose_db(&data.join("goose/sessions"), false),
        "2026-01-01 11:00:00",
        10,
        1,
    );
    let out = Command::cargo_bin("tokentop")
        .expect("binary")
        .env("HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env_remove("XDG_DATA_HOME")
        .env_remove("OPENCODE_DB")
        .env_remove("GOOSE_PATH_ROOT")
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .args(["report", "--json"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    // OpenCode's three requests and Goose's one snapshot.
    assert_eq!(r["totals"]["requests"], 4);
    assert_eq!(r["sources"].as_array().map(Vec::len), Some(2));
}
