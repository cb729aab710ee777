//! Which module may name which: a guard on the source text, since Rust's visibility
//! cannot keep one sibling module from another.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, and under its subfolders.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read the folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Whether `source` names the views module: `crate::ui`, `super::super::ui`, or `ui`
/// inside a `use crate::{…}` group.
fn names_ui(source: &str) -> bool {
    if source.contains("crate::ui") || source.contains("super::super::ui") {
        return true;
    }
    source.match_indices("crate::{").any(|(at, found)| {
        // The group runs to its matching brace; only its top level names modules of crate.
        let mut depth = 0;
        let mut top = String::new();
        for c in source[at + found.len() - 1..].chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 1 => break,
                '}' => depth -= 1,
                _ if depth == 1 => top.push(c),
                _ => {}
            }
        }
        top.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|word| word == "ui")
    })
}

/// The app (UI state) pages and hit-tests with `crate::layout`; it never asks the views.
#[test]
fn the_app_never_names_the_views() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = rust_files(&src.join("app"));
    files.push(src.join("app.rs"));
    assert!(
        files.len() > 1,
        "no app sources found under {}",
        src.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| names_ui(&fs::read_to_string(path).expect("read a source file")))
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "these name crate::ui: {offenders:?}");
}

#[test]
fn the_guard_sees_each_way_of_naming_the_views() {
    assert!(names_ui("use crate::ui::Hit;"));
    assert!(names_ui("let x = crate::ui::page_rows(a, b);"));
    assert!(names_ui("use crate::{app, ui};"));
    assert!(names_ui("use super::super::ui;"));
    assert!(names_ui("use crate::{app::{App, Msg}, ui::render};"));
    assert!(!names_ui("use crate::{layout::{self, Hit}, keymap};"));
    assert!(!names_ui("use crate::{app::{ui, x}, keymap};"));
    assert!(!names_ui("use crate::layout::hit; // guide ui"));
}

/// Whether `source` names one of `crates` as a path (`tokio::…`, `use ratatui…`).
fn names_crate(source: &str, krate: &str) -> bool {
    source.match_indices(krate).any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = &source[at + krate.len()..];
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            && (after.starts_with("::") || after.starts_with(';') || after.starts_with(" as "))
    })
}

/// The engine, parsers, prices, events, redaction and the secret scanner are pure: no async runtime, network, terminal
/// or drawing, so that they run the same on any thread, in reports, tests and benches.
#[test]
fn the_pure_core_names_no_runtime_terminal_or_network_crate() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for module in ["engine", "parse", "pricing", "event", "redact", "secrets"] {
        files.extend(rust_files(&src.join(module)));
        files.push(src.join(format!("{module}.rs")));
    }
    let files: Vec<PathBuf> = files.into_iter().filter(|p| p.exists()).collect();
    assert!(files.len() > 20, "too few core sources: {files:?}");
    let mut offenders = Vec::new();
    for path in &files {
        let source = fs::read_to_string(path).expect("read a source file");
        for krate in ["tokio", "reqwest", "ratatui", "crossterm"] {
            if names_crate(&source, krate) {
                offenders.push(format!("{} names {krate}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

#[test]
fn the_crate_guard_sees_paths_and_uses() {
    assert!(names_crate("use tokio::sync::mpsc;", "tokio"));
    assert!(names_crate(
        "let t = ratatui::layout::Rect::default();",
        "ratatui"
    ));
    assert!(names_crate("extern crate reqwest;", "reqwest"));
    assert!(!names_crate("// tokio is not used here", "tokio"));
    assert!(!names_crate("use crate::my_tokio::x;", "tokio"));
}

/// Files stay small enough to read in one sitting.
#[test]
fn no_source_file_is_over_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let long: Vec<String> = rust_files(&src)
        .iter()
        .filter_map(|path| {
            let lines = fs::read_to_string(path).ok()?.lines().count();
            (lines > 600).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these: {long:?}");
}
