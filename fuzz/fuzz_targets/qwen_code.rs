//! Qwen Code records -> events: the input split into lines through one parser. Checks
//! that each response is keyed by its record, and that a count split the total could not
//! tell is flagged as an estimate only when there was something to tell (a cache).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::Format;
use tokentop::parse::{LineContext, LineParser, Parsed};

fuzz_target!(|data: &[u8]| {
    let ctx = LineContext {
        project_dir: Some("-home-dev-fuzz"),
        project_root: None,
        facts: None,
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in data.split(|&b| b == b'\n') {
        let Parsed::Event(e) = parser.parse(line, &ctx) else {
            continue;
        };
        if e.format != Format::QwenCode {
            continue;
        }
        assert!(e.tokens.reasoning <= e.tokens.output, "{e:?}");
        assert!(e.identity.starts_with("qwen-code"), "{e:?}");
        if e.flags.estimated {
            assert!(
                e.tokens.cache_read > 0 || e.tokens.reasoning > 0,
                "a guess needs a question: {e:?}"
            );
        }
    }
});
