//! Gemini CLI records -> events: the input split into lines through one parser (metadata,
//! message copies, `$set` checkpoints, `$rewindTo`), then the whole input read once as a
//! legacy document, the way the follower reads a `session-*.json` (line breaks as blanks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::{Event, Format};
use tokentop::parse::{LineContext, LineParser, Parsed};

fn check(parsed: Parsed) {
    let events: Vec<Event> = match parsed {
        Parsed::Event(e) => vec![*e],
        Parsed::Records(records) => {
            assert!(records.rejected.iter().all(|c| c.count > 0));
            records.events
        }
        Parsed::NoUsage | Parsed::Rejected(_) => Vec::new(),
    };
    for e in events.iter().filter(|e| e.format == Format::GeminiCli) {
        assert!(e.tokens.reasoning <= e.tokens.output, "{e:?}");
        assert!(e.dedup_key.is_some(), "every response has its key: {e:?}");
        assert_eq!(e.identity, "gemini-cli:/home/dev/fuzz");
    }
}

fuzz_target!(|data: &[u8]| {
    let ctx = LineContext {
        project_dir: None,
        project_root: Some("/home/dev/fuzz"),
        facts: None,
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in data.split(|&b| b == b'\n') {
        check(parser.parse(line, &ctx));
    }
    let whole: Vec<u8> = data
        .iter()
        .map(|&b| if matches!(b, b'\n' | b'\r') { b' ' } else { b })
        .collect();
    check(LineParser::default().parse(&whole, &ctx));
});
