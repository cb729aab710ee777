//! What an agent keeps about a log file outside the file, read once when the file is
//! first opened and handed to its parser ([`FileFacts`]): the parsers do no file IO.
//!
//! Kimi CLI writes `<share>/sessions/<md5(work folder)>/<session>/wire.jsonl` (a
//! sub-agent's own log under `<session>/subagents/<agent>/wire.jsonl`); the work folder is
//! found by hashing each `path` that `<share>/kimi.json` lists, and the model is the one
//! `<share>/config.toml` (older builds: `config.json`) names as `default_model`.
//!
//! GitHub Copilot CLI writes `<home>/session-state/<session>/events.jsonl` (older builds:
//! `<home>/session-state/<session>.jsonl`), whose usage is a summary at shutdown; the
//! times at which Copilot's OpenTelemetry export holds usage of the session are looked up
//! in the export's index ([`ExportIndex`]) when the file is opened, again before a
//! shutdown is read, and after a poll while a counted segment may still show up there,
//! since the export grows while the session runs and its last batch comes after it.

use std::path::{Component, Path};

use md5::{Digest, Md5};
use serde::Deserialize;

use super::copilot_export::{ExportIndex, session_file};
use crate::parse::FileFacts;

/// Files beside the logs are read only up to this size: they are small settings files.
const MAX_SIDE_FILE: u64 = 4 << 20;
/// The name Kimi CLI gives its local backend (folders of other backends carry a prefix).
const LOCAL_KAOS: &str = "local";

/// The facts about the log at `path`, if it is a file whose agent keeps some elsewhere;
/// `exports` is the index of Copilot's export.
pub fn file_facts(path: &Path, exports: &mut ExportIndex) -> Option<FileFacts> {
    if let Some((home, session)) = session_file(path) {
        return Some(FileFacts {
            exported: exports.times(&home, session).to_vec(),
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
        exported: Vec::new(),
    })
}

/// Whether the facts of the file at `path` are to be read again before `chunk` of it is
/// parsed: a Copilot session's shutdown is coming, and its export may have grown.
pub fn stale_before(path: &Path, chunk: &[u8]) -> bool {
    session_file(path).is_some() && memchr::memmem::find(chunk, b"\"session.shutdown\"").is_some()
}

/// How many usage times of the Copilot session file at `path` its export holds now, if
/// it is one: a count that moved means its facts are to be read again.
pub fn exported_count(path: &Path, exports: &mut ExportIndex) -> Option<usize> {
    let (home, session) = session_file(path)?;
    Some(exports.times(&home, session).len())
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
    fn a_shutdown_makes_a_session_files_facts_stale() {
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
