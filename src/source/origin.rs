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
use super::gemini;
use super::tail::project_dir;
use crate::event::{DedupKey, Event, Origin, SourceId, TimeMs, line_hash};
use crate::parse::{self, LineContext, LineParser, MAX_LINE_BYTES, Parsed};

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
    /// A whole document's messages (a legacy Gemini CLI session), for
    /// [`Record::for_event`] to narrow the record to one; empty for a line.
    pub messages: Vec<Message>,
}

/// One message of a whole document, by the key its event carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub key: DedupKey,
    /// The message's JSON text, at most [`MAX_RAW_BYTES`].
    pub raw: String,
    pub truncated: bool,
}

impl Record {
    /// The record as the popup of the event keyed `key` shows it: a document's message
    /// of that key alone, with its events; a line (or a message not found) as it is.
    pub fn for_event(mut self, key: Option<DedupKey>) -> Record {
        let Some(at) = key.and_then(|key| self.messages.iter().position(|m| m.key == key)) else {
            return self;
        };
        let message = self.messages.swap_remove(at);
        self.raw = message.raw;
        self.truncated = message.truncated;
        self.events.retain(|e| e.dedup_key == key);
        self.messages = Vec::new();
        self
    }
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
        let (name, path, line) = match source {
            OriginSource::File(path) => {
                let name = path.display().to_string();
                let line = if gemini::is_session_document(&path) {
                    read_document(&path)
                } else {
                    read_file_line(&path, origin.offset)
                };
                let line = line.map_err(|e| file_error(&name, &e))?;
                (name, Some(path), line)
            }
            OriginSource::Embedded { name, bytes } => {
                let rest = usize::try_from(origin.offset)
                    .ok()
                    .and_then(|at| bytes.get(at..))
                    .unwrap_or_default();
                let line = read_line(rest).map_err(|e| format!("{name}: {e}"))?;
                (name.to_string(), None, line)
            }
        };
        match line {
            Some(line) if line_hash(&line) == origin.line_hash => {
                Ok(record(&line, &name, path.as_deref(), time))
            }
            _ if path.as_deref().is_some_and(gemini::is_session_document) => Err(format!(
                "{name} was rewritten since this event was read (Gemini CLI rewrites a session document whole on every update): the event stays counted; open the file to see its messages now"
            )),
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

/// A legacy Gemini CLI session document, whole and as one line (as the reader hashed it):
/// its events all point at byte 0. `None` past [`MAX_LINE_BYTES`].
fn read_document(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let mut document = Vec::new();
    File::open(path)?
        .take(MAX_LINE_BYTES as u64 + 1)
        .read_to_end(&mut document)?;
    if document.len() > MAX_LINE_BYTES {
        return Ok(None);
    }
    gemini::as_one_line(&mut document);
    Ok(Some(document))
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

/// Text for people: lossily decoded, at most [`MAX_RAW_BYTES`], and whether it was cut.
fn shown(bytes: &[u8]) -> (String, bool) {
    let mut raw = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_RAW_BYTES)]).into_owned();
    // Invalid bytes grow into U+FFFD (3 bytes each) when decoded: cut again on a char.
    let mut cut = raw.len().min(MAX_RAW_BYTES);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let truncated = bytes.len() > MAX_RAW_BYTES || cut < raw.len();
    raw.truncate(cut);
    (raw, truncated)
}

/// The line cut to [`MAX_RAW_BYTES`] of text, and re-parsed whole with what the reader
/// knew of its file (`path`; `None` for a recording): a legacy Gemini CLI document also
/// gives its messages apart.
fn record(line: &[u8], name: &str, path: Option<&Path>, time: TimeMs) -> Record {
    let (raw, truncated) = shown(line);
    let project = project_dir(Path::new(name));
    let facts = file_facts(Path::new(name), &mut ExportIndex::default());
    let root = path.and_then(gemini::project_root);
    let ctx = LineContext {
        project_dir: project.as_deref(),
        project_root: root.as_deref(),
        facts: facts.as_ref(),
        read_time: time,
    };
    let events = match LineParser::default().parse(line, &ctx) {
        Parsed::Event(event) => vec![*event],
        Parsed::Records(records) => records.events,
        Parsed::NoUsage | Parsed::Rejected(_) => Vec::new(),
    };
    let messages = match path {
        Some(path) if gemini::is_session_document(path) => {
            let text = String::from_utf8_lossy(line);
            parse::gemini::messages_by_key(&text)
                .into_iter()
                .map(|(key, message)| {
                    let (raw, truncated) = shown(message.as_bytes());
                    Message {
                        key,
                        raw,
                        truncated,
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Record {
        source: name.to_string(),
        raw,
        truncated,
        events,
        messages,
    }
}

#[cfg(test)]
#[path = "origin_tests.rs"]
mod tests;
