//! Turning the paths a user typed (files, folders, globs, `~`, `-`) into files to read, and
//! finding the agents' default log folders when no path is given.

use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::walk::{self, Walk};

/// File extensions read from folders (a file named explicitly is read whatever its name).
const LOG_EXTENSIONS: [&str; 2] = ["jsonl", "ndjson"];

/// One path argument, as typed. Whether a path is a file or a folder is decided at each
/// scan, so a folder that appears later is followed too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    Path(PathBuf),
    Glob(String),
    /// `-`: standard input.
    Stdin,
    /// A FIFO or a device (`<(cmd)` is one): read once as a stream until it ends, as stdin.
    Stream(PathBuf),
}

fn expand_home(arg: &str) -> String {
    match (arg.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest).to_string_lossy().into_owned(),
        _ => arg.to_string(),
    }
}

impl SourceSpec {
    pub fn parse(arg: &str) -> Self {
        if arg == "-" {
            return SourceSpec::Stdin;
        }
        let arg = expand_home(arg);
        if arg.contains(['*', '?', '[']) {
            return SourceSpec::Glob(arg);
        }
        let path = PathBuf::from(arg);
        match std::fs::metadata(&path).map(|m| m.file_type()) {
            Ok(kind) if kind.is_fifo() || kind.is_char_device() || kind.is_socket() => {
                SourceSpec::Stream(path)
            }
            _ => SourceSpec::Path(path),
        }
    }

    /// Whether it is read once as a stream (stdin, a FIFO) rather than followed as files.
    pub fn is_stream(&self) -> bool {
        matches!(self, SourceSpec::Stdin | SourceSpec::Stream(_))
    }

    pub fn label(&self) -> String {
        match self {
            SourceSpec::Path(p) | SourceSpec::Stream(p) => p.display().to_string(),
            SourceSpec::Glob(g) => g.clone(),
            SourceSpec::Stdin => "stdin".to_string(),
        }
    }

    /// The folder to watch for changes now, and whether to watch below it; `None` while
    /// nothing to watch exists yet.
    pub fn watch_root(&self) -> Option<(PathBuf, bool)> {
        match self {
            SourceSpec::Path(p) if p.is_dir() => Some((p.clone(), true)),
            SourceSpec::Path(p) => p
                .parent()
                .filter(|d| d.is_dir())
                .map(|d| (d.to_path_buf(), false)),
            SourceSpec::Glob(g) => {
                let literal: PathBuf = Path::new(g)
                    .components()
                    .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                    .collect();
                literal.is_dir().then_some((literal, true))
            }
            SourceSpec::Stdin | SourceSpec::Stream(_) => None,
        }
    }

    /// The files this spec names now, sorted, and what could not be read on the way.
    pub fn files(&self) -> io::Result<Walk> {
        let mut walk = match self {
            SourceSpec::Path(p) if p.is_dir() => walk::folder(p, &is_log_file),
            SourceSpec::Path(p) => {
                std::fs::metadata(p)?;
                Walk {
                    files: vec![p.clone()],
                    ..Walk::default()
                }
            }
            SourceSpec::Glob(g) => walk::glob(g)?,
            SourceSpec::Stdin | SourceSpec::Stream(_) => Walk::default(),
        };
        walk.files.sort();
        Ok(walk)
    }
}

/// Whether a file in a folder is read: by its extension.
fn is_log_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| LOG_EXTENSIONS.iter().any(|x| e == *x))
}

/// Where Claude Code and Codex write their logs by default, for these environment values
/// (`CLAUDE_CONFIG_DIR` may list several roots, comma-separated).
pub fn default_locations(
    home: Option<&Path>,
    claude_config_dir: Option<&str>,
    codex_home: Option<&str>,
) -> Vec<PathBuf> {
    let mut places = Vec::new();
    if let Some(dirs) = claude_config_dir {
        places.extend(
            dirs.split(',')
                .filter(|d| !d.trim().is_empty())
                .map(|d| PathBuf::from(d.trim()).join("projects")),
        );
    }
    if let Some(home) = home {
        places.push(home.join(".config/claude/projects"));
        places.push(home.join(".claude/projects"));
    }
    match (codex_home, home) {
        (Some(codex), _) => places.push(PathBuf::from(codex).join("sessions")),
        (None, Some(home)) => places.push(home.join(".codex/sessions")),
        (None, None) => {}
    }
    places
}

