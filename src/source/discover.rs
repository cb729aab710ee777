//! Turning the paths a user typed (files, folders, globs, `~`) into files to read.

use std::io;
use std::path::{Path, PathBuf};

/// File extensions read from folders (a file named explicitly is read whatever its name).
const LOG_EXTENSIONS: [&str; 2] = ["jsonl", "ndjson"];

/// One path argument, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    File(PathBuf),
    Dir(PathBuf),
    Glob(String),
}

fn expand_home(arg: &str) -> String {
    match (arg.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest).to_string_lossy().into_owned(),
        _ => arg.to_string(),
    }
}

impl SourceSpec {
    pub fn parse(arg: &str) -> Self {
        let arg = expand_home(arg);
        if arg.contains(['*', '?', '[']) {
            SourceSpec::Glob(arg)
        } else if Path::new(&arg).is_dir() {
            SourceSpec::Dir(PathBuf::from(arg))
        } else {
            SourceSpec::File(PathBuf::from(arg))
        }
    }

    pub fn label(&self) -> String {
        match self {
            SourceSpec::File(p) | SourceSpec::Dir(p) => p.display().to_string(),
            SourceSpec::Glob(g) => g.clone(),
        }
    }

    /// The folder to watch for changes, and whether to watch below it.
    pub fn watch_root(&self) -> Option<(PathBuf, bool)> {
        match self {
            SourceSpec::File(p) => p.parent().map(|d| (d.to_path_buf(), false)),
            SourceSpec::Dir(p) => Some((p.clone(), true)),
            SourceSpec::Glob(g) => {
                let literal: PathBuf = Path::new(g)
                    .components()
                    .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
                    .collect();
                Some((literal, true))
            }
        }
    }

    /// The files this spec names now, sorted.
    pub fn files(&self) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        match self {
            SourceSpec::File(p) => {
                std::fs::metadata(p)?;
                files.push(p.clone());
            }
            SourceSpec::Dir(p) => walk(p, &mut files)?,
            SourceSpec::Glob(g) => {
                let paths = glob::glob(g).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("bad glob pattern: {e}"),
                    )
                })?;
                files.extend(paths.flatten().filter(|p| p.is_file()));
            }
        }
        files.sort();
        Ok(files)
    }
}

/// Log files below `dir`, not following symlinked folders (no loops).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            // A folder that vanished or cannot be read mid-walk is skipped, not fatal.
            let _ = walk(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| LOG_EXTENSIONS.iter().any(|x| e == *x))
        {
            out.push(path);
        }
    }
    Ok(())
}
