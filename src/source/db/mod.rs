//! Agents that keep their usage in SQLite (OpenCode's `opencode.db`, Goose's
//! `sessions.db`): the database is opened read-only and polled while the agent writes it.
//!
//! Nothing here may make the agent wait. Each poll first asks `PRAGMA data_version` (no
//! lock) whether anything was committed since the last one; only then are rows read, in
//! batches of [`BATCH_ROWS`], each batch in its own short read transaction that ends before
//! its rows are parsed. No read snapshot outlives a batch, so the writer's checkpoints are
//! never held back and its commits never wait on tokentop (in rollback-journal mode, a
//! shared lock lasts as long as one batch). Rows become events in [`crate::parse`].

mod goose;
mod opencode;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::discover::SourceSpec;
use super::health::SourceHealth;
use crate::event::{Event, TimeMs};
use crate::parse::Parsed;
use crate::parse::plausible::vet;

/// Rows read in one read transaction at most.
pub const BATCH_ROWS: usize = 512;
/// How long a read waits for a lock the writer holds (only while the writer recovers its
/// log after a crash; readers of a WAL database otherwise never wait).
const BUSY_WAIT: Duration = Duration::from_millis(200);
/// The files a folder is looked into for, in order: OpenCode's, then Goose's.
const STORE_NAMES: [&str; 2] = ["opencode.db", "sessions.db"];

/// Which agent's schema a database holds, told by its tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    OpenCode,
    Goose,
}

/// The database a path argument names: a file ending in `.db`, or a folder holding
/// `opencode.db` (else the first `opencode-<channel>.db`) or `sessions.db` with an
/// agent's tables. A folder whose database is something else (`sessions.db` is a common
/// name) stays a folder of logs.
pub fn locate(spec: &SourceSpec) -> Option<PathBuf> {
    let SourceSpec::Path(path) = spec else {
        return None;
    };
    let found = candidate(path)?;
    (!path.is_dir() || holds_agent_tables(&found)).then_some(found)
}

/// Whether the database at `path` opens read-only and holds OpenCode's or Goose's tables.
fn holds_agent_tables(path: &Path) -> bool {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(path, flags).is_ok_and(|conn| kind(&conn).is_ok())
}

fn candidate(path: &Path) -> Option<PathBuf> {
    if !path.is_dir() {
        return path
            .extension()
            .is_some_and(|e| e == "db")
            .then(|| path.to_path_buf());
    }
    if let Some(found) = STORE_NAMES
        .iter()
        .map(|n| path.join(n))
        .find(|p| p.is_file())
    {
        return Some(found);
    }
    let mut channels: Vec<PathBuf> = std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("opencode-") && n.ends_with(".db"))
        })
        .collect();
    channels.sort();
    channels.into_iter().next()
}

/// Where OpenCode and Goose keep their databases by default, for these environment
/// values: OpenCode's data folder (`OPENCODE_DB` names the file instead, relative to
/// that folder unless absolute) and Goose's sessions folder (`GOOSE_PATH_ROOT` moves it).
pub fn default_locations(
    home: Option<&Path>,
    xdg_data_home: Option<&str>,
    opencode_db: Option<&str>,
    goose_root: Option<&str>,
) -> Vec<PathBuf> {
    let data = xdg_data_home
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".local/share")));
    let mut places = Vec::new();
    match (opencode_db.filter(|d| !d.is_empty()), &data) {
        (Some(db), _) if Path::new(db).is_absolute() => places.push(PathBuf::from(db)),
        (Some(db), Some(data)) => places.push(data.join("opencode").join(db)),
        (_, Some(data)) => places.push(data.join("opencode")),
        (_, None) => {}
    }
    match (goose_root.filter(|r| !r.is_empty()), &data) {
        (Some(root), _) => places.push(Path::new(root).join("data/sessions")),
        (None, Some(data)) => places.push(data.join("goose/sessions")),
        (None, None) => {}
    }
    places
}

/// One agent database, polled.
pub struct Database {
    path: PathBuf,
    conn: Option<Connection>,
    /// `PRAGMA data_version` at the last read: unchanged means nothing was committed.
    version: Option<i64>,
    reader: Option<Reader>,
}

enum Reader {
    OpenCode(opencode::Reader),
    Goose(goose::Reader),
}

