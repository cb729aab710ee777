//! Tests of reading records back (`super::Origins::fetch`).

use std::io::Write;
use std::path::PathBuf;

use super::*;

const LINE: &str =
    r#"{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","tokens":{"input":5}}"#;
const OTHER: &str =
    r#"{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","tokens":{"input":6}}"#;

/// A file of `lines` and the origin of each.
fn file(dir: &Path, name: &str, lines: &[&[u8]]) -> (Origins, Vec<Origin>, PathBuf) {
    let origins = Origins::default();
    let path = dir.join(name);
    let id = origins.register_file(&path);
    let mut bytes = Vec::new();
    let mut found = Vec::new();
    for line in lines {
        found.push(Origin::new(id, bytes.len() as u64, line));
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
    }
    std::fs::write(&path, bytes).expect("write");
    (origins, found, path)
}

#[test]
fn the_same_path_or_name_gets_the_same_id() {
    let origins = Origins::default();
    let a = origins.register_file(Path::new("/x/a.jsonl"));
    let b = origins.register_file(Path::new("/x/b.jsonl"));
    let e = origins.register_embedded("demo/a.jsonl", b"");
    assert_ne!(a, b);
    assert_ne!(a, e);
    let clone = origins.clone();
    assert_eq!(clone.register_file(Path::new("/x/a.jsonl")), a);
    assert_eq!(origins.register_embedded("demo/a.jsonl", b""), e);
    assert_eq!(std::mem::size_of::<Origin>(), 16);
}

#[test]
fn a_relocated_file_keeps_its_id_and_its_old_name_gets_a_new_one() {
    let origins = Origins::default();
    let a = origins.register_file(Path::new("/x/a.jsonl"));
    origins.relocate(a, Path::new("/x/a.jsonl.1"));
    assert_eq!(origins.register_file(Path::new("/x/a.jsonl.1")), a);
    let new = origins.register_file(Path::new("/x/a.jsonl"));
    assert_ne!(new, a, "the file now under the old name is another");
    assert_eq!(origins.name(a).as_deref(), Some("/x/a.jsonl.1"));
    assert_eq!(origins.name(new).as_deref(), Some("/x/a.jsonl"));
    let e = origins.register_embedded("demo/a.jsonl", b"");
    assert_eq!(origins.name(e).as_deref(), Some("demo/a.jsonl"));
    assert_eq!(origins.name(SourceId(99)), None);
}

#[test]
fn files_gone_are_forgotten_past_the_cap_and_files_in_sight_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (origins, at, _) = file(dir.path(), "kept.jsonl", &[LINE.as_bytes()]);
    let gone = |name: &str| {
        let path = PathBuf::from(format!("/x/{name}"));
        let id = origins.register_file(&path);
        origins.release(id, &path);
        id
    };
    let first = gone("first.jsonl");
    // Gone, then back in sight under another name: kept however many go after it.
    let back = gone("back.jsonl");
    origins.relocate(back, Path::new("/x/back.jsonl.1"));
    for i in 0..2 * MAX_GONE_FILES {
        gone(&format!("s{i}.jsonl"));
    }
    let registry = origins.read();
    assert_eq!(registry.sources.len(), MAX_GONE_FILES + 2);
    assert_eq!(registry.gone.len(), MAX_GONE_FILES);
    drop(registry);
    assert_eq!(origins.fetch(at[0], 0).expect("in sight").raw, LINE);
    let err = origins.fetch(Origin::new(first, 0, b""), 0);
    let err = err.expect_err("forgotten");
    assert!(err.contains("no longer remembered"), "{err}");
    let err = origins.fetch(Origin::new(back, 0, b""), 0);
    let err = err.expect_err("not there");
    assert!(err.starts_with("/x/back.jsonl.1 no longer exists"), "{err}");
    let last = Origin::new(SourceId(origins.read().next - 1), 0, b"");
    let err = origins.fetch(last, 0).expect_err("not there");
    let name = format!("/x/s{}.jsonl", 2 * MAX_GONE_FILES - 1);
    assert!(
        err.starts_with(&format!("{name} no longer exists")),
        "{err}"
    );
}

