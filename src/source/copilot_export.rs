//! What GitHub Copilot CLI's OpenTelemetry export (`<home>/otel/*.jsonl`, and the file
//! `COPILOT_OTEL_FILE_EXPORTER_PATH` names) holds per session: the times of its usage
//! records, so that a session's shutdown segment whose time holds some is counted from the
//! export and not again (`parse::copilot_events`).
//!
//! The export is indexed once and then read only where it grew: each poll marks the
//! index stale ([`ExportIndex::next_poll`]), and the first lookup of a poll reads what
//! was appended since the last. Many session files are looked up per poll; none of them
//! reads the export again.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::event::TimeMs;
use crate::parse::{MAX_LINE_BYTES, copilot_export_usage};

/// Bytes read per system call.
const CHUNK: usize = 1 << 20;

/// One index, shared by the files a follower reads (parsed on several threads).
pub type SharedIndex = Arc<Mutex<ExportIndex>>;

/// The index, usable even if a thread panicked while holding it (it is then only stale).
pub fn lock(index: &SharedIndex) -> MutexGuard<'_, ExportIndex> {
    index
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The usage times per session of the exports of each Copilot home looked up.
#[derive(Debug, Default)]
pub struct ExportIndex {
    poll: u64,
    homes: HashMap<PathBuf, Home>,
}

#[derive(Debug, Default)]
struct Home {
    /// The poll it was brought up to date in.
    poll: Option<u64>,
    files: HashMap<PathBuf, Indexed>,
    /// Each session's usage times, sorted.
    sessions: HashMap<String, Vec<TimeMs>>,
}

/// How far an export file was read: its identity, offset, and a line not yet ended.
#[derive(Debug)]
struct Indexed {
    id: (u64, u64),
    offset: u64,
    partial: Vec<u8>,
}

impl ExportIndex {
    /// A new poll began: the next lookup reads what the exports gained since.
    pub fn next_poll(&mut self) {
        self.poll += 1;
    }

    /// When (sorted) the export of Copilot home `home` holds usage of `session`.
    pub fn times(&mut self, home: &Path, session: &str) -> &[TimeMs] {
        let poll = self.poll;
        let home_index = self.homes.entry(home.to_path_buf()).or_default();
        if home_index.poll != Some(poll) {
            home_index.poll = Some(poll);
            home_index.refresh(home);
        }
        home_index.sessions.get(session).map_or(&[], Vec::as_slice)
    }
}

impl Home {
    /// Reads what each export file gained; a file cut short or replaced makes the home be
    /// indexed again from the start.
    fn refresh(&mut self, home: &Path) {
        let named = std::env::var_os("COPILOT_OTEL_FILE_EXPORTER_PATH").map(PathBuf::from);
        let mut files: Vec<PathBuf> = std::fs::read_dir(home.join("otel"))
            .map(|dir| {
                dir.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                    .collect()
            })
            .unwrap_or_default();
        files.extend(named);
        let metas: Vec<(PathBuf, (u64, u64), u64)> = files
            .into_iter()
            .filter_map(|p| {
                let m = std::fs::metadata(&p).ok()?;
                Some((p, (m.dev(), m.ino()), m.len()))
            })
            .collect();
        let rewritten = metas.iter().any(|(p, id, len)| {
            self.files
                .get(p)
                .is_some_and(|f| f.id != *id || *len < f.offset)
        });
        if rewritten {
            self.files.clear();
            self.sessions.clear();
        }
        for (path, id, len) in metas {
            let file = self.files.entry(path.clone()).or_insert(Indexed {
                id,
                offset: 0,
                partial: Vec::new(),
            });
            if len > file.offset {
                index_file(&path, file, &mut self.sessions);
            }
        }
        for times in self.sessions.values_mut() {
            times.sort_unstable();
            times.dedup();
        }
    }
}

/// Reads `path` from where `file` left off to its end, adding each whole line's usage to
/// `sessions`.
fn index_file(path: &Path, file: &mut Indexed, sessions: &mut HashMap<String, Vec<TimeMs>>) {
    let Ok(mut handle) = File::open(path) else {
        return;
    };
    if handle.seek(SeekFrom::Start(file.offset)).is_err() {
        return;
    }
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match handle.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        file.offset += n as u64;
        let mut rest = &buf[..n];
        while let Some(end) = memchr::memchr(b'\n', rest) {
            file.partial.extend_from_slice(&rest[..end]);
            rest = &rest[end + 1..];
            let line = std::mem::take(&mut file.partial);
            if let Some((session, time)) = std::str::from_utf8(&line)
                .ok()
                .and_then(copilot_export_usage)
            {
                sessions.entry(session).or_default().push(time);
            }
        }
        // A line past the limit is no record the parser reads either: its start is dropped.
        if file.partial.len() + rest.len() <= MAX_LINE_BYTES {
            file.partial.extend_from_slice(rest);
        } else {
            file.partial.clear();
        }
    }
}

