//! OpenCode's `opencode.db`: `message` rows (ids ascend with creation), the tool calls in
//! their `part` rows, and the legacy JSON tree that the migration to SQLite leaves behind.
//!
//! New rows are found past the ids read. A message is rewritten in place while it
//! streams, so every message read without `time.completed` stays watched: each poll reads
//! again from the oldest such id, and a row whose `data` changed is counted anew (the
//! engine replaces its earlier version by its key). A message left unfinished for
//! [`OPEN_FOR_MS`] (OpenCode stopped mid-answer) is let go, counted from its own creation
//! time when it is first read: one left unfinished long ago is not watched at all. The last [`RECENT_ROWS`] ids
//! are read again too: two OpenCode processes may commit their rows out of id order, and
//! a row that lands just below the greatest id read is still found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

use super::{BATCH_ROWS, Out};
use crate::event::{DedupKey, TimeMs, ToolCall};
use crate::parse::opencode::{MessageRow, State, tool_part};
use crate::parse::{MAX_LINE_BYTES, Parsed, RejectReason};

/// An unfinished message that has not changed for this long (since its creation, or
/// since a change was read) is no longer read again.
pub const OPEN_FOR_MS: TimeMs = 3_600_000;
/// The latest ids read that each poll reads again (unchanged rows are skipped unparsed).
pub const RECENT_ROWS: usize = 64;

const MESSAGES: &str = "SELECT m.id, m.session_id, m.time_created, m.data, s.directory \
     FROM message m LEFT JOIN session s ON s.id = m.session_id \
     WHERE m.id > ?1 OR (?2 AND m.id = ?1) ORDER BY m.id LIMIT ?3";
const PARTS: &str = "SELECT data FROM part WHERE message_id = ?1 ORDER BY id";

/// One row read, before parsing (the transaction is over by then).
struct Row {
    id: String,
    session_id: Option<String>,
    time_created: Option<TimeMs>,
    data: String,
    directory: Option<String>,
    tools: Vec<ToolCall>,
}

pub struct Reader {
    state: State,
    /// Messages read unfinished, and when they last changed: their own time (created)
    /// when first read, the read time of each change after.
    open: BTreeMap<String, TimeMs>,
    /// A hash of each row's `data` as last read, for the rows each poll reads again (and
    /// always the latest id read).
    versions: BTreeMap<String, DedupKey>,
    /// `storage/` beside the database, read once after the database's rows.
    legacy: Option<PathBuf>,
}

impl Reader {
    pub fn new(db: &Path) -> Self {
        Reader {
            state: State::default(),
            open: BTreeMap::new(),
            versions: BTreeMap::new(),
            legacy: db.parent().map(|d| d.join("storage")),
        }
    }

    pub(super) fn poll(&mut self, conn: &Connection, out: &mut Out) -> rusqlite::Result<()> {
        let now = out.read_time;
        self.open.retain(|_, changed| now - *changed < OPEN_FOR_MS);
        let (mut after, mut inclusive) = (self.floor().unwrap_or_default(), true);
        loop {
            let rows = batch(conn, &after, inclusive)?;
            let full = rows.len() >= BATCH_ROWS;
            for row in rows {
                after.clone_from(&row.id);
                self.take(row, out);
            }
            // Only what the next poll reads again is kept (a backfill holds one batch).
            if let Some(floor) = self.floor() {
                self.versions = self.versions.split_off(&floor);
            }
            inclusive = false;
            if !full {
                break;
            }
        }
        if let Some(root) = self.legacy.take() {
            read_legacy(conn, &root, &mut self.state, out)?;
        }
        Ok(())
    }

    /// The id each poll starts from: the oldest unfinished message's, or the oldest of the
    /// latest ids read.
    fn floor(&self) -> Option<String> {
        let mut ids = self.versions.keys();
        let recent = ids
            .clone()
            .rev()
            .nth(RECENT_ROWS - 1)
            .or_else(|| ids.next());
        [self.open.keys().next(), recent]
            .into_iter()
            .flatten()
            .min()
            .cloned()
    }

    fn take(&mut self, row: Row, out: &mut Out) {
        let version = DedupKey::from(row.data.as_str());
        let before = self.versions.insert(row.id.clone(), version);
        if before == Some(version) {
            return;
        }
        let message = MessageRow {
            id: &row.id,
            session_id: row.session_id.as_deref(),
            time_created: row.time_created,
            data: &row.data,
            directory: row.directory.as_deref(),
        };
        let parsed = self.state.message(&message, row.tools, out.read_time);
        // When the message last changed: now, if it was read before and changed since;
        // else its own time (read at start, it may have been left unfinished long ago).
        let changed = match &parsed {
            _ if before.is_some() || self.open.contains_key(&row.id) => out.read_time,
            Parsed::Event(e) if !e.flags.time_from_read => e.time.min(out.read_time),
            _ => out.read_time,
        };
        match out.take(&row.data, parsed) {
            Some(false) if out.read_time.saturating_sub(changed) < OPEN_FOR_MS => {
                self.open.insert(row.id, changed);
            }
            _ => {
                self.open.remove(&row.id);
            }
        }
    }
}

