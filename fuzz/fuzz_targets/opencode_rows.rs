//! OpenCode rows -> events: each input line is a `message.data` (or a legacy message
//! file), fed in order through one parser state, so versions of one row and fork copies
//! meet the fingerprint memory; `part` data goes through the tool decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::parse::opencode::{MessageRow, State, tool_part};
use tokentop::parse::plausible::vet;
use tokentop::parse::Parsed;

const READ_TIME: i64 = 1_767_261_600_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut state = State::default();
    for (i, line) in text.split('\n').enumerate() {
        let id = format!("msg_{}", i % 3);
        let row = MessageRow {
            id: &id,
            session_id: Some("ses_fuzz"),
            time_created: Some(READ_TIME),
            data: line,
            directory: Some("/home/dev/fuzz"),
        };
        let tools = tool_part(line).into_iter().collect();
        for parsed in [
            state.message(&row, tools, READ_TIME),
            state.legacy(&id, line, Vec::new(), READ_TIME),
        ] {
            if let Parsed::Event(e) = vet(parsed, READ_TIME) {
                assert!(e.tokens.reasoning <= e.tokens.output, "{e:?}");
                assert!(e.record_cost_usd.is_none_or(|c| c > 0.0), "{e:?}");
                assert!(e.dedup_key.is_some());
            }
        }
    }
});
