//! Where an incident report goes: `incident-<identity>-<start>.md` and `.json` in a folder,
//! the identity made safe as a file name and the start as `20260101T1200Z` (UTC).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Incident;
use crate::event::TimeMs;

/// Characters of the identity kept in a file name; a longer one is cut and given a hash
/// of the whole, so that two long names do not meet in one file.
const MAX_NAME_CHARS: usize = 80;

/// `incident-<identity>-<start>`: letters, digits, `.`, `_` and `-` of the identity kept,
/// anything else (`/`, spaces, `:`) as `_`, no dash or dot at its ends (a Claude Code
/// folder's `-mnt-c-app` gives `mnt-c-app`), at most [`MAX_NAME_CHARS`].
pub fn file_stem(identity: &str, start: TimeMs) -> String {
    let safe: String = identity
        .chars()
        .map(|c| match c {
            c if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') => c,
            _ => '_',
        })
        .collect();
    let trimmed = safe.trim_matches(|c| c == '-' || c == '.');
    let name = match trimmed.chars().count() {
        0 => "identity".to_string(),
        n if n > MAX_NAME_CHARS => {
            let cut: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
            let hash = crate::event::line_hash(identity.as_bytes());
            format!("{cut}~{hash:08x}")
        }
        _ => trimmed.to_string(),
    };
    let stamp = jiff::Timestamp::from_millisecond(start)
        .map(|t| t.strftime("%Y%m%dT%H%MZ").to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    format!("incident-{name}-{stamp}")
}

/// Writes the report's Markdown and JSON into `dir` (created if missing) and returns
/// their paths.
pub fn write_files(incident: &Incident, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create the folder {} for the report: give a folder you can write to (incident --out, the monitor's --incident-dir)",
            dir.display()
        )
    })?;
    let stem = file_stem(&incident.identity, incident.window.0);
    let md = dir.join(format!("{stem}.md"));
    let json = dir.join(format!("{stem}.json"));
    for (path, text) in [
        (&md, incident.to_markdown()),
        (&json, incident.to_json()? + "\n"),
    ] {
        std::fs::write(path, text).with_context(|| {
            format!(
                "cannot write {}: give a folder you can write to (incident --out, the monitor's --incident-dir)",
                path.display()
            )
        })?;
    }
    Ok((md, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T12:00:00Z.
    const NOON: TimeMs = 1_767_268_800_000;

    #[test]
    fn names_are_safe_readable_and_bounded() {
        assert_eq!(
            file_stem("-mnt-c-python-cctrace", NOON + 59_999),
            "incident-mnt-c-python-cctrace-20260101T1200Z"
        );
        assert_eq!(
            file_stem("team/web (prod)", NOON),
            "incident-team_web__prod_-20260101T1200Z"
        );
        assert_eq!(file_stem("../..", NOON), "incident-_-20260101T1200Z");
        assert_eq!(file_stem("--", NOON), "incident-identity-20260101T1200Z");
        assert_eq!(file_stem("café", NOON), "incident-café-20260101T1200Z");
        let long = "a".repeat(300);
        let stem = file_stem(&long, NOON);
        assert!(
            stem.starts_with(&format!("incident-{}~", "a".repeat(80))),
            "{stem}"
        );
        assert_ne!(stem, file_stem(&format!("{long}b"), NOON));
        assert!(!stem.contains('/'));
    }
}
