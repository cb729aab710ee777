//! Opening the store: where it lives, its modes, and every way it can refuse.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use super::*;

#[test]
fn folder_and_file_are_created_private() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a").join("b").join("state.db");
    let mut store = Store::open(&path).expect("open creates missing folders");
    store.save(&polls()[0]).expect("save");
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        mode(&path.with_extension("db-wal")),
        0o600,
        "the WAL file too"
    );
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    assert_eq!(mode(&dir.path().join("a").join("b")), 0o700);
}

#[test]
fn a_file_of_garbage_is_refused_untouched_with_what_to_do() {
    let (_dir, path) = temp_store();
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 37 % 251) as u8).collect();
    std::fs::write(&path, &garbage).expect("write");
    let err = Store::open(&path).expect_err("garbage is no store");
    assert_eq!(
        err.to_string(),
        format!(
            "state store {} is not a database (file is not a database): move it aside or run with --no-state",
            path.display()
        )
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        garbage,
        "left as it was"
    );
}

#[test]
fn a_damaged_page_is_reported_as_damage() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    for u in polls() {
        store.save(&u).expect("save");
    }
    drop(store);
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() > 3 * 4096, "several pages: {}", bytes.len());
    for b in &mut bytes[4096..3 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).expect("write");
    let err = Store::open(&path).expect_err("damage is found at open");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    assert!(
        text.contains("is damaged") && text.ends_with("move it aside or run with --no-state"),
        "{text}"
    );
}

#[test]
fn a_store_locked_by_another_writer_fails_fast() {
    let (_dir, path) = temp_store();
    let mut store = Store::open(&path).expect("open");
    let other = rusqlite::Connection::open(&path).expect("second connection");
    other.execute_batch("BEGIN EXCLUSIVE").expect("lock");

    let started = Instant::now();
    let err = store.save(&polls()[0]).expect_err("locked");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    let err = Store::open(&path).expect_err("locked at open too");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err.to_string(),
        format!(
            "state store {} is locked by another program, likely another tokentop: close it or run with --no-state",
            path.display()
        )
    );

    other.execute_batch("ROLLBACK").expect("unlock");
    store.save(&polls()[0]).expect("saved once free");
    assert_eq!(store.load(TimeMs::MIN).expect("load")[0].buckets.len(), 7);
}

/// A schema 1 file (provider tables only) gains the schema 2 tables and keeps its rows.
#[test]
fn a_schema_1_store_is_upgraded_in_place() {
    let (_dir, path) = temp_store();
    std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
    let old = rusqlite::Connection::open(&path).expect("raw");
    old.execute_batch(super::super::SCHEMA).expect("schema 1");
    old.execute(
        "INSERT INTO provider_slot VALUES ('openai', 'usage', '1d', 0, 5)",
        [],
    )
    .expect("row");
    old.pragma_update(None, "user_version", 1).expect("version");
    drop(old);
    let mut store = Store::open(&path).expect("upgraded");
    let key = store.fingerprint_key().expect("key table");
    assert_eq!(store.fingerprint_key().expect("again"), key);
    let raw = rusqlite::Connection::open(&path).expect("raw");
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("read");
    let slots: i64 = raw
        .query_row("SELECT count(*) FROM provider_slot", [], |r| r.get(0))
        .expect("count");
    assert_eq!((version, slots), (2, 1));
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let (_dir, path) = temp_store();
    drop(Store::open(&path).expect("create"));
    let other = rusqlite::Connection::open(&path).expect("raw");
    other
        .pragma_update(None, "user_version", 7)
        .expect("set version");
    drop(other);
    let err = Store::open(&path).expect_err("newer schema");
    assert!(matches!(
        err,
        StoreError::UnknownSchema {
            found: 7,
            known: 2,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("has schema version 7, which this tokentop (schema 2) cannot read")
    );
    let other = rusqlite::Connection::open(&path).expect("raw");
    let version: i64 = other
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("read");
    assert_eq!(version, 7);
}

#[test]
fn the_state_path_follows_xdg() {
    let os = |s: &str| Some(std::ffi::OsString::from(s));
    assert_eq!(
        state_path(os("/xdg/state"), os("/home/u")),
        Some(PathBuf::from("/xdg/state/tokentop/state.db"))
    );
    for ignored in ["", "relative/state"] {
        assert_eq!(
            state_path(os(ignored), os("/home/u")),
            Some(PathBuf::from("/home/u/.local/state/tokentop/state.db")),
            "{ignored:?}"
        );
    }
    assert_eq!(state_path(None, os("")), None);
    assert_eq!(state_path(None, None), None);
}

#[test]
fn the_monitor_keeps_a_store_or_says_why_not() {
    let (off, warning) = open_at(None);
    assert!(off.is_none() && warning.is_none(), "off is silent");
    let (none, warning) = open_at(Some(None));
    assert!(none.is_none());
    assert!(
        warning
            .expect("warned")
            .contains("neither XDG_STATE_HOME nor HOME is set")
    );

    let (_dir, path) = temp_store();
    let (store, warning) = open_at(Some(Some(path.clone())));
    assert_eq!(store.expect("opened").path(), path);
    assert_eq!(warning, None);

    std::fs::write(
        &path,
        b"not sqlite, not at all, but long enough to have a header......",
    )
    .expect("write");
    let (store, warning) = open_at(Some(Some(path.clone())));
    assert!(store.is_none());
    assert_eq!(
        warning.expect("warned"),
        format!(
            "state store {} is not a database (file is not a database): move it aside or run with --no-state",
            path.display()
        )
    );
    for (no_state, demo) in [(true, false), (false, true)] {
        let (store, warning) = open_for_monitor(no_state, demo);
        assert!(
            store.is_none() && warning.is_none(),
            "--no-state {no_state}, --demo {demo}"
        );
    }
}

#[test]
fn no_state_is_a_monitor_flag() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from(["tokentop", "--no-state"]).expect("parse");
    assert!(cli.run.no_state && !cli.demo);
    assert!(
        !crate::cli::Cli::try_parse_from(["tokentop"])
            .expect("parse")
            .run
            .no_state
    );
}
