//! The key secrets are fingerprinted under: made once from the OS's random source and kept
//! in the store, so that the same secret has the same fingerprint after a restart (it
//! counts once, and `[secrets] ignore` fingerprints keep working). Headless modes read the
//! monitor's key when its store has one, never writing, and else make a key per run.

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

/// The scanner of a headless run (`check`, `report --findings`): the monitor's key when
/// its store holds one (so fingerprints agree with the monitor's and `[secrets] ignore`
/// ones apply), else a key of its own; nothing is written either way. `None` when
/// `[secrets] enabled = false`.
pub fn scanner_for_run(settings: &SecretsSettings) -> std::io::Result<Option<Arc<Scanner>>> {
    if !settings.enabled {
        return Ok(None);
    }
    let stored = Store::default_path().and_then(|path| stored_key(&path));
    let key = match stored {
        Some(key) => key,
        None => random_key()?,
    };
    Ok(Some(Arc::new(Scanner::new(key, settings.ignore.clone()))))
}

/// The key a store at `path` keeps, read without creating or changing anything; `None`
/// when there is no such file, it cannot be read, or it holds no key yet.
pub fn stored_key(path: &std::path::Path) -> Option<FingerprintKey> {
    if !path.is_file() {
        return None;
    }
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = rusqlite::Connection::open_with_flags(path, flags).ok()?;
    let bytes: Vec<u8> = conn
        .query_row("SELECT key FROM fingerprint_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .ok()?;
    Some(FingerprintKey::from_bytes(bytes.try_into().ok()?))
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
        // Headless runs read it without writing.
        assert_eq!(stored_key(&path), Some(first));
        assert_eq!(stored_key(&dir.path().join("none.db")), None);
        assert!(!dir.path().join("none.db").exists());
    }
}
