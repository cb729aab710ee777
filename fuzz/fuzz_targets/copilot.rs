//! GitHub Copilot CLI lines -> events: OpenTelemetry file-export spans and log records
//! (decoded into the OTLP decoders' records) and session events (`session.start`,
//! `session.resume`, `session.shutdown`), in order through one parser, with and without
//! usage of the session in the export at a time within the fuzzed segments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentop::event::Format;
use tokentop::parse::{FileFacts, LineContext, LineParser, Parsed};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let facts = FileFacts {
        session: Some("c0ffee12".into()),
        exported: if first & 1 == 1 {
            vec![1_767_261_600_000]
        } else {
            Vec::new()
        },
        ..FileFacts::default()
    };
    let ctx = LineContext {
        project_dir: None,
        project_root: None,
        facts: Some(&facts),
        read_time: 1_767_261_600_000,
    };
    let mut parser = LineParser::default();
    for line in rest.split(|&b| b == b'\n') {
        let events = match parser.parse(line, &ctx) {
            Parsed::Event(e) => vec![*e],
            Parsed::Records(r) => r.events,
            Parsed::NoUsage | Parsed::Rejected(_) => Vec::new(),
        };
        for e in events.iter().filter(|e| e.format == Format::CopilotCli) {
            assert!(e.identity.starts_with("copilot-cli"));
            assert!(e.tokens.reasoning <= e.tokens.output);
            // A copy that takes a sum out carries nothing.
            assert!(!e.flags.telemetry || e.tokens.total() == 0, "{e:?}");
        }
    }
});