/// The next rows past `after` (and `after` itself if `inclusive`), with the tool calls of
/// assistant messages, in one read transaction.
fn batch(conn: &Connection, after: &str, inclusive: bool) -> rusqlite::Result<Vec<Row>> {
    let tx = conn.unchecked_transaction()?;
    let mut rows = Vec::new();
    {
        let mut messages = tx.prepare_cached(MESSAGES)?;
        let mut parts = tx.prepare_cached(PARTS)?;
        let mut found = messages.query(rusqlite::params![after, inclusive, BATCH_ROWS as i64])?;
        while let Some(r) = found.next()? {
            let id: String = r.get(0)?;
            let data: String = r.get::<_, Option<String>>(3)?.unwrap_or_default();
            let tools = if data.contains("\"assistant\"") {
                tool_calls(&mut parts, &id)?
            } else {
                Vec::new()
            };
            rows.push(Row {
                id,
                session_id: r.get(1)?,
                time_created: r.get::<_, Option<i64>>(2).ok().flatten(),
                data,
                directory: r.get(4)?,
                tools,
            });
        }
    }
    tx.finish()?;
    Ok(rows)
}

fn tool_calls(
    parts: &mut rusqlite::CachedStatement,
    message: &str,
) -> rusqlite::Result<Vec<ToolCall>> {
    let mut calls = Vec::new();
    let mut found = parts.query([message])?;
    while let Some(r) = found.next()? {
        let data: Option<String> = r.get(0).ok();
        if let Some(call) = data
            .as_deref()
            .filter(|d| d.contains("\"tool\""))
            .and_then(tool_part)
        {
            calls.push(call);
        }
    }
    Ok(calls)
}

/// The legacy `storage/message/<session>/<message>.json` files whose message the
/// database does not hold (a database row wins over its JSON copy), with the tool calls
/// of `storage/part/<message>/*.json`.
fn read_legacy(
    conn: &Connection,
    root: &Path,
    state: &mut State,
    out: &mut Out,
) -> rusqlite::Result<()> {
    let mut files: Vec<PathBuf> = subfolders(&root.join("message"))
        .iter()
        .flat_map(|session| json_files(session))
        .collect();
    files.sort();
    out.health.files += files.len();
    let mut known = conn.prepare_cached("SELECT 1 FROM message WHERE id = ?1")?;
    for file in files {
        let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let in_db = known.query_row([stem], |_| Ok(())).optional()?.is_some();
        let text = match std::fs::metadata(&file) {
            Ok(m) if m.len() > MAX_LINE_BYTES as u64 => {
                out.take("", Parsed::Rejected(RejectReason::TooLong));
                continue;
            }
            _ => std::fs::read_to_string(&file),
        };
        let Ok(text) = text else {
            out.take("", Parsed::Rejected(RejectReason::InvalidUtf8));
            continue;
        };
        if in_db {
            out.take(&text, Parsed::NoUsage);
            continue;
        }
        let tools = json_files(&root.join("part").join(stem))
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .filter_map(|t| tool_part(&t))
            .collect();
        let parsed = state.legacy(stem, &text, tools, out.read_time);
        out.take(&text, parsed);
    }
    Ok(())
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect()
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::health::SourceHealth;

    const NOON: TimeMs = 1_767_268_800_000;
    const MIN: TimeMs = 60_000;

    /// An assistant message still streaming (no `time.completed`), created at `created`.
    fn streaming(conn: &Connection, id: &str, created: TimeMs, output: u64) {
        let data = format!(
            r#"{{"role":"assistant","time":{{"created":{created}}},"modelID":"m","providerID":"p","tokens":{{"input":5,"output":{output},"reasoning":0,"cache":{{"read":0,"write":0}}}}}}"#
        );
        conn.execute(
            "INSERT INTO message (id, session_id, time_created, data) VALUES (?1, 's', ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            rusqlite::params![id, created, data],
        )
        .expect("message");
    }

    /// Polls at `now` (the injected clock); the messages the next poll reads again.
    fn poll(reader: &mut Reader, conn: &Connection, now: TimeMs) -> Vec<String> {
        let mut health = SourceHealth::default();
        let mut out = Out {
            read_time: now,
            health: &mut health,
            sink: &mut |_| {},
        };
        reader.poll(conn, &mut out).expect("poll");
        reader.open.keys().cloned().collect()
    }

    #[test]
    fn an_unfinished_message_is_watched_for_an_hour_from_its_own_time() {
        let dir = tempfile::tempdir().expect("dir");
        let conn = Connection::open_in_memory().expect("database");
        conn.execute_batch(
            "CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, data TEXT);
             CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, data TEXT);",
        )
        .expect("schema");
        // Left unfinished yesterday (OpenCode stopped mid-answer), and one streaming now.
        streaming(&conn, "msg_01", NOON - 24 * 60 * MIN, 3);
        streaming(&conn, "msg_02", NOON - 2 * MIN, 3);
        let mut reader = Reader::new(&dir.path().join("opencode.db"));
        assert_eq!(poll(&mut reader, &conn, NOON), ["msg_02"]);
        // Still streaming 50 minutes on: a change keeps it watched from when it was seen.
        streaming(&conn, "msg_02", NOON - 2 * MIN, 40);
        assert_eq!(poll(&mut reader, &conn, NOON + 50 * MIN), ["msg_02"]);
        assert_eq!(poll(&mut reader, &conn, NOON + 109 * MIN), ["msg_02"]);
        assert!(poll(&mut reader, &conn, NOON + 111 * MIN).is_empty());
    }
}
