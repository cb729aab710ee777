//! Goose's `sessions.db`: the per-request `usage_ledger` when the schema has one (new rows
//! past the greatest id read), else the `sessions` rows, whose running totals are
//! snapshots (read again when `updated_at` moves; the parser turns each into its growth).
//! Never both: the ledger holds what the totals sum.

use std::collections::HashMap;

use rusqlite::Connection;

use super::{BATCH_ROWS, Out, columns, row_json};
use crate::event::DedupKey;
use crate::parse::goose::{State, ledger};

/// The `sessions` columns read (of those the schema has): not `extension_data` or the
/// recipe, which can be large.
const SESSION_COLUMNS: [&str; 17] = [
    "id",
    "working_dir",
    "created_at",
    "updated_at",
    "provider_name",
    "model_config_json",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "accumulated_input_tokens",
    "accumulated_output_tokens",
    "accumulated_total_tokens",
    "accumulated_cache_read_tokens",
    "accumulated_cache_write_tokens",
    "accumulated_cost",
    "session_type",
    "parent_session_id",
];

pub struct Reader {
    state: State,
    /// The greatest ledger id read.
    last_ledger: Option<i64>,
    /// The latest `updated_at` read: sessions updated since (that second included) are
    /// read again.
    updated: Option<String>,
    /// A hash of each session row as last read: an unchanged row is not counted again.
    versions: HashMap<String, DedupKey>,
}

impl Reader {
    /// The reader of the database at `path`.
    pub(super) fn new(path: &std::path::Path) -> Self {
        Reader {
            state: State::in_database(&path.to_string_lossy()),
            last_ledger: None,
            updated: None,
            versions: HashMap::new(),
        }
    }

    pub(super) fn poll(&mut self, conn: &Connection, out: &mut Out) -> rusqlite::Result<()> {
        let ledger_table: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'usage_ledger'",
            [],
            |r| r.get(0),
        )?;
        // Sessions older than the ledger have only their running totals: they count from
        // those, the others from their ledger rows, never both.
        if ledger_table > 0 {
            self.poll_ledger(conn, out)?;
            self.poll_sessions(conn, out, true)
        } else {
            self.poll_sessions(conn, out, false)
        }
    }

    fn poll_ledger(&mut self, conn: &Connection, out: &mut Out) -> rusqlite::Result<()> {
        loop {
            let rows = {
                let tx = conn.unchecked_transaction()?;
                let rows = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT l.*, s.working_dir, s.provider_name FROM usage_ledger l \
                         LEFT JOIN sessions s ON s.id = l.session_id \
                         WHERE l.id > ?1 ORDER BY l.id LIMIT ?2",
                    )?;
                    let names: Vec<String> =
                        stmt.column_names().iter().map(|n| n.to_string()).collect();
                    let after = self.last_ledger.unwrap_or(i64::MIN);
                    let mut found = stmt.query(rusqlite::params![after, BATCH_ROWS as i64])?;
                    let mut rows = Vec::new();
                    while let Some(r) = found.next()? {
                        rows.push((r.get::<_, i64>("id")?, row_json(r, &names)?));
                    }
                    rows
                };
                tx.finish()?;
                rows
            };
            let full = rows.len() >= BATCH_ROWS;
            for (id, row) in rows {
                self.last_ledger = Some(id);
                let parsed = ledger(&row, out.read_time);
                out.take(&row, parsed);
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Reads the sessions updated since the last poll; `without_ledger`: only those with
    /// no ledger row.
    fn poll_sessions(
        &mut self,
        conn: &Connection,
        out: &mut Out,
        without_ledger: bool,
    ) -> rusqlite::Result<()> {
        let names = columns(conn, "sessions", &SESSION_COLUMNS)?;
        let has = |c: &str| names.iter().any(|n| n == c);
        if !has("id") {
            return Err(rusqlite::Error::InvalidColumnName("sessions.id".into()));
        }
        let (since, order) = if has("updated_at") {
            ("(updated_at IS NULL OR updated_at >= ?1)", "updated_at, id")
        } else {
            ("?1 IS NOT NULL", "id")
        };
        let unledgered = if without_ledger {
            " AND NOT EXISTS (SELECT 1 FROM usage_ledger u WHERE u.session_id = sessions.id)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {} FROM sessions WHERE {since}{unledgered} ORDER BY {order}",
            names.join(", ")
        );
        let rows = {
            let tx = conn.unchecked_transaction()?;
            let rows = {
                let mut stmt = tx.prepare_cached(&sql)?;
                let from = self.updated.clone().unwrap_or_default();
                let mut found = stmt.query([from])?;
                let mut rows = Vec::new();
                while let Some(r) = found.next()? {
                    let id: String = r
                        .get::<_, Option<String>>("id")
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    let updated: Option<String> = if has("updated_at") {
                        r.get::<_, Option<String>>("updated_at").ok().flatten()
                    } else {
                        None
                    };
                    rows.push((id, updated, row_json(r, &names)?));
                }
                rows
            };
            tx.finish()?;
            rows
        };
        for (id, updated, row) in rows {
            if let Some(updated) = updated
                && self.updated.as_ref().is_none_or(|u| updated > *u)
            {
                self.updated = Some(updated);
            }
            let version = DedupKey::from(row.as_str());
            if self.versions.insert(id, version) == Some(version) {
                continue;
            }
            let parsed = self.state.session(&row, out.read_time);
            out.take(&row, parsed);
        }
        Ok(())
    }
}
