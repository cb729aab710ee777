//! The sanitizer: what it returns holds no control or bidi character and no more than the
//! characters asked for; `json_safe` keeps JSON valid and escapes the same characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::sanitize::{json_safe, sanitize};

fn shown_raw(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fuzz_target!(|input: (u8, &str)| {
    let (max, text) = input;
    let max = usize::from(max);
    let out = sanitize(text, max);
    assert!(!out.chars().any(shown_raw), "{text:?} -> {out:?}");

    let json = serde_json::to_string(&serde_json::json!({ "text": text })).unwrap();
    let safe = json_safe(json);
    assert!(!safe.chars().any(shown_raw), "{text:?} -> {safe:?}");
    assert!(
        serde_json::from_str::<serde_json::Value>(&safe).is_ok(),
        "json_safe broke JSON: {safe:?}"
    );
});
