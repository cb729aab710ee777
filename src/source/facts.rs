//! What an agent keeps about a log file outside the file, read once when the file is
//! first opened and handed to its parser ([`FileFacts`]): the parsers do no file IO.
//!
//! Kimi CLI writes `<share>/sessions/<md5(work folder)>/<session>/wire.jsonl` (a
//! sub-agent's own log under `<session>/subagents/<agent>/wire.jsonl`); the work folder is
//! found by hashing each `path` that `<share>/kimi.json` lists, and the model is the one
//! `<share>/config.toml` (older builds: `config.json`) names as `default_model`.
//!
//! GitHub Copilot CLI writes `<home>/session-state/<session>/events.jsonl` (older builds:
//! `<home>/session-state/<session>.jsonl`), whose usage is a summary at shutdown; a
//! session whose id is in Copilot's OpenTelemetry export (`<home>/otel/*.jsonl`, or the
//! file `COPILOT_OTEL_FILE_EXPORTER_PATH` names) is counted from there, per call. That is
//! looked up when the file is opened and again before a shutdown is read, since the export
//! grows while the session runs.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use md5::{Digest, Md5};
use serde::Deserialize;

use crate::parse::FileFacts;

/// Files beside the logs are read only up to this size: they are small settings files.
const MAX_SIDE_FILE: u64 = 4 << 20;
/// The name Kimi CLI gives its local backend (folders of other backends carry a prefix).
const LOCAL_KAOS: &str = "local";

/// Bytes of an export file searched per read.
const SEARCH_CHUNK: usize = 1 << 20;

/// The facts about the log at `path`, if it is a file whose agent keeps some elsewhere.
pub fn file_facts(path: &Path) -> Option<FileFacts> {
    if let Some((home, session)) = copilot_events(path) {
        let exported = std::env::var_os("COPILOT_OTEL_FILE_EXPORTER_PATH").map(PathBuf::from);
        return Some(FileFacts {
            telemetry_covers: otel_names(&home, exported.as_deref(), session),
            session: Some(session.to_string()),
            ..FileFacts::default()
        });
    }
    let wire = kimi_wire(path)?;
    let share = wire.share;
    let project = read_side(&share.join("kimi.json"))
        .and_then(|text| kimi_work_dir(&text, wire.folder))
        // No record of the folder: its hash is all there is to tell projects apart.
        .or_else(|| Some(wire.folder.to_string()));
    let model = read_side(&share.join("config.toml"))
        .and_then(|text| kimi_model_toml(&text))
        .or_else(|| read_side(&share.join("config.json")).and_then(|t| kimi_model_json(&t)));
    Some(FileFacts {
        project,
        session: Some(wire.session.to_string()),
        model,
        subagent: wire.subagent.map(str::to_string),
        telemetry_covers: false,
    })
}

/// Whether the facts of the file at `path` are to be read again before `chunk` of it is
/// parsed: a Copilot session's shutdown is coming, and its export may have grown.
pub fn stale_before(path: &Path, chunk: &[u8]) -> bool {
    copilot_events(path).is_some() && memchr::memmem::find(chunk, b"\"session.shutdown\"").is_some()
}

