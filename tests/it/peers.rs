//! Real peers (Prometheus' `promtool` and `prometheus`) that some tests run: absent on a
//! fresh clone, where those tests skip with one line, under the shared data's rule.

use std::io::Write;
use std::path::PathBuf;

use super::shared_data::required;

/// The program `name` on the PATH (a real peer such as `promtool`), when it is there.
/// Otherwise `test` is skipped with one line on stderr, or fails when required, as
/// `shared_or_skip` does.
pub fn program_or_skip(name: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_some() {
        return found;
    }
    let line = format!(
        "SKIPPED {test}: {name} is not on the PATH; install it (Debian: apt-get install --no-install-recommends prometheus) to run it"
    );
    if required() {
        panic!("{line} (CI or TOKENTOP_REQUIRE_SHARED is set: the peer is required)");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
    None
}

/// A Python with the official OpenTelemetry messages (`opentelemetry-proto` from PyPI),
/// named by `TOKENTOP_OTEL_PYTHON` (`.ci/run` makes a venv for it). Otherwise `test` is
/// skipped with one line, or fails when required.
pub fn otel_python_or_skip(test: &str) -> Option<PathBuf> {
    let python = std::env::var_os("TOKENTOP_OTEL_PYTHON").map(PathBuf::from);
    let works = python.as_ref().is_some_and(|p| {
        std::process::Command::new(p)
            .args(["-c", "import opentelemetry.proto"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if works {
        return python;
    }
    let line = format!(
        "SKIPPED {test}: TOKENTOP_OTEL_PYTHON does not name a Python with opentelemetry-proto; \
         make one with `python3 -m venv V && V/bin/pip install opentelemetry-proto==1.45.2` \
         and set TOKENTOP_OTEL_PYTHON=V/bin/python"
    );
    if required() {
        panic!("{line} (CI or TOKENTOP_REQUIRE_SHARED is set: the peer is required)");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
    None
}
