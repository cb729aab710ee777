//! `seen_secret`: the secrets each identity exposed, by keyed fingerprint (never the
//! value), with their type and the event time of the first sighting, so that a restart
//! never raises `secret` again for one of them.

use rusqlite::params;
use rusqlite::types::Type;

use super::{Store, StoreError};
use crate::engine::exposures::SeenSecret;
use crate::secrets::Fingerprint;

/// A secret seen again earlier than kept (history read out of order) moves its first
/// sighting.
const UPSERT: &str = "INSERT INTO seen_secret (identity, fingerprint, secret_type, first_seen) \
    VALUES (?1, ?2, ?3, ?4) ON CONFLICT (identity, fingerprint) \
    DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)";

impl Store {
    /// Every secret kept, by identity and then by first sighting.
    pub fn seen_secrets(&self) -> Result<Vec<SeenSecret>, StoreError> {
        let read = || {
            let mut stmt = self.conn.prepare(
                "SELECT identity, fingerprint, secret_type, first_seen FROM seen_secret \
                 ORDER BY identity, first_seen, fingerprint",
            )?;
            let rows = stmt.query_map([], |r| {
                let hex: String = r.get(1)?;
                let fingerprint = Fingerprint::from_hex(&hex).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        Type::Text,
                        format!("{hex:?} is not a fingerprint of 32 hex digits").into(),
                    )
                })?;
                Ok(SeenSecret {
                    identity: r.get(0)?,
                    fingerprint,
                    secret_type: r.get(2)?,
                    first_seen: r.get(3)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()
        };
        read().map_err(|e| self.error(e))
    }

    /// Keeps first sightings in one transaction; one already kept keeps the earlier time.
    pub fn keep_secrets(&mut self, secrets: &[SeenSecret]) -> Result<(), StoreError> {
        self.write_all(UPSERT, secrets, |upsert, s| {
            upsert.execute(params![
                s.identity,
                s.fingerprint.to_string(),
                s.secret_type,
                s.first_seen
            ])
        })
    }
}