/// Where Kimi CLI, pi and GitHub Copilot CLI write their logs by default, for the
/// environment `env` gives: each agent's own variable moves its folder (`KIMI_SHARE_DIR`,
/// `PI_CODING_AGENT_DIR`, `COPILOT_HOME`), and `COPILOT_OTEL_FILE_EXPORTER_PATH` names
/// Copilot's OpenTelemetry file wherever it is.
pub fn agent_locations(home: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let var = |name: &str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(PathBuf::from)
    };
    let under_home = |rest: &str| home.map(|h| h.join(rest));
    let mut places = Vec::new();
    if let Some(kimi) = var("KIMI_SHARE_DIR").or_else(|| under_home(".kimi")) {
        places.push(kimi.join("sessions"));
    }
    if let Some(pi) = var("PI_CODING_AGENT_DIR").or_else(|| under_home(".pi/agent")) {
        places.push(pi.join("sessions"));
    }
    if let Some(copilot) = var("COPILOT_HOME").or_else(|| under_home(".copilot")) {
        places.push(copilot.join("otel"));
        places.push(copilot.join("session-state"));
    }
    places.extend(var("COPILOT_OTEL_FILE_EXPORTER_PATH"));
    places
}

/// The default locations of this machine that exist, or an error naming the ones checked.
pub fn default_specs() -> Result<Vec<SourceSpec>, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let claude = std::env::var("CLAUDE_CONFIG_DIR").ok();
    let codex = std::env::var("CODEX_HOME").ok();
    let mut places = default_locations(home.as_deref(), claude.as_deref(), codex.as_deref());
    places.extend(agent_locations(home.as_deref(), &|name| {
        std::env::var(name).ok()
    }));
    // Copilot's OpenTelemetry file may sit inside its `otel` folder, read already.
    let all = places.clone();
    places.retain(|p| !all.iter().any(|d| d != p && p.starts_with(d)));
    let found: Vec<SourceSpec> = places
        .iter()
        .filter(|p| p.is_dir() || p.is_file())
        .map(|p| SourceSpec::Path(p.clone()))
        .collect();
    if found.is_empty() {
        let checked: Vec<String> = places.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "no usage logs in the default places ({}): give files or folders, e.g. `tokentop /var/log/llm/` or `tokentop usage.jsonl`, pipe lines in with `-`, or try `tokentop --demo`",
            checked.join(", ")
        ));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_places_follow_the_environment() {
        let home = Path::new("/home/ana");
        let places = default_locations(Some(home), Some("/a, /b"), None);
        let want: Vec<PathBuf> = [
            "/a/projects",
            "/b/projects",
            "/home/ana/.config/claude/projects",
            "/home/ana/.claude/projects",
            "/home/ana/.codex/sessions",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(places, want);
        let places = default_locations(Some(home), None, Some("/opt/codex"));
        assert_eq!(places.last(), Some(&PathBuf::from("/opt/codex/sessions")));
    }

    #[test]
    fn agent_places_follow_their_variables() {
        let home = Path::new("/home/ana");
        let none = |_: &str| None;
        let want: Vec<PathBuf> = [
            "/home/ana/.kimi/sessions",
            "/home/ana/.pi/agent/sessions",
            "/home/ana/.copilot/otel",
            "/home/ana/.copilot/session-state",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(agent_locations(Some(home), &none), want);
        let set = |name: &str| match name {
            "KIMI_SHARE_DIR" => Some("/k".to_string()),
            "PI_CODING_AGENT_DIR" => Some("/p".to_string()),
            "COPILOT_HOME" => Some("/c".to_string()),
            "COPILOT_OTEL_FILE_EXPORTER_PATH" => Some("/t/otel.jsonl".to_string()),
            _ => None,
        };
        let want: Vec<PathBuf> = [
            "/k/sessions",
            "/p/sessions",
            "/c/otel",
            "/c/session-state",
            "/t/otel.jsonl",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(agent_locations(Some(home), &set), want);
        assert!(agent_locations(None, &none).is_empty());
    }

    #[test]
    fn arguments_are_classified() {
        assert_eq!(SourceSpec::parse("-"), SourceSpec::Stdin);
        assert!(matches!(
            SourceSpec::parse("logs/*.jsonl"),
            SourceSpec::Glob(_)
        ));
        assert_eq!(
            SourceSpec::parse("/x/y"),
            SourceSpec::Path(PathBuf::from("/x/y"))
        );
    }
}
