//! The redactor: its output holds no token the scanner types by its issuer's format, and
//! `redact_json` on a parsed record never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::{redact, secrets};

/// Types told by the value's own format; the generic ones depend on a name before them.
const GENERIC: [&str; 4] = ["password", "api_key", "secret", "token"];

fuzz_target!(|text: &str| {
    let redacted = redact::redact(text);
    // Scanned again rather than searched for the values found in `text`: the same
    // characters glued to a word (`keyxoxb-…`) are no token and stay, by design.
    for hit in secrets::scan(&redacted) {
        assert!(
            GENERIC.contains(&hit.secret_type),
            "a {} survived redaction: {text:?} -> {redacted:?}",
            hit.secret_type
        );
    }
    if let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) {
        redact::redact_json(&mut value);
    }
});
