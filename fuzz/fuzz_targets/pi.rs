//! pi session lines -> events: headers, message entries of every role and anything else,
//! in order through one parser (the header's folder rides on later entries).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::Format;
use tokentop::parse::{LineContext, LineParser, Parsed};

fuzz_target!(|data: &[u8]| {
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: None,
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in data.split(|&b| b == b'\n') {
        if let Parsed::Event(e) = parser.parse(line, &ctx)
            && e.format == Format::Pi
        {
            assert!(e.identity == "pi" || e.identity.starts_with("pi:"));
            assert!(!e.model.is_empty());
            // pi's own cost is kept only when it is a cost (positive, checked as any).
            assert!(e.record_cost_usd.is_none_or(|c| c > 0.0 && c.is_finite()));
        }
    }
});
