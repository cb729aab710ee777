//! Where an event came from: its file (or embedded recording) and the byte offset of its
//! line. Keeping every record's raw text would cost too much memory, so the readers stamp
//! each event with an [`Origin`] and [`Origins::fetch`] reads that one line back on demand,
//! for the event popup. Fetching is IO: the live loop calls it, never a view or the engine.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use super::copilot_export::ExportIndex;
use super::facts::file_facts;
use super::tail::project_dir;
use crate::event::{Event, Origin, SourceId, TimeMs, line_hash};
use crate::parse::{LineContext, LineParser, MAX_LINE_BYTES, Parsed};

/// Raw text handed back at most: a record past this is cut, and said to be.
pub const MAX_RAW_BYTES: usize = 64 * 1024;
/// Bytes read per call while looking for the end of the line.
const READ_CHUNK: usize = 64 * 1024;
/// Files gone (deleted, or renamed out of sight) whose name is kept at most: past this the
/// one gone longest is forgotten, and the popup of one of its events says its record
/// cannot be read back. Files in sight are all kept, so over a long run where files come
/// and go the registry holds the files present and at most this many more.
pub const MAX_GONE_FILES: usize = 1_024;

#[derive(Clone, Debug)]
enum OriginSource {
    File(Arc<Path>),
    /// Bytes built into the binary (the demo's recordings), under the path they stand for.
    Embedded {
        name: Arc<str>,
        bytes: &'static [u8],
    },
}

#[derive(Debug, Default)]
struct Registry {
    sources: HashMap<SourceId, OriginSource>,
    files: HashMap<Arc<Path>, SourceId>,
    embedded: HashMap<Arc<str>, SourceId>,
    /// The id the next source gets: ids are not reused, so a forgotten one stays unknown.
    next: u32,
    /// Files no longer at any path, the one gone longest first.
    gone: VecDeque<SourceId>,
}

impl Registry {
    fn add(&mut self, source: OriginSource) -> SourceId {
        // Four billion files in one run do not happen; past that, fetch reports an unknown source.
        let id = SourceId(self.next);
        self.next = self.next.saturating_add(1);
        self.sources.insert(id, source);
        id
    }
}

/// The files and recordings events came from, shared by the readers (which register) and
/// the live loop (which fetches). Cheap to clone; holds the files in sight and at most
/// [`MAX_GONE_FILES`] gone.
#[derive(Clone, Debug, Default)]
pub struct Origins(Arc<RwLock<Registry>>);

/// One record read back: the raw line, and what it parses into now.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The file (or recording) it was read from, for people.
    pub source: String,
    /// The line, lossily decoded, at most [`MAX_RAW_BYTES`]; not sanitized (views do that).
    pub raw: String,
    /// The line was longer than `raw`.
    pub truncated: bool,
    /// The whole line re-parsed alone by a fresh [`LineParser`]: for formats whose lines
    /// depend on earlier ones (Codex counts, stream deltas) this may differ from what was
    /// counted, or be empty. Demo events are replayed at shifted times; this has the
    /// recording's own.
    pub events: Vec<Event>,
}

impl Origins {
    /// The id of a file, the same for the same path.
    pub fn register_file(&self, path: &Path) -> SourceId {
        if let Some(id) = self.read().files.get(path) {
            return *id;
        }
        let mut registry = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = registry.files.get(path) {
            return *id;
        }
        let path: Arc<Path> = path.into();
        let id = registry.add(OriginSource::File(path.clone()));
        registry.files.insert(path, id);
        id
    }

    /// The file known as `id` now has this name (renamed, e.g. rotated): every event
    /// read from it, before the rename or after, is fetched from here, and a new file
    /// taking its old name gets an id of its own.
    pub fn relocate(&self, id: SourceId, path: &Path) {
        let mut registry = self.0.write().unwrap_or_else(PoisonError::into_inner);
        match registry.sources.get(&id).cloned() {
            Some(OriginSource::Embedded { .. }) => return,
            Some(OriginSource::File(old)) if registry.files.get(&old) == Some(&id) => {
                registry.files.remove(&old);
            }
            // Released from its old name already (gone, and now back in sight), or
            // forgotten while gone: known again from here on.
            _ => {}
        }
        registry.gone.retain(|gone| *gone != id);
        let path: Arc<Path> = path.into();
        registry
            .sources
            .insert(id, OriginSource::File(path.clone()));
        registry.files.insert(path, id);
    }

    /// The file known as `id` is no longer at `path` (deleted, or renamed out of sight):
    /// a file that comes to stand there gets an id of its own. Its events keep `id`, and
    /// its name is kept while it is among the latest [`MAX_GONE_FILES`] gone.
    pub fn release(&self, id: SourceId, path: &Path) {
        let mut registry = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if registry.files.get(path) != Some(&id) {
            return;
        }
        registry.files.remove(path);
        registry.gone.push_back(id);
        if registry.gone.len() > MAX_GONE_FILES
            && let Some(forgotten) = registry.gone.pop_front()
        {
            registry.sources.remove(&forgotten);
        }
    }

