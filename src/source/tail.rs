//! One followed file: read from the last offset to the end through a handle kept open, so
//! that a file renamed away (rotation) or deleted is still read to its last line.

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::copilot_export::{SharedIndex, lock};
use super::facts::{exported_count, file_facts, stale_before};
use super::gemini;
use super::health::SourceHealth;
use super::lines::LineReader;
use super::walk::order_key;
use crate::event::SourceId;
use crate::event::{Event, TimeMs};
use crate::parse::MAX_LINE_BYTES;
use crate::secrets::Scanner;

/// Bytes read per system call.
const CHUNK: usize = 1 << 20;
/// Bytes remembered from the start of a file and from just before the offset read to, to
/// recognize it as the same content when it is read again.
const FINGERPRINT: usize = 64;

/// A last line without its newline that has not grown for this long is counted if it is
/// one whole JSON object (a writer that ends its last line late, or never).
pub const IDLE_LINE: Duration = Duration::from_secs(1);

/// (device, inode): what makes a file the same file whatever its name.
pub type FileId = (u64, u64);

pub fn file_id(meta: &Metadata) -> FileId {
    (meta.dev(), meta.ino())
}

/// The Claude Code project folder: the path component after `projects`.
pub(crate) fn project_dir(path: &Path) -> Option<String> {
    let mut parts = path.components();
    while let Some(part) = parts.next() {
        if part == Component::Normal("projects".as_ref()) {
            return match (parts.next(), parts.next()) {
                (Some(Component::Normal(dir)), Some(_)) => Some(dir.to_string_lossy().into_owned()),
                _ => None,
            };
        }
    }
    None
}

#[derive(Debug)]
pub struct TailedFile {
    /// Where the file was last seen.
    pub path: PathBuf,
    /// The path's [`order_key`]: files are read in this order.
    order: Box<[u8]>,
    pub id: FileId,
    handle: Option<File>,
    /// Bytes of the file consumed so far (including the held partial line).
    offset: u64,
    /// File length at the last read, for the lag.
    len: u64,
    /// The file's first bytes, to tell it from another file that reuses its inode.
    head: Vec<u8>,
    /// The bytes just before `offset`: a file cut and written past the offset again
    /// between two reads (copytruncate, or an inode reused by a file that starts alike)
    /// no longer has them there.
    before: Vec<u8>,
    lines: LineReader,
    keep_open: bool,
    /// When the file last had new bytes, while a partial last line is held and was not
    /// yet looked at as an idle line.
    held_since: Option<Instant>,
    /// A whole JSON document rewritten in place (a legacy Gemini CLI session): read whole,
    /// as one record, each time its length changes.
    whole: bool,
    /// The index of Copilot's export, for a Copilot session file's facts.
    exports: SharedIndex,
    /// The length the folder scan that found the file saw: the first look for news takes
    /// it rather than ask the file system again (thousands of `stat`s at a backfill's
    /// start, on the engine's thread).
    listed: Option<u64>,
}

impl TailedFile {
    /// `source`: the path's id, which the file's events are stamped with; `scanner` scans
    /// its records for secrets; `exports` is the follower's index of Copilot's export.
    pub fn new(
        path: PathBuf,
        id: FileId,
        source: SourceId,
        scanner: Option<Arc<Scanner>>,
        exports: &SharedIndex,
    ) -> Self {
        TailedFile {
            lines: LineReader::new(project_dir(&path), Some(source))
                .scanning(scanner)
                .in_project(gemini::project_root(&path))
                .with_facts(file_facts(&path, &mut lock(exports))),
            whole: gemini::is_session_document(&path),
            exports: exports.clone(),
            order: order_key(&path),
            path,
            id,
            handle: None,
            offset: 0,
            len: 0,
            head: Vec::new(),
            before: Vec::new(),
            keep_open: true,
            held_since: None,
            listed: None,
        }
    }

    /// A file the folder scan saw `len` bytes long.
    pub fn listed_at(mut self, len: u64) -> Self {
        self.listed = Some(len);
        self
    }

    /// Counts the held last line if it has sat idle for [`IDLE_LINE`] as one whole JSON
    /// object. Each held line is looked at once per growth.
    pub fn complete_idle(
        &mut self,
        read_time: TimeMs,
        now: Instant,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        if self
            .held_since
            .is_some_and(|t| now.saturating_duration_since(t) >= IDLE_LINE)
        {
            self.held_since = None;
            self.lines.complete_idle(read_time, health, sink);
        }
    }

