//! `acknowledged`: the findings a person acknowledged, by kind (`policy`, `new_tool`,
//! `secret`, `unattributed`) and subject, which stay the same across restarts while alert
//! ids do not. Taking an acknowledgement back deletes its row.

use rusqlite::params;

use super::{Store, StoreError};
use crate::event::TimeMs;

impl Store {
    /// Every acknowledged finding as (kind, subject, when), oldest acknowledgement first.
    pub fn acknowledged(&self) -> Result<Vec<(String, String, TimeMs)>, StoreError> {
        let read = || {
            let mut stmt = self
                .conn
                .prepare("SELECT kind, subject, at FROM acknowledged ORDER BY at, kind, subject")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<Vec<_>, _>>()
        };
        read().map_err(|e| self.error(e))
    }

    /// Keeps that the finding `kind`/`subject` was acknowledged at `at` (again: the latest).
    pub fn acknowledge(&mut self, kind: &str, subject: &str, at: TimeMs) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO acknowledged (kind, subject, at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (kind, subject) DO UPDATE SET at = excluded.at",
                params![kind, subject, at],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }

    /// Forgets that the finding was acknowledged.
    pub fn take_back(&mut self, kind: &str, subject: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM acknowledged WHERE kind = ?1 AND subject = ?2",
                params![kind, subject],
            )
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