impl Database {
    pub fn new(path: PathBuf) -> Self {
        Database {
            path,
            conn: None,
            version: None,
            reader: None,
        }
    }

    /// The folder whose changes wake the reader (the database's own: its WAL lives there).
    pub fn folder(&self) -> Option<PathBuf> {
        self.path
            .parent()
            .filter(|d| d.is_dir())
            .map(Path::to_path_buf)
    }

    /// Reads what was committed since the last poll, handing each event to `sink` and
    /// counting every row in `health`. A database that cannot be read is retried on the
    /// next poll, from where reading stopped.
    pub fn poll(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        match self.read(read_time, health, sink) {
            Ok(()) => health.last_error = None,
            Err(e) => {
                health.last_error = Some(format!(
                    "{}: {e}; check that it is an OpenCode or Goose database tokentop may read",
                    self.path.display()
                ));
                // Opened again next time (the file may have been replaced).
                self.conn = None;
                self.version = None;
            }
        }
    }

    fn read(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) -> Result<(), Error> {
        if self.conn.is_none() {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(&self.path, flags)?;
            conn.busy_timeout(BUSY_WAIT)?;
            if self.reader.is_none() {
                self.reader = Some(match kind(&conn)? {
                    Kind::OpenCode => Reader::OpenCode(opencode::Reader::new(&self.path)),
                    Kind::Goose => Reader::Goose(goose::Reader::new(&self.path)),
                });
            }
            self.conn = Some(conn);
            health.files = health.files.max(1);
        }
        let (Some(conn), Some(reader)) = (&self.conn, &mut self.reader) else {
            return Ok(());
        };
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if self.version == Some(version) {
            return Ok(());
        }
        let mut out = Out {
            read_time,
            health,
            sink,
        };
        match reader {
            Reader::OpenCode(r) => r.poll(conn, &mut out)?,
            Reader::Goose(r) => r.poll(conn, &mut out)?,
        }
        self.version = Some(version);
        Ok(())
    }
}

/// Why a database could not be read.
#[derive(Debug, thiserror::Error)]
enum Error {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("it holds neither OpenCode's tables (message, part) nor Goose's (sessions)")]
    UnknownSchema,
}

/// Which agent's tables the database holds.
fn kind(conn: &Connection) -> Result<Kind, Error> {
    let has = |table: &str| -> rusqlite::Result<bool> {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
    };
    if has("message")? && has("part")? {
        Ok(Kind::OpenCode)
    } else if has("sessions")? {
        Ok(Kind::Goose)
    } else {
        Err(Error::UnknownSchema)
    }
}

/// Where the rows of one poll go: counted in the source's health, events to the sink.
struct Out<'a> {
    read_time: TimeMs,
    health: &'a mut SourceHealth,
    sink: &'a mut dyn FnMut(Event),
}

impl Out<'_> {
    /// Counts one record (`raw`: its text, for a rejection's example) and passes its
    /// event on, if it is one that counts; returns it for the reader's bookkeeping.
    fn take(&mut self, raw: &str, parsed: Parsed) -> Option<bool> {
        let parsed = vet(parsed, self.read_time);
        self.health.bytes += raw.len() as u64;
        self.health.count(raw.as_bytes(), &parsed);
        match parsed {
            Parsed::Event(event) => {
                let done = event.flags.final_copy;
                (self.sink)(*event);
                Some(done)
            }
            _ => None,
        }
    }
}

/// A row as a JSON object of its columns (blobs are left out as `null`).
fn row_json(row: &rusqlite::Row, names: &[String]) -> rusqlite::Result<String> {
    use serde_json::Value;
    let mut map = serde_json::Map::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let value = match row.get_ref(i)? {
            ValueRef::Null | ValueRef::Blob(_) => Value::Null,
            ValueRef::Integer(n) => Value::from(n),
            ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        };
        map.insert(name.clone(), value);
    }
    Ok(Value::Object(map).to_string())
}

/// The columns of `table` that exist, of those wanted (older schemas lack some).
fn columns(conn: &Connection, table: &str, wanted: &[&str]) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("PRAGMA table_info({table})"))?;
    let present: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(wanted
        .iter()
        .filter(|w| present.iter().any(|p| p == *w))
        .map(|w| w.to_string())
        .collect())
}

#[cfg(test)]
mod tests;