    /// A Copilot session file whose counted segments the export may still show: if the
    /// export's usage of its session changed, its facts are read again; the segments they
    /// now show are taken out, and those waited for long enough let go.
    pub fn recheck_export(&mut self, read_time: TimeMs, sink: &mut dyn FnMut(Event)) {
        if !self.lines.awaits_export() {
            return;
        }
        let mut exports = lock(&self.exports);
        let known = self.lines.facts().map(|f| f.exported.len());
        if exported_count(&self.path, &mut exports) != known {
            let facts = file_facts(&self.path, &mut exports);
            self.lines.set_facts(facts);
        }
        drop(exports);
        self.lines.recheck(read_time, sink);
    }

    /// The input ended (a report): a last line without a newline is complete.
    pub fn finish(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        self.lines.finish(read_time, health, sink);
    }

    /// The file now has this name (renamed, e.g. rotated). Its events keep their source
    /// id: the follower moves that id to the new name (`Origins::relocate`).
    pub fn moved(&mut self, path: PathBuf) {
        self.order = order_key(&path);
        self.path = path;
    }

    /// Where the file comes in the order files are read: its path's order.
    pub fn order(&self) -> &[u8] {
        &self.order
    }

    /// The id its events are stamped with.
    pub fn source(&self) -> Option<SourceId> {
        self.lines.source()
    }

    /// Bytes written but not yet consumed as whole lines.
    pub fn lag(&self) -> u64 {
        self.len.saturating_sub(self.offset) + self.lines.held() as u64
    }

    /// The file's length now, as far as a cheap look tells (`None` when it cannot be
    /// looked at now; a read would report why).
    fn current_len(&self) -> Option<u64> {
        match &self.handle {
            Some(file) => file.metadata().map(|m| m.len()).ok(),
            None => std::fs::metadata(&self.path).map(|m| m.len()).ok(),
        }
    }

    /// Whether a read could find something, and if so how many bytes were appended: the
    /// length moved (grown, truncated or replaced), or the file cannot be looked at (the
    /// read reports the error). One look at the file answers both.
    pub fn news(&mut self) -> Option<u64> {
        match self.listed.take().or_else(|| self.current_len()) {
            Some(len) if len == self.offset => None,
            len => Some(len.map_or(0, |len| len.saturating_sub(self.offset))),
        }
    }

    pub fn is_open(&self) -> bool {
        self.handle.is_some()
    }

    /// Gives the handle back to the system (too many files open); the next read reopens
    /// the file by path if it is still the same file.
    pub fn close(&mut self) {
        self.handle = None;
    }

    /// Whether the handle stays open after the next read (false: it is closed at once, so
    /// a backfill of thousands of files never holds more handles than the limit).
    pub fn keep_open(&mut self, keep: bool) {
        self.keep_open = keep;
    }

    fn restart(&mut self, health: &mut SourceHealth) {
        health.restarts += u64::from(self.offset > 0);
        self.offset = 0;
        self.head.clear();
        self.before.clear();
        self.lines.reset();
    }

    /// Whether the file still holds the bytes it held at its start and just before the
    /// offset: a file truncated and rewritten past the old offset between two reads does
    /// not (unless it was written again with the very same bytes there).
    fn same_content(&self, file: &File) -> bool {
        let holds = |bytes: &[u8], at: u64| {
            let mut now = vec![0; bytes.len()];
            file.read_exact_at(&mut now, at).is_ok() && now == bytes
        };
        holds(&self.head, 0)
            && holds(
                &self.before,
                self.offset.saturating_sub(self.before.len() as u64),
            )
    }

    /// Opens the file by path, if the path still names this file.
    fn reopen(&self) -> io::Result<Option<File>> {
        let file = File::open(&self.path)?;
        Ok((file_id(&file.metadata()?) == self.id).then_some(file))
    }

