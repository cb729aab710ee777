//! Walking folders and globs ourselves: symlinked folders are followed and each folder
//! (device, inode) is entered once, so a symlink loop (`ln -s .. a/up`) ends; folders and
//! files that cannot be read are reported, never skipped in silence.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::tail::{FileId, file_id};

/// What a walk found: files to read, and what could not be read on the way.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// One line per folder or file that could not be read: the path and why.
    pub errors: Vec<String>,
    /// Those paths: what is below them was not seen, which does not mean it is gone.
    pub unseen: Vec<PathBuf>,
}

impl Walk {
    fn error(&mut self, path: &Path, e: &io::Error) {
        self.errors.push(format!("{}: {e}", path.display()));
        self.unseen.push(path.to_path_buf());
    }

    /// Whether the walk could not look at `path` (it or a folder above it failed).
    pub fn missed(&self, path: &Path) -> bool {
        self.unseen.iter().any(|p| path.starts_with(p))
    }

    /// A path whose name is in scope: a file to read; a symlink that points nowhere is an
    /// error (a file that vanished since its folder was listed is not).
    fn file(&mut self, path: PathBuf) {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => self.files.push(path),
            Ok(_) => {}
            Err(e) if std::fs::symlink_metadata(&path).is_ok() => self.error(&path, &e),
            Err(_) => {}
        }
    }
}

/// The log files below `dir` whose names `wanted` accepts, following symlinked folders.
pub fn folder(dir: &Path, wanted: &dyn Fn(&Path) -> bool) -> Walk {
    let mut walk = Walk::default();
    let mut seen = HashSet::new();
    walk_folder(dir, wanted, &mut seen, &mut walk);
    walk
}

fn walk_folder(
    dir: &Path,
    wanted: &dyn Fn(&Path) -> bool,
    seen: &mut HashSet<FileId>,
    walk: &mut Walk,
) {
    let entries = match std::fs::metadata(dir).and_then(|meta| {
        let first = seen.insert(file_id(&meta));
        first.then(|| std::fs::read_dir(dir)).transpose()
    }) {
        Ok(Some(entries)) => entries,
        Ok(None) => return,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => return walk.error(dir, &e),
    };
    for entry in entries {
        // The entry's type comes with the listing: only symlinks cost a stat (thousands
        // of session files would otherwise cost one each).
        let (path, kind) = match entry.and_then(|e| Ok((e.path(), e.file_type()?))) {
            Ok(found) => found,
            Err(e) => {
                walk.error(dir, &e);
                continue;
            }
        };
        let is_dir = if kind.is_symlink() {
            path.is_dir()
        } else {
            kind.is_dir()
        };
        if is_dir {
            walk_folder(&path, wanted, seen, walk);
        } else if wanted(&path) && kind.is_file() {
            walk.files.push(path);
        } else if wanted(&path) {
            walk.file(path);
        }
    }
}

/// One component of a glob pattern.
enum Part {
    Literal(OsString),
    Pattern(glob::Pattern),
    /// `**`: any number of folders, none included.
    Any,
}

fn has_magic(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The files `pattern` matches (shell-style: `*`, `?`, `[...]` within a name, `**` for
/// any depth of folders). A pattern that cannot be read is an error.
pub fn glob(pattern: &str) -> io::Result<Walk> {
    let mut base = PathBuf::new();
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        let text = component.as_os_str().to_string_lossy();
        let part = match component {
            Component::Normal(_) if text == "**" => Part::Any,
            Component::Normal(_) if has_magic(&text) => {
                Part::Pattern(glob::Pattern::new(&text).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("bad glob pattern: {e}"),
                    )
                })?)
            }
            _ if parts.is_empty() => {
                base.push(component);
                continue;
            }
            _ => Part::Literal(component.as_os_str().to_owned()),
        };
        parts.push(part);
    }
    let mut walk = Walk::default();
    let mut seen = HashSet::new();
    walk_glob(&base, &parts, &mut seen, &mut walk);
    walk.files.sort_by_cached_key(|p| order_key(p));
    walk.files.dedup();
    Ok(walk)
}

/// A key that orders paths as `Path::cmp` does (component by component, each kind of
/// component before the next), compared as plain bytes: each component is its kind, its
/// bytes and a NUL, which no path holds. Sorting thousands of files by it spares walking
/// both paths' components at every comparison (a tenth of a large backfill's start).
pub fn order_key(path: &Path) -> Box<[u8]> {
    use std::os::unix::ffi::OsStrExt;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for component in path.components() {
        let kind = match component {
            Component::Prefix(_) => 1,
            Component::RootDir => 2,
            Component::CurDir => 3,
            Component::ParentDir => 4,
            Component::Normal(_) => 5,
        };
        key.push(kind);
        key.extend_from_slice(component.as_os_str().as_bytes());
        key.push(0);
    }
    key.into_boxed_slice()
}

