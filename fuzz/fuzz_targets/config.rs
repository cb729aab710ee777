//! The config reader: any text is a config or an error that points at a real line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tokentop::config::{Config, ConfigError};

fuzz_target!(|text: &str| {
    match Config::parse(text, Path::new("fuzz.toml")) {
        Ok(_) => {}
        Err(ConfigError::Invalid { line, column, .. }) => {
            assert!(
                line >= 1 && line <= text.matches('\n').count() + 1,
                "line {line}"
            );
            assert!(column >= 1);
        }
        Err(other) => {
            let _ = other.to_string();
        }
    }
});