#[test]
fn a_line_is_read_back_and_re_parsed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (origins, at, _) = file(dir.path(), "a.jsonl", &[b"{}", LINE.as_bytes()]);
    assert_eq!(at[1].offset, 3);
    let record = origins.fetch(at[1], 0).expect("fetch");
    assert_eq!((record.raw.as_str(), record.truncated), (LINE, false));
    assert_eq!(record.events.len(), 1);
    assert_eq!(record.events[0].tokens.input, 5);
    assert_eq!(record.events[0].time, 1_767_225_600_000);
    let record = origins.fetch(at[0], 0).expect("fetch");
    assert_eq!((record.raw.as_str(), record.events.len()), ("{}", 0));
    // A line of many records (OTLP JSON lines) re-parses into all of its events.
    let otlp = include_str!("../../tests/fixtures/otlp_file.jsonl");
    let first = otlp.lines().next().expect("a line");
    let (origins, at, _) = file(dir.path(), "otel.jsonl", &[first.as_bytes()]);
    let noon = 1_767_268_800_000;
    let record = origins.fetch(at[0], noon).expect("fetch");
    let inputs: Vec<u64> = record.events.iter().map(|e| e.tokens.input).collect();
    assert_eq!((record.raw.as_str(), inputs), (first, vec![120, 0]));
}

#[test]
fn a_missing_file_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (origins, at, path) = file(dir.path(), "gone.jsonl", &[LINE.as_bytes()]);
    std::fs::remove_file(&path).expect("remove");
    let err = origins.fetch(at[0], 0).expect_err("gone");
    assert_eq!(
        err,
        format!(
            "{} no longer exists (deleted or rotated away): the event stays counted; look for the file under its rotated name to see the record",
            path.display()
        )
    );
    let unknown = Origin::new(SourceId(99), 0, b"");
    assert!(origins.fetch(unknown, 0).is_err());
}

#[test]
fn a_truncated_and_rewritten_file_is_not_taken_for_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (origins, at, path) = file(dir.path(), "a.jsonl", &[LINE.as_bytes(), LINE.as_bytes()]);
    // Same length, same place, other bytes.
    std::fs::write(&path, format!("{OTHER}\n{OTHER}\n")).expect("rewrite");
    let err = origins.fetch(at[1], 0).expect_err("rewritten");
    assert!(
        err.starts_with(&format!(
            "the line at byte {} of {} is no longer the same record",
            LINE.len() + 1,
            path.display()
        )),
        "{err}"
    );
    // Cut short: the offset is past the end.
    std::fs::write(&path, "").expect("truncate");
    assert!(origins.fetch(at[1], 0).is_err());
    // Written back as it was: the record is there again.
    std::fs::write(&path, format!("{LINE}\n{LINE}\n")).expect("restore");
    assert_eq!(origins.fetch(at[1], 0).expect("same again").raw, LINE);
}

#[test]
fn a_long_line_rewritten_at_either_end_is_told_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line =
        |head: char, tail: char| format!("{{\"{head}\":\"{}\",\"{tail}\":1}}", "x".repeat(1000));
    let (origins, at, path) = file(dir.path(), "a.jsonl", &[line('a', 'z').as_bytes()]);
    for other in [line('b', 'z'), line('a', 'y')] {
        std::fs::write(&path, format!("{other}\n")).expect("rewrite");
        assert!(origins.fetch(at[0], 0).is_err(), "{}", &other[..10]);
    }
    std::fs::write(&path, format!("{}\n", line('a', 'z'))).expect("restore");
    assert!(origins.fetch(at[0], 0).is_ok());
}

