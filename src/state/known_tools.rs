//! `known_tool`: the tools each identity has called, with the event time of its first
//! call, so that a restart never raises `new_tool` again for one of them.

use rusqlite::params;

use super::{Store, StoreError};
use crate::engine::known_tools::KnownTool;

/// A tool seen again earlier than kept (history read out of order) moves its first call.
const UPSERT: &str = "INSERT INTO known_tool (identity, tool, first_seen) VALUES (?1, ?2, ?3) \
    ON CONFLICT (identity, tool) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)";

impl Store {
    /// Every tool kept, by identity and then by first call.
    pub fn known_tools(&self) -> Result<Vec<KnownTool>, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(
                "SELECT identity, tool, first_seen FROM known_tool \
                 ORDER BY identity, first_seen, tool",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(KnownTool {
                    identity: r.get(0)?,
                    tool: r.get(1)?,
                    first_seen: r.get(2)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        };
        read().map_err(|e| self.error(e))
    }

    /// Keeps first calls in one transaction; one already kept keeps the earlier time.
    pub fn keep_tools(&mut self, tools: &[KnownTool]) -> Result<(), StoreError> {
        self.write_all(UPSERT, tools, |upsert, t| {
            upsert.execute(params![t.identity, t.tool, t.first_seen])
        })
    }
}