    /// The id of bytes built into the binary, the same for the same name.
    pub fn register_embedded(&self, name: &str, bytes: &'static [u8]) -> SourceId {
        let mut registry = self.0.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(id) = registry.embedded.get(name) {
            return *id;
        }
        let name: Arc<str> = name.into();
        let id = registry.add(OriginSource::Embedded {
            name: name.clone(),
            bytes,
        });
        registry.embedded.insert(name, id);
        id
    }

    /// The file (or recording) known as `id`, for people; `None` once forgotten.
    pub fn name(&self, id: SourceId) -> Option<String> {
        match self.read().sources.get(&id)? {
            OriginSource::File(path) => Some(path.display().to_string()),
            OriginSource::Embedded { name, .. } => Some(name.to_string()),
        }
    }

    /// The file known as `id`, when it is one (not a recording) and still remembered.
    pub fn path(&self, id: SourceId) -> Option<std::path::PathBuf> {
        match self.read().sources.get(&id)? {
            OriginSource::File(path) => Some(path.to_path_buf()),
            OriginSource::Embedded { .. } => None,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the one line `origin` points at and checks it is still the record read there.
    /// `time` is the event's time, given again to a record that carries none (as it was
    /// when read) so that its re-parse matches. The error is one line for a person: what
    /// happened and what it means.
    pub fn fetch(&self, origin: Origin, time: TimeMs) -> Result<Record, String> {
        let (source, next) = {
            let registry = self.read();
            (registry.sources.get(&origin.source).cloned(), registry.next)
        };
        let Some(source) = source else {
            return Err(if origin.source.0 < next {
                format!(
                    "this event's file went away long ago and is no longer remembered (the last {MAX_GONE_FILES} files gone are): the event stays counted, but its raw record cannot be shown"
                )
            } else {
                "this event's source is not known to this run, so its raw record cannot be shown"
                    .to_string()
            });
        };
        let (name, line) = match source {
            OriginSource::File(path) => {
                let name = path.display().to_string();
                let line =
                    read_file_line(&path, origin.offset).map_err(|e| file_error(&name, &e))?;
                (name, line)
            }
            OriginSource::Embedded { name, bytes } => {
                let rest = usize::try_from(origin.offset)
                    .ok()
                    .and_then(|at| bytes.get(at..))
                    .unwrap_or_default();
                let line = read_line(rest).map_err(|e| format!("{name}: {e}"))?;
                (name.to_string(), line)
            }
        };
        match line {
            Some(line) if line_hash(&line) == origin.line_hash => Ok(record(&line, &name, time)),
            _ => Err(format!(
                "the line at byte {} of {name} is no longer the same record (the file was rotated, truncated or rewritten): the event stays counted, but its raw text is gone",
                origin.offset
            )),
        }
    }
}

fn file_error(name: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!(
            "{name} no longer exists (deleted or rotated away): the event stays counted; look for the file under its rotated name to see the record"
        ),
        _ => format!("{name} cannot be read now ({e}): check its permissions, or try again"),
    }
}

/// The line at `offset` of the file at `path`.
fn read_file_line(path: &Path, offset: u64) -> io::Result<Option<Vec<u8>>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    read_line(file)
}

/// The bytes up to the next newline (not included) or the end of the input; `None` past
/// [`MAX_LINE_BYTES`], a line no reader makes an event of. Memory is bounded by that.
fn read_line(mut input: impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut chunk = vec![0; READ_CHUNK];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let read = &chunk[..n];
        let end = memchr::memchr(b'\n', read);
        line.extend_from_slice(&read[..end.unwrap_or(n)]);
        if line.len() > MAX_LINE_BYTES {
            return Ok(None);
        }
        if n == 0 || end.is_some() {
            return Ok(Some(line));
        }
    }
}

/// The line cut to [`MAX_RAW_BYTES`] of text, and re-parsed whole.
fn record(line: &[u8], name: &str, time: TimeMs) -> Record {
    let mut raw = String::from_utf8_lossy(&line[..line.len().min(MAX_RAW_BYTES)]).into_owned();
    // Invalid bytes grow into U+FFFD (3 bytes each) when decoded: cut again on a char.
    let mut cut = raw.len().min(MAX_RAW_BYTES);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let truncated = line.len() > MAX_RAW_BYTES || cut < raw.len();
    raw.truncate(cut);
    let project = project_dir(Path::new(name));
    let facts = file_facts(Path::new(name), &mut ExportIndex::default());
    let ctx = LineContext {
        project_dir: project.as_deref(),
        project_root: None,
        facts: facts.as_ref(),
        read_time: time,
    };
    let events = match LineParser::default().parse(line, &ctx) {
        Parsed::Event(event) => vec![*event],
        Parsed::Records(records) => records.events,
        Parsed::NoUsage | Parsed::Rejected(_) => Vec::new(),
    };
    Record {
        source: name.to_string(),
        raw,
        truncated,
        events,
    }
}

#[cfg(test)]
mod tests {
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
        let line = |head: char, tail: char| {
            format!("{{\"{head}\":\"{}\",\"{tail}\":1}}", "x".repeat(1000))
        };
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
}
