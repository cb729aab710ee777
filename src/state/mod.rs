//! The embedded state store: what was fetched survives a restart, so a restart during an
//! incident neither waits on backfill nor burns rate limits. IO, not core: the engine never
//! sees it; the monitor saves each provider update, each identity's first call of a tool
//! and first exposure of a secret, and each finding acknowledged, and loads them back at
//! start.
//!
//! One SQLite file, `$XDG_STATE_HOME/tokentop/state.db` (else `~/.local/state/tokentop/`),
//! folder 0700, file 0600, WAL, `PRAGMA user_version` = [`SCHEMA_VERSION`]. Schema 1:
//! - `provider_slot(provider, family, width, start, read_at)`: every width-aligned slot a
//!   provider poll asked for and when it was read (an empty slot is known empty).
//! - `provider_bucket(provider, family, width, start, end, report, api_key_id, project,
//!   user, model, service_tier, input, cache_read, cache_write_5m, cache_write_1h, output,
//!   reasoning, requests, billed_usd)`: the buckets those polls brought, in arrival order.
//!
//! Schema 2 adds (a schema 1 file is upgraded in place):
//! - `fingerprint_key(id, key)`: the one random 32-byte key secrets are fingerprinted
//!   under, so a secret seen again after a restart counts once (the file is 0600).
//! - `known_tool(identity, tool, first_seen)`: the tools each identity has called, so a
//!   restart never raises `new_tool` again.
//! - `seen_secret(identity, fingerprint, secret_type, first_seen)`: the secrets each
//!   identity exposed, by fingerprint (32 hex digits, never the value), so that a restart
//!   never raises `secret` again.
//! - `acknowledged(kind, subject, at)`: findings a person acknowledged, and when: an
//!   episode of the same finding that starts later is not acknowledged.
//!
//! Names are the ones the APIs use (`openai`, `usage`, `1h`, `claude_code`); times are UTC
//! milliseconds. No provider key is ever stored: `api_key_id` is the provider's name for a key.
//! Nothing here is fatal: a store that cannot be opened or written is a warning, and the
//! monitor goes on as if it had none. Later issues add their tables here.

mod acknowledged;
mod fingerprint_key;
mod known_tools;
mod provider;
mod seen_secrets;
#[cfg(test)]
mod tests;

pub use fingerprint_key::{random_key, scanner_for_monitor, scanner_for_run};

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

/// The schema this version writes and reads; a file with a higher one came from a newer
/// tokentop and is left alone.
pub const SCHEMA_VERSION: i64 = 2;

/// How long to wait for another writer (another tokentop) before giving up: long enough for
/// its transaction to end, short enough that start-up never hangs on it.
const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// WAL files are cut back to this size after a checkpoint, so the folder stays small.
const WAL_LIMIT_BYTES: i64 = 1 << 20;

const SCHEMA: &str = "
CREATE TABLE provider_slot (
    provider TEXT NOT NULL,
    family TEXT NOT NULL,
    width TEXT NOT NULL,
    start INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (provider, family, width, start)
) WITHOUT ROWID;
CREATE TABLE provider_bucket (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    family TEXT NOT NULL,
    width TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    report TEXT NOT NULL,
    api_key_id TEXT,
    project TEXT,
    user TEXT,
    model TEXT,
    service_tier TEXT,
    input INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write_5m INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    output INTEGER NOT NULL,
    reasoning INTEGER NOT NULL,
    requests INTEGER,
    billed_usd REAL
);
CREATE INDEX provider_bucket_series ON provider_bucket (provider, family, width, start);
";

/// What schema 2 adds to schema 1.
const SCHEMA_2: &str = "
CREATE TABLE fingerprint_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB NOT NULL
);
CREATE TABLE known_tool (
    identity TEXT NOT NULL,
    tool TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (identity, tool)
) WITHOUT ROWID;
CREATE TABLE seen_secret (
    identity TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    secret_type TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    PRIMARY KEY (identity, fingerprint)
) WITHOUT ROWID;
CREATE TABLE acknowledged (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (kind, subject)
) WITHOUT ROWID;
";

/// Why the store could not be opened, read or written: each says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "state store {} is not a database ({detail}): move it aside or run with --no-state",
        .path.display()
    )]
    NotADatabase { path: PathBuf, detail: String },
    #[error(
        "state store {} is damaged ({detail}): move it aside or run with --no-state",
        .path.display()
    )]
    Damaged { path: PathBuf, detail: String },
    #[error(
        "state store {} is locked by another program, likely another tokentop: \
         close it or run with --no-state",
        .path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "state store {} has schema version {found}, which this tokentop (schema {known}) \
         cannot read: it was written by a newer tokentop; upgrade, move it aside, or run \
         with --no-state",
        .path.display()
    )]
    UnknownSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "cannot create state store {}: {source}: check that folder's owner and permissions, \
         or run with --no-state",
        .path.display()
    )]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "state store {} failed ({detail}): run with --no-state if this persists",
        .path.display()
    )]
    Sqlite { path: PathBuf, detail: String },
}

