//! Goose rows -> events: each input line is a row (JSON object of its columns) fed in
//! order both as a `sessions` snapshot, through one parser state, and as a `usage_ledger`
//! row.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::parse::goose::{State, ledger};
use tokentop::parse::plausible::vet;
use tokentop::parse::Parsed;

const READ_TIME: i64 = 1_767_261_600_000;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut state = State::default();
    for line in text.split('\n') {
        if let Parsed::Event(e) = vet(state.session(line, READ_TIME), READ_TIME) {
            assert!(e.cumulative.is_some() && e.attrs.session.is_some(), "{e:?}");
            assert!(e.tokens.reasoning <= e.tokens.output, "{e:?}");
        }
        if let Parsed::Event(e) = vet(ledger(line, READ_TIME), READ_TIME) {
            assert!(e.dedup_key.is_some(), "{e:?}");
            assert!(e.record_cost_usd.is_none_or(|c| c > 0.0), "{e:?}");
        }
    }
});
