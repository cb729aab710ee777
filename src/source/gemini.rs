//! What the Gemini CLI folder layout says about a file (IO only): whether it is a legacy
//! whole-document session, and which project it belongs to.
//!
//! Layout: `<home>/.gemini/tmp/<project>/chats/session-*.jsonl` (subagents one folder
//! deeper), legacy `session-*.json` beside them; `<project>` is a slug that
//! `<home>/.gemini/projects.json` (`{"projects": {"/abs/root": "slug"}}`) maps from the
//! project's root, and the folder holds that root in a `.project_root` file too.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// A legacy session document by its name (`session-<time>-<id>.json`), wherever it is: a
/// file named this way is read whole on every change, not line by line.
pub fn is_session_document(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("session-") && n.ends_with(".json"))
}

/// A legacy session document where Gemini CLI keeps them (`.gemini/tmp/<project>/chats/`):
/// the only `.json` files a folder walk takes.
pub fn is_legacy_session(path: &Path) -> bool {
    let names: Vec<&str> = path
        .ancestors()
        .skip(1)
        .take(4)
        .map(|a| a.file_name().and_then(|n| n.to_str()).unwrap_or(""))
        .collect();
    is_session_document(path) && names.len() == 4 && {
        let [chats, _project, tmp, root] = [names[0], names[1], names[2], names[3]];
        chats == "chats" && tmp == "tmp" && root == ".gemini"
    }
}

/// Makes a legacy session document one line, as it is read and as its origin is hashed:
/// its line breaks are JSON whitespace, read as blanks.
pub fn as_one_line(document: &mut [u8]) {
    for byte in document.iter_mut() {
        if matches!(*byte, b'\n' | b'\r') {
            *byte = b' ';
        }
    }
}

#[derive(Deserialize)]
struct Registry {
    #[serde(default)]
    projects: HashMap<String, String>,
}

/// The root of the project a session file belongs to: its project folder's `.project_root`
/// marker, else the root `projects.json` maps to the folder's name; `None` outside the
/// layout, or for an older folder named by a hash that neither file names.
pub fn project_root(path: &Path) -> Option<String> {
    let chats = path
        .ancestors()
        .skip(1)
        .find(|a| a.file_name().is_some_and(|n| n == "chats"))?;
    let project = chats.parent()?;
    let tmp = project.parent()?;
    if tmp.file_name().is_none_or(|n| n != "tmp") {
        return None;
    }
    if let Ok(marker) = std::fs::read_to_string(project.join(".project_root")) {
        let root = marker.trim();
        if !root.is_empty() {
            return Some(root.to_string());
        }
    }
    let slug = project.file_name()?.to_str()?;
    let registry = std::fs::read(tmp.parent()?.join("projects.json")).ok()?;
    let registry: Registry = serde_json::from_slice(&registry).ok()?;
    registry
        .projects
        .into_iter()
        .filter(|(_, s)| s == slug)
        .map(|(root, _)| root)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_documents_are_taken_only_in_the_layout() {
        let yes = Path::new("/h/.gemini/tmp/proj/chats/session-2025-08-19T10-00-8f0c2a1e.json");
        assert!(is_legacy_session(yes));
        for no in [
            "/h/.gemini/tmp/proj/chats/session-x.jsonl",
            "/h/.gemini/tmp/proj/chats/logs.json",
            "/h/.gemini/tmp/proj/session-x.json",
            "/h/other/tmp/proj/chats/session-x.json",
            "/h/.gemini/settings.json",
        ] {
            assert!(!is_legacy_session(Path::new(no)), "{no}");
        }
        assert!(is_session_document(Path::new("/anywhere/session-x.json")));
    }

    #[test]
    fn the_project_comes_from_the_marker_then_the_registry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gemini = dir.path().join(".gemini");
        let chats = gemini.join("tmp/proj/chats");
        std::fs::create_dir_all(chats.join("parent")).expect("mkdir");
        let file = chats.join("session-a.jsonl");
        let sub = chats.join("parent/child.jsonl");
        assert_eq!(project_root(&file), None);
        std::fs::write(
            gemini.join("projects.json"),
            r#"{"projects":{"/home/ana/proj":"proj","/home/ana/other":"other"}}"#,
        )
        .expect("write");
        assert_eq!(project_root(&file).as_deref(), Some("/home/ana/proj"));
        assert_eq!(project_root(&sub).as_deref(), Some("/home/ana/proj"));
        std::fs::write(gemini.join("tmp/proj/.project_root"), "/srv/proj\n").expect("write");
        assert_eq!(project_root(&file).as_deref(), Some("/srv/proj"));
        assert_eq!(project_root(Path::new("/x/chats/a.jsonl")), None);
    }
}