/// Copilot's home folder and the session of a session-events file.
fn copilot_events(path: &Path) -> Option<(PathBuf, &str)> {
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

/// Whether the OpenTelemetry export (`<home>/otel/*.jsonl`, and `exported`) names
/// `session` (as a JSON string: the GenAI conversation id is the session's id).
fn otel_names(home: &Path, exported: Option<&Path>, session: &str) -> bool {
    if session.is_empty() {
        return false;
    }
    let needle = format!("\"{session}\"");
    let mut files: Vec<PathBuf> = std::fs::read_dir(home.join("otel"))
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    files.extend(exported.map(Path::to_path_buf));
    files.iter().any(|f| file_holds(f, needle.as_bytes()))
}

/// Whether the file at `path` holds `needle`, read a chunk at a time.
fn file_holds(path: &Path, needle: &[u8]) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = vec![0u8; SEARCH_CHUNK + needle.len()];
    let mut kept = 0;
    loop {
        let n = match file.read(&mut buf[kept..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let filled = kept + n;
        if finder.find(&buf[..filled]).is_some() {
            return true;
        }
        // Keep the tail that could start a match cut by the chunk's end.
        kept = (needle.len() - 1).min(filled);
        buf.copy_within(filled - kept..filled, 0);
    }
}

fn read_side(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SIDE_FILE {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Where a Kimi CLI wire log sits: its share folder and the names along the way.
#[derive(Debug, PartialEq)]
struct KimiWire<'a> {
    share: std::path::PathBuf,
    folder: &'a str,
    session: &'a str,
    subagent: Option<&'a str>,
}

/// `<share>/sessions/<folder>/<session>/wire.jsonl` or
/// `<share>/sessions/<folder>/<session>/subagents/<agent>/wire.jsonl`.
fn kimi_wire(path: &Path) -> Option<KimiWire<'_>> {
    if path.file_name()? != "wire.jsonl" {
        return None;
    }
    let names: Vec<&str> = path
        .parent()?
        .components()
        .map(|c| match c {
            Component::Normal(n) => n.to_str().unwrap_or("\u{0}"),
            _ => "\u{0}",
        })
        .collect();
    let (at, subagent) = match names.as_slice() {
        [.., "sessions", _, _, "subagents", agent] => (names.len() - 5, Some(*agent)),
        [.., "sessions", _, _] => (names.len() - 3, None),
        _ => return None,
    };
    let share: std::path::PathBuf = path.parent()?.components().take(at).collect();
    Some(KimiWire {
        share,
        folder: names[at + 1],
        session: names[at + 2],
        subagent,
    })
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    work_dirs: Vec<WorkDir>,
}

#[derive(Deserialize)]
struct WorkDir {
    path: String,
    kaos: Option<String>,
}

/// The work folder whose session folder is `folder`: `md5(path)` for the local backend,
/// `<kaos>_md5(path)` for others.
fn kimi_work_dir(metadata: &str, folder: &str) -> Option<String> {
    let meta: Metadata = serde_json::from_str(metadata).ok()?;
    meta.work_dirs.into_iter().find_map(|wd| {
        let hash = Md5::digest(wd.path.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let name = match wd.kaos.as_deref() {
            None | Some(LOCAL_KAOS) => hex,
            Some(kaos) => format!("{kaos}_{hex}"),
        };
        (name == folder).then_some(wd.path)
    })
}

/// The config's `default_model`, resolved through its `models` table to the model id sent
/// to the provider (`[models.<name>] model = "..."`), else the name itself. Only these two
/// keys are read: the file also holds API keys.
#[derive(Deserialize)]
struct Config {
    default_model: Option<String>,
    #[serde(default)]
    models: std::collections::HashMap<String, ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    model: Option<String>,
}

impl Config {
    fn model(mut self) -> Option<String> {
        let name = self.default_model.filter(|m| !m.is_empty())?;
        let id = self.models.remove(&name).and_then(|m| m.model);
        Some(id.filter(|m| !m.is_empty()).unwrap_or(name))
    }
}

fn kimi_model_toml(text: &str) -> Option<String> {
    toml::from_str::<Config>(text).ok()?.model()
}

/// The `config.json` of builds before the move to TOML: `default_model` too, or `model`.
fn kimi_model_json(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Old {
        model: Option<String>,
    }
    let config: Config = serde_json::from_str(text).ok()?;
    if let Some(model) = config.model() {
        return Some(model);
    }
    serde_json::from_str::<Old>(text).ok()?.model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copilot_session_files_are_placed_by_their_folders() {
        let (home, session) =
            copilot_events(Path::new("/h/.copilot/session-state/c0ffee12/events.jsonl"))
                .expect("a session's events");
        assert_eq!(
            (home.as_path(), session),
            (Path::new("/h/.copilot"), "c0ffee12")
        );
        let (_, session) = copilot_events(Path::new("/h/.copilot/session-state/abcd.jsonl"))
            .expect("a legacy session file");
        assert_eq!(session, "abcd");
        assert_eq!(copilot_events(Path::new("/h/.copilot/otel/a.jsonl")), None);
        assert!(stale_before(
            Path::new("/h/.copilot/session-state/c/events.jsonl"),
            br#"{"type":"session.shutdown"}"#
        ));
        assert!(!stale_before(
            Path::new("/h/.copilot/otel/a.jsonl"),
            br#"{"type":"session.shutdown"}"#
        ));
    }

    #[test]
    fn a_session_is_covered_when_the_export_names_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let otel = dir.path().join("otel");
        std::fs::create_dir_all(&otel).expect("mkdir");
        // Past one search chunk, so that the id is found across a chunk's end too.
        let mut text = "x".repeat(SEARCH_CHUNK - 5);
        text.push_str(r#""gen_ai.conversation.id":"c0ffee12""#);
        std::fs::write(otel.join("a.jsonl"), &text).expect("write");
        assert!(otel_names(dir.path(), None, "c0ffee12"));
        assert!(!otel_names(dir.path(), None, "c0ffee1"));
        let elsewhere = dir.path().join("named.jsonl");
        std::fs::write(&elsewhere, r#"{"x":"feed"}"#).expect("write");
        assert!(otel_names(dir.path(), Some(&elsewhere), "feed"));
        assert!(!otel_names(Path::new("/nowhere"), None, "feed"));
    }

    #[test]
    fn wire_logs_are_placed_by_their_folders() {
        let p = Path::new("/h/.kimi/sessions/abc/s1/wire.jsonl");
        let w = kimi_wire(p).expect("a wire log");
        assert_eq!(w.share, Path::new("/h/.kimi"));
        assert_eq!((w.folder, w.session, w.subagent), ("abc", "s1", None));
        let p = Path::new("/h/.kimi/sessions/abc/s1/subagents/a7/wire.jsonl");
        let w = kimi_wire(p).expect("a sub-agent's wire log");
        assert_eq!((w.folder, w.session, w.subagent), ("abc", "s1", Some("a7")));
        assert_eq!(
            kimi_wire(Path::new("/h/.kimi/sessions/abc/wire.jsonl")),
            None
        );
        assert_eq!(
            kimi_wire(Path::new("/h/.kimi/sessions/abc/s1/context.jsonl")),
            None
        );
        assert_eq!(kimi_wire(Path::new("/h/logs/abc/s1/wire.jsonl")), None);
    }

    #[test]
    fn the_work_folder_is_the_path_whose_md5_names_the_folder() {
        // The other entries: another folder, and a folder of another backend.
        let meta = r#"{"work_dirs":[{"path":"/tmp/x","kaos":"local"},{"path":"/home/ana/proj","kaos":"local","last_session_id":"s1"},{"path":"/srv/app","kaos":"ssh"}]}"#;
        let hex = |p: &str| -> String {
            Md5::digest(p.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let folder = hex("/home/ana/proj");
        assert_eq!(
            kimi_work_dir(meta, &folder).as_deref(),
            Some("/home/ana/proj")
        );
        let remote = format!("ssh_{}", hex("/srv/app"));
        assert_eq!(kimi_work_dir(meta, &remote).as_deref(), Some("/srv/app"));
        assert_eq!(kimi_work_dir(meta, &hex("/elsewhere")), None);
        assert_eq!(kimi_work_dir("not json", &folder), None);
    }

    #[test]
    fn md5_is_the_digest_kimi_uses() {
        // Python: hashlib.md5(b"/home/ana/proj").hexdigest()
        let hex: String = Md5::digest(b"/home/ana/proj")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "e05bc5d0d79f7ba24a515f475a529bae");
    }

    #[test]
    fn the_model_is_the_default_models_id() {
        let toml = "default_model = \"k2\"\n[providers.p]\napi_key = \"sk-x\"\n[models.k2]\nprovider = \"p\"\nmodel = \"kimi-k2-0905-preview\"\n";
        assert_eq!(
            kimi_model_toml(toml).as_deref(),
            Some("kimi-k2-0905-preview")
        );
        let bare = "default_model = \"kimi-for-coding\"\n";
        assert_eq!(kimi_model_toml(bare).as_deref(), Some("kimi-for-coding"));
        assert_eq!(kimi_model_toml("default_model = \"\"\n"), None);
        let old = r#"{"default_model":"k2","models":{"k2":{"model":"kimi-k2"}}}"#;
        assert_eq!(kimi_model_json(old).as_deref(), Some("kimi-k2"));
        assert_eq!(
            kimi_model_json(r#"{"model":"kimi-latest"}"#).as_deref(),
            Some("kimi-latest")
        );
    }
}
