//! Lines -> events: the input split into lines and fed in order through one parser, so the
//! stateful formats (Codex cumulative counts, Anthropic streams) see sequences of lines.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tokentop::parse::{LineContext, LineParser, Parsed};
use tokentop::secrets::{FingerprintKey, Ignore, Scanner};

fuzz_target!(|data: &[u8]| {
    let scanner = Arc::new(Scanner::new(
        FingerprintKey::from_bytes([7; 32]),
        Ignore::default(),
    ));
    let mut parser = LineParser::scanning(Some(scanner));
    let ctx = LineContext {
        project_dir: Some("-home-dev-fuzz"),
        project_root: None,
        facts: None,
        read_time: 1_767_261_600_000,
    };
    for line in data.split(|&b| b == b'\n') {
        let _ = parser.carrier(line, &ctx);
        match parser.parse(line, &ctx) {
            Parsed::Records(records) => {
                let noted: u64 = records.noted.iter().map(|c| c.count).sum();
                assert!(noted <= records.events.len() as u64, "{records:?}");
                assert!(records.carriers.len() as u64 <= records.without_usage);
                assert!(records.rejected.iter().all(|c| c.count > 0));
            }
            Parsed::Event(_) | Parsed::NoUsage | Parsed::Rejected(_) => {}
        }
    }
});
