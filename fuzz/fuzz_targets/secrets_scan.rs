//! The secret scanner: `scan` on text, `scan_json` on a record, `scan_fields` on
//! `name=value` lines; hits lie inside the text, on character boundaries, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::secrets::{self, FingerprintKey, Ignore, Scanner, TYPES};

fuzz_target!(|text: &str| {
    let hits = secrets::scan(text);
    for hit in &hits {
        assert!(hit.range.start < hit.range.end, "{hit:?}");
        assert!(hit.range.end <= text.len(), "{hit:?}");
        assert!(text.is_char_boundary(hit.range.start) && text.is_char_boundary(hit.range.end));
        assert!(TYPES.contains(&hit.secret_type));
    }
    assert!(
        hits.windows(2)
            .all(|w| w[0].range.start <= w[1].range.start)
    );

    let key = FingerprintKey::from_bytes([7; 32]);
    for found in secrets::scan_json(text, &key) {
        assert!(TYPES.contains(&found.secret_type));
    }
    let fields: Vec<(&str, &str)> = text
        .lines()
        .map(|line| line.split_once('=').unwrap_or(("prompt", line)))
        .collect();
    let scanner = Scanner::new(key, Ignore::default());
    for found in scanner.scan_fields(fields.iter().copied(), "attributes.") {
        assert!(found.path.starts_with("attributes."), "{found:?}");
        assert!(TYPES.contains(&found.secret_type));
    }
    let _ = scanner.scan(text);
});
