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