    /// Reads what was appended since the last call and parses every completed line,
    /// through `scratch` (a buffer reused across files and calls).
    /// A file truncated in place (copytruncate), or rewritten with other first bytes (an
    /// inode reused by a new file), is read again from its start.
    pub fn read_new(
        &mut self,
        read_time: TimeMs,
        scratch: &mut Vec<u8>,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) -> io::Result<u64> {
        if self.handle.is_none() {
            self.handle = self.reopen()?;
        }
        let Some(file) = &self.handle else {
            // The path names another file now; the folder scan decides what became of ours.
            return Ok(0);
        };
        let len = file.metadata()?.len();
        if self.whole {
            let read = self.read_whole(len, read_time, scratch, health, sink);
            if !self.keep_open {
                self.handle = None;
            }
            return read;
        }
        let rewritten = len > self.offset && !self.same_content(file);
        if len < self.offset || rewritten {
            self.restart(health);
        }
        self.len = len;
        let Some(file) = self.handle.as_mut().filter(|_| len != self.offset) else {
            return Ok(0);
        };
        file.seek(SeekFrom::Start(self.offset))?;
        let buf = scratch;
        if buf.len() < CHUNK {
            buf.resize(CHUNK, 0);
        }
        let mut read = 0;
        loop {
            let n = file.read(buf)?;
            if n == 0 {
                break;
            }
            if self.head.len() < FINGERPRINT && self.offset < FINGERPRINT as u64 {
                let take = (FINGERPRINT - self.head.len()).min(n);
                self.head.extend_from_slice(&buf[..take]);
            }
            read += n as u64;
            self.offset += n as u64;
            remember_last(&mut self.before, &buf[..n]);
            if stale_before(&self.path, &buf[..n]) {
                let facts = file_facts(&self.path, &mut lock(&self.exports));
                self.lines.set_facts(facts);
            }
            self.lines.feed(&buf[..n], read_time, health, sink);
        }
        self.len = self.len.max(self.offset);
        if read > 0 {
            self.held_since = (self.lines.held() > 0).then(Instant::now);
        }
        health.bytes += read;
        if !self.keep_open {
            self.handle = None;
        }
        Ok(read)
    }
}

impl TailedFile {
    /// Reads the whole document again (its length changed: it was rewritten), as one line:
    /// its line breaks are JSON whitespace, read as blanks. The parser's memory of the last
    /// reading goes; the engine counts each response of it once by its key. A document cut
    /// short is being written: it is read again when its length changes.
    fn read_whole(
        &mut self,
        len: u64,
        read_time: TimeMs,
        scratch: &mut Vec<u8>,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) -> io::Result<u64> {
        self.len = len;
        let Some(file) = self.handle.as_mut().filter(|_| len != self.offset) else {
            return Ok(0);
        };
        file.seek(SeekFrom::Start(0))?;
        scratch.clear();
        // One byte past the limit is enough for the reader to reject it as too long.
        file.take(MAX_LINE_BYTES as u64 + 1).read_to_end(scratch)?;
        self.offset = len;
        // Caught while the writer was still writing it: read it at its next change.
        let cut_short = serde_json::from_slice::<serde::de::IgnoredAny>(scratch)
            .err()
            .is_some_and(|e| e.is_eof());
        if cut_short && scratch.len() <= MAX_LINE_BYTES {
            return Ok(0);
        }
        gemini::as_one_line(scratch);
        scratch.push(b'\n');
        self.lines.reset();
        self.lines.feed(scratch, read_time, health, sink);
        let read = scratch.len() as u64 - 1;
        health.bytes += read;
        Ok(read)
    }
}

/// Keeps in `before` the last [`FINGERPRINT`] bytes of what was read, `read` included.
fn remember_last(before: &mut Vec<u8>, read: &[u8]) {
    let keep = read.len().min(FINGERPRINT);
    let drop = (before.len() + keep).saturating_sub(FINGERPRINT);
    before.drain(..drop);
    before.extend_from_slice(&read[read.len() - keep..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_dir_is_the_folder_under_projects() {
        let p = Path::new("/home/me/.claude/projects/-home-me-app/abc.jsonl");
        assert_eq!(project_dir(p).as_deref(), Some("-home-me-app"));
        let p = Path::new("/home/me/.claude/projects/-home-me-app/abc/subagents/agent-1.jsonl");
        assert_eq!(project_dir(p).as_deref(), Some("-home-me-app"));
        assert_eq!(project_dir(Path::new("/var/log/projects.jsonl")), None);
        assert_eq!(project_dir(Path::new("/x/projects/file.jsonl")), None);
    }
}