#[test]
fn a_long_line_comes_back_cut_at_64_kib_and_parsed_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pad = "a".repeat(10 * 1024 * 1024);
    let long = format!(
        r#"{{"tokentop":1,"ts":1767225600000,"identity":"k","model":"m","tokens":{{"input":7}},"note":"{pad}"}}"#
    );
    let (origins, at, _) = file(dir.path(), "a.jsonl", &[long.as_bytes(), LINE.as_bytes()]);
    let record = origins.fetch(at[0], 0).expect("fetch");
    assert!(record.truncated);
    assert_eq!(record.raw.len(), MAX_RAW_BYTES);
    assert!(long.starts_with(&record.raw));
    assert_eq!(record.events.len(), 1, "the whole line is parsed");
    assert_eq!(record.events[0].tokens.input, 7);
    assert_eq!(origins.fetch(at[1], 0).expect("next").raw, LINE);
}

#[test]
fn a_line_longer_than_any_record_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.jsonl");
    let mut f = File::create(&path).expect("create");
    let block = vec![b'x'; 1 << 20];
    for _ in 0..=MAX_LINE_BYTES >> 20 {
        f.write_all(&block).expect("write");
    }
    let origins = Origins::default();
    let origin = Origin::new(origins.register_file(&path), 0, b"x");
    assert!(origins.fetch(origin, 0).is_err());
}

#[test]
fn invalid_utf8_and_control_bytes_come_back_lossily() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad: &[u8] = b"{\"x\":\"\xff\xfe\x1b[31m\x00\"}";
    let (origins, at, _) = file(dir.path(), "a.jsonl", &[bad]);
    let record = origins.fetch(at[0], 0).expect("fetch");
    assert_eq!(record.raw, "{\"x\":\"\u{fffd}\u{fffd}\x1b[31m\0\"}");
    assert!(!record.truncated && record.events.is_empty());
    // A cut line of invalid bytes grows when decoded, and is cut again on a char.
    let invalid = vec![0xff; MAX_RAW_BYTES + 10];
    let (origins, at, _) = file(dir.path(), "b.jsonl", &[&invalid]);
    let record = origins.fetch(at[0], 0).expect("fetch");
    assert!(record.truncated && record.raw.len() <= MAX_RAW_BYTES);
    assert!(record.raw.chars().all(|c| c == '\u{fffd}'));
}

#[test]
fn embedded_bytes_are_read_back() {
    static BYTES: &[u8] = b"{}\n{\"a\":1}\nlast without newline";
    let origins = Origins::default();
    let id = origins.register_embedded("demo.jsonl", BYTES);
    let record = origins
        .fetch(Origin::new(id, 3, b"{\"a\":1}"), 0)
        .expect("fetch");
    assert_eq!(record.raw, "{\"a\":1}");
    let last = Origin::new(id, 11, b"last without newline");
    assert_eq!(
        origins.fetch(last, 0).expect("last").raw,
        "last without newline"
    );
    assert!(origins.fetch(Origin::new(id, 999, b"x"), 0).is_err());
}

#[test]
fn a_session_document_is_read_whole_and_its_rewrite_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("session-x.json");
    let doc = "{\"sessionId\":\"s\",\"projectHash\":\"h\",\n\"messages\":[\n{\"id\":\"u\",\"type\":\"user\"},\n{\"id\":\"g\",\"type\":\"gemini\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"tokens\":{\"input\":9}}]}\n";
    std::fs::write(&path, doc).expect("write");
    let mut line = doc.as_bytes().to_vec();
    gemini::as_one_line(&mut line);
    let origins = Origins::default();
    let origin = Origin::new(origins.register_file(&path), 0, &line);
    let record = origins.fetch(origin, 1_800_000_000_000).expect("fetch");
    assert_eq!(record.events.len(), 1);
    let keys: Vec<_> = record.messages.iter().map(|m| m.key).collect();
    let key = |id| parse::gemini::message_key("s", id);
    assert_eq!(keys, [key("u"), key("g")]);
    let shown = record.for_event(Some(key("g")));
    assert!(shown.raw.starts_with("{\"id\":\"g\""), "{}", shown.raw);
    assert_eq!(shown.events[0].tokens.input, 9);

    std::fs::write(&path, doc.replace("9}", "10}")).expect("rewrite");
    let err = origins.fetch(origin, 0).expect_err("rewritten");
    assert!(
        err.contains("was rewritten since this event was read"),
        "{err}"
    );
}
