//! The shared real-log data (`$TOKENTOP_SHARED`, default `../shared` beside the
//! repository) that some tests read and never copy here. On a fresh clone it is absent:
//! those tests then skip, each saying so in one line, unless `CI=true` or
//! `TOKENTOP_REQUIRE_SHARED=1` asks them to fail (`.ci/run` sets both), so that CI still
//! proves the real-log totals. Also compiled into the library's unit tests (`#[path]`).

use std::io::Write;
use std::path::PathBuf;

/// The shared data folder: `$TOKENTOP_SHARED`, else `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("TOKENTOP_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

/// Whether missing shared data fails the tests instead of skipping them.
pub fn required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("TOKENTOP_REQUIRE_SHARED")
}

/// `relative` under the shared folder, when it exists. Otherwise `test` is skipped: one
/// line on stderr says which and how to run it, and `None` comes back (the test returns);
/// or, when required, the test fails with that line.
///
/// The line is written to the stderr handle, not with `eprintln!`: libtest captures
/// only the print macros of a passing test (rust-lang/rust#90785), so this line shows in
/// the plain output of `cargo test`. `skipped_tests_say_so_in_the_plain_output` checks it.
pub fn shared_or_skip(relative: &str, test: &str) -> Option<PathBuf> {
    let path = shared_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    let line = format!(
        "SKIPPED {test}: {} is missing; set TOKENTOP_SHARED to the folder that holds data/ to run it",
        path.display()
    );
    if required() {
        panic!("{line} (CI or TOKENTOP_REQUIRE_SHARED is set: the shared data is required)");
    }
    let mut err = std::io::stderr().lock();
    // A failed write to stderr cannot be reported anywhere else.
    let _ = writeln!(err, "{line}");
    None
}
