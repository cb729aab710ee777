//! Turning the paths a user typed (files, folders, globs, `~`, `-`) into files to read, and
//! finding the agents' default log folders and databases when no path is given (a path
//! that names a database is polled instead: [`super::db::locate`]).

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
        walk.files.sort_by_cached_key(|p| super::walk::order_key(p));
        Ok(walk)
    }
}

/// Whether a file in a folder is read: by its extension, or as a legacy Gemini CLI
/// session document where Gemini CLI keeps those (no other `.json` file).
fn is_log_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| LOG_EXTENSIONS.iter().any(|x| e == *x))
        || super::gemini::is_legacy_session(path)
}

/// Where the coding agents write their logs by default, for this home and these
/// environment values (`env` looks one up): Claude Code (`CLAUDE_CONFIG_DIR`, which may
/// list several roots, comma-separated), Codex (`CODEX_HOME`), Gemini CLI
/// (`GEMINI_CLI_HOME`, the home its `.gemini` is in) and Qwen Code (`QWEN_RUNTIME_DIR`,
/// which replaces `~/.qwen`).
pub fn default_locations(
    home: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<PathBuf> {
    let mut places = Vec::new();
    if let Some(dirs) = env("CLAUDE_CONFIG_DIR") {
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
    // Each agent's override replaces its place under the home.
    let agents: [(&str, &str, &str); 3] = [
        ("CODEX_HOME", ".codex", "sessions"),
        ("GEMINI_CLI_HOME", ".gemini", "tmp"),
        ("QWEN_RUNTIME_DIR", ".qwen", "projects"),
    ];
    for (var, dir, logs) in agents {
        let root = match (env(var).filter(|v| !v.trim().is_empty()), home) {
            // `GEMINI_CLI_HOME` stands for the home, not for `.gemini`.
            (Some(v), _) if var == "GEMINI_CLI_HOME" => PathBuf::from(v).join(dir),
            (Some(v), _) => PathBuf::from(v),
            (None, Some(home)) => home.join(dir),
            (None, None) => continue,
        };
        places.push(root.join(logs));
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

/// The default locations of this machine that exist, or an error naming the ones checked:
/// the log folders (and Copilot's OpenTelemetry file), and the folders (or file) of the
/// agents' databases that hold one.
pub fn default_specs() -> Result<Vec<SourceSpec>, String> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let var = |name: &str| std::env::var(name).ok();
    let mut places = default_locations(home.as_deref(), &var);
    places.extend(agent_locations(home.as_deref(), &var));
    // Copilot's OpenTelemetry file may sit inside its `otel` folder, read already.
    let all = places.clone();
    places.retain(|p| !all.iter().any(|d| d != p && p.starts_with(d)));
    let databases = super::db::default_locations(
        home.as_deref(),
        var("XDG_DATA_HOME").as_deref(),
        var("OPENCODE_DB").as_deref(),
        var("GOOSE_PATH_ROOT").as_deref(),
    );
    let logs = places.iter().filter(|p| p.is_dir() || p.is_file()).cloned();
    let stores = databases.iter().filter(|p| {
        let spec = SourceSpec::Path(p.to_path_buf());
        super::db::locate(&spec).is_some_and(|db| db.is_file())
    });
    let found: Vec<SourceSpec> = logs.chain(stores.cloned()).map(SourceSpec::Path).collect();
    if found.is_empty() {
        let checked: Vec<String> = places
            .iter()
            .chain(&databases)
            .map(|p| p.display().to_string())
            .collect();
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

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |var| {
            pairs
                .iter()
                .find(|(k, _)| *k == var)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn default_places_follow_the_environment() {
        let home = Path::new("/home/ana");
        let places = default_locations(Some(home), &env(&[("CLAUDE_CONFIG_DIR", "/a, /b")]));
        let want: Vec<PathBuf> = [
            "/a/projects",
            "/b/projects",
            "/home/ana/.config/claude/projects",
            "/home/ana/.claude/projects",
            "/home/ana/.codex/sessions",
            "/home/ana/.gemini/tmp",
            "/home/ana/.qwen/projects",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(places, want);
        let overrides = env(&[
            ("CODEX_HOME", "/opt/codex"),
            ("GEMINI_CLI_HOME", "/opt/g"),
            ("QWEN_RUNTIME_DIR", "/opt/q"),
        ]);
        let places = default_locations(Some(home), &overrides);
        let tail: Vec<PathBuf> = [
            "/opt/codex/sessions",
            "/opt/g/.gemini/tmp",
            "/opt/q/projects",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(places[2..], tail[..]);
    }

    #[test]
    fn a_folder_walk_takes_gemini_documents_and_no_other_json() {
        assert!(is_log_file(Path::new(
            "/h/.gemini/tmp/p/chats/session-2025-08-19T10-00-8f0c2a1e.json"
        )));
        assert!(is_log_file(Path::new("/h/.qwen/projects/p/chats/s.jsonl")));
        assert!(!is_log_file(Path::new("/h/.gemini/tmp/p/logs.json")));
        assert!(!is_log_file(Path::new("/h/.gemini/projects.json")));
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