/// Matches `parts` below `base`; `seen` holds the folders already walked by a `**` with
/// that many parts left, so a loop of symlinks is walked once.
fn walk_glob(base: &Path, parts: &[Part], seen: &mut HashSet<(FileId, usize)>, walk: &mut Walk) {
    let Some((part, rest)) = parts.split_first() else {
        return walk.file(base.to_path_buf());
    };
    if let Part::Literal(name) = part {
        return walk_glob(&base.join(name), rest, seen, walk);
    }
    let listed = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base
    };
    let entries = match std::fs::metadata(listed) {
        Ok(meta) if meta.is_dir() => {
            if matches!(part, Part::Any) && !seen.insert((file_id(&meta), parts.len())) {
                return;
            }
            std::fs::read_dir(listed)
        }
        // Nothing there, or a file where the pattern needs a folder: no match.
        Ok(_) => return,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return,
        Err(e) => return walk.error(listed, &e),
    };
    let entries = match entries {
        Ok(entries) => entries,
        Err(e) => return walk.error(listed, &e),
    };
    if matches!(part, Part::Any) {
        walk_glob(base, rest, seen, walk);
    }
    for entry in entries {
        let name = match entry {
            Ok(entry) => entry.file_name(),
            Err(e) => {
                walk.error(listed, &e);
                continue;
            }
        };
        let path = base.join(&name);
        match part {
            Part::Pattern(p) if p.matches(&name.to_string_lossy()) => {
                walk_glob(&path, rest, seen, walk)
            }
            Part::Any if path.is_dir() => walk_glob(&path, parts, seen, walk),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, "").expect("write");
    }

    fn names(walk: &Walk, root: &Path) -> Vec<String> {
        walk.files
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .expect("below root")
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn globs_match_names_and_any_depth() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for f in [
            "a.jsonl",
            "b.txt",
            "x/c.jsonl",
            "x/y/d.jsonl",
            "z.jsonl/e.jsonl",
        ] {
            touch(&root.join(f));
        }
        let pattern = format!("{}/**/*.jsonl", root.display());
        let walk = glob(&pattern).expect("glob");
        assert_eq!(
            names(&walk, root),
            ["a.jsonl", "x/c.jsonl", "x/y/d.jsonl", "z.jsonl/e.jsonl"]
        );
        let walk = glob(&format!("{}/x/*/?.jsonl", root.display())).expect("glob");
        assert_eq!(names(&walk, root), ["x/y/d.jsonl"]);
        assert!(walk.errors.is_empty(), "{:?}", walk.errors);
    }

    #[test]
    fn a_symlink_loop_is_walked_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        touch(&root.join("a/f.jsonl"));
        std::os::unix::fs::symlink("..", root.join("a/up")).expect("symlink");
        let walk = glob(&format!("{}/**/*.jsonl", root.display())).expect("glob");
        assert_eq!(names(&walk, root), ["a/f.jsonl"]);
        let is_log = |p: &Path| p.extension().is_some_and(|e| e == "jsonl");
        let walk = folder(root, &is_log);
        assert_eq!(names(&walk, root), ["a/f.jsonl"]);
    }

    #[test]
    fn a_dangling_symlink_in_scope_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        touch(&root.join("ok.jsonl"));
        std::os::unix::fs::symlink(root.join("gone"), root.join("bad.jsonl")).expect("symlink");
        let is_log = |p: &Path| p.extension().is_some_and(|e| e == "jsonl");
        let walk = folder(root, &is_log);
        assert_eq!(names(&walk, root), ["ok.jsonl"]);
        assert_eq!(walk.errors.len(), 1);
        assert!(walk.errors[0].contains("bad.jsonl"), "{:?}", walk.errors);
        // What could not be looked at is not taken for gone.
        assert!(walk.missed(&root.join("bad.jsonl")));
        assert!(!walk.missed(&root.join("ok.jsonl")));
        let walk = glob(&format!("{}/*.jsonl", root.display())).expect("glob");
        assert!(walk.errors[0].contains("bad.jsonl"), "{:?}", walk.errors);
    }

    /// Sorting by the key gives the order `Path::cmp` gives, on the names that order
    /// differently as plain bytes (a session's `.jsonl` and its folder of subagents).
    #[test]
    fn the_order_key_orders_paths_as_path_does() {
        use proptest::prelude::*;
        let part = prop::sample::select(vec![
            "a",
            "a.jsonl",
            "a-b",
            "a b",
            "ab",
            "a/b",
            ".",
            "..",
            "é",
            "subagents",
            "",
        ]);
        let path = (any::<bool>(), prop::collection::vec(part, 1..5))
            .prop_map(|(abs, p)| format!("{}{}", if abs { "/" } else { "" }, p.join("/")));
        crate::properties::runner(2_000)
            .run(&(path.clone(), path), |(a, b)| {
                let (a, b) = (Path::new(&a), Path::new(&b));
                prop_assert_eq!(order_key(a).cmp(&order_key(b)), a.cmp(b), "{:?} {:?}", a, b);
                Ok(())
            })
            .unwrap();
        let session = Path::new("/p/abc.jsonl");
        let subagent = Path::new("/p/abc/subagents/agent-1.jsonl");
        assert!(session.as_os_str() < subagent.as_os_str());
        assert!(order_key(subagent) < order_key(session));
    }
}