/// One open state file.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// `$XDG_STATE_HOME/tokentop/state.db` when that variable is an absolute path (as the
    /// XDG spec asks), else `$HOME/.local/state/tokentop/state.db`; `None` without either.
    pub fn default_path() -> Option<PathBuf> {
        state_path(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
    }

    /// Opens (creating folder and file when missing) and brings the schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        create_private(path).map_err(|source| StoreError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(path).map_err(|e| classify(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.prepare().map_err(|e| match e {
            Prepare::Sql(e) => classify(path, e),
            Prepare::Schema(found) => StoreError::UnknownSchema {
                path: path.to_path_buf(),
                found,
                known: SCHEMA_VERSION,
            },
            Prepare::Damaged(detail) => StoreError::Damaged {
                path: path.to_path_buf(),
                detail,
            },
        })?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn prepare(&mut self) -> Result<(), Prepare> {
        let conn = &mut self.conn;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Takes effect only in a new, empty file: freed pages can then be handed back.
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        conn.pragma_update_and_check(None, "journal_size_limit", WAL_LIMIT_BYTES, |r| {
            r.get::<_, i64>(0)
        })?;
        // With WAL, NORMAL loses at most the last commits on power loss, never the file.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let check: String = conn.pragma_query_value(None, "quick_check", |r| r.get(0))?;
        if check != "ok" {
            return Err(Prepare::Damaged(check));
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.execute_batch(SCHEMA_2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            1 => {
                tx.execute_batch(SCHEMA_2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            found => return Err(Prepare::Schema(found)),
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs `sql` once per row, `write` binding each, in one immediate transaction; nothing
    /// to write is no transaction at all.
    fn write_all<T>(
        &mut self,
        sql: &str,
        rows: &[T],
        mut write: impl FnMut(&mut rusqlite::CachedStatement, &T) -> rusqlite::Result<usize>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let written = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .and_then(|tx| {
                {
                    let mut statement = tx.prepare_cached(sql)?;
                    for row in rows {
                        write(&mut statement, row)?;
                    }
                }
                tx.commit()
            });
        written.map_err(|e| self.error(e))
    }

    fn error(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path, e)
    }
}

/// What stopped [`Store::prepare`].
enum Prepare {
    Sql(rusqlite::Error),
    Schema(i64),
    Damaged(String),
}

impl From<rusqlite::Error> for Prepare {
    fn from(e: rusqlite::Error) -> Self {
        Prepare::Sql(e)
    }
}

/// The store the monitor keeps, and what to tell the person when it keeps none although
/// they did not ask for that: off (`--no-state`, `--demo`) is silent, a failure is a warning.
pub fn open_for_monitor(no_state: bool, demo: bool) -> (Option<Store>, Option<String>) {
    let path = if no_state || demo {
        None
    } else {
        Some(Store::default_path())
    };
    open_at(path)
}

/// `None`: off. `Some(None)`: on, but no folder to keep it in.
fn open_at(path: Option<Option<PathBuf>>) -> (Option<Store>, Option<String>) {
    match path {
        None => (None, None),
        Some(None) => (
            None,
            Some(
                "no state store: neither XDG_STATE_HOME nor HOME is set, so provider buckets \
                 are fetched again at every start; set one, or run with --no-state"
                    .to_string(),
            ),
        ),
        Some(Some(path)) => match Store::open(&path) {
            Ok(store) => (Some(store), None),
            Err(e) => (None, Some(e.to_string())),
        },
    }
}

/// The XDG rule, apart from the environment so it can be tested.
fn state_path(
    xdg_state_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let xdg = xdg_state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        home.filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".local").join("state"))
    })?;
    Some(base.join("tokentop").join("state.db"))
}

/// Creates missing folders as 0700 and a missing file as 0600: the ledger says who spent
/// what, which is nobody else's business. Existing ones keep the modes they have.
fn create_private(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)?;
    Ok(())
}

/// An SQLite failure as what it means to the person running tokentop.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    if let rusqlite::Error::FromSqlConversionFailure(..)
    | rusqlite::Error::IntegralValueOutOfRange(..) = e
    {
        // A row this version cannot read back: a name it does not know, a negative count.
        return StoreError::Damaged {
            path,
            detail: e.to_string(),
        };
    }
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase {
            path,
            detail: e.to_string(),
        },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Damaged {
            path,
            detail: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        _ => StoreError::Sqlite {
            path,
            detail: e.to_string(),
        },
    }
}
