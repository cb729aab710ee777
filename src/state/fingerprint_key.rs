//! The key secrets are fingerprinted under: made once from the OS's random source and kept
//! in the store, so that the same secret has the same fingerprint after a restart (it
//! counts once, and `[secrets] ignore` fingerprints keep working). Headless modes make a
//! key per run with [`random_key`].

use std::sync::Arc;

use rusqlite::OptionalExtension;

use super::{Store, StoreError};
use crate::config::secrets::SecretsSettings;
use crate::secrets::{FingerprintKey, Scanner};

/// A fresh key from the OS's random source.
pub fn random_key() -> std::io::Result<FingerprintKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(FingerprintKey::from_bytes(bytes))
}

/// The scanner of a headless run (`check`, `report --findings`): a key of its own, so
/// nothing is written; `None` when `[secrets] enabled = false`.
pub fn scanner_for_run(settings: &SecretsSettings) -> std::io::Result<Option<Arc<Scanner>>> {
    if !settings.enabled {
        return Ok(None);
    }
    let key = random_key()?;
    Ok(Some(Arc::new(Scanner::new(key, settings.ignore.clone()))))
}

/// The monitor's scanner: under the store's key when there is a store (a secret seen again
/// after a restart has the same fingerprint), else a key of its own; a store that cannot
/// give its key is said in the returned warning, and the run goes on with a key of its own.
pub fn scanner_for_monitor(
    settings: &SecretsSettings,
    store: Option<&mut Store>,
) -> (Option<Arc<Scanner>>, Option<String>) {
    if !settings.enabled {
        return (None, None);
    }
    let (key, warning) = match store.map(Store::fingerprint_key) {
        Some(Ok(key)) => (Ok(key), None),
        Some(Err(e)) => (random_key(), Some(e.to_string())),
        None => (random_key(), None),
    };
    match key {
        Ok(key) => (
            Some(Arc::new(Scanner::new(key, settings.ignore.clone()))),
            warning,
        ),
        Err(e) => (
            None,
            Some(format!(
                "secrets are not scanned: the system gave no random bytes for a key ({e})"
            )),
        ),
    }
}

impl Store {
    /// The store's fingerprint key, made and saved on first use.
    pub fn fingerprint_key(&mut self) -> Result<FingerprintKey, StoreError> {
        let kept: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT key FROM fingerprint_key WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.error(e))?;
        if let Some(bytes) = kept {
            let bytes: [u8; 32] = bytes.try_into().map_err(|_| StoreError::Damaged {
                path: self.path.clone(),
                detail: "the fingerprint key is not 32 bytes".into(),
            })?;
            return Ok(FingerprintKey::from_bytes(bytes));
        }
        let key = random_key().map_err(|e| StoreError::Sqlite {
            path: self.path.clone(),
            detail: format!("no random bytes for a fingerprint key: {e}"),
        })?;
        // Another tokentop may have saved one meanwhile: its key wins, so both agree.
        self.conn
            .execute(
                "INSERT OR IGNORE INTO fingerprint_key (id, key) VALUES (1, ?1)",
                [key.bytes().as_slice()],
            )
            .map_err(|e| self.error(e))?;
        self.fingerprint_key()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_read_back_after_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.db");
        let first = Store::open(&path)
            .expect("open")
            .fingerprint_key()
            .expect("key");
        let again = Store::open(&path)
            .expect("open")
            .fingerprint_key()
            .expect("key");
        assert_eq!(first, again);
        assert_ne!(first, random_key().expect("random"));
    }
}
