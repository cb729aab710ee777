//! Reading one file incrementally: from the last offset to the end, whole lines only.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::health::SourceHealth;
use crate::event::{Event, TimeMs};
use crate::parse::{LineContext, LineParser, MAX_LINE_BYTES, Parsed, RejectReason};

/// Bytes read per system call.
const CHUNK: usize = 1 << 20;

#[derive(Debug)]
pub struct TailedFile {
    pub path: PathBuf,
    project_dir: Option<String>,
    /// Bytes of the file consumed so far (including `partial`).
    offset: u64,
    /// (device, inode) of the file the offset belongs to: a new inode means a new file.
    inode: Option<(u64, u64)>,
    /// The start of a line whose newline has not arrived yet.
    partial: Vec<u8>,
    /// Inside a line longer than [`MAX_LINE_BYTES`]: drop bytes until its newline.
    discarding: bool,
    /// File length at the last read, for the lag.
    len: u64,
    parser: LineParser,
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

impl TailedFile {
    pub fn new(path: PathBuf) -> Self {
        TailedFile {
            project_dir: project_dir(&path),
            path,
            offset: 0,
            inode: None,
            partial: Vec::new(),
            discarding: false,
            len: 0,
            parser: LineParser::default(),
        }
    }

    /// Bytes written but not consumed as whole lines yet.
    pub fn lag(&self) -> u64 {
        self.len.saturating_sub(self.offset) + self.partial.len() as u64
    }

    fn restart(&mut self) {
        self.offset = 0;
        self.parser = LineParser::default();
        self.partial.clear();
        self.discarding = false;
    }

    /// Reads what was appended since the last call and parses every completed line.
    /// A replaced file (new inode) or a truncated one is read again from the start.
    pub fn read_new(
        &mut self,
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) -> io::Result<u64> {
        let meta = std::fs::metadata(&self.path)?;
        let inode = Some((meta.dev(), meta.ino()));
        if self.inode != inode || meta.len() < self.offset {
            self.inode = inode;
            self.restart();
        }
        self.len = meta.len();
        if meta.len() == self.offset {
            return Ok(0);
        }
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = vec![0; CHUNK];
        let mut read = 0;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            read += n as u64;
            self.offset += n as u64;
            self.consume(&buf[..n], read_time, health, sink);
        }
        self.len = self.len.max(self.offset);
        health.bytes += read;
        Ok(read)
    }

    fn consume(
        &mut self,
        mut chunk: &[u8],
        read_time: TimeMs,
        health: &mut SourceHealth,
        sink: &mut dyn FnMut(Event),
    ) {
        let ctx = LineContext {
            project_dir: self.project_dir.as_deref(),
            read_time,
        };
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            chunk = rest;
            if self.discarding {
                self.discarding = false;
                health.lines += 1;
                health.reject(RejectReason::TooLong, &self.partial);
                self.partial.clear();
            } else if self.partial.is_empty() {
                handle_line(&mut self.parser, head, &ctx, health, sink);
            } else {
                self.partial.extend_from_slice(head);
                handle_line(&mut self.parser, &self.partial, &ctx, health, sink);
                self.partial.clear();
            }
        }
        if self.discarding {
            return;
        }
        self.partial.extend_from_slice(chunk);
        if self.partial.len() > MAX_LINE_BYTES {
            // Keep only the start, as the example shown in the source's health.
            self.discarding = true;
            self.partial.truncate(256);
            self.partial.shrink_to_fit();
        }
    }
}

fn handle_line(
    parser: &mut LineParser,
    line: &[u8],
    ctx: &LineContext,
    health: &mut SourceHealth,
    sink: &mut dyn FnMut(Event),
) {
    let parsed = parser.parse(line, ctx);
    health.count(line, &parsed);
    if let Parsed::Event(event) = parsed {
        sink(*event);
    }
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