/// Copilot's home folder and the session of a session-events file
/// (`<home>/session-state/<session>/events.jsonl`, older builds
/// `<home>/session-state/<session>.jsonl`).
pub fn session_file(path: &Path) -> Option<(PathBuf, &str)> {
    let parent = path.parent()?;
    let name = path.file_name()?.to_str()?;
    let (state, session) = if name == "events.jsonl" {
        (parent.parent()?, parent.file_name()?.to_str()?)
    } else {
        (parent, name.strip_suffix(".jsonl")?)
    };
    if state.file_name()? != "session-state" {
        return None;
    }
    Some((state.parent()?.to_path_buf(), session))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: &str = r#"{"type":"span","traceId":"t1","spanId":"c1","name":"chat m","startTime":[1767261600,0],"endTime":[1767261601,0],"attributes":{"gen_ai.operation.name":"chat","gen_ai.response.model":"m","gen_ai.conversation.id":"SESSION","gen_ai.usage.input_tokens":31,"gen_ai.usage.output_tokens":2}}"#;

    fn span(session: &str) -> String {
        SPAN.replace("SESSION", session) + "\n"
    }

    #[test]
    fn copilot_session_files_are_placed_by_their_folders() {
        let (home, session) =
            session_file(Path::new("/h/.copilot/session-state/c0ffee12/events.jsonl"))
                .expect("a session's events");
        assert_eq!(
            (home.as_path(), session),
            (Path::new("/h/.copilot"), "c0ffee12")
        );
        let (_, session) = session_file(Path::new("/h/.copilot/session-state/abcd.jsonl"))
            .expect("a legacy session file");
        assert_eq!(session, "abcd");
        assert_eq!(session_file(Path::new("/h/.copilot/otel/a.jsonl")), None);
    }

    #[test]
    fn the_export_is_read_once_per_poll_and_then_only_where_it_grew() {
        use std::io::{Seek, Write};
        let dir = tempfile::tempdir().expect("temp dir");
        let otel = dir.path().join("otel");
        std::fs::create_dir_all(&otel).expect("mkdir");
        let file = otel.join("a.jsonl");
        let first = span("s1") + &span("s2");
        std::fs::write(&file, &first).expect("write");
        let mut index = ExportIndex::default();
        index.next_poll();
        assert_eq!(index.times(dir.path(), "s1"), &[1_767_261_601_000]);
        assert_eq!(index.times(dir.path(), "s2"), &[1_767_261_601_000]);
        assert_eq!(index.times(dir.path(), "s3"), &[] as &[TimeMs]);
        // Bytes already indexed are never read again: changed in place (same length),
        // they still count as first read, while within one poll nothing is read at all.
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .open(&file)
            .expect("open");
        handle.write_all(span("x1").as_bytes()).expect("overwrite");
        handle.seek(std::io::SeekFrom::End(0)).expect("seek");
        let next = span("s3").replace("1767261601", "1767261700");
        let (head, tail) = next.split_at(40);
        handle.write_all(head.as_bytes()).expect("append");
        assert_eq!(index.times(dir.path(), "s3"), &[] as &[TimeMs], "same poll");
        // Half a line, then its end: the line counts once whole.
        index.next_poll();
        assert_eq!(index.times(dir.path(), "s3"), &[] as &[TimeMs]);
        handle.write_all(tail.as_bytes()).expect("append");
        index.next_poll();
        assert_eq!(index.times(dir.path(), "s3"), &[1_767_261_700_000]);
        assert_eq!(index.times(dir.path(), "s1"), &[1_767_261_601_000]);
        assert_eq!(index.times(dir.path(), "x1"), &[] as &[TimeMs]);
        // Cut short and rewritten: indexed again from its start.
        std::fs::write(&file, span("s4")).expect("write");
        index.next_poll();
        assert_eq!(index.times(dir.path(), "s1"), &[] as &[TimeMs]);
        assert_eq!(index.times(dir.path(), "s4"), &[1_767_261_601_000]);
    }
}
